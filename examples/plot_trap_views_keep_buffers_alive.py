"""
Trap: a small view keeps a big buffer alive
===========================================

A slice is a :term:`view`: it has no memory of its own, it points into the
:term:`buffer` of the array it came from. While the slice lives, that whole
buffer lives, however few elements the slice shows. Deleting the big array
frees nothing.

Reported in `dask#3595 <https://github.com/dask/dask/issues/3595>`__
("compute on sliced array wastes memory"), where each small slice of a
computed chunk held its full chunk in memory.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
KEEP = 1_000
print(f"NumPy {np.__version__}; the big array: {N:,} float64, {viewcopy.format_bytes(8 * N)}")

# %%
# Keep a slice, delete the array
# ------------------------------
# The first ``KEEP`` elements are all we want. ``track`` counts the NumPy
# memory still allocated when the block ends, after ``del big``.
with claim(
    "trap-slice-keeps-buffer",
    f"this {KEEP:,}-element slice keeps the whole {viewcopy.format_bytes(8 * N)} buffer of its array alive "
    "after the array is deleted",
):
    with viewcopy.track() as kept:
        big = np.arange(N, dtype=np.float64)
        head = big[:KEEP]
        del big
    assert kept.allocated_bytes == 8 * N, kept
print(f"head shows {viewcopy.format_bytes(head.nbytes)}; still allocated: {kept}")

# %%
# Copy the slice, then delete the array
# -------------------------------------
# ``.copy()`` gives the slice a buffer of its own (a :term:`copy`), so the
# big one has no remaining reference and is freed at ``del``.
with claim(
    "trap-copied-slice-frees-buffer",
    f"the .copy() of the same slice keeps {viewcopy.format_bytes(8 * KEEP)}: the big buffer is freed",
):
    with viewcopy.track() as freed:
        big = np.arange(N, dtype=np.float64)
        head_copy = big[:KEEP].copy()
        del big
    assert freed.allocated_bytes == head_copy.nbytes == 8 * KEEP, freed
print(f"head_copy shows {viewcopy.format_bytes(head_copy.nbytes)}; still allocated: {freed}")
print(f"the view kept {kept.allocated_bytes / freed.allocated_bytes:,.0f} times the memory of the copy")

# %%
fig, ax = plt.subplots(figsize=(6.4, 1.9), layout="constrained")
alive = [kept.allocated_bytes, freed.allocated_bytes]
ax.barh([0, 1], alive, color=["#e76f51", "#2a9d8f"])
for y, size in enumerate(alive):
    ax.text(size, y, f" {viewcopy.format_bytes(size)}", va="center", fontsize=8)
ax.set_yticks([0, 1], ["head = big[:KEEP]", "head = big[:KEEP].copy()"])
ax.invert_yaxis()
ax.set_xscale("log")
ax.set_xlim(right=alive[0] * 20)
ax.set_xlabel("NumPy bytes alive after `del big` (measured; log scale)")
ax.set_title(f"Keeping {KEEP:,} of {N:,} elements")
plt.show()

# %%
# How to see it: ``base``, ``OWNDATA``, sizes
# -------------------------------------------
# A view's :term:`base` is the array that owns the buffer, and its
# :term:`OWNDATA` flag (``flags.owndata``) is False. ``base.nbytes`` is the
# memory the view keeps alive; ``nbytes`` is what it shows. A copy has
# ``base is None``.
with claim(
    "trap-view-base-shows-kept-bytes",
    "the slice's base is the deleted array's buffer: base.nbytes is the full size and OWNDATA is False; "
    "the copy has no base and owns its data",
):
    assert head.base is not None and not head.flags.owndata
    assert head.base.nbytes == 8 * N and head.nbytes == 8 * KEEP
    assert head_copy.base is None and head_copy.flags.owndata
for name, x in {"head": head, "head_copy": head_copy}.items():
    kept_bytes = x.base.nbytes if x.base is not None else x.nbytes
    print(
        f"{name:10} OWNDATA={x.flags.owndata!s:5} base={type(x.base).__name__:8} "
        f"shows {viewcopy.format_bytes(x.nbytes):>8}, keeps {viewcopy.format_bytes(kept_bytes):>8}"
    )

# %%
# The same signs hold on every layout with an axis in
# ``viewcopy.claims.layouts()``, the site's :term:`family` of small arrays (steps,
# negative :term:`strides`, transposes, :term:`broadcasts <broadcast>`,
# read-only): a slice has a ``base``; a copy has none and owns its data.
with claim(
    "trap-family-slice-has-base-copy-owns",
    "for every layout in the family with at least one axis, a[:1] has a base, and a.copy() owns its data "
    "and has no base",
) as signs:
    for case in signs.over(layouts(ndim=range(1, 5))):
        assert case.array[:1].base is not None, case.name
        fresh = case.array.copy()
        assert fresh.base is None and fresh.flags.owndata, case.name
print(f"checked on {signs.cases} layouts")

# %%
# A view of a view points at the owner
# ------------------------------------
# Slicing a slice does not build a chain of small arrays: NumPy sets the
# new view's ``base`` to the array that owns the buffer, so one check of
# ``base`` finds the memory kept alive, here after three slicing steps.
with claim("trap-view-of-view-base-is-owner", "a view of a view of this array has the owner as its base"):
    owner = np.arange(1_000.0)
    step = owner[100:900][::2][10:20]
    assert step.base is owner
print(f"owner[100:900][::2][10:20].base is owner: {step.base is owner}")

# %%
# A helper for pipelines
# ----------------------
# A function that returns a small piece of a large input can decide for
# its caller: copy when the piece is a small fraction of what it keeps.


def detach(view, max_waste=10):
    """Return ``view``, or a copy of it when it keeps more than ``max_waste`` times its size alive."""
    if view.base is not None and view.base.nbytes > max_waste * max(view.nbytes, 1):
        return view.copy()
    return view


with claim(
    "trap-detach-copies-small-views",
    "detach() copies the 1,000-element slice of the big array and returns half of a 1,000-element array as it is",
):
    small = viewcopy.expect_copy(head, detach(head))
    half = viewcopy.expect_view(owner, detach(owner[:500]))
print("detach(head):", viewcopy.relation(head, small).kind)
print("detach(owner[:500]):", viewcopy.relation(owner, half).kind)
del head, small, half, head_copy

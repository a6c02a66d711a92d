"""
Trap: a small view keeps a big buffer alive
===========================================

Over the site's :term:`family` of arrays: :claim:`trap-family-slices-are-views`.
A slice points into the :term:`buffer` of the array it came from. While the
slice lives, that whole buffer lives, however few elements the slice shows;
on this page, :claim:`trap-slice-keeps-buffer`.

Reported in `dask#3595 <https://github.com/dask/dask/issues/3595>`__
("compute on sliced array wastes memory"), where each small slice of a
computed chunk held its full chunk in memory.
"""

# %%
import atexit
import os
import shutil
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts, search

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
KEEP = 1_000
print(f"NumPy {np.__version__}; the big array: {N:,} float64, {viewcopy.format_bytes(8 * N)}")

# %%
# Keep a slice, delete the array
# ------------------------------
# The first ``KEEP`` elements are all we want. The figure is ``track``'s,
# read when the block ends, after ``del big``.
with claim(
    "trap-slice-keeps-buffer",
    f"this {KEEP:,}-element slice keeps the whole {viewcopy.format_bytes(8 * N)} buffer of its array alive "
    "after the array is deleted",
) as c:
    with viewcopy.track() as kept:
        big = np.arange(N, dtype=np.float64)
        head = big[:KEEP]
        del big
    c.check(
        kept.allocated_bytes == 8 * N,
        f"after del big, {kept.allocated_bytes:,} B still allocated; the array's buffer was {8 * N:,} B",
    )
print(f"head shows {viewcopy.format_bytes(head.nbytes)}; the block: {kept}")

# %%
# Copy the slice, then delete the array
# -------------------------------------
# :claim:`trap-copied-slice-frees-buffer`.
with claim(
    "trap-copied-slice-frees-buffer",
    f"the .copy() of the same slice keeps {viewcopy.format_bytes(8 * KEEP)}: the big buffer is freed",
) as c:
    with viewcopy.track() as freed:
        big = np.arange(N, dtype=np.float64)
        head_copy = big[:KEEP].copy()
        del big
    c.check(
        freed.allocated_bytes == head_copy.nbytes == 8 * KEEP,
        f"after del big, {freed.allocated_bytes:,} B still allocated: the copy's {head_copy.nbytes:,} B",
    )
print(f"head_copy shows {viewcopy.format_bytes(head_copy.nbytes)}; the block: {freed}")
print(f"the view kept {kept.allocated_bytes / freed.allocated_bytes:,.0f} times the memory of the copy")

# %%
fig, ax = plt.subplots(figsize=(6.4, 1.9), layout="constrained")
alive = [kept.allocated_bytes, freed.allocated_bytes]
# dots, not bars: a bar's length on a log axis depends on where the axis starts
ax.scatter(alive, [0, 1], s=60, color=["#e76f51", "#2a9d8f"], zorder=3)
for y, size in enumerate(alive):
    ax.annotate(f"  {viewcopy.format_bytes(size)}", (size, y), va="center", fontsize=8)
ax.set_yticks([0, 1], ["head = big[:KEEP]", "head = big[:KEEP].copy()"])
ax.set_ylim(1.6, -0.6)
ax.set_xscale("log")
ax.set_xlim(min(alive) / 3, max(alive) * 20)
ax.grid(axis="x", which="major", color="#dddddd")
ax.set_xlabel("NumPy bytes alive after `del big` (measured; log scale)")
ax.set_title(f"Keeping {KEEP:,} of {N:,} elements")
plt.show()

# %%
# How to see it: ``base``, ``OWNDATA``, sizes
# -------------------------------------------
# Here on ``head``, the slice of ``big``, and on ``head.copy()``:
# :claim:`trap-view-base-shows-kept-bytes`.
with claim(
    "trap-view-base-shows-kept-bytes",
    "head's base is the deleted array, whose nbytes is the full size, and head's OWNDATA is False; "
    "head.copy() has no base and owns its data",
) as c:
    c.check(head.base is not None and not head.flags.owndata, "head.base is not None and not head.flags.owndata")
    c.check(
        head.base.nbytes == 8 * N and head.nbytes == 8 * KEEP,
        f"head.base.nbytes == 8 * N and head.nbytes == 8 * KEEP ({head.base.nbytes=!s}, {8 * N=!s}, {head.nbytes=!s}, {8 * KEEP=!s})",
    )
    c.check(head_copy.base is None and head_copy.flags.owndata, "head_copy.base is None and head_copy.flags.owndata")
for name, x in {"head": head, "head_copy": head_copy}.items():
    kept_bytes = x.base.nbytes if x.base is not None else x.nbytes
    print(
        f"{name:10} OWNDATA={x.flags.owndata!s:5} base={type(x.base).__name__:8} "
        f"shows {viewcopy.format_bytes(x.nbytes):>8}, keeps {viewcopy.format_bytes(kept_bytes):>8}"
    )

# %%
# Over ``viewcopy.claims.layouts()``, the site's :term:`family` of small
# arrays (steps, negative :term:`strides`, transposes,
# :term:`broadcasts <broadcast>`, read-only):
# :claim:`trap-family-slice-has-base-copy-owns`.
WITH_AXIS = layouts(ndim=range(1, 5))
with claim(
    "trap-family-slice-has-base-copy-owns",
    "for every layout in the family with at least one axis, a[:1] has a base, and a.copy() owns its data "
    "and has no base",
) as signs:
    for text, holds in {
        "a[:1] has a base": lambda a: a[:1].base is not None,
        "a.copy() owns its data and has no base": lambda a: (f := a.copy()).base is None and f.flags.owndata,
    }.items():
        found = search(holds, signs.over(WITH_AXIS), about=text)
        signs.check(found.holds, f"{len(found.counterexamples)} of {len(found.results)} layouts break it")
print(f"checked on {signs.cases} layouts")


def allocated(call):
    """NumPy bytes allocated by ``call()`` and still held by its result."""
    with viewcopy.track() as t:
        result = call()  # noqa: F841 (held, so that its bytes are still allocated when the block ends)
    return t.allocated_bytes


with claim(
    "trap-family-slices-are-views",
    "for every layout in the family with at least one axis, the slices a[:1], a[::2] and a[::-1] are views of a "
    "by viewcopy.relation: each allocates 0 bytes and owns no data",
) as c:
    for text, holds in {
        "is a view by viewcopy.relation": lambda a, s: viewcopy.relation(a, a[s]).kind == "view",
        "allocates 0 bytes": lambda a, s: allocated(lambda: a[s]) == 0,
        "owns no data": lambda a, s: not a[s].flags.owndata,
    }.items():
        for where in (slice(None, 1), slice(None, None, 2), slice(None, None, -1)):
            name = f"a[{where.start or ''}:{where.stop or ''}{f':{where.step}' if where.step else ''}] {text}"
            found = search(lambda a, s=where, h=holds: h(a, s), c.over(WITH_AXIS), about=name)
            c.check(found.holds, f"{len(found.counterexamples)} of {len(found.results)} layouts break it")
print(f"slices checked on {c.cases} layouts")

# %%
# Where a view of a view points
# -----------------------------
# Slicing a slice does not build a chain: ``base`` skips the slices in
# between. Where the chain stops depends on where the memory came from;
# three arrays, each sliced three times (``x[100:900][::2][10:20]``):
# :claim:`trap-view-of-view-base-is-owner`.
owner = np.arange(1_000.0)
folder = tempfile.mkdtemp()
atexit.register(shutil.rmtree, folder, ignore_errors=True)  # also when a claim below fails and stops the page
np.save(os.path.join(folder, "x.npy"), owner)
mapped = np.load(os.path.join(folder, "x.npy"), mmap_mode="r")
sources = {
    "np.arange(1000.)": owner,
    "np.frombuffer(bytearray(8000))": np.frombuffer(bytearray(8000)),
    "np.asarray(memmap)": np.asarray(mapped),
}
with claim(
    "trap-view-of-view-base-is-owner",
    "x[100:900][::2][10:20] has as its base the array that owns the buffer for x = np.arange(1000.); "
    "for x = np.frombuffer(bytearray(8000)) and for x = np.asarray() of a 1,000-element memmap, which own nothing "
    "(their bases are a memoryview and the memmap), its base is x itself",
) as c:
    for name, x in sources.items():
        step = x[100:900][::2][10:20]
        c.check(step.base is x, f"{name}: base is x: {step.base is x}, x owns its data: {x.flags.owndata}")
        c.check(
            x.flags.owndata == (x is owner), f"{name}: OWNDATA {x.flags.owndata}, x.base is a {type(x.base).__name__}"
        )
for name, x in sources.items():
    print(
        f"{name:31} x[100:900][::2][10:20].base is x: {x[100:900][::2][10:20].base is x}, "
        f"x owns its data: {x.flags.owndata!s:5}, x.base: {type(x.base).__name__}"
    )

# %%
# A helper for pipelines
# ----------------------
# Copy when the piece is a small fraction of what it keeps: a function that
# returns a small piece of a large input can decide that for its caller.


def kept_alive(view):
    """The bytes ``view`` keeps alive: those of the object at the end of its base chain.

    The chain is followed through arrays, the objects ``as_strided`` puts
    between them, and memoryviews (to the object a memoryview is of); an
    ndarray at its end is measured by ``nbytes``, any other object (a
    ``bytes``, ``bytearray`` or ``mmap``) by the bytes it exports.
    """
    obj = view
    while True:
        if isinstance(obj, memoryview):
            obj = obj.obj
        elif getattr(obj, "base", None) is not None:
            obj = obj.base
        else:
            break
    return obj.nbytes if isinstance(obj, np.ndarray) else memoryview(obj).nbytes


def detach(view, max_waste=10):
    """Return ``view``, or a copy of it when it keeps more than ``max_waste`` times its size alive."""
    if view.base is None:
        return view
    return view.copy() if kept_alive(view) > max_waste * max(view.nbytes, 1) else view


with claim(
    "trap-detach-copies-small-views",
    "detach() copies the 1,000-element slice of the big array and returns half of a 1,000-element array as it is",
):
    small = viewcopy.expect_copy(head, detach(head))
    half = viewcopy.expect_view(owner, detach(owner[:500]))
print("detach(head):", viewcopy.relation(head, small).kind)
print("detach(owner[:500]):", viewcopy.relation(owner, half).kind)

# %%
# Through the objects a base chain can hold:
# :claim:`trap-detach-follows-the-chain`.
raw = bytearray(80_000_000)
strided_piece = np.lib.stride_tricks.as_strided(head.base, shape=(10,), strides=(8,))
through_memoryview = np.frombuffer(memoryview(raw)[:8000])
with claim(
    "trap-detach-follows-the-chain",
    "detach() copies a 10-element as_strided view of head's base (the big array) and "
    "np.frombuffer(memoryview(raw)[:8000]) of "
    "an 80 MB bytearray raw: each keeps the whole buffer alive through the objects between them",
) as c:
    for name, piece, owner_bytes in [
        ("as_strided", strided_piece, head.base.nbytes),
        ("frombuffer of a memoryview slice", through_memoryview, len(raw)),
    ]:
        c.check(kept_alive(piece) == owner_bytes, f"{name}: keeps {kept_alive(piece):,} B alive")
        viewcopy.expect_copy(piece, detach(piece))
del raw, strided_piece, through_memoryview

# %%
# For the memmap above and for an array made with ``np.frombuffer`` on an
# immutable buffer, whose bases are not ndarrays:
# :claim:`trap-detach-non-array-base`.
with claim(
    "trap-detach-non-array-base",
    "detach() copies a 10-element slice of the 1,000-element memmap and of np.frombuffer(bytes(8000)), "
    "and returns each of those whole arrays as it is",
):
    from_bytes = np.frombuffer(bytes(8000))
    for x in (mapped, from_bytes):
        viewcopy.expect_copy(x, detach(x[:10]))
        viewcopy.expect_view(x, detach(x))
print("detach(memmap[:10]):", viewcopy.relation(mapped, detach(mapped[:10])).kind)
del mapped, sources, from_bytes
shutil.rmtree(folder)
del head, small, half, head_copy

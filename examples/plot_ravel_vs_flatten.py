"""
View vs copy: ``ravel`` against ``flatten``
===========================================

:meth:`numpy.ndarray.ravel` returns a *view* (:term:`view`) of a
:term:`C-contiguous` array: a new array object over the same bytes.
:meth:`numpy.ndarray.flatten` returns a *copy* (:term:`copy`): new bytes, as many as the source holds. This page measures both on a
large array, checks the rule on every layout of :func:`viewcopy.claims.layouts` (the
:term:`family`), and
shows what :attr:`~numpy.ndarray.base` and :attr:`~numpy.ndarray.nbytes` do and
do not tell you.

Every ``with claim(...)`` block below is a :term:`claim` of this site: the
checks inside it raise if NumPy does not behave as stated, and the build
fails.
"""

# %%
# A large source array
# --------------------
# Ten million ``float64`` by default (80 MB); set ``VIEWCOPY_FULL_SCALE=1``
# for the source article's hundred million (800 MB).
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts, time_ratio

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
a = np.arange(N, dtype=np.float64)
print(f"NumPy {np.__version__}; a holds {a.size:,} float64 = {a.nbytes:,} bytes")

# %%
# ``ravel`` shares, ``flatten`` copies
# ------------------------------------
# :func:`viewcopy.track` counts the bytes NumPy allocates for array data in
# the block (through a counting wrapper of NumPy's allocator); :func:`viewcopy.expect_view` and
# :func:`viewcopy.expect_copy` ask :func:`numpy.shares_memory`.
with claim("ravel-contiguous-view", "ravel of a contiguous array is a view: it allocates 0 bytes"):
    with viewcopy.track() as ravel_cost:
        r = viewcopy.expect_view(a, a.ravel())
    assert ravel_cost.allocated_bytes == 0

with claim("flatten-copies-this-array", "flatten of this array copies: it allocates exactly its nbytes"):
    with viewcopy.track() as flatten_cost:
        f = viewcopy.expect_copy(a, a.flatten())
    assert flatten_cost.allocated_bytes == a.nbytes

print(f"ravel:   {ravel_cost.allocated_bytes:>13,} bytes allocated")
print(f"flatten: {flatten_cost.allocated_bytes:>13,} bytes allocated")

# %%
# One array proves nothing about the others. Over every layout of
# :func:`viewcopy.claims.layouts` (0-d to 4-d, empty and length-1 axes, C and F
# :term:`order`, step slices, negative :term:`strides`, permutations, broadcasts, read-only),
# ``flatten`` copies, and allocates the source's ``nbytes`` on each non-empty
# one; an empty array still gets a fresh 1-byte :term:`buffer`.
CASES = layouts()
extra = {}  # bytes allocated beyond nbytes, by case
with claim(
    "flatten-copies",
    "flatten always copies: on every non-empty layout it allocates exactly the source's nbytes",
) as c:
    for case in c.over(CASES):
        with viewcopy.track() as t:
            flat = case.array.flatten()
        assert not np.shares_memory(case.array, flat) and flat.flags.owndata, case.name
        extra[case.name] = t.allocated_bytes - case.array.nbytes
        assert case.array.size == 0 or extra[case.name] == 0, case.name
print(f"{len(CASES)} layouts; bytes beyond nbytes: {sorted(set(extra.values()))}")
print("on the empty ones, e.g.", *[f"{name}: +{b}" for name, b in extra.items() if b][:2], sep="\n  ")

# %%
# Writes through a view reach the source
# --------------------------------------
# That is what "no new memory" means: the view and the source are two names
# for the same bytes. The copy is independent.
with claim("view-writes-reach-source", "writing through a ravel view changes the source"):
    r[0] = -1.0
    assert a[0] == -1.0
with claim("copy-writes-stay-local", "writing to a flatten copy leaves the source alone"):
    f[1] = -2.0
    assert a[1] == 1.0
a[0] = 0.0
print("after r[0] = -1: a[0] was -1;  after f[1] = -2: a[1] is still", a[1])

# %%
# What ``nbytes`` and ``base`` do not tell you
# --------------------------------------------
# ``nbytes`` is the size of the data an array *describes*, not what it
# allocated: the view reports the full 80 MB too. ``base`` is set on the
# view, but it is no proof of sharing (see the FAQ: a copy can have a base).
with claim("nbytes-is-not-allocation", "a view's nbytes equals its source's although it allocated nothing"):
    assert r.nbytes == a.nbytes == f.nbytes
    rel = viewcopy.relation(a, r)
    assert rel.kind == "view" and not rel.owns_data
print("r.nbytes =", f"{r.nbytes:,}", "| r.base is a:", r.base is a, "|", viewcopy.relation(a, r))
print("f.nbytes =", f"{f.nbytes:,}", "| f.base:", f.base, "|", viewcopy.relation(a, f))

# %%
# Time, as a ratio, by size
# -------------------------
# :func:`viewcopy.claims.time_ratio` times the two calls in alternating rounds
# (loops long enough for a sub-microsecond call, medians of the rounds) on
# C-contiguous ``float64`` arrays of several sizes. The ratio is what carries
# over to other machines, not the seconds, and each ratio holds for the size
# it was measured at.
# The claim is made where the copy dominates (100,000 elements and up);
# below that, the sentence printed for each size is chosen by the
# measurement: "slower" or "faster" only when three rounds in four agree.
SIZES = [10, 1_000, 100_000, a.size]
CLAIMED = [size for size in SIZES if size >= 100_000]
ratios = {}


def times(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


for size in SIZES:
    x = a[:size]
    r = ratios[size] = time_ratio(x.flatten, x.ravel, size=x.nbytes)
    verdict = "slower than" if r.above(1) else "faster than" if r.below(1) else "not separable from"
    print(
        f"{size:>12,} elements ({r.size}): flatten/ravel = {times(r.ratio)} "
        f"(quartiles {times(r.low)} to {times(r.high)}): flatten {verdict} ravel"
    )
with claim(
    "ravel-much-faster",
    "ravel of a contiguous float64 array is faster than flatten, in at least three timed rounds out of four, at "
    + " and ".join(f"{size:,}" for size in CLAIMED)
    + " elements",
):
    for size in CLAIMED:
        assert ratios[size].above(1), (size, ratios[size])

# %%
# A note on names
# ---------------
# The article this site grew from speaks of ``np.flatten()``. There is no
# such function: ``flatten`` exists only as an array method, while
# :func:`numpy.ravel` exists as both.
with claim("no-np-flatten", "numpy has a ravel function but no flatten function"):
    assert hasattr(np, "ravel") and not hasattr(np, "flatten")
try:
    np.flatten(a)
except AttributeError as error:
    print("np.flatten(a) ->", type(error).__name__ + ":", error)

# %%
# The article's other claims about these two, checked
# ---------------------------------------------------
# *"ravel returns a view whenever the memory layout permits."* The search
# on :doc:`plot_article_searched` finds counterexamples and the exact
# condition (a C-contiguous, non-empty array). The simplest one: every other
# element of a 1-D array is evenly spaced, so a view is possible
# (``reshape(-1)`` returns one), yet ``ravel`` copies.
every_other = a[::2]
with claim("ravel-copies-evenly-strided", "ravel copies an evenly strided array that reshape(-1) can view"):
    viewcopy.expect_copy(every_other, every_other.ravel())
    viewcopy.expect_view(every_other, every_other.reshape(-1))
print("a[::2].ravel():", viewcopy.predict(every_other, "ravel"))

# %%
# *"Need for an immutable result"* as a reason to pick ``flatten``.
# ``flatten`` gives an *independent* result, not an immutable one: it is
# writable even when the source is read-only, while a ``ravel`` view inherits
# the source's read-only flag (on this array; the search page checks both
# over the family).
frozen = np.arange(10.0)
frozen.flags.writeable = False
with claim(
    "flatten-is-independent-not-immutable",
    "for this array, whose writeable flag is off, flatten's result is writable and the ravel view is not",
):
    assert frozen.flatten().flags.writeable
    assert not frozen.ravel().flags.writeable
print("flatten of a read-only array is writable:", frozen.flatten().flags.writeable)

# %%
# *"If np.shares_memory is False, you got a copy."* The search finds the
# exception: empty arrays have no bytes to share, so even a view reports
# ``False``.
empty = np.zeros((0, 3))
with claim("shares-memory-false-for-empty-views", "np.shares_memory is False for a view of an empty array"):
    view_of_empty = empty.ravel()
    assert not np.shares_memory(empty, view_of_empty) and not view_of_empty.flags.owndata
    assert viewcopy.relation(empty, view_of_empty).kind == "empty"
print(
    "empty.ravel(): shares_memory",
    np.shares_memory(empty, view_of_empty),
    "| base is empty:",
    view_of_empty.base is empty,
)

# %%
# *"100 million elements (~800 MB)."* In decimal megabytes; the tools that
# print MiB (``top``, many profilers) show a smaller number:
print(f"{N:,} float64 = {N * 8:,} bytes = {N * 8 / 1e6:,.1f} MB = {N * 8 / 2**20:,.1f} MiB")

# %%
# The figure
# ----------
fig, ax = plt.subplots(figsize=(6.4, 2.6), layout="constrained")
costs = [ravel_cost.allocated_bytes, flatten_cost.allocated_bytes]
bars = ax.barh(["a.ravel()", "a.flatten()"], [c / 1e6 for c in costs], color=["#2a9d8f", "#e76f51"])
ax.bar_label(bars, labels=[viewcopy.format_bytes(c) for c in costs], padding=4)
ax.set_xlabel("NumPy bytes allocated (MB), measured with viewcopy.track")
ax.set_title(f"ravel vs flatten of {a.size:,} float64: bytes allocated")
ax.margins(x=0.25)
plt.show()

"""
FAQ, answered by running it
===========================

The source article's two questions, and the ones readers ask next. Each
answer is a measurement made while this page was built.
"""

# %%
import os
import statistics
import timeit

import matplotlib.pyplot as plt
import numpy as np

import viewcopy

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
ROWS = N // 1000
a = np.arange(N, dtype=np.float64).reshape(ROWS, 1000)
print(f"NumPy {np.__version__}; a: shape {a.shape} float64, {viewcopy.format_bytes(a.nbytes)}")


def median_seconds(func, repeat=7):
    """Median wall time of ``repeat`` single calls."""
    return statistics.median(timeit.repeat(func, number=1, repeat=repeat))


# %%
# Can ``ravel`` return a copy when I ask for Fortran order?
# ---------------------------------------------------------
# Yes: ``ravel(order='F')`` copies unless the array is already
# F-contiguous, which a C-ordered 2-D array is not. The article is right.
with viewcopy.claim("faq-ravel-f-copies-c-array", "ravel('F') of a C-ordered 2-D array copies"):
    with viewcopy.track() as t:
        in_f = viewcopy.expect_copy(a, a.ravel(order="F"))
    assert t.allocated_bytes == a.nbytes
print("a.ravel('F'):", t)
del in_f

# %%
# When does ``ravel('F')`` *not* copy?
# ------------------------------------
# Whenever the array is F-contiguous: a transposed C array, an array made
# with :func:`numpy.asfortranarray`, a 1-D contiguous array (which is both
# C- and F-contiguous), or a 2-D array with a single contiguous row.
f_cases = {
    "a.T (transposed)": a.T,
    "np.asfortranarray(a[:100])": np.asfortranarray(a[:100]),
    "a[0] (1-D row)": a[0],
    "a[:1] (one row)": a[:1],
}
with viewcopy.claim("faq-ravel-f-views-f-contiguous", "ravel('F') is a view of every F-contiguous array"):
    for name, case in f_cases.items():
        viewcopy.expect_view(case, case.ravel(order="F"))
        print(f"{name:28} F-contiguous: {case.flags.f_contiguous}, ravel('F') is a view")

# %%
# A single *column* of a C-ordered array is the trap: its elements are a
# whole row apart, so it is neither C- nor F-contiguous and every order copies.
column = a[:, :1]
with viewcopy.claim("faq-column-not-contiguous", "one column of a C-ordered array is not contiguous: ravel copies it"):
    viewcopy.expect_copy(column, column.ravel(order="F"))
print("a[:, :1]:", viewcopy.layout(column), "->", viewcopy.predict(column, "ravel", "F"))

# %%
# Is ``flatten`` ever faster than ``ravel``?
# ------------------------------------------
# The article says it "can be faster when a contiguous copy is already
# required, because it avoids the view-creation check". Measured: on a
# contiguous array ``ravel`` is a view and nothing can beat it; on a
# non-contiguous array both make the same copy (same bytes, same result), so
# any gap in time is the machine, not the method; the ratio measured in this
# build is printed below. The "check" is a few flag tests. **The claim does
# not hold.**
# The two calls of each pair are timed in turns, so that a change in the
# machine's load or in the allocator's state affects both alike.
pairs = {"contiguous": a, "transposed": a.T}
samples = {f"{kind}: {op}": [] for kind in pairs for op in ("ravel", "flatten")}
for _ in range(7):
    for kind, arr in pairs.items():
        for op in ("ravel", "flatten"):
            samples[f"{kind}: {op}"].append(timeit.timeit(getattr(arr, op), number=1))
timings = {name: statistics.median(values) for name, values in samples.items()}
with viewcopy.claim("faq-flatten-not-faster", "flatten is never meaningfully faster than ravel"):
    assert timings["contiguous: flatten"] > 10 * timings["contiguous: ravel"]
    with viewcopy.track() as ravel_copy:
        from_ravel = a.T.ravel()
    with viewcopy.track() as flatten_copy:
        from_flatten = a.T.flatten()
    assert ravel_copy.allocated_bytes == flatten_copy.allocated_bytes == a.nbytes  # the same copy, twice
    assert np.array_equal(from_ravel, from_flatten)
del from_ravel, from_flatten
ratio = timings["transposed: flatten"] / timings["transposed: ravel"]
print(f"contiguous: flatten/ravel = {timings['contiguous: flatten'] / timings['contiguous: ravel']:,.0f}")
if 0.8 < ratio < 1.25:
    print(f"transposed: flatten/ravel = {ratio:.2f}: the same time, within noise (both make the same copy)")
else:
    print(f"transposed: flatten/ravel = {ratio:.2f} in this run; both make the same copy, so the gap is the machine")

fig, ax = plt.subplots(figsize=(6.4, 2.8), layout="constrained")
fastest = min(timings.values())
bars = ax.barh(
    list(timings), [t / fastest for t in timings.values()], color=["#2a9d8f", "#e76f51", "#e76f51", "#e76f51"]
)
ax.bar_label(bars, labels=[f"{t / fastest:,.0f}x" for t in timings.values()], padding=3, fontsize=8)
ax.set_xscale("log")
ax.invert_yaxis()
ax.set_xlabel("time relative to the fastest (median of 7, log scale)")
ax.set_title("Is flatten ever faster than ravel?")
plt.show()

# %%
# What is the difference between ``ravel`` and ``reshape(-1)``?
# -------------------------------------------------------------
# On contiguous arrays, none. They differ on arrays whose elements are
# equally spaced but not adjacent: ``reshape`` can describe those with one
# stride, ``ravel`` insists on a contiguous result and copies.
every_other = a[:, ::2]
with viewcopy.claim("faq-reshape-views-strided", "reshape(-1) views a column-strided array that ravel copies"):
    viewcopy.expect_copy(every_other, every_other.ravel())
    flat = viewcopy.expect_view(every_other, every_other.reshape(-1))
    assert flat.strides == (every_other.strides[1],)
print("ravel:     ", viewcopy.predict(every_other, "ravel"))
print("reshape(-1):", viewcopy.predict(every_other, "reshape(-1)"))
print("the view's layout:", viewcopy.layout(flat))

# %%
# Does ``.base`` tell me whether I have a view?
# ---------------------------------------------
# No. ``base`` is ``None`` for arrays that own their memory, but a copy can
# have a base (``reshape`` copies into a temporary and returns a view of it),
# and a view's base is whichever array owns the memory, not the one you
# sliced. Only :func:`numpy.shares_memory` answers the question.
t_copy = a.T.reshape(-1)
with viewcopy.claim("faq-base-misleads", "a copy can have a .base; only shares_memory tells view from copy"):
    assert t_copy.base is not None
    assert not np.shares_memory(a, t_copy)
    first = a[10:]
    second = first[5:]
    assert second.base is not first and np.shares_memory(first, second)
print("a.T.reshape(-1):", viewcopy.relation(a.T, t_copy))
print("a[10:][5:]:     ", viewcopy.relation(first, second))
del t_copy

# %%
# Is ``np.shares_memory`` slow?
# -----------------------------
# For ordinary views, no: it is a bounds check plus a little arithmetic.
# For two arrays with unrelated strides over the same buffer it solves an
# integer problem whose cost can grow quickly; ``max_work`` bounds it and
# NumPy raises :class:`~numpy.exceptions.TooHardError` past the bound.
# :func:`numpy.may_share_memory` only compares the memory bounds.
r = a.ravel()
x = np.zeros((4, 5, 6), dtype=np.int8)
p, q = x[:, ::2, ::3], x[:, ::3, ::2]
costs = {
    "may_share_memory(a, a.ravel())": median_seconds(lambda: np.may_share_memory(a, r), 101),
    "shares_memory(a, a.ravel())": median_seconds(lambda: np.shares_memory(a, r), 101),
    "shares_memory, crossed strides": median_seconds(lambda: np.shares_memory(p, q), 101),
}
for name, seconds in costs.items():
    print(f"{name:32} {seconds / costs['may_share_memory(a, a.ravel())']:6.1f}x may_share_memory")
TooHardError = getattr(np, "exceptions", np).TooHardError
with viewcopy.claim(
    "faq-shares-memory-bounded", "np.shares_memory raises TooHardError when max_work is too small"
) as c:
    try:
        np.shares_memory(p, q, max_work=1)
    except TooHardError as error:
        c.note(f"TooHardError: {error}")
        print("np.shares_memory(p, q, max_work=1) -> TooHardError:", error or "(no message)")
    else:
        raise AssertionError("no TooHardError")
    assert not viewcopy.relation(p, q, max_work=1).exact

# %%
# What do ``copy=False`` and ``copy=None`` mean in NumPy 2?
# ---------------------------------------------------------
# NumPy 2.0 changed ``np.array(x, copy=False)``: it used to mean "copy only
# if needed" and now means "never copy, raise ValueError if a copy is
# needed". ``copy=None`` (the default of :func:`numpy.asarray`) is the old
# "only if needed". NumPy 2.1 added the same keyword to ``reshape``.
numpy_version = tuple(int(p) for p in np.__version__.split(".")[:2])
needs_a_copy = a[:100].astype(np.float32)  # asking for float64 needs a conversion
with viewcopy.claim("faq-copy-false-numpy2", "np.array(x, copy=False) raises where a copy is needed (NumPy 2)") as c:
    try:
        converted = np.array(needs_a_copy, dtype=np.float64, copy=False)
    except ValueError as error:
        assert numpy_version >= (2, 0)
        c.note(f"ValueError: {str(error).splitlines()[0]}")
        print("np.array(x, dtype=float64, copy=False) -> ValueError:", str(error).splitlines()[0])
    else:
        assert numpy_version < (2, 0)  # NumPy 1.x: copy=False meant "if needed"
        c.note("no error: copy=False copied silently (NumPy 1.x meaning)")
        viewcopy.expect_copy(needs_a_copy, converted)
        print(f"NumPy {np.__version__}: copy=False copied silently")
with viewcopy.claim("faq-asarray-copies-if-needed", "np.asarray copies only when it has to"):
    viewcopy.expect_view(a, np.asarray(a))
    viewcopy.expect_copy(needs_a_copy, np.asarray(needs_a_copy, dtype=np.float64))

# %%
# Does any of this matter for small arrays?
# -----------------------------------------
# The article says that below a few thousand elements the RAM impact is
# negligible. Measured: a copy costs exactly its ``nbytes``, so a
# thousand-element copy is a few kilobytes, against the megabytes of the
# arrays above. Worry about the large arrays and the loops that copy them.
small = np.arange(1000.0)
with viewcopy.claim("faq-small-copies-are-small", "a copy of a small array allocates exactly its nbytes, no more"):
    with viewcopy.track() as t:
        small_copy = small.flatten()
    assert t.allocated_bytes == small_copy.nbytes
print(f"flatten of {small.size:,} float64: {t};  that is {t.allocated_bytes / a.nbytes:.6%} of a")

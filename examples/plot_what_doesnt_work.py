"""
What doesn't work (and what the article got wrong about it)
===========================================================

The source article lists anti-patterns. Each one is run here, measured,
and set beside its claim. Some claims hold; several do not, and where NumPy
disagrees with the article this page says so, with the measurement.
"""

# %%
# Setup
# -----
import logging
import os
import sys
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

import viewcopy

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
arr = np.arange(N, dtype=np.float64)
print(f"NumPy {np.__version__}; arr: {arr.size:,} float64, {viewcopy.format_bytes(arr.nbytes)}")
measured = {}  # anti-pattern -> bytes, for the figure at the end

# %%
# 1. ``list(arr.ravel())`` to force a copy
# ----------------------------------------
# **Claim:** it explodes memory and loses NumPy's speed. **Verdict: true.**
# Every element becomes a separate Python object (an ``np.float64`` scalar)
# plus a pointer to it in the list. NumPy allocates nothing (``track``
# counts 0 bytes), so the bytes show only in :mod:`tracemalloc`, which
# traces Python objects too. A hundredth of the array is enough to show the
# ratio.
part = arr[: N // 100]
with viewcopy.claim(
    "list-of-array-bloats", "list(arr) costs several times the array's own bytes, all in Python objects"
):
    tracemalloc.start()
    with viewcopy.track() as as_list:
        items = list(part.ravel())
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert as_list.allocated_bytes == 0  # no NumPy buffer at all ...
    assert python_peak > 3 * part.nbytes  # ... but Python objects
print(f"list() of {part.size:,} float64 ({viewcopy.format_bytes(part.nbytes)}):", as_list)
print(
    f"one element as a Python object: {sys.getsizeof(items[0])} bytes, plus an {sys.getsizeof([0]) - sys.getsizeof([])}-byte pointer"
)
print(f"that is {python_peak / part.nbytes:.1f} bytes of Python objects per byte of data (tracemalloc's peak)")
with viewcopy.track() as proper:
    independent = part.copy()
print("part.copy() instead:", proper)
measured["list(part)"] = python_peak
measured["part.copy()"] = proper.allocated_bytes
del items, independent

# %%
# 2. ``arr.copy().ravel()``
# -------------------------
# **Claim:** it "copies first, then creates a view, doubling allocation".
# **Verdict: false.** It allocates exactly one copy, the same bytes as
# ``flatten``; the ``ravel`` of a fresh C-contiguous copy is a free view.
# It is as good as ``flatten``, only less direct.
with viewcopy.claim("copy-then-ravel-is-one-copy", "arr.copy().ravel() allocates one copy, the same as flatten"):
    with viewcopy.track() as copy_ravel:
        c = arr.copy().ravel()
    with viewcopy.track() as flat:
        f = arr.flatten()
    assert copy_ravel.allocated_bytes == flat.allocated_bytes == arr.nbytes
print("arr.copy().ravel():", copy_ravel)
print("arr.flatten():     ", flat)
measured["arr.copy().ravel()"] = copy_ravel.allocated_bytes
measured["arr.flatten()"] = flat.allocated_bytes
del c, f

# %%
# 3. ``reshape(-1)`` on a non-contiguous array
# --------------------------------------------
# **Claim:** "may raise a ValueError on non-contiguous arrays". **Verdict:
# false.** :meth:`~numpy.ndarray.reshape` never refuses: it silently copies
# when no view is possible. That is the real danger, a copy nobody sees.
# The ValueError exists only when you ask for it with ``copy=False``
# (NumPy 2.1 and later), and assigning to ``.shape`` raises instead of copying.
grid = arr.reshape(-1, 1000)
transposed = grid.T
with viewcopy.claim("reshape-copies-silently", "reshape(-1) of a non-contiguous array copies instead of raising"):
    with viewcopy.track() as silent:
        flat_t = transposed.reshape(-1)
    viewcopy.expect_copy(transposed, flat_t)
    assert silent.allocated_bytes == transposed.nbytes
print("transposed.reshape(-1):", silent)
measured["arr2d.T.reshape(-1)"] = silent.allocated_bytes
del flat_t

numpy_2_1 = tuple(int(p) for p in np.__version__.split(".")[:2]) >= (2, 1)
with viewcopy.claim(
    "reshape-copy-false-raises",
    "reshape(-1, copy=False) raises ValueError on NumPy 2.1+; older releases reject the keyword",
) as c:
    try:
        transposed.reshape(-1, copy=False)
    except ValueError as error:  # NumPy >= 2.1
        assert numpy_2_1
        c.note(f"ValueError: {error}")
        print("reshape(-1, copy=False) ->", type(error).__name__ + ":", error)
    except TypeError as error:  # NumPy < 2.1 has no copy= keyword for reshape
        assert not numpy_2_1
        c.note(f"TypeError: {error} (no copy= keyword before NumPy 2.1)")
        print(f"NumPy {np.__version__} has no reshape(copy=...):", error)

with viewcopy.claim(
    "shape-assignment-raises", "assigning .shape on a non-contiguous array raises instead of copying"
) as c:
    try:
        transposed.shape = (-1,)
    except AttributeError as error:
        c.note(f"AttributeError: {error}")
        print("transposed.shape = (-1,) ->", type(error).__name__ + ":", error)
    else:
        raise AssertionError("assigning .shape did not raise")

# %%
# The article's code itself says ``np.reshape(-1)``, which is an error of
# another kind: :func:`numpy.reshape` needs the array as its first argument.
with viewcopy.claim("np-reshape-needs-array", "np.reshape(-1) without an array is a TypeError") as c:
    try:
        np.reshape(-1)
    except TypeError as error:
        c.note(f"TypeError: {error}")
        print("np.reshape(-1) ->", type(error).__name__ + ":", error)
    else:
        raise AssertionError("np.reshape(-1) did not raise")

# %%
# 4. Assuming ``flatten`` returns a view
# --------------------------------------
# **Claim:** it never does, and code that assumes so doubles its memory.
# **Verdict: true.** Even on a small, contiguous array, even for an order
# that matches memory, ``flatten`` allocates, and writes to it never reach
# the source.
with viewcopy.claim("flatten-never-views", "flatten copies for every order, even when a view was possible"):
    for order in "CFAK":
        viewcopy.expect_copy(grid, grid.flatten(order=order))
try:
    viewcopy.expect_view(grid, grid.flatten())
except viewcopy.UnexpectedCopyError as error:
    print("expect_view(grid, grid.flatten()) ->", error)

# %%
# 5. ``ravel`` on a non-contiguous array, expecting a copy
# --------------------------------------------------------
# **Claim:** unsafe without checking ``.base``. **Verdict: half true.**
# Whether ``ravel`` copies depends on the order as well as the layout: the
# transposed array is not C-contiguous, so ``ravel()`` copies, but
# ``ravel('A')`` and ``ravel('K')`` return views of it. And ``.base`` is
# the wrong check: use :func:`numpy.shares_memory` (or :func:`viewcopy.relation`).
with viewcopy.claim(
    "ravel-noncontiguous-may-view", "ravel of a transposed array copies in C order, views in A or K order"
):
    viewcopy.expect_copy(transposed, transposed.ravel())
    viewcopy.expect_view(transposed, transposed.ravel(order="A"))
    viewcopy.expect_view(transposed, transposed.ravel(order="K"))
with viewcopy.claim("base-misleads-reshape-copy", "a copy made by reshape still has a .base"):
    r = viewcopy.relation(transposed, transposed.reshape(-1))
    assert r.kind == "copy" and r.base_misleads
print("transposed.reshape(-1):", r)

# %%
# 6. Ignoring ``order``
# ---------------------
# **Claim:** it leads to "unexpected layout changes". **Verdict: imprecise.**
# The result of ``ravel``/``flatten`` is always one contiguous 1-D array;
# what ``order`` changes is the *sequence* of the elements and whether a copy
# is needed. Same data, different sequence, different cost:
tiny = np.arange(6).reshape(2, 3)
print("tiny.T.ravel()     ->", tiny.T.ravel(), "(copy)")
print("tiny.T.ravel('K')  ->", tiny.T.ravel("K"), "(view)")
with viewcopy.claim("order-changes-sequence-and-cost", "order changes the element sequence and whether ravel copies"):
    assert tiny.T.ravel().tolist() != tiny.T.ravel("K").tolist()
    with viewcopy.track() as default_order:
        in_c_order = viewcopy.expect_copy(transposed, transposed.ravel())
    with viewcopy.track() as keep_order:
        in_memory_order = viewcopy.expect_view(transposed, transposed.ravel("K"))
    assert default_order.allocated_bytes == transposed.nbytes and keep_order.allocated_bytes == 0
measured["arr2d.T.ravel()"] = default_order.allocated_bytes
measured["arr2d.T.ravel('K')"] = keep_order.allocated_bytes
del in_c_order, in_memory_order

# %%
# 7. The article's production guard, run as written on a 2-D array
# ----------------------------------------------------------------
# The article's guard was shown on a 1-D array, where it passes. On a 2-D
# array its final assertion compares the flattened shape with the 2-D shape,
# and fails however correct the code is:
logging.basicConfig(stream=sys.stdout, format="%(levelname)s:%(name)s:%(message)s", force=True)
arr2d = np.random.default_rng(0).random((N // 1000, 1000))


def article_guard(arr):
    result = arr.ravel()  # preferred when you only need a 1-D view
    if not np.shares_memory(arr, result):
        logging.warning("ravel produced a copy; consider reshaping instead")  # noqa: LOG015 (the article's code, as written)
    copy = arr.flatten(order="C")
    assert copy.shape == arr.shape and not np.shares_memory(arr, copy)
    return result, copy


with viewcopy.claim("article-guard-passes-1d", "the article's guard passes on a 1-D array"):
    article_guard(arr)
with viewcopy.claim("article-guard-fails-2d", "the article's guard raises AssertionError on any 2-D array"):
    try:
        article_guard(arr2d)
    except AssertionError:
        print(f"article_guard(arr2d) -> AssertionError: {arr2d.flatten().shape} != {arr2d.shape}")
    else:
        raise AssertionError("the article's guard passed on a 2-D array")

# %%
# A guard that checks what it means to check: the result is 1-D with every
# element, and is (or is not) sharing memory. On a transposed input it logs
# the copy instead of crashing:


@viewcopy.log_copies("flatten step")
def as_rows(block):
    return block.ravel()


logged = []  # keep the records too, to check them
collector = logging.Handler()
collector.emit = logged.append
logging.getLogger("viewcopy").addHandler(collector)
with viewcopy.claim("guard-logs-copy", "viewcopy.log_copies logs the copy ravel makes of a transposed array"):
    rows = as_rows(arr2d)
    assert rows.shape == (arr2d.size,) and not logged  # a view: nothing logged
    rows = as_rows(arr2d.T)
    assert rows.shape == (arr2d.size,) and len(logged) == 1
    assert logged[0].viewcopy_bytes == arr2d.nbytes

# %%
# The bytes, side by side
# -----------------------
fig, ax = plt.subplots(figsize=(7.5, 4), layout="constrained")
names = list(measured)
values = [measured[k] / 1e6 for k in names]
colours = ["#e76f51" if v else "#2a9d8f" for v in values]
bars = ax.barh(names, values, color=colours)
ax.bar_label(bars, labels=[viewcopy.format_bytes(measured[k]) for k in names], padding=3, fontsize=8)
ax.invert_yaxis()
ax.set_xlabel("bytes allocated, MB (list(): Python objects; the rest: NumPy buffers)")
ax.set_title("What each anti-pattern and its alternative allocate")
ax.margins(x=0.2)
plt.show()

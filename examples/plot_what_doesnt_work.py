"""
What doesn't work (and what the article got wrong about it)
===========================================================

The source article lists anti-patterns. Each one is run here, measured,
and set beside its claim. The :doc:`/primer` explains the terms this page
uses, and the :doc:`/glossary` defines each. Some claims hold; several do not, and where NumPy
disagrees with the article this page says so, with the measurement.
"""

# %%
# Setup
# -----
import logging
import os
import sys
import tracemalloc
import warnings

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
arr = np.arange(N, dtype=np.float64)
print(f"NumPy {np.__version__}; arr: {arr.size:,} float64, {viewcopy.format_bytes(arr.nbytes)}")
measured = {}  # anti-pattern -> bytes, for the figure at the end

# %%
# 1. ``list(arr.ravel())`` to force a copy
# ----------------------------------------
# **Claim:** it explodes memory and loses NumPy's speed. Every element
# becomes a separate Python object (an ``np.float64`` scalar) plus a pointer
# to it in the list. Measured: :claim:`list-of-array-bloats`. The list is
# built from a hundredth of the array, ``part``, and set beside
# ``part.copy()`` and ``part.flatten()``.
part = arr[: N // 100]
with claim(
    "list-of-array-bloats",
    f"list(part.ravel()), for part, this 1-D array of {part.size:,} float64, allocates no NumPy buffer "
    "(viewcopy.track's default meter, NumPy's handler, counts 0 bytes), yet tracemalloc, which traces Python objects "
    f"too, and memray (track(allocator=True)) each peak at more than 3 times part's own "
    f"{viewcopy.format_bytes(part.nbytes)} during it",
) as cl:
    tracemalloc.start()
    with viewcopy.track(allocator=True) as as_list:  # memray too: the objects are outside NumPy's handler
        items = list(part.ravel())
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    cl.check(
        as_list.allocated_bytes == 0, f"as_list.allocated_bytes == 0 ({as_list.allocated_bytes=!s})"
    )  # no NumPy buffer at all ...
    cl.check(
        python_peak > 3 * part.nbytes, f"python_peak > 3 * part.nbytes ({python_peak=!s}, {3 * part.nbytes=!s})"
    )  # ... but Python objects
    cl.check(
        as_list.allocator_peak_bytes > 3 * part.nbytes,
        f"memray peak {as_list.allocator_peak_bytes} B > 3 * part.nbytes {3 * part.nbytes} B",
    )
print(f"list() of {part.size:,} float64 ({viewcopy.format_bytes(part.nbytes)}):", as_list)
print(
    f"tracemalloc's peak: {python_peak / part.size:.1f} bytes per element for the list and its scalars, "
    f"against {part.itemsize} in the array. For scale: the list holds "
    f"{(sys.getsizeof(items) - sys.getsizeof([])) / len(items):.1f} bytes per slot (sys.getsizeof of the list); "
    f"the np.{type(items[0]).__name__} scalar type declares {type(items[0]).__basicsize__} bytes (__basicsize__) "
    f"and sys.getsizeof reports {sys.getsizeof(items[0])} for one"
)
with viewcopy.track() as proper:
    independent = part.copy()
with viewcopy.track() as flat_part:
    flattened = part.flatten()
print("part.copy() instead:   ", proper)
print("part.flatten() instead:", flat_part)
del items, independent, flattened


def tracemalloc_peak(call):
    """tracemalloc's peak during call(), Python objects and NumPy buffers alike: the first panel's one meter."""
    tracemalloc.start()
    kept = call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del kept
    return peak


same_size = {  # the figure's first panel: three ways to copy `part`, each by tracemalloc's peak
    "list(part)": tracemalloc_peak(lambda: list(part.ravel())),
    "part.copy()": tracemalloc_peak(part.copy),
    "part.flatten()": tracemalloc_peak(part.flatten),
}

# %%
# 2. ``arr.copy().ravel()``
# -------------------------
# Does it "copy first, then create a view, doubling allocation", as the
# article says? Measured on this array: :claim:`copy-then-ravel-is-one-copy`.
# (The search on :doc:`plot_article_searched` runs it on every layout.)
with claim(
    "copy-then-ravel-is-one-copy",
    f"arr.copy().ravel() allocates one copy, {viewcopy.format_bytes(arr.nbytes)}, the same bytes as arr.flatten(), "
    "for the ravel of the fresh C-contiguous copy is a view of it",
) as cl:
    with viewcopy.track() as copy_ravel:
        c = arr.copy().ravel()
    with viewcopy.track() as flat:
        f = arr.flatten()
    cl.check(
        copy_ravel.allocated_bytes == flat.allocated_bytes == arr.nbytes,
        f"copy_ravel.allocated_bytes == flat.allocated_bytes == arr.nbytes ({copy_ravel.allocated_bytes=!s}, {flat.allocated_bytes=!s}, {arr.nbytes=!s})",
    )
    fresh = arr.copy()
    cl.check(
        fresh.flags.c_contiguous and viewcopy.relation(fresh, fresh.ravel()).kind == "view",
        f"arr.copy() C-contiguous {fresh.flags.c_contiguous}; its ravel() a {viewcopy.relation(fresh, fresh.ravel()).kind}",
    )
    del fresh
print("arr.copy().ravel():", copy_ravel)
print("arr.flatten():     ", flat)
measured["arr.copy().ravel()"] = copy_ravel.allocated_bytes
measured["arr.flatten()"] = flat.allocated_bytes
del c, f

# %%
# 3. ``reshape(-1)`` on a non-contiguous array
# --------------------------------------------
# The article warns that it "may raise a ValueError on non-contiguous
# arrays": does it? What
# :meth:`~numpy.ndarray.reshape` does with its default ``order='C'`` (and
# ``'F'``, ``'A'``; :term:`order`), over the :term:`family`:
# :claim:`reshape-never-refuses-c-f-a`. That silence is the real danger.
# Where NumPy does refuse: :claim:`reshape-copy-false-raises`;
# :claim:`shape-assignment-raises`; and, on the searched page,
# :claim:`searched-reshape-views-one-stride`. The evidence, on the NumPy
# that built this page, is printed below.
grid = arr.reshape(-1, 1000)
transposed = grid.T
with claim(
    "reshape-copies-silently",
    "transposed.reshape(-1), of this F-ordered 2-D view, copies its nbytes instead of raising",
) as cl:
    with viewcopy.track() as silent:
        flat_t = transposed.reshape(-1)
    viewcopy.expect_copy(transposed, flat_t)
    cl.check(
        silent.allocated_bytes == transposed.nbytes,
        f"silent.allocated_bytes == transposed.nbytes ({silent.allocated_bytes=!s}, {transposed.nbytes=!s})",
    )
print("transposed.reshape(-1):", silent)

CASES = layouts()
with (
    claim(
        "reshape-never-refuses-c-f-a",
        "reshape(-1) in order C, F or A never raises or warns on any layout: it returns a view or copies silently",
    ) as c,
    warnings.catch_warnings(),
):
    warnings.simplefilter("error")
    for case in c.over(CASES):
        for order in "CFA":
            c.check(
                case.array.reshape(-1, order=order).shape == (case.array.size,),
                f"{case.name!s}: case.array.reshape(-1, order=order).shape == (case.array.size,) ({case.array.reshape(-1, order=order).shape=!s}, {(case.array.size,)=!s})",
            )
print(f"reshape(-1) in order C, F and A: no error and no warning on {len(CASES)} layouts")
measured["transposed.reshape(-1)"] = silent.allocated_bytes
del flat_t

numpy_2_1 = tuple(int(p) for p in np.__version__.split(".")[:2]) >= (2, 1)
with claim(
    "reshape-copy-false-raises",
    "on every layout, reshape(-1, copy=False) raises ValueError exactly where reshape(-1) would copy and returns "
    "a view elsewhere on NumPy 2.1+; older releases reject the keyword (TypeError) on every layout",
) as c:
    for case in c.over(CASES):
        x = case.array
        copies = viewcopy.relation(x, x.reshape(-1)).kind == "copy"
        try:
            kept = x.reshape(-1, copy=False)
        except ValueError as error:  # NumPy >= 2.1, where a view is impossible
            c.check(numpy_2_1 and copies, f"{case.name}: ValueError ({error}); reshape(-1) copies: {copies}")
        except TypeError as error:  # NumPy < 2.1 has no copy= keyword for reshape
            c.check(not numpy_2_1, f"{case.name}: TypeError ({error}) on NumPy {np.__version__}")
        else:
            c.check(
                numpy_2_1 and not copies and viewcopy.relation(x, kept).kind == "view",
                f"{case.name}: returned a {viewcopy.relation(x, kept).kind}; reshape(-1) copies: {copies}",
            )
    try:
        transposed.reshape(-1, copy=False)
    except (ValueError, TypeError) as error:
        print("transposed.reshape(-1, copy=False) ->", type(error).__name__ + ":", error)

numpy_2_5 = tuple(int(p) for p in np.__version__.split(".")[:2]) >= (2, 5)
with claim(
    "shape-assignment-raises",
    "assigning .shape = (-1,) raises AttributeError on exactly the layouts whose reshape(-1) would copy, and "
    "reshapes the others in place (NumPy 2.5+ warns that assigning .shape is deprecated)",
) as c:
    for case in c.over(CASES):
        x = case.array
        y = x.view()  # the case itself keeps its shape
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                y.shape = (-1,)
                assigned = True
            except AttributeError:
                assigned = False
        views = viewcopy.relation(x, x.reshape(-1)).kind == "view"
        c.check(assigned == views, f"{case.name}: .shape assigned {assigned}, reshape(-1) a view {views}")
        deprecated = any(issubclass(w.category, DeprecationWarning) for w in caught)
        c.check(deprecated == numpy_2_5, f"{case.name}: DeprecationWarning {deprecated} on NumPy {np.__version__}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            transposed.shape = (-1,)
    except AttributeError as error:
        print("transposed.shape = (-1,) ->", type(error).__name__ + ":", error)
    strided = np.zeros((1000, 1000))[:, ::2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        strided.shape = (-1,)
    print(
        "np.zeros((1000, 1000))[:, ::2].shape = (-1,) -> shape", strided.shape, "(one stride walks it: no copy needed)"
    )
    del strided

# %%
# The article's code itself says ``np.reshape(-1)``, which is an error of
# another kind: :func:`numpy.reshape` needs the array as its first argument.
with claim("np-reshape-needs-array", "np.reshape(-1) without an array is a TypeError") as c:
    try:
        np.reshape(-1)
    except TypeError as error:
        raised = f"TypeError: {error}"
        print("np.reshape(-1) ->", type(error).__name__ + ":", error)
    else:
        raised = "nothing raised"
    c.check(raised.startswith("TypeError"), f"np.reshape(-1): {raised}")

# %%
# 4. Assuming ``flatten`` returns a view
# --------------------------------------
# **Claim:** it never does, and code that assumes so doubles its memory.
# Over the family: :claim:`flatten-never-views`.
RAVEL_VIEWS = sum(
    viewcopy.relation(case.array, case.array.ravel(order=order)).kind == "view" for case in CASES for order in "CFAK"
)
with claim(
    "flatten-never-views",
    f"flatten copies in every order (C, F, A, K) on every one of the family's {len(CASES)} layouts, including the "
    f"{RAVEL_VIEWS} pairs of a layout and an order where ravel in that order returns a view",
) as c:
    ravel_views = 0
    for case in c.over(CASES):
        for order in "CFAK":
            viewcopy.expect_copy(case.array, case.array.flatten(order=order))
            ravel_views += viewcopy.relation(case.array, case.array.ravel(order=order)).kind == "view"
    c.check(
        ravel_views == RAVEL_VIEWS > 0,
        f"ravel returned a view on {ravel_views} (layout, order) pairs of {len(CASES) * 4}",
    )
try:
    viewcopy.expect_view(grid, grid.flatten())
except viewcopy.UnexpectedCopyError as error:
    print("expect_view(grid, grid.flatten()) ->", error)

# %%
# 5. ``ravel`` on a non-contiguous array, expecting a copy
# --------------------------------------------------------
# **Claim:** unsafe without checking ``.base``. On this page's arrays:
# :claim:`ravel-noncontiguous-may-view`. And :claim:`base-misleads-reshape-copy`,
# so ``.base`` is the wrong check. Use :func:`viewcopy.relation` (or, for
# arrays that hold bytes, :func:`numpy.shares_memory`).
with claim(
    "ravel-noncontiguous-may-view",
    "whether ravel copies depends on the order as well as the layout: transposed, this F-ordered view, is not "
    "C-contiguous, and its ravel copies in C order and is a view in A or K order, while ravel of grid, its "
    "C-contiguous source, is a view in C order",
) as cl:
    cl.check(
        not transposed.flags.c_contiguous and grid.flags.c_contiguous,
        f"transposed C-contiguous {transposed.flags.c_contiguous}, grid C-contiguous {grid.flags.c_contiguous}",
    )
    viewcopy.expect_copy(transposed, transposed.ravel())
    viewcopy.expect_view(transposed, transposed.ravel(order="A"))
    viewcopy.expect_view(transposed, transposed.ravel(order="K"))
    viewcopy.expect_view(grid, grid.ravel())
with claim("base-misleads-reshape-copy", "this copy made by transposed.reshape(-1) still has a .base") as cl:
    r = viewcopy.relation(transposed, transposed.reshape(-1))
    cl.check(r.kind == "copy" and r.base_misleads, f'r.kind == "copy" and r.base_misleads ({r.kind=!s})')
print("transposed.reshape(-1):", r)

# %%
# 6. Ignoring ``order``
# ---------------------
# **Claim:** it leads to "unexpected layout changes". Over the family:
# :claim:`ravel-one-contiguous-1d`. What ``order`` changes, on this page's
# arrays: :claim:`order-changes-sequence-and-cost`. Same data, different
# sequence, different cost:
with claim(
    "ravel-one-contiguous-1d",
    f"ravel returns one C-contiguous 1-D array holding every element (those of flatten in the same order) in every order (C, F, A, K) on every one of the "
    f"family's {len(CASES)} layouts",
) as c:
    for case in c.over(CASES):
        for order in "CFAK":
            out = case.array.ravel(order=order)
            c.check(
                out.ndim == 1 and out.flags.c_contiguous and np.array_equal(out, case.array.flatten(order=order)),
                f"{case.name}, order {order}: ndim {out.ndim}, size {out.size} of {case.array.size}, "
                f"C-contiguous {out.flags.c_contiguous}",
            )
    del out
tiny = np.arange(6).reshape(2, 3)
print("tiny.T.ravel()     ->", tiny.T.ravel(), "(copy)")
print("tiny.T.ravel('K')  ->", tiny.T.ravel("K"), "(view)")
with claim(
    "order-changes-sequence-and-cost",
    "order changes the element sequence of tiny.T.ravel() and whether ravel copies transposed: in C order it copies "
    f"its {viewcopy.format_bytes(transposed.nbytes)}, in K order it is a view and allocates 0 bytes",
) as cl:
    cl.check(
        tiny.T.ravel().tolist() != tiny.T.ravel("K").tolist(),
        f'tiny.T.ravel().tolist() != tiny.T.ravel("K").tolist() ({tiny.T.ravel().tolist()=!s}, {tiny.T.ravel("K").tolist()=!s})',
    )
    with viewcopy.track() as default_order:
        in_c_order = viewcopy.expect_copy(transposed, transposed.ravel())
    with viewcopy.track() as keep_order:
        in_memory_order = viewcopy.expect_view(transposed, transposed.ravel("K"))
    cl.check(
        default_order.allocated_bytes == transposed.nbytes and keep_order.allocated_bytes == 0,
        f"default_order.allocated_bytes == transposed.nbytes and keep_order.allocated_bytes == 0 ({default_order.allocated_bytes=!s}, {transposed.nbytes=!s}, {keep_order.allocated_bytes=!s})",
    )
measured["transposed.ravel()"] = default_order.allocated_bytes
measured["transposed.ravel('K')"] = keep_order.allocated_bytes
del in_c_order, in_memory_order

# %%
# 7. The article's production guard, run as written on a 2-D array
# ----------------------------------------------------------------
# The article's guard was shown on a 1-D array, where it passes. On any
# other array its final assertion compares the 1-D flattened shape with the
# input's shape, and fails however correct the code is. Checked on every
# layout of the family that is not 1-D, 0-d included:
logging.basicConfig(stream=sys.stdout, format="%(levelname)s:%(name)s:%(message)s", force=True)
arr2d = np.random.default_rng(0).random((N // 1000, 1000))


def article_guard(arr):
    result = arr.ravel()  # preferred when you only need a 1-D view
    if not np.shares_memory(arr, result):
        logging.warning("ravel produced a copy; consider reshaping instead")  # noqa: LOG015 (the article's code, as written)
    copy = arr.flatten(order="C")
    if not (copy.shape == arr.shape and not np.shares_memory(arr, copy)):
        raise AssertionError  # the article's `assert`, written out: python -O does not strip it
    return result, copy


with claim("article-guard-passes-1d", "the article's guard passes on arr, this 1-D array") as c:
    _, arr_copy = article_guard(arr)
    c.check(
        arr_copy.shape == arr.shape and not np.shares_memory(arr, arr_copy),
        f"the guard returned: flatten's copy has arr's shape {arr_copy.shape} and shares no memory with it",
    )
with claim("article-guard-fails-2d", "the article's guard raises AssertionError on every array that is not 1-D") as c:
    logging.disable(logging.WARNING)  # the guard's own warnings, hundreds of them
    try:
        for case in c.over([case for case in CASES if case.array.ndim != 1]):
            try:
                article_guard(case.array)
            except AssertionError:
                raised = True
            else:
                raised = False
            c.check(raised, f"{case.name}: the guard {'raised AssertionError' if raised else 'passed'}")
    finally:
        logging.disable(logging.NOTSET)
try:
    article_guard(arr2d)
except AssertionError:
    print(f"article_guard(arr2d) -> AssertionError: {arr2d.flatten().shape} != {arr2d.shape}")

# %%
# A guard that checks what it means to check, and does not crash:
# :claim:`guard-logs-copy`.


@viewcopy.log_copies("flatten step")
def as_rows(block):
    return block.ravel()


logged = []  # keep the records too, to check them
collector = logging.Handler()
collector.emit = logged.append
logging.getLogger("viewcopy").addHandler(collector)
with claim(
    "guard-logs-copy",
    f"as_rows, a ravel under viewcopy.log_copies, returns arr2d's {arr2d.size:,} elements as a 1-D view of it and "
    "logs nothing; on arr2d.T, this transposed array, it returns them as a 1-D copy and logs that copy, "
    f"{viewcopy.format_bytes(arr2d.nbytes)}, once, instead of raising",
) as cl:
    rows = as_rows(arr2d)
    cl.check(
        rows.shape == (arr2d.size,) and not logged,
        f"rows.shape == (arr2d.size,) and not logged ({rows.shape=!s}, {(arr2d.size,)=!s})",
    )  # a view: nothing logged
    cl.check(viewcopy.relation(arr2d, rows).kind == "view", f"as_rows(arr2d): {viewcopy.relation(arr2d, rows).kind}")
    rows = as_rows(arr2d.T)
    cl.check(
        rows.shape == (arr2d.size,) and len(logged) == 1,
        f"rows.shape == (arr2d.size,) and len(logged) == 1 ({rows.shape=!s}, {(arr2d.size,)=!s}, {len(logged)=!s})",
    )
    cl.check(
        logged[0].viewcopy_bytes == arr2d.nbytes,
        f"logged[0].viewcopy_bytes == arr2d.nbytes ({logged[0].viewcopy_bytes=!s}, {arr2d.nbytes=!s})",
    )
    cl.check(
        viewcopy.relation(arr2d.T, rows).kind == "copy", f"as_rows(arr2d.T): {viewcopy.relation(arr2d.T, rows).kind}"
    )

# %%
# The bytes, side by side
# -----------------------
# Two panels, each with one meter. On the left, the three ways of the first
# section applied to ``part`` (a hundredth of the array), each measured by
# :mod:`tracemalloc` during the call (Python objects and NumPy buffers
# alike); on the right, the operations on the whole array, measured by
# :func:`viewcopy.track` (NumPy buffers only).
fig, (left, right) = plt.subplots(
    1, 2, figsize=(9, 4), layout="constrained", gridspec_kw={"width_ratios": [len(same_size), len(measured)]}
)
for ax, values, title, meter in (
    (left, same_size, f"copies of part: {part.size:,} float64", "MB, tracemalloc's peak during the call"),
    (
        right,
        measured,
        f"the whole array: {arr.size:,} float64\n(transposed = arr.reshape(-1, 1000).T)",
        "MB of NumPy buffers allocated (viewcopy.track)",
    ),
):
    names = list(values)
    bars = ax.barh(
        names, [values[k] / 1e6 for k in names], color=["#e76f51" if values[k] else "#2a9d8f" for k in names]
    )
    ax.bar_label(bars, labels=[viewcopy.format_bytes(values[k]) for k in names], padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(meter)
    ax.set_title(title, fontsize=10)
    ax.margins(x=0.35)
fig.suptitle("What each anti-pattern and its alternative cost in memory (measured)")
plt.show()

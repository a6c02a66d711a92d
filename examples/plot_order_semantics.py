"""
Order semantics: C, F, A and K
==============================

Does ``order=`` (:term:`order`) decide only the *sequence* in which elements come
out, or also whether NumPy can hand back a :term:`view`? This page runs
:meth:`~numpy.ndarray.ravel`, :meth:`~numpy.ndarray.flatten` and
:meth:`~numpy.ndarray.reshape` with every order on five kinds of array, and
puts :func:`viewcopy.predict` (strides only, nothing run) beside what NumPy
does.
"""

# %%
# Reading order on a small array
# ------------------------------
# ``'C'`` reads row by row (last index fastest), ``'F'`` column by column
# (first index fastest). For ``'A'``: :claim:`order-a-means-f-if-f-contiguous`.
# ``'K'`` is documented (:func:`numpy.ravel`) as reading "the
# elements in the order they occur in memory, except for reversing the data
# when strides are negative"; a search further down runs that description,
# exception included (an axis with a negative stride is read in its own,
# logical direction: the stride's sign is dropped before sorting), on the
# layouts whose elements sit at distinct addresses and on a few interleaved
# arrays.
import os

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import as_strided

import viewcopy
from viewcopy.claims import Case, claim, layouts, search

print("NumPy", np.__version__)
small = np.arange(12).reshape(3, 4)
print(small)
for order in "CFAK":
    print(f"small.ravel(order={order!r}) ->", small.ravel(order=order))
print("strides of small:", small.strides, "(bytes to the next row, to the next column)")

with claim("order-c-rows-f-columns", "ravel('C') reads row by row, ravel('F') column by column") as c:
    c.check(
        small.ravel("C").tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        f'small.ravel("C").tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] ({small.ravel("C").tolist()=!s})',
    )
    c.check(
        small.ravel("F").tolist() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11],
        f'small.ravel("F").tolist() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11] ({small.ravel("F").tolist()=!s})',
    )
with claim("order-k-follows-memory", "ravel('K') of small.T (this transposed array) reads it in memory order") as c:
    c.check(
        small.T.ravel("K").tolist() == small.ravel("C").tolist(),
        f'small.T.ravel("K").tolist() == small.ravel("C").tolist() ({small.T.ravel("K").tolist()=!s}, {small.ravel("C").tolist()=!s})',
    )
    viewcopy.expect_view(small.T, small.T.ravel("K"))

# %%
# The diagram: what each order reads, and where it sits in memory
# ---------------------------------------------------------------
# The number in each cell is the position at which that element comes out.
# The strip below is the :term:`buffer` itself (the :term:`strides` are the
# steps): :claim:`order-small-strides`.
with claim(
    "order-small-strides",
    f"small is {small.size} {small.dtype} values of {small.itemsize} bytes in one C-ordered buffer; moving one column "
    f"is {small.strides[1]} bytes, one row {small.strides[0]} bytes",
) as c:
    c.check(
        small.flags.c_contiguous and small.base is not None and small.base.size == small.size,
        f"small: C-contiguous {small.flags.c_contiguous}, a view of a {small.base.size}-element buffer",
    )
    c.check(
        small.strides == (small.shape[1] * small.itemsize, small.itemsize),
        f"strides {small.strides}, item size {small.itemsize}",
    )
fig, axes = plt.subplot_mosaic([["C", "F"], ["mem", "mem"]], figsize=(7.5, 4.6), height_ratios=[3, 1.1])
for order in "CF":
    ax = axes[order]
    position = np.empty(12, dtype=int)
    position[small.ravel(order=order)] = np.arange(12)
    ax.imshow(position.reshape(3, 4), cmap="viridis", alpha=0.55)
    for (i, j), value in np.ndenumerate(small):
        ax.text(j, i, f"{position[value]}", ha="center", va="center", fontsize=13, weight="bold")
    ax.set_title(f"order='{order}': reading position", fontsize=11)
    ax.set_xticks(range(4), [f"col {j}" for j in range(4)], fontsize=8)
    ax.set_yticks(range(3), [f"row {i}" for i in range(3)], fontsize=8)
mem = axes["mem"]
for k in range(12):
    mem.add_patch(plt.Rectangle((k, 0), 1, 1, facecolor="#e9f5f3", edgecolor="#264653"))
    mem.text(k + 0.5, 0.5, str(k), ha="center", va="center")
mem.annotate("", xy=(1.5, 1.15), xytext=(0.5, 1.15), arrowprops={"arrowstyle": "->"})
mem.text(1, 1.3, f"+{small.strides[1]} B: next column", ha="center", fontsize=8)
mem.annotate("", xy=(4.5, -0.15), xytext=(0.5, -0.15), arrowprops={"arrowstyle": "->"})
mem.text(2.5, -0.55, f"+{small.strides[0]} B: next row", ha="center", fontsize=8)
mem.set_xlim(-0.2, 12.2)
mem.set_ylim(-0.8, 1.6)
mem.axis("off")
mem.set_title("memory of the C-ordered 3x4 array (strides (32, 8))", fontsize=10)
fig.suptitle("Reading order of a 3x4 array under order='C' and order='F'")
plt.show()

# %%
# ``'A'`` and ``'K'``, searched over the family
# ----------------------------------------------
# Both descriptions are rules about every array, so they are run on every
# layout of :func:`viewcopy.claims.layouts` (the :term:`family`) and the exceptions kept.
# For ``'K'``, the documented order is computed from the strides: each
# element's :term:`offset` with every stride's sign dropped (the documented
# exception: an axis with a negative stride is read reversed, that is in its
# logical direction), elements sorted by it. It is defined where no two elements
# sit at one address: :claim:`order-k-search-leaves-out-broadcasts`. The condition under which ``ravel('K')`` reads in that order is
# chosen by the search among the candidates below, and the smallest
# exceptions are run. So that the search also meets axes that interleave in
# memory, arrays made with :func:`numpy.lib.stride_tricks.as_strided` are
# added to it: :claim:`order-k-family-nests`.
CASES = layouts()
INTERLEAVED = [
    Case(f"as_strided(arange(10.), {shape}, strides={strides})", as_strided(np.arange(10.0), shape, strides))
    for shape, strides in [((2, 3), (24, 16)), ((3, 2), (16, 24)), ((2, 2, 2), (16, 24, 32))]
]


def offsets(x):
    """Byte offset of each element from the first one, in C order."""
    index = np.indices(x.shape)
    return sum((index[i] * s for i, s in enumerate(x.strides)), np.zeros(x.shape, dtype=np.intp)).ravel()


def documented_k(x):
    """The documented 'K' order: the elements sorted by their offsets with each stride's sign dropped.

    Dropping the sign is the documented exception: an axis with a negative
    stride is read reversed from memory order, in its logical direction.
    """
    index = np.indices(x.shape)
    unsigned = sum((index[i] * abs(s) for i, s in enumerate(x.strides)), np.zeros(x.shape, dtype=np.intp)).ravel()
    return x.ravel("C")[np.argsort(unsigned, kind="stable")]


def reads_as_documented(x):
    return x.size == 0 or np.array_equal(x.ravel("K"), documented_k(x))


with claim(
    "order-a-means-f-if-f-contiguous",
    "ravel('A') reads in F order if the array is F-contiguous, else in C order, on every layout",
) as c:
    a_rule = search(
        lambda x: np.array_equal(x.ravel("A"), x.ravel("F" if x.flags.f_contiguous else "C")),
        c.over(CASES),
        about="ravel('A') reads in F order if the array is F-contiguous, else in C order",
    )
    c.check(a_rule.holds, "a_rule.holds")
print(f"{a_rule.rule}: {a_rule.verdict}")

K_CONDITIONS = {
    "no axis longer than 1 has a negative stride": lambda x: (
        x.size == 0 or all(s >= 0 for s, n in zip(x.strides, x.shape, strict=False) if n > 1)
    ),
    "each axis longer than 1 steps (its stride's sign dropped) over the whole span of the axes with smaller strides": (
        lambda x: x.size == 0 or nested(x)
    ),
}


def nested(x):
    axes = sorted((abs(s), n) for s, n in zip(x.strides, x.shape, strict=False) if n > 1)
    span = 0
    for s, n in axes:
        if s <= span:
            return False
        span += (n - 1) * s
    return True


DISTINCT = [case for case in CASES + INTERLEAVED if len(np.unique(offsets(case.array))) == case.array.size]
left_out = [case for case in CASES + INTERLEAVED if case not in DISTINCT]


def zero_stride(x):
    return any(s == 0 and n > 1 for s, n in zip(x.strides, x.shape, strict=True))


not_nesting = [case for case in CASES if not nested(case.array)]
with claim(
    "order-k-family-nests",
    f"of the family's {len(CASES)} layouts, all but {len(not_nesting)} nest their axes (each axis longer than 1 "
    "steps, its stride's sign dropped, over the whole span of the axes with smaller strides), and those "
    f"{len(not_nesting)} are broadcasts with a zero stride; each of the {len(INTERLEAVED)} as_strided arrays added "
    "does not nest, and has its elements at distinct addresses",
) as c:
    for case in c.over(CASES + INTERLEAVED):
        x = case.array
        if case in INTERLEAVED:
            c.check(
                not nested(x) and len(np.unique(offsets(x))) == x.size,
                f"{case.name}: nests {nested(x)}, {len(np.unique(offsets(x)))} addresses for {x.size} elements",
            )
        elif not nested(x):
            c.check(zero_stride(x), f"{case.name}: does not nest, strides {x.strides}, and has no zero stride")

overlapping = [case.name for case in left_out if not zero_stride(case.array)]
with claim(
    "order-k-search-leaves-out-broadcasts",
    f"the {len(left_out)} arrays left out of the 'K' search, those with two elements at one address, are "
    f"{len(left_out) - len(overlapping)} broadcasts with a zero stride on an axis longer than 1 and "
    f"{len(overlapping)} other: {', '.join(overlapping) or 'none'}",
) as c:
    for case in c.over(left_out):
        x = case.array
        c.check(
            len(np.unique(offsets(x))) < x.size and (zero_stride(x) or case.name in {i.name for i in INTERLEAVED}),
            f"{case.name}: shape {x.shape}, strides {x.strides}, {len(np.unique(offsets(x)))} addresses "
            f"for {x.size} elements",
        )
k_rule = search(
    reads_as_documented,
    DISTINCT,
    about="ravel('K') reads the elements in memory order, each axis with a negative stride reversed",
)
k_condition = k_rule.exactly_when(K_CONDITIONS)
with claim(
    "order-k-memory-order-exactly-when",
    f"on the {len(DISTINCT)} arrays searched whose elements sit at distinct addresses (layouts of the family "
    f"and the interleaved as_strided ones), ravel('K') reads them as documented (in memory order, each axis with a "
    f"negative stride reversed) exactly when {k_condition}; it fails on {len(k_rule.counterexamples)}: "
    f"{', '.join(case.name for case in k_rule.counterexamples) or 'none'}",
) as c:
    again = search(reads_as_documented, c.over(DISTINCT), about=k_rule.rule)
    found = again.exactly_when(K_CONDITIONS).condition
    c.check(found == k_condition.condition, f"the search kept {found!r}")
print(
    f"{len(DISTINCT)} arrays searched: the family's layouts and the interleaved ones whose elements sit at distinct addresses."
)
print("\n".join(k_condition.lines()))
print(f"{k_rule.rule}: {k_rule.verdict}; it does exactly when {k_condition}. The smallest exceptions:")
for case in k_rule.boundary():
    x = case.array
    print(
        f"  {case.name}: strides {x.strides}\n    ravel('K')   {x.ravel('K').real}\n    documented   {documented_k(x).real}"
    )

# %%
# Five kinds of array
# -------------------
# The same values in five layouts: a C-ordered ``base``, the Fortran-ordered
# array :func:`numpy.asfortranarray` makes of it, and three made by
# transposing, slicing and reversing ``base``.
# :claim:`order-kinds-views-and-one-copy`.
ROWS = 2_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 1_000
base = np.arange(ROWS * ROWS, dtype=np.float64).reshape(ROWS, ROWS)
kinds = {
    "C-ordered": base,
    "F-ordered": np.asfortranarray(base),
    "transposed": base.T,
    "sliced [:, ::2]": base[:, ::2],
    "reversed [::-1]": base[::-1],
}
with claim(
    "order-kinds-views-and-one-copy",
    f"np.asfortranarray(base) copies this {ROWS:,}x{ROWS:,} base, which is C-contiguous and not F-contiguous; "
    "base.T, base[:, ::2] and base[::-1] are views of base",
) as c:
    c.check(
        base.flags.c_contiguous and not base.flags.f_contiguous,
        f"base: C-contiguous {base.flags.c_contiguous}, F-contiguous {base.flags.f_contiguous}",
    )
    viewcopy.expect_copy(base, kinds["F-ordered"])
    for name in ("transposed", "sliced [:, ::2]", "reversed [::-1]"):
        viewcopy.expect_view(base, kinds[name])
for name, arr in kinds.items():
    lay = viewcopy.layout(arr)
    kind = "base itself" if arr is base else viewcopy.relation(base, arr).kind + " of base"
    print(f"{name:16} {kind:13} shape {lay.shape}, strides {lay.strides}, contiguous: {lay.order}")

# %%
# The grid: prediction beside measurement
# ---------------------------------------
# For every array kind, function and order, :func:`viewcopy.predict` gives
# its verdict from the strides alone; then the operation runs inside
# :func:`viewcopy.track`, and :func:`viewcopy.expect_view` or
# :func:`viewcopy.expect_copy` (judged by :func:`viewcopy.relation`, the
# site's one definition) gives the measured one.
# A disagreement would fail this page. ``reshape`` refuses ``order='K'``.
OPS = {
    "ravel": lambda arr, order: arr.ravel(order=order),
    "flatten": lambda arr, order: arr.flatten(order=order),
    "reshape(-1)": lambda arr, order: arr.reshape(-1, order=order),
}
columns = [(op, order) for op in OPS for order in "CFAK"]
grid = {}
for name, arr in kinds.items():
    for op, order in columns:
        if op == "reshape(-1)" and order == "K":
            try:
                arr.reshape(-1, order="K")
            except ValueError as error:
                grid[name, op, order] = ("refused", 0, str(error))
            continue
        predicted = viewcopy.predict(arr, op, order)
        claim_id = f"grid-{name.split()[0].lower()}-{op.replace('(-1)', '')}-{order.lower()}"
        call = f"reshape(-1, order={order!r})" if op == "reshape(-1)" else f"{op}(order={order!r})"
        sentence = f"{call} of the {name} array returns a {predicted.kind}"
        with claim(claim_id, sentence) as c:
            with viewcopy.track() as t:
                result = OPS[op](arr, order)
            expect = viewcopy.expect_view if predicted.kind == "view" else viewcopy.expect_copy
            expect(arr, result)
            c.check(
                t.allocated_bytes == (0 if predicted.kind == "view" else result.nbytes),
                f't.allocated_bytes == (0 if predicted.kind == "view" else result.nbytes) ({t.allocated_bytes=!s}, {0 if predicted.kind == "view" else result.nbytes=!s})',
            )
        grid[name, op, order] = (predicted.kind, t.allocated_bytes, predicted.reason)
        del result

print(f"{'':16}" + "".join(f"{op[:7]:>8}{order}" for op, order in columns))
for name in kinds:
    print(f"{name:16}" + "".join(f"{grid[name, op, order][0][:4]:>9}" for op, order in columns))

# %%
# The grid as a figure, coloured by verdict (green, orange; grey where NumPy
# refuses): :claim:`order-grid-bytes`.
cells = [(name, op, order) for (name, op, order), (kind, _, _) in grid.items() if kind != "refused"]
with claim(
    "order-grid-bytes",
    f"in this grid, each of the {sum(grid[cell][0] == 'view' for cell in cells)} view cells allocated 0 bytes and "
    f"each of the {sum(grid[cell][0] == 'copy' for cell in cells)} copy cells allocated its array's nbytes",
) as c:
    for name, op, order in c.over(cells):
        kind, allocated, _ = grid[name, op, order]
        c.check(
            allocated == (0 if kind == "view" else kinds[name].nbytes),
            f"{op} '{order}' of the {name} array: {kind}, {allocated:,} B; nbytes {kinds[name].nbytes:,}",
        )
colour = {"view": "#2a9d8f", "copy": "#e76f51", "refused": "#bbbbbb"}
fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
for i, name in enumerate(kinds):
    for j, (op, order) in enumerate(columns):
        kind, nbytes, _ = grid[name, op, order]
        ax.add_patch(plt.Rectangle((j, i), 0.95, 0.9, color=colour[kind]))
        label = "view\n0 B" if kind == "view" else "copy\n" + viewcopy.format_bytes(nbytes) if kind == "copy" else "n/a"
        ax.text(j + 0.47, i + 0.45, label, ha="center", va="center", fontsize=7, color="white", weight="bold")
ax.set_xlim(0, len(columns))
ax.set_ylim(len(kinds), 0)
ax.set_xticks([j + 0.47 for j in range(len(columns))], [f"{op}\n'{order}'" for op, order in columns], fontsize=7)
ax.set_yticks(
    [i + 0.45 for i in range(len(kinds))],
    [f"{name}\n{'x'.join(map(str, arr.shape))}, {viewcopy.format_bytes(arr.nbytes)}" for name, arr in kinds.items()],
    fontsize=8,
)
ax.tick_params(length=0)
for spine in ax.spines.values():
    spine.set_visible(False)
ax.set_title(
    "View or copy, measured on the five float64 arrays\n(shape and bytes at the left; prediction agreed in every cell)"
)
plt.show()

# %%
# What the grid says
# ------------------
# In this grid (the family-wide conditions are on :doc:`plot_article_searched`):
#
# * :claim:`order-grid-flatten-copies`.
# * :claim:`order-grid-ravel-rule`.
# * :claim:`order-grid-reshape-rule`.
# * :claim:`order-grid-reversed-no-view`: a negative row stride followed by
#   a positive column stride is not one single step.


def read_order(x, order):
    """The order ravel and reshape read ``x`` in: 'A' and 'K' read F order when ``x`` is F-contiguous."""
    return order if order in "CF" else ("F" if x.flags.f_contiguous else "C")


def one_stride(x, order):
    """Whether one stride takes each element of ``x`` to the next, read in ``order``."""
    steps = np.diff(offsets(x if order == "C" else x.T))
    return bool((steps == steps[0]).all())


def cells_of(op):
    return [(name, order) for name in kinds for order in "CFAK" if grid[name, op, order][0] != "refused"]


with claim(
    "order-grid-flatten-copies",
    f"in this grid, flatten copies in each of its {len(cells_of('flatten'))} cells, whatever the order",
) as c:
    for name, order in c.over(cells_of("flatten")):
        c.check(grid[name, "flatten", order][0] == "copy", f"flatten '{order}' of the {name} array")
with claim(
    "order-grid-ravel-rule",
    f"in this grid's {len(cells_of('ravel'))} ravel cells, ravel views exactly when the array is C-contiguous "
    "for 'C', F-contiguous for 'F', and either for 'A' and 'K', so 'A' and 'K' view the transposed array and the "
    "F-ordered one too",
) as c:
    for name, order in c.over(cells_of("ravel")):
        x = kinds[name]
        contiguous = {
            "C": x.flags.c_contiguous,
            "F": x.flags.f_contiguous,
            "A": x.flags.c_contiguous or x.flags.f_contiguous,
            "K": x.flags.c_contiguous or x.flags.f_contiguous,
        }[order]
        c.check(
            (grid[name, "ravel", order][0] == "view") == contiguous,
            f"ravel '{order}' of the {name} array: {grid[name, 'ravel', order][0]}; C-contiguous "
            f"{x.flags.c_contiguous}, F-contiguous {x.flags.f_contiguous}",
        )
    c.check(
        all(grid[name, "ravel", order][0] == "view" for name in ("transposed", "F-ordered") for order in "AK"),
        "ravel 'A' and 'K' of the transposed and F-ordered arrays: views",
    )
with claim(
    "order-grid-reshape-rule",
    f"in this grid's {len(cells_of('reshape(-1)'))} reshape(-1) cells, reshape views exactly when one stride walks "
    "the elements in the order it reads, which includes the column-sliced array that ravel copies "
    f"(its elements are a constant {kinds['sliced [:, ::2]'].strides[1]} bytes apart)",
) as c:
    for name, order in c.over(cells_of("reshape(-1)")):
        x, by = kinds[name], read_order(kinds[name], order)
        c.check(
            (grid[name, "reshape(-1)", order][0] == "view") == one_stride(x, by),
            f"reshape(-1) '{order}' of the {name} array: {grid[name, 'reshape(-1)', order][0]}; "
            f"one stride in {by} order: {one_stride(x, by)}",
        )
    c.check(
        grid["sliced [:, ::2]", "reshape(-1)", "C"][0] == "view" and grid["sliced [:, ::2]", "ravel", "C"][0] == "copy",
        "the column-sliced array: reshape(-1) a view, ravel a copy",
    )
with claim(
    "order-grid-reversed-no-view",
    "in this grid, no operation views the reversed array in 'C' or 'F' order",
) as c:
    for op in OPS:
        for order in "CF":
            c.check(grid["reversed [::-1]", op, order][0] != "view", f"{op} '{order}' of the reversed array")
with claim("reshape-views-where-ravel-copies", "reshape(-1) can view an array that ravel copies"):
    sliced = kinds["sliced [:, ::2]"]
    viewcopy.expect_copy(sliced, sliced.ravel())
    viewcopy.expect_view(sliced, sliced.reshape(-1))
print("sliced:", viewcopy.predict(sliced, "reshape(-1)"))

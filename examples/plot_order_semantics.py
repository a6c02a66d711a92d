"""
Order semantics: C, F, A and K
==============================

``order=`` (:term:`order`) decides two things at once: the *sequence* in which elements come
out, and whether NumPy can hand back a :term:`view` or has to :term:`copy`. This page runs
:meth:`~numpy.ndarray.ravel`, :meth:`~numpy.ndarray.flatten` and
:meth:`~numpy.ndarray.reshape` with every order on five kinds of array, and
puts :func:`viewcopy.predict` (strides only, nothing run) beside what NumPy
does.
"""

# %%
# Reading order on a small array
# ------------------------------
# ``'C'`` reads row by row (last index fastest), ``'F'`` column by column
# (first index fastest). ``'A'`` means F if the array is Fortran-contiguous (:term:`F-contiguous`),
# else C. ``'K'`` is documented (:func:`numpy.ravel`) as reading "the
# elements in the order they occur in memory, except for reversing the data
# when strides are negative"; a search further down runs that description,
# exception included, on every layout.
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
# The strip below is the :term:`buffer` itself: 12 int64 values, 8 bytes each;
# moving one column is 8 bytes, one row 32 bytes (the :term:`strides`).
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
# For ``'K'``, "memory order" is computed from the strides (each element's
# byte :term:`offset`, elements sorted by it); it is defined where no two elements
# share an address, so the zero-stride broadcasts are left out of that
# search. The condition under which ``ravel('K')`` reads in memory order is
# chosen by the search among the candidates below, and the smallest
# exceptions are run. The family's arrays all nest their axes (each stride
# steps over the whole span of the axes with smaller strides); so that the
# search also meets axes that interleave in memory without overlapping,
# three arrays made with :func:`numpy.lib.stride_tricks.as_strided` are added to it.
CASES = layouts()
INTERLEAVED = [
    Case(f"as_strided(arange(10.), {shape}, strides={strides})", as_strided(np.arange(10.0), shape, strides))
    for shape, strides in [((2, 3), (24, 16)), ((3, 2), (16, 24)), ((2, 2, 2), (8, 24, 32))]
]


def offsets(x):
    """Byte offset of each element from the first one, in C order."""
    index = np.indices(x.shape)
    return sum((index[i] * s for i, s in enumerate(x.strides)), np.zeros(x.shape, dtype=np.intp)).ravel()


def reads_in_memory_order(x):
    return x.size == 0 or np.array_equal(x.ravel("K"), x.ravel("C")[np.argsort(offsets(x), kind="stable")])


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
    "no stride is negative": lambda x: x.size == 0 or min(x.strides, default=0) >= 0,
    "no axis longer than 1 has a negative stride": lambda x: (
        x.size == 0 or all(s >= 0 for s, n in zip(x.strides, x.shape, strict=False) if n > 1)
    ),
    "no axis longer than 1 has a negative stride, and each such axis's stride exceeds the span of those with smaller strides": (
        lambda x: x.size == 0 or nested(x)
    ),
}


def nested(x):
    axes = sorted((s, n) for s, n in zip(x.strides, x.shape, strict=False) if n > 1)
    span = 0
    for s, n in axes:
        if s < 0 or s <= span:
            return False
        span += (n - 1) * s
    return True


DISTINCT = [case for case in CASES + INTERLEAVED if len(np.unique(offsets(case.array))) == case.array.size]
k_rule = search(reads_in_memory_order, DISTINCT, about="ravel('K') reads the elements in memory order")
k_condition = k_rule.exactly_when(K_CONDITIONS)
with claim(
    "order-k-memory-order-exactly-when",
    f"on the {len(DISTINCT)} arrays searched whose elements sit at distinct addresses (layouts of the family "
    f"and the interleaved as_strided ones), ravel('K') reads them in memory order exactly when {k_condition}",
) as c:
    again = search(reads_in_memory_order, c.over(DISTINCT), about=k_rule.rule)
    found = again.exactly_when(K_CONDITIONS).condition
    c.check(found == k_condition.condition, f"the search kept {found!r}")
print(
    f"{len(DISTINCT)} arrays searched: the family's layouts and the interleaved ones whose elements sit at distinct addresses."
)
print("\n".join(k_condition.lines()))
print(f"{k_rule.rule}: {k_rule.verdict}; it does exactly when {k_condition}. The smallest exceptions:")
for case in k_rule.boundary():
    x = case.array
    in_memory = x.ravel("C")[np.argsort(offsets(x), kind="stable")]
    print(
        f"  {case.name}: strides {x.strides}\n    ravel('K')   {x.ravel('K').real}\n    memory order {in_memory.real}"
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
# For every array kind, function and order, :func:`viewcopy.predict` says
# view or copy from the strides alone; then the operation runs inside
# :func:`viewcopy.track`, and :func:`viewcopy.expect_view` or
# :func:`viewcopy.expect_copy` (the site's one definition of a view,
# :func:`viewcopy.relation`) gives the verdict.
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
# The grid as a figure: green cells are views (0 bytes), orange cells copies
# (the bytes are the whole array), grey cells are refused by NumPy.
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
ax.set_yticks([i + 0.45 for i in range(len(kinds))], list(kinds), fontsize=8)
ax.tick_params(length=0)
for spine in ax.spines.values():
    spine.set_visible(False)
ax.set_title(f"View or copy, measured on {ROWS}x{ROWS} float64 arrays (prediction agreed in every cell)")
plt.show()

# %%
# What the grid says
# ------------------
# In this grid (the family-wide conditions are on :doc:`plot_article_searched`):
#
# * ``flatten`` copies in every cell, whatever the order.
# * ``ravel`` views only when the requested order *is* the memory order:
#   ``'C'`` on C-contiguous, ``'F'`` on F-contiguous; ``'A'`` and ``'K'``
#   pick the order that matches, so they view the transposed and
#   F-ordered arrays too.
# * ``reshape(-1)`` views wherever one stride can walk all elements in the
#   requested order, which includes the column-sliced array that ``ravel``
#   copies (the element spacing is a constant 16 bytes).
# * Nothing views the reversed array in C or F order: a negative row stride
#   followed by a positive column stride is not one single step.
with claim("reshape-views-where-ravel-copies", "reshape(-1) can view an array that ravel copies"):
    sliced = kinds["sliced [:, ::2]"]
    viewcopy.expect_copy(sliced, sliced.ravel())
    viewcopy.expect_view(sliced, sliced.reshape(-1))
print("sliced:", viewcopy.predict(sliced, "reshape(-1)"))

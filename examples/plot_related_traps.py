"""
Related traps: masks, fancy indexing, concatenate, strides
==========================================================

The source article links to four neighbouring problems. Each is easy to
miss, and each is measured here. The :doc:`/primer` defines the terms this
page uses.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
values = np.random.default_rng(0).standard_normal(N)
print(f"NumPy {np.__version__}; values: {values.size:,} float64, {viewcopy.format_bytes(values.nbytes)}")

# %%
# Boolean masks: the mask, then the copy
# --------------------------------------
# ``values[values > 1]`` builds a :term:`boolean mask` first, then selects
# into a new array: :claim:`mask-peak-and-after`.
with claim(
    "mask-costs-mask-plus-result",
    "values[values > 1] allocates a one-byte-per-element mask (the comparison's result) plus a copy",
) as c:
    with viewcopy.track() as masked:
        selected = values[values > 1]
    viewcopy.expect_copy(values, selected)
    c.check(
        masked.allocated_bytes == selected.nbytes,
        f"masked.allocated_bytes == selected.nbytes ({masked.allocated_bytes=!s}, {selected.nbytes=!s})",
    )  # the mask is gone ...
    c.check(
        masked.peak_bytes >= selected.nbytes + values.size,
        f"masked.peak_bytes >= selected.nbytes + values.size ({masked.peak_bytes=!s}, {selected.nbytes + values.size=!s})",
    )  # ... but it was there at the peak
mask_bytes = values.size  # one byte per element: np.dtype(bool).itemsize == 1
with claim(
    "mask-peak-and-after",
    f"for values, values[values > 1] peaked at no less than its mask, one byte per element "
    f"({viewcopy.format_bytes(mask_bytes)}), and its result ({viewcopy.format_bytes(selected.nbytes)}) together, "
    "and kept the result alone once the statement ended",
) as c:
    c.check(np.dtype(bool).itemsize == 1, f"a bool element is {np.dtype(bool).itemsize} byte")
    c.check(
        masked.peak_bytes >= mask_bytes + selected.nbytes,
        f"peak {masked.peak_bytes:,} B; mask {mask_bytes:,} B + result {selected.nbytes:,} B",
    )
    c.check(
        masked.allocated_bytes == selected.nbytes, f"kept {masked.allocated_bytes:,} B; result {selected.nbytes:,} B"
    )
print(f"selected {selected.size:,} of {values.size:,} elements")
print("values[values > 1]:", masked)
bigger = (
    "larger than" if mask_bytes > selected.nbytes else "smaller than" if mask_bytes < selected.nbytes else "as large as"
)
print(
    f"the mask ({viewcopy.format_bytes(mask_bytes)}) was {bigger} the result ({viewcopy.format_bytes(selected.nbytes)}); "
    f"the peak was {masked.peak_bytes / selected.nbytes:.2f}x the result"
)

# %%
# Fancy indexing copies; the same slice is a view
# -----------------------------------------------
# An integer array as index (:term:`fancy indexing`) can pick any elements
# in any order. Even when the indices form a regular step:
# :claim:`fancy-index-copies`.
every_tenth = np.arange(0, N, 10)
with claim(
    "fancy-index-copies",
    "indexing with an integer array copies; the equivalent slice is a view (values, and the family's non-empty arrays)",
) as c:
    for case in c.over(layouts(where=lambda a: a.ndim > 0 and a.size > 0)):
        a = case.array
        picked = viewcopy.expect_copy(a, a[np.arange(0, a.shape[0], 2)])
        c.check(
            np.array_equal(picked, viewcopy.expect_view(a, a[::2])),
            f"{case.name!s}: np.array_equal(picked, viewcopy.expect_view(a, a[::2]))",
        )
    with viewcopy.track() as fancy:
        picked = viewcopy.expect_copy(values, values[every_tenth])
    with viewcopy.track() as sliced:
        stepped = viewcopy.expect_view(values, values[::10])
    c.check(np.array_equal(picked, stepped), "np.array_equal(picked, stepped)")
    c.check(
        fancy.allocated_bytes == picked.nbytes and sliced.allocated_bytes == 0,
        f"fancy.allocated_bytes == picked.nbytes and sliced.allocated_bytes == 0 ({fancy.allocated_bytes=!s}, {picked.nbytes=!s}, {sliced.allocated_bytes=!s})",
    )
print(f"checked on values and {c.cases} arrays of the family")
print("values[np.arange(0, N, 10)]:", fancy)
print("values[::10]:               ", sliced)
del picked, stepped, selected

# %%
# ``np.concatenate`` in a loop
# ----------------------------
# :claim:`concatenate-step-copies-accumulated`. Call k copies k chunks, so
# the calls together copy the data about (chunks + 1) / 2 times over (here,
# each call is measured and the figures summed):
# :claim:`concatenate-loop-quadratic`. At the end, once:
# :claim:`concatenate-once-and-prealloc`.
CHUNKS = 50
chunks = np.array_split(values, CHUNKS)

with viewcopy.track() as grown:
    grown_allocated = 0  # what each concatenate allocated for its new accumulator, measured
    acc = np.empty(0)
    steps = []  # (bytes the call allocated, bytes of the accumulator so far plus the chunk)
    for chunk in chunks:
        expected = acc.nbytes + chunk.nbytes
        with viewcopy.track() as step:
            acc = np.concatenate([acc, chunk])
        grown_allocated += step.allocated_bytes
        steps.append((step.allocated_bytes, expected))
with viewcopy.track() as once:
    joined = np.concatenate(chunks)
with viewcopy.track() as prealloc:
    out = np.empty(values.size)
    start = 0
    for chunk in chunks:
        out[start : start + chunk.size] = chunk
        start += chunk.size
times = grown_allocated / values.nbytes
with claim(
    "concatenate-loop-quadratic",
    f"concatenating these {CHUNKS} chunks in a loop allocated about (chunks + 1) / 2 = {(CHUNKS + 1) / 2} times the data",
) as c:
    c.check(
        np.array_equal(acc, joined) and np.array_equal(out, joined),
        "np.array_equal(acc, joined) and np.array_equal(out, joined)",
    )
    c.check(
        abs(times - (CHUNKS + 1) / 2) < 0.01 * CHUNKS,
        f"{times!s}: abs(times - (CHUNKS + 1) / 2) < 0.01 * CHUNKS ({abs(times - (CHUNKS + 1) / 2)=!s}, {0.01 * CHUNKS=!s})",
    )
    c.check(
        grown.peak_bytes >= 2 * values.nbytes * (CHUNKS - 1) / CHUNKS,
        f"grown.peak_bytes >= 2 * values.nbytes * (CHUNKS - 1) / CHUNKS ({grown.peak_bytes=!s}, {2 * values.nbytes * (CHUNKS - 1) / CHUNKS=!s})",
    )  # old and new accumulator together
    c.check(
        once.peak_bytes < 1.01 * values.nbytes and prealloc.peak_bytes < 1.01 * values.nbytes,
        f"once.peak_bytes < 1.01 * values.nbytes and prealloc.peak_bytes < 1.01 * values.nbytes ({once.peak_bytes=!s}, {1.01 * values.nbytes=!s}, {prealloc.peak_bytes=!s})",
    )
with claim(
    "concatenate-step-copies-accumulated",
    f"in the loop over these {CHUNKS} chunks, each np.concatenate([acc, chunk]) allocated a new accumulator of "
    "exactly acc.nbytes + chunk.nbytes, everything accumulated so far",
) as c:
    for k, (allocated, expected) in enumerate(c.over(steps)):
        c.check(
            allocated == expected, f"call {k + 1}: allocated {allocated:,} B, accumulator plus chunk {expected:,} B"
        )
with claim(
    "concatenate-once-and-prealloc",
    f"for these chunks, one np.concatenate allocated the data's {viewcopy.format_bytes(values.nbytes)} and no more, "
    "and filling a preallocated array allocated only that array",
) as c:
    c.check(
        once.allocated_bytes == once.peak_bytes == values.nbytes,
        f"one concatenate: {once}; the data {values.nbytes:,} B",
    )
    c.check(
        prealloc.allocated_bytes == prealloc.peak_bytes == values.nbytes,
        f"preallocate and fill: {prealloc}; the data {values.nbytes:,} B",
    )
rows = {
    "concatenate in a loop": (grown_allocated, grown.peak_bytes),
    "one concatenate": (once.allocated_bytes, once.peak_bytes),
    "preallocate, fill": (prealloc.allocated_bytes, prealloc.peak_bytes),
}
print(f"in a loop: {viewcopy.format_bytes(grown_allocated)} allocated in all, {times:.1f}x the data")
for name, (allocated, peak) in rows.items():
    print(f"{name:22} allocated {viewcopy.format_bytes(allocated):>9}, peak {viewcopy.format_bytes(peak):>9}")
del acc, joined, out

fig, ax = plt.subplots(figsize=(6.8, 3.0), layout="constrained")
ys = np.arange(len(rows))
for offset, which, label, colour in (
    (-0.2, 0, "allocated, summed over calls", "#e76f51"),
    (0.2, 1, "peak NumPy memory", "#264653"),
):
    sizes = [pair[which] for pair in rows.values()]
    ax.barh(ys + offset, [n / 1e6 for n in sizes], height=0.4, label=label, color=colour)
    for y, n in zip(ys + offset, sizes, strict=True):
        ax.annotate(f" {viewcopy.format_bytes(n)}", (n / 1e6, y), va="center", fontsize=7)
ax.set_yticks(ys, list(rows))
ax.invert_yaxis()
ax.set_xlim(0, grown_allocated / 1e6 * 1.18)
ax.set_xlabel("MB (linear, from 0), each bar measured with viewcopy.track")
ax.set_title(f"Joining {CHUNKS} chunks into {viewcopy.format_bytes(values.nbytes)}")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %%
# Strides: how a view describes its elements without copying them
# ---------------------------------------------------------------
# In (:term:`shape`, strides, :term:`offset`) over one :term:`buffer`, with
# :term:`broadcasting <broadcast>` among them: :claim:`views-are-strides-rules`.
grid = np.arange(12, dtype=np.float64).reshape(3, 4)
rows_stride, items_stride = grid.strides
views = {
    "grid": (grid, grid.strides, 0),
    "grid[:, ::2]": (grid[:, ::2], (rows_stride, 2 * items_stride), 0),
    "grid.T": (grid.T, (items_stride, rows_stride), 0),
    "grid[::-1]": (grid[::-1], (-rows_stride, items_stride), 2 * rows_stride),
    "broadcast_to(grid[0], (3, 4))": (np.broadcast_to(grid[0], (3, 4)), (0, items_stride), 0),
}
with claim(
    "views-are-strides-rules",
    "the views of this grid below are each a new shape, strides and offset over grid's buffer, allocating nothing: "
    "grid[:, ::2] doubles the item stride, grid.T swaps the strides, grid[::-1] negates the row stride and starts "
    "at the last row, and broadcast_to(grid[0], (3, 4)) has a row stride of 0 and a shape of its own",
) as c:
    for name, (view, strides, offset) in c.over(views.items()):
        with viewcopy.track() as t:
            viewcopy.expect_view(grid, view[...])
        lay = viewcopy.layout(view)
        c.check(
            t.allocated_bytes == 0 and (lay.strides, lay.offset) == (strides, offset),
            f"{name}: shape {lay.shape}, strides {lay.strides}, offset {lay.offset} B, {t.allocated_bytes} B allocated",
        )
    c.check(
        views["grid[::-1]"][0].__array_interface__["data"][0] == grid[2].__array_interface__["data"][0],
        "grid[::-1] starts where grid[2] does",
    )
    broadcast = views["broadcast_to(grid[0], (3, 4))"][0]
    c.check(broadcast.shape == (3, 4) != grid[0].shape, f"broadcast shape {broadcast.shape}, grid[0] {grid[0].shape}")
with claim(
    "views-are-strides",
    "slicing, transposing, reversing and broadcasting this grid make views with the strides and offset "
    "that the rules above predict",
) as c:
    for name, (view, strides, offset) in views.items():
        with viewcopy.track() as t:
            viewcopy.expect_view(grid, view[...])
        lay = viewcopy.layout(view)
        c.check(
            t.allocated_bytes == 0 and (lay.strides, lay.offset) == (strides, offset),
            f"{name!s}, {lay!s}: t.allocated_bytes == 0 and (lay.strides, lay.offset) == (strides, offset) ({t.allocated_bytes=!s}, {(lay.strides, lay.offset)=!s}, {(strides, offset)=!s})",
        )
        print(f"{name:30} shape {lay.shape!s:8} strides {lay.strides!s:9} offset {lay.offset:3} B  {lay.order}")
views = {name: view for name, (view, _, _) in views.items()}

fig, axes = plt.subplots(1, len(views), figsize=(11, 2.6), layout="constrained")
for ax, (name, view) in zip(axes, views.items(), strict=False):
    lay = viewcopy.layout(view)
    touched = np.zeros(grid.size)
    for index in np.ndindex(view.shape):
        touched[(lay.offset + sum(i * s for i, s in zip(index, lay.strides, strict=True))) // 8] += 1
    ax.imshow(touched.reshape(3, 4), cmap="Greens", vmin=0, vmax=6)
    for (i, j), hits in np.ndenumerate(touched.reshape(3, 4)):
        ax.text(
            j, i, f"{int(grid[i, j])}" + (f"\nx{int(hits)}" if hits > 1 else ""), ha="center", va="center", fontsize=8
        )
    ax.set_title(f"{name}\nstrides {lay.strides}", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Which bytes of the same 3x4 buffer each view reads (green; xN: read N times)", fontsize=10)
plt.show()

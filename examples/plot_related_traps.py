"""
Related traps: masks, fancy indexing, concatenate, strides
==========================================================

The source article links to four neighbouring problems. Each allocates in a
way that is easy to miss; each is measured here.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
values = np.random.default_rng(0).standard_normal(N)
print(f"NumPy {np.__version__}; values: {values.size:,} float64, {viewcopy.format_bytes(values.nbytes)}")

# %%
# Boolean masks: the mask, then the copy
# --------------------------------------
# ``values[values > 1]`` builds a ``bool`` mask first (one byte per
# element, whatever the selection), then copies the selected elements into
# a new array. Both are alive at the peak. The mask is freed at the end of
# the statement; the result stays.
with viewcopy.claim(
    "mask-costs-mask-plus-result", "boolean indexing allocates a one-byte-per-element mask plus a copy"
):
    with viewcopy.track() as masked:
        selected = values[values > 1]
    viewcopy.expect_copy(values, selected)
    assert masked.allocated_bytes == selected.nbytes  # the mask is gone ...
    assert masked.peak_bytes >= selected.nbytes + values.size  # ... but it was there at the peak
print(f"selected {selected.size:,} of {values.size:,} elements")
print("values[values > 1]:", masked)
print(f"peak / result = {masked.peak_bytes / selected.nbytes:.2f}: the mask cost more than the result")

# %%
# Fancy indexing always copies; slicing never does
# ------------------------------------------------
# An integer array as index can pick any elements in any order, so NumPy
# copies them, even when the indices happen to form a regular step. A slice
# with the same step is a view.
every_tenth = np.arange(0, N, 10)
with viewcopy.claim("fancy-index-copies", "indexing with an integer array copies; the equivalent slice is a view"):
    with viewcopy.track() as fancy:
        picked = viewcopy.expect_copy(values, values[every_tenth])
    with viewcopy.track() as sliced:
        stepped = viewcopy.expect_view(values, values[::10])
    assert np.array_equal(picked, stepped)
    assert fancy.allocated_bytes == picked.nbytes and sliced.allocated_bytes == 0
print("values[np.arange(0, N, 10)]:", fancy)
print("values[::10]:               ", sliced)
del picked, stepped, selected

# %%
# ``np.concatenate`` in a loop
# ----------------------------
# Growing an array by concatenation copies everything accumulated so far,
# every time: the bytes copied grow with the square of the number of
# chunks. One call at the end copies each byte once; writing into a
# preallocated array copies nothing extra.
CHUNKS = 50
chunks = np.array_split(values, CHUNKS)

with viewcopy.track() as grown:
    total_copied = 0
    acc = np.empty(0)
    for chunk in chunks:
        acc = np.concatenate([acc, chunk])
        total_copied += acc.nbytes
with viewcopy.track() as once:
    joined = np.concatenate(chunks)
with viewcopy.track() as prealloc:
    out = np.empty(values.size)
    start = 0
    for chunk in chunks:
        out[start : start + chunk.size] = chunk
        start += chunk.size
with viewcopy.claim("concatenate-loop-quadratic", "concatenating in a loop copies about chunks/2 times the data"):
    assert np.array_equal(acc, joined) and np.array_equal(out, joined)
    assert total_copied > CHUNKS / 2 * values.nbytes * 0.9
    assert grown.peak_bytes >= 2 * values.nbytes * (CHUNKS - 1) / CHUNKS  # old and new accumulator together
    assert once.peak_bytes < 1.01 * values.nbytes and prealloc.peak_bytes < 1.01 * values.nbytes
rows = {
    "concatenate in a loop": (total_copied, grown.peak_bytes),
    "one concatenate": (joined.nbytes, once.peak_bytes),
    "preallocate, fill": (out.nbytes, prealloc.peak_bytes),
}
for name, (copied, peak) in rows.items():
    print(f"{name:22} bytes copied {viewcopy.format_bytes(copied):>9}, peak {viewcopy.format_bytes(peak):>9}")
del acc, joined, out

fig, ax = plt.subplots(figsize=(6.8, 2.8), layout="constrained")
ys = np.arange(len(rows))
ax.barh(ys - 0.2, [c / 1e6 for c, _ in rows.values()], height=0.4, label="bytes copied in total", color="#e76f51")
ax.barh(ys + 0.2, [p / 1e6 for _, p in rows.values()], height=0.4, label="peak NumPy memory", color="#264653")
ax.set_yticks(ys, list(rows))
ax.invert_yaxis()
ax.set_xscale("log")
ax.set_xlabel("MB (log scale), measured with tracemalloc")
ax.set_title(f"Joining {CHUNKS} chunks into {viewcopy.format_bytes(values.nbytes)}")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %%
# Strides: how a view describes its elements without copying them
# ---------------------------------------------------------------
# A view is a new (shape, strides, offset) over the same buffer. Slicing
# multiplies a stride, transposing swaps them, reversing negates one,
# broadcasting sets one to 0 (so one value is seen many times).
grid = np.arange(12, dtype=np.float64).reshape(3, 4)
views = {
    "grid": grid,
    "grid[:, ::2]": grid[:, ::2],
    "grid.T": grid.T,
    "grid[::-1]": grid[::-1],
    "broadcast_to(grid[0], (3, 4))": np.broadcast_to(grid[0], (3, 4)),
}
with viewcopy.claim(
    "views-are-strides", "slicing, transposing, reversing and broadcasting are views that only change strides"
):
    for name, view in views.items():
        with viewcopy.track() as t:
            again = viewcopy.expect_view(grid, view[...])
        assert t.allocated_bytes == 0 and again.strides == view.strides
        lay = viewcopy.layout(view)
        print(f"{name:30} shape {lay.shape!s:8} strides {lay.strides!s:9} offset {lay.offset:3} B  {lay.order}")

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

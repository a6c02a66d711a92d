"""
Trap: growing an array with ``np.append``
=========================================

:claim:`trap-family-append-never-a-view`. In this page's loop:
:claim:`trap-append-copies-whole-array`; and
:claim:`trap-append-total-quadratic`. Prefer collecting the pieces and
joining once, or allocating the result first and filling it.

Reported in `numpy#17090 <https://github.com/numpy/numpy/issues/17090>`__
("Why is np.append so slow?") and
`numpy#10823 <https://github.com/numpy/numpy/issues/10823>`__
(``np.concatenate`` in a loop).
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts, time_ratio

FULL = bool(os.environ.get("VIEWCOPY_FULL_SCALE"))
STEPS = 200 if FULL else 100
CHUNK = 50_000 if FULL else 10_000
final_bytes = 8 * STEPS * CHUNK
print(f"NumPy {np.__version__}; {STEPS} chunks of {CHUNK:,} float64 -> {viewcopy.format_bytes(final_bytes)}")


def chunk(i):
    """The i-th piece of data, as a reader or a computation would hand it over."""
    return np.full(CHUNK, float(i))


# %%
# ``np.append`` in a loop
# -----------------------
# Each call is tracked on its own.
allocated_per_step = []
shared = []  # whether each step's result shares memory with the array before it
with viewcopy.track() as appending:
    acc = np.empty(0)
    for i in range(STEPS):
        piece = chunk(i)
        with viewcopy.track() as step:
            grown = np.append(acc, piece)
        shared.append(np.shares_memory(grown, acc))
        allocated_per_step.append(step.allocated_bytes)
        acc = grown
total_appended = sum(allocated_per_step)
with claim(
    "trap-append-copies-whole-array",
    f"each of the {STEPS} np.append calls allocates a new array holding everything so far: "
    f"{viewcopy.format_bytes(total_appended)} allocated in total for a result of {viewcopy.format_bytes(final_bytes)}",
) as c:
    c.check(not any(shared), f"none of the {len(shared)} results shares memory with the array before it")
    c.check(
        allocated_per_step == [8 * CHUNK * (i + 1) for i in range(STEPS)],
        f"step i (1 to {STEPS}) allocated i * 8 * CHUNK bytes: {allocated_per_step[0]:,} B, "
        f"{allocated_per_step[1]:,} B, ... {allocated_per_step[-1]:,} B",
    )
    c.check(
        acc.nbytes == final_bytes and total_appended > STEPS / 2 * final_bytes,
        f"acc.nbytes == final_bytes and total_appended > STEPS / 2 * final_bytes ({acc.nbytes=!s}, {final_bytes=!s}, {total_appended=!s}, {STEPS / 2 * final_bytes=!s})",
    )
with claim(
    "trap-append-total-quadratic",
    f"for this loop of {STEPS} steps, the calls allocated 1 + 2 + ... + {STEPS} chunks in total, "
    f"{STEPS} x {STEPS + 1} / 2 = {STEPS * (STEPS + 1) // 2:,} chunks, which grows with the square of the steps",
) as c:
    c.check(
        total_appended == 8 * CHUNK * STEPS * (STEPS + 1) // 2,
        f"{total_appended:,} B allocated; {STEPS * (STEPS + 1) // 2:,} chunks of {8 * CHUNK:,} B",
    )
print(
    f"np.append loop: {viewcopy.format_bytes(total_appended)} allocated, "
    f"{total_appended / final_bytes:.1f} times the result; peak {viewcopy.format_bytes(appending.peak_bytes)}"
)

# %%
# Collect, then join once
# -----------------------
# A Python list grows cheaply (it holds references, not data).
# :claim:`trap-join-once-allocates-result-once`; and
# :claim:`trap-join-once-peak-twice`.
with viewcopy.track() as collecting:
    parts = [chunk(i) for i in range(STEPS)]
    with viewcopy.track() as join:
        joined = np.concatenate(parts)
    del parts
with claim(
    "trap-join-once-allocates-result-once",
    "collecting the chunks in a list and calling np.concatenate once allocates the result once",
) as c:
    c.check(np.array_equal(joined, acc), "np.array_equal(joined, acc)")
    c.check(
        join.allocated_bytes == final_bytes and collecting.allocated_bytes == final_bytes,
        f"join.allocated_bytes == final_bytes and collecting.allocated_bytes == final_bytes ({join.allocated_bytes=!s}, {final_bytes=!s}, {collecting.allocated_bytes=!s})",
    )
print(f"list + one concatenate: peak {viewcopy.format_bytes(collecting.peak_bytes)}")
with claim(
    "trap-join-once-peak-twice",
    f"with the {STEPS} chunks and the joined result alive together, this list-then-concatenate peaked at "
    f"{collecting.peak_bytes / final_bytes:.2f} times the result",
) as c:
    c.check(
        2 * final_bytes <= collecting.peak_bytes <= 2 * final_bytes + 8 * CHUNK,
        f"peak {collecting.peak_bytes:,} B; the chunks {final_bytes:,} B, the result {final_bytes:,} B",
    )

# %%
# Allocate first, then fill
# -------------------------
# When the final size is known, ``np.empty`` once and write each piece
# into its slice: :claim:`trap-preallocate-peak-result-plus-chunk`.
with viewcopy.track() as filling:
    with viewcopy.track() as allocate:
        out = np.empty(STEPS * CHUNK)
    for i in range(STEPS):
        out[i * CHUNK : (i + 1) * CHUNK] = chunk(i)
with claim(
    "trap-preallocate-peak-result-plus-chunk",
    "filling this preallocated array peaks at the result plus one chunk (within 1%)",
) as c:
    c.check(np.array_equal(out, acc), "np.array_equal(out, acc)")
    c.check(
        filling.allocated_bytes == final_bytes,
        f"filling.allocated_bytes == final_bytes ({filling.allocated_bytes=!s}, {final_bytes=!s})",
    )
    c.check(
        filling.peak_bytes < 1.01 * (final_bytes + 8 * CHUNK),
        f"{filling!s}: filling.peak_bytes < 1.01 * (final_bytes + 8 * CHUNK) ({filling.peak_bytes=!s}, {1.01 * (final_bytes + 8 * CHUNK)=!s})",
    )
# Bytes allocated to build the result, measured, and each way's peak (which
# includes the chunks alive at once: all of them for the list, one at a time
# for the other two):
rows = {
    "np.append in a loop": (total_appended, appending.peak_bytes),
    "list, one concatenate": (join.allocated_bytes, collecting.peak_bytes),
    "preallocate, fill": (allocate.allocated_bytes, filling.peak_bytes),
}
for name, (built, peak) in rows.items():
    print(
        f"{name:22} allocated for the result {viewcopy.format_bytes(built):>9}, peak {viewcopy.format_bytes(peak):>9}"
    )

# %%
# The figure: the running total of what each ``np.append`` call was
# measured to take, against the line of the chunks themselves (computed).
steps = np.arange(1, STEPS + 1)
fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
ax.plot(steps, np.cumsum(allocated_per_step) / 1e6, label="np.append: new arrays (measured per call)", color="#e76f51")
ax.plot(steps, steps * 8 * CHUNK / 1e6, label="the chunks: step x chunk size (computed)", color="#2a9d8f")
ax.set_xlabel("step")
ax.set_ylabel("MB allocated so far")
ax.set_title(f"Building {viewcopy.format_bytes(final_bytes)} from {STEPS} chunks")
ax.legend(fontsize=8)
plt.show()
del acc, grown, joined, out

# %%
# Time, at a smaller size (so the page builds fast): the ``np.append`` loop
# against filling a preallocated array, timed in alternating rounds:
# :claim:`trap-append-loop-slower`.
SMALL_STEPS, SMALL_CHUNK = 50, 2_000
pieces = [np.full(SMALL_CHUNK, float(i)) for i in range(SMALL_STEPS)]


def by_append():
    acc = np.empty(0)
    for piece in pieces:
        acc = np.append(acc, piece)
    return acc


def by_filling():
    out = np.empty(SMALL_STEPS * SMALL_CHUNK)
    for i, piece in enumerate(pieces):
        out[i * SMALL_CHUNK : (i + 1) * SMALL_CHUNK] = piece
    return out


speed = time_ratio(
    by_append, by_filling, size=f"{SMALL_STEPS} chunks of {SMALL_CHUNK:,} float64", repeat=11, min_seconds=0.05
)
word = "slower" if speed.above(1) else "not measurably slower"
print(f"np.append loop / preallocated fill: {speed}: the append loop was {word}")
with claim(
    "trap-append-loop-slower",
    f"for {speed.size}, this np.append loop takes longer than filling this preallocated array",
) as c:
    c.check(speed.above(1), f"np.append loop / preallocated fill = {speed}")

# %%
# ``np.append`` never returns a view
# ----------------------------------
# Checked over the site's :term:`family` of layouts:
# :claim:`trap-family-append-never-a-view`.
with claim(
    "trap-family-append-never-a-view",
    "np.append never returns a view: for every layout in the family, its result shares no memory with its input",
) as appended:
    for case in appended.over(layouts()):
        a = case.array
        appended.check(
            not np.shares_memory(a, np.append(a, np.zeros(1, a.dtype))),
            f"{case.name!s}: not np.shares_memory(a, np.append(a, np.zeros(1, a.dtype)))",
        )
print(f"checked on {appended.cases} layouts")

# %%
# ``np.append`` flattens without ``axis=``
# ----------------------------------------
# A second surprise: without ``axis``, both arguments are raveled first,
# so appending a row to a table returns a flat array.
table = np.arange(6.0).reshape(2, 3)
with claim(
    "trap-append-without-axis-flattens",
    "np.append(table, row) without axis= returns a flat copy of this 2-D table; axis=0 keeps the rows",
) as c:
    flat = viewcopy.expect_copy(table, np.append(table, [[6.0, 7.0, 8.0]]))
    stacked = viewcopy.expect_copy(table, np.append(table, [[6.0, 7.0, 8.0]], axis=0))
    c.check(
        flat.shape == (9,) and stacked.shape == (3, 3),
        f"flat.shape == (9,) and stacked.shape == (3, 3) ({flat.shape=!s}, {stacked.shape=!s})",
    )
print("np.append(table, row).shape        ->", flat.shape)
print("np.append(table, row, axis=0).shape ->", stacked.shape)

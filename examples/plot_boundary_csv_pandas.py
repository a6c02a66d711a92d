"""
Boundary: from a CSV file through pandas to a NumPy matrix
==========================================================

Parsing a CSV file can take several times the memory of the frame it
makes: :claim:`csv-resident-peak-above-frame`. The parser's token buffers
are not NumPy's, and :func:`viewcopy.track` (which counts NumPy's data
buffers only) does not see them; what it sees of the finished frame depends
on the engine: :claim:`csv-numpy-handler-sees-the-c-engines-frame`. This
page writes real CSV files at build time, parses them with pandas' C and
pyarrow engines, and measures each step with the meter that sees its memory:

- the **kernel's resident high-water mark**, its rise over the block
  (``viewcopy.track(resident=True)``, Linux), which counts the pages the
  process touched, whoever asked for them: parsers, Arrow's pool, NumPy;
- **memray**, ``viewcopy.track(allocator=True)`` (``malloc`` and ``mmap``
  calls), to show what it misses: :claim:`csv-memray-misses-arrow-pool`;
- **Arrow's pool**, ``pa.total_allocated_bytes()``, for what Arrow holds;
- **NumPy's handler**, plain :func:`viewcopy.track`, for the NumPy arrays
  that ``to_numpy()`` builds.

Then it asks what ``to_numpy()``, ``.values`` and ``np.asarray(df)``
return (dtype, C or F order, lent or built) and measures four ways from
the file to the C-ordered ``float32`` matrix a model wants, and which of
the four is cheapest.
The pandas, pyarrow and NumPy releases that ran are printed first.
"""

# %%
# The file, and the meters
# ------------------------
# Eight columns of random floats, written with Arrow's CSV writer into a
# scratch folder. Before each measurement, ``settle()`` asks ``malloc`` and
# Arrow's pool to give back what they hold unused (``malloc_trim``,
# ``release_unused``); then ``viewcopy.track(resident=True)`` gives the rise
# of the resident high-water mark over the block
# (``Tracked.resident_peak_bytes``). That narrows what one measurement
# leaves to the next but does not remove it: each figure is what the block
# added in this process, after what ran before it on this page, so the same
# parse measured in two sections can differ.
import ctypes
import gc
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

import viewcopy
from viewcopy.claims import claim

PANDAS3 = int(pd.__version__.split(".")[0]) >= 3
FULL = bool(os.environ.get("VIEWCOPY_FULL_SCALE"))
ROWS = [500_000, 1_000_000, 2_000_000] if FULL else [100_000, 200_000, 400_000]
COLUMNS = list("abcdefgh")
print(f"pandas {pd.__version__}, pyarrow {pa.__version__} ({pa.default_memory_pool().backend_name} pool), "
      f"NumPy {np.__version__}")  # fmt: skip

_libc = ctypes.CDLL(None)


def settle():
    """Give back what the collector, malloc and Arrow's pool hold unused, before a resident measurement."""
    gc.collect()
    _libc.malloc_trim(0)
    pa.default_memory_pool().release_unused()


def order(array):
    return "C" if array.flags.c_contiguous else "F" if array.flags.f_contiguous else "neither C nor F"


folder = tempfile.mkdtemp(prefix="viewcopy-csv-")
rng = np.random.default_rng(0)
files = {}
for rows in ROWS:
    path = os.path.join(folder, f"readings-{rows}.csv")
    pa_csv.write_csv(pa.table({name: rng.random(rows) for name in COLUMNS}), path)
    files[rows] = path
    print(f"{path}: {viewcopy.format_bytes(os.path.getsize(path))}, {rows:,} rows x {len(COLUMNS)} float64 "
          f"({viewcopy.format_bytes(rows * len(COLUMNS) * 8)} of data)")  # fmt: skip
with open(files[ROWS[0]]) as text:
    print(text.readline() + text.readline(), end="")

# %%
# Peak memory against file size
# -----------------------------
# Each engine parses each file once, after one warm-up parse per engine
# (which loads code and starts thread pools before anything is measured).
ENGINES = {"c": {}, "pyarrow": {"engine": "pyarrow"}}
for options in ENGINES.values():
    pd.read_csv(files[ROWS[0]], **options)
rise = {engine: {} for engine in ENGINES}
frame_bytes = {}
for rows, path in files.items():
    for engine, options in ENGINES.items():
        settle()
        with viewcopy.track(resident=True) as parsed:
            frame = pd.read_csv(path, **options)
        rise[engine][rows] = parsed.resident_peak_bytes
        frame_bytes[rows] = int(frame.memory_usage(index=False).sum())
        del frame
    print(f"{rows:>9,} rows: frame {viewcopy.format_bytes(frame_bytes[rows]):>8}; resident peak rise "
          + ", ".join(f"{engine} {viewcopy.format_bytes(rise[engine][rows])}" for engine in ENGINES))  # fmt: skip

largest = ROWS[-1]
with claim(
    "csv-resident-peak-grows-with-file",
    f"with pandas {pd.__version__}, the resident peak (viewcopy.track(resident=True)) of read_csv grows with the "
    "file, for the C and pyarrow engines",
) as c:
    for engine in ENGINES:
        c.check(
            rise[engine][largest] > rise[engine][ROWS[0]],
            f"{engine}: {viewcopy.format_bytes(rise[engine][ROWS[0]])} for {ROWS[0]:,} rows, "
            f"{viewcopy.format_bytes(rise[engine][largest])} for {largest:,} rows",
        )
with claim(
    "csv-resident-peak-above-frame",
    f"with pandas {pd.__version__}, parsing the largest file raises the resident peak (viewcopy.track(resident=True)) "
    "by more than twice the finished frame's bytes (DataFrame.memory_usage()), with either engine",
) as c:
    for engine in ENGINES:
        c.check(
            rise[engine][largest] > 2 * frame_bytes[largest],
            f"{engine}: rise {viewcopy.format_bytes(rise[engine][largest])}, "
            f"frame {viewcopy.format_bytes(frame_bytes[largest])} (twice: {viewcopy.format_bytes(2 * frame_bytes[largest])})",
        )

# %%
# What memray sees of it
# ----------------------
# ``viewcopy.track(allocator=True)`` runs memray's ``Tracker`` over the
# block: it records every ``malloc``, ``realloc`` and ``mmap``. Arrow's
# pool maps large regions and then hands out memory from them without
# calling either; the warm-up parse above made the pool map its region, so
# within this block, for the pyarrow engine,
# :claim:`csv-memray-misses-arrow-pool`. (In a fresh process the first
# parse's block would show memray the region's mapping instead, which can be
# larger than the resident rise.) NumPy's handler, read by the same block:
# :claim:`csv-numpy-handler-sees-the-c-engines-frame`. For the C engine
# memray and the kernel count different things again: memray what was
# asked for, the kernel the pages touched (compare the two figures printed
# for it, which move with the pandas release). The same block also reads
# the resident high-water mark, and Arrow's pool is read before and after it.
seen = {}
for engine, options in ENGINES.items():
    settle()
    pool_before = pa.total_allocated_bytes()
    with viewcopy.track(allocator=True, resident=True) as parsed:
        frame = pd.read_csv(files[largest], **options)
        pool = pa.total_allocated_bytes() - pool_before
    seen[engine] = {"memray": parsed.allocator_peak_bytes, "resident": parsed.resident_peak_bytes, "pool": pool,
                    "numpy": parsed.allocated_bytes, "frame": int(frame.memory_usage(index=False).sum())}  # fmt: skip
    del frame
    print(f"{engine:8}: memray peak {viewcopy.format_bytes(seen[engine]['memray']):>9}, "
          f"resident peak rise {viewcopy.format_bytes(seen[engine]['resident']):>9}, "
          f"Arrow pool holds {viewcopy.format_bytes(pool)}")  # fmt: skip

with claim(
    "csv-numpy-handler-sees-the-c-engines-frame",
    f"with pandas {pd.__version__}, NumPy's handler (plain viewcopy.track) counts at least the finished frame's bytes "
    "(DataFrame.memory_usage()) for read_csv of the largest file with the C engine, and less than a tenth of them "
    "with engine='pyarrow', whose frame is in Arrow's pool",
) as c:
    for engine in ENGINES:
        numpy_side, frame_side = seen[engine]["numpy"], seen[engine]["frame"]
        c.check(
            numpy_side >= frame_side if engine == "c" else numpy_side < frame_side / 10,
            f"{engine}: NumPy's handler {viewcopy.format_bytes(numpy_side)}, frame {viewcopy.format_bytes(frame_side)}",
        )
with claim(
    "csv-memray-misses-arrow-pool",
    f"with pyarrow {pa.__version__}'s {pa.default_memory_pool().backend_name} pool, after a warm-up parse, memray "
    "(viewcopy.track(allocator=True)) sees less than half of the resident peak's rise of read_csv(engine='pyarrow') "
    "(viewcopy.track(resident=True)), while Arrow's pool (pa.total_allocated_bytes()) grows by at least the "
    "frame's bytes",
) as c:
    arrow = seen["pyarrow"]
    c.check(
        arrow["memray"] < arrow["resident"] / 2,
        f"memray peak {viewcopy.format_bytes(arrow['memray'])}, resident rise "
        f"{viewcopy.format_bytes(arrow['resident'])} (memray below half)",
    )
    c.check(
        arrow["pool"] >= frame_bytes[largest],
        f"Arrow pool {viewcopy.format_bytes(arrow['pool'])}, frame {viewcopy.format_bytes(frame_bytes[largest])}",
    )
# %%
# Reading less: ``dtype=``, ``usecols=``, ``chunksize=``, Arrow-backed
# --------------------------------------------------------------------
# The same largest file, five ways, by the same meter: the resident
# high-water mark.
path = files[largest]


def stream(path=path):
    total = 0.0
    for chunk in pd.read_csv(path, chunksize=20_000):
        total += float(chunk.to_numpy().sum())
    return total


VARIANTS = {
    "all columns, float64": lambda: pd.read_csv(path),
    "dtype=np.float32": lambda: pd.read_csv(path, dtype=np.float32),
    "usecols=['a', 'b']": lambda: pd.read_csv(path, usecols=["a", "b"]),
    "chunksize=20_000 (a running sum)": stream,
    "engine='pyarrow', dtype_backend='pyarrow'": lambda: pd.read_csv(path, engine="pyarrow", dtype_backend="pyarrow"),
}
variant_rise = {}
variant_result = {}
for name, call in VARIANTS.items():
    settle()
    with viewcopy.track(resident=True) as read:
        variant_result[name] = call()
    variant_rise[name] = read.resident_peak_bytes
    print(f"{name:42} resident peak rise {viewcopy.format_bytes(variant_rise[name]):>9}")
full_rise = variant_rise["all columns, float64"]
full_frame = variant_result["all columns, float64"]
with claim(
    "csv-float32-halves-the-frame",
    f"with pandas {pd.__version__}, read_csv(path, dtype=np.float32) gives a frame of half the bytes of the float64 "
    "one, by DataFrame.memory_usage()",
) as c:
    half = variant_result["dtype=np.float32"].memory_usage(index=False).sum()
    whole = full_frame.memory_usage(index=False).sum()
    c.check(2 * half == whole, f"float32 frame {viewcopy.format_bytes(half)}, float64 {viewcopy.format_bytes(whole)}")
with claim(
    "csv-usecols-lower-peak",
    f"with pandas {pd.__version__}, usecols= of 2 of the 8 columns raises the resident peak "
    "(viewcopy.track(resident=True)) less than reading the 8",
) as c:
    narrow = variant_rise["usecols=['a', 'b']"]
    c.check(narrow < full_rise, f"usecols {viewcopy.format_bytes(narrow)}, all {viewcopy.format_bytes(full_rise)}")
with claim(
    "csv-chunksize-lower-peak",
    f"with pandas {pd.__version__}, streaming the file in chunks of 20,000 rows raises the resident peak "
    "(viewcopy.track(resident=True)) less than reading it whole, and gives the same sum",
) as c:
    chunked = variant_rise["chunksize=20_000 (a running sum)"]
    c.check(chunked < full_rise, f"chunks {viewcopy.format_bytes(chunked)}, whole {viewcopy.format_bytes(full_rise)}")
    whole_sum = float(full_frame.to_numpy().sum())
    c.check(
        np.isclose(variant_result["chunksize=20_000 (a running sum)"], whole_sum),
        f"sums {variant_result['chunksize=20_000 (a running sum)']:.6f} and {whole_sum:.6f}",
    )
arrow_frame = variant_result["engine='pyarrow', dtype_backend='pyarrow'"]
print("dtype_backend='pyarrow' columns:", sorted({str(t) for t in arrow_frame.dtypes}))
del variant_result

# %%
# What ``to_numpy()``, ``.values`` and ``np.asarray(df)`` return
# --------------------------------------------------------------
# Whether a frame read from a CSV keeps its float64 columns in one 2-D
# block, which ``to_numpy()`` can lend, measured on five files:
# :claim:`csv-frame-one-block-by-size`. For the largest file, the three ways
# of asking for "the array": :claim:`csv-frame-to-numpy-f-shared`.
SMALL = [1_000, 10_000]  # two smaller files than the page's, written like them
for rows in SMALL:
    files[rows] = os.path.join(folder, f"readings-{rows}.csv")
    small_rng = np.random.default_rng(rows)
    pa_csv.write_csv(pa.table({name: small_rng.random(rows) for name in COLUMNS}), files[rows])


def lends_one_block(rows):
    """(does to_numpy() of read_csv(the `rows`-row file) share each column's memory, NumPy bytes it allocated, nbytes)."""
    read = pd.read_csv(files[rows])  # the C engine
    with viewcopy.track() as t:
        whole = read.to_numpy()
    return all(np.shares_memory(whole, read[name].to_numpy()) for name in COLUMNS), t.allocated_bytes, whole.nbytes


measured = {rows: lends_one_block(rows) for rows in [*SMALL, *ROWS]}
lends = {rows: shared for rows, (shared, _, _) in measured.items()}


def listed(sizes):
    return ", ".join(sizes[:-1]) + " and " + sizes[-1] if len(sizes) > 1 else "".join(sizes) or "no"


said = {answer: listed([f"{rows:,}" for rows in lends if lends[rows] is answer]) for answer in (True, False)}
with claim(
    "csv-frame-one-block-by-size",
    f"with pandas {pd.__version__}, to_numpy() of read_csv(path) (C engine, 8 float64 columns) shares memory with "
    f"its 8 columns (np.shares_memory; NumPy's handler counts no allocation) for the files of {said[True]} rows"
    + (
        f", and copies (NumPy's handler counts the copy) for the files of {said[False]} rows"
        if said[False] != "no"
        else ""
    ),
) as c:
    for rows in c.over([*SMALL, *ROWS]):
        shared, allocated, nbytes = measured[rows]
        c.check(
            allocated == 0 if shared else allocated >= nbytes,
            f"{rows:,} rows: shares memory with its 8 columns {shared}; allocated {allocated:,} B of {nbytes:,}",
        )
    c.check(
        all(lends[rows] for rows in ROWS),
        f"the page's own files ({', '.join(map(str, ROWS))} rows) each lend one block",
    )
frame = full_frame
column = frame["a"].to_numpy()
lent = {"df.to_numpy()": frame.to_numpy(), "df.values": frame.values, "np.asarray(df)": np.asarray(frame)}
with claim(
    "csv-frame-to-numpy-f-shared",
    f"with pandas {pd.__version__}, to_numpy(), .values and np.asarray() of the frame read from the {largest:,}-row "
    "file return its F-ordered block, shared with the frame (np.shares_memory) and "
    + ("not writeable" if PANDAS3 else "writeable"),
) as c:
    for name, array in lent.items():
        viewcopy.expect_view(column, array)
        c.check(array.flags.f_contiguous, f"{name}: F-contiguous {array.flags.f_contiguous}")
        c.check(not array.flags.c_contiguous, f"{name}: C-contiguous {array.flags.c_contiguous}")
        c.check(
            array.flags.writeable is not PANDAS3,
            f"{name}: writeable {array.flags.writeable} under pandas {pd.__version__}",
        )
for name, array in lent.items():
    print(f"{name:15} {array.dtype}, {order(array)}, shares: {np.shares_memory(array, column)}, "
          f"writeable: {array.flags.writeable}")  # fmt: skip
del lent

# %%
# Three frames with no one float64 block to lend, each of 1,000 rows of the
# file: :claim:`csv-other-frames-to-numpy-object-copy`. (Counted by
# NumPy's handler, plain :func:`viewcopy.track`: the arrays are NumPy's.)
# With one nullable column, or two of one dtype:
# :claim:`csv-one-nullable-column-to-numpy`.
small = frame.iloc[:1000]
OTHERS = {
    "float64 and text columns": small.assign(site="north"),
    "nullable Int64 and Float64": small[["a"]].assign(n=1).convert_dtypes(),
    "Arrow-backed (dtype_backend='pyarrow')": arrow_frame.iloc[:1000],
}
with claim(
    "csv-other-frames-to-numpy-object-copy",
    f"with pandas {pd.__version__}, to_numpy() of these frames, one with float64 and text columns, one with a "
    "nullable Int64 and a nullable Float64 column, and one of 8 Arrow-backed float columns, is a new writeable "
    "array of Python objects, whose buffer NumPy's handler (viewcopy.track) counts",
) as c:
    for name, other in OTHERS.items():
        with viewcopy.track() as built:
            array = other.to_numpy()
        kinds = ", ".join(sorted({str(t) for t in other.dtypes}))
        c.check(array.dtype == object, f"{name} ({kinds}): {array.dtype}")
        c.check(array.flags.writeable, f"{name}: writeable {array.flags.writeable}")
        c.check(
            built.allocated_bytes >= array.nbytes,
            f"{name}: NumPy's handler {built}, the array {viewcopy.format_bytes(array.nbytes)}",
        )
        print(f"{name:40} -> {array.dtype}, {order(array)}, {built}")
one_nullable = {
    "one Float64 column": small[["a"]].convert_dtypes(),
    "one Int64 column": small[["a"]].assign(n=1)[["n"]].convert_dtypes(),
    "two Float64 columns": small[["a", "b"]].convert_dtypes(),
}
got = {name: (sorted({str(t) for t in other.dtypes}), other.to_numpy().dtype) for name, other in one_nullable.items()}
with claim(
    "csv-one-nullable-column-to-numpy",
    f"with pandas {pd.__version__}, to_numpy() of a frame of this file's column a as one nullable Float64 column "
    f"(no value missing) gives {got['one Float64 column'][1]}, of one Int64 column of ones {got['one Int64 column'][1]}, "
    f"and of columns a and b as two Float64 columns {got['two Float64 columns'][1]}",
) as c:
    for name, other in one_nullable.items():
        kinds, dtype = got[name]
        again = other.to_numpy()
        c.check(
            again.dtype == dtype and not other.isna().to_numpy().any(),
            f"{name} ({', '.join(kinds)}, no value missing): {again.dtype}",
        )
with claim(
    "csv-arrow-frame-to-numpy-dtype-float",
    f"with pandas {pd.__version__}, to_numpy(dtype=np.float64) of the Arrow-backed frame gives float64, not objects",
) as c:
    wanted = arrow_frame.iloc[:1000].to_numpy(dtype=np.float64)
    c.check(wanted.dtype == np.float64, f"{wanted.dtype}, {order(wanted)}")

# %%
# The cheapest path to a C-ordered float32 matrix
# -----------------------------------------------
# A model wants ``float32`` rows, C-ordered. Four ways from the file, each
# measured by the resident high-water mark, ``track(resident=True)`` (which sees the
# parser, Arrow and NumPy); the last preallocates the matrix and fills it
# one parsed chunk at a time.


def via_float64_frame():
    return np.ascontiguousarray(pd.read_csv(path).to_numpy(dtype=np.float32))


def via_float32_frame():
    return np.ascontiguousarray(pd.read_csv(path, dtype=np.float32).to_numpy())


def via_arrow_float32():
    types = {name: pa.float32() for name in COLUMNS}
    table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types=types))
    return np.column_stack([table.column(name).to_numpy() for name in COLUMNS])


def via_chunks():
    matrix = np.empty((largest, len(COLUMNS)), dtype=np.float32)
    start = 0
    for chunk in pd.read_csv(path, dtype=np.float32, chunksize=20_000):
        matrix[start : start + len(chunk)] = chunk.to_numpy()
        start += len(chunk)
    return matrix


PATHS = {
    "read_csv -> to_numpy(float32) -> C": via_float64_frame,
    "read_csv(dtype=float32) -> C": via_float32_frame,
    "pyarrow.csv (float32) -> column_stack": via_arrow_float32,
    "read_csv(chunksize) into np.empty": via_chunks,
}
matrices, path_rise, path_seconds = {}, {}, {}
for name, make in PATHS.items():
    settle()
    with viewcopy.track(resident=True) as made:
        matrices[name] = make()
    path_rise[name] = made.resident_peak_bytes
    path_seconds[name] = made.seconds
target = matrices[next(iter(PATHS))]
for name in PATHS:
    print(f"{name:40} resident peak rise {viewcopy.format_bytes(path_rise[name]):>9} "
          f"({path_rise[name] / target.nbytes:.1f}x the matrix), {path_seconds[name]:.2f} s")  # fmt: skip
with claim(
    "csv-paths-same-matrix",
    f"with pandas {pd.__version__} and pyarrow {pa.__version__}, for this file's values the four paths give the same "
    "C-ordered float32 matrix",
) as c:
    for name, matrix in matrices.items():
        c.check(matrix.dtype == np.float32, f"{name}: {matrix.dtype}")
        c.check(matrix.flags.c_contiguous, f"{name}: {order(matrix)}")
        c.check(np.array_equal(matrix, target), f"{name}: equal to the first: {np.array_equal(matrix, target)}")

# %%
# "For this file's values": pandas parses the text to ``float64`` and then
# rounds to ``float32``; Arrow's reader parses the text straight to
# ``float32``. Rounding twice can land elsewhere: the text Python writes for
# 1 + 2**-24 lies just above the midpoint between two ``float32`` numbers,
# parsing it to ``float64`` lands on the midpoint itself, and from there the
# tie goes to even, while parsing it straight to ``float32`` rounds up:
# :claim:`csv-float32-rounds-twice-in-pandas`.
tie = os.path.join(folder, "tie.csv")
with open(tie, "w") as out:
    out.write(f"x\n{1 + 2**-24!r}\n")
by_pandas = pd.read_csv(tie, dtype=np.float32)["x"].to_numpy()[0]
by_arrow = pa_csv.read_csv(tie, convert_options=pa_csv.ConvertOptions(column_types={"x": pa.float32()}))
by_arrow = by_arrow.column("x").to_numpy()[0]
with claim(
    "csv-float32-rounds-twice-in-pandas",
    f"with pandas {pd.__version__} and pyarrow {pa.__version__}, the CSV text {1 + 2**-24!r} becomes float32 "
    f"{float(by_pandas)!r} through read_csv(dtype=np.float32) and {float(by_arrow)!r} through pyarrow.csv with a "
    "float32 column type",
) as c:
    c.check(by_pandas.dtype == by_arrow.dtype == np.float32, f"dtypes {by_pandas.dtype}, {by_arrow.dtype}")
    c.check(by_pandas != by_arrow, f"read_csv: {float(by_pandas)!r}, pyarrow.csv: {float(by_arrow)!r}")
print(f"{1 + 2**-24!r} -> read_csv(dtype=float32): {float(by_pandas)!r}; pyarrow.csv float32: {float(by_arrow)!r}")

cheapest = min(path_rise, key=path_rise.get)
with claim(
    "csv-cheapest-float32-path",
    f"with pandas {pd.__version__}, of the four paths measured, {cheapest} has the lowest resident peak "
    "(viewcopy.track(resident=True)), at least a quarter below the float64 frame's path",
) as c:
    c.check(
        path_rise[cheapest] < 0.75 * path_rise["read_csv -> to_numpy(float32) -> C"],
        ", ".join(f"{name}: {viewcopy.format_bytes(b)}" for name, b in path_rise.items())
        + f" (the cheapest below 75% of the first: {viewcopy.format_bytes(0.75 * path_rise[next(iter(PATHS))])})",
    )

del matrices, target, frame, full_frame, arrow_frame, small, OTHERS

# %%
# The figures
# -----------
# Left: the rise of the resident high-water mark
# (``viewcopy.track(resident=True)``) against file size, both engines, same
# meter.
# Right: the four paths to the same matrix, same meter, as multiples of the
# matrix's size.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
sizes = [os.path.getsize(files[rows]) / 1e6 for rows in ROWS]
for engine, colour in [("c", "#264653"), ("pyarrow", "#e76f51")]:
    left.plot(sizes, [rise[engine][rows] / 1e6 for rows in ROWS], marker="o", color=colour, label=f"engine={engine!r}")
left.plot(sizes, [frame_bytes[rows] / 1e6 for rows in ROWS], linestyle=":", color="grey", label="the frame's bytes")
left.set_xlabel("CSV file size (MB)")
left.set_ylabel("resident peak rise (MB, track(resident=True))")
left.set_title("pd.read_csv")
left.legend(fontsize=8)
names = list(PATHS)
right.barh(names, [path_rise[name] / (largest * len(COLUMNS) * 4) for name in names], color="#2a9d8f")
right.set_xlabel("resident peak rise / matrix bytes\n(track(resident=True))")
right.set_title(f"to a C-ordered float32 matrix, {largest:,} rows")
right.invert_yaxis()
right.tick_params(axis="y", labelsize=7)
plt.show()

"""
Boundary: Polars and NumPy, when ``to_numpy()`` is free
=======================================================

A Polars column is an Arrow array that Polars manages (in Rust, apart from
Arrow's C++ pool); its memory may be NumPy's, when the Series was made from
an ndarray, and it may be split into *chunks*.
``Series.to_numpy()`` can lend that buffer to NumPy when it is one chunk,
has no nulls and has a dtype NumPy reads as it is; otherwise it builds a
new array (:claim:`polars-chunked-to-numpy-copy-unseen-by-track`). This
page checks lending with ``np.shares_memory``, asks ``allow_copy=False``
to refuse, and measures what is built with the rise of the **kernel's
resident high-water mark** over the block (``viewcopy.track(resident=True)``,
Linux), which sees Polars' memory too, and
**NumPy's handler** (the same block's ``allocated_bytes``), which sees
NumPy's side only. Polars reuses memory it was given back, which the
kernel then does not count again, so the page keeps each result alive to
the end.
"""

# %%
import gc
import os

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

import viewcopy
from viewcopy.claims import claim

N = 10_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 2_000_000
print(f"Polars {pl.__version__}, NumPy {np.__version__}")


def refuses_copy(call):
    """The error of call(allow_copy=False), or '' when it returned."""
    try:
        call(allow_copy=False)
    except RuntimeError as error:
        return str(error)
    return ""


values = np.random.default_rng(0).random(N)
print(f"values: {N:,} float64, {viewcopy.format_bytes(values.nbytes)}")

# %%
# One chunk, no nulls: shared both ways
# -------------------------------------
series = pl.Series("x", values)
with claim(
    "polars-series-from-numpy-shares",
    f"with Polars {pl.__version__}, pl.Series of this float64 ndarray shares its buffer, and to_numpy() lends it "
    "back, not writeable",
) as c:
    back = series.to_numpy()
    viewcopy.expect_view(values, back)
    c.check(not back.flags.writeable, f"{series.n_chunks()} chunk, writeable {back.flags.writeable}")

# %%
# Nulls, chunks and dtypes make ``to_numpy()`` copy
# -------------------------------------------------
# :claim:`polars-to-numpy-copies-refused`, and
# :claim:`polars-to-numpy-dtypes-of-copies`.
with_nulls = pl.Series("x", [1.0, None, 3.0])
int_nulls = pl.Series("i", [1, None, 3])
flags = pl.Series("b", [True, False, True])
words = pl.Series("s", ["north", "south", "east"])
two_chunks = pl.concat([series, series], rechunk=False)
CASES = {
    "float64 with a null": with_nulls,
    "int64 with a null": int_nulls,
    "boolean": flags,
    "string": words,
    f"float64 in {two_chunks.n_chunks()} chunks": two_chunks,
}
with claim(
    "polars-to-numpy-copies-refused",
    f"with Polars {pl.__version__}, to_numpy(allow_copy=False) raises for a float64 or int64 Series with a null, "
    "a boolean Series, a string Series and a float64 Series in two chunks",
) as c:
    for name, case in CASES.items():
        error = refuses_copy(case.to_numpy)
        c.check(bool(error), f"{name}: {error or 'returned'}")
print("allow_copy=False:", refuses_copy(two_chunks.to_numpy))
with claim(
    "polars-to-numpy-dtypes-of-copies",
    f"with Polars {pl.__version__}, to_numpy() gives float64 with NaN for float64 and int64 nulls, bool for "
    "booleans and object for strings",
) as c:
    got = {name: CASES[name].to_numpy() for name in ("float64 with a null", "int64 with a null", "boolean", "string")}
    for (name, array), dtype in zip(got.items(), [np.float64, np.float64, np.bool_, object], strict=True):
        c.check(array.dtype == dtype, f"{name}: {array.dtype} {array.tolist()}")
    for name in ("float64 with a null", "int64 with a null"):
        c.check(bool(np.isnan(got[name][1])), f"{name}: the null (value 1) comes back as {got[name][1]!r}")

# %%
# A chunked column's copy, by two meters
# --------------------------------------
# Polars joins the two chunks itself, not through NumPy:
# :claim:`polars-chunked-to-numpy-copy-unseen-by-track`.
gc.collect()
with viewcopy.track(resident=True) as numpy_seen:
    joined = two_chunks.to_numpy()
joined_rise = numpy_seen.resident_peak_bytes
with claim(
    "polars-chunked-to-numpy-copy-unseen-by-track",
    f"with Polars {pl.__version__}, to_numpy() of a two-chunk float64 Series is a writeable copy: the resident "
    "peak (viewcopy.track(resident=True)) rises by at least 95% of its size while NumPy's handler counts nothing",
) as c:
    viewcopy.expect_copy(values, joined)
    c.check(joined.flags.writeable, f"writeable {joined.flags.writeable}")
    c.check(
        joined_rise >= 0.95 * joined.nbytes,
        f"copy {viewcopy.format_bytes(joined.nbytes)}, resident rise {viewcopy.format_bytes(joined_rise)} (at least "
        "95%)",
    )
    c.check(numpy_seen.allocated_bytes == 0, f"NumPy's handler: {numpy_seen}")
print(f"two chunks to_numpy(): resident +{viewcopy.format_bytes(joined_rise)}, track: {numpy_seen}")

# %%
# :claim:`polars-rechunk-then-to-numpy-free`.
gc.collect()
with viewcopy.track(resident=True) as rechunked:
    one_chunk = two_chunks.rechunk()
rechunk_rise = rechunked.resident_peak_bytes
gc.collect()
with viewcopy.track(resident=True) as lent:
    first = one_chunk.to_numpy()
rise_after = lent.resident_peak_bytes
print(
    f"rechunk(): resident +{viewcopy.format_bytes(rechunk_rise)}; its to_numpy(): +{viewcopy.format_bytes(rise_after)}"
)
with claim(
    "polars-rechunk-then-to-numpy-free",
    f"with Polars {pl.__version__}, rechunk() of a two-chunk Series raises the resident peak "
    "(viewcopy.track(resident=True)) by 95% to 150% of its size; to_numpy() of the result is then a view, the same "
    "buffer each time",
) as c:
    c.check(one_chunk.n_chunks() == 1, f"{one_chunk.n_chunks()} chunk(s) after rechunk()")
    c.check(
        0.95 * 2 * values.nbytes <= rechunk_rise <= 1.5 * 2 * values.nbytes,
        f"rechunk() resident rise {viewcopy.format_bytes(rechunk_rise)}, the two chunks "
        f"{viewcopy.format_bytes(2 * values.nbytes)} (from 95% to 150%)",
    )
    viewcopy.expect_view(first, one_chunk.to_numpy())
    c.check(
        rise_after < 0.05 * first.nbytes,
        f"to_numpy() after rechunk: resident rise {viewcopy.format_bytes(rise_after)}, the array "
        f"{viewcopy.format_bytes(first.nbytes)} (below 5%)",
    )

# %%
# ``DataFrame.to_numpy()``: order and copies
# ------------------------------------------
# Each column of a frame is a buffer of its own:
# :claim:`polars-frame-to-numpy-f-copy`; and
# :claim:`polars-frame-to-numpy-refuses-copy`.
COLUMNS = 4
frame = pl.DataFrame({f"c{k}": values + k for k in range(COLUMNS)})
matrix_bytes = N * COLUMNS * 8
built = {}
for order in ("default", "c"):
    gc.collect()
    with viewcopy.track(resident=True) as numpy_seen:
        built[order] = frame.to_numpy() if order == "default" else frame.to_numpy(order=order)
    built[order + " rise"] = rise = numpy_seen.resident_peak_bytes
    print(f"frame.to_numpy(order={order!r}): C-contiguous {built[order].flags.c_contiguous}, "
          f"resident +{viewcopy.format_bytes(rise)}, track: {numpy_seen}")  # fmt: skip
with claim(
    "polars-frame-to-numpy-f-copy",
    f"with Polars {pl.__version__}, DataFrame.to_numpy() of {COLUMNS} float64 columns is a new writeable F-ordered "
    "array (the resident peak, viewcopy.track(resident=True), rises by 95% to 150% of its size); order='c' gives a "
    "C-ordered one",
) as c:
    f_matrix, c_matrix = built["default"], built["c"]
    c.check(f_matrix.flags.f_contiguous, f"default: F-contiguous {f_matrix.flags.f_contiguous}")
    c.check(not f_matrix.flags.c_contiguous, f"default: C-contiguous {f_matrix.flags.c_contiguous}")
    c.check(f_matrix.flags.writeable, f"default: writeable {f_matrix.flags.writeable}")
    c.check(c_matrix.flags.c_contiguous, f"order='c': C {c_matrix.flags.c_contiguous}")
    c.check(
        0.95 * matrix_bytes <= built["default rise"] <= 1.5 * matrix_bytes,
        f"resident rise {viewcopy.format_bytes(built['default rise'])} for {viewcopy.format_bytes(matrix_bytes)} "
        "(from 95% to 150% of it)",
    )
    c.check(np.array_equal(f_matrix, c_matrix), f"same values in both orders: {np.array_equal(f_matrix, c_matrix)}")
    for name in frame.columns:
        viewcopy.expect_copy(frame[name].to_numpy(), f_matrix)
with claim(
    "polars-frame-to-numpy-refuses-copy",
    f"with Polars {pl.__version__}, DataFrame.to_numpy(allow_copy=False) raises for a frame of separate columns",
) as c:
    error = refuses_copy(frame.to_numpy)
    c.check(bool(error), error or "returned")
frame_rise = built["default rise"]

# %%
# ``pl.from_numpy``: the array's order decides
# --------------------------------------------
# A column of a C-ordered 2-D array is strided (its values are a row
# apart); a column of an F-ordered one is not:
# :claim:`polars-from-numpy-order`. Here NumPy's handler (the block's
# ``allocated_bytes``) is the meter that sees what is built (Polars asks
# NumPy for it); the resident figure may be lower, as NumPy may reuse pages
# it was given back before.
grid_c = values.reshape(-1, COLUMNS)
grid_f = np.asfortranarray(grid_c)
names = [f"c{k}" for k in range(COLUMNS)]
gc.collect()
with viewcopy.track(resident=True) as from_c_numpy:
    from_c = pl.from_numpy(grid_c, schema=names)
gc.collect()
with viewcopy.track(resident=True) as from_f_numpy:
    from_f = pl.from_numpy(grid_f, schema=names)
from_c_rise, from_f_rise = from_c_numpy.resident_peak_bytes, from_f_numpy.resident_peak_bytes
with claim(
    "polars-from-numpy-order",
    f"with Polars {pl.__version__}, pl.from_numpy copies this C-ordered 2-D float64 array, through NumPy (whose "
    "handler, viewcopy.track, counts the copy), and shares its F-ordered copy (the handler counts nothing), whose "
    "frame's to_numpy() is a view of it again",
) as c:
    viewcopy.expect_copy(grid_c, from_c["c0"].to_numpy())
    viewcopy.expect_view(grid_f, from_f["c0"].to_numpy())
    viewcopy.expect_view(grid_f, from_f.to_numpy())
    c.check(
        from_c_numpy.allocated_bytes >= grid_c.nbytes,
        f"NumPy's handler: from C {from_c_numpy} ({viewcopy.format_bytes(grid_c.nbytes)} array)",
    )
    c.check(from_f_numpy.allocated_bytes == 0, f"NumPy's handler: from F {from_f_numpy}")

print(f"pl.from_numpy: C-ordered: track {from_c_numpy}, resident +{viewcopy.format_bytes(from_c_rise)}; "
      f"F-ordered: track {from_f_numpy}, resident +{viewcopy.format_bytes(from_f_rise)}")  # fmt: skip

# %%
# The figure: what each conversion added to resident memory
# ---------------------------------------------------------
# One meter for every bar (the rise of the resident high-water mark,
# ``viewcopy.track(resident=True)``), as a multiple of the size of what the
# conversion returns or keeps.

bars = {
    "two-chunk Series.to_numpy()": joined_rise / (2 * values.nbytes),
    "Series.rechunk()": rechunk_rise / (2 * values.nbytes),
    "rechunked Series.to_numpy()": rise_after / (2 * values.nbytes),
    "DataFrame.to_numpy()": frame_rise / matrix_bytes,
}
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
ax.barh(list(bars), list(bars.values()), color="#2a9d8f")
ax.axvline(1, color="grey", linestyle=":")
ax.set_xlabel("resident peak rise / bytes of the data converted (track(resident=True))")
ax.set_title(f"Polars conversions, {N:,} float64 values a column")
ax.invert_yaxis()
plt.show()

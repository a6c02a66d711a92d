"""
Boundary: NumPy and Arrow, which conversions share and which copy
=================================================================

Which conversions between NumPy and Arrow lend a buffer and which build a
new one, and which meter sees what they build. Arrow keeps its buffers in a
pool of its own for the buffers it makes, not NumPy's (the pool's backend is
printed below), and
:claim:`arrow-to-numpy-nulls-copy-in-arrow-pool`. Lending is checked with
``np.shares_memory`` and Arrow's buffer addresses; what is built is
measured with **Arrow's pool** (``pa.total_allocated_bytes()``), the
rise of the **kernel's resident high-water mark** over the block
(``viewcopy.track(resident=True)``, Linux) and **NumPy's handler** (plain
:func:`viewcopy.track`, NumPy's side).

"""

# %%
import ctypes
import gc
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import viewcopy
from viewcopy.claims import claim

N = 10_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 1_000_000
pool = pa.default_memory_pool()
print(f"pyarrow {pa.__version__} ({pool.backend_name} pool), pandas {pd.__version__}, NumPy {np.__version__}")
print("memory pools this pyarrow can use:", ", ".join(pa.supported_memory_backends()))

_libc = ctypes.CDLL(None)


def settle():
    """Give back what the collector, malloc and Arrow's pool hold unused, before a resident measurement."""
    gc.collect()
    _libc.malloc_trim(0)
    pool.release_unused()


def _status(key):
    """The resident size now (``VmRSS``) from /proc/self/status: the last section reads it at four moments, which
    ``viewcopy.track(resident=True)`` (the *peak's* rise over a block) cannot tell apart."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(key + ":"))


def pooled(call):
    """(call(), how many bytes more Arrow's pool holds after it)."""
    before = pa.total_allocated_bytes()
    result = call()
    return result, pa.total_allocated_bytes() - before


values = np.random.default_rng(0).random(N)
print(f"values: {N:,} float64, {viewcopy.format_bytes(values.nbytes)}")

# %%
# From NumPy to Arrow: ``pa.array(ndarray)``
# ------------------------------------------
# Without and with a ``mask=`` (a validity bitmap, one bit per value):
# :claim:`arrow-array-from-numpy-shares`; and
# :claim:`arrow-array-with-mask-adds-bitmap`.
mask = np.zeros(N, dtype=bool)
mask[::10] = True
plain, plain_pool = pooled(lambda: pa.array(values))
masked, masked_pool = pooled(lambda: pa.array(values, mask=mask))
with claim(
    "arrow-array-from-numpy-shares",
    f"with pyarrow {pa.__version__}, pa.array() of x, this float64 ndarray, shares its data buffer and takes nothing from "
    "Arrow's pool",
) as c:
    c.check(
        plain.buffers()[1].address == values.ctypes.data,
        f"Arrow's data buffer at {plain.buffers()[1].address:#x}, the ndarray's at {values.ctypes.data:#x}",
    )
    c.check(plain_pool == 0, f"Arrow pool +{viewcopy.format_bytes(plain_pool)}")
with claim(
    "arrow-array-with-mask-adds-bitmap",
    f"with pyarrow {pa.__version__}, pa.array(ndarray, mask=...) with this mask (every tenth value masked) shares "
    "the data of this array, and Arrow's pool grows by a validity bitmap: an eighth of a byte per value, rounded "
    "up to Arrow's 64-byte blocks",
) as c:
    c.check(
        masked.buffers()[1].address == values.ctypes.data,
        f"Arrow's data buffer at {masked.buffers()[1].address:#x}, the ndarray's at {values.ctypes.data:#x}",
    )
    c.check(
        N / 8 <= masked_pool <= N / 8 + 64,
        f"{masked.null_count:,} nulls, Arrow pool +{masked_pool:,} B for {N:,} values (one bit each: {N / 8:,.0f} B, "
        "plus at most 64 B of padding)",
    )

# %%
# Back to NumPy: ``to_numpy(zero_copy_only=...)``
# -----------------------------------------------
# Without nulls: :claim:`arrow-to-numpy-null-free-read-only-view`. With
# nulls there is no NumPy float that means "missing" except NaN, so Arrow
# must build a new array: :claim:`arrow-to-numpy-nulls-zero-copy-refused`,
# and :claim:`arrow-to-numpy-nulls-copy-in-arrow-pool`. Integers with nulls
# come back as float64.
with claim(
    "arrow-to-numpy-null-free-read-only-view",
    f"with pyarrow {pa.__version__}, to_numpy(zero_copy_only=True) of this null-free float64 array is a view, not "
    "writeable",
) as c:
    view = plain.to_numpy(zero_copy_only=True)
    viewcopy.expect_view(values, view)
    c.check(not view.flags.writeable, f"writeable {view.flags.writeable}")
with claim(
    "arrow-to-numpy-nulls-zero-copy-refused",
    f"with pyarrow {pa.__version__}, to_numpy(zero_copy_only=True) of this array with nulls raises ArrowInvalid",
) as c:
    try:
        masked.to_numpy(zero_copy_only=True)
    except pa.ArrowInvalid as error:
        refused = str(error)
    else:
        refused = ""
    c.check(bool(refused), f"ArrowInvalid: {refused}" if refused else "no error")
print("zero_copy_only=True with nulls:", refused)

with viewcopy.track() as numpy_seen:
    filled, filled_pool = pooled(lambda: masked.to_numpy(zero_copy_only=False))
with claim(
    "arrow-to-numpy-nulls-copy-in-arrow-pool",
    f"with pyarrow {pa.__version__}, to_numpy(zero_copy_only=False) with nulls returns a float64 copy with NaN for "
    "each null, allocated in Arrow's pool (pa.total_allocated_bytes()): NumPy's handler (viewcopy.track) counts none "
    "of it",
) as c:
    c.check(not np.shares_memory(filled, values), f"shares memory with the ndarray: {np.shares_memory(filled, values)}")
    c.check(
        int(np.isnan(filled).sum()) == masked.null_count,
        f"{int(np.isnan(filled).sum()):,} NaN for {masked.null_count:,} nulls",
    )
    c.check(
        filled_pool >= filled.nbytes,
        f"Arrow pool +{viewcopy.format_bytes(filled_pool)}, copy {viewcopy.format_bytes(filled.nbytes)}",
    )
    c.check(numpy_seen.allocated_bytes == 0, f"viewcopy.track: {numpy_seen}")
print(f"to_numpy(zero_copy_only=False): Arrow pool +{viewcopy.format_bytes(filled_pool)}, track: {numpy_seen}")
with claim(
    "arrow-int-with-nulls-to-float64",
    f"with pyarrow {pa.__version__}, this int64 array with nulls comes back from to_numpy(zero_copy_only=False) as "
    "float64",
) as c:
    integers = pa.array(np.arange(10), mask=np.arange(10) % 3 == 0)
    back = integers.to_numpy(zero_copy_only=False)
    c.check(back.dtype == np.float64, f"{integers.type} with {integers.null_count} nulls -> {back.dtype}")
del filled

# %%
# Chunked arrays
# --------------
# A column of a table is a *chunked* array: several buffers. One chunk can
# be lent as it is; two chunks have to be concatenated into a new buffer.
halves = pa.chunked_array([values[: N // 2], values[N // 2 :]])
whole = pa.chunked_array([values])
joined, joined_pool = pooled(halves.to_numpy)
with claim(
    "arrow-chunked-to-numpy",
    f"with pyarrow {pa.__version__}, ChunkedArray.to_numpy() shares the buffer of this one-chunk array and copies this "
    "two-chunk one into Arrow's pool",
) as c:
    viewcopy.expect_view(values, whole.to_numpy())
    viewcopy.expect_copy(values, joined)
    c.check(joined_pool >= joined.nbytes, f"two chunks: Arrow pool +{viewcopy.format_bytes(joined_pool)}")
del joined

# %%
# ``Table.to_pandas()``: ``split_blocks`` and ``self_destruct``
# -------------------------------------------------------------
# ``Table.to_pandas()`` gathers same-dtype columns into one 2-D block by
# default: :claim:`arrow-to-pandas-default-copies`. ``split_blocks=True`` keeps one
# block per column: :claim:`arrow-to-pandas-split-blocks-shares`.
# ``self_destruct=True`` hands each column of the table back to Arrow's pool
# as it is converted (the table is unusable afterwards):
# :claim:`arrow-self-destruct-frees-the-table`. The table here is made by an
# Arrow computation, so its buffers live in Arrow's pool (a table read from
# a memory-mapped Arrow IPC file would keep them in the file's mapping
# instead).
COLUMNS = 8


def table():
    return pa.table({f"c{k}": pc.multiply(pa.array(values), k + 1.0) for k in range(COLUMNS)})


table_bytes = N * 8 * COLUMNS
OPTIONS = {
    "to_pandas()": {},
    "split_blocks=True": {"split_blocks": True},
    "self_destruct=True": {"self_destruct": True},
    "both": {"split_blocks": True, "self_destruct": True},
}
conversion = {}
for name, options in OPTIONS.items():
    source = table()
    first = source.column(0).chunk(0).buffers()[1].address

    settle()
    with viewcopy.track(resident=True) as converted:
        frame = source.to_pandas(**options)
    rise = converted.resident_peak_bytes
    shares = frame["c0"].to_numpy().ctypes.data == first
    held = pa.total_allocated_bytes()  # the table still referenced: with self_destruct, its buffers are gone
    del source
    # one 2-D block: the frame's matrix is that block, so it shares the first column's memory; several: a new array
    one_block = bool(np.shares_memory(frame.to_numpy(), frame["c0"].to_numpy()))
    conversion[name] = {"rise": rise, "pool after": held, "shares": shares, "one block": one_block}
    print(f"{name:20} resident peak rise {viewcopy.format_bytes(rise):>9}, Arrow pool holds "
          f"{viewcopy.format_bytes(held):>9} after (table {viewcopy.format_bytes(table_bytes)}), "
          f"first column shared: {shares}")  # fmt: skip
    del frame
with claim(
    "arrow-to-pandas-default-copies",
    f"with pyarrow {pa.__version__} and pandas {pd.__version__}, Table.to_pandas() of {COLUMNS} float64 columns copies "
    "them into one block: the resident peak (viewcopy.track(resident=True)) rises by at least 95% of the table's "
    "bytes",
) as c:
    default = conversion["to_pandas()"]
    c.check(not default["shares"], f"shares memory with the table: {default['shares']}")
    c.check(default["one block"], f"one block (frame.to_numpy() shares the first column): {default['one block']}")
    c.check(
        default["rise"] >= 0.95 * table_bytes,
        f"rise {viewcopy.format_bytes(default['rise'])}, table {viewcopy.format_bytes(table_bytes)} (at least 95%)",
    )
with claim(
    "arrow-to-pandas-split-blocks-shares",
    f"with pyarrow {pa.__version__} and pandas {pd.__version__}, to_pandas(split_blocks=True) of null-free float64 "
    "columns lends Arrow's buffers: the resident peak (viewcopy.track(resident=True)) rises by less than 5% of the "
    "table",
) as c:
    for name in ("split_blocks=True", "both"):
        split = conversion[name]
        c.check(split["shares"], f"{name}: shares memory with the table: {split['shares']}")
        c.check(
            split["rise"] < 0.05 * table_bytes,
            f"{name}: rise {viewcopy.format_bytes(split['rise'])}, table {viewcopy.format_bytes(table_bytes)} "
            "(below 5%)",
        )
with claim(
    "arrow-self-destruct-frees-the-table",
    f"with pyarrow {pa.__version__}, to_pandas(self_destruct=True) of a table still referenced leaves Arrow's pool "
    "holding the frame, not the "
    "table as well (pa.total_allocated_bytes()); its resident peak (viewcopy.track(resident=True)) is no lower here",
) as c:
    destroyed, kept = conversion["self_destruct=True"], conversion["to_pandas()"]
    c.check(
        destroyed["pool after"] < 1.05 * table_bytes,
        f"Arrow pool after self_destruct {viewcopy.format_bytes(destroyed['pool after'])}, table "
        f"{viewcopy.format_bytes(table_bytes)} (below 105%: the frame alone)",
    )
    c.check(
        kept["pool after"] > 1.9 * table_bytes,
        f"Arrow pool after the default {viewcopy.format_bytes(kept['pool after'])}, table "
        f"{viewcopy.format_bytes(table_bytes)} (above 190%: table and frame)",
    )
    c.check(
        destroyed["rise"] >= 0.95 * table_bytes,
        f"resident rise with self_destruct {viewcopy.format_bytes(destroyed['rise'])}, table "
        f"{viewcopy.format_bytes(table_bytes)} (at least 95%)",
    )

# %%
# The pool's count beside resident memory
# ---------------------------------------
# The two meters answer different questions: Arrow's pool counts what it
# has handed out, the kernel counts pages touched.
# :claim:`arrow-pool-beside-resident`.

size = N * 8
gc.collect()
pool.release_unused()
rss0, pool0 = _status("VmRSS"), pa.total_allocated_bytes()
steps = {}
buffer = pa.allocate_buffer(size)
steps["allocated"] = (pa.total_allocated_bytes() - pool0, _status("VmRSS") - rss0)
ctypes.memset(buffer.address, 1, size)
steps["written"] = (pa.total_allocated_bytes() - pool0, _status("VmRSS") - rss0)
del buffer
steps["freed"] = (pa.total_allocated_bytes() - pool0, _status("VmRSS") - rss0)
pool.release_unused()
steps["release_unused()"] = (pa.total_allocated_bytes() - pool0, _status("VmRSS") - rss0)
for step, (in_pool, resident) in steps.items():
    print(f"{step:17} pool {viewcopy.format_bytes(in_pool):>9}, resident {viewcopy.format_bytes(resident):>9}")
with claim(
    "arrow-pool-beside-resident",
    f"with pyarrow {pa.__version__} ({pool.backend_name}), a {viewcopy.format_bytes(size)} buffer counts in "
    "Arrow's pool (pa.total_allocated_bytes()) as soon as it is allocated, and is resident (VmRSS) once written; "
    "freed, it leaves the pool's count and stays resident until release_unused()",
) as c:
    for step, pool_has, resident_has in [
        ("allocated", True, False),
        ("written", True, True),
        ("freed", False, True),
        ("release_unused()", False, False),
    ]:
        in_pool, resident = steps[step]
        c.check(
            (in_pool >= size) == pool_has,
            f"{step}: pool {viewcopy.format_bytes(in_pool)}, buffer {viewcopy.format_bytes(size)}: "
            f"counted {in_pool >= size}, expected {pool_has}",
        )
        c.check(
            (resident >= 0.9 * size) == resident_has,
            f"{step}: resident {viewcopy.format_bytes(resident)}, buffer {viewcopy.format_bytes(size)}: "
            f"at least 90% {resident >= 0.9 * size}, expected {resident_has}",
        )


# %%
# The figure: the four ``to_pandas()`` variants, by the same meter
# ----------------------------------------------------------------
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
names = list(OPTIONS)
ax.barh(names, [conversion[name]["rise"] / 1e6 for name in names], color="#e76f51", label="resident peak rise")
ax.axvline(table_bytes / 1e6, color="grey", linestyle=":", label="the table's bytes")
ax.set_xlabel("MB (resident peak rise, viewcopy.track(resident=True))")
ax.set_title(f"Table.to_pandas() of {COLUMNS} float64 columns x {N:,} rows")
ax.invert_yaxis()
ax.legend(fontsize=8)
plt.show()

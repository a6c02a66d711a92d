"""
Trap: pandas copy-on-write hands out arrays you cannot write
============================================================

pandas' CoW mode promises that writing to one object does not change
another; for the NumPy arrays a float64 Series lends out through
``to_numpy()``, ``.values`` and ``np.asarray(series)``,
:claim:`trap-pandas-lends-buffer-not-writeable`; and
:claim:`trap-pandas-write-into-lent-array`. Not every way out keeps it: a
nullable column, below, is one that does not.

Every claim below is measured on the pandas this site was built with, and
worded for that release (printed first). ``python -m viewcopy check`` skips
this page when pandas is not installed.

Reported in `pandas#52823 <https://github.com/pandas-dev/pandas/issues/52823>`__
("CoW and np.asarray leads to surprising issues"),
`numpy#23625 <https://github.com/numpy/numpy/issues/23625>`__ (a way to ask
``asarray`` for a writeable result) and
`stumpy#1119 <https://github.com/stumpy-dev/stumpy/issues/1119>`__
(``np.asarray(series)`` read-only under pandas 3.0.0); the change itself is
`pandas#51082 <https://github.com/pandas-dev/pandas/pull/51082>`__.
"""

# %%
import os

import numpy as np
import pandas as pd

import viewcopy
from viewcopy.claims import claim

PANDAS3 = int(pd.__version__.split(".")[0]) >= 3
N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
print(f"pandas {pd.__version__}, NumPy {np.__version__}")
if not PANDAS3:
    print("pandas before 3.0: copy-on-write is off by default; the claims below say what this release does")

# %%
# What ``to_numpy()``, ``.values`` and ``np.asarray`` return
# ----------------------------------------------------------
series = pd.Series(np.arange(5.0))
frame = pd.DataFrame({"a": np.arange(5.0), "b": np.arange(5.0, 10.0)})
SERIES = {
    "pd.Series(np.arange(5.0))": series,
    "pd.Series(v, copy=False)": pd.Series(np.arange(5.0), copy=False),
    'frame["a"], a DataFrame column': frame["a"],
    "pd.Series([1.0, 2.0])": pd.Series([1.0, 2.0]),
    "series + 1": series + 1,
}


def lendings(s):
    return {"to_numpy()": s.to_numpy(), ".values": s.values, "np.asarray()": np.asarray(s)}


with claim(
    "trap-pandas-lends-buffer-not-writeable",
    f"with pandas {pd.__version__}, to_numpy(), .values and np.asarray() of each of these {len(SERIES)} float64 "
    f"Series ({', '.join(SERIES)}) return that Series' own buffer, " + ("not writeable" if PANDAS3 else "writeable"),
) as c:
    for name in c.over(list(SERIES)):
        own = SERIES[name].to_numpy()
        for how, array in lendings(SERIES[name]).items():
            viewcopy.expect_view(own, array)
            c.check(
                array.flags.writeable is not PANDAS3,
                f"{name} {how}: a view of its to_numpy(), writeable {array.flags.writeable} (pandas {pd.__version__})",
            )
own = series.to_numpy()
for name, array in lendings(series).items():
    print(
        f"series {name:14} shares the Series' buffer: {np.shares_memory(array, own)}, writeable: {array.flags.writeable}"
    )

# %%
# Writing into it is what fails:
target = series.to_numpy()
with claim(
    "trap-pandas-write-into-lent-array",
    f"with pandas {pd.__version__}, writing into series.to_numpy() "
    + ("raises ValueError" if PANDAS3 else "changes the Series"),
) as c:
    try:
        target[0] = 100.0
    except ValueError as error:
        outcome = f"ValueError: {error}"
        c.check(PANDAS3, f"pandas {pd.__version__}: {outcome}")
    else:
        c.check(
            not PANDAS3 and series.iloc[0] == 100.0, f"not PANDAS3 and series.iloc[0] == 100.0 ({series.iloc[0]=!s})"
        )
        outcome = "the Series changed"
print(f"series.to_numpy()[0] = 100.0 -> {outcome}")

# %%
# Getting a writeable array
# -------------------------
# Ask for a copy, and say so: ``to_numpy(copy=True)`` or ``np.array(series)``
# (whose ``copy=True`` is the default). :claim:`trap-pandas-writeable-copies`.
with claim(
    "trap-pandas-writeable-copies",
    f"series.to_numpy(copy=True) and np.array(series) are writeable copies, each allocating the "
    f"{own.nbytes:,} bytes of the Series' column",
) as c:
    for name, make in (
        ("series.to_numpy(copy=True)", lambda: series.to_numpy(copy=True)),
        ("np.array(series)", lambda: np.array(series)),
    ):
        with viewcopy.track() as copying:
            array = make()
        viewcopy.expect_copy(own, array)
        c.check(
            array.flags.writeable and copying.allocated_bytes == own.nbytes,
            f"{name}: writeable {array.flags.writeable}, {copying.allocated_bytes:,} B allocated, "
            f"the column's nbytes {own.nbytes:,}",
        )

# %%
# A nullable ``Int64`` column is a hole in that rule: its ``to_numpy()`` can
# return a writeable array that *is* the column's data.
nullable = pd.Series([1, 2, 3], dtype="Int64")
data = nullable.array._data  # the int64 buffer behind the nullable array (a private attribute)
handed = nullable.to_numpy()
with claim(
    "trap-pandas-nullable-to-numpy-writeable-view",
    f"with pandas {pd.__version__}, to_numpy() of an Int64 Series without missing values is a writeable view "
    "of its data: writing to it changes the Series",
) as c:
    viewcopy.expect_view(data, handed)
    c.check(handed.flags.writeable, "handed.flags.writeable")
    handed[0] = 100
    c.check(nullable.iloc[0] == 100, f"nullable.iloc[0] == 100 ({nullable.iloc[0]=!s})")
print(f"Int64 Series after writing 100 into its to_numpy(): {nullable.tolist()}")

# %%
# Constructors copy NumPy input
# -----------------------------
# :claim:`trap-pandas-series-constructor-copies`; and
# :claim:`trap-pandas-frame-constructor-copies`. With ``copy=False`` the
# old surprise is back: :claim:`trap-pandas-copy-false-shares`.
values = np.random.default_rng(0).random(N)
grid = values.reshape(-1, 100)
constructors = [
    ("trap-pandas-series-constructor-copies", "pd.Series(arr)", "this 1-D float64 array", pd.Series, values),
    ("trap-pandas-frame-constructor-copies", "pd.DataFrame(arr)", "the same data as a 2-D array", pd.DataFrame, grid),
]
for claim_id, call, what, build, source in constructors:
    with viewcopy.track() as building:
        made = build(source)
    with claim(
        claim_id,
        f"with pandas {pd.__version__}, {call} "
        + ("copies" if PANDAS3 else "shares")
        + f" arr, {what} of {viewcopy.format_bytes(source.nbytes)}",
    ) as c:
        if PANDAS3:
            viewcopy.expect_copy(source, made.to_numpy())
            c.check(
                building.allocated_bytes >= source.nbytes,
                f"{call} allocated {building.allocated_bytes:,} B for arr's {source.nbytes:,} B",
            )
        else:
            viewcopy.expect_view(source, made.to_numpy())
    print(f"{call}:", building)
    del made

with viewcopy.track() as sharing:
    shared = pd.Series(values, copy=False)
with claim(
    "trap-pandas-copy-false-shares",
    "pd.Series(arr, copy=False) allocates no copy of arr, and a later write to arr shows in the Series",
) as c:
    c.check(
        sharing.allocated_bytes < values.nbytes / 100,
        f"pd.Series(arr, copy=False) allocated {sharing.allocated_bytes:,} B, under 1% of arr's {values.nbytes:,} B",
    )
    values[0] = -1.0
    c.check(shared.iloc[0] == -1.0, f"shared.iloc[0] == -1.0 ({shared.iloc[0]=!s})")
print("pd.Series(values, copy=False):", sharing, f"| shared.iloc[0] after values[0] = -1: {shared.iloc[0]}")
del shared, values, grid

# %%
# A frame of mixed dtypes has no single buffer to lend: its ``to_numpy()``
# builds a new array, which is writeable and independent.
mixed = pd.DataFrame({"price": [1.5, 2.5], "count": [3, 4]})
built = mixed.to_numpy()
with claim(
    "trap-pandas-mixed-frame-to-numpy-new-array",
    "to_numpy() of a frame with a float64 and an int64 column is a writeable float64 array sharing no memory "
    "with the columns",
) as c:
    c.check(
        built.flags.writeable and built.dtype == np.float64,
        f"built.flags.writeable and built.dtype == np.float64 ({built.dtype=!s}, {np.float64=!s})",
    )
    for name in mixed:
        viewcopy.expect_copy(mixed[name].to_numpy(), built)
print(f"mixed.to_numpy(): dtype {built.dtype}, writeable {built.flags.writeable}")

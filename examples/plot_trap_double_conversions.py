"""
Trap: converting twice, and when ``ascontiguousarray`` copies
=============================================================

Preparing an array for a library often takes a dtype change and a layout
(:term:`order`) change. On this page's C-ordered ``x``, as two calls:
:claim:`trap-astype-then-asfortranarray-copies-twice`; as one:
:claim:`trap-asarray-dtype-order-copies-once`. And
``np.ascontiguousarray``, which promises a layout, follows the flag:
:claim:`trap-ascontiguousarray-returns-input-exactly-when`. Sometimes that is
not what a consumer expects.

Reported in `scikit-learn#11693 <https://github.com/scikit-learn/scikit-learn/pull/11693>`__
(``asfortranarray`` after a conversion),
`scikit-learn#4573 <https://github.com/scikit-learn/scikit-learn/issues/4573>`__
(``astype`` to the dtype an array already has) and
`numpy#23349 <https://github.com/numpy/numpy/issues/23349>`__
(``ascontiguousarray`` and a negative stride on a length-1 axis).
"""

# %%
import os
import tempfile

import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts

ROWS = 20_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 2_000
x = np.random.default_rng(0).random((ROWS, 1_000))
print(f"NumPy {np.__version__}; x: {x.shape} float64, C-ordered, {viewcopy.format_bytes(x.nbytes)}")

# %%
# ``astype`` then ``asfortranarray`` of a C-ordered array: two copies
# -------------------------------------------------------------------
# :claim:`trap-astype-c-then-asfortranarray-f`; so
# :claim:`trap-astype-then-asfortranarray-copies-twice`. An F-ordered source
# is another matter: :claim:`trap-astype-then-asfortranarray-f-source-copies-once`.
first = x.astype(np.float32)
with claim(
    "trap-astype-c-then-asfortranarray-f",
    "x.astype(np.float32) of this x is a C-ordered float32 copy, and np.asfortranarray of that is an F-contiguous "
    "copy of the copy",
) as c:
    viewcopy.expect_copy(x, first)
    second = viewcopy.expect_copy(first, np.asfortranarray(first))
    c.check(
        first.dtype == np.float32 and first.flags.c_contiguous and second.flags.f_contiguous,
        f"first: {first.dtype}, C-contiguous {first.flags.c_contiguous}; second: F-contiguous {second.flags.f_contiguous}",
    )
del first, second
with viewcopy.track() as twice:
    two_steps = np.asfortranarray(x.astype(np.float32))
with viewcopy.track() as once:
    one_step = np.asarray(x, dtype=np.float32, order="F")
with viewcopy.track() as once_astype:
    one_astype = x.astype(np.float32, order="F")
with claim(
    "trap-astype-then-asfortranarray-copies-twice",
    "np.asfortranarray(x.astype(np.float32)) makes two float32 copies of this array: its peak is twice the result",
) as c:
    c.check(
        twice.allocated_bytes == two_steps.nbytes,
        f"{twice!s}: twice.allocated_bytes == two_steps.nbytes ({twice.allocated_bytes=!s}, {two_steps.nbytes=!s})",
    )
    c.check(
        2 * two_steps.nbytes <= twice.peak_bytes < 2.05 * two_steps.nbytes,
        f"{twice!s}: 2 * two_steps.nbytes <= twice.peak_bytes < 2.05 * two_steps.nbytes ({2 * two_steps.nbytes=!s}, {twice.peak_bytes=!s}, {2.05 * two_steps.nbytes=!s})",
    )
with claim(
    "trap-asarray-dtype-order-copies-once",
    "np.asarray(x, dtype=np.float32, order='F') and x.astype(np.float32, order='F') convert this array "
    "in one copy: their peak is the result (within 1%)",
) as c:
    c.check(
        np.array_equal(one_step, two_steps) and np.array_equal(one_astype, two_steps),
        "np.array_equal(one_step, two_steps) and np.array_equal(one_astype, two_steps)",
    )
    c.check(
        one_step.flags.f_contiguous and one_astype.flags.f_contiguous,
        "one_step.flags.f_contiguous and one_astype.flags.f_contiguous",
    )
    for t in (once, once_astype):
        c.check(
            t.allocated_bytes == one_step.nbytes and t.peak_bytes < 1.01 * one_step.nbytes,
            f"{t!s}: t.allocated_bytes == one_step.nbytes and t.peak_bytes < 1.01 * one_step.nbytes ({t.allocated_bytes=!s}, {one_step.nbytes=!s}, {t.peak_bytes=!s}, {1.01 * one_step.nbytes=!s})",
        )
for name, t in {
    "np.asfortranarray(x.astype(np.float32))": twice,
    "np.asarray(x, dtype=np.float32, order='F')": once,
    "x.astype(np.float32, order='F')": once_astype,
}.items():
    print(f"{name:44} peak / result = {t.peak_bytes / one_step.nbytes:.2f}")
del two_steps, one_step, one_astype
x_f = np.asfortranarray(x[:200])
with viewcopy.track() as f_source:
    f_result = np.asfortranarray(x_f.astype(np.float32))
with claim(
    "trap-astype-then-asfortranarray-f-source-copies-once",
    "for x_f, this array's first 200 rows in F order, np.asfortranarray(x_f.astype(np.float32)) makes one copy: "
    "astype keeps the F order and asfortranarray returns its result",
) as c:
    c.check(
        f_result.flags.f_contiguous and f_source.allocated_bytes == f_source.peak_bytes == f_result.nbytes,
        f"F-contiguous {f_result.flags.f_contiguous}; {f_source}; the result {viewcopy.format_bytes(f_result.nbytes)}",
    )
del x_f, f_result

# %%
# ``astype`` copies even when nothing changes
# -------------------------------------------
# ``copy=True`` is ``astype``'s default:
# :claim:`trap-astype-same-dtype-copies-by-default`. ``copy=False`` returns ``x`` itself
# when no conversion is needed.
with claim(
    "trap-astype-same-dtype-copies-by-default",
    "x.astype(np.float64) copies this float64 array; x.astype(np.float64, copy=False) returns x itself",
) as c:
    with viewcopy.track() as same_default:
        copied = viewcopy.expect_copy(x, x.astype(np.float64))
    with viewcopy.track() as same_no_copy:
        itself = x.astype(np.float64, copy=False)
    c.check(
        same_default.allocated_bytes == x.nbytes and same_no_copy.allocated_bytes == 0,
        f"same_default.allocated_bytes == x.nbytes and same_no_copy.allocated_bytes == 0 ({same_default.allocated_bytes=!s}, {x.nbytes=!s}, {same_no_copy.allocated_bytes=!s})",
    )
    c.check(itself is x, "itself is x")
print("x.astype(np.float64):            ", same_default)
print("x.astype(np.float64, copy=False):", same_no_copy, "| is x:", itself is x)
del copied

# %%
# When ``ascontiguousarray`` copies, and when it does not
# -------------------------------------------------------
# :claim:`trap-ascontiguousarray-returns-input-exactly-when`. A length-1
# axis is never stepped along, and reversing it changes only its
# :term:`stride <strides>`: :claim:`trap-reversed-length-1-axis-keeps-flags`.
# So :claim:`trap-ascontiguousarray-keeps-negative-stride-on-length-1-axis`,
# and a consumer that refuses negative strides (PyTorch's
# ``torch.from_numpy``, as reported in numpy#23349) still refuses it.
with claim(
    "trap-ascontiguousarray-returns-input-exactly-when",
    "for every layout in the family with at least one axis, np.ascontiguousarray(a) returns a itself when a is "
    "C-contiguous and a copy otherwise; a 10-element np.memmap (C-contiguous) and the 0-d np.array(1.0) come back "
    "as a new array on the same memory",
) as returned:
    for case in returned.over(layouts(ndim=range(1, 5))):
        a = case.array
        out = np.ascontiguousarray(a)
        kind = "itself" if out is a else viewcopy.relation(a, out).kind
        returned.check(kind == ("itself" if a.flags.c_contiguous else "copy"), f"{case.name}: {kind}")
    with tempfile.TemporaryDirectory() as folder:
        np.save(os.path.join(folder, "m.npy"), np.arange(10.0))
        for name, a in {"memmap": np.load(os.path.join(folder, "m.npy"), mmap_mode="r"), "0-d": np.array(1.0)}.items():
            out = np.ascontiguousarray(a)
            returned.check(
                out is not a and viewcopy.relation(a, out).kind == "view",
                f"{name}: a new {type(out).__name__} of shape {out.shape}, {viewcopy.relation(a, out).kind} of it",
            )
        del a, out
with claim(
    "trap-reversed-length-1-axis-keeps-flags",
    "for every layout in the family, reversing any one of its length-1 axes leaves its C- and F-contiguous flags as "
    "they were",
) as flags:
    for case in flags.over(layouts(where=lambda a: 1 in a.shape)):
        a = case.array
        for axis in (i for i, n in enumerate(a.shape) if n == 1):
            b = a[(slice(None),) * axis + (slice(None, None, -1),)]
            flags.check(
                (b.flags.c_contiguous, b.flags.f_contiguous) == (a.flags.c_contiguous, a.flags.f_contiguous),
                f"{case.name}, axis {axis} reversed: strides {a.strides} -> {b.strides}",
            )
one_channel = np.zeros((1, 10, 20))[::-1]
with claim(
    "trap-ascontiguousarray-keeps-negative-stride-on-length-1-axis",
    "np.ascontiguousarray(np.zeros((1, 10, 20))[::-1]) returns its input unchanged, negative stride included",
) as c:
    c.check(one_channel.flags.c_contiguous, "one_channel.flags.c_contiguous")
    same = np.ascontiguousarray(one_channel)
    c.check(
        same is one_channel and same.strides[0] < 0,
        f"same is one_channel and same.strides[0] < 0 ({same.strides[0]=!s})",
    )
three_channels = np.zeros((3, 10, 20))[::-1]
with claim(
    "trap-ascontiguousarray-copies-reversed-axis",
    "with 3 along the reversed axis, np.ascontiguousarray copies and the strides become positive",
) as c:
    fresh = viewcopy.expect_copy(three_channels, np.ascontiguousarray(three_channels))
    c.check(min(fresh.strides) > 0, f"min(fresh.strides) > 0 ({min(fresh.strides)=!s})")
for name, before in {"np.zeros((1, 10, 20))[::-1]": one_channel, "np.zeros((3, 10, 20))[::-1]": three_channels}.items():
    after = np.ascontiguousarray(before)
    kind = viewcopy.relation(before, after).kind
    print(
        f"{name:28} C-contiguous {before.flags.c_contiguous!s:5} strides {before.strides} -> {after.strides} ({kind})"
    )

# %%
# Over the site's :term:`family` of layouts, the rule is the flag:
# :claim:`trap-family-ascontiguousarray-copies-exactly-when-not-c`. The search also finds a boundary:
# for a 0-d array the result is a *new array object* on the same memory, not
# the input itself (shapes printed below).
nonempty = layouts(where=lambda a: a.size > 0)
with claim(
    "trap-family-ascontiguousarray-copies-exactly-when-not-c",
    "for every non-empty layout in the family, np.ascontiguousarray(a) shares memory with a exactly when "
    "a is C-contiguous",
) as contiguity:
    for case in contiguity.over(nonempty):
        a = case.array
        contiguity.check(
            np.shares_memory(a, np.ascontiguousarray(a)) == a.flags.c_contiguous,
            f"{case.name!s}: np.shares_memory(a, np.ascontiguousarray(a)) == a.flags.c_contiguous ({np.shares_memory(a, np.ascontiguousarray(a))=!s}, {a.flags.c_contiguous=!s})",
        )
zero_d = [case for case in nonempty if case.array.ndim == 0]
print(f"checked on {contiguity.cases} layouts; of them, {len(zero_d)} are 0-d:")
for case in zero_d[:2]:
    result = np.ascontiguousarray(case.array)
    print(
        f"  {case.name}: result shape {result.shape}, is the input: {result is case.array}, "
        f"shares memory: {np.shares_memory(case.array, result)}"
    )

with claim(
    "trap-family-astype-copy-false-returns-input",
    "for every layout in the family, a.astype(a.dtype, copy=False) returns a itself",
) as same_type:
    for case in same_type.over(layouts()):
        same_type.check(
            case.array.astype(case.array.dtype, copy=False) is case.array,
            f"{case.name!s}: case.array.astype(case.array.dtype, copy=False) is case.array",
        )
print(f"checked on {same_type.cases} layouts")

# %%
# For a consumer that needs positive strides, an explicit ``.copy()`` when
# any stride is negative: :claim:`trap-copy-normalises-negative-stride`.
fixed = one_channel.copy() if min(one_channel.strides) < 0 else one_channel
with claim(
    "trap-copy-normalises-negative-stride",
    ".copy() of the length-1 reversed array has positive strides",
) as c:
    viewcopy.expect_copy(one_channel, fixed)
    c.check(min(fixed.strides) > 0, f"min(fixed.strides) > 0 ({min(fixed.strides)=!s})")
print("one_channel.copy().strides:", fixed.strides)

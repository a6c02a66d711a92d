"""
Trap: ``view(dtype)`` reinterprets bytes, it does not convert
=============================================================

What does ``a.view(np.int8)`` do, and when is it the wrong call? It reads
the bit pattern of ``a`` as another type. That is useful when the bit
pattern is what you want (the sign bit of a float, four ``uint8`` channels
as one ``uint32`` pixel) and a trap when you wanted the *values* converted,
which is ``astype``'s job.

Reported in `numpy#24464 <https://github.com/numpy/numpy/issues/24464>`__
(setting ``arr.dtype = bool`` on an int array),
`numpy#27509 <https://github.com/numpy/numpy/issues/27509>`__
(changing signedness with ``astype(copy=False)`` and with ``view``) and
`numpy#20705 <https://github.com/numpy/numpy/issues/20705>`__ (when
``view`` may change the item size).
"""

# %%
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts

print(f"NumPy {np.__version__}")

# %%
# A view of the same bytes
# ------------------------
# ``float64`` to ``int8``: :claim:`trap-dtype-view-no-copy`; and
# :claim:`trap-dtype-view-writes-through`.
values = np.arange(1_000_000, dtype=np.float64).reshape(1_000, 1_000)
with claim(
    "trap-dtype-view-no-copy",
    "values.view(np.int8) of this (1000, 1000) float64 array allocates nothing, shares its bytes "
    "and has a last axis 8 times as long",
) as c:
    with viewcopy.track() as viewing:
        as_bytes = viewcopy.expect_view(values, values.view(np.int8))
    c.check(
        viewing.allocated_bytes == 0 and as_bytes.shape == (1_000, 8_000) and as_bytes.nbytes == values.nbytes,
        f"viewing.allocated_bytes == 0 and as_bytes.shape == (1_000, 8_000) and as_bytes.nbytes == values.nbytes ({viewing.allocated_bytes=!s}, {as_bytes.shape=!s}, {as_bytes.nbytes=!s}, {values.nbytes=!s})",
    )
print(f"values.view(np.int8): shape {as_bytes.shape}, {viewing}")

with claim(
    "trap-dtype-view-writes-through",
    "writing zeros into the int8 view changes the float64 array it views",
) as c:
    as_bytes[0, :8] = 0  # the eight bytes of values[0, 0] ...
    as_bytes[0, 8:16] = 0  # ... and of values[0, 1], which was 1.0
    c.check(values[0, 1] == 0.0, f"values[0, 1] == 0.0 ({values[0, 1]=!s})")
print(f"values[0, :3] after zeroing bytes through the view: {values[0, :3]}")
del as_bytes

# %%
# Bits, not values
# ----------------
# The trap: ``view`` where a conversion was meant.
# :claim:`trap-dtype-view-reads-bit-pattern`.
ones = np.ones(3)
bits = ones.view(np.int64)
converted = ones.astype(np.int64)
with claim(
    "trap-dtype-view-reads-bit-pattern",
    f"np.ones(3).view(np.int64) reads {bits[0]} (the bit pattern of 1.0); np.ones(3).astype(np.int64) gives 1, in its own buffer",
) as c:
    viewcopy.expect_view(ones, bits)
    viewcopy.expect_copy(ones, converted)
    c.check(
        bits[0] == 0x3FF0_0000_0000_0000 and converted[0] == 1,
        f"bits[0] == 0x3FF0_0000_0000_0000 and converted[0] == 1 ({bits[0]=!s}, {converted[0]=!s})",
    )
print(f"view(np.int64):  {bits}")
print(f"astype(np.int64): {converted}")

# %%
# Changing signedness: ``astype`` copies, ``view`` does not
# ---------------------------------------------------------
# ``int16`` and ``uint16`` have the same item size, and still, for this
# page's ``signed``: :claim:`trap-signedness-astype-copies-view-does-not`.
# ``astype`` casts value by value (numpy#27509).
signed = np.array([1, -1, 300], dtype=np.int16)
with claim(
    "trap-signedness-astype-copies-view-does-not",
    "for this int16 array, astype(np.uint16, copy=False) copies and view(np.uint16) does not; both read -1 as 65535",
) as c:
    cast = viewcopy.expect_copy(signed, signed.astype(np.uint16, copy=False))
    seen = viewcopy.expect_view(signed, signed.view(np.uint16))
    c.check(
        np.array_equal(cast, seen) and seen[1] == 65535,
        f"np.array_equal(cast, seen) and seen[1] == 65535 ({seen[1]=!s})",
    )
print(f"astype: {cast} ({viewcopy.relation(signed, cast).kind}); view: {seen} ({viewcopy.relation(signed, seen).kind})")

# %%
# Useful: the sign bit
# --------------------
# :claim:`trap-dtype-view-finds-negative-zero`.
# :claim:`trap-sign-bit-view-allocates-nothing`.
x = np.array([1.5, -0.0, 0.0, -2.0, np.nan, -np.nan])
sign_bit = (x.view(np.uint64) >> np.uint64(63)).astype(bool)
with np.errstate(invalid="ignore"):
    negative = x < 0
with claim(
    "trap-dtype-view-finds-negative-zero",
    "the sign bits read through a uint64 view of this array flag -0.0 and -nan, which x < 0 misses",
) as c:
    viewcopy.expect_view(x, x.view(np.uint64))
    c.check(np.array_equal(sign_bit, np.signbit(x)), "np.array_equal(sign_bit, np.signbit(x))")
    c.check(
        sign_bit[1] and not negative[1] and sign_bit[5] and not negative[5],
        "sign_bit[1] and not negative[1] and sign_bit[5] and not negative[5]",
    )
with claim(
    "trap-sign-bit-view-allocates-nothing",
    "x.view(np.uint64) allocates nothing for this array x, and the shift that reads its sign bits keeps only "
    "its result",
) as c:
    with viewcopy.track() as viewing:
        as_uint = x.view(np.uint64)
    with viewcopy.track() as shifting:
        shifted = as_uint >> np.uint64(63)
    c.check(viewing.allocated_bytes == 0, f"the view: {viewing}")
    c.check(shifting.allocated_bytes == shifted.nbytes, f"the shift: {shifting}; its result {shifted.nbytes} B")
del as_uint, shifted
for value, by_bits, by_compare in zip(x, sign_bit, negative, strict=True):
    print(f"{value!s:>5}: sign bit {by_bits!s:5}  x < 0 {by_compare}")

# %%
# Useful: one number per pixel
# ----------------------------
# An RGBA image is 4 ``uint8`` per pixel. Read as ``uint32``, each pixel
# is one number, so a pixel-level operation runs on one value instead of a
# row of four: :claim:`trap-dtype-view-pixels-as-uint32`.
rng = np.random.default_rng(0)
palette = rng.integers(0, 256, size=(8, 4), dtype=np.uint8)
image = palette[rng.integers(0, 8, size=(120, 160))]  # 120x160 RGBA, 8 distinct colours
with claim(
    "trap-dtype-view-pixels-as-uint32",
    "image.view(np.uint32) of this RGBA image allocates nothing, and counts as many distinct pixels "
    "as np.unique over rows of four bytes",
) as c:
    with viewcopy.track() as packing:
        packed = viewcopy.expect_view(image, image.view(np.uint32))
    c.check(
        packing.allocated_bytes == 0 and packed.shape == (120, 160, 1),
        f"packing.allocated_bytes == 0 and packed.shape == (120, 160, 1) ({packing.allocated_bytes=!s}, {packed.shape=!s})",
    )
    distinct = np.unique(packed).size
    c.check(
        distinct == np.unique(image.reshape(-1, 4), axis=0).shape[0],
        f"distinct == np.unique(image.reshape(-1, 4), axis=0).shape[0] ({distinct=!s}, {np.unique(image.reshape(-1, 4), axis=0).shape[0]=!s})",
    )
print(f"image {image.shape} -> view {packed.shape}; {distinct} distinct pixels; {packing}")

# %%
# When a view to another item size is refused
# -------------------------------------------
# A column slice: :claim:`trap-dtype-view-refuses-stepped-last-axis`.
stepped = values[:, ::2]
with claim(
    "trap-dtype-view-refuses-stepped-last-axis",
    "values[:, ::2].view(np.int8) raises ValueError; its contiguous copy can be viewed",
):
    try:
        stepped.view(np.int8)
    except ValueError as error:
        refusal = str(error)
    else:
        raise AssertionError("view to a smaller item size of a stepped last axis worked")
    fixed = np.ascontiguousarray(stepped)
    viewcopy.expect_view(fixed, fixed.view(np.int8))
print(f"values[:, ::2].view(np.int8): ValueError: {refusal}")

# %%
# The exact condition when the new dtype's items are smaller, checked over
# the non-empty arrays of the site's :term:`family` of layouts:
# :claim:`trap-family-view-other-itemsize-condition`. Larger items add a
# further rule, not searched here.


def last_axis_packed(a):
    return a.ndim > 0 and (a.shape[-1] == 1 or a.strides[-1] == a.itemsize)


with claim(
    "trap-family-view-other-itemsize-condition",
    "for every non-empty float64 and complex128 layout in the family, a.view(np.uint8) works exactly when a has "
    "at least one axis and its last axis has one element or a stride of one item",
) as resized:
    for case in resized.over(layouts(dtypes=["float64", "complex128"], where=lambda a: a.size > 0)):
        try:
            case.array.view(np.uint8)
            worked = True
        except ValueError:
            worked = False
        resized.check(
            worked == last_axis_packed(case.array),
            f"{case.name!s}: worked == last_axis_packed(case.array) ({worked=!s}, {last_axis_packed(case.array)=!s})",
        )
print(f"checked on {resized.cases} layouts")

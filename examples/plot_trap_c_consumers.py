"""
Trap: C code that needs a contiguous buffer
===========================================

Libraries written in C or C++ read an array through a pointer and, often,
assume its elements are packed one after the other. What happens when one
gets an array with steps or a negative :term:`stride <strides>`, and what
does the fix cost? On this page:
:claim:`trap-plain-buffer-refuses-strided-views`;
:claim:`trap-raw-pointer-reads-wrong-elements`; and
:claim:`trap-ascontiguousarray-one-copy-for-consumers`.

Reported in `opencv-python#741 <https://github.com/opencv/opencv-python/issues/741>`__
and `CRAFT-pytorch#84 <https://github.com/clovaai/CRAFT-pytorch/issues/84>`__
(OpenCV: "Layout of the output array img is incompatible with cv::Mat" for
a channel slice and a reversed-channel image) and
`pytorch#92680 <https://github.com/pytorch/pytorch/issues/92680>`__
(``torch.from_numpy`` refuses negative strides).

This site installs neither OpenCV nor PyTorch (large binary wheels, for one
page). The consumers measured here ship with Python and NumPy, and each
takes an array its own way, shown below: ``hashlib``, ``memoryview``,
``ctypes`` and NumPy's own DLPack exchange.
"""

# %%
import ctypes
import hashlib
import os

import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts

scale = 4 if os.environ.get("VIEWCOPY_FULL_SCALE") else 1
image = np.random.default_rng(0).integers(0, 256, size=(1080 * scale, 1920 * scale, 3), dtype=np.uint8)
views = {
    "image": image,
    "image[..., ::-1] (RGB to BGR)": image[..., ::-1],
    "image[100:200, 100:300] (crop)": image[100:200, 100:300],
    "image[..., 0] (one channel)": image[..., 0],
}
print(f"NumPy {np.__version__}; image: {image.shape} uint8, {viewcopy.format_bytes(image.nbytes)}")
for name, v in views.items():
    print(f"{name:32} strides {v.strides!s:14} C-contiguous {v.flags.c_contiguous}")

# %%
# A plain-buffer consumer refuses views with gaps
# -----------------------------------------------
# ``hashlib`` asks for its input as one block (``PyBUF_SIMPLE``), as a C
# function taking a plain buffer does, and the array answers for itself:
# :claim:`trap-plain-buffer-refuses-strided-views`.
refusals = {}
for name, v in views.items():
    try:
        hashlib.sha256(v)
    except (ValueError, BufferError) as error:
        refusals[name] = f"{type(error).__name__}: {error}"
with claim(
    "trap-plain-buffer-refuses-strided-views",
    "hashlib.sha256 accepts the contiguous image and refuses its BGR view, its crop and its single channel",
) as c:
    c.check(
        list(refusals) == list(views)[1:],
        f"list(refusals) == list(views)[1:] ({list(refusals)=!s}, {list(views)[1:]=!s})",
    )
for name, message in refusals.items():
    print(f"{name:32} {message}")

# %%
# The rule is the flag, over the site's whole :term:`family` of layouts (empty,
# read-only and :term:`broadcast` arrays included):
# :claim:`trap-family-plain-buffer-exactly-when-c-contiguous`.
with claim(
    "trap-family-plain-buffer-exactly-when-c-contiguous",
    "for every layout in the family, hashlib.sha256 accepts the array exactly when it is C-contiguous",
) as plain:
    for case in plain.over(layouts()):
        try:
            hashlib.sha256(case.array)
            accepted = True
        except (ValueError, BufferError):
            accepted = False
        plain.check(
            accepted == case.array.flags.c_contiguous,
            f"{case.name!s}: accepted == case.array.flags.c_contiguous ({accepted=!s}, {case.array.flags.c_contiguous=!s})",
        )
print(f"checked on {plain.cases} layouts")

# %%
# ``memoryview`` of this strided view keeps its strides; ``cast`` does not
# ------------------------------------------------------------------------
# :claim:`trap-memoryview-wraps-strided-view-without-copy`.
bgr = views["image[..., ::-1] (RGB to BGR)"]
with claim(
    "trap-memoryview-wraps-strided-view-without-copy",
    "memoryview wraps the BGR view without copying it, and its cast('B') refuses it",
) as c:
    with viewcopy.track() as wrapping:
        wrapped = memoryview(bgr)
    viewcopy.expect_view(bgr, np.asarray(wrapped))
    c.check(
        wrapping.allocated_bytes == 0 and not wrapped.contiguous,
        f"wrapping.allocated_bytes == 0 and not wrapped.contiguous ({wrapping.allocated_bytes=!s})",
    )
    try:
        wrapped.cast("B")
    except TypeError as error:
        cast_error = str(error)
    else:
        raise AssertionError("memoryview.cast accepted a non-contiguous buffer")
print(f"memoryview(bgr): strides {wrapped.strides}, contiguous {wrapped.contiguous}; {wrapping}")
print(f"memoryview(bgr).cast('B'): TypeError: {cast_error}")

# %%
# :claim:`trap-family-memoryview-cast-exactly-when-c-contiguous`. Empty
# arrays are the boundary, refused with another error of CPython's:
# :claim:`trap-empty-cast-boundary`.


def casts(a):
    try:
        memoryview(a).cast("B")
    except TypeError:
        return False
    return True


with claim(
    "trap-family-memoryview-cast-exactly-when-c-contiguous",
    "for every non-empty layout in the family (float64, int8 and complex128), memoryview(a).cast('B') works "
    "exactly when a is C-contiguous; memoryview refuses np.zeros(3, 'M8[s]') outright",
) as casting:
    for case in casting.over(layouts(where=lambda a: a.size > 0)):
        casting.check(casts(case.array) == case.array.flags.c_contiguous, f"{case.name}: cast {casts(case.array)}")
    try:
        memoryview(np.zeros(3, "M8[s]"))
    except ValueError as error:
        casting.note(f"memoryview(np.zeros(3, 'M8[s]')): ValueError: {error}")
    else:
        casting.check(False, "memoryview accepted a datetime64 array")
empty = layouts(where=lambda a: a.size == 0)
refused = [case.name for case in empty if case.array.flags.c_contiguous and not casts(case.array)]


def cast_error(a):
    try:
        memoryview(a).cast("B")
    except TypeError as error:
        return str(error)
    return ""


ZEROS = "cannot cast view with zeros in shape or strides"  # CPython's words, not its contiguity refusal
with claim(
    "trap-empty-cast-boundary",
    f"the {len(empty)} empty layouts of the family are each C-contiguous by NumPy's flag, and "
    f"memoryview(a).cast('B') refuses {len(refused)} of them, such as {refused[0]}, each with CPython's "
    f"'{ZEROS}', and accepts exactly the 1-D ones",
) as c:
    for case in c.over(empty):
        x = case.array
        c.check(x.flags.c_contiguous, f"{case.name}: C-contiguous {x.flags.c_contiguous}")
        error = cast_error(x)
        c.check((error == "") == (x.ndim == 1), f"{case.name}: {x.ndim}-D, cast('B') {error or 'accepted'}")
        c.check(error in ("", ZEROS) or ZEROS in error, f"{case.name}: {error}")
    c.check(0 < len(refused) <= len(empty), f"{len(refused)} of {len(empty)} empty layouts refused by cast('B')")
print(
    f"checked on {casting.cases} layouts; of {len(empty)} empty ones, {len(refused)} are C-contiguous "
    f"and refused, such as {refused[0]!r}"
)

# %%
# A raw pointer ignores the strides
# ---------------------------------
# ``x.ctypes.data`` is the address of the first element, whatever the
# strides. C code that reads ``nbytes`` from it, with no error:
# :claim:`trap-raw-pointer-reads-wrong-elements`.
numbers = np.arange(10.0)
every_second = numbers[::2]
raw = np.frombuffer(ctypes.string_at(every_second.ctypes.data, every_second.nbytes), dtype=np.float64)
with claim(
    "trap-raw-pointer-reads-wrong-elements",
    "reading nbytes from the data pointer of np.arange(10.0)[::2] gives elements 0 to 4, not 0, 2, 4, 6, 8",
) as c:
    c.check(
        np.array_equal(raw, numbers[:5]) and not np.array_equal(raw, every_second),
        "np.array_equal(raw, numbers[:5]) and not np.array_equal(raw, every_second)",
    )
print(f"every_second: {every_second}; what C reads at its pointer: {raw}")

# %%
# NumPy's ``ctypeslib.ndpointer`` states the requirement in the function's
# signature, so a wrong array fails at the call instead of reading garbage.
packed_bytes = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
with claim(
    "trap-ndpointer-refuses-non-contiguous",
    "an ndpointer(flags='C_CONTIGUOUS') argument accepts the image and refuses its BGR view with TypeError",
) as c:
    packed_bytes.from_param(image)
    try:
        packed_bytes.from_param(bgr)
    except TypeError as error:
        ndpointer_error = str(error)
    else:
        ndpointer_error = None
    c.check(
        ndpointer_error is not None,
        f"from_param accepted the image ({image.shape}, C-contiguous) and refused its BGR view "
        f"(C-contiguous: {bgr.flags.c_contiguous}) with TypeError: {ndpointer_error}",
    )
print(f"ndpointer(flags='C_CONTIGUOUS').from_param(bgr): TypeError: {ndpointer_error}")

# %%
# The fix: one copy when needed, none otherwise
# ---------------------------------------------
# :claim:`trap-ascontiguousarray-one-copy-for-consumers`. Put
# ``np.ascontiguousarray`` right before the call that needs it, not
# earlier in the pipeline "to be safe".
with claim(
    "trap-ascontiguousarray-one-copy-for-consumers",
    "np.ascontiguousarray(bgr) is one copy of the image's size, which the three consumers accept; "
    "for the contiguous image it copies nothing",
) as c:
    with viewcopy.track() as fixing:
        packed = viewcopy.expect_copy(bgr, np.ascontiguousarray(bgr))
    with viewcopy.track() as not_needed:
        untouched = viewcopy.expect_view(image, np.ascontiguousarray(image))
    c.check(
        fixing.allocated_bytes == image.nbytes and not_needed.allocated_bytes == 0,
        f"fixing.allocated_bytes == image.nbytes and not_needed.allocated_bytes == 0 ({fixing.allocated_bytes=!s}, {image.nbytes=!s}, {not_needed.allocated_bytes=!s})",
    )
    hashlib.sha256(packed)
    memoryview(packed).cast("B")
    packed_bytes.from_param(packed)
print("np.ascontiguousarray(bgr):  ", fixing)
print("np.ascontiguousarray(image):", not_needed)
del packed, untouched

# %%
# DLPack: strides are described, read-only depends on the release
# ----------------------------------------------------------------
# DLPack, the exchange protocol of PyTorch, JAX and CuPy, describes strides:
# :claim:`trap-dlpack-shares-strided-view`. Whether a consumer accepts those
# strides is up to the consumer. For a *read-only* array,
# :claim:`trap-dlpack-read-only-by-version`: from NumPy 2.1 the DLPack 1.0
# export can mark the result read-only, for a consumer that asks for it with
# ``max_version``. A plain ``__dlpack__()`` call asks for the older
# export:
# :claim:`trap-dlpack-plain-export-raises`.
with claim(
    "trap-dlpack-shares-strided-view",
    "np.from_dlpack(bgr) shares the BGR view's memory and keeps its negative stride",
) as c:
    exchanged = viewcopy.expect_view(bgr, np.from_dlpack(bgr))
    c.check(
        exchanged.strides == bgr.strides, f"exchanged.strides == bgr.strides ({exchanged.strides=!s}, {bgr.strides=!s})"
    )
print(f"np.from_dlpack(bgr).strides: {exchanged.strides}")

frozen = np.arange(6.0)
frozen.flags.writeable = False
READ_ONLY_EXPORT = np.lib.NumpyVersion(np.__version__) >= "2.1.0"
with claim(
    "trap-dlpack-read-only-by-version",
    f"on NumPy {np.__version__}, DLPack export of this non-writeable array "
    + ("shares its memory and stays non-writeable" if READ_ONLY_EXPORT else "raises BufferError"),
) as c:
    try:
        received = np.from_dlpack(frozen)
    except BufferError as error:
        c.check(not READ_ONLY_EXPORT, "not READ_ONLY_EXPORT")
        outcome = f"BufferError: {error}"
    else:
        c.check(READ_ONLY_EXPORT, "READ_ONLY_EXPORT")
        viewcopy.expect_view(frozen, received)
        c.check(not received.flags.writeable, "not received.flags.writeable")
        outcome = f"shares memory, writeable={received.flags.writeable}"
print(f"np.from_dlpack(read-only array) on NumPy {np.__version__}: {outcome}")
with claim(
    "trap-dlpack-plain-export-raises",
    f"on NumPy {np.__version__}, frozen.__dlpack__(), without max_version, raises BufferError for this "
    "non-writeable array" + (", and frozen.__dlpack__(max_version=(1, 0)) exports it" if READ_ONLY_EXPORT else ""),
) as c:
    try:
        frozen.__dlpack__()
        plain = "no error"
    except BufferError as error:
        plain = f"BufferError: {error}"
    c.check(plain.startswith("BufferError"), f"frozen.__dlpack__(): {plain}")
    if READ_ONLY_EXPORT:
        capsule = frozen.__dlpack__(max_version=(1, 0))
        c.check(
            type(capsule).__name__ == "PyCapsule", f"frozen.__dlpack__(max_version=(1, 0)): {type(capsule).__name__}"
        )
print(f"frozen.__dlpack__() on NumPy {np.__version__}: {plain}")

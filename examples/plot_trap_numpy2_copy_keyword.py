"""
Trap: the ``copy=`` keyword changed meaning in NumPy 2
======================================================

``np.array(x, copy=False)`` changed meaning in NumPy 2. This page runs on
whichever NumPy built it and words each claim for that release; the
versions page runs it on each release the site checks. As this build's
NumPy ran them: :claim:`trap-np2-array-copy-false`; and
:claim:`trap-asarray-copies-if-needed`.

Reported in `numpy#25168 <https://github.com/numpy/numpy/pull/25168>`__
(the new ``copy`` semantics) and
`numpy#26142 <https://github.com/numpy/numpy/pull/26142>`__ (``__array__``
must accept ``dtype=None, copy=None``); downstream breakages such as
`PyFMI#244 <https://github.com/modelon-community/PyFMI/issues/244>`__
(``Unable to avoid copy while creating an array as requested``).
"""

# %%
import warnings

import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts, search

NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"
RESHAPE_COPY = np.lib.NumpyVersion(np.__version__) >= "2.1.0"
x = np.arange(12.0).reshape(3, 4)
print(f"NumPy {np.__version__}; x: {x.shape} float64, C-ordered")

# %%
# ``np.array(x, copy=False)``
# ---------------------------
# Asking for ``float32`` needs a new buffer.
with claim(
    "trap-np2-array-copy-false",
    f"on NumPy {np.__version__}, np.array(x, dtype=np.float32, copy=False) "
    + ("raises ValueError, because the conversion needs a copy" if NUMPY2 else "copies silently"),
) as c:
    try:
        converted = np.array(x, dtype=np.float32, copy=False)
    except ValueError as error:
        outcome = f"ValueError: {str(error).splitlines()[0]}"
        c.check(NUMPY2, f"NumPy {np.__version__}: {outcome}")
    else:
        outcome = "a copy"
        c.check(not NUMPY2, f"NumPy {np.__version__}: no error, a {converted.dtype} result")
        viewcopy.expect_copy(x, converted)
    viewcopy.expect_view(x, np.array(x, copy=False))  # no copy needed: a view on both
print(f"np.array(x, dtype=np.float32, copy=False) -> {outcome}")

# %%
# ``np.asarray``: copy only if needed, on every release
# -----------------------------------------------------
# This is the migration: replace ``np.array(x, copy=False)`` with
# ``np.asarray(x)``. NumPy 2 also gives ``asarray`` a ``copy=`` keyword.
with claim(
    "trap-asarray-copies-if-needed",
    "np.asarray(x) returns x itself, and np.asarray(x, dtype=np.float32) a copy",
) as c:
    c.check(np.asarray(x) is x, "np.asarray(x) is x")
    viewcopy.expect_copy(x, np.asarray(x, dtype=np.float32))
with claim(
    "trap-np2-asarray-copy-keyword",
    f"on NumPy {np.__version__}, "
    + (
        "np.asarray(x, copy=True) copies and np.asarray(x, dtype=np.float32, copy=False) raises ValueError"
        if NUMPY2
        else "np.asarray has no copy= keyword (TypeError)"
    ),
) as c:
    call, refusal = (
        ("np.asarray(x, dtype=np.float32, copy=False)", ValueError)
        if NUMPY2
        else ("np.asarray(x, copy=True)", TypeError)
    )
    if NUMPY2:
        viewcopy.expect_copy(x, np.asarray(x, copy=True))
    try:
        np.asarray(x, dtype=np.float32, copy=False) if NUMPY2 else np.asarray(x, copy=True)
    except refusal as error:
        outcome = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    else:
        outcome = "no error"
    c.check(outcome.startswith(refusal.__name__), f"NumPy {np.__version__}, {call}: {outcome}")

# %%
# Over the site's :term:`family` of layouts, on this release:
# :claim:`trap-family-asarray-returns-input`; and
# :claim:`trap-family-np2-array-copy-false-order-c`.
with claim(
    "trap-family-asarray-returns-input",
    "for every layout in the family, np.asarray(a) returns a itself",
) as same:
    for case in same.over(layouts()):
        same.check(np.asarray(case.array) is case.array, f"{case.name!s}: np.asarray(case.array) is case.array")
with claim(
    "trap-family-np2-array-copy-false-order-c",
    f"on NumPy {np.__version__}, for every non-empty layout in the family, np.array(a, copy=False, order='C') "
    "is a view of a when a is C-contiguous, and otherwise " + ("raises ValueError" if NUMPY2 else "a copy"),
) as strict:
    for case in strict.over(layouts(where=lambda a: a.size > 0)):
        a = case.array
        try:
            result = np.array(a, copy=False, order="C")
        except ValueError:
            strict.check(NUMPY2 and not a.flags.c_contiguous, f"{case.name!s}: NUMPY2 and not a.flags.c_contiguous")
        else:
            strict.check(
                np.shares_memory(a, result) == a.flags.c_contiguous,
                f"{case.name!s}: np.shares_memory(a, result) == a.flags.c_contiguous ({np.shares_memory(a, result)=!s}, {a.flags.c_contiguous=!s})",
            )
            strict.check(a.flags.c_contiguous or not NUMPY2, f"{case.name!s}: a.flags.c_contiguous or not NUMPY2")
print(f"checked on {same.cases} and {strict.cases} layouts")

# %%
# ``reshape(copy=...)``
# ---------------------
# NumPy 2.1 added ``copy=`` to ``reshape``: it makes beforehand the check
# that ``viewcopy.expect_view`` makes after the fact. Over the family:
# :claim:`trap-family-reshape-copy-false`.


def reshape_copy_false(a):
    """What ``a.reshape(-1, copy=False)`` does: the exception's name, or what viewcopy.relation calls its result."""
    try:
        result = a.reshape(-1, copy=False)
    except (ValueError, TypeError) as error:
        return type(error).__name__
    return viewcopy.relation(a, result).kind


with claim(
    "trap-family-reshape-copy-false",
    f"on NumPy {np.__version__}, for every layout in the family, "
    + (
        "reshape(-1, copy=False) raises ValueError exactly where reshape(-1) returns a copy, "
        "and returns the view everywhere else"
        if RESHAPE_COPY
        else "reshape(-1, copy=False) raises TypeError (reshape has no copy= keyword)"
    ),
) as c:
    if RESHAPE_COPY:
        rule = "reshape(-1, copy=False) raises ValueError where reshape(-1) is a copy, else returns a view"
        found = search(
            lambda a: (
                reshape_copy_false(a)
                == ("ValueError" if viewcopy.relation(a, a.reshape(-1)).kind == "copy" else "view")
            ),
            c.over(layouts()),
            about=rule,
        )
    else:
        rule = "reshape(-1, copy=False) raises TypeError"
        found = search(lambda a: reshape_copy_false(a) == "TypeError", c.over(layouts()), about=rule)
    c.check(found.holds, f"{len(found.counterexamples)} of {len(found.results)} layouts break it")
print(found)
with claim(
    "trap-reshape-copy-keyword",
    f"on NumPy {np.__version__}, "
    + (
        "x.T.reshape(-1, copy=False) raises ValueError instead of copying"
        if RESHAPE_COPY
        else "reshape has no copy= keyword (TypeError)"
    ),
) as c:
    try:
        x.T.reshape(-1, copy=False)
    except ValueError as error:
        c.check(RESHAPE_COPY, "RESHAPE_COPY")
        outcome = f"ValueError: {error}"
    except TypeError as error:
        c.check(not RESHAPE_COPY, "not RESHAPE_COPY")
        outcome = f"TypeError: {error}"
    else:
        raise AssertionError("reshape(copy=False) of a transposed array returned")
print(f"x.T.reshape(-1, copy=False) -> {outcome}")


# %%
# ``__array__`` for your own array-likes
# --------------------------------------
# NumPy 2 passes ``copy=`` to ``__array__`` (and from 2.1 a plain
# ``np.array(obj)`` passes ``copy=True``). A class written for 1.x,
# ``__array__(self, dtype=None)``, cannot honour ``copy=False``. The one
# below takes ``copy=None``, keeps the dtype when none is asked for, and
# refuses a conversion that ``copy=False`` forbids:
# :claim:`trap-array-protocol-new-style`.
class OldStyle:
    def __init__(self, data):
        self.data = data

    def __array__(self, dtype=None):
        return self.data if dtype is None else self.data.astype(dtype)


class NewStyle(OldStyle):
    def __array__(self, dtype=None, copy=None):
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"converting {self.data.dtype} to {np.dtype(dtype)} needs a copy")
        data = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return data.copy() if copy and data is self.data else data


integers = np.arange(1_000)
with (
    claim(
        "trap-array-protocol-new-style",
        f"on NumPy {np.__version__}, for NewStyle over x (float64) and over integers (int64), np.asarray returns "
        "the buffer without a copy or a warning, np.array(obj) a copy of the same dtype, and "
        + (
            "np.array(obj, dtype=np.float32, copy=False) raises ValueError"
            if NUMPY2
            else "np.array(obj, dtype=np.float32, copy=False) a float32 copy (copy=False meant 'if possible')"
        ),
    ) as c,
    warnings.catch_warnings(),
):
    warnings.simplefilter("error")
    for data in (x, integers):
        viewcopy.expect_view(data, np.asarray(NewStyle(data)))
        copied = viewcopy.expect_copy(data, np.array(NewStyle(data)))
        c.check(copied.dtype == data.dtype, f"np.array(NewStyle({data.dtype} data)).dtype is {copied.dtype}")
        try:
            converted = np.array(NewStyle(data), dtype=np.float32, copy=False)
        except ValueError as error:
            c.check(NUMPY2, f"copy=False with a dtype change: ValueError: {error}")
        else:
            c.check(not NUMPY2 and converted.dtype == np.float32, f"copy=False with a dtype change: {converted.dtype}")
with claim(
    "trap-array-protocol-old-style-copy-false",
    f"on NumPy {np.__version__}, np.array(old_style, copy=False) "
    + (
        "warns DeprecationWarning and raises ValueError"
        if NUMPY2
        else "returns the buffer without a copy (copy=False meant 'if possible')"
    ),
) as c:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = np.array(OldStyle(x), copy=False)
        except ValueError:
            c.check(NUMPY2, "NUMPY2")
            outcome = "ValueError"
        else:
            c.check(not NUMPY2, "not NUMPY2")
            viewcopy.expect_view(x, result)
            outcome = "a view"
    warned = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    c.check(bool(warned) == NUMPY2, f"bool(warned) == NUMPY2 ({bool(warned)=!s}, {NUMPY2=!s})")
print(f"np.array(OldStyle(x), copy=False) -> {outcome}; DeprecationWarning: {bool(warned)}")
if warned:
    print(f"  {str(warned[0].message).splitlines()[0]}")

# %%
# The migration, checked
# ----------------------
# Use ``np.asarray`` where a copy is allowed in code that must run on 1.26
# and on 2.x, pass ``copy=True`` where one is wanted, and where a copy must
# not happen, check with ``viewcopy.expect_view``
# rather than rely on a keyword that changed meaning. A ``copy_if_needed``
# constant for ``np.array``, as SciPy defines one (scipy#20172, which NumPy's
# migration guide points to):
copy_if_needed = None if NUMPY2 else False
with claim(
    "trap-copy-if-needed-constant",
    "np.array(x, copy=copy_if_needed) returns a view of x, and copies when a float32 result is asked for",
):
    viewcopy.expect_view(x, np.array(x, copy=copy_if_needed))
    viewcopy.expect_copy(x, np.array(x, dtype=np.float32, copy=copy_if_needed))
print(f"copy_if_needed on NumPy {np.__version__}: {copy_if_needed}")

"""
The article, searched for counterexamples
=========================================

The source article states rules. Three of them, with what the search below
found: :claim:`searched-ravel-whenever-permits`;
:claim:`searched-flatten-always-copies`; and
:claim:`searched-shares-memory-false-means-copy`.
One array cannot prove a rule, but one array can break it. This page
treats every such sentence as a hypothesis and runs it on every array of
:func:`viewcopy.claims.layouts` (the :term:`family`): arrays of 0 to 4 dimensions,
with length-0 and length-1 axes, C and F :term:`order`, step slices, negative
:term:`strides`, transposes and other axis permutations, zero-stride
:term:`broadcasts <broadcast>`, read-only flags and three dtypes.

:func:`viewcopy.claims.search` keeps the arrays that break the rule. The verdict
printed under each statement is written by that search, and so is the exact
condition: every candidate condition is run on every array, the one true on exactly
the arrays where the behaviour happens is kept, and each rejected candidate
is printed with an array it is wrong for; if no candidate, or more than one,
is right, the build fails. The smallest counterexamples are then run and
printed. On this page a :dfn:`view` of an array is an array that reads its
memory, as :func:`viewcopy.relation` decides (for empty arrays, see the
section on :func:`numpy.shares_memory`).
"""

# %%
# The family
# ----------
import warnings

import numpy as np

import viewcopy
from viewcopy.claims import Case, claim, layouts, search

CASES = layouts()
print(f"NumPy {np.__version__}; {len(CASES)} layouts, for example:")
for case in CASES[::150]:
    print(f"  {case.name:38} shape {case.array.shape}, strides {case.array.strides}")


def is_view(a, b):
    """The site's one definition (:func:`viewcopy.relation`): NumPy made ``b`` from ``a``'s memory without allocating."""
    return viewcopy.relation(a, b).kind == "view"


def allocated(call):
    """NumPy bytes allocated by ``call()`` and still held by its result."""
    with viewcopy.track() as t:
        result = call()  # noqa: F841 (held, so that its bytes are still allocated when the block ends)
    return t.allocated_bytes


def k_contiguous(a):
    """Sorted by stride, the axes longer than 1 tile one block with positive strides."""
    step = a.itemsize
    for stride, length in sorted((s, n) for s, n in zip(a.strides, a.shape, strict=False) if n > 1):
        if stride != step:
            return False
        step *= length
    return True


def searched(claim_id, statement, rule, show, behaviour=None, conditions=None, source="the article's", cases=CASES):
    """Search the family for counterexamples to ``statement``; claim what the search found.

    The claim's sentence is written from the search's result, then the claim
    runs the search again over every case and checks it found the same.
    """
    found = search(rule, cases, about=statement)
    sentence = f"{source} {statement!r} {found.verdict}"
    when = None
    if behaviour is not None:
        observed = search(behaviour[1], cases, about=behaviour[0])
        when = observed.exactly_when(conditions)  # every candidate checked; none or two right raises
        sentence += f"; {behaviour[0]} exactly when {when}"
    with claim(claim_id, sentence) as c:
        again = search(rule, c.over(cases), about=statement)
        c.check(
            again.counterexamples == found.counterexamples,
            f"the search again over {len(again.results)} cases found {len(again.counterexamples)} counterexamples, "
            f"the same as the first search ({len(found.counterexamples)})",
        )
        if when is not None:
            again_when = observed.exactly_when(conditions)
            c.check(again_when == when, f"checked again, {behaviour[0]} exactly when {again_when} (first: {when})")
    print(f"{'Article' if source.startswith('the article') else 'Rule'}: {statement}\nSearch:  {found.verdict}")
    if when is not None:
        print(f"Exact:   {behaviour[0]} exactly when {when}")
        for text, case in when.rejected:
            print(f"  rejected candidate {text!r}: wrong for {case.name}")
    for case in found.boundary():
        print(f"  counterexample {case.name}, strides {case.array.strides}: {show(case.array)}")


# %%
# "ravel returns a view whenever the memory layout permits"
# ---------------------------------------------------------
# Here :dfn:`permits` is read as ``reshape(-1)`` returning a view of the
# array.
searched(
    "searched-ravel-whenever-permits",
    "ravel() returns a view whenever the memory layout permits",
    lambda a: is_view(a, a.ravel()) or not is_view(a, a.reshape(-1)),
    lambda a: f"ravel() view: {is_view(a, a.ravel())}, reshape(-1) view: {is_view(a, a.reshape(-1))}",
    behaviour=("ravel() returns a view", lambda a: is_view(a, a.ravel())),
    conditions={
        "the array is C-contiguous and not empty": lambda a: a.flags.c_contiguous and a.size > 0,
        "the array is C-contiguous": lambda a: a.flags.c_contiguous,
    },
)

# %%
# "flatten always creates a contiguous copy, guaranteeing independence"
# ---------------------------------------------------------------------
searched(
    "searched-flatten-always-copies",
    "flatten() always creates a contiguous copy",
    lambda a: not is_view(a, (f := a.flatten())) and f.flags.owndata and f.flags.c_contiguous and f.flags.writeable,
    lambda a: "",
)

# %%
# "Using ravel versus flatten changes whether the data is shared or copied"
# -------------------------------------------------------------------------
# :claim:`searched-ravel-vs-flatten-differ`.
searched(
    "searched-ravel-vs-flatten-differ",
    "ravel() versus flatten() changes whether the data is shared",
    lambda a: is_view(a, a.ravel()) != is_view(a, a.flatten()),
    lambda a: f"ravel() view: {is_view(a, a.ravel())}, flatten() view: {is_view(a, a.flatten())}",
    behaviour=(
        "ravel() and flatten() differ in whether they return a view",
        lambda a: is_view(a, a.ravel()) != is_view(a, a.flatten()),
    ),
    conditions={
        "the array is C-contiguous": lambda a: a.flags.c_contiguous,
        "the array is C-contiguous and not empty": lambda a: a.flags.c_contiguous and a.size > 0,
    },
)

# %%
# "If np.shares_memory is False, you got a copy"
# ----------------------------------------------
# :claim:`searched-empty-ravel-is-view`.
EMPTY = [case for case in CASES if case.array.size == 0]


def owner(x):
    """The end of ``x``'s base chain: the object whose memory ``x`` reads."""
    while x.base is not None:
        x = x.base
    return x


with claim(
    "searched-empty-ravel-is-view",
    f"ravel() of each of the family's {len(EMPTY)} empty arrays is a view by viewcopy.relation "
    "(it allocates nothing, owns no data and its base chain ends where the source's does), "
    "while np.shares_memory says False for each",
) as c:
    for text, holds in {
        "is a view by viewcopy.relation": lambda a: is_view(a, a.ravel()),
        "allocates 0 bytes": lambda a: allocated(a.ravel) == 0,
        "owns no data": lambda a: not a.ravel().flags.owndata,
        "ends its base chain where the source's ends": lambda a: owner(a.ravel()) is owner(a),
        "shares no memory by np.shares_memory": lambda a: not np.shares_memory(a, a.ravel()),
    }.items():
        found = search(holds, c.over(EMPTY), about=f"ravel() of an empty array {text}")
        c.check(found.holds, f"{len(found.counterexamples)} of {len(found.results)} empty arrays break it")
        print(f"ravel() of an empty array {text}: {found.verdict}")

# The family's arrays all have items of at least one byte, so on them "empty"
# and "holds no bytes" are the same arrays. Two arrays of the zero-byte dtype
# ``np.dtype([])`` (four and six elements, ``nbytes`` 0) are searched too, so
# that the search can tell the two conditions apart.
NO_BYTES = [
    Case("np.zeros(4, dtype=np.dtype([]))", np.zeros(4, dtype=np.dtype([]))),
    Case("np.zeros((2, 3), dtype=np.dtype([])).T", np.zeros((2, 3), dtype=np.dtype([])).T),
]
searched(
    "searched-shares-memory-false-means-copy",
    "if np.shares_memory is False, you got a copy",
    lambda a: np.shares_memory(a, (r := a.ravel())) or not is_view(a, r),
    lambda a: (
        f"ravel() is a view of a ({is_view(a, a.ravel())}: base chain ends at a's buffer, owns no data), "
        f"np.shares_memory: {np.shares_memory(a, a.ravel())}"
    ),
    behaviour=(
        "its ravel() is a view for which np.shares_memory says False",
        lambda a: is_view(a, a.ravel()) and not np.shares_memory(a, a.ravel()),
    ),
    conditions={
        "the array is empty": lambda a: a.size == 0,
        "the array holds no bytes (nbytes == 0: empty, or of a zero-byte dtype)": lambda a: a.nbytes == 0,
        "the array is 0-d": lambda a: a.ndim == 0,
    },
    cases=CASES + NO_BYTES,
)

# %%
# "ravel(order='F') will allocate a new copy if the array isn't F-contiguous"
# ---------------------------------------------------------------------------
searched(
    "searched-ravel-f-copies-non-f",
    "if the array isn't F-contiguous, ravel(order='F') copies",
    lambda a: a.flags.f_contiguous or not is_view(a, a.ravel(order="F")),
    lambda a: "",
    behaviour=("ravel(order='F') returns a view", lambda a: is_view(a, a.ravel(order="F"))),
    conditions={
        "the array is F-contiguous and not empty": lambda a: a.flags.f_contiguous and a.size > 0,
        "the array is F-contiguous": lambda a: a.flags.f_contiguous,
    },
)

# %%
# "Using ravel on non-contiguous arrays and expecting a copy"
# -----------------------------------------------------------
# The article warns against it. :claim:`searched-ravel-k-non-c-copies`.
searched(
    "searched-ravel-k-non-c-copies",
    "ravel(order='K') of a non-C-contiguous array copies",
    lambda a: a.flags.c_contiguous or not is_view(a, a.ravel(order="K")),
    lambda a: f"C {a.flags.c_contiguous}, F {a.flags.f_contiguous}, ravel('K') view: {is_view(a, a.ravel('K'))}",
    behaviour=("ravel(order='K') returns a view", lambda a: is_view(a, a.ravel(order="K"))),
    conditions={
        "the array is C- or F-contiguous": lambda a: a.flags.c_contiguous or a.flags.f_contiguous,
        "its axes longer than 1, sorted by stride, tile one block with positive strides": k_contiguous,
        "its axes longer than 1, sorted by stride, tile one block with positive strides, or it is empty": lambda a: (
            k_contiguous(a) or a.size == 0
        ),
    },
)

# %%
# "Ignoring the 'order' argument, leading to unexpected layout changes"
# ---------------------------------------------------------------------
# :claim:`searched-order-changes-layout`. The *sequence* of elements does
# change with ``order``, searched next.
searched(
    "searched-order-changes-layout",
    "ignoring order= changes the layout of ravel's result",
    lambda a: any(not (r := a.ravel(order=o)).flags.c_contiguous or r.ndim != 1 for o in "CFAK"),
    lambda a: (
        "ravel(order=o) for o in 'CFAK': "
        + ", ".join(f"{r.ndim}-D, C-contiguous {r.flags.c_contiguous}" for r in (a.ravel(order=o) for o in "CFAK"))
    ),
)
# The sequence is compared by position, not by value: each element is
# replaced by its index in C order (an ``np.arange`` of the array's shape), so
# that equal values cannot hide a different order. Compared by value, the
# two orders can agree where the positions do not:
# :claim:`searched-order-equal-values-hide-order`.


def positions(a, order):
    """The C-order index of each element, in the order ravel(order=) reads ``a``."""
    return np.arange(a.size).reshape(a.shape).ravel(order)


zeros = np.zeros((2, 3))
with claim(
    "searched-order-equal-values-hide-order",
    "for np.zeros((2, 3)), ravel('C') and ravel('F') give equal values, though they read the elements in "
    f"different orders (positions {positions(zeros, 'C').tolist()} and {positions(zeros, 'F').tolist()})",
) as c:
    c.check(
        np.array_equal(zeros.ravel("C"), zeros.ravel("F"))
        and not np.array_equal(positions(zeros, "C"), positions(zeros, "F")),
        f"values equal: {np.array_equal(zeros.ravel('C'), zeros.ravel('F'))}; positions C {positions(zeros, 'C')}, "
        f"F {positions(zeros, 'F')}",
    )
searched(
    "searched-order-changes-sequence",
    "ravel's order= leaves the sequence alone",
    lambda a: np.array_equal(positions(a, "C"), positions(a, "F")),
    lambda a: f"positions ravel('C') {positions(a, 'C')[:4]}... ravel('F') {positions(a, 'F')[:4]}...",
    behaviour=(
        "ravel('C') and ravel('F') read the elements in the same order (compared by position)",
        lambda a: np.array_equal(positions(a, "C"), positions(a, "F")),
    ),
    conditions={
        "at most one axis is longer than 1": lambda a: sum(n > 1 for n in a.shape) <= 1,
        "at most one axis is longer than 1, or the array is empty": lambda a: (
            sum(n > 1 for n in a.shape) <= 1 or a.size == 0
        ),
    },
)

# %%
# "np.reshape(-1) ... may raise a ValueError on non-contiguous arrays"
# --------------------------------------------------------------------


def raises_value_error(call):
    try:
        call()
    except ValueError:
        return True
    return False


searched(
    "searched-reshape-raises",
    "reshape(-1) may raise a ValueError on non-contiguous arrays",
    lambda a: a.flags.c_contiguous or raises_value_error(lambda: a.reshape(-1)),
    lambda a: f"reshape(-1) view: {is_view(a, a.reshape(-1))} (no error)",
)

# %%
# What ``reshape`` does instead: :claim:`searched-reshape-views-one-stride`.


def one_stride_walks(a):
    """What :func:`viewcopy.predict` reads from the strides alone: one stride reaches every element in C order."""
    return viewcopy.predict(a, "reshape(-1)").kind == "view"


with claim(
    "searched-reshape-views-one-stride",
    "reshape(-1) returns a view exactly when one stride walks the elements in C order; "
    "reshape(-1, order='K') raises ValueError on every array",
) as c:
    exact = "one stride walks the elements in C order"
    found = search(lambda a: is_view(a, a.reshape(-1)), c.over(CASES), about="reshape(-1) returns a view")
    condition = found.exactly_when({exact: one_stride_walks}).condition
    c.check(condition == exact, f"over {len(found.results)} cases, reshape(-1) returns a view exactly when {condition}")
    refused = sum(raises_value_error(lambda a=case.array: a.reshape(-1, order="K")) for case in CASES)
    c.check(refused == len(CASES), f"reshape(-1, order='K') raised ValueError on {refused} of {len(CASES)} cases")
print(f"reshape(-1) returns a view exactly when {exact} ({len(CASES)} layouts)")
for case in found.boundary():
    a = case.array
    print(f"  copies {case.name}: strides {a.strides}; reshape(-1) view: {is_view(a, a.reshape(-1))}")

# %%
# The article's production guard
# ------------------------------
# ``assert copy.shape == arr.shape`` compares the 1-D result of ``flatten``
# with the input's shape, and the warning trusts :func:`numpy.shares_memory`.


def guard_passes(a):
    copy = a.flatten(order="C")
    try:
        if not (copy.shape == a.shape and not np.shares_memory(a, copy)):
            raise AssertionError  # the article's `assert`, written out: python -O does not strip it
    except AssertionError:
        return False
    return True


searched(
    "searched-article-guard-passes",
    "the production guard passes when the code is correct",
    guard_passes,
    lambda a: f"flatten() shape {a.flatten().shape} != {a.shape}",
    behaviour=("the article's guard passes", guard_passes),
    conditions={"the array is 1-D": lambda a: a.ndim == 1},
)


def guard_warns(a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return not np.shares_memory(a, a.ravel())  # the article logs "ravel produced a copy" on this


searched(
    "searched-article-guard-warns-on-copies",
    "the guard's warning fires when ravel produced a copy",
    lambda a: guard_warns(a) == (not is_view(a, a.ravel())),
    lambda a: f"warns: {guard_warns(a)}, yet ravel() is a view: {is_view(a, a.ravel())}",
    behaviour=("the warning fires on a view", lambda a: guard_warns(a) and is_view(a, a.ravel())),
    conditions={
        "the array is empty": lambda a: a.size == 0,
        "the array holds no bytes (nbytes == 0: empty, or of a zero-byte dtype)": lambda a: a.nbytes == 0,
    },
    cases=CASES + NO_BYTES,
)

# %%
# "arr.copy().ravel() copies first then creates a view, doubling allocation"
# --------------------------------------------------------------------------
# The figures are what :func:`viewcopy.track` counted.


searched(
    "searched-copy-ravel-doubles",
    "arr.copy().ravel() doubles the allocation",
    lambda a: allocated(lambda: a.copy().ravel()) == 2 * a.nbytes,
    lambda a: f"{allocated(lambda: a.copy().ravel())} bytes allocated, nbytes {a.nbytes}",
    behaviour=(
        "arr.copy().ravel() allocates exactly nbytes (one copy)",
        lambda a: allocated(lambda: a.copy().ravel()) == a.nbytes,
    ),
    conditions={
        "the array is not empty": lambda a: a.size > 0,
        "the array holds bytes (nbytes > 0)": lambda a: a.nbytes > 0,
    },
    cases=CASES + NO_BYTES,
)

# %%
# The same boundary for ``copy()`` alone: :claim:`searched-empty-copy-allocates`.
empty = np.zeros((0, 3))
n = allocated(empty.copy)
with claim(
    "searched-empty-copy-allocates",
    f"copy() of each of the family's {len(EMPTY)} empty arrays allocates {n} byte{'s' * (n != 1)}, "
    "where its nbytes is 0",
) as c:
    found = search(lambda a: a.nbytes == 0 and allocated(a.copy) == n, c.over(EMPTY), about=f"copy() allocates {n} B")
    c.check(n > 0 and found.holds, f"np.zeros((0, 3)).copy() allocated {n} B; on empty arrays, {found}")
print(f"np.zeros((0, 3)).copy() allocates {n} byte{'s' * (n != 1)}; its nbytes is {empty.nbytes}")

# %%
# Read-only sources: "need for an immutable result"
# -------------------------------------------------
searched(
    "searched-flatten-immutable",
    "flatten() gives an immutable result",
    lambda a: not a.flatten().flags.writeable,
    lambda a: f"source writeable {a.flags.writeable}, flatten() writeable {a.flatten().flags.writeable}",
)
frozen = next(case for case in CASES if not case.array.flags.writeable and case.array.size)
print(f"read-only source {frozen.name}: flatten() writeable {frozen.array.flatten().flags.writeable}")
searched(
    "searched-ravel-inherits-readonly",
    "a ravel() view is as writeable as its source",
    lambda a: not is_view(a, (r := a.ravel())) or r.flags.writeable == a.flags.writeable,
    lambda a: "",
    source="the rule",
)

# %%
# Two of this site's own rules
# ----------------------------
# Two rules this gallery once stated without a limit, searched the same
# way: :claim:`searched-fancy-columns-f-ordered`; and
# :claim:`searched-views-only-change-strides`.


def data_address(x):
    return x.__array_interface__["data"][0]


WIDE = [case for case in CASES if case.array.ndim >= 2 and case.array.shape[1] >= 3]
searched(
    "searched-fancy-columns-f-ordered",
    "t[:, [1, 2]] returns a Fortran-ordered array",
    lambda x: x[:, [1, 2]].flags.f_contiguous,
    lambda x: (
        f"{x.ndim}-D result, strides {x[:, [1, 2]].strides}, C {x[:, [1, 2]].flags.c_contiguous}, "
        f"F {x[:, [1, 2]].flags.f_contiguous}"
    ),
    behaviour=("t[:, [1, 2]] is F-contiguous", lambda x: x[:, [1, 2]].flags.f_contiguous),
    conditions={
        "t is 2-D": lambda x: x.ndim == 2,
        "each axis of t after the second has length 1 (so any 2-D t), or the result is empty": lambda x: (
            all(n == 1 for n in x.shape[2:]) or x[:, [1, 2]].size == 0
        ),
    },
    source="the rule",
    cases=WIDE,
)
searched(
    "searched-views-only-change-strides",
    "a reversed view differs from its source only in strides",
    lambda x: data_address(x[::-1]) == data_address(x),
    lambda x: f"x[::-1] starts {data_address(x[::-1]) - data_address(x)} bytes after x",
    behaviour=("x[::-1] starts at x's first byte", lambda x: data_address(x[::-1]) == data_address(x)),
    conditions={
        "the first axis has at most one element": lambda x: x.shape[0] <= 1,
        "the first axis has at most one element or a zero stride": lambda x: x.shape[0] <= 1 or x.strides[0] == 0,
    },
    source="the rule",
    cases=[case for case in CASES if case.array.ndim >= 1],
)

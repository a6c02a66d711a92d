"""
FAQ, answered by running it
===========================

The source article's two questions, and the ones readers ask next. Each
answer is a claim run when this page was built and again on each release
of the :doc:`/versions` page. The :doc:`/primer`
defines the terms this page uses.
"""

# %%
import os
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts, search, time_ratio

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
ROWS = N // 1000
a = np.arange(N, dtype=np.float64).reshape(ROWS, 1000)
print(f"NumPy {np.__version__}; a: shape {a.shape} float64, {viewcopy.format_bytes(a.nbytes)}")
CASES = layouts()  # the family every "always" on this page is checked over


# %%
# Can ``ravel`` return a copy when I ask for Fortran order?
# ---------------------------------------------------------
# Yes: :claim:`faq-ravel-f-copies-c-array`. The article's answer, searched
# over the :term:`family`:
article_f = search(
    lambda x: x.flags.f_contiguous or not np.shares_memory(x, x.ravel(order="F")),
    CASES,
    about="if the array isn't F-contiguous, ravel(order='F') allocates a new copy",
)
print(f"{article_f.rule}: {article_f.verdict}")
with claim("faq-ravel-f-copies-c-array", "ravel('F') of this C-ordered 2-D array copies") as c:
    with viewcopy.track() as t:
        in_f = viewcopy.expect_copy(a, a.ravel(order="F"))
    c.check(t.allocated_bytes == a.nbytes, f"t.allocated_bytes == a.nbytes ({t.allocated_bytes=!s}, {a.nbytes=!s})")
print("a.ravel('F'):", t)
del in_f

# %%
# When does ``ravel('F')`` *not* copy?
# ------------------------------------
# Over the :term:`family`, judged by :func:`viewcopy.relation` (the site's
# one definition): :claim:`faq-ravel-f-views-f-contiguous`. Examples:
# :claim:`faq-f-contiguous-examples`.
f_contiguous = [case for case in CASES if case.array.flags.f_contiguous]
empty = [case for case in CASES if case.array.size == 0]
with claim(
    "faq-f-contiguous-examples",
    f"for this page's C-ordered a: a.T, np.asfortranarray(a[:100]), the 1-D row a[0] and the one-row a[:1] are "
    "F-contiguous, "
    f"the last two C-contiguous as well, and so are the {len(empty)} empty layouts of the family",
) as c:
    for name, x in {"a.T": a.T, "np.asfortranarray(a[:100])": np.asfortranarray(a[:100])}.items():
        c.check(x.flags.f_contiguous, f"{name}: F-contiguous {x.flags.f_contiguous}")
    for name, x in {"a[0]": a[0], "a[:1]": a[:1]}.items():
        c.check(
            x.flags.f_contiguous and x.flags.c_contiguous, f"{name}: F {x.flags.f_contiguous}, C {x.flags.c_contiguous}"
        )
    for case in c.over(empty):
        flags = case.array.flags
        c.check(
            flags.f_contiguous and flags.c_contiguous, f"{case.name}: F {flags.f_contiguous}, C {flags.c_contiguous}"
        )
with claim(
    "faq-ravel-f-views-f-contiguous",
    f"on the {len(CASES)} layouts, ravel('F') is a view of each F-contiguous one and copies each other one",
) as c:
    for case in c.over(CASES):
        in_f = case.array.ravel(order="F")
        c.check(
            (viewcopy.relation(case.array, in_f).kind == "view") == (case in f_contiguous), f"{case.name}: ravel('F')"
        )
print(f"ravel('F') viewed {len(f_contiguous)} of {len(CASES)} layouts: the F-contiguous ones, e.g.")
for name, case in {"a.T (transposed)": a.T, "a[0] (1-D row)": a[0], "a[:1] (one row)": a[:1]}.items():
    print(
        f"  {name:18} F-contiguous: {case.flags.f_contiguous}, ravel('F'): {viewcopy.relation(case, case.ravel('F')).kind}"
    )

# %%
# A single *column* of a C-ordered array is the trap: its elements are a
# whole row apart. Searched over the family, on the first column
# ``x[:, :1]`` of each of its C-ordered 2-D layouts:
# :claim:`faq-column-copies-exactly-when`. On this page's ``a``:
# :claim:`faq-column-not-contiguous`.
C_2D = layouts(ndim=2, where=lambda x: x.flags.c_contiguous)
COLUMN_CONDITIONS = {
    "the array has more than one row": lambda x: x.shape[0] > 1,
    "the array has more than one row and more than one column": lambda x: x.shape[0] > 1 and x.shape[1] > 1,
}


def column_copies(x):
    return all(viewcopy.relation(x[:, :1], x[:, :1].ravel(order=o)).kind == "copy" for o in "CFAK")


column_when = search(column_copies, C_2D, about="ravel copies x[:, :1] in every order").exactly_when(COLUMN_CONDITIONS)
with claim(
    "faq-column-copies-exactly-when",
    f"for the {len(C_2D)} C-contiguous 2-D layouts of the family, ravel copies the first column x[:, :1] "
    f"in all four orders exactly when {column_when}",
) as c:
    again = search(column_copies, c.over(C_2D), about=column_when.rule).exactly_when(COLUMN_CONDITIONS)
    c.check(again.condition == column_when.condition, f"the search kept {again.condition!r}")
print("\n".join(column_when.lines()))
column = a[:, :1]
with claim(
    "faq-column-not-contiguous", "one column of this C-ordered 10,000-row array is not contiguous: ravel copies it"
):
    for order in "CFAK":
        viewcopy.expect_copy(column, column.ravel(order=order))
print("a[:, :1]:", viewcopy.layout(column), "->", viewcopy.predict(column, "ravel", "F"))
one_row = a[:1]
print("a[:1][:, :1]:", viewcopy.layout(one_row[:, :1]), "->", viewcopy.predict(one_row[:, :1], "ravel", "F"))

# %%
# Is ``flatten`` ever faster than ``ravel``?
# ------------------------------------------
# Does ``flatten`` win, as the article says, "when a contiguous copy is
# already required, because it avoids the view-creation check"? The time
# ratio of the two calls, by size, is on :doc:`plot_ravel_vs_flatten`. In
# memory there is nothing to win, over the family:
# :claim:`faq-flatten-same-copy`.
with claim(
    "faq-flatten-same-copy",
    "wherever ravel copies, flatten makes the same copy: the same bytes allocated and the same values "
    "(bytes and values only; time is measured below)",
) as c:
    copying = [case for case in CASES if case.array.size and not np.shares_memory(case.array, case.array.ravel())]
    for case in c.over(copying):  # the layouts on which ravel copies
        x = case.array
        with viewcopy.track() as ravel_copy:
            from_ravel = x.ravel()
        with viewcopy.track() as flatten_copy:
            from_flatten = x.flatten()
        c.check(
            ravel_copy.allocated_bytes == flatten_copy.allocated_bytes == x.nbytes,
            f"{case.name!s}: ravel_copy.allocated_bytes == flatten_copy.allocated_bytes == x.nbytes ({ravel_copy.allocated_bytes=!s}, {flatten_copy.allocated_bytes=!s}, {x.nbytes=!s})",
        )
        c.check(np.array_equal(from_ravel, from_flatten), f"{case.name!s}: np.array_equal(from_ravel, from_flatten)")

# %%
# What is left is time, for this page's ``a.T``:
# :claim:`faq-transposed-both-copy`. :func:`viewcopy.claims.time_ratio`
# times the two calls in alternating rounds; the verdict printed below is
# chosen by the measurement, and names one call the quicker only if three
# rounds in four agree.
with claim("faq-transposed-both-copy", "a.T.ravel() and a.T.flatten() of this page's a both copy") as c:
    viewcopy.expect_copy(a.T, a.T.ravel())
    viewcopy.expect_copy(a.T, a.T.flatten())
same_copy = time_ratio(a.T.flatten, a.T.ravel, size=a.nbytes)
print(f"a.T.flatten() / a.T.ravel(): {same_copy} (quartiles {same_copy.low:.3g} to {same_copy.high:.3g})")
if same_copy.below(1):
    print("flatten was faster than ravel in this run")
elif same_copy.above(1):
    print("flatten was slower than ravel in this run")
else:
    print("neither was faster in three rounds of four: this run could not tell the two apart")

fig, ax = plt.subplots(figsize=(6.4, 2.4), layout="constrained")
rounds = np.array(same_copy.a.samples) / np.array(same_copy.b.samples)
ax.plot(range(1, len(rounds) + 1), rounds, "o-", color="#e76f51")
ax.axhline(1, color="#264653", lw=1)
ax.set_xlabel("round (measured)")
ax.set_ylabel("flatten / ravel")
ax.set_title(f"Copying the transposed {same_copy.size} array:\nflatten time over ravel time, per round", fontsize=10)
plt.show()

# %%
# What is the difference between ``ravel`` and ``reshape(-1)``?
# -------------------------------------------------------------
# Over the family: :claim:`faq-ravel-reshape-same-on-c`; and
# :claim:`faq-ravel-reshape-differ-spaced`. The exact conditions for each,
# found by search, are on :doc:`plot_article_searched`.


def c_offsets(x):
    """The byte offset of each element of ``x``, in C order."""
    return [sum(i * step for i, step in zip(index, x.strides, strict=True)) for index in np.ndindex(*x.shape)]


def equally_spaced(x):
    """Whether ``x`` has two elements or more and one stride takes each, in C order, to the next."""
    steps = np.diff(c_offsets(x))
    return x.size > 1 and bool((steps == steps[0]).all())


c_layouts = [case for case in CASES if case.array.flags.c_contiguous]
spaced = [case for case in CASES if equally_spaced(case.array) and not case.array.flags.c_contiguous]
with claim(
    "faq-ravel-reshape-same-on-c",
    f"on the {len(c_layouts)} C-contiguous layouts of the family, ravel() and reshape(-1) give the same view: "
    "the same data pointer, shape and strides",
) as c:
    for case in c.over(c_layouts):
        x = case.array
        by_ravel, by_reshape = x.ravel(), x.reshape(-1)
        c.check(
            viewcopy.relation(x, by_ravel).kind == viewcopy.relation(x, by_reshape).kind == "view"
            and by_ravel.__array_interface__ == by_reshape.__array_interface__,
            f"{case.name}: both views, strides {by_ravel.strides}",
        )
with claim(
    "faq-ravel-reshape-differ-spaced",
    f"on the {len(spaced)} layouts of the family that are not C-contiguous but whose elements, in C order, are "
    "equally spaced, reshape(-1) is a view with that one stride and ravel() copies",
) as c:
    for case in c.over(spaced):
        x = case.array
        by_reshape = x.reshape(-1)
        c.check(
            viewcopy.relation(x, by_reshape).kind == "view"
            and by_reshape.strides[0] == np.diff(c_offsets(x))[0]
            and viewcopy.relation(x, x.ravel()).kind == "copy",
            f"{case.name}: reshape(-1) a view of stride {by_reshape.strides[0]}, ravel() a copy",
        )
every_other = a[:, ::2]
with claim("faq-reshape-views-strided", "reshape(-1) views this column-strided array, which ravel copies") as c:
    viewcopy.expect_copy(every_other, every_other.ravel())
    flat = viewcopy.expect_view(every_other, every_other.reshape(-1))
    c.check(
        flat.strides == (every_other.strides[1],),
        f"flat.strides == (every_other.strides[1],) ({flat.strides=!s}, {(every_other.strides[1],)=!s})",
    )
print("ravel:     ", viewcopy.predict(every_other, "ravel"))
print("reshape(-1):", viewcopy.predict(every_other, "reshape(-1)"))
print("the view's layout:", viewcopy.layout(flat))

# %%
# Does ``.base`` tell me whether I have a view?
# ---------------------------------------------
# No: :claim:`faq-base-misleads`. The :doc:`trap page
# <plot_trap_views_keep_buffers_alive>` follows ``base`` for arrays on a
# memmap and on a ``bytearray`` too: :claim:`trap-view-of-view-base-is-owner`.
# :func:`viewcopy.relation` answers the question instead; the :doc:`primer
# </primer>` gives its definition. Where :func:`numpy.shares_memory`
# disagrees with it: :claim:`searched-shares-memory-false-means-copy`.
t_copy = a.T.reshape(-1)
with claim(
    "faq-base-misleads",
    f"for the FAQ page's {ROWS:,}x1,000 array a, the copy a.T.reshape(-1) has a .base, and the view a[10:][5:] "
    "has a .base that is not a[10:], the array it was sliced from",
) as c:
    c.check(t_copy.base is not None, "t_copy.base is not None")
    c.check(not np.shares_memory(a, t_copy), "not np.shares_memory(a, t_copy)")
    first = a[10:]
    second = first[5:]
    c.check(
        second.base is not first and np.shares_memory(first, second),
        "second.base is not first and np.shares_memory(first, second)",
    )
print("a.T.reshape(-1):", viewcopy.relation(a.T, t_copy))
print("a[10:][5:]:     ", viewcopy.relation(first, second))
del t_copy

# %%
# Is ``np.shares_memory`` slow?
# -----------------------------
# :func:`numpy.may_share_memory` only compares the memory bounds;
# :func:`numpy.shares_memory` proves an overlap: :claim:`faq-may-share-bounds-only`. For two arrays with
# unrelated :term:`strides` over the same :term:`buffer` it solves an integer problem;
# ``max_work`` bounds the effort and NumPy raises
# :class:`~numpy.exceptions.TooHardError` past the bound. Below, each is
# timed as a ratio to ``may_share_memory`` on the same two arrays.
evens, odds = a[0, ::2], a[0, 1::2]  # interleaved: the same bounds, no element in common
with claim(
    "faq-may-share-bounds-only",
    "for the even and the odd elements of a's first row, np.may_share_memory says True and np.shares_memory False",
) as c:
    c.check(np.may_share_memory(evens, odds), f"may_share_memory: {np.may_share_memory(evens, odds)}")
    c.check(not np.shares_memory(evens, odds), f"shares_memory: {np.shares_memory(evens, odds)}")
r = a.ravel()
x = np.zeros((4, 5, 6), dtype=np.int8)
p, q = x[:, ::2, ::3], x[:, ::3, ::2]
costs = {
    "shares_memory(a, a.ravel())": time_ratio(
        lambda: np.shares_memory(a, r), lambda: np.may_share_memory(a, r), size=a.nbytes
    ),
    "shares_memory, crossed strides": time_ratio(
        lambda: np.shares_memory(p, q), lambda: np.may_share_memory(p, q), size="two views of a (4, 5, 6) int8 array"
    ),
}
for name, ratio in costs.items():
    print(f"{name:32} {ratio.ratio:6.1f}x may_share_memory of the same two arrays ({ratio.size})")
TooHardError = getattr(np, "exceptions", np).TooHardError
with claim("faq-shares-memory-bounded", "np.shares_memory raises TooHardError when max_work is too small") as c:
    try:
        np.shares_memory(p, q, max_work=1)
    except TooHardError as error:
        c.note(f"TooHardError: {error}")
        print("np.shares_memory(p, q, max_work=1) -> TooHardError:", error or "(no message)")
    else:
        raise AssertionError("no TooHardError")
    c.check(not viewcopy.relation(p, q, max_work=1).exact, "not viewcopy.relation(p, q, max_work=1).exact")

# %%
# What do ``copy=False`` and ``copy=None`` mean in NumPy 2?
# ---------------------------------------------------------
# NumPy 2.0 changed what ``np.array(x, copy=False)`` means:
# :claim:`faq-copy-none-is-old-false`. ``copy=None`` (the default of
# :func:`numpy.asarray`) is the old "only if needed". For ``reshape``:
# :claim:`faq-reshape-copy-keyword`.
numpy_version = tuple(int(p) for p in np.__version__.split(".")[:2])
try:
    np.reshape(a[:2], -1, copy=False)
    reshape_takes_copy = True
except TypeError:
    reshape_takes_copy = False
with claim(
    "faq-reshape-copy-keyword",
    f"np.reshape {'takes' if reshape_takes_copy else 'does not take'} the copy= keyword on NumPy {np.__version__} "
    "(it was added in NumPy 2.1)",
) as c:
    c.check(reshape_takes_copy == (numpy_version >= (2, 1)), f"reshape(copy=False) accepted: {reshape_takes_copy}")
needs_a_copy = a[:100].astype(np.float32)  # asking for float64 needs a conversion
with claim(
    "faq-copy-none-is-old-false",
    "for this float32 x asked for as float64, np.array(x, copy=False) copies on NumPy 1, which refuses "
    "copy=None, and raises ValueError on NumPy 2, where np.array(x, copy=None) copies",
) as c:
    try:
        by_none = np.array(needs_a_copy, dtype=np.float64, copy=None)
    except ValueError as error:
        c.check(numpy_version < (2, 0), f"NumPy {np.__version__}: copy=None raised ValueError ({error})")
    else:
        c.check(numpy_version >= (2, 0), f"NumPy {np.__version__}: copy=None returned an array")
        viewcopy.expect_copy(needs_a_copy, by_none)
    try:
        old_meaning = np.array(needs_a_copy, dtype=np.float64, copy=False)
    except ValueError as error:
        c.check(numpy_version >= (2, 0), f"NumPy {np.__version__}: copy=False raised ValueError ({error})")
    else:
        c.check(numpy_version < (2, 0), f"NumPy {np.__version__}: copy=False returned an array")
        viewcopy.expect_copy(needs_a_copy, old_meaning)
with claim("faq-copy-false-numpy2", "np.array(x, copy=False) raises where a copy is needed (NumPy 2)") as c:
    try:
        converted = np.array(needs_a_copy, dtype=np.float64, copy=False)
    except ValueError as error:
        c.check(numpy_version >= (2, 0), f"numpy_version >= (2, 0) ({numpy_version=!s})")
        c.note(f"ValueError: {str(error).splitlines()[0]}")
        print("np.array(x, dtype=float64, copy=False) -> ValueError:", str(error).splitlines()[0])
    else:
        c.check(
            numpy_version < (2, 0), f"numpy_version < (2, 0) ({numpy_version=!s})"
        )  # NumPy 1.x: copy=False meant "if needed"
        c.note("no error: copy=False copied silently (NumPy 1.x meaning)")
        viewcopy.expect_copy(needs_a_copy, converted)
        print(f"NumPy {np.__version__}: copy=False copied silently")
with claim(
    "faq-asarray-copies-if-needed",
    "np.asarray returns each plain ndarray of the family itself when the dtype matches, and copies it when a "
    "conversion is needed; a 10-element np.memmap and a 3x3 np.matrix come back as a new plain ndarray, a view of them",
) as c:
    for case in c.over(CASES):
        x = case.array
        c.check(np.asarray(x) is x, f"{case.name}: np.asarray(x) is x")
        other = np.complex64 if x.dtype.kind == "c" else np.float32  # a dtype x is not
        c.check(x.size == 0 or not np.shares_memory(x, np.asarray(x, dtype=other)), f"{case.name}: converted is a copy")
    with tempfile.TemporaryDirectory() as folder:
        np.save(os.path.join(folder, "m.npy"), np.arange(10.0))
        with warnings.catch_warnings():  # np.matrix warns that it is not recommended: it is here as a subclass only
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            subclasses = {
                "np.memmap": np.load(os.path.join(folder, "m.npy"), mmap_mode="r"),
                "np.matrix": np.matrix(np.eye(3)),
            }
        for name, x in subclasses.items():
            plain = np.asarray(x)
            c.check(
                plain is not x and type(plain) is np.ndarray and viewcopy.relation(x, plain).kind == "view",
                f"{name}: np.asarray gives a {type(plain).__name__}, {viewcopy.relation(x, plain).kind} of it",
            )
        del subclasses, plain, x

# %%
# Does any of this matter for small arrays?
# -----------------------------------------
# The article says that below a few thousand elements the RAM impact is
# negligible. Measured: :claim:`faq-small-copies-are-small`; the fraction
# of ``a`` it represents is printed below.
small = np.arange(1000.0)
with claim("faq-small-copies-are-small", "a copy of this 1,000-element array allocates exactly its nbytes") as c:
    with viewcopy.track() as t:
        small_copy = small.flatten()
    c.check(
        t.allocated_bytes == small_copy.nbytes,
        f"t.allocated_bytes == small_copy.nbytes ({t.allocated_bytes=!s}, {small_copy.nbytes=!s})",
    )
print(f"flatten of {small.size:,} float64: {t};  that is {t.allocated_bytes / a.nbytes:.6%} of a")

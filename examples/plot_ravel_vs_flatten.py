"""
View vs copy: ``ravel`` against ``flatten``
===========================================

:claim:`landing-rule-ravel-reshape` (on the landing page), and
:claim:`flatten-copies`. This page measures both
on a large array, checks flatten's rule on every layout of
:func:`viewcopy.claims.layouts` (the :term:`family`), and shows what
:attr:`~numpy.ndarray.base` and :attr:`~numpy.ndarray.nbytes` do and do not
tell you.

Every ``with claim(...)`` block below is a :term:`claim` of this site: the
checks inside it raise if NumPy does not behave as stated, and the build
fails.
"""

# %%
# A large source array
# --------------------
# The size it runs at is printed below; ``VIEWCOPY_FULL_SCALE=1`` runs it at
# the source article's hundred million ``float64`` elements.
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts, time_ratio

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
a = np.arange(N, dtype=np.float64)
print(f"NumPy {np.__version__}; a holds {a.size:,} float64 = {a.nbytes:,} bytes")

# %%
# ``ravel`` shares, ``flatten`` copies
# ------------------------------------
# The figures are what :func:`viewcopy.track` counted, and the verdicts
# those of :func:`viewcopy.expect_view` and :func:`viewcopy.expect_copy`,
# which decide by :func:`viewcopy.relation` (the :doc:`primer </primer>`
# says what each one counts and decides).
with claim("ravel-contiguous-view", "ravel of a, this C-contiguous array, is a view: it allocates 0 bytes") as c:
    with viewcopy.track() as ravel_cost:
        r = viewcopy.expect_view(a, a.ravel())
    c.check(ravel_cost.allocated_bytes == 0, f"ravel_cost.allocated_bytes == 0 ({ravel_cost.allocated_bytes=!s})")

with claim("flatten-copies-this-array", "flatten of this array copies: it allocates exactly its nbytes") as c:
    with viewcopy.track() as flatten_cost:
        f = viewcopy.expect_copy(a, a.flatten())
    c.check(
        flatten_cost.allocated_bytes == a.nbytes,
        f"flatten_cost.allocated_bytes == a.nbytes ({flatten_cost.allocated_bytes=!s}, {a.nbytes=!s})",
    )

print(f"ravel:   {ravel_cost.allocated_bytes:>13,} bytes allocated")
print(f"flatten: {flatten_cost.allocated_bytes:>13,} bytes allocated")

# %%
# One array proves nothing about the others. Over every layout of
# :func:`viewcopy.claims.layouts` (0-d to 4-d, empty and length-1 axes, C and F
# :term:`order`, step slices, negative :term:`strides`, permutations, broadcasts, read-only),
# :claim:`flatten-copies`.
CASES = layouts()
extra = {}  # bytes allocated beyond nbytes, by case
with claim(
    "flatten-copies",
    f"flatten copies each of the {len(CASES)} layouts; it allocates exactly the source's nbytes on each non-empty "
    "one, and 1 byte on each empty one",
) as c:
    for case in c.over(CASES):
        with viewcopy.track() as t:
            flat = case.array.flatten()
        c.check(viewcopy.relation(case.array, flat).kind == "copy" and flat.flags.owndata, f"{case.name}: a copy")
        c.check(t.allocated_bytes == (case.array.nbytes or 1), f"{case.name}: {t.allocated_bytes} B allocated")
        extra[case.name] = t.allocated_bytes - case.array.nbytes
        c.check(
            case.array.size == 0 or extra[case.name] == 0,
            f"{case.name!s}: case.array.size == 0 or extra[case.name] == 0 ({case.array.size=!s}, {extra[case.name]=!s})",
        )
print(f"{len(CASES)} layouts; bytes beyond nbytes: {sorted(set(extra.values()))}")
print("on the empty ones, e.g.", *[f"{name}: +{b}" for name, b in extra.items() if b][:2], sep="\n  ")

# %%
# Writes through a view reach the source
# --------------------------------------
# That is what "no new memory" means: :claim:`view-writes-reach-source`,
# and :claim:`copy-writes-stay-local`.
with claim("view-writes-reach-source", "writing through this ravel view of a changes a") as c:
    r[0] = -1.0
    c.check(a[0] == -1.0, f"a[0] == -1.0 ({a[0]=!s})")
with claim("copy-writes-stay-local", "writing to this flatten copy of a leaves a alone") as c:
    f[1] = -2.0
    c.check(a[1] == 1.0, f"a[1] == 1.0 ({a[1]=!s})")
a[0] = 0.0
print("after r[0] = -1: a[0] was -1;  after f[1] = -2: a[1] is still", a[1])

# %%
# What ``nbytes`` and ``base`` do not tell you
# --------------------------------------------
# What ``nbytes`` reports: :claim:`nbytes-is-not-allocation`. Nor is
# ``base`` a proof: :claim:`faq-base-misleads`.
with claim("nbytes-is-not-allocation", "the ravel view r reports the nbytes of a although it allocated nothing") as c:
    c.check(
        r.nbytes == a.nbytes == f.nbytes,
        f"r.nbytes == a.nbytes == f.nbytes ({r.nbytes=!s}, {a.nbytes=!s}, {f.nbytes=!s})",
    )
    rel = viewcopy.relation(a, r)
    c.check(rel.kind == "view" and not rel.owns_data, f'rel.kind == "view" and not rel.owns_data ({rel.kind=!s})')
print("r.nbytes =", f"{r.nbytes:,}", "| r.base is a:", r.base is a, "|", viewcopy.relation(a, r))
print("f.nbytes =", f"{f.nbytes:,}", "| f.base:", f.base, "|", viewcopy.relation(a, f))

# %%
# Time, as a ratio, by size
# -------------------------
# :func:`viewcopy.claims.time_ratio` times the two calls in alternating rounds
# (loops long enough for a sub-microsecond call, medians of the rounds) on
# ``a[:size]`` for each size printed. The page states ratios, not seconds:
# each ratio holds for the size it was measured at, on the machine that
# built the page. The claim covers the larger sizes:
# :claim:`ravel-much-faster`. For each size the verdict printed is chosen by
# the measurement (:meth:`viewcopy.claims.TimeRatio.above` and ``below``).
SIZES = [10, 1_000, 100_000, a.size]
CLAIMED = [size for size in SIZES if size >= 100_000]
ratios = {}


def times(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


for size in SIZES:
    x = a[:size]
    ratio = ratios[size] = time_ratio(x.flatten, x.ravel, size=x.nbytes)
    verdict = "slower than" if ratio.above(1) else "faster than" if ratio.below(1) else "not separable from"
    print(
        f"{size:>12,} elements ({ratio.size}): flatten/ravel = {times(ratio.ratio)} "
        f"(quartiles {times(ratio.low)} to {times(ratio.high)}): flatten {verdict} ravel"
    )
with claim(
    "ravel-much-faster",
    "ravel of these C-contiguous float64 arrays is faster than flatten, in at least three timed rounds out of four, at "
    + " and ".join(f"{size:,}" for size in CLAIMED)
    + " elements",
) as c:
    for size in CLAIMED:
        c.check(
            a[:size].flags.c_contiguous and a.dtype == np.float64 and ratios[size].above(1),
            f"at {size:,} C-contiguous float64 elements, flatten/ravel = {ratios[size]}",
        )

# %%
# A note on names
# ---------------
# The article this site grew from speaks of ``np.flatten()``. There is no
# such function: ``flatten`` exists only as an array method, while
# :func:`numpy.ravel` exists as both.
with claim("no-np-flatten", "numpy has a ravel function but no flatten function") as c:
    c.check(hasattr(np, "ravel") and not hasattr(np, "flatten"), 'hasattr(np, "ravel") and not hasattr(np, "flatten")')
try:
    np.flatten(a)
except AttributeError as error:
    print("np.flatten(a) ->", type(error).__name__ + ":", error)

# %%
# The article's other claims about these two, checked
# ---------------------------------------------------
# The search on :doc:`plot_article_searched` finds counterexamples to the
# article's rule and the exact condition:
# :claim:`searched-ravel-whenever-permits`. The simplest
# counterexample: :claim:`ravel-copies-evenly-strided`.
every_other = a[::2]
with claim(
    "ravel-copies-evenly-strided",
    "ravel copies a[::2], every other element of this 1-D array, which reshape(-1) returns as a view",
):
    viewcopy.expect_copy(every_other, every_other.ravel())
    viewcopy.expect_view(every_other, every_other.reshape(-1))
print("a[::2].ravel():", viewcopy.predict(every_other, "ravel"))

# %%
# *"Need for an immutable result"* as a reason to pick ``flatten``.
# ``flatten`` gives an *independent* result, not an immutable one:
# :claim:`flatten-is-independent-not-immutable`. Over the family, on the
# search page: :claim:`searched-flatten-immutable`; and
# :claim:`searched-ravel-inherits-readonly`.
frozen = np.arange(10.0)
frozen.flags.writeable = False
with claim(
    "flatten-is-independent-not-immutable",
    "for this array, whose writeable flag is off, flatten's result is writable and the ravel view is not",
) as c:
    c.check(
        frozen.flatten().flags.writeable,
        f"flatten() of the read-only array: writeable {frozen.flatten().flags.writeable}",
    )
    c.check(not frozen.ravel().flags.writeable, f"ravel() of it: writeable {frozen.ravel().flags.writeable}")
print("flatten of a read-only array is writable:", frozen.flatten().flags.writeable)

# %%
# :claim:`searched-shares-memory-false-means-copy`. The family's empty
# layouts, three ways: :claim:`shares-memory-false-for-empty-views`.
empty = np.zeros((0, 3))
EMPTY = [case for case in layouts() if case.array.size == 0]
with claim(
    "shares-memory-false-for-empty-views",
    f"on each of the {len(EMPTY)} empty layouts, .T, [...] and ravel() are views (base chain to the source, no data "
    "of their own), and np.shares_memory says False for every one",
) as c:
    for case in c.over(EMPTY):
        x = case.array
        for how, made in (("T", x.T), ("[...]", x[...]), ("ravel()", x.ravel())):
            c.check(
                viewcopy.relation(x, made).kind == "view" and not np.shares_memory(x, made),
                f"{case.name}.{how}: a view, np.shares_memory False",
            )
view_of_empty = empty.ravel()
print(
    "np.zeros((0, 3)).ravel(): np.shares_memory",
    np.shares_memory(empty, view_of_empty),
    "| base is the source:",
    view_of_empty.base is empty,
    "| viewcopy.relation:",
    viewcopy.relation(empty, view_of_empty).kind,
)

# %%
# :claim:`ravel-article-size-in-mb`.
ARTICLE = 100_000_000  # the article's "100 million elements (~800 MB)"
article_bytes = ARTICLE * np.dtype(np.float64).itemsize
with claim(
    "ravel-article-size-in-mb",
    f"the article's '100 million elements (~800 MB)' counts decimal megabytes: {ARTICLE:,} float64 elements "
    f"take {article_bytes:,} bytes, {article_bytes / 1e6:,.1f} MB or {article_bytes / 2**20:,.1f} MiB",
) as c:
    c.check(
        a.nbytes == a.size * 8 and round(article_bytes / 1e6) == 800 and article_bytes / 2**20 < 800,
        f"a: {a.size:,} float64 elements, nbytes {a.nbytes:,}; {ARTICLE:,} of them: {article_bytes / 1e6:,.1f} MB, "
        f"{article_bytes / 2**20:,.1f} MiB",
    )
print(f"{N:,} float64 = {N * 8:,} bytes = {N * 8 / 1e6:,.1f} MB = {N * 8 / 2**20:,.1f} MiB")

# %%
# The figure
# ----------
fig, ax = plt.subplots(figsize=(6.4, 2.6), layout="constrained")
costs = [ravel_cost.allocated_bytes, flatten_cost.allocated_bytes]
bars = ax.barh(["a.ravel()", "a.flatten()"], [nbytes / 1e6 for nbytes in costs], color=["#2a9d8f", "#e76f51"])
ax.bar_label(bars, labels=[viewcopy.format_bytes(nbytes) for nbytes in costs], padding=4)
ax.set_xlabel("NumPy bytes allocated (MB), measured with viewcopy.track")
ax.set_title(f"ravel vs flatten of {a.size:,} float64: bytes allocated")
ax.margins(x=0.25)
plt.show()

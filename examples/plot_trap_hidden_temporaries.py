"""
Trap: hidden temporaries in arithmetic
======================================

Three cases follow, each measured: an operand handed to BLAS, an output
that overlaps an input, and the intermediate results of a chained
expression. In each, the result's ``nbytes`` is not what the step cost.

Readers reported these in
`numpy#23588 <https://github.com/numpy/numpy/issues/23588>`__ and
`numpy#12365 <https://github.com/numpy/numpy/issues/12365>`__ (``matmul``
and ``dot`` on strided operands), and in
`numpy#5241 <https://github.com/numpy/numpy/issues/5241>`__ and
`numpy#6119 <https://github.com/numpy/numpy/issues/6119>`__ (``a += a.T``,
which gave wrong values before NumPy checked for overlap).
"""

# %%
import os
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts, time_ratio

FULL = bool(os.environ.get("VIEWCOPY_FULL_SCALE"))
rng = np.random.default_rng(0)
print(f"NumPy {np.__version__}")

# %%
# ``dot`` copies a strided operand
# --------------------------------
# ``np.dot`` hands a product of ``float64`` matrices to BLAS, which reads
# rows or columns with a :term:`stride <strides>` of one element. Here
# ``strided`` is every second column of a C-ordered array:
# :claim:`trap-dot-copies-strided-operand`. Given
# ``np.ascontiguousarray(strided)`` instead,
# :claim:`trap-dot-contiguous-no-temporary`.
rows = 20_000 if FULL else 2_000
wide = rng.random((rows, 1_000))
strided = wide[:, ::2]  # (rows, 500), every second column: a view
right = rng.random((500, 300))
print(
    f"strided operand: shape {strided.shape}, {viewcopy.format_bytes(strided.nbytes)}, "
    f"C-contiguous: {strided.flags.c_contiguous}"
)

# The first BLAS call of a process allocates BLAS's own work buffers
# (OpenBLAS: tens of megabytes, through ``malloc``, which NumPy's handler does
# not see and memray does). Made here, outside the measured blocks:
with viewcopy.track(allocator=True) as first_blas:
    right.T @ right
print(f"a first product, outside the blocks: {first_blas}")

with claim(
    "trap-dot-copies-strided-operand",
    "np.dot with this strided operand, neither C- nor F-contiguous (no axis has a stride of one element), makes a temporary copy of it and frees it "
    "before it returns: NumPy's handler counts an allocation of exactly the result, and a peak of at least the result "
    "plus the operand",
) as c:
    c.check(
        not (strided.flags.c_contiguous or strided.flags.f_contiguous) and strided.itemsize not in strided.strides,
        f"strided: strides {strided.strides}, C-contiguous {strided.flags.c_contiguous}, "
        f"F-contiguous {strided.flags.f_contiguous}",
    )
    with viewcopy.track() as dot_strided:
        product = np.dot(strided, right)
    c.check(
        dot_strided.allocated_bytes == product.nbytes,
        f"dot_strided.allocated_bytes == product.nbytes ({dot_strided.allocated_bytes=!s}, {product.nbytes=!s})",
    )
    c.check(
        dot_strided.peak_bytes >= product.nbytes + strided.nbytes,
        f"{dot_strided!s}: dot_strided.peak_bytes >= product.nbytes + strided.nbytes ({dot_strided.peak_bytes=!s}, {product.nbytes + strided.nbytes=!s})",
    )
compact = np.ascontiguousarray(strided)
with claim(
    "trap-dot-contiguous-no-temporary",
    "np.dot's peak (NumPy's handler) stays within a tenth of the operand above the result",
) as c:
    with viewcopy.track() as dot_compact:
        same = np.dot(compact, right)
    c.check(np.allclose(same, product), "np.allclose(same, product)")
    c.check(
        dot_compact.peak_bytes < product.nbytes + strided.nbytes / 10,
        f"{dot_compact!s}: dot_compact.peak_bytes < product.nbytes + strided.nbytes / 10 ({dot_compact.peak_bytes=!s}, {product.nbytes + strided.nbytes / 10=!s})",
    )
print(f"result {viewcopy.format_bytes(product.nbytes)}")
print("np.dot(strided, right):", dot_strided)
print("np.dot(compact, right):", dot_compact)

# %%
# ``matmul`` (the ``@`` operator) has loops of its own for such operands
# (`numpy#12365 <https://github.com/numpy/numpy/issues/12365>`__).
# The claims are worded for the NumPy that built this
# page, and the versions page runs them on each release:
# :claim:`trap-matmul-strided-temporary-by-version`
MATMUL_SCRATCH = np.lib.NumpyVersion(np.__version__) >= "2.3.0"  # @ copies a strided operand into scratch
MATMUL_TRACED = np.lib.NumpyVersion(np.__version__) >= "2.5.0"  # where tracemalloc sees that scratch buffer


def traced_peak(fn, *args):
    """Run ``fn(*args)``; return its result and tracemalloc's peak above the start, in bytes.

    tracemalloc sees what goes through Python's allocator API, NumPy's
    buffers in their own domain; :func:`viewcopy.track` counts only the
    buffers that go through NumPy's array allocator (its data-memory handler).
    """
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        return fn(*args), tracemalloc.get_traced_memory()[1] - before
    finally:
        if started:
            tracemalloc.stop()


with claim(
    "trap-matmul-strided-temporary-by-version",
    f"on NumPy {np.__version__}, strided @ right "
    + (
        "copies this operand into scratch memory: memray's peak is at least result + operand"
        if MATMUL_SCRATCH
        else "makes no copy of this operand: memray's peak stays below the result plus a tenth of the operand"
    )
    + (
        ", and tracemalloc's too"
        if MATMUL_TRACED
        else (
            ", which tracemalloc (Python's tracer, a fourth meter) does not see: its peak stays below the result "
            "plus a tenth of the operand"
            if MATMUL_SCRATCH
            else ""
        )
    ),
) as c:
    with viewcopy.track(allocator=True) as matmul_strided:
        again, matmul_traced_peak = traced_peak(np.matmul, strided, right)
    c.check(np.allclose(again, product), "np.allclose(again, product)")
    copied, uncopied = product.nbytes + strided.nbytes, product.nbytes + strided.nbytes / 10
    for meter, peak, sees_copy in (
        ("memray", matmul_strided.allocator_peak_bytes, MATMUL_SCRATCH),
        ("tracemalloc", matmul_traced_peak, MATMUL_TRACED),
    ):
        if sees_copy:
            c.check(peak >= copied, f"{matmul_strided!s}: {meter} peak {peak} B >= result + operand {copied} B")
        else:
            c.check(
                peak < uncopied, f"{matmul_strided!s}: {meter} peak {peak} B < result + operand/10 {uncopied:.0f} B"
            )
print(f"strided @ right: {matmul_strided}; tracemalloc peak {viewcopy.format_bytes(matmul_traced_peak)}")

# %%
# NumPy's handler, :func:`viewcopy.track`'s default meter, sees the result
# only, on every release: :claim:`trap-matmul-temporary-seen-by-track`
with claim(
    "trap-matmul-temporary-seen-by-track",
    f"on NumPy {np.__version__}, viewcopy.track's default meter (NumPy's handler) counts no copy of this operand "
    "for strided @ right: its peak stays below the result plus a tenth of the operand"
    + (", while memray's holds the copy" if MATMUL_SCRATCH else ""),
) as c:
    c.check(
        matmul_strided.peak_bytes < product.nbytes + strided.nbytes / 10,
        f"{matmul_strided!s}: handler peak {matmul_strided.peak_bytes} B < result + operand/10 {product.nbytes + strided.nbytes / 10:.0f} B",
    )
    if MATMUL_SCRATCH:
        c.check(
            matmul_strided.allocator_peak_bytes >= product.nbytes + strided.nbytes,
            f"memray peak {matmul_strided.allocator_peak_bytes} B >= result + operand {product.nbytes + strided.nbytes} B",
        )
print("strided @ right:", matmul_strided)

# %%
# Time can be the other cost (the versions page has the ratio on each
# release). The ratio below is the time of ``part @ right``
# over the time of ``np.ascontiguousarray(part) @ right``, timed in
# alternating rounds (medians), at the size printed with it:
part = wide[:500, ::2]
speed = time_ratio(
    lambda: part @ right,
    lambda: np.ascontiguousarray(part) @ right,
    size=f"a {part.shape} strided operand",
    repeat=5,
)
if speed.above(1.1):
    verdict = "slower than copying it first"
elif speed.below(1 / 1.1):
    verdict = "faster than copying it first"
elif speed.low > 1 / 1.1 and speed.high < 1.1:
    verdict = "within 10% of copying it first in the middle half of the rounds"
else:
    verdict = (
        f"not clearly different from copying it first (the middle half of the rounds from {speed.low:.2f}x to "
        f"{speed.high:.2f}x)"
    )
print(f"time of part @ right / time of np.ascontiguousarray(part) @ right: {speed}")
print(f"On NumPy {np.__version__}, the strided product was {verdict}.")
del wide, strided, compact, product, same, again

# %%
# In-place with an overlapping operand: ``a += a.T``
# --------------------------------------------------
# Writing ``a`` while reading ``a.T`` would read elements already
# overwritten, unless NumPy notices the overlap:
# :claim:`trap-iadd-transpose-temporary`. Where the output is exactly the
# input, element for element, :claim:`trap-iadd-exact-overlap-no-temporary`.
side = 3_000 if FULL else 1_000
a = rng.random((side, side))
expected = a + a.T
with claim(
    "trap-iadd-transpose-temporary",
    "a.T is a view of a, this C-ordered 2-D array, and a += a.T gives the values of a + a.T (NumPy finds the "
    "overlap and copies the input first): NumPy's handler counts no new array and a peak as large as a",
) as c:
    viewcopy.expect_view(a, a.T)
    with viewcopy.track() as overlap:
        a += a.T
    c.check(np.array_equal(a, expected), "np.array_equal(a, expected)")
    c.check(
        overlap.allocated_bytes == 0 and overlap.peak_bytes >= a.nbytes,
        f"{overlap!s}: overlap.allocated_bytes == 0 and overlap.peak_bytes >= a.nbytes ({overlap.allocated_bytes=!s}, {overlap.peak_bytes=!s}, {a.nbytes=!s})",
    )
with claim(
    "trap-iadd-exact-overlap-no-temporary",
    "a += a makes no temporary: its peak (NumPy's handler) stays under a hundredth of a",
) as c:
    with viewcopy.track() as exact:
        a += a
    c.check(
        exact.peak_bytes < a.nbytes / 100,
        f"{exact!s}: exact.peak_bytes < a.nbytes / 100 ({exact.peak_bytes=!s}, {a.nbytes / 100=!s})",
    )
print(f"a: {viewcopy.format_bytes(a.nbytes)}")
print("a += a.T:", overlap)
print("a += a:  ", exact)
del a, expected

# %%
# The overlap check is not limited to transposes:
# :claim:`trap-family-iadd-overlap-matches-out-of-place`.
with claim(
    "trap-family-iadd-overlap-matches-out-of-place",
    "for every writeable layout in the family with at least one axis, b += b[::-1] gives the values of b + b[::-1]",
) as overlaps:
    for case in overlaps.over(layouts(ndim=range(1, 5), where=lambda b: b.flags.writeable)):
        b = case.array
        wanted = b + b[::-1]
        b += b[::-1]
        overlaps.check(np.array_equal(b, wanted), f"{case.name!s}: np.array_equal(b, wanted)")
print(f"checked on {overlaps.cases} layouts")

# %%
# Chained expressions and the ``out=`` fix
# ----------------------------------------
# ``2*x + 2*y`` computes ``2*x``, then ``2*y``, then their sum:
# :claim:`trap-chained-expression-two-temporaries`, and
# :claim:`trap-chained-sum-reuses-a-temporary`. Done in steps instead,
# :claim:`trap-inplace-step-peak-is-result`; and
# :claim:`trap-out-allocates-nothing`.
m = 10_000_000 if FULL else 1_000_000
x = rng.random(m)
y = rng.random(m)
with viewcopy.track() as chained:
    r1 = 2 * x + 2 * y
with viewcopy.track() as stepwise:
    r2 = x + y
    r2 *= 2
r3 = np.empty_like(x)
with viewcopy.track() as into_out:
    np.add(x, y, out=r3)
    np.multiply(r3, 2, out=r3)
with claim(
    "trap-chained-expression-two-temporaries",
    f"2*x + 2*y on {viewcopy.format_bytes(x.nbytes)} inputs peaks at twice its result (NumPy's handler)",
) as c:
    c.check(
        chained.allocated_bytes == r1.nbytes and 2 * r1.nbytes <= chained.peak_bytes < 2.05 * r1.nbytes,
        f"{chained!s}: chained.allocated_bytes == r1.nbytes and 2 * r1.nbytes <= chained.peak_bytes < 2.05 * r1.nbytes ({chained.allocated_bytes=!s}, {r1.nbytes=!s}, {2 * r1.nbytes=!s}, {chained.peak_bytes=!s}, {2.05 * r1.nbytes=!s})",
    )
with claim("trap-inplace-step-peak-is-result", "r = x + y; r *= 2 peaks at its result (within 1%)") as c:
    c.check(np.allclose(r1, r2), "np.allclose(r1, r2)")
    c.check(
        stepwise.peak_bytes < 1.01 * r2.nbytes,
        f"{stepwise!s}: stepwise.peak_bytes < 1.01 * r2.nbytes ({stepwise.peak_bytes=!s}, {1.01 * r2.nbytes=!s})",
    )
with claim(
    "trap-out-allocates-nothing",
    "np.add and np.multiply with out= into this preallocated array allocate no new array (at most a hundredth of "
    "it: the Python 2 becomes a small temporary array)",
) as c:
    c.check(np.allclose(r1, r3), "np.allclose(r1, r3)")
    c.check(
        into_out.allocated_bytes == 0 and into_out.peak_bytes < r3.nbytes / 100,
        f"{into_out!s}: into_out.allocated_bytes == 0 and into_out.peak_bytes < r3.nbytes / 100 ({into_out.allocated_bytes=!s}, {into_out.peak_bytes=!s}, {r3.nbytes / 100=!s})",
    )
with viewcopy.track() as named:  # the same sum, with both products kept by a name: no temporary to reuse
    p, q = 2 * x, 2 * y
    r4 = p + q
with claim(
    "trap-chained-sum-reuses-a-temporary",
    f"for these {viewcopy.format_bytes(x.nbytes)} x and y, the sum in 2*x + 2*y allocates no third array: it is "
    "written into one of the two temporaries, while p + q of the same products, each kept by a name, allocates its own",
) as c:
    c.check(
        chained.peak_bytes < 2.05 * r1.nbytes and named.peak_bytes >= 3 * r4.nbytes,
        f"2*x + 2*y: {chained}; p = 2*x; q = 2*y; p + q: {named} (a result is {viewcopy.format_bytes(r4.nbytes)})",
    )
del p, q, r4
ways = {"2*x + 2*y": chained, "r = x + y; r *= 2": stepwise, "out= (preallocated)": into_out}
for name, t in ways.items():
    print(f"{name:20} peak / result = {t.peak_bytes / r1.nbytes:.2f}  ({t})")

fig, ax = plt.subplots(figsize=(6.4, 2.1), layout="constrained")
ax.barh(range(len(ways)), [t.peak_bytes / r1.nbytes for t in ways.values()], color="#264653")
for y, t in enumerate(ways.values()):
    ax.text(t.peak_bytes / r1.nbytes, y, f" peak {viewcopy.format_bytes(t.peak_bytes)}", va="center", fontsize=8)
ax.set_xlim(right=1.3 * max(t.peak_bytes for t in ways.values()) / r1.nbytes)
ax.set_yticks(range(len(ways)), list(ways))
ax.invert_yaxis()
ax.set_xlabel("peak NumPy memory / result size (measured)")
ax.set_title(f"One result of {viewcopy.format_bytes(r1.nbytes)}, three ways")
plt.show()

"""
What a copy costs in time
=========================

What does a hidden :term:`copy` cost in time, and is that time simply
"bytes divided by memory bandwidth"? :claim:`cost-sizes-timed`.
:claim:`cost-times-are-ratios`. The advice at the end is generated from
these measurements.
"""

# %%
# How the times are taken
# -----------------------
# With :func:`viewcopy.claims.time_ratio`: the two calls run in alternating rounds,
# each round a loop long enough to time, and the ratio is the median of the
# rounds' ratios. The verdicts "takes longer than" and "takes less time than"
# are printed only when :meth:`viewcopy.claims.TimeRatio.above` (or ``below``)
# counts three rounds in four that agree; otherwise the page says that no
# difference showed.
import functools
import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, time_ratio

try:
    import resource  # Unix: page-fault counts
except ImportError:
    resource = None

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
print(f"NumPy {np.__version__}; largest size: {N:,} float64 ({viewcopy.format_bytes(N * 8)}); {os.cpu_count()} CPUs")

# square n x n arrays, so that a transposed copy really reads across rows
sides = sorted({math.isqrt(N // 4**k) for k in range(8)} - {0})
sides = [n for n in sides if n >= 32]


def names_timed(row):
    """The operations timed against copyto in one row of the table."""
    return [name for name in row if name not in ("n", "bytes", "rate", "faults")]


def compared(ratio):
    """The words a ratio allows: "longer" or "less" only when three rounds in four agree."""
    if ratio.above(1.0):
        return "takes longer than"
    if ratio.below(1.0):
        return "takes less time than"
    return "took about as long as (no difference showed)"


# %%
# The operations
# --------------
# * ``np.copyto(out, a)``: into ``out``, a :term:`buffer` that exists and has
#   been written once (:func:`numpy.copyto`);
#   :claim:`cost-copyto-allocates-nothing`. Every other time is divided by
#   this one.
# * ``a.flatten()``: :claim:`cost-flatten-allocates-and-frees`.
# * ``a.T.copy()``: the transposed square array, read against its memory
#   :term:`order`.
# * ``wide[::8].copy()``: the same number of elements, taken from every eighth
#   element of an array eight times as large, so it reads eight times the
#   memory it writes (only where that array fits in the build's size).
# * ``a.ravel()``: for scale.
#
# :claim:`cost-only-ravel-is-a-view`.
probe = np.arange(64 * 64, dtype=np.float64).reshape(64, 64)
wide_probe = np.arange(probe.size * 8, dtype=np.float64)
with claim(
    "cost-only-ravel-is-a-view", "of the operations timed here, ravel returns a view and the others return copies"
):
    viewcopy.expect_copy(probe, probe.flatten())
    viewcopy.expect_copy(probe, probe.T.copy())
    viewcopy.expect_copy(wide_probe, wide_probe[::8].copy())
    viewcopy.expect_view(probe, probe.ravel())


def minor_faults(func):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    result = func()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, result


def flatten_faults(a, calls=3):
    """Minor page faults of each of ``calls`` calls of a.flatten(), made after the timing rounds."""
    counts = []
    for _ in range(calls):
        faults, result = minor_faults(a.flatten)
        counts.append(faults)
        del result
    return counts


rows = []
for n in sides:
    a = np.arange(n * n, dtype=np.float64).reshape(n, n)
    out = np.empty_like(a)
    out[...] = 1.0  # touch every page once: the buffer is "warm"
    baseline = functools.partial(np.copyto, out, a)
    ratios = {
        "flatten (new array)": time_ratio(a.flatten, baseline, size=a.nbytes),
        "transposed copy": time_ratio(a.T.copy, baseline, size=a.nbytes),
        "ravel (view)": time_ratio(a.ravel, baseline, size=a.nbytes),
    }
    if n * n * 8 <= N:
        wide = np.arange(n * n * 8, dtype=np.float64)
        ratios["every 8th element"] = time_ratio(wide[::8].copy, baseline, size=a.nbytes)
        del wide
    copyto = ratios["ravel (view)"].b  # the baseline's own timing, from its rounds against ravel
    faults = flatten_faults(a) if resource is not None else None
    rows.append({"n": n, "bytes": a.nbytes, "rate": a.nbytes / copyto.seconds, "faults": faults, **ratios})
    del a, out, baseline

with claim(
    "cost-transposed-sources-strided",
    "the transposed arrays copied here are not C-contiguous, so their C-order copy reads across memory",
) as c:
    for n in sides:
        t = np.empty((n, n)).T
        c.check(not t.flags.c_contiguous, f"{n!s}, {t.strides!s}: not t.flags.c_contiguous")
        c.check(
            t.copy().strides != t.strides,
            f"{n!s}, {t.strides!s}: t.copy().strides != t.strides ({t.copy().strides=!s}, {t.strides=!s})",
        )
print(f"square arrays of {sides[0]}x{sides[0]} to {sides[-1]}x{sides[-1]} float64")

with claim(
    "cost-sizes-timed",
    f"this page times copies of the square float64 arrays of sides {sides[0]} to {sides[-1]} "
    f"({viewcopy.format_bytes(sides[0] ** 2 * 8)} to {viewcopy.format_bytes(sides[-1] ** 2 * 8)}), "
    f"the largest square of at most the build's {N:,} elements",
) as c:
    c.check(
        [row["n"] for row in rows] == sides and [row["bytes"] for row in rows] == [n * n * 8 for n in sides],
        f"{len(rows)} sizes timed, sides {sides[0]} to {sides[-1]}, {[row['bytes'] for row in rows][-1]:,} bytes last",
    )
    c.check(
        sides[-1] ** 2 <= N < (sides[-1] + 1) ** 2,
        f"{sides[-1]}^2 = {sides[-1] ** 2:,} <= {N:,} < {(sides[-1] + 1) ** 2:,} = {sides[-1] + 1}^2",
    )

with claim(
    "cost-times-are-ratios",
    "each time in the table and the figure of the operations is a ratio to np.copyto of the same array, "
    "timed in the same alternating rounds, and holds for the size printed with it",
) as c:
    for row in c.over(rows):
        for name in names_timed(row):
            r = row[name]
            c.check(
                r.size == viewcopy.format_bytes(row["bytes"]) and len(r.a.samples) == len(r.b.samples) > 1,
                f"{name} at {r.size}: {len(r.a.samples)} rounds of each call, array of {row['bytes']:,} bytes",
            )

with claim(
    "cost-copyto-allocates-nothing",
    f"for the {len(sides)} arrays timed here, np.copyto(out, a) allocates nothing: it writes a's bytes into "
    "out's own buffer",
) as c:
    for n in c.over(sides):
        a = np.arange(n * n, dtype=np.float64).reshape(n, n)
        out = np.empty_like(a)
        out[...] = 1.0
        address = out.ctypes.data
        with viewcopy.track() as t:
            np.copyto(out, a)
        c.check(
            t.allocated_bytes == t.peak_bytes == 0 and out.ctypes.data == address and out.tobytes() == a.tobytes(),
            f"{n}x{n}: {t.allocated_bytes} bytes allocated, peak {t.peak_bytes}, out's buffer did not move",
        )

with claim(
    "cost-flatten-allocates-and-frees",
    f"for the {len(sides)} arrays timed here, a.flatten() allocates a.nbytes for its result, freed when the "
    "result is dropped",
) as c:
    for n in c.over(sides):
        a = np.arange(n * n, dtype=np.float64).reshape(n, n)
        with viewcopy.track() as made:
            flat = a.flatten()
        with viewcopy.track() as dropped:
            del flat
        c.check(
            made.allocated_bytes == a.nbytes == dropped.freed_bytes,
            f"{n}x{n}: flatten allocated {made.allocated_bytes:,} bytes, nbytes {a.nbytes:,}; "
            f"dropping the result freed {dropped.freed_bytes:,}",
        )
del a, out

# %%
# The contiguous copy, by size
# ----------------------------
# The rate at which ``copyto`` writes into its warm buffer, by array size.
fastest = max(rows, key=lambda r: r["rate"])
largest = rows[-1]
where = f"fastest copyto: {fastest['rate'] / 1e9:.1f} GB/s at {viewcopy.format_bytes(fastest['bytes'])}"
print(where)
print(
    f"at the largest size, {viewcopy.format_bytes(largest['bytes'])}: {largest['rate'] / 1e9:.1f} GB/s, "
    f"{largest['rate'] / fastest['rate']:.0%} of the fastest"
)

# %%
# Each operation against the contiguous copy
# ------------------------------------------
names = ["flatten (new array)", "transposed copy", "every 8th element", "ravel (view)"]
print(f"{'size':>10} " + " ".join(f"{name:>24}" for name in names))
for row in rows:
    cells = [f"{row[name]:.2f}x" if name in row else "" for name in names]
    print(f"{viewcopy.format_bytes(row['bytes']):>10} " + " ".join(f"{c:>24}" for c in cells))

fig, (rate_ax, ratio_ax) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
rate_ax.plot([r["bytes"] for r in rows], [r["rate"] / 1e9 for r in rows], marker="^", color="#2a9d8f")
rate_ax.set_xscale("log")
rate_ax.set_ylim(bottom=0)
rate_ax.set_xlabel("array size in bytes (log scale)")
rate_ax.set_ylabel("GB/s written (measured, median)")
rate_ax.set_title("copyto into a warm buffer, by size")
styles = {
    "flatten (new array)": ("#e76f51", "o"),
    "transposed copy": ("#264653", "D"),
    "every 8th element": ("#8d99ae", "v"),
    "ravel (view)": ("#7b2cbf", "*"),
}
for name, (colour, marker) in styles.items():
    points = [(r["bytes"], r[name].ratio) for r in rows if name in r]
    ratio_ax.plot(*zip(*points, strict=True), marker=marker, color=colour, label=name)
ratio_ax.axhline(1.0, color="grey", linestyle=":", label="as long as copyto")
ratio_ax.set_xscale("log")
ratio_ax.set_yscale("log")
ratio_ax.set_xlabel("array size in bytes (log scale)")
ratio_ax.set_ylabel("time / time of copyto (measured, median of rounds)")
ratio_ax.set_title("Time relative to copying into a reused buffer")
ratio_ax.legend(fontsize=7)
fig.suptitle("Copy rates and time ratios, measured while building this page")
plt.show()

# %%
# A new array against a reused buffer
# -----------------------------------
# :claim:`cost-flatten-copyto-same-bytes`. The operating system maps a page
# of memory the first time it is written (a :term:`page fault`, and zeroing
# the page), which a :term:`buffer` written before has already had. The
# operating system counts the faults (``ru_minflt``):
# :claim:`cost-flatten-faults-by-size`.
with claim(
    "cost-flatten-copyto-same-bytes",
    "for every layout of the family, a.flatten() and np.copyto into a C-ordered array of a's shape write "
    "the same bytes, copyto into that array's buffer and flatten into a new one",
) as c:
    for case in c.over(viewcopy.claims.layouts()):
        a = case.array
        out = np.empty(a.shape, dtype=a.dtype)
        address = out.ctypes.data
        np.copyto(out, a)
        flat = a.flatten()
        c.check(
            flat.tobytes() == out.tobytes()
            and out.ctypes.data == address
            and flat.flags.owndata
            and not np.shares_memory(flat, out)
            and not np.shares_memory(flat, a),
            f"{case.name}: {flat.nbytes} bytes each, equal; out's buffer did not move; flatten's result owns its own",
        )
for row in rows:
    r = row["flatten (new array)"]
    print(f"{viewcopy.format_bytes(row['bytes']):>10}: flatten / copyto = {r}: flatten {compared(r)} copyto")
fresh_slower = [row["bytes"] for row in rows if row["flatten (new array)"].above(1.0)]
fresh_faster = [row["bytes"] for row in rows if row["flatten (new array)"].below(1.0)]
if resource is not None:
    faulting = [row for row in rows if np.median(row["faults"]) > 0]
    no_fault = [row for row in rows if np.median(row["faults"]) == 0]
    with claim(
        "cost-flatten-faults-by-size",
        "per call of a.flatten() in this build (median of 3 calls after the timing rounds), minor page faults: "
        + ", ".join(f"{viewcopy.format_bytes(row['bytes'])} {np.median(row['faults']):,.0f}" for row in rows)
        + f"; at {len(no_fault)} of the {len(rows)} sizes the median call took none, its new array on pages "
        "already mapped",
    ) as c:
        for row in c.over(rows):
            c.check(
                len(row["faults"]) == 3 and all(count >= 0 for count in row["faults"]),
                f"{viewcopy.format_bytes(row['bytes'])}: faults of the 3 calls {row['faults']}, median "
                f"{np.median(row['faults']):,.0f}",
            )
        c.check(
            np.median(rows[-1]["faults"]) > 0,
            f"the largest size, {viewcopy.format_bytes(rows[-1]['bytes'])}: median {np.median(rows[-1]['faults']):,.0f} "
            f"faults per call; {len(faulting)} sizes took some",
        )
    for row in rows:
        print(f"{viewcopy.format_bytes(row['bytes']):>10}: a.flatten() minor page faults per call {row['faults']}")

# %%
# At the largest size, against ``copyto`` into a written buffer:
big = np.arange(sides[-1] ** 2, dtype=np.float64)
warm = np.empty_like(big)
warm[...] = 0.0


if resource is not None:
    with claim(
        "cost-fresh-memory-faults",
        f"big.flatten(), this {viewcopy.format_bytes(big.nbytes)} copy, takes page faults into fresh memory, and "
        "np.copyto of big into this warm buffer takes none",
    ) as c:
        fresh_faults, fresh = minor_faults(big.flatten)
        warm_faults, _ = minor_faults(functools.partial(np.copyto, warm, big))
        c.check(fresh_faults > 0, f"{fresh_faults!s}: fresh_faults > 0 ({fresh_faults=!s})")
        c.check(warm_faults == 0, f"{warm_faults!s}: warm_faults == 0 ({warm_faults=!s})")
    print(f"{viewcopy.format_bytes(big.nbytes)}: flatten took {fresh_faults:,} page faults, copyto {warm_faults:,}")

# %%
# What the fault count says
# -------------------------
# With the usual small pages, writing a large buffer would take one fault per
# page. Linux can back memory with *transparent* :term:`huge pages <huge page>`
# instead: one fault maps a whole huge page. NumPy asks
# for them (``madvise``) on large arrays, and the kernel's setting decides
# whether it listens. Where Linux reports the setting, the page prints both
# page sizes and compares the faults measured with the faults predicted from
# the address of ``flatten``'s result: huge pages for the aligned middle of
# the buffer, small pages for the unaligned ends.
THP = Path("/sys/kernel/mm/transparent_hugepage")
PAGE = resource.getpagesize() if resource is not None else 4096


def pages_touched(start, end, page):
    return -(-end // page) - start // page


def predicted_faults(address, nbytes, huge):
    """(huge-page faults, small-page faults) for writing a buffer: huge pages where aligned, if ``huge``."""
    start, end = address, address + nbytes
    if huge:
        first, last = -(-start // huge) * huge, end // huge * huge
        if first < last:
            return (last - first) // huge, pages_touched(start, first, PAGE) + pages_touched(last, end, PAGE)
    return 0, pages_touched(start, end, PAGE)


def numpy_hugepage_switch():
    """NumPy's private getter and setter of its huge-page hint, where this release has them."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "_set_madvise_hugepage"):
            return module._get_madvise_hugepage, module._set_madvise_hugepage
    return None


switch = numpy_hugepage_switch()
if resource is not None and (THP / "enabled").is_file() and switch is not None:
    mode = (THP / "enabled").read_text().split("[")[1].split("]")[0]
    huge = int((THP / "hpage_pmd_size").read_text())
    hinted = switch[0]()
    print(
        f"{THP}/enabled: [{mode}]; pages of {PAGE >> 10} KiB, huge pages of {huge >> 10:,} KiB; NumPy's hint: {hinted}"
    )
    uses_huge = mode == "always" or (mode == "madvise" and hinted)
    n_huge, n_small = predicted_faults(fresh.ctypes.data, fresh.nbytes, huge if uses_huge else 0)
    match = "matches" if abs(fresh_faults - n_huge - n_small) <= 2 else "does not match"
    print(
        f"predicted: {n_huge:,} huge-page faults + {n_small:,} small-page faults = {n_huge + n_small:,}; "
        f"measured {fresh_faults:,}: the prediction {match}"
    )
    if uses_huge and mode != "always":
        del fresh
        switch[1](False)  # the same copy without NumPy's hint: small pages throughout
        try:
            with claim(
                "cost-faults-are-pages",
                f"without NumPy's huge-page hint, this fresh copy takes one page fault per {PAGE >> 10} KiB "
                "page it writes",
            ) as c:
                small_faults, fresh = minor_faults(big.flatten)
                _, expected = predicted_faults(fresh.ctypes.data, fresh.nbytes, 0)
                c.check(
                    abs(small_faults - expected) <= 2,
                    f"{small_faults!s}, {expected!s}: abs(small_faults - expected) <= 2 ({abs(small_faults - expected)=!s})",
                )
        finally:
            switch[1](hinted)
        print(f"with the hint off: {small_faults:,} faults for {expected:,} pages of {PAGE >> 10} KiB")
        print(f"the hint saved {small_faults - fresh_faults:,} faults ({small_faults / fresh_faults:.0f}x fewer)")
else:
    print("this system does not report transparent huge pages, or NumPy has no hint switch: not explained here")
del big, warm

# %%
# The price of reading out of order
# ---------------------------------
# :claim:`cost-transposed-sources-strided`; and
# :claim:`cost-eighth-reads-eight`. Caches load whole lines (this machine's
# line size is printed below, where Linux reports it): a read whose
# :term:`stride <strides>` is a line or more uses one element of each line it
# loads. :claim:`cost-strided-slower`; :claim:`cost-eighth-slower`.
eighth_sides = [n for n in sides if n * n * 8 <= N]
with claim(
    "cost-eighth-reads-eight",
    f"in wide[::8], consecutive float64 elements lie {np.empty(64)[::8].strides[0]} bytes apart, so for the "
    f"{len(eighth_sides)} sizes here its copy writes one eighth of the bytes of wide, the array it reads from",
) as c:
    for n in c.over(eighth_sides):
        wide = np.empty(n * n * 8, dtype=np.float64)
        c.check(
            wide[::8].strides == (64,) and wide.nbytes == 8 * wide[::8].nbytes == 8 * n * n * 8,
            f"{n}x{n}: stride {wide[::8].strides[0]} bytes, copy of {wide[::8].nbytes:,} bytes from {wide.nbytes:,}",
        )
    del wide
line_file = Path("/sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size")
if line_file.is_file():
    print(f"cache line: {int(line_file.read_text())} bytes")
transposed = largest["transposed copy"]
eighth_row = [row for row in rows if "every 8th element" in row][-1]
eighth = eighth_row["every 8th element"]
print(f"transposed copy {compared(transposed)} a contiguous copy: {transposed}")
print(f"every 8th element {compared(eighth)} a contiguous copy: {eighth}")
with claim(
    "cost-eighth-slower",
    f"at {eighth.size}, wide[::8].copy() takes longer than this contiguous copy of the same size",
) as c:
    c.check(eighth.above(1.0), f"every 8th element / copyto = {eighth}")
with claim(
    "cost-strided-slower",
    f"at {largest['transposed copy'].size}, this transposed copy takes longer than this contiguous copy of the same size",
) as c:
    c.check(transposed.above(1.0), f"{transposed!s}: transposed.above(1.0)")

# %%
# When a copy up front pays for itself
# ------------------------------------
# :claim:`cost-strided-view-and-copy`. In units of one
# ``contiguous.sum()``, *k* calls of ``strided.sum()`` take *k* × s, and
# ``strided.copy()`` followed by *k* calls of ``contiguous.sum()`` takes
# c + *k*, where c and s are the two ratios printed below; the second wins
# from the first whole *k* above c / (s − 1).
strided = np.arange(N, dtype=np.float64)[::4]
contiguous = strided.copy()
with claim(
    "cost-strided-view-and-copy",
    f"x[::4] of the {viewcopy.format_bytes(N * 8)} array x, strided here, is a view with a "
    f"{strided.strides[0]}-byte stride, and strided.copy(), contiguous here, is a C-contiguous copy of it",
) as c:
    viewcopy.expect_view(strided.base, strided)
    viewcopy.expect_copy(strided, contiguous)
    c.check(
        strided.strides == (32,) and not strided.flags.c_contiguous and contiguous.flags.c_contiguous,
        f"strides {strided.strides} and {contiguous.strides}; C-contiguous: {strided.flags.c_contiguous}, "
        f"{contiguous.flags.c_contiguous}",
    )
size = f"a {viewcopy.format_bytes(strided.nbytes)} view with stride 4"
copy_once = time_ratio(strided.copy, contiguous.sum, size=size)
strided_pass = time_ratio(strided.sum, contiguous.sum, size=size)
print(f"copy once / one contiguous pass = {copy_once}")
print(f"one strided pass / one contiguous pass = {strided_pass}")
if strided_pass.above(1.0):
    # the break-even pass from the quartiles of both ratios: a range, not a point
    earliest = math.floor(copy_once.low / (strided_pass.high - 1)) + 1
    latest = math.floor(copy_once.high / (strided_pass.low - 1)) + 1
    when = f"pass {earliest}" if earliest == latest else f"somewhere between pass {earliest} and pass {latest}"
    print(f"the copy pays for itself from {when} on (from the quartiles of the rounds)")
else:
    print("a strided pass was not clearly slower here, so the copy did not pay for itself on time")

# %%
# What to do about it, from these measurements
# --------------------------------------------
advice = []
if fresh_slower:
    advice.append(
        "Reuse buffers: flatten into a new array took longer than copyto into a reused, written buffer at "
        + ", ".join(viewcopy.format_bytes(b) for b in fresh_slower)
        + (
            " (page faults per call at those sizes: "
            + ", ".join(
                f"{viewcopy.format_bytes(row['bytes'])} {np.median(row['faults']):,.0f}"
                for row in rows
                if row["bytes"] in fresh_slower
            )
            + ")"
            if resource is not None
            else ""
        )
        + ". In a loop, allocate the output once and write into it (np.copyto, or out= of a ufunc)."
        + (
            " (It took less time at " + ", ".join(viewcopy.format_bytes(b) for b in fresh_faster) + ": measure yours.)"
            if fresh_faster
            else ""
        )
    )
if transposed.above(1.0):
    advice.append(
        f"Keep data in the order it is read: a transposed copy took {transposed:.1f}x a contiguous one "
        f"at {transposed.size}."
    )
if strided_pass.above(1.0):
    advice.append(
        f"Copy up front when you read many times: from {when} on, np.ascontiguousarray "
        "and reading the copy beat reading the strided view."
    )
print("\n".join(f"* {line}" for line in advice) or "no advice: none of the differences showed in this build")
del strided, contiguous

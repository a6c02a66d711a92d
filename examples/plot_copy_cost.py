"""
What a copy costs in time
=========================

A hidden copy is not only large, it is slow, and not simply "bytes divided by
memory bandwidth". This page times copies of sizes from a few kilobytes up to
the largest the build allows, as ratios measured in this build (medians of
repeats), and draws its advice from those measurements.
"""

# %%
# How the times are taken
# -----------------------
# Each operation is timed with :func:`viewcopy.time_call`: it runs enough
# times in a row to take a few milliseconds, and the median of several such
# runs is kept. Only ratios between operations measured here, in the same
# minute on the same machine, are compared.
import functools
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy

try:
    import resource  # Unix: page-fault counts
except ImportError:
    resource = None

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
print(f"NumPy {np.__version__}; largest size: {N:,} float64 ({viewcopy.format_bytes(N * 8)}); {os.cpu_count()} CPUs")


def per_call(func):
    return viewcopy.time_call(func).seconds


sizes = sorted({int(N / 4**k) for k in range(9)} | {1024})
sizes = [s - s % 1024 for s in sizes if s >= 1024]  # whole 1024-element rows for the 2-D cases

# %%
# The operations
# --------------
# * ``flatten`` and ``copy``: a contiguous copy into memory NumPy allocates
#   for the call (and frees afterwards).
# * ``np.copyto(out, a)``: the same bytes copied into a buffer that exists
#   and has been written once (:func:`numpy.copyto`).
# * ``a2d.T.copy()``: a copy of a transposed array, read against its memory
#   order.
# * ``a[::8].copy()``: a copy of every eighth element, so it reads eight
#   times the memory it writes.
# * ``ravel``: the view, for scale.
probe = np.arange(8192, dtype=np.float64)
with viewcopy.claim("cost-only-ravel-is-a-view", "of the operations timed here, only ravel returns a view"):
    for make_copy in (probe.flatten, probe.copy, probe.reshape(-1, 1024).T.copy, probe[::8].copy):
        viewcopy.expect_copy(probe, make_copy())
    viewcopy.expect_view(probe, probe.ravel())

rows = []
for size in sizes:
    a = np.arange(size, dtype=np.float64)
    a2d = a.reshape(-1, 1024)
    wide = np.arange(size * 8, dtype=np.float64) if size * 8 <= N else None
    out = np.empty_like(a)
    out[...] = 1.0  # touch every page once: the buffer is "warm"
    timings = {
        "flatten": per_call(a.flatten),
        "copy": per_call(a.copy),  # the same work as flatten: their gap is noise
        "copyto (warm buffer)": per_call(lambda out=out, a=a: np.copyto(out, a)),
        "transposed copy": per_call(a2d.T.copy),
        "ravel (view)": per_call(a.ravel),
    }
    if wide is not None:
        timings["every 8th element"] = per_call(wide[::8].copy)
    rows.append((size, timings))
    del a, a2d, wide, out

# %%
# As bandwidth: bytes of result per second
# ----------------------------------------
# The best rate measured on this machine (the fastest copy of any size) is the
# practical limit; every other rate is shown against it.
best = max(size * 8 / t for size, timings in rows for name, t in timings.items() if name != "ravel (view)")
print(f"best copy rate measured here: {best / 1e9:.1f} GB/s (of result written)")
names = [name for name in rows[0][1] if name != "ravel (view)"]
print(f"{'size':>10} " + " ".join(f"{name:>21}" for name in names))
for size, timings in rows:
    cells = [
        f"{size * 8 / timings[n] / 1e9:6.1f} GB/s ({size * 8 / timings[n] / best:4.0%})" if n in timings else ""
        for n in names
    ]
    print(f"{viewcopy.format_bytes(size * 8):>10} " + " ".join(f"{c:>21}" for c in cells))

fig, (rate_ax, ratio_ax) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
styles = {
    "flatten": ("#e76f51", "o"),
    "copy": ("#f4a261", "s"),
    "copyto (warm buffer)": ("#2a9d8f", "^"),
    "transposed copy": ("#264653", "D"),
    "every 8th element": ("#8d99ae", "v"),
}
for name, (colour, marker) in styles.items():
    points = [(size * 8, size * 8 / t[name] / 1e9) for size, t in rows if name in t]
    rate_ax.plot(*zip(*points, strict=True), marker=marker, color=colour, label=name)
rate_ax.axhline(best / 1e9, color="grey", linestyle=":", label="best rate measured")
rate_ax.set_xscale("log")
rate_ax.set_xlabel("bytes copied (log scale)")
rate_ax.set_ylabel("GB/s of result (medians)")
rate_ax.set_title("Copy rate by size")
rate_ax.legend(fontsize=7)
for name, (colour, marker) in {"ravel (view)": ("#7b2cbf", "*"), **styles}.items():
    points = [(size * 8, t[name] / t["copyto (warm buffer)"]) for size, t in rows if name in t]
    ratio_ax.plot(*zip(*points, strict=True), marker=marker, color=colour, label=name)
ratio_ax.set_xscale("log")
ratio_ax.set_yscale("log")
ratio_ax.set_xlabel("bytes copied (log scale)")
ratio_ax.set_ylabel("time / time of copyto into a warm buffer")
ratio_ax.set_title("Time relative to copying into a reused buffer")
ratio_ax.legend(fontsize=7)
fig.suptitle("What a copy costs: copy rates and time ratios measured while building this page")
plt.show()

# %%
# The price of fresh memory
# -------------------------
# ``flatten`` and ``copyto`` copy the same bytes; the difference is where they
# land. Memory that was just allocated is not yet backed by RAM: the
# operating system maps each page the first time it is written (a page
# fault, and zeroing the page). A buffer that was already written has its
# pages mapped. Small allocations, though, are served from memory the
# allocator already holds, so the price appears only above some size. On
# Linux, glibc's ``malloc`` hands out large blocks with ``mmap`` (fresh pages
# every time) and, after such a block is freed, raises that threshold (up to
# 32 MB on 64-bit systems), so two runs of the *same* copy can differ: where
# ``flatten`` and ``copy`` disagree below, that is the allocator, not them.
fresh_ratio = {size: t["flatten"] / t["copyto (warm buffer)"] for size, t in rows}
for size, ratio in fresh_ratio.items():
    print(f"{viewcopy.format_bytes(size * 8):>10}: flatten takes {ratio:4.2f}x the time of copyto into a warm buffer")
# the smallest size from which every larger size paid at least 20% extra
from_size = next((s for s in sizes if all(fresh_ratio[t] > 1.2 for t in sizes if t >= s)), None)
if from_size is not None:
    print(f"on this machine, fresh memory cost at least 20% extra from {viewcopy.format_bytes(from_size * 8)} up")
else:
    print("on this machine fresh memory did not cost 20% extra even at the largest size: the explanation did not show")
below = [s for s in sizes if from_size is None or s < from_size]
if below and max(fresh_ratio[s] for s in below) < 1.2:
    print(
        f"below that, flatten was at most {max(fresh_ratio[s] for s in below):.2f}x: there the allocator reused memory"
    )
elif below:
    print("below that, the ratio varied from size to size: small copies are dominated by per-call overhead and noise")
gap_size, gap = max(
    ((s, max(t["flatten"], t["copy"]) / min(t["flatten"], t["copy"])) for s, t in rows), key=lambda g: g[1]
)
print(f"flatten and copy do the same work; their largest gap was {gap:.2f}x, at {viewcopy.format_bytes(gap_size * 8)}")

# %%
# The explanation can be checked directly: the operating system counts the
# page faults a process takes (``ru_minflt``). Copying the largest array into
# fresh memory faults; copying it into the warm buffer does not.
big = np.arange(sizes[-1], dtype=np.float64)
warm = np.empty_like(big)
warm[...] = 0.0


def minor_faults(func):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    func()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


if resource is not None:
    with viewcopy.claim(
        "cost-fresh-memory-faults", "a copy into fresh memory takes page faults; into a warm buffer, none"
    ):
        fresh_faults = minor_faults(big.flatten)
        warm_faults = minor_faults(functools.partial(np.copyto, warm, big))
        assert fresh_faults > warm_faults, (fresh_faults, warm_faults)
    print(f"{viewcopy.format_bytes(big.nbytes)}: flatten took {fresh_faults:,} page faults, copyto {warm_faults:,}")
del big, warm

# %%
# The price of reading out of order
# ---------------------------------
# A transposed copy writes contiguously but reads with a large stride, and
# every eighth element reads eight times the memory it writes. Caches load
# whole lines of 64 bytes, so a strided read pays for bytes it never uses.
largest = rows[-1][1]
print(f"transposed copy: {largest['transposed copy'] / largest['copy']:.1f}x a contiguous copy of the same size")
eighth_size, eighth_times = [(s, t) for s, t in rows if "every 8th element" in t][-1]
eighth = eighth_times["every 8th element"] / eighth_times["copy"]
print(f"every 8th element ({viewcopy.format_bytes(eighth_size * 8)}): {eighth:.1f}x a contiguous copy of that size")
with viewcopy.claim("cost-strided-slower", "a strided copy takes longer than a contiguous copy of the same size"):
    assert largest["transposed copy"] > largest["copy"]

# %%
# When a copy up front pays for itself
# ------------------------------------
# A copy costs once; a strided layout costs on every pass. Summing a strided
# view several times against copying it once and summing the contiguous copy:
strided = np.arange(N, dtype=np.float64)[::4]
contiguous = strided.copy()
copy_once = per_call(strided.copy)
strided_pass = per_call(strided.sum)
contiguous_pass = per_call(contiguous.sum)
gain = strided_pass - contiguous_pass
print(f"copy once: {copy_once / contiguous_pass:.1f} contiguous passes' worth of time")
print(f"one pass over the strided view: {strided_pass / contiguous_pass:.1f}x a pass over the copy")
if gain > 0:
    print(f"break-even: the copy pays for itself after {copy_once / gain:.1f} passes")
else:
    print("a strided pass was not slower here, so the copy never pays for itself on time")

# %%
# What to do about it, from these measurements
# --------------------------------------------
# * **Reuse buffers.** In a loop, allocate the output once and write into it
#   (``np.copyto``, or the ``out=`` argument of ufuncs such as
#   :func:`numpy.add`). Where fresh memory cost extra above, reuse saves that
#   much on every iteration.
# * **Keep data in the order it is read.** A transposed or strided copy costs
#   more than a contiguous one of the same size (the ratio is printed above).
# * **Copy up front when you read many times.** If a strided view is read
#   more often than the break-even count printed above, make it contiguous
#   once (``np.ascontiguousarray``) and read the copy.
del strided, contiguous

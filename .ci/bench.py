"""``nox -s bench``: how fast the site builds and what the package costs; figures reported, not asserted.

The noxfile times the two docs builds and passes them in; this script adds
the gallery scripts' times and memory peaks (as the build recorded them),
``python -m viewcopy check``, and the overhead of the guards, then prints a
table and writes it as JSON to docs/_build/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import timeit
from pathlib import Path

import numpy as np

import viewcopy

ROOT = Path(__file__).resolve().parents[1]


def median_us(stmt, number: int = 2000, repeat: int = 7) -> float:
    return statistics.median(timeit.repeat(stmt, number=number, repeat=repeat)) / number * 1e6


def paired_ratio(slow, fast, number: int = 2000, repeat: int = 15) -> float:
    """Median of slow/fast over runs that alternate, so a busy machine slows both alike."""
    ratios = []
    for _ in range(repeat):
        a = timeit.timeit(slow, number=number)
        b = timeit.timeit(fast, number=number)
        ratios.append(a / b)
    return statistics.median(ratios)


class _Bare:
    """The cheapest context manager Python has: what a ``with`` costs on this machine right now."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def gallery_rows() -> list[tuple[str, str]]:
    """Each script's time and peak memory, from sphinx-gallery's record of the last build."""
    record = ROOT / "docs" / "auto_examples" / "sg_execution_times.rst"
    if not record.exists():
        return [("gallery", "not built yet")]
    rows = []
    for name, minutes, seconds, megabytes in re.findall(
        r"``(plot_\w+\.py)``\)\s*\n\s*-\s*(\d+):(\d+\.\d+)\s*\n\s*-\s*([\d.]+)", record.read_text()
    ):
        rows.append(
            (f"gallery {name}", f"{int(minutes) * 60 + float(seconds):.2f} s, NumPy peak {float(megabytes):.1f} MB")
        )
    return rows


def python_objects() -> list[str]:
    return [str(i) for i in range(1_000_000)]  # a million small Python objects, no NumPy buffer


def tracked_python_objects() -> list[str]:
    with viewcopy.track():
        return python_objects()


def four_threads_exact(copies: int = 1000) -> tuple[int, int]:
    """(blocks whose figures were exact, blocks run): 4 threads x ``copies`` tracked copies."""
    small = np.arange(1000.0)
    exact = []

    def work() -> None:
        for _ in range(copies):
            with viewcopy.track() as t:
                f = small.copy()
            exact.append(t.allocated_bytes == t.peak_bytes == f.nbytes)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(exact), len(exact)


def track_costs() -> list[tuple[str, str]]:
    """Issue 11's figures: the price of track() where NumPy allocates nothing, and exactness in threads."""
    ratio = paired_ratio(tracked_python_objects, python_objects, number=1, repeat=9)
    plain = statistics.median(timeit.repeat(python_objects, number=1, repeat=5))
    exact, total = four_threads_exact()
    return [
        (
            "track() around 1M small Python objects",
            f"{ratio:.2f}x untracked (median of 9 alternating runs; untracked {plain * 1e3:.0f} ms; <= 1.2x)",
        ),
        ("4 threads x 1000 tracked copies", f"{exact} of {total} figures exact"),
        ("track() method here", viewcopy.track().__enter__().method),
    ]


ALLOCATE = """
import statistics, timeit, numpy as np
{setup}
def run():
    for _ in range(1000):
        np.empty(100)  # 800 B: small enough that the allocation is most of the cost
{block}
print(statistics.median(timeit.repeat(go, number=20, repeat=15)) / 20e3 * 1e9)
"""


def allocation_costs() -> list[tuple[str, str]]:
    """What the counting wrappers add to every NumPy allocation, in a fresh process each."""

    def ns(setup: str, block: str) -> float:
        code = ALLOCATE.format(setup=setup, block=block)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(done.stdout)

    kinds = {
        "bare": ("", "go = run"),
        "installed": ("import viewcopy", "go = run"),
        "inside": ("import viewcopy", "def go():\n    with viewcopy.track():\n        run()"),
    }
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(5):  # the three alternate, so a busy machine slows all three alike
        for kind, (setup, block) in kinds.items():
            times[kind].append(ns(setup, block))
    bare, installed, inside = (statistics.median(times[kind]) for kind in kinds)
    return [
        ("np.empty(100) + free, NumPy alone", f"{bare:.0f} ns"),
        ("... with viewcopy imported, outside any block", f"{installed:.0f} ns ({installed / bare:.2f}x)"),
        ("... inside a track() block", f"{inside:.0f} ns ({inside / bare:.2f}x)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs-clean", type=float, required=True)
    parser.add_argument("--docs-nochange", type=float, required=True)
    args = parser.parse_args()

    results: list[tuple[str, str]] = [
        ("docs build, clean (environment exists)", f"{args.docs_clean:.1f} s"),
        ("docs build, no change", f"{args.docs_nochange:.1f} s"),
    ]
    results += gallery_rows()

    start = time.perf_counter()
    checked = ROOT / "docs" / "_build" / "bench-check.json"
    checked.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "viewcopy", "check", "--json", str(checked)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    summary = done.stdout.strip().splitlines()[-2] if done.stdout else done.stderr[-200:]
    results.append(("python -m viewcopy check", f"{time.perf_counter() - start:.1f} s ({summary})"))
    if checked.exists():  # where the check's time goes: its five slowest pages
        timings = json.loads(checked.read_text())["timings"]
        for page in sorted(timings, key=timings.get, reverse=True)[:5]:
            results.append((f"  check: {page}", f"{timings[page]:.1f} s"))

    a = np.zeros((1000, 1000))
    view = a.ravel()

    def empty_track() -> None:
        with viewcopy.track():
            pass

    results.append(("expect_view on a real view", f"{median_us(lambda: viewcopy.expect_view(a, view)):.2f} µs"))
    results.append(("np.shares_memory, same arrays", f"{median_us(lambda: np.shares_memory(a, view)):.2f} µs"))

    def bare_with() -> None:
        with _Bare():
            pass

    scale = (
        f"{paired_ratio(empty_track, bare_with):.1f}x an empty Python with-statement ({median_us(bare_with):.2f} µs)"
    )
    load = f"load average {os.getloadavg()[0]:.1f}"
    results.append(("track() around an empty block", f"{median_us(empty_track):.2f} µs (< 2 µs); {scale}, {load}"))
    ratio = paired_ratio(lambda: viewcopy.expect_view(a, view), lambda: np.shares_memory(a, view))
    results.append(("expect_view / np.shares_memory", f"{ratio:.2f}x, alternating runs (target <= 2x)"))
    results += track_costs()
    results += allocation_costs()
    x = np.zeros((4, 5, 6), dtype=np.int8)
    p, q = x[:, ::2, ::3], x[:, ::3, ::2]
    results.append(("relation, crossed strides", f"{median_us(lambda: viewcopy.relation(p, q), number=200):.1f} µs"))
    big = np.zeros(4 * 10**6, dtype=np.int8)
    crossed = (
        np.lib.stride_tricks.as_strided(big, shape=(2, 2, 5, 5, 3, 3), strides=(2569, 436, 468, 816, 239, 1879)),
        np.lib.stride_tricks.as_strided(big[7:], shape=(2, 2, 5, 5, 3, 3), strides=(1543, 961, 2346, 2785, 1565, 1072)),
    )
    worst = median_us(lambda: viewcopy.relation(*crossed), number=20)
    results.append(("relation, 6-D crossed strides (max_work=100000)", f"{worst:.1f} µs"))

    width = max(len(name) for name, _ in results)
    print(f"viewcopy bench: {os.cpu_count()} CPUs, NumPy {np.__version__}, Python {sys.version.split()[0]}")
    for name, value in results:
        print(f"  {name:<{width}}  {value}")
    out = ROOT / "docs" / "_build" / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "results": dict(results),
    }
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()

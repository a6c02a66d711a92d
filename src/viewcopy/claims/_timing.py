"""Time calls the one way the site does: enough loops, medians of repeats, interleaved ratios.

A single ``timeit(f, number=1)`` of a call that takes 100 ns measures the
timer; the median of a few such runs on a shared machine measures the
neighbours.  :func:`time_call` runs a call in loops long enough to time
(``min_seconds`` per repeat) and keeps the median of ``repeat`` repeats;
:func:`time_ratio` times two calls in alternating rounds, so that a burst of
load on the machine slows both, and reports the median of the per-round
ratios together with the size it was measured at.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

from .._format import format_bytes

_clock = time.perf_counter  # tests replace it with a fake clock

REPEAT = 9
"""Repeats per call (or rounds per pair) when none is given: the median of nine."""
MIN_SECONDS = 0.005
"""Shortest repeat: a call runs in a loop until the loop takes at least this long."""


def _seconds_text(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@dataclasses.dataclass(frozen=True)
class Timing:
    """How long one call took: the median of ``repeats`` loops of ``loops`` calls.

    Attributes
    ----------
    seconds : float
        Median seconds per call.
    loops : int
        Calls per repeat, chosen so one repeat takes at least ``min_seconds``.
    repeats : int
        How many repeats the median is taken over.
    samples : tuple of float
        Seconds per call in each repeat, in the order they ran.
    """

    seconds: float
    loops: int
    repeats: int
    samples: tuple[float, ...]

    def __str__(self) -> str:
        return f"{_seconds_text(self.seconds)} per call (median of {self.repeats} repeats of {self.loops:,} calls)"


@dataclasses.dataclass(frozen=True)
class TimeRatio:
    """Time of call ``a`` over time of call ``b``, measured in alternating rounds at one size.

    Attributes
    ----------
    ratio : float
        Median over the rounds of (a's seconds per call) / (b's): above 1, ``a`` was slower.
    low : float
        Lower quartile of the per-round ratios.  With ``high``, how much the ratio
        moved during the measurement (:meth:`above` and :meth:`below` count the rounds themselves).
    high : float
        Upper quartile of the per-round ratios.
    size : str
        What the ratio holds for, as given to :func:`time_ratio` (a byte count is
        formatted, as ``80.0 MB``).  A ratio says nothing about other sizes.
    a : Timing
        Call ``a``'s own timing, from the same rounds.
    b : Timing
        Call ``b``'s own timing, from the same rounds.
    """

    ratio: float
    low: float
    high: float
    size: str
    a: Timing
    b: Timing

    def _rounds(self) -> list[float]:
        return [sa / sb for sa, sb in zip(self.a.samples, self.b.samples, strict=True)]

    def above(self, x: float = 1.0) -> bool:
        """True if ``a`` took more than ``x`` times as long as ``b`` in at least three rounds out of four.

        Counted, not read off a quartile: of 2 rounds both must be above
        ``x``, of 9 at least 7.
        """
        rounds = self._rounds()
        return 4 * sum(r > x for r in rounds) >= 3 * len(rounds)

    def below(self, x: float = 1.0) -> bool:
        """True if ``a`` took less than ``x`` times as long as ``b`` in at least three rounds out of four (counted)."""
        rounds = self._rounds()
        return 4 * sum(r < x for r in rounds) >= 3 * len(rounds)

    def __str__(self) -> str:
        ratio = f"{self.ratio:,.0f}" if self.ratio >= 100 else f"{self.ratio:.3g}"
        at = "at" if self.size[:1].isdigit() else "for"  # "at 80.0 MB", "for an empty block"
        rounds = f"median of {self.a.repeats} interleaved rounds" if self.a.repeats > 1 else "one round"
        return f"{ratio}x {at} {self.size} ({rounds})"

    def __format__(self, spec: str) -> str:
        """Format the ratio alone: ``f"{r:.1f}"`` is ``f"{r.ratio:.1f}"``; ``f"{r}"`` is ``str(r)``."""
        return format(self.ratio, spec) if spec else str(self)


def _check_call(fn: Any, name: str) -> None:
    if not callable(fn):
        raise TypeError(f"{name} must be a callable taking no arguments (a bound method or a lambda), got {fn!r}")


def _check_counts(repeat: Any, min_seconds: Any) -> None:
    if isinstance(repeat, bool) or not isinstance(repeat, int):
        raise TypeError(f"repeat must be a whole number, got {type(repeat).__name__} {repeat!r}")
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    if isinstance(min_seconds, bool) or not isinstance(min_seconds, (int, float)):
        raise TypeError(f"min_seconds must be a number of seconds, got {type(min_seconds).__name__} {min_seconds!r}")
    if not min_seconds > 0:
        raise ValueError(f"min_seconds must be above 0, got {min_seconds}")


def _run(fn: Callable[[], Any], loops: int) -> float:
    """Seconds for ``loops`` calls of ``fn``, garbage collection off (as :mod:`timeit` does)."""
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = _clock()
        for _ in itertools.repeat(None, loops):
            fn()
        return _clock() - start
    finally:
        if gc_was_on:
            gc.enable()


def _loops(fn: Callable[[], Any], min_seconds: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... calls that take at least ``min_seconds`` (as ``autorange``)."""
    for exponent in itertools.count():
        for step in (1, 2, 5):
            loops = step * 10**exponent
            if _run(fn, loops) >= min_seconds:
                return loops
    raise AssertionError("unreachable")


def time_call(fn: Callable[[], Any], *, repeat: int = REPEAT, min_seconds: float = MIN_SECONDS) -> Timing:
    """Time a call: the median of ``repeat`` repeats, each a loop of at least ``min_seconds``.

    The loop length is chosen first (timing 1, 2, 5, 10, ... calls, which also
    warms caches up), so a call of 100 ns runs some 50,000 times per repeat.
    The time includes calling ``fn`` from Python; garbage collection is off
    while the loop runs.

    >>> import numpy as np, viewcopy, viewcopy.claims
    >>> a = np.zeros(1_000)
    >>> t = viewcopy.claims.time_call(a.ravel)
    >>> t.loops > 1 and t.repeats == len(t.samples) == 9
    True
    >>> t.seconds == sorted(t.samples)[4]
    True
    """
    _check_call(fn, "fn")
    _check_counts(repeat, min_seconds)
    loops = _loops(fn, min_seconds)
    samples = tuple(_run(fn, loops) / loops for _ in range(repeat))
    return Timing(statistics.median(samples), loops, repeat, samples)


def time_ratio(
    a: Callable[[], Any],
    b: Callable[[], Any],
    /,
    *,
    size: int | str,
    repeat: int = REPEAT,
    min_seconds: float = MIN_SECONDS,
) -> TimeRatio:
    """How many times as long ``a`` takes as ``b``, at one ``size``, timed in alternating rounds.

    Each round times a loop of ``a`` and a loop of ``b`` (loop lengths chosen
    as in :func:`time_call`), in the order a, b in one round and b, a in the
    next, so neither always runs second.  The ratio is the median of the
    per-round ratios.  ``size`` is what the ratio holds for: a byte count
    (formatted, as ``80.0 MB``) or a short description such as
    ``"a (1000, 100) float64 array"``; it is printed with the ratio, because
    a ratio between a copy and a view grows with the size copied.

    >>> import numpy as np, viewcopy, viewcopy.claims
    >>> a = np.zeros(1_000_000)
    >>> r = viewcopy.claims.time_ratio(a.flatten, a.ravel, size=a.nbytes)
    >>> r.above(10)  # flatten copies 8 MB; ravel makes a view
    True
    >>> str(r)
    '...x at 8.0 MB (median of 9 interleaved rounds)'
    """
    _check_call(a, "a")
    _check_call(b, "b")
    _check_counts(repeat, min_seconds)
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        raise TypeError(f"size must be a byte count (int) or a description (str), got {type(size).__name__} {size!r}")
    if isinstance(size, int) and size < 0:
        raise ValueError(f"size must be a byte count >= 0, got {size}")
    if isinstance(size, str) and not size.strip():
        raise ValueError("size must say what the ratio holds for, e.g. 'an 80 MB float64 array'")
    loops_a, loops_b = _loops(a, min_seconds), _loops(b, min_seconds)
    samples_a, samples_b = [], []
    for round_ in range(repeat):
        if round_ % 2:
            samples_b.append(_run(b, loops_b) / loops_b)
            samples_a.append(_run(a, loops_a) / loops_a)
        else:
            samples_a.append(_run(a, loops_a) / loops_a)
            samples_b.append(_run(b, loops_b) / loops_b)
    ratios = [x / y for x, y in zip(samples_a, samples_b, strict=True)]
    quartiles = statistics.quantiles(ratios, n=4, method="inclusive") if repeat > 1 else [ratios[0]] * 3
    return TimeRatio(
        ratio=statistics.median(ratios),
        low=quartiles[0],
        high=quartiles[2],
        size=format_bytes(size) if isinstance(size, int) else size.strip(),
        a=Timing(statistics.median(samples_a), loops_a, repeat, tuple(samples_a)),
        b=Timing(statistics.median(samples_b), loops_b, repeat, tuple(samples_b)),
    )

"""Measure the NumPy memory a block of code allocates, with tracemalloc."""

from __future__ import annotations

import dataclasses
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ._claims import note
from ._errors import MemoryBudgetError

NUMPY_DOMAIN: int = np.lib.tracemalloc_domain
"""The tracemalloc domain in which NumPy registers its data buffers."""

# Trackers that are open right now, outermost first.  A nested tracker has
# to reset tracemalloc's peak counter, so it hands the peak seen so far to
# every tracker outside it before doing so.
_open: list[Tracked] = []


def format_bytes(n: int) -> str:
    """Format a byte count with decimal units, as ``80.0 MB``.

    >>> import viewcopy
    >>> viewcopy.format_bytes(800_000_000)
    '800.0 MB'
    >>> viewcopy.format_bytes(96)
    '96 B'
    """
    if n < 1000:
        return f"{n} B"
    for unit in ("kB", "MB", "GB", "TB"):
        n /= 1000
        if n < 1000 or unit == "TB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


@dataclasses.dataclass
class Tracked:
    """What a :func:`track` block allocated; filled in when the block ends.

    Attributes
    ----------
    allocated_bytes : int
        NumPy data-buffer bytes allocated inside the block and still alive at
        its end (net of NumPy buffers freed in the block when tracemalloc was
        already tracing before it).  0 for a view; ``result.nbytes`` for a
        non-empty copy.
    peak_bytes : int
        Highest traced memory during the block above its level at the start.
        tracemalloc keeps one peak for all domains, so this includes the few
        hundred bytes of Python objects the block creates.
    seconds : float
        Wall time of the block, slowed a little by tracing.
    """

    allocated_bytes: int = 0
    peak_bytes: int = 0
    seconds: float = 0.0
    _peak_seen: int = dataclasses.field(default=0, repr=False)
    _start_total: int = dataclasses.field(default=0, repr=False)

    def __repr__(self) -> str:
        what = "copy" if self.allocated_bytes else "no copy"
        # no seconds: a time on its own means little on a shared machine
        return f"{what}: {format_bytes(self.allocated_bytes)} allocated, peak {format_bytes(self.peak_bytes)}"


def _numpy_bytes(snapshot: tracemalloc.Snapshot) -> int:
    # The raw (domain, size, ...) tuples, when this CPython has them, spare
    # building a Trace object per allocation: a million Python objects in
    # the block would otherwise cost seconds here.
    raw = getattr(snapshot.traces, "_traces", None)
    if raw is not None:
        return sum(t[1] for t in raw if t[0] == NUMPY_DOMAIN)
    return sum(t.size for t in snapshot.traces if t.domain == NUMPY_DOMAIN)


@contextmanager
def track() -> Iterator[Tracked]:
    """Measure the NumPy buffers a block allocates.

    Starts tracemalloc if it is not running (and stops it again afterwards),
    and nests: each block reports its own figures.  The result object is
    filled in when the block ends.  A tracemalloc that was already running
    keeps running with its traces, but its peak counter is reset (the only
    way to read a block's own peak); enclosing ``track`` blocks account for
    that, other readers of ``tracemalloc.get_traced_memory()`` do not.

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((1000, 10))
    >>> with viewcopy.track() as t:
    ...     r = a.ravel()
    >>> t.allocated_bytes
    0
    >>> with viewcopy.track() as t:
    ...     f = a.flatten()
    >>> t.allocated_bytes == f.nbytes == 80_000
    True
    >>> t
    copy: 80.0 kB allocated, peak 80... kB
    """
    tracked = Tracked()
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start(1)
        before = 0
    else:
        before = _numpy_bytes(tracemalloc.take_snapshot())
        current, peak = tracemalloc.get_traced_memory()
        for outer in _open:
            outer._peak_seen = max(outer._peak_seen, peak)
        tracemalloc.reset_peak()
    tracked._start_total = tracemalloc.get_traced_memory()[0]
    _open.append(tracked)
    start = time.perf_counter()
    try:
        yield tracked
    finally:
        tracked.seconds = time.perf_counter() - start
        current, peak = tracemalloc.get_traced_memory()
        _open.pop()
        for outer in _open:
            outer._peak_seen = max(outer._peak_seen, peak)
        tracked.peak_bytes = max(peak, tracked._peak_seen) - tracked._start_total
        if current == 0:
            # nothing is traced, so taking a snapshot would be wasted time
            tracked.allocated_bytes = 0
        else:
            tracked.allocated_bytes = _numpy_bytes(tracemalloc.take_snapshot()) - before
        if started_here:
            tracemalloc.stop()
        tracked.peak_bytes = max(tracked.peak_bytes, tracked.allocated_bytes)
        note(f"track: {tracked!r}")


@contextmanager
def budget(max_bytes: int) -> Iterator[Tracked]:
    """Raise :class:`MemoryBudgetError` if a block's memory peak exceeds ``max_bytes``.

    The check runs when the block ends (tracemalloc has no way to interrupt
    an allocation), so it catches the step that went over, after the fact.

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((1000, 10))
    >>> with viewcopy.budget(1_000):
    ...     r = a.ravel()           # a view: fits
    >>> with viewcopy.budget(1_000):
    ...     f = a.flatten()         # an 80 kB copy: does not
    Traceback (most recent call last):
    ...
    viewcopy.MemoryBudgetError: block peaked at 80... kB of traced memory (80.0 kB of NumPy buffers still alive), over its budget of 1.0 kB by 79... kB
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(
            f"budget() takes a whole number of bytes, got {type(max_bytes).__name__} "
            f"{max_bytes!r}; write 800 MB as 800_000_000"
        )
    if max_bytes < 0:
        raise ValueError(f"budget() needs max_bytes >= 0, got {max_bytes}")
    with track() as tracked:
        yield tracked
    if tracked.peak_bytes > max_bytes:
        raise MemoryBudgetError(
            f"block peaked at {format_bytes(tracked.peak_bytes)} of traced memory "
            f"({format_bytes(tracked.allocated_bytes)} of NumPy buffers still alive), "
            f"over its budget of {format_bytes(int(max_bytes))} by "
            f"{format_bytes(tracked.peak_bytes - int(max_bytes))}",
            tracked=tracked,
            max_bytes=int(max_bytes),
        )

"""Measure the NumPy memory a block of code allocates, per thread.

How it counts.  NumPy allocates every array's data through a data-memory
handler (NEP 49).  Importing viewcopy changes nothing in NumPy.  When the
first :func:`track` block opens, the small C extension ``viewcopy._counting``
wraps the functions of NumPy's default handler, once, for the whole process:
from then on each thread that is inside a :func:`track` block counts the
bytes it allocates and frees (a thread outside any block counts nothing and
pays one thread-local read per allocation).  Nothing is
installed or removed when a block starts or ends, so an exception or a
Ctrl-C at any point leaves nothing behind, and tracemalloc is not used at
all.  The wrappers stay once installed: a buffer made through them is freed
through them, and taking them out while such buffers live would lose what
their frees must lower.

When the extension cannot load, or when the code in the block allocates
through a handler of its own (``PyDataMem_SetHandler``), :func:`track` falls
back to :mod:`tracemalloc` and says so in ``Tracked.method``.
"""

from __future__ import annotations

import dataclasses
import signal
import sys
import threading
import time
import tracemalloc
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Literal

import numpy as np

from ._errors import MemoryBudgetError, MeterUnavailableError
from ._evidence import block_closed, cross_checking, listening, note
from ._format import format_bytes

try:
    from . import _counting
except ImportError:  # pragma: no cover - a checkout whose extension was not built
    _counting = None

NUMPY_DOMAIN: int = np.lib.tracemalloc_domain
"""The tracemalloc domain in which NumPy registers its data buffers."""


@dataclasses.dataclass
class Tracked:
    """What a :func:`track` block allocated; filled in when the block ends.

    Attributes
    ----------
    allocated_bytes : int
        Bytes of the NumPy data buffers that the thread running the block
        allocated inside it and that are still alive at its end.  0 for a
        view.  For a copy, the buffer made for it: ``result.nbytes`` when the
        result owns that buffer, more when the result is a view of a larger
        buffer made in the block (``np.nonzero(m)[0]`` of a 2-D ``m`` counts
        the whole 2-D index array), 1 byte for an empty copy or a copy of a
        0-byte dtype.  A ``StringDType`` array's strings live outside its
        data buffer and are not counted.  Temporaries freed before the end
        do not count.  Never negative.
    peak_bytes : int
        The most bytes those buffers (the block's own) held at once during
        the block, temporaries included when NumPy allocated them through its
        data-memory handler (see :func:`track`).  ``>= allocated_bytes``.
    freed_bytes : int
        Bytes of older NumPy buffers (made before the block, or by another
        thread) that the block's thread freed inside it, as ``del old``.
        ``allocated_bytes - freed_bytes`` is the block's net change (but
        for an older buffer resized in place in the block).
    seconds : float
        Wall time of the block.
    method : str
        ``'handler'``: counted by viewcopy's wrapper of NumPy's allocator, for
        this thread only.  ``'tracemalloc'``: the fallback (see
        :func:`track`), which counts the whole process and whose peak
        includes Python objects.
    sites : list
        With ``track(where=True)``: the lines that allocated most of the NumPy
        buffers alive in the fullest snapshot, taken between two lines of the
        function that runs the block (not at the true peak: see
        :func:`track`), largest first, each a
        ``Site`` with ``filename``, ``lineno``, ``bytes``, ``count`` and
        ``source`` (the line's text).  Empty otherwise.
    allocator_peak_bytes : int or None
        With ``track(allocator=True)``: memray's peak, the most bytes the
        whole process allocated inside the block (``malloc``, ``calloc``,
        ``realloc``, ``mmap``, ``PyMem_Raw*``: NumPy's scratch buffers, BLAS,
        Python objects, other libraries) and held at once.  ``None`` when not
        asked for.
    resident_peak_bytes : int or None
        With ``track(resident=True)``: how far the process's resident-set
        high-water mark (Linux ``VmHWM``) rose over the block: pages touched,
        whoever allocated them.  ``None`` when not asked for.
    """

    allocated_bytes: int = 0
    peak_bytes: int = 0
    freed_bytes: int = 0
    seconds: float = 0.0
    method: Literal["handler", "tracemalloc"] = "handler"
    sites: list = dataclasses.field(default_factory=list)
    allocator_peak_bytes: int | None = None
    resident_peak_bytes: int | None = None

    def __repr__(self) -> str:
        # no "copy" or "view": the bytes left cannot tell them apart (a view can keep a buffer made in the block,
        # an in-place operation can copy into a temporary); no seconds: a time alone means little on a shared machine
        text = f"{format_bytes(self.allocated_bytes)} left allocated, peak {format_bytes(self.peak_bytes)}"
        if self.allocator_peak_bytes is not None:
            text += f"; allocator peak {format_bytes(self.allocator_peak_bytes)}"
        if self.resident_peak_bytes is not None:
            text += f"; resident peak +{format_bytes(self.resident_peak_bytes)}"
        return text


_handler_ready = _counting is not None  # the wrappers go in when the first block opens, not at import


def why_not_handler() -> str:
    """Why :func:`track` falls back to tracemalloc in every thread ('' when it does not); installs the wrappers."""
    if _counting is None:
        return "the extension viewcopy._counting is not built"
    return _counting.install() or ""


_new = object.__new__
_clock = time.perf_counter  # an empty block's every 20 ns count: no attribute lookups


def _new_tracked() -> Tracked:
    """``Tracked()`` without the dataclass __init__, which sets all six fields (about half the time, measured here).

    The fields without a factory read their defaults from the class.
    """
    tracked = _new(Tracked)
    tracked.sites = []
    return tracked


def handler_available() -> bool:
    """True when :func:`track` in this thread and context counts with the handler, not tracemalloc."""
    return _handler_ready and not why_not_handler() and _counting.current_is_default()


class _Track:
    """The context manager :func:`track` returns (a class: cheaper than a generator, and C-backed)."""

    __slots__ = ("_block", "_fallback", "_meters", "_start", "tracked")
    _want: tuple[bool, bool] | None = None  # (allocator, resident) asked for; _TrackMeters sets it

    def __enter__(self) -> Tracked:
        tracked = self.tracked = _new_tracked()
        self._meters = None
        automatic = cross_checking()  # a claim is listening and wants this block cross-checked
        if self._want or automatic:
            self._meters = _Meters(self._want, automatic)
            self._meters.start(sys._getframe(1))
        try:
            # C, one call: an open counter for this thread, or None when this context has a handler of its own
            self._block = block = _counting.open() if _handler_ready else None
            if block is None:
                tracked.method = "tracemalloc"
                self._fallback = _TracemallocBlock(tracked)
            else:
                self._fallback = None
        except BaseException:
            if self._meters is not None:
                self._meters.stop(tracked)
            raise
        self._start = _clock()
        return tracked

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        seconds = _clock() - self._start
        tracked = self.tracked
        try:
            if self._fallback is None:
                tracked.allocated_bytes, tracked.freed_bytes, tracked.peak_bytes = self._block.close()
            else:
                self._fallback.close()
        finally:
            allocator = self._meters.stop(tracked) if self._meters is not None else None
        tracked.seconds = seconds
        if listening():  # a claim is listening: rendering the evidence costs more than the rest of the block
            note(f"track: {tracked!r}")
            if allocator is not None and not self._meters.asked[0]:  # asked for: the block reports memray itself
                block_closed(tracked, allocator, kind is not None)


class _Meters:
    """The process-wide meters of one block (viewcopy._meters), started before its count and stopped after."""

    __slots__ = ("allocator", "asked", "automatic", "resident")

    def __init__(self, want: tuple[bool, bool] | None, automatic: bool) -> None:
        self.asked = want or (False, False)
        self.automatic = automatic  # a claim's cross-check wants memray for this block
        self.allocator: object = None  # an AllocatorSession, or why there is none
        self.resident: object = None

    def start(self, frame: object) -> None:
        from . import _meters  # memray and the meters load when a block first asks, not at import

        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"  # type: ignore[attr-defined]
        self.__class__ = _MetersRunning  # from here, discarding the block stops its meters
        # the cross-check's automatic session gives way to a block that asks, and never raises
        try:
            if self.asked[0] or self.automatic:
                _meters.start_allocator(self, where, automatic=not self.asked[0])  # type: ignore[arg-type]
            if self.asked[1]:
                _meters.ResidentBlock(self)  # type: ignore[arg-type]
        except BaseException:
            _meters.abandon(self)  # type: ignore[arg-type]
            raise

    def stop(self, tracked: Tracked) -> int | str:
        """Fill the figures asked for; return the allocator's peak (or why there is none) for a listener."""
        from . import _meters

        with _meters.holding_interrupts():
            try:
                if self.resident is not None:
                    tracked.resident_peak_bytes = self.resident.close()  # type: ignore[attr-defined]
            finally:
                allocator = self.allocator
                if isinstance(allocator, _meters.AllocatorSession):
                    allocator = _meters.stop_allocator(allocator)
                self.__class__ = _Meters  # stopped: nothing left for a __del__ to do
        if self.asked[0]:
            if not isinstance(allocator, int):  # asked for, and another block took it: never a silent figure
                raise MeterUnavailableError(f"track(allocator=True): {allocator}")
            tracked.allocator_peak_bytes = allocator
        return allocator  # type: ignore[return-value]


class _MetersRunning(_Meters):
    """A block's meters while they run: the class has a ``__del__``, the backstop for an interrupted block.

    ``start`` switches a block's meters to this class and ``stop`` back to
    :class:`_Meters` (inside the held section), so a block that ended
    normally runs no ``__del__`` at all.
    """

    __slots__ = ()

    def __del__(self) -> None:
        # an interrupt came after the meters started and before stop() could run: stop them now
        interrupted = False
        for _attempt in range(3):  # an interrupt inside this method itself: try again (exceptions here are lost)
            try:
                from . import _meters

                with _meters.holding_interrupts():
                    _meters.abandon(self)  # type: ignore[arg-type]
                break
            except KeyboardInterrupt:
                interrupted = True
            except BaseException:  # noqa: BLE001, S110 - at interpreter shutdown the modules may be gone
                pass
        if interrupted:  # a __del__ cannot raise: send the Ctrl-C again, to arrive once this returns
            signal.raise_signal(signal.SIGINT)


def track(*, where: bool = False, allocator: bool = False, resident: bool = False) -> AbstractContextManager[Tracked]:
    """Measure the NumPy data buffers a block allocates, in the thread that runs it.

    The result object is filled in when the block ends.  Blocks nest, and
    each reports its own figures.  What counts is what NumPy allocates
    through its data-memory handler: arrays' data, and the internal buffers
    NumPy makes that way (boolean indexing's index scratch is one, so it is
    in the peak).  What NumPy mallocs directly (a stable sort's merge
    buffer, for one), Python objects and array headers do not count;
    ``track(allocator=True)`` adds memray's count of every allocation.

    Threads and async code: a block counts what *its own thread* allocates
    between entering and leaving it, whatever other threads do, so blocks in
    several threads run side by side with exact figures.  A block in a
    generator or a coroutine counts only while that generator runs: what
    its thread runs while it is suspended (another generator, another
    asyncio task) is not inside it.  The body of a ``with`` served by a
    :func:`contextlib.contextmanager` generator is inside that generator's
    block, and inside the block of a generator it resumes (``yield from``,
    at any depth); other code that a generator yields to inside its block (a pytest
    yield fixture's test) is not: open the block outside the generator.
    Past 64 generator blocks open at once in one thread, further ones count
    their thread whether running or not.  Work handed to another thread
    (``run_in_executor``, a thread pool) is not counted.  A block can be
    left from another thread; it still counts its own thread's bytes, and a
    buffer it made that another thread frees before it ends is not counted.

    Fallback: when the C extension is not built, or when the block's thread
    allocates through a data-memory handler the user installed
    (NumPy's ``get_handler_name()``, in ``numpy._core.multiarray`` on NumPy 2
    and ``numpy.core.multiarray`` before, is then not ``'default_allocator'``), the block uses :mod:`tracemalloc` and
    ``method`` is ``'tracemalloc'``: the figures then count every thread of
    the process, the peak includes Python objects, and a tracemalloc the
    block did not start has its peak reset.

    Where: with ``where=True`` the block also runs :mod:`tracemalloc`, takes
    a snapshot of NumPy's buffers when memory has grown (checked at each
    line of the function that runs the block) and lists in
    ``Tracked.sites`` the lines that allocated the buffers alive in the
    snapshot that held the most NumPy bytes, counting only allocations made
    under that function.  Snapshots are taken between lines, not at the
    true peak: a temporary made and freed within one line has no site, so
    the sites can add up to far less than ``peak_bytes``.  Tracing slows
    every allocation in the block (the production guide measures by how
    much); without ``where``, ``track`` does not use tracemalloc.

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

    A boolean index's scratch goes through NumPy's handler and counts in the
    peak (a stable sort's merge buffer does not: the ``allocator`` example
    below shows it):

    >>> batch = np.zeros((100_000, 16))
    >>> keep = batch[:, 0] == 0  # the mask, made before the block
    >>> with viewcopy.track() as u:
    ...     picked = batch[keep]
    >>> u.peak_bytes > u.allocated_bytes == picked.nbytes
    True
    >>> t
    80.0 kB left allocated, peak 80.0 kB
    >>> t.method
    'handler'
    >>> with viewcopy.track(where=True) as t:
    ...     f = a.flatten()
    >>> t.sites[0].source, t.sites[0].bytes
    ('f = a.flatten()', 80000)

    Two more meters, process-wide (every thread), for memory NumPy's handler
    does not see (details in ``viewcopy._meters`` and the measure page):
    ``allocator=True`` fills ``Tracked.allocator_peak_bytes`` with memray's
    peak, every ``malloc``/``calloc``/``realloc``/``mmap``/``PyMem_Raw*`` of
    the process (NumPy's scratch buffers, BLAS, Python objects, pandas'
    parser); ``resident=True`` fills ``Tracked.resident_peak_bytes`` with the
    rise of the resident-set high-water mark, what the OOM killer sees (Linux).
    Each costs time per block, memray's the most (the measure page times
    them against a plain block).
    Where one cannot run, the block raises
    :class:`viewcopy.MeterUnavailableError` saying why: memray has no
    Windows build and allows one tracker per process (a second allocator
    block while one is open, nested or in another thread, is refused);
    the resident reset is Linux-only and some containers refuse it.
    Resident blocks nest and overlap exactly.

    >>> x = np.random.default_rng(0).random(1_000_000)    # 8 MB of float64
    >>> with viewcopy.track(allocator=True) as t:
    ...     s = np.sort(x, kind="stable")                 # the result, and a merge buffer
    >>> t.peak_bytes == s.nbytes                          # NumPy's handler: the result only
    True
    >>> t.allocator_peak_bytes >= s.nbytes + s.nbytes // 4   # memray: the merge buffer too (up to half the data)
    True
    >>> with viewcopy.track(resident=True) as t:
    ...     big = np.ones(10_000_000)                         # 80 MB, every page written
    >>> t.resident_peak_bytes >= big.nbytes
    True
    """
    for name, value in (("where", where), ("allocator", allocator), ("resident", resident)):
        if not isinstance(value, bool):
            raise TypeError(f"track({name}=...) takes True or False, got {type(value).__name__} {value!r}")
    if allocator or resident:
        tracker = _TrackWhereMeters() if where else _TrackMeters()
        tracker._want = (allocator, resident)
        return tracker
    return _TrackWhere() if where else _Track()


class _TrackWhere(_Track):
    """``track(where=True)``: also records sites (viewcopy._sites), with tracemalloc."""

    __slots__ = ("_sites",)

    def __enter__(self) -> Tracked:
        from ._callsites import Sites

        self._sites = Sites.of_block(sys._getframe(1))  # the frame running the with-block
        return super().__enter__()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        try:
            super().__exit__(kind, error, tb)
        finally:
            self.tracked.sites = self._sites.stop()


class _TrackMeters(_Track):
    """``track(allocator=..., resident=...)``: the block also runs the meters asked for."""

    __slots__ = ("_want",)


class _TrackWhereMeters(_TrackWhere):
    __slots__ = ("_want",)


# Only the tracemalloc fallback has shared state: the blocks open right now,
# outermost first.  A nested block has to reset tracemalloc's peak counter,
# so it hands the peak seen so far to every block outside it first.
_fallback_lock = threading.RLock()  # __del__ may run inside it, from the GC
_fallback_open: list[_TracemallocBlock] = []


def _numpy_bytes(snapshot: tracemalloc.Snapshot) -> int:
    # The raw (domain, size, ...) tuples, when this CPython has them, spare
    # building a Trace object per allocation.
    raw = getattr(snapshot.traces, "_traces", None)
    if raw is not None:
        return sum(t[1] for t in raw if t[0] == NUMPY_DOMAIN)
    return sum(t.size for t in snapshot.traces if t.domain == NUMPY_DOMAIN)


class _TracemallocBlock:
    """The fallback: process-wide figures from tracemalloc."""

    def __init__(self, tracked: Tracked) -> None:
        self.tracked = tracked
        self.peak_seen = 0
        with _fallback_lock:
            self.started_here = not tracemalloc.is_tracing()
            if self.started_here:
                tracemalloc.start(1)
                self.before = 0
            else:
                self.before = _numpy_bytes(tracemalloc.take_snapshot())
                peak = tracemalloc.get_traced_memory()[1]
                for outer in _fallback_open:
                    outer.peak_seen = max(outer.peak_seen, peak)
                tracemalloc.reset_peak()
            self.start_total = tracemalloc.get_traced_memory()[0]
            _fallback_open.append(self)

    def close(self) -> None:
        with _fallback_lock:
            if self not in _fallback_open:
                return
            _fallback_open.remove(self)
            tracing = tracemalloc.is_tracing()
            current, peak = tracemalloc.get_traced_memory() if tracing else (0, 0)
            for outer in _fallback_open:
                outer.peak_seen = max(outer.peak_seen, peak)
            net = _numpy_bytes(tracemalloc.take_snapshot()) - self.before if current else 0
            # stop only a tracemalloc this block started and no open block still needs
            if self.started_here and tracing and not any(b.started_here for b in _fallback_open):
                tracemalloc.stop()
        tracked = self.tracked
        tracked.allocated_bytes = max(net, 0)
        tracked.freed_bytes = max(-net, 0)
        tracked.peak_bytes = max(peak - self.start_total, self.peak_seen - self.start_total, tracked.allocated_bytes, 0)

    __del__ = close


def budget(max_bytes: int) -> AbstractContextManager[Tracked]:
    """Raise :class:`MemoryBudgetError` if a block's NumPy memory peak exceeds ``max_bytes``.

    The peak is ``Tracked.peak_bytes``, counted for the block's own
    thread (see :func:`track`): what the block hands to other threads is
    not counted.  The check runs when the block ends, so it catches the
    step that went over, after the fact; it caps nothing.  ``budget(0)`` asserts
    that the block's thread takes nothing from NumPy's handler (memory NumPy
    or a library takes elsewhere, such as a stable sort's merge buffer, is
    not seen: :func:`track`'s ``allocator=True`` sees it).

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((1000, 10))
    >>> with viewcopy.budget(0):
    ...     r = a.ravel()           # a view: no allocation
    >>> with viewcopy.budget(1_000):
    ...     f = a.flatten()         # an 80 kB copy: over
    Traceback (most recent call last):
    ...
    viewcopy.MemoryBudgetError: block peaked at 80.0 kB of NumPy memory (80.0 kB of it still allocated at its end), over its budget of 1.0 kB by 79.0 kB
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(
            f"budget() takes a whole number of bytes, got {type(max_bytes).__name__}; write 800 MB as 800_000_000"
        )
    if max_bytes < 0:
        raise ValueError(f"budget() needs max_bytes >= 0, got {max_bytes}")
    return _Budget(int(max_bytes))


_WHAT_IS_COUNTED = {"tracemalloc": "memory traced by tracemalloc (Python objects included)"}
"""What a budget counts, by ``Tracked.method``, where it is not NumPy memory alone."""


class _Budget(_Track):
    __slots__ = ("max_bytes",)

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        super().__exit__(kind, error, tb)
        tracked = self.tracked
        if kind is None and tracked.peak_bytes > self.max_bytes:
            raise MemoryBudgetError(
                f"block peaked at {format_bytes(tracked.peak_bytes)} of {_WHAT_IS_COUNTED.get(tracked.method, 'NumPy memory')} "
                f"({format_bytes(tracked.allocated_bytes)} of it still allocated at its end), "
                f"over its budget of {format_bytes(self.max_bytes)} by "
                f"{format_bytes(tracked.peak_bytes - self.max_bytes)}",
                tracked=tracked,
                max_bytes=self.max_bytes,
            )

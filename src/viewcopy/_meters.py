"""The two process-wide meters of :func:`viewcopy.track`: every allocation (memray) and the resident peak (Linux).

NumPy's data-memory handler, which :func:`viewcopy.track` counts by
default, sees what NumPy allocates through it (arrays' data, and internal
buffers NumPy makes that way, such as boolean indexing's index scratch),
exactly and per thread.  It does not
see what NumPy allocates with plain ``malloc`` (matmul's scratch copy of a
strided operand from NumPy 2.3, a stable sort's merge buffer), BLAS
workspaces, Python objects, or other libraries' memory.  Two more meters do:

``allocator``
    memray's ``Tracker`` (https://bloomberg.github.io/memray/), started when
    the block opens and stopped when it ends; the figure is the file's
    ``metadata.peak_memory``: the most bytes allocated inside the block and
    alive at once through ``malloc``, ``calloc``, ``realloc``, ``mmap`` and
    ``PyMem_Raw*`` (pymalloc's small objects as the 1 MiB arenas it maps).
    Memory a library gets from its own pool or maps by hand without
    those calls (Arrow's jemalloc pool) is not seen.  memray has no Windows
    build; elsewhere it is a dependency of viewcopy.  The capture file is a
    temporary file, removed when the block ends.
``resident``
    The rise of the kernel's resident-set high-water mark over the block
    (Linux: ``5`` written to ``/proc/self/clear_refs`` resets ``VmHWM`` of
    ``/proc/self/status`` to the current resident size).  What the OOM killer
    acts on: pages touched, whoever allocated them, in page-sized steps;
    memory allocated but never touched does not count, and a block whose
    memory reuses pages already resident rises by less than it allocates.

Both count the whole process (every thread), not the block's thread.

Nesting and concurrency.  The resident meter nests exactly: before a block
resets the high-water mark, it hands the peak seen so far to every open
block (in any thread), which keeps the larger.  memray allows one tracker
per process: one allocator block at a time.  A second one requested while
another is open (nested, or in another thread, or while ``memray run``
tracks the process) raises :class:`viewcopy.MeterUnavailableError` naming
the block that holds it, except that the automatic cross-check of a claim
(see ``viewcopy.claims``) gives way: a block that asks for the meter takes
it from an enclosing block measured only for that cross-check, whose
cross-check is then recorded as not made.

Unavailable meters: asked for where they cannot run, :func:`viewcopy.track`
raises :class:`viewcopy.MeterUnavailableError` saying why, when the block
opens; a figure is never a silent 0.  A meter not asked for is ``None`` in
:class:`viewcopy.Tracked`.

Ctrl-C: starting and stopping a meter runs with SIGINT held (in the main
thread, the only one Python interrupts) and hands the meter to its block
inside that section; a Ctrl-C arrives when it ends.  Should one land
between, the block's meters are stopped when the block is discarded (the
block object's ``__del__``: at once in CPython once the interrupt is
handled, or at the next garbage collection when the interrupt's traceback
holds the block in a reference cycle; a block that asks for the allocator
meter while such a block holds it collects garbage first), so no tracker
stays running and no capture file stays behind.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator

from ._errors import MeterUnavailableError

_lock = threading.RLock()  # taken only inside holding_interrupts(): no Ctrl-C between taking it and the hold
_files = itertools.count()


@contextlib.contextmanager
def holding_interrupts() -> Iterator[None]:
    """Run the block with Ctrl-C (SIGINT) held; one that arrived meanwhile is delivered when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python raises KeyboardInterrupt in the main thread only
        return
    held: list[tuple[int, object]] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append((signum, frame)))
    except (ValueError, OSError):  # pragma: no cover - an embedded interpreter without signals
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held and callable(previous):
            previous(*held[0])  # type: ignore[arg-type]
        elif held and previous == signal.SIG_DFL:  # pragma: no cover - someone restored the OS default
            raise KeyboardInterrupt


# --------------------------------------------------------------------------- the allocator meter (memray)


def _memray():
    """memray, imported on first use (``import viewcopy`` stays as cheap as before); a clear error without it."""
    if sys.platform == "win32":
        raise MeterUnavailableError(
            "track(allocator=True) needs memray, which has no Windows build; "
            "track(resident=True) is Linux-only too: on Windows only NumPy's handler figures are available"
        )
    try:
        import memray
    except ImportError as error:
        raise MeterUnavailableError(
            f"track(allocator=True) needs memray, a dependency of viewcopy that is not installed here ({error}); "
            "python -m pip install memray"
        ) from error
    return memray


class AllocatorSession:
    """One memray tracker, from a block's start to its end; at most one per process (memray's rule)."""

    __slots__ = ("automatic", "path", "stopped", "taken", "tracker", "where")

    def __init__(self, where: str, automatic: bool) -> None:
        self.where = where  # who holds it, for the error a second block gets
        self.automatic = automatic  # only for a claim's cross-check: gives way to a block that asks
        self.taken = ""  # why a block that asked took it, if one did
        self.path = ""
        self.stopped = False
        self.tracker: object = None


_session: AllocatorSession | None = None


class Owner:
    """What holds a block's meters (``viewcopy._measure._Meters``): they are handed to it inside the held section."""

    allocator: AllocatorSession | str | None
    resident: ResidentBlock | None


def start_allocator(owner: Owner, where: str, automatic: bool = False) -> None:
    """Start memray for one block, into ``owner.allocator``; with ``automatic``, a reason there instead of an error."""
    global _session
    with holding_interrupts(), _lock:
        holder = _session
        if holder is not None and not automatic:
            gc.collect()  # a block an interrupt left in a reference cycle: its __del__ stops its tracker
            holder = _session
        if holder is not None:
            if automatic:
                owner.allocator = f"not cross-checked: inside an outer block's memray session ({holder.where})"
                return
            if not holder.automatic:
                raise MeterUnavailableError(
                    f"track(allocator=True) at {where}: memray allows one tracker per process, and the block at "
                    f"{holder.where} holds it; measure one of the two blocks with the allocator meter, not both"
                )
            _stop(holder)  # the enclosing block was measured only for a claim's cross-check: it gives way
            holder.taken = f"not cross-checked: the block at {where} asked for the allocator meter"
        try:
            memray = _memray()
        except MeterUnavailableError as error:
            if automatic:
                owner.allocator = f"not cross-checked: {error}"
                return
            raise
        session = AllocatorSession(where, automatic)
        session.path = os.path.join(tempfile.gettempdir(), f"viewcopy-memray-{os.getpid()}-{next(_files)}.bin")
        try:
            session.tracker = memray.Tracker(
                destination=memray.FileDestination(session.path, overwrite=True, compress_on_exit=False),
                file_format=memray.FileFormat.AGGREGATED_ALLOCATIONS,  # the smallest file; the peak is kept
                memory_interval_ms=60_000,  # no resident samples: the block's end is what is read
            )
            session.tracker.__enter__()  # type: ignore[attr-defined]
        except RuntimeError as error:  # memray's own tracker is running: `memray run`, or the user's Tracker
            _remove(session.path)
            message = f"memray is already tracking this process ({error or 'another Tracker is active'})"
            if automatic:
                owner.allocator = f"not cross-checked: {message}"
                return
            raise MeterUnavailableError(f"track(allocator=True) at {where}: {message}") from error
        except BaseException:  # an interrupt: a tracker that started must not outlive it
            if session.tracker is not None:
                session.tracker.__exit__(None, None, None)  # type: ignore[attr-defined]  # harmless if not started
            _remove(session.path)
            raise
        _session = owner.allocator = session


def stop_allocator(session: AllocatorSession) -> int | str:
    """Stop the block's tracker: the peak in bytes, or why there is none (another block took the meter)."""
    with holding_interrupts(), _lock:
        if session.taken:
            return session.taken
        return _stop(session)


def _stop(session: AllocatorSession) -> int:
    global _session
    try:
        if session.stopped:
            raise MeterUnavailableError("track(allocator=True): this block's memray tracker was already stopped")
        session.tracker.__exit__(None, None, None)  # type: ignore[attr-defined]
        return int(_memray().FileReader(session.path).metadata.peak_memory)
    finally:
        if _session is session:
            _session = None
        session.stopped = True
        _remove(session.path)


def abandon(owner: Owner) -> None:
    """Stop whatever meters ``owner`` still holds (its block was left by an interrupt before it could stop them)."""
    with holding_interrupts(), _lock:
        allocator = owner.allocator
        if isinstance(allocator, AllocatorSession) and not allocator.stopped and not allocator.taken:
            with contextlib.suppress(Exception):
                _stop(allocator)
        if owner.resident in _resident_open:
            _resident_open.remove(owner.resident)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# --------------------------------------------------------------------------- the resident meter (Linux)

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"
_resident_why_not: str | None = None  # '' once a reset worked; the reason when it cannot
_resident_open: list[ResidentBlock] = []  # open blocks, any thread: a reset hands each the peak so far


def _read_hwm() -> int:
    with open(_STATUS, "rb") as status:
        for line in status:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    raise MeterUnavailableError(f"track(resident=True): {_STATUS} has no VmHWM line")


def _reset_hwm() -> None:
    with open(_CLEAR_REFS, "w") as clear_refs:
        clear_refs.write("5")  # 5: reset the peak resident size only (1-4 walk the page tables)


def resident_why_not() -> str:
    """Why the resident meter cannot run here ('' when it can); tried once per process."""
    global _resident_why_not
    if _resident_why_not is None:
        if not sys.platform.startswith("linux"):
            _resident_why_not = f"the kernel's peak-RSS reset (/proc/self/clear_refs) is Linux-only, not {sys.platform}"
        else:
            try:
                _reset_hwm()
                _read_hwm()
            except (OSError, MeterUnavailableError) as error:  # a container may refuse clear_refs
                _resident_why_not = f"this kernel refused the peak-RSS reset ({_CLEAR_REFS}: {error})"
            else:
                _resident_why_not = ""
    return _resident_why_not


class ResidentBlock:
    """The resident high-water mark's rise over one block."""

    __slots__ = ("peak_seen", "start")
    peak_seen: int
    start: int

    def __init__(self, owner: Owner) -> None:
        why = resident_why_not()
        if why:
            raise MeterUnavailableError(f"track(resident=True): {why}")
        with holding_interrupts(), _lock:
            before = _read_hwm()
            for outer in _resident_open:  # the reset below would lose their peak: hand it over first
                outer.peak_seen = max(outer.peak_seen, before)
            _reset_hwm()
            self.start = self.peak_seen = _read_hwm()  # after a reset, the resident size now
            _resident_open.append(self)
            owner.resident = self

    def close(self) -> int:
        """Bytes the resident peak rose above its level at the block's start (0 when nothing new was touched)."""
        with holding_interrupts(), _lock:
            if self in _resident_open:
                _resident_open.remove(self)
            peak = max(_read_hwm(), self.peak_seen)
            for outer in _resident_open:
                outer.peak_seen = max(outer.peak_seen, peak)
        return max(peak - self.start, 0)

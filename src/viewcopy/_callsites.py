"""Where NumPy data buffers were allocated: file and line, from tracemalloc.

NumPy registers every data buffer in its own tracemalloc domain
(:data:`numpy.lib.tracemalloc_domain`), with the Python stack that allocated
it.  A :class:`Sites` recorder runs tracemalloc and takes snapshots filtered to
that domain; each buffer is charged to the innermost frame outside NumPy and
viewcopy: the line of *your* code that made it.
"""

from __future__ import annotations

import dataclasses
import linecache
import os
import sys
import tracemalloc
import types
from collections import defaultdict

import numpy as np

from ._format import format_bytes

FRAMES = 16
"""Stack depth tracemalloc keeps per allocation: enough to get past NumPy's own Python code.

Each frame kept makes every traced allocation slower.
"""

_SKIP = tuple(os.path.dirname(m.__file__) + os.sep for m in (np, sys.modules[__package__]))
# the site's own pages, copied into an installed viewcopy (viewcopy/_site/) for `python -m viewcopy check`: they are
# code that allocates, like the user's, not viewcopy's machinery
_PAGES = os.path.join(os.path.dirname(sys.modules[__package__].__file__), "_site") + os.sep
_MONITOR_ID = 4  # a sys.monitoring tool id that the debugger, coverage and profilers leave free


@dataclasses.dataclass(frozen=True)
class Site:
    """A line of code and the NumPy buffer bytes allocated there.

    Attributes
    ----------
    filename, lineno : str, int
        Where the allocation was made (the innermost frame outside NumPy).
    bytes : int
        Bytes of the NumPy buffers allocated at this line and alive in the snapshot.
    count : int
        How many buffers.
    """

    filename: str
    lineno: int
    bytes: int
    count: int = 1

    @property
    def source(self) -> str:
        """The text of the line, stripped (empty when the file cannot be read)."""
        return linecache.getline(self.filename, self.lineno).strip()

    @property
    def location(self) -> str:
        """``file.py:12``, with the file's base name."""
        return f"{os.path.basename(self.filename)}:{self.lineno}"

    def __str__(self) -> str:
        return f"{self.location}  {format_bytes(self.bytes)}" + (f"  {self.source}" if self.source else "")


def _site_of(traceback: tracemalloc.Traceback) -> tuple[str, int]:
    # tracemalloc lists frames oldest first; the allocation's own frame is last
    for frame in reversed(traceback):
        if not frame.filename.startswith(_SKIP) or frame.filename.startswith(_PAGES):
            return frame.filename, frame.lineno
    return traceback[-1].filename, traceback[-1].lineno


def _numpy_traces(snapshot: tracemalloc.Snapshot, within: types.CodeType | None) -> list[tracemalloc.Trace]:
    traces = snapshot.filter_traces([tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)]).traces
    if within is None:
        return list(traces)
    lines = [line for _, _, line in within.co_lines() if line is not None] or [within.co_firstlineno]
    first, last, filename = min(lines), max(lines), within.co_filename
    return [t for t in traces if _under(t.traceback, filename, first, last)]


def _under(traceback: tracemalloc.Traceback, filename: str, first: int, last: int) -> bool:
    if any(f.filename == filename and first <= f.lineno <= last for f in traceback):
        return True
    total = getattr(traceback, "total_nframe", None)
    return total is not None and total > len(traceback)  # cut short: cannot tell, so keep it


def sites_of(snapshot: tracemalloc.Snapshot, *, top: int = 5, within: types.CodeType | None = None) -> list[Site]:
    """The lines that allocated most of the NumPy buffers in ``snapshot``, largest first.

    ``within``: count only buffers allocated while that code was running (it is on their stack).
    """
    sizes: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for trace in _numpy_traces(snapshot, within):
        entry = sizes[_site_of(trace.traceback)]
        entry[0] += trace.size
        entry[1] += 1
    ranked = sorted(sizes.items(), key=lambda item: -item[1][0])[:top]
    return [Site(filename, lineno, size, count) for (filename, lineno), (size, count) in ranked]


class Sites:
    """Record where NumPy buffers are allocated, at the fullest snapshot taken.

    ``sample()`` takes a snapshot when tracemalloc's traced memory has grown
    by a tenth since the last one, and keeps the snapshot holding the most
    NumPy bytes: the buffers alive at the fullest of the points sampled, not
    only those still alive when it ends (and not the true peak, which can
    fall inside one line).  ``watch(code)`` samples at every line of
    one code object (the test function, the cell, the ``with`` block's
    function) and when it returns, so buffers held in local variables are seen
    before they are freed.  A temporary made and freed within one line is
    counted by the peak figures of :func:`viewcopy.track` but has no site.
    """

    def __init__(self, *, within: types.CodeType | None = None) -> None:
        self._within = within
        self._started_here = not tracemalloc.is_tracing()
        if self._started_here:
            tracemalloc.start(FRAMES)
        self.numpy_bytes = 0
        self._snapshot: tracemalloc.Snapshot | None = None
        self._next = 0
        self._watched: types.CodeType | None = None
        self._old_trace = None

    def sample(self) -> None:
        current = tracemalloc.get_traced_memory()[0]
        if current < self._next:
            return
        self._next = current + current // 10 + 1
        snapshot = tracemalloc.take_snapshot()
        numpy_bytes = sum(trace.size for trace in _numpy_traces(snapshot, self._within))
        if self._snapshot is None or numpy_bytes > self.numpy_bytes:
            self._snapshot, self.numpy_bytes = snapshot, numpy_bytes

    @classmethod
    def of_block(cls, frame: types.FrameType) -> Sites:
        """Sites of a ``with`` block running in ``frame``: the buffers allocated under that frame's code."""
        sites = cls(within=frame.f_code)
        sites.watch(frame.f_code, frame)
        return sites

    def watch(self, code: types.CodeType, frame: types.FrameType | None = None) -> None:
        """Sample at each line of ``code`` and when it returns, until :meth:`stop`.

        ``frame`` is that code's frame when it is already running (a ``with`` block).
        """
        if hasattr(sys, "monitoring"):  # 3.12+: events for this code object only, no tracer replaced
            if sys.monitoring.get_tool(_MONITOR_ID) is not None:
                return  # another recorder is watching: this one samples at its end only
            events = sys.monitoring.events
            sys.monitoring.use_tool_id(_MONITOR_ID, "viewcopy")
            for event in (events.LINE, events.PY_RETURN):
                sys.monitoring.register_callback(_MONITOR_ID, event, self._sample_event)
            sys.monitoring.set_local_events(_MONITOR_ID, code, events.LINE | events.PY_RETURN)
        elif sys.gettrace() is None:  # 3.11: a tracer that follows this code object only
            sys.settrace(self._trace)
            if frame is not None:
                frame.f_trace = self._trace
        else:
            return  # a debugger or coverage owns sys.settrace: leave it alone
        self._watched = code

    def _sample_event(self, *args: object) -> None:
        self.sample()

    def _trace(self, frame: types.FrameType, event: str, arg: object):
        if frame.f_code is not self._watched:
            return None
        self.sample()
        return self._trace

    def stop(self, *, top: int = 5) -> list[Site]:
        """Take a last sample, stop tracing if this recorder started it, and return the top sites."""
        code, self._watched = self._watched, None
        if code is not None:
            if hasattr(sys, "monitoring"):
                sys.monitoring.set_local_events(_MONITOR_ID, code, 0)
                for event in (sys.monitoring.events.LINE, sys.monitoring.events.PY_RETURN):
                    sys.monitoring.register_callback(_MONITOR_ID, event, None)
                sys.monitoring.free_tool_id(_MONITOR_ID)
            else:
                sys.settrace(None)
        self.sample()
        if self._started_here:
            tracemalloc.stop()
        return sites_of(self._snapshot, top=top, within=self._within) if self._snapshot is not None else []

"""pytest plugin: NumPy memory limits on tests, a fixture, and a report.

Installed with viewcopy and loaded by pytest on its own (entry point
``pytest11``); nothing to configure.

- ``@pytest.mark.limit_numpy_bytes("10 MB")`` (or an int of bytes) fails a
  test whose body holds more NumPy data than the limit at its peak, and names
  the lines that allocated most;
- ``@pytest.mark.no_numpy_copy`` is the same with a limit of zero bytes;
- the ``viewcopy_tracker`` fixture measures a block of a test,
  ``with viewcopy_tracker(where=True) as t:``, and gives a :class:`TestMemory`;
- ``pytest --viewcopy-report`` prints the tests that allocated most.

Only the test function's body is measured, not its fixtures: make the input
arrays in fixtures.  Threads the test starts (``threading.Thread``,
``concurrent.futures.ThreadPoolExecutor``) are counted with the test when
they finish before it ends; see :class:`TestMemory` for how.  A test with a
limit that leaves a thread running fails as undecided: that thread's bytes
were not counted.  One that passes under the tracemalloc fallback (no
per-thread handler here) warns, :class:`UndecidedLimitWarning`: that
method misses a temporary made and freed within one line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import decimal
import inspect
import re
import sys
import threading
import types
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from . import _callsites, _measure

_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS.update(kib=2**10, mib=2**20, gib=2**30, tib=2**40)
_SIZE = re.compile(r"\s*(\d[\d_]*(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)
_LIMIT = pytest.StashKey[tuple[int, str]]()
_PEAK = "viewcopy_numpy_peak_bytes"  # user_properties: they travel from xdist workers to the controller
_LINE = "viewcopy_top_line"


class UndecidedLimitWarning(UserWarning):
    """A limit marker's test passed, but the measurement could not see everything the limit is about."""


def parse_size(value: int | str) -> int:
    """A byte count from an int or a string such as ``"10 MB"``, ``"512 kB"`` or ``"1.5 GiB"``.

    Units are decimal (kB, MB, GB, TB, as :func:`viewcopy.format_bytes`
    prints them) or binary (KiB, MiB, GiB, TiB); case does not matter.

    >>> parse_size("10 MB"), parse_size("1.5 KiB"), parse_size(0)
    (10000000, 1536, 0)
    >>> parse_size("ten MB")
    Traceback (most recent call last):
    ...
    ValueError: cannot read 'ten MB' as a size: write a number and a unit, like '10 MB', '512 kB' or '1.5 GiB'
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(
            f"a NumPy byte limit is an int of bytes or a string like '10 MB', got {type(value).__name__} {value!r}"
        )
    if isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match is None:
            raise ValueError(
                f"cannot read {value!r} as a size: write a number and a unit, like '10 MB', '512 kB' or '1.5 GiB'"
            )
        unit = match[2].lower() or "b"
        if unit not in _UNITS:
            raise ValueError(f"unknown unit {match[2]!r} in {value!r}: use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB")
        exact = decimal.Decimal(match[1].replace("_", "")) * _UNITS[unit]
        if exact != exact.to_integral_value():
            raise ValueError(f"{value!r} is not a whole number of bytes")
        value = int(exact)
    if value < 0:
        raise ValueError(f"a NumPy byte limit cannot be negative, got {value}")
    return value


@dataclasses.dataclass
class TestMemory(_measure.Tracked):
    """The NumPy memory of a test body (or of a ``viewcopy_tracker`` block): a :class:`viewcopy.Tracked`, with threads.

    Filled in at its end.  ``peak_bytes`` is what the limit markers compare:
    NumPy data bytes held at the peak, above the level at the start.  With
    the per-thread ``"handler"`` method, the test thread's exact peak plus
    the peak of each thread it started (a bound on their joint peak: the
    peaks may not coincide).  With the ``"tracemalloc"`` fallback, which
    sees the whole process, the most NumPy bytes alive at a line of the test
    (or at its end): a temporary made and freed inside one line is missed.
    ``allocated_bytes`` (net, still alive at the end) includes the threads'.
    ``sites`` are the lines that allocated most (with ``where=True``, and
    always under the ``"tracemalloc"`` method), the NumPy buffers alive at
    the peak.

    Attributes
    ----------
    threads : int
        Threads started in the block whose bytes were added (``"handler"`` only).
    threads_running : int
        Threads started in the block still running at its end: their bytes are not counted.
    """

    __test__ = False  # not a test class, despite its name

    threads: int = 0
    threads_running: int = 0

    def __repr__(self) -> str:
        fb = _measure.format_bytes
        threads = f", {self.threads} thread(s) included" if self.threads else ""
        return f"NumPy peak {fb(self.peak_bytes)}, {fb(self.allocated_bytes)} still allocated{threads}"


def _method() -> str:
    with _measure.track() as probe:
        pass
    return getattr(probe, "method", "tracemalloc")


_original_start = threading.Thread.start


def _counted_start(thread: threading.Thread) -> None:
    """``Thread.start`` while a measurement is open: the thread runs its ``run`` inside its own ``track``."""
    with _Threads.lock:
        collectors = list(_Threads.open)
        for collector in collectors:
            collector.started += 1
    run = thread.run

    def counted_run() -> None:
        tracked = None
        try:
            with _measure.track() as tracked:
                run()
        finally:
            if tracked is not None:
                with _Threads.lock:
                    for collector in collectors:
                        if not collector.closed:  # a thread that outlived the measurement is not added late
                            collector.done.append(tracked)

    thread.run = counted_run  # an instance attribute: works for subclasses that override run()
    _original_start(thread)


class _Threads:
    """The threads started while a measurement is open, and the figures of those that finished."""

    lock = threading.Lock()
    open: ClassVar[list[_Threads]] = []

    def __init__(self) -> None:
        self.done: list[_measure.Tracked] = []
        self.started = 0
        self.closed = False

    @classmethod
    @contextlib.contextmanager
    def counted(cls) -> Iterator[_Threads]:
        collector = cls()
        with cls.lock:
            if not cls.open:
                threading.Thread.start = _counted_start
            cls.open.append(collector)
        try:
            yield collector
        finally:
            with cls.lock:
                cls.open.remove(collector)
                collector.closed = True
                if not cls.open:
                    threading.Thread.start = _original_start


@contextlib.contextmanager
def measure(
    *, where: bool = False, code: types.CodeType | None = None, frame: types.FrameType | None = None
) -> Iterator[TestMemory]:
    """Measure a block as the markers do; ``code`` is the function whose lines are sampled for sites."""
    result = TestMemory(method=_method())
    sites = _callsites.Sites() if where or result.method != "handler" else None
    tracked = threads = None
    try:
        with contextlib.ExitStack() as stack:
            threads = stack.enter_context(_Threads.counted()) if result.method == "handler" else None
            if sites is not None and code is not None:
                sites.watch(code, frame)
            tracked = stack.enter_context(_measure.track())
            yield result
    finally:  # filled in also when the block raised: a failing test still has figures
        found = sites.stop() if sites is not None else []
        if tracked is not None:
            _fill(result, tracked, threads, sites, found if where else [])


def _fill(
    result: TestMemory,
    tracked: _measure.Tracked,
    threads: _Threads | None,
    sites: _callsites.Sites | None,
    found: list[_callsites.Site],
) -> None:
    result.sites = found
    result.allocated_bytes = tracked.allocated_bytes
    result.freed_bytes, result.seconds = tracked.freed_bytes, tracked.seconds
    if threads is not None:
        result.peak_bytes = tracked.peak_bytes
        with _Threads.lock:
            done = list(threads.done)
        result.threads, result.threads_running = len(done), threads.started - len(done)
        result.peak_bytes += sum(t.peak_bytes for t in done)
        result.allocated_bytes += sum(t.allocated_bytes for t in done)
    else:
        result.peak_bytes = max(tracked.allocated_bytes, sites.numpy_bytes if sites is not None else 0)


def _test_code(item: pytest.Function) -> types.CodeType | None:
    function = inspect.unwrap(getattr(item.obj, "__func__", item.obj))
    return getattr(function, "__code__", None)


# -- hooks ---------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("viewcopy", "NumPy memory (viewcopy)")
    group.addoption(
        "--viewcopy-report",
        action="store_true",
        default=False,
        help="measure the NumPy memory of every test body and print the tests that allocated most",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "limit_numpy_bytes(limit): fail the test if its body holds more NumPy data than limit at its peak; "
        "limit is an int of bytes or a string like '10 MB' (viewcopy)",
    )
    config.addinivalue_line("markers", "no_numpy_copy: fail the test if its body allocates any NumPy data (viewcopy)")
    if config.getoption("viewcopy_report") and not hasattr(config, "workerinput"):  # xdist workers only measure
        config.pluginmanager.register(_Report(), "viewcopy-report")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    limits = []
    for marker in item.iter_markers("limit_numpy_bytes"):
        args = list(marker.args) + list(marker.kwargs.values())
        if len(args) != 1 or set(marker.kwargs) - {"limit"}:
            pytest.fail('limit_numpy_bytes takes one limit: @pytest.mark.limit_numpy_bytes("10 MB")', pytrace=False)
        try:
            limits.append((parse_size(args[0]), f"limit_numpy_bytes({args[0]!r})"))
        except (TypeError, ValueError) as error:
            pytest.fail(f"limit_numpy_bytes: {error}", pytrace=False)
        break  # the closest marker wins
    if item.get_closest_marker("no_numpy_copy") is not None:
        limits.append((0, "no_numpy_copy"))
    if limits:
        item.stash[_LIMIT] = min(limits)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    limit = pyfuncitem.stash.get(_LIMIT, None)
    if limit is None and not pyfuncitem.config.getoption("viewcopy_report"):
        return (yield)
    memory = None
    try:
        with measure(where=limit is not None, code=_test_code(pyfuncitem)) as memory:
            result = yield
    finally:  # a failing test is reported too
        if memory is not None:
            if memory.sites:
                top = memory.sites[0]
                pyfuncitem.user_properties.append((_LINE, f"{top.location}  {top.source}"))
            pyfuncitem.user_properties.append((_PEAK, memory.peak_bytes))
    if limit is not None and memory.peak_bytes > limit[0]:
        pytest.fail(_over_limit(memory, *limit), pytrace=False)
    if limit is not None and memory.method != "handler":
        warnings.warn(
            f"{limit[1]} passed as far as the tracemalloc fallback can tell ({memory.method} method: the handler "
            "is not in use here): a temporary made and freed within one line is not seen, so the limit is "
            "undecided for temporaries",
            UndecidedLimitWarning,
            stacklevel=1,
        )
    if limit is not None and memory.threads_running:  # a pass would be a verdict on bytes nobody counted
        fb = _measure.format_bytes
        pytest.fail(
            f"{limit[1]} is undecided: {memory.threads_running} thread(s) the test body started were still running "
            f"when it ended, and their NumPy bytes are not counted (the body held {fb(memory.peak_bytes)} without "
            "them); join the threads before the test returns",
            pytrace=False,
        )
    return result


def _over_limit(memory: TestMemory, limit: int, marker: str) -> str:
    fb = _measure.format_bytes
    lines = [
        (
            f"the test body held {fb(memory.peak_bytes)} of NumPy data at its peak, over the limit of {fb(limit)} "
            f"set by {marker} ({memory.method} method)"
        )
    ]
    if memory.threads or memory.threads_running:
        lines.append(
            f"{memory.threads} thread(s) it started are included, {memory.threads_running} still running are not"
        )
    if memory.sites:
        lines.append("lines that allocated most (NumPy buffers alive at the fullest line boundary sampled):")
        lines += [f"  {site}" for site in memory.sites]
    else:
        lines.append("no line to show: the copies were temporaries freed within one line, or made in another thread")
    return "\n".join(lines)


@pytest.fixture
def viewcopy_tracker(request: pytest.FixtureRequest):
    """Measure a block of a test: ``with viewcopy_tracker(where=True) as memory:``, a :class:`TestMemory`."""

    def tracker(*, where: bool = False):
        frame = sys._getframe(1)
        return measure(where=where, code=frame.f_code, frame=frame)

    return tracker


class _Report:
    """The ``--viewcopy-report`` table; on the xdist controller it gathers the workers' figures."""

    def __init__(self, top: int = 10) -> None:
        self.rows: list[tuple[int, str, str]] = []
        self.top = top

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if report.when == "call" and _PEAK in properties:
            self.rows.append((properties[_PEAK], report.nodeid, properties.get(_LINE, "")))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("viewcopy: top NumPy-allocating tests")
        if not self.rows:
            terminalreporter.line("no test body was measured")
            return
        rows = sorted(self.rows, key=lambda row: (-row[0], row[1]))[: self.top]
        terminalreporter.line(f"{'NumPy peak':>10}  test  (line that allocated most, for tests with a limit)")
        for peak, test, line in rows:
            terminalreporter.line(f"{_measure.format_bytes(peak):>10}  {test}" + (f"  ({line})" if line else ""))
        terminalreporter.line(f"{len(self.rows)} test(s) measured; NumPy peak of each test body, fixtures excluded")

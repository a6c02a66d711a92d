"""viewcopy.track and viewcopy.budget: exact bytes, nesting, threads, generators, interrupts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import viewcopy
import viewcopy.claims
from viewcopy import _counting, _evidence, _measure

try:
    from numpy._core import multiarray as _multiarray
except ImportError:  # NumPy 1.26
    from numpy.core import multiarray as _multiarray


@pytest.fixture
def a() -> np.ndarray:
    return np.arange(100_000, dtype=np.float64).reshape(1000, 100)


def test_view_allocates_nothing(a):
    with viewcopy.track() as t:
        r = a.ravel()
    assert np.shares_memory(a, r)
    assert t.allocated_bytes == 0


def test_copy_allocates_exactly_its_nbytes(a):
    with viewcopy.track() as t:
        f = a.flatten()
    assert t.allocated_bytes == f.nbytes == 800_000
    assert t.peak_bytes >= t.allocated_bytes
    assert t.seconds > 0


def test_freed_temporary_counts_in_peak_not_in_allocated(a):
    with viewcopy.track() as t:
        total = (a + 1).sum()  # a temporary the size of a, freed at once
    assert total > 0
    assert t.allocated_bytes == t.freed_bytes == 0
    assert t.peak_bytes >= a.nbytes


def test_python_objects_do_not_count(a):
    with viewcopy.track() as t:
        views = [a[i] for i in range(1000)]  # a thousand array objects, no buffers
    assert len(views) == 1000
    assert t.allocated_bytes == 0


def test_empty_copy_allocates_a_token_buffer():
    # NumPy never calls malloc(0): an empty copy gets a buffer of at most
    # one element (1 byte on NumPy 2.x), so "exactly nbytes" holds only
    # for non-empty copies.
    e = np.zeros((0, 3))
    with viewcopy.track() as t:
        f = e.flatten()
    assert f.nbytes == 0
    assert 0 < t.allocated_bytes <= e.itemsize


def test_nested_blocks_report_their_own_figures(a):
    with viewcopy.track() as outer:
        first = a.copy()
        with viewcopy.track() as inner:
            second = a[:500].copy()
        third = a.copy()
    assert inner.allocated_bytes == second.nbytes == 400_000
    assert outer.allocated_bytes == first.nbytes + second.nbytes + third.nbytes
    assert outer.peak_bytes >= outer.allocated_bytes


def test_outer_peak_survives_an_inner_block(a):
    with viewcopy.track() as outer:
        big = a.copy()
        del big  # the outer peak is now 800 kB above the current level
        with viewcopy.track():
            pass
    assert outer.peak_bytes == a.nbytes
    assert outer.allocated_bytes == outer.freed_bytes == 0


def test_handler_is_the_method_and_tracemalloc_stays_off(a):
    assert not tracemalloc.is_tracing()
    with viewcopy.track() as t:
        assert not tracemalloc.is_tracing()
    assert t.method == "handler"


def test_figures_are_exact_even_when_the_block_raises(a):
    with pytest.raises(KeyError), viewcopy.track() as t:
        f = a.flatten()
        raise KeyError("boom")
    assert t.allocated_bytes == t.peak_bytes == f.nbytes


def test_leaves_a_running_tracemalloc_running_with_its_traces(a):
    tracemalloc.start(5)
    try:
        kept = a.copy()
        with viewcopy.track() as t:
            f = a.flatten()
        assert tracemalloc.is_tracing()
        assert tracemalloc.get_traceback_limit() == 5
        snapshot = tracemalloc.take_snapshot()
        numpy_bytes = sum(tr.size for tr in snapshot.traces if tr.domain == np.lib.tracemalloc_domain)
        assert numpy_bytes >= kept.nbytes + f.nbytes  # the caller's traces are intact
        assert t.allocated_bytes == f.nbytes
    finally:
        tracemalloc.stop()


def test_repr_reads_like_a_sentence(a):
    with viewcopy.track() as t:
        a.flatten()
    assert repr(t) == "0 B left allocated, peak 800.0 kB"  # the result was dropped at once
    with viewcopy.track() as t:
        kept = a.flatten()
    assert repr(t).startswith("800.0 kB left allocated, peak 80")
    assert kept.size == a.size


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (80_000_000, "80.0 MB"),
        (8 * 10**9, "8.0 GB"),
        (10**16, "10000.0 TB"),
    ],
)
def test_format_bytes(n, text):
    assert viewcopy.format_bytes(n) == text


def test_budget_passes_within_and_fails_over(a):
    with viewcopy.budget(10_000) as t:
        a.ravel()
    assert t.allocated_bytes == 0
    with pytest.raises(viewcopy.MemoryBudgetError, match=r"over its budget of 10.0 kB") as info:
        with viewcopy.budget(10_000):
            kept = a.flatten()
    assert kept.nbytes == 800_000
    assert info.value.evidence["max_bytes"] == 10_000
    assert info.value.evidence["tracked"].allocated_bytes == 800_000
    assert isinstance(info.value, viewcopy.ViewCopyError)


def test_budget_sees_a_freed_temporary(a):
    with pytest.raises(viewcopy.MemoryBudgetError), viewcopy.budget(100_000):
        (a * 2).sum()


def test_budget_lets_the_blocks_own_exception_through(a):
    with pytest.raises(ZeroDivisionError), viewcopy.budget(0):
        a.flatten()
        1 / 0  # noqa: B018


@pytest.mark.parametrize("bad", ["800MB", 1.5, None, True])
def test_budget_rejects_what_is_not_a_byte_count(bad):
    with pytest.raises(TypeError, match="whole number of bytes"), viewcopy.budget(bad):
        pass


def test_budget_rejects_negative():
    with pytest.raises(ValueError, match="max_bytes >= 0"), viewcopy.budget(-1):
        pass


# -- threads, generators, coroutines, tracemalloc, interrupts (issue 11) -------


def test_budget_zero_means_no_numpy_allocation(a):
    with viewcopy.budget(0):
        views = [a.ravel(), a[::2].T]  # views only
    assert all(v.base is not None for v in views)
    with pytest.raises(viewcopy.MemoryBudgetError, match="peaked at 8 B"), viewcopy.budget(0):
        a.sum()  # the result is a 0-d array: an 8-byte buffer, freed at once


def test_four_threads_of_a_thousand_copies_are_all_exact(a):
    small = a[:10]  # 8 kB
    figures: list[tuple[int, int]] = []
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        for _ in range(1000):
            with viewcopy.track() as t:
                f = small.flatten()
            figures.append((t.allocated_bytes, t.peak_bytes))
            del f

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(figures) == 4000
    assert set(figures) == {(small.nbytes, small.nbytes)}


def test_a_thread_counts_its_own_bytes_whatever_another_does(a):
    """The issue's case: A copies 8 MB, B copies 24 MB, their blocks overlap in time."""
    big = np.zeros(10**6)
    results: dict[str, viewcopy.Tracked] = {}
    a_inside, b_done = threading.Event(), threading.Event()

    def thread_a() -> None:
        with viewcopy.track() as t:
            kept = big.copy()
            a_inside.set()
            b_done.wait(10)  # B allocates and leaves while A's block is open
        results["a"] = t
        assert kept.nbytes == 8_000_000

    def thread_b() -> None:
        a_inside.wait(10)
        with viewcopy.track() as t:
            kept = np.concatenate([big, big, big])
        results["b"] = t
        b_done.set()
        assert kept.nbytes == 24_000_000

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (results["a"].allocated_bytes, results["a"].peak_bytes) == (8_000_000, 8_000_000)
    assert (results["b"].allocated_bytes, results["b"].peak_bytes) == (24_000_000, 24_000_000)
    assert not tracemalloc.is_tracing()


def test_interleaved_generator_blocks_count_only_while_their_generator_runs(a):
    # The case: a block in a suspended generator does not count what
    # its thread runs meanwhile, and never loses its own bytes.
    def producer(n: int, out: dict[int, viewcopy.Tracked]):
        with viewcopy.track() as t:
            kept = np.zeros(n)
            yield
            yield kept
        out[n] = t

    out: dict[int, viewcopy.Tracked] = {}
    first, second = producer(2 * 10**6, out), producer(4 * 10**6, out)
    next(first)  # first's block opens, 16 MB
    next(second)  # second's block opens, 32 MB, while first's is open
    kept_first = next(first)
    kept_second = next(second)
    for gen in (first, second):
        with pytest.raises(StopIteration):
            next(gen)
    assert out[2 * 10**6].allocated_bytes == 16_000_000  # its own only: second ran while first was suspended
    assert out[4 * 10**6].allocated_bytes == 32_000_000
    assert kept_first.nbytes + kept_second.nbytes == 48_000_000


def test_a_buffer_freed_by_another_thread_leaves_the_block_that_made_it(a):
    # The Dask case (issue 11): a task's temporary, released by another thread
    # before the task's block ends, is not the block's any more.
    with viewcopy.track() as t:
        box = [a.copy()]
        other = threading.Thread(target=box.clear)
        other.start()
        other.join()
    assert (t.allocated_bytes, t.peak_bytes, t.freed_bytes) == (0, a.nbytes, 0)


def test_the_body_of_a_contextmanager_generator_is_inside_its_block(a):
    @contextlib.contextmanager
    def step():
        with viewcopy.track() as t:
            yield t

    with step() as t:
        f = a.flatten()
    assert t.allocated_bytes == t.peak_bytes == f.nbytes


def test_the_body_of_a_contextmanager_that_delegates_with_yield_from_is_inside_the_block(a):
    # the block opens in a generator that the @contextmanager's generator delegates to, two levels deep
    def inner():
        with viewcopy.track() as t:
            yield t

    def middle():
        yield from inner()

    @contextlib.contextmanager
    def outer():
        yield from middle()

    with outer() as t:
        f = a.flatten()
    assert t.allocated_bytes == t.peak_bytes == f.nbytes


def test_asyncio_tasks_on_one_loop_each_count_their_own_bytes():
    async def step(n: int, out: dict) -> None:
        with viewcopy.track() as t:
            first = np.ones(n)
            await asyncio.sleep(0)  # the other task runs here, on the same thread
            second = first.copy()
            await asyncio.sleep(0)
        out[n] = (t.allocated_bytes, t.peak_bytes)
        assert first.nbytes == second.nbytes

    async def main() -> dict:
        out: dict = {}
        await asyncio.gather(step(1_000, out), step(3_000, out))
        return out

    assert asyncio.run(main()) == {1_000: (16_000, 16_000), 3_000: (48_000, 48_000)}


def test_more_generator_blocks_than_slots_still_count_their_own_bytes(a):
    def producer():
        with viewcopy.track() as t:
            kept = a[:10].copy()
            yield
        yield t, kept

    gens = [producer() for _ in range(70)]  # 64 slots: the last 6 count their whole thread
    for gen in gens:
        next(gen)
    results = [next(gen) for gen in gens]
    small = a[:10].nbytes
    assert [t.allocated_bytes for t, _ in results[:64]] == [small] * 64
    assert all(small <= t.allocated_bytes and t.peak_bytes >= small for t, _ in results[64:])
    assert all(t.freed_bytes == 0 for t, _ in results)


def test_blocks_past_the_slots_count_their_thread_while_suspended_and_never_go_negative(a):
    """Past 64 at once, a generator's block counts its thread as if never suspended: a buffer the thread makes and
    frees while it waits cancels out, one the thread keeps is counted; it never reports less than nothing."""

    def producer():
        with viewcopy.track() as t:
            yield
        yield t

    gens = [producer() for _ in range(70)]
    for gen in gens:
        next(gen)
    passing = np.ones(1_000_000)  # made (and freed below) while every block is suspended
    del passing
    kept = np.ones(500_000)  # made while every block is suspended, and kept
    results = [next(gen) for gen in gens]
    assert [(t.allocated_bytes, t.peak_bytes) for t in results[:64]] == [(0, 0)] * 64
    assert all(t.allocated_bytes >= kept.nbytes and t.peak_bytes >= 8_000_000 for t in results[64:])
    assert all(t.allocated_bytes >= 0 and t.peak_bytes >= 0 for t in results)


def test_coroutine_blocks_in_separate_threads_are_exact():
    async def step(n: int) -> tuple[int, int]:
        with viewcopy.track() as t:
            kept = np.ones(n)
            await asyncio.sleep(0)
            more = kept.copy()
        assert more.nbytes == kept.nbytes
        return t.allocated_bytes, t.peak_bytes

    def run(n: int, out: list) -> None:
        out.append(asyncio.run(step(n)))

    outs: list[list] = [[], []]
    threads = [threading.Thread(target=run, args=(n, out)) for n, out in zip((1000, 3000), outs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outs == [[(16_000, 16_000)], [(48_000, 48_000)]]


def test_del_of_an_older_array_under_the_users_tracemalloc_is_not_negative():
    tracemalloc.start()
    try:
        old = np.ones(10**6)
        with viewcopy.track() as t:
            del old
        assert (t.allocated_bytes, t.peak_bytes, t.freed_bytes) == (0, 0, 8_000_000)
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()


def test_user_stopping_tracemalloc_inside_a_block_changes_nothing(a):
    tracemalloc.start()
    with viewcopy.track() as t:
        tracemalloc.stop()
        f = a.flatten()
    assert t.allocated_bytes == f.nbytes
    assert not tracemalloc.is_tracing()


def test_a_block_left_from_another_thread_reports_its_own_threads_bytes(a):
    manager = viewcopy.track()
    t = manager.__enter__()
    f = a.flatten()
    closer = threading.Thread(target=manager.__exit__, args=(None, None, None))
    closer.start()
    closer.join()
    assert t.allocated_bytes == t.peak_bytes == f.nbytes
    assert _counting.stats()["open_blocks_this_thread"] == 0
    with viewcopy.track() as again:
        g = a[:10].copy()
    assert again.allocated_bytes == g.nbytes


def test_an_abandoned_block_closes_when_it_is_dropped(a):
    manager = viewcopy.track()
    manager.__enter__()
    assert _counting.stats()["open_blocks_this_thread"] == 1
    del manager
    assert _counting.stats()["open_blocks_this_thread"] == 0


def test_fallback_to_tracemalloc_says_so(a, monkeypatch):
    monkeypatch.setattr(_measure, "_handler_ready", False)
    with viewcopy.track() as t:
        f = a.flatten()
    assert t.method == "tracemalloc"
    assert t.allocated_bytes == f.nbytes
    assert not tracemalloc.is_tracing()
    # a budget there counts Python objects too, and its error says so rather than "NumPy memory"
    with pytest.raises(
        viewcopy.MemoryBudgetError, match=r"of memory traced by tracemalloc \(Python objects included\)"
    ):
        with viewcopy.budget(1_000):
            words = [str(i) for i in range(10_000)]
    del words


def test_handler_is_numpys_default_and_counts():
    assert _measure.why_not_handler() == ""
    assert _counting.installed()
    assert _multiarray.get_handler_name() == "default_allocator"
    assert _measure.handler_available()


def _opcode_events() -> bool:
    seen = []

    def tracer(frame, event, arg):
        if event == "call":
            frame.f_trace_opcodes = True
        seen.append(event)
        return tracer

    def probe() -> int:
        return 1

    sys.settrace(tracer)
    try:
        probe()
    finally:
        sys.settrace(None)
    return "opcode" in seen


OPCODE_EVENTS = _opcode_events()


class _Interrupt:
    """A trace function that raises KeyboardInterrupt at the n-th bytecode it sees.

    Only frames of viewcopy, contextlib and this file are traced, so every
    point of ``track``, ``budget``, ``claim`` and ``log_copies`` is a
    candidate, as an asynchronous Ctrl-C between two bytecodes would be.

    A real Ctrl-C reaches Python through the SIGINT handler, so while viewcopy
    holds it (``_meters.holding_interrupts``: its own handler is installed) the
    interrupt is postponed, as the OS signal would be, and raised at the first
    bytecode after the usual handler is back.
    """

    FILES = (str(Path(viewcopy.__file__).parent), contextlib.__file__, __file__)

    def __init__(self, at: int | None) -> None:
        self.at, self.seen = at, 0
        self.usual = signal.getsignal(signal.SIGINT)
        self.postponed = 0

    def __call__(self, frame, event, arg):
        if event == "call":
            if not frame.f_code.co_filename.startswith(self.FILES):
                return None
            frame.f_trace_opcodes = True
            return self
        # Python 3.12.0-3.12.1 ignore f_trace_opcodes set in a call event
        # and report lines only; a line is then the finest point there is.
        if event == "opcode" or (event == "line" and not OPCODE_EVENTS):
            self.seen += 1
            due = self.seen == self.at or (self.at is not None and self.seen > self.at and self.postponed)
            if due and signal.getsignal(signal.SIGINT) is not self.usual:
                self.postponed += 1  # held: the handler viewcopy installed would keep it for later
            elif due:
                self.at = None  # once
                raise KeyboardInterrupt
        return self


def _every_guard(a: np.ndarray, log: logging.Logger) -> None:
    with viewcopy.claims.claim("interrupted", "flatten copies"), viewcopy.budget(10**7):
        with viewcopy.log_copies("step", logger=log), viewcopy.track() as t:
            f = a.flatten()
        viewcopy.expect_copy(a, f)
    assert t.allocated_bytes == f.nbytes


def test_interrupts_at_random_points_leave_nothing_behind(a):
    log = logging.getLogger("viewcopy.test-interrupts")
    log.propagate = False
    log.addHandler(logging.NullHandler())
    counter = _Interrupt(None)
    sys.settrace(counter)
    try:
        _every_guard(a, log)
    finally:
        sys.settrace(None)
    points = counter.seen
    assert points > (200 if OPCODE_EVENTS else 60)  # bytecodes (or lines) in the guards' own code
    state = (_multiarray.get_handler_name(), tracemalloc.is_tracing(), _evidence.listeners.get())
    rng = random.Random(11)
    interrupted = 0
    for at in rng.sample(range(1, points + 1), 400) if points >= 400 else range(1, points + 1):
        sys.settrace(_Interrupt(at))
        try:
            _every_guard(a, log)
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            sys.settrace(None)
        with viewcopy.track() as t:  # exact at once, before any garbage collection
            f = a[:100].copy()
        assert (t.allocated_bytes, t.peak_bytes, t.method) == (f.nbytes, f.nbytes, "handler"), at
        assert _counting.stats()["open_blocks_this_thread"] == 0, at  # closed at once, no gc needed
        assert (_multiarray.get_handler_name(), tracemalloc.is_tracing(), _evidence.listeners.get()) == state, at
        assert _meters_left() == (None, []), at  # the claim's cross-check: no memray tracker, no resident block
    assert interrupted >= 300


def _meters_left() -> tuple[object, list]:
    """The claim's cross-check meters still running, once the interrupted blocks are collected (their __del__)."""
    import gc

    from viewcopy import _meters

    gc.collect()
    return _meters._session, _meters._resident_open


_naive_stack: list[object] = []


@contextlib.contextmanager
def _naive_guard():
    _naive_stack.append(object())  # outside any try: what track did before issue 11
    yield
    _naive_stack.pop()


def test_the_interrupt_harness_catches_a_guard_that_leaks():
    # the harness above must be able to fail: it finds the leak of a naive guard
    leaked = 0
    for at in range(1, 200):
        sys.settrace(_Interrupt(at))
        try:
            with _naive_guard():
                pass
        except KeyboardInterrupt:
            pass
        finally:
            sys.settrace(None)
        leaked += len(_naive_stack)
        _naive_stack.clear()
    assert leaked > 0


def test_log_copies_in_one_thread_never_logs_another_threads_copy(caplog):
    a = np.zeros((1000, 1000))
    inside, copied = threading.Event(), threading.Event()

    def other() -> None:
        inside.wait(10)
        kept = a.copy()  # 8 MB, in another thread, while the view-only step is open
        copied.set()
        assert kept.nbytes == 8_000_000

    thread = threading.Thread(target=other)
    thread.start()
    with caplog.at_level(logging.WARNING, logger="viewcopy"), viewcopy.log_copies("view only"):
        view = a.T
        inside.set()
        copied.wait(10)
    thread.join()
    assert view.base is a
    assert caplog.records == []


def test_a_claim_collects_only_its_own_threads_evidence():
    a = np.zeros(10)
    inside, done = threading.Event(), threading.Event()

    def other() -> None:
        inside.wait(10)
        viewcopy.expect_copy(a, a.copy())
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with viewcopy.claims.claim("own-evidence", "ravel of a contiguous array is a view") as c:
        viewcopy.expect_view(a, a.ravel())
        inside.set()
        done.wait(10)
    thread.join()
    assert c.evidence == ["expect_view: a view (shares memory with its source)"]


def test_the_fast_tracked_is_a_default_tracked():
    # track() builds its result without the dataclass __init__; a new field must not be missed.
    assert _measure._new_tracked() == viewcopy.Tracked()

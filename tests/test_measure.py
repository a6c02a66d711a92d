"""viewcopy.track and viewcopy.budget: exact bytes, nesting, tracemalloc state."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import viewcopy


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
    assert repr(t) == "no copy: 0 B allocated, peak 800.0 kB"  # the result was dropped at once
    with viewcopy.track() as t:
        kept = a.flatten()
    assert repr(t).startswith("copy: 800.0 kB allocated, peak 80")
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

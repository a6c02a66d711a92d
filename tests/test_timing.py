"""viewcopy.claims.time_call and viewcopy.claims.time_ratio: loops long enough, medians, interleaving, the size."""

from __future__ import annotations

import numpy as np
import pytest

import viewcopy
import viewcopy.claims
from viewcopy.claims import _timing


class FakeClock:
    """A clock that only moves when a timed call says how long it took."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[str] = []

    def __call__(self) -> float:
        return self.now

    def call(self, name: str, seconds: float):
        def fn() -> None:
            self.calls.append(name)
            self.now += seconds

        return fn


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(_timing, "_clock", fake)
    return fake


def durations(clock: FakeClock, seconds: list[float]):
    """A call that takes each of ``seconds`` in turn (the first is the loop-length calibration)."""
    each = iter(seconds)

    def fn() -> None:
        clock.now += next(each)

    return fn


def test_sub_microsecond_call_is_looped_until_a_repeat_is_long_enough(clock):
    t = viewcopy.claims.time_call(clock.call("f", 1e-7), min_seconds=0.005)
    # 1, 2, 5, ... calls: 50,000 is the first loop of 100 ns calls reaching 5 ms
    assert t.loops == 50_000
    assert t.seconds == pytest.approx(1e-7)
    assert t.repeats == len(t.samples) == viewcopy.claims._timing.REPEAT


def test_slow_call_runs_once_per_repeat(clock):
    t = viewcopy.claims.time_call(clock.call("f", 0.03), repeat=5)
    assert t.loops == 1
    assert len(clock.calls) == 1 + 5  # one to choose the loop, five repeats


def test_median_ignores_a_disturbed_repeat(clock):
    # calibration, then five repeats, one of them hit by a neighbour
    fn = durations(clock, [1e-3, 1e-3, 1e-3, 0.5, 1e-3, 1e-3])
    t = viewcopy.claims.time_call(fn, repeat=5, min_seconds=1e-3)
    assert t.seconds == pytest.approx(1e-3)
    assert max(t.samples) == pytest.approx(0.5)


def test_ratio_interleaves_and_alternates_the_order(clock):
    r = viewcopy.claims.time_ratio(clock.call("a", 0.02), clock.call("b", 0.01), size=80_000_000, repeat=4)
    timed = clock.calls[2:]  # after one calibration call each
    assert timed == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert r.ratio == pytest.approx(2.0)
    assert r.size == "80.0 MB"
    assert str(r) == "2x at 80.0 MB (median of 4 interleaved rounds)"
    assert f"{r:.1f}" == "2.0"


def test_ratio_text_reads_well_for_large_ratios_and_descriptions(clock):
    r = viewcopy.claims.time_ratio(clock.call("a", 0.5), clock.call("b", 0.0002), size="an empty block", repeat=1)
    assert str(r) == "2,500x for an empty block (one round)"


def test_ratio_is_the_median_of_rounds_so_a_burst_of_load_cancels(clock):
    # the machine is 10x slower during the second round: both calls slow down, their ratio does not
    a = durations(clock, [0.02, 0.02, 0.2, 0.02])
    b = durations(clock, [0.01, 0.01, 0.1, 0.01])
    r = viewcopy.claims.time_ratio(a, b, size="a test", repeat=3)
    assert r.low == r.high == r.ratio == pytest.approx(2.0)
    assert r.a.seconds == pytest.approx(0.02)


def test_above_and_below_need_three_rounds_in_four(clock):
    # per-round ratios 0.9, 1.1, 0.95, 1.05, 1.0: noise around 1 is neither above nor below it
    a = durations(clock, [0.01, 0.009, 0.011, 0.0095, 0.0105, 0.01])
    b = durations(clock, [0.01] * 6)
    r = viewcopy.claims.time_ratio(a, b, size=8, repeat=5)
    assert r.ratio == pytest.approx(1.0)
    assert not r.above(1.0)
    assert not r.below(1.0)
    assert r.above(0.8)
    assert r.below(1.2)


def test_real_copy_is_slower_than_its_view():
    a = np.zeros(1_000_000)
    r = viewcopy.claims.time_ratio(a.flatten, a.ravel, size=a.nbytes, repeat=5, min_seconds=0.002)
    assert r.above(10), r
    assert r.b.loops > 100  # ravel is sub-microsecond: never timed once


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"size": 1.5}, TypeError, "size must be a byte count"),
        ({"size": -1}, ValueError, "size must be a byte count >= 0"),
        ({"size": " "}, ValueError, "size must say what"),
        ({"size": 8, "repeat": 0}, ValueError, "repeat must be at least 1"),
        ({"size": 8, "repeat": 2.0}, TypeError, "repeat must be a whole number"),
        ({"size": 8, "min_seconds": 0}, ValueError, "min_seconds must be above 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        viewcopy.claims.time_ratio(int, int, **kwargs)


def test_not_a_callable_is_named():
    a = np.zeros(3)
    with pytest.raises(TypeError, match="fn must be a callable"):
        viewcopy.claims.time_call(a.ravel())
    with pytest.raises(TypeError, match="b must be a callable"):
        viewcopy.claims.time_ratio(a.ravel, a, size=24)


def test_above_and_below_count_the_rounds_even_with_two(clock):
    # issue 22: with 2 rounds the lower quartile is interpolated, and one round of two below x passed "above"
    from viewcopy.claims import TimeRatio, Timing

    two = TimeRatio(1.5, 1.25, 1.75, "two rounds", Timing(1.5, 1, 2, (0.9, 2.1)), Timing(1.0, 1, 2, (1.0, 1.0)))
    assert two.low > 1.0  # the quartile says "above"...
    assert not two.above(1.0)  # ...but one round of the two was below
    both = TimeRatio(1.5, 1.2, 1.8, "two rounds", Timing(1.5, 1, 2, (1.2, 1.8)), Timing(1.0, 1, 2, (1.0, 1.0)))
    assert both.above(1.0)
    assert not both.below(1.0)

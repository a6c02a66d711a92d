"""track(allocator=True) and track(resident=True): what each meter sees, nesting, threads, refusals, Ctrl-C."""

from __future__ import annotations

import contextlib
import glob
import json
import mmap
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest

import viewcopy
import viewcopy.claims
from viewcopy import _meters

memray = pytest.importorskip("memray")
MB = 1_000_000
MOST = 35 * MB  # of 40 MB touched: pages already resident before a block do not raise its mark


def _memray_running() -> bool:
    """True when some memray tracker is active in this process (a fresh one cannot start)."""
    path = os.path.join(tempfile.gettempdir(), f"viewcopy-test-probe-{os.getpid()}.bin")
    try:
        tracker = memray.Tracker(path)
        try:
            tracker.__enter__()
        except RuntimeError:
            return True
        tracker.__exit__(None, None, None)
        return False
    finally:
        if os.path.exists(path):
            os.unlink(path)


def _capture_files() -> list[str]:
    return glob.glob(os.path.join(tempfile.gettempdir(), f"viewcopy-memray-{os.getpid()}-*"))


def test_the_allocator_meter_sees_the_stable_sorts_scratch_buffer_that_numpys_handler_does_not():
    x = np.random.default_rng(0).random(2_000_000)
    with viewcopy.track(allocator=True) as t:
        s = np.sort(x, kind="stable")
    assert t.peak_bytes == s.nbytes  # NumPy's handler: the result
    # memray: the merge buffer too (timsort's grows to at most half the elements: 7.9 of 8.0 MB under NumPy 1.26-2.3)
    assert t.allocator_peak_bytes >= s.nbytes + s.nbytes // 4
    assert t.resident_peak_bytes is None
    assert "allocator peak" in repr(t)
    assert not _memray_running()
    assert _capture_files() == []


def test_the_allocator_meter_agrees_with_numpys_handler_on_a_plain_copy():
    a = np.ones((1000, 1000))
    with viewcopy.track(allocator=True) as t:
        c = a.T.copy()
    assert t.peak_bytes == c.nbytes
    assert abs(t.allocator_peak_bytes - c.nbytes) < 64 * 1024


def test_a_meter_not_asked_for_is_none_never_zero():
    with viewcopy.track() as t:
        np.ones(1000)
    assert (t.allocator_peak_bytes, t.resident_peak_bytes) == (None, None)


_RESIDENT = """
import json, numpy as np, viewcopy
MB = 1_000_000
with viewcopy.track(resident=True) as touched:
    a = np.ones(40 * MB // 8)  # every page written
with viewcopy.track(resident=True) as reserved:
    b = np.empty(40 * MB // 8)  # mapped, never touched
print(json.dumps([touched.resident_peak_bytes, reserved.resident_peak_bytes, reserved.peak_bytes, b.nbytes]))
"""


def test_the_resident_meter_sees_pages_touched_and_not_pages_only_reserved():
    if _meters.resident_why_not():
        pytest.skip(_meters.resident_why_not())
    # a fresh process: in a long test run, freed memory the allocator keeps resident can serve a new array without
    # a new page, and the mark rightly does not rise (seen under pytest on NumPy 2.4 and 2.5)
    done = subprocess.run([sys.executable, "-c", _RESIDENT], capture_output=True, text=True, timeout=120, check=True)
    touched, reserved, handler_peak, nbytes = json.loads(done.stdout)
    assert touched >= MOST
    assert reserved < MB
    assert handler_peak == nbytes  # what NumPy's handler counts either way


def _fresh_pages(n: int) -> mmap.mmap:
    """n bytes of new anonymous memory, every page written: late in a test run a freed NumPy buffer the allocator
    kept resident can serve np.ones without one new page, and the mark rightly does not rise."""
    pages = mmap.mmap(-1, n)
    for start in range(0, n, mmap.PAGESIZE):
        pages[start] = 1
    return pages


def test_resident_blocks_nest_and_an_inner_reset_keeps_the_outer_peak():
    if _meters.resident_why_not():
        pytest.skip(_meters.resident_why_not())
    with viewcopy.track(resident=True) as outer:
        big = _fresh_pages(40 * MB)
        big.close()  # the outer block's peak: 40 MB, then freed
        with viewcopy.track(resident=True) as inner:
            small = np.ones(MB // 8)
    assert small.nbytes
    assert outer.resident_peak_bytes >= MOST
    assert inner.resident_peak_bytes < 10 * MB


def test_a_planted_nested_reset_that_does_not_hand_over_the_peak_is_caught(monkeypatch):
    if _meters.resident_why_not():
        pytest.skip(_meters.resident_why_not())
    monkeypatch.setattr(_meters, "_resident_open", [])  # the inner block then sees no outer one
    original = _meters.ResidentBlock.__init__

    def forgetful(self, owner):
        original(self, owner)
        _meters._resident_open.clear()  # planted: blocks forget each other

    monkeypatch.setattr(_meters.ResidentBlock, "__init__", forgetful)
    with viewcopy.track(resident=True) as outer:
        big = np.ones(40 * MB // 8)
        del big
        with viewcopy.track(resident=True):
            pass
    assert outer.resident_peak_bytes < 10 * MB  # the peak is lost: the real code keeps it (test above)


def test_resident_blocks_in_two_threads_each_get_the_process_peak_of_their_span():
    if _meters.resident_why_not():
        pytest.skip(_meters.resident_why_not())
    ready, done = threading.Event(), threading.Event()
    results = {}

    def other():
        with viewcopy.track(resident=True) as t:
            ready.set()
            done.wait(10)
        results["other"] = t

    thread = threading.Thread(target=other)
    thread.start()
    ready.wait(10)
    with viewcopy.track(resident=True) as mine:  # resets the mark: the other block's peak is handed over first
        big = _fresh_pages(40 * MB)
        big.close()
    done.set()
    thread.join()
    assert mine.resident_peak_bytes >= MOST
    assert results["other"].resident_peak_bytes >= MOST  # process-wide: it saw this thread's pages too


def test_a_second_allocator_block_nested_or_in_another_thread_is_refused_by_name():
    with viewcopy.track(allocator=True):
        with pytest.raises(viewcopy.MeterUnavailableError, match=r"one tracker per process.*test_meters\.py"):
            with viewcopy.track(allocator=True):
                pass
        errors = []

        def other():
            try:
                with viewcopy.track(allocator=True):
                    pass
            except viewcopy.MeterUnavailableError as error:
                errors.append(error)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert len(errors) == 1
    assert not _memray_running()
    assert _capture_files() == []
    with viewcopy.track(allocator=True) as t:  # free again
        np.ones(1000)
    assert t.allocator_peak_bytes >= 8000


def test_an_allocator_block_while_memray_itself_tracks_the_process_is_refused(tmp_path):
    with memray.Tracker(tmp_path / "user.bin"):
        with pytest.raises(viewcopy.MeterUnavailableError, match="memray is already tracking"):
            with viewcopy.track(allocator=True):
                pass
    assert _capture_files() == []


def test_unavailable_meters_raise_saying_why_never_a_silent_zero(monkeypatch):
    monkeypatch.setattr(_meters, "_resident_why_not", "planted: this kernel refused the reset")
    with pytest.raises(viewcopy.MeterUnavailableError, match="planted: this kernel refused"):
        with viewcopy.track(resident=True):
            pass
    monkeypatch.setattr(_meters.sys, "platform", "win32")
    with pytest.raises(viewcopy.MeterUnavailableError, match="no Windows build"):
        with viewcopy.track(allocator=True):
            pass
    assert not _memray_running()


def test_the_resident_probe_reports_a_refused_reset(monkeypatch, tmp_path):
    monkeypatch.setattr(_meters, "_resident_why_not", None)
    monkeypatch.setattr(_meters, "_CLEAR_REFS", str(tmp_path / "absent" / "clear_refs"))
    monkeypatch.setattr(_meters.sys, "platform", "linux")
    assert "refused the peak-RSS reset" in _meters.resident_why_not()
    monkeypatch.setattr(_meters, "_resident_why_not", None)
    monkeypatch.setattr(_meters.sys, "platform", "darwin")
    assert "Linux-only" in _meters.resident_why_not()


@pytest.mark.parametrize("bad", [1, "yes", None, np.True_])
def test_bad_meter_options_raise_type_error_naming_them(bad):
    with pytest.raises(TypeError, match=r"track\(allocator=\.\.\.\) takes True or False"):
        viewcopy.track(allocator=bad)
    with pytest.raises(TypeError, match=r"track\(resident=\.\.\.\)"):
        viewcopy.track(resident=bad)


def test_an_exception_in_the_block_still_stops_the_tracker_and_removes_its_file():
    with pytest.raises(ZeroDivisionError), viewcopy.track(allocator=True, resident=not _meters.resident_why_not()):
        1 / 0  # noqa: B018
    assert not _memray_running()
    assert _capture_files() == []


def test_ctrl_c_at_random_points_leaves_no_tracker_running_and_no_capture_file():
    """Real SIGINTs, sent by a timer thread at random moments of a loop of metered blocks."""
    main = threading.main_thread().ident
    rng = np.random.default_rng(5)
    resident = not _meters.resident_why_not()
    interrupted = 0
    for delay in rng.uniform(0, 0.012, 120):
        timer = threading.Timer(delay, signal.pthread_kill, (main, signal.SIGINT))
        try:
            timer.start()  # inside the try: a delay near 0 interrupts start() itself
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:  # until the interrupt
                with viewcopy.track(allocator=True, resident=resident):
                    np.ones(1000)
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            timer.join()
        assert not _memray_running(), delay
        assert _capture_files() == [], delay
        assert _meters._session is None, delay
        assert _meters._resident_open == [], delay
    assert interrupted == 120


def test_a_plain_track_matmul_claim_fails_naming_both_meters_where_numpy_copies_into_scratch(monkeypatch):
    """The issue's planted claim: a strided matmul operand into a pre-touched out=, "makes no copy"."""
    from viewcopy import _evidence

    monkeypatch.setattr(_evidence, "CROSS_CHECK", True)
    a, b, out = np.ones((2000, 4000)), np.ones((2000, 2000)), np.ones((2000, 2000))
    scratch = tuple(int(v) for v in np.__version__.split(".")[:2]) >= (2, 3)  # matmul copies it from 2.3
    run = pytest.raises(viewcopy.claims.ClaimError, match=r"handler saw a peak of 0 B.*memray \d") if scratch else None
    with run or contextlib.nullcontext():
        with viewcopy.claims.claim("planted-matmul-no-copy", "this strided matmul makes no copy") as c:
            with viewcopy.track() as t:
                np.matmul(a[:, ::2], b, out=out)
            c.check(t.peak_bytes == 0, f"NumPy's handler peak {t.peak_bytes} B")
    assert any(e.startswith("cross-check: ") for e in c.evidence)
    assert c.verdict == ("fails" if scratch else "holds")


def test_a_nested_track_block_in_a_claim_is_recorded_as_not_cross_checked(monkeypatch):
    from viewcopy import _evidence

    monkeypatch.setattr(_evidence, "CROSS_CHECK", True)
    with viewcopy.claims.claim("nested-blocks", "ravel is a view") as c:
        with viewcopy.track(), viewcopy.track():
            np.zeros((10, 10)).ravel()
    assert any("not cross-checked: inside an outer block's memray session" in e for e in c.evidence)
    assert any("they agree within" in e for e in c.evidence)


def test_importing_viewcopy_does_not_import_memray_or_the_meters():
    code = "import sys, viewcopy; print('memray' in sys.modules, 'viewcopy._meters' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "False"]


def test_small_cases_of_over_are_not_cross_checked_and_the_claim_says_how_many_once(monkeypatch):
    from viewcopy import _evidence

    monkeypatch.setattr(_evidence, "CROSS_CHECK", True)  # VIEWCOPY_CROSS_CHECK=1
    """The size rule: blocks on layouts() cases (under CROSS_CHECK_BELOW) skip memray, counted in one line."""
    from viewcopy.claims import _claim

    cases = viewcopy.claims.layouts(where=lambda x: x.flags.c_contiguous)
    with viewcopy.claims.claim("small-cases", "ravel of these arrays allocates nothing") as c:
        for case in c.over(cases):
            with viewcopy.track() as t:
                case.array.ravel()
            c.check(t.allocated_bytes == 0, f"{case.name}: {t.allocated_bytes} B")
    said = [e for e in c.evidence if e.startswith("cross-check: ")]
    assert len(said) == 1, said
    assert said[0].startswith(f"cross-check: {c.cases} track block(s) not cross-checked"), said
    assert all(_claim._case_bytes(case) < _claim.CROSS_CHECK_BELOW for case in cases)


def test_a_large_case_of_over_and_a_view_of_a_large_buffer_are_still_cross_checked(monkeypatch):
    from viewcopy import _evidence

    monkeypatch.setattr(_evidence, "CROSS_CHECK", True)  # VIEWCOPY_CROSS_CHECK=1
    big = np.ones((2000, 4000))
    b, out = np.ones((2000, 2000)), np.ones((2000, 2000))
    scratch = tuple(int(v) for v in np.__version__.split(".")[:2]) >= (2, 3)
    for case in (big[:, ::2], big[::1000, ::2]):  # the second spans 64 kB of its own, the whole buffer in all
        run = pytest.raises(viewcopy.claims.ClaimError, match=r"handler saw a peak of 0 B") if scratch else None
        with run or contextlib.nullcontext():
            with viewcopy.claims.claim("planted-over-matmul", "this strided matmul makes no copy") as c:
                for _case in c.over([case]):
                    with viewcopy.track() as t:
                        np.matmul(big[:, ::2], b, out=out)
                    c.check(t.peak_bytes == 0, f"handler peak {t.peak_bytes} B")
        assert any(e.startswith("cross-check: ") and "NumPy's handler saw" in e for e in c.evidence), c.evidence


def test_an_off_switch_turns_the_cross_check_off_for_debugging(monkeypatch):
    from viewcopy import _evidence

    monkeypatch.setattr(_evidence, "CROSS_CHECK", False)
    with viewcopy.claims.claim("switched-off", "ravel is a view") as c:
        with viewcopy.track():
            np.zeros((10, 10)).ravel()
    assert not any(e.startswith("cross-check") for e in c.evidence)


def test_a_block_that_asks_for_memray_itself_is_not_failed_by_the_cross_check():
    a, b, out = np.ones((2000, 4000)), np.ones((2000, 2000)), np.ones((2000, 2000))
    with viewcopy.claims.claim("asked", "memray sees what this strided matmul allocates") as c:
        with viewcopy.track(allocator=True) as t:
            np.matmul(a[:, ::2], b, out=out)
        c.check(t.allocator_peak_bytes is not None, f"{t}")
    assert c.verdict == "holds"

"""The pytest plugin, run on small test files with pytester (pytest's own plugin-testing fixture)."""

from __future__ import annotations

import pytest

from viewcopy.pytest_plugin import parse_size

pytest_plugins = ["pytester"]

# Inputs are made in a fixture: only the test body is measured.
HEADER = """
import threading
import numpy as np
import pytest

@pytest.fixture
def a():
    return np.arange(1_000_000.0).reshape(1000, 1000)
"""


def run(pytester: pytest.Pytester, body: str, *args: str, subprocess: bool = False) -> pytest.RunResult:
    pytester.makepyfile(test_numpy=HEADER + body)
    args = ("-p", "no:cacheprovider", "--strict-markers", "-W", "error", *args)
    return pytester.runpytest_subprocess(*args) if subprocess else pytester.runpytest(*args)


def test_limit_fails_a_copying_test_and_passes_a_view(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
@pytest.mark.limit_numpy_bytes("1 MB")
def test_transposed_ravel(a):
    c = a.T.ravel()

@pytest.mark.limit_numpy_bytes("1 MB")
def test_ravel(a):
    b = a.ravel()
""",
    )
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_transposed_ravel*",
            "the test body held 8.0 MB of NumPy data at its peak, over the limit of 1.0 MB set by limit_numpy_bytes*",
            "lines that allocated most*",
            "  test_numpy.py:*  8.0 MB  c = a.T.ravel()",
            "FAILED test_numpy.py::test_transposed_ravel*",
        ]
    )


def test_limits_as_ints_and_no_numpy_copy(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
@pytest.mark.limit_numpy_bytes(8_000_000)
def test_exactly_at_limit(a):
    c = a.copy()

@pytest.mark.limit_numpy_bytes(7_999_999)
def test_one_byte_over(a):
    c = a.copy()

@pytest.mark.no_numpy_copy
def test_views_only(a):
    b = a[::2, ::-1].T
    c = a.reshape(-1)

@pytest.mark.no_numpy_copy
def test_small_copy(a):
    row = a[0].copy()

@pytest.mark.no_numpy_copy
class TestClassMarker:
    def test_method(self, a):
        keep = a[:, 0].copy()
""",
    )
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(["*held 8.0 MB*over the limit of 8.0 MB set by limit_numpy_bytes(7999999)*"])
    result.stdout.fnmatch_lines(
        ["*held 8.0 kB*over the limit of 0 B set by no_numpy_copy*", "*8.0 kB  row = a?0?.copy()"]
    )
    result.stdout.fnmatch_lines(["*_ TestClassMarker.test_method _*", "*8.0 kB  keep = a?:, 0?.copy()"])


def test_copies_a_test_lets_go_of_still_count(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
@pytest.mark.limit_numpy_bytes("1 MB")
def test_copy_then_drop(a):
    tmp = a.T.ravel()
    del tmp
    small = a[:1].copy()
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*held 8.0 MB*", "  test_numpy.py:*  8.0 MB  tmp = a.T.ravel()"])


def test_threads_the_test_starts_are_counted(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
from concurrent.futures import ThreadPoolExecutor

@pytest.mark.limit_numpy_bytes("1 MB")
def test_thread(a):
    out = []
    worker = threading.Thread(target=lambda: out.append(a.T.ravel()))
    worker.start()
    worker.join()

@pytest.mark.limit_numpy_bytes("1 MB")
def test_pool(a):
    with ThreadPoolExecutor(2) as pool:
        parts = list(pool.map(lambda i: a[i::2].copy(), range(2)))

@pytest.mark.limit_numpy_bytes("1 MB")
def test_thread_with_a_view(a):
    out = []
    worker = threading.Thread(target=lambda: out.append(a.ravel()))
    worker.start()
    worker.join()
""",
    )
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["*test_thread _*", "*held 8.0 MB*"])
    result.stdout.fnmatch_lines(["*test_pool _*", "*held 8.0 MB*"])


def test_a_limit_with_threads_still_running_at_the_end_is_undecided_not_passed(pytester: pytest.Pytester) -> None:
    """Issue 21.7: the bytes of a thread still running are not counted, so the limit cannot pass on them."""
    result = run(
        pytester,
        """
import time

@pytest.mark.no_numpy_copy
def test_thread_left_running(a):
    release = threading.Event()
    worker = threading.Thread(target=lambda: (release.wait(5), a.T.ravel()))
    worker.start()
    test_thread_left_running.release = release  # set by the next test, once this one has ended

def test_release():
    test_thread_left_running.release.set()

@pytest.mark.no_numpy_copy
def test_thread_joined(a):
    worker = threading.Thread(target=lambda: a.ravel())
    worker.start()
    worker.join()
""",
    )
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_thread_left_running*",
            (
                "no_numpy_copy is undecided: 1 thread(s) the test body started were still running when it ended, "
                "and their NumPy bytes are not counted*"
            ),
        ]
    )


def test_a_limit_that_passes_under_the_tracemalloc_fallback_warns_that_it_is_undecided(
    pytester: pytest.Pytester,
) -> None:
    """Issue 21.7: the fallback misses a temporary within a line, so a pass under it is said to be undecided."""
    pytester.makeconftest("from viewcopy import _measure\n_measure._handler_ready = False\n")
    body = """
@pytest.mark.limit_numpy_bytes("1 MB")
def test_temporary(a):
    total = (a.T * 2).sum()  # an 8 MB temporary, freed within the line
"""
    result = run(pytester, body, "-W", "default", subprocess=True)  # the fallback stays in that process
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*UndecidedLimitWarning: limit_numpy_bytes('1 MB') passed as far as the tracemalloc fallback can tell*"]
    )


def test_fixture_gives_figures_and_sites(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_figures(a, viewcopy_tracker):
    with viewcopy_tracker(where=True) as memory:
        flat = a.T.ravel()
        view = a.ravel()
    assert memory.peak_bytes == memory.allocated_bytes == a.nbytes
    assert [site.source for site in memory.sites] == ["flat = a.T.ravel()"]
    assert memory.sites[0].bytes == a.nbytes
    with viewcopy_tracker() as memory:
        view = a.ravel()
    assert memory.peak_bytes == memory.allocated_bytes == 0
""",
    )
    result.assert_outcomes(passed=1)


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.limit_numpy_bytes(limit):*", "@pytest.mark.no_numpy_copy:*"])


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('limit_numpy_bytes("ten MB")', "limit_numpy_bytes: cannot read 'ten MB' as a size*"),
        ('limit_numpy_bytes("10 MQ")', "limit_numpy_bytes: unknown unit 'MQ'*"),
        ("limit_numpy_bytes(-1)", "limit_numpy_bytes: a NumPy byte limit cannot be negative, got -1"),
        ("limit_numpy_bytes(1e6)", "limit_numpy_bytes: *an int of bytes or a string like '10 MB', got float 1000000.0"),
        ("limit_numpy_bytes()", "limit_numpy_bytes takes one limit*"),
    ],
)
def test_bad_limits_are_named(pytester: pytest.Pytester, marker: str, message: str) -> None:
    result = run(pytester, f"\n@pytest.mark.{marker}\ndef test_x(a):\n    pass\n")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_x*", message])


def test_report_lists_the_top_tests(pytester: pytest.Pytester) -> None:
    body = """
def test_small(a):
    x = a[:10].copy()

def test_big(a):
    x = a.T.ravel()

def test_view(a):
    x = a.ravel()
"""
    result = run(pytester, body, "--viewcopy-report")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*viewcopy: top NumPy-allocating tests*",
            "NumPy peak  test*",
            "    8.0 MB  test_numpy.py::test_big",
            "   80.0 kB  test_numpy.py::test_small",
            "       0 B  test_numpy.py::test_view",
            "3 test(s) measured*",
        ]
    )
    quiet = run(pytester, body)  # without the option: no table, nothing measured
    assert "NumPy-allocating" not in quiet.stdout.str()


@pytest.mark.once  # xdist's controller and workers, not NumPy's behaviour
def test_xdist_workers_enforce_limits_and_the_controller_reports(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    body = "".join(
        f"""
@pytest.mark.limit_numpy_bytes("1 MB")
def test_copy_{i}(a):
    c = a[:{i + 1}00].copy()
"""
        for i in range(4)
    )
    result = run(pytester, body, "-n", "2", "--viewcopy-report", subprocess=True)
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(["*2 workers*"])
    result.stdout.fnmatch_lines(
        [
            "*viewcopy: top NumPy-allocating tests*",
            "NumPy peak  test*",
            "    3.2 MB  test_numpy.py::test_copy_3  (test_numpy.py:*  c = a?:400?.copy())",
            "    2.4 MB  test_numpy.py::test_copy_2*",
            "    1.6 MB  test_numpy.py::test_copy_1*",
            "  800.0 kB  test_numpy.py::test_copy_0*",
            "4 test(s) measured*",
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10 MB", 10_000_000), ("10MB", 10_000_000), ("1.5 kB", 1500), ("2 KiB", 2048), ("1 gib", 2**30),
     ("100", 100), ("7 B", 7), ("1_000 B", 1000), (0, 0), (123, 123)],
)  # fmt: skip
def test_parse_size(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (True, TypeError, "got bool True"),
        (1.5, TypeError, "got float 1.5"),
        (None, TypeError, "got NoneType"),
        ("", ValueError, "cannot read ''"),
        ("-1 MB", ValueError, "cannot read '-1 MB'"),
        ("MB", ValueError, "cannot read 'MB'"),
        ("1 XB", ValueError, "unknown unit 'XB'"),
        ("0.5 B", ValueError, "not a whole number of bytes"),
        (-3, ValueError, "cannot be negative, got -3"),
    ],
)
def test_parse_size_names_bad_input(bad: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        parse_size(bad)  # type: ignore[arg-type]


def test_threads_started_in_a_measurement_are_tracked_each_on_its_own() -> None:
    import threading

    import numpy as np

    from viewcopy.pytest_plugin import _Threads

    a = np.zeros((100, 100))
    original = threading.Thread.start

    class Worker(threading.Thread):
        def run(self) -> None:
            self.out = a.T.copy()

    release = threading.Event()
    with _Threads.counted() as threads:
        kept = []
        plain = threading.Thread(target=lambda: kept.append(a.T.copy()))
        plain.start()
        plain.join()
        sub = Worker()
        sub.start()
        sub.join()
        waiting = threading.Thread(target=release.wait)
        waiting.start()
    release.set()
    waiting.join()
    assert threading.Thread.start is original  # put back when the measurement ends
    assert threads.started == 3
    assert [t.allocated_bytes for t in threads.done] == [a.nbytes, a.nbytes]  # the third was still running

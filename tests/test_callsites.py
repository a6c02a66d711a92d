"""track(where=True): the lines that allocated the NumPy buffers (viewcopy._callsites)."""

from __future__ import annotations

import sys
import threading
import tracemalloc

import numpy as np
import pytest

import viewcopy
from viewcopy._callsites import Sites

A = np.arange(1_000_000.0).reshape(1000, 1000)


def _copy_in_a_helper(a: np.ndarray) -> np.ndarray:
    return np.pad(a, 1)  # np.pad is Python code inside NumPy: the site is this line, not NumPy's


def test_where_names_the_copying_line_with_its_bytes() -> None:
    with viewcopy.track(where=True) as t:
        b = A.ravel()
        c = A.T.ravel()
    assert [(s.source, s.bytes, s.count) for s in t.sites] == [("c = A.T.ravel()", A.nbytes, 1)]
    assert t.sites[0].filename == __file__
    assert str(t.sites[0]).startswith(f"test_callsites.py:{t.sites[0].lineno}  8.0 MB  c = A.T.ravel()")
    assert np.shares_memory(b, A)
    assert c.nbytes == A.nbytes


def test_sites_are_taken_at_the_peak_not_only_at_the_end() -> None:
    with viewcopy.track(where=True) as t:
        big = A.T.copy()
        del big
        small = A[:10].copy()
    assert [s.source for s in t.sites] == ["big = A.T.copy()"]
    assert t.allocated_bytes == small.nbytes


def test_a_site_inside_numpy_python_code_is_the_callers_line() -> None:
    with viewcopy.track(where=True) as t:
        padded = _copy_in_a_helper(A[:10])
    assert [s.source for s in t.sites] == [
        "return np.pad(a, 1)  # np.pad is Python code inside NumPy: the site is this line, not NumPy's"
    ]
    assert t.sites[0].bytes == padded.nbytes


def _other_thread_work(out: list) -> None:
    out.append(A.copy())


def test_only_allocations_under_the_blocks_function_are_sites() -> None:
    out: list = []
    with viewcopy.track(where=True) as t:
        mine = A[:100].copy()
        worker = threading.Thread(target=_other_thread_work, args=(out,))
        worker.start()
        worker.join()
    assert [s.source for s in t.sites] == ["mine = A[:100].copy()"]
    assert mine.nbytes == t.sites[0].bytes
    # planted: without the filter, the other thread's copy is seen (and is the largest)
    sites = Sites()
    out.clear()
    worker = threading.Thread(target=_other_thread_work, args=(out,))
    worker.start()
    worker.join()
    assert sites.stop()[0].source == "out.append(A.copy())"


def test_without_where_no_tracing_and_where_leaves_things_as_they_were() -> None:
    with viewcopy.track() as t:
        assert not tracemalloc.is_tracing()
        c = A.T.copy()
    assert t.sites == []
    assert c.size
    with viewcopy.track(where=True):
        assert tracemalloc.is_tracing()
    assert not tracemalloc.is_tracing()
    assert sys.gettrace() is None
    if hasattr(sys, "monitoring"):
        assert sys.monitoring.get_tool(4) is None
    tracemalloc.start(5)
    try:
        with viewcopy.track(where=True) as t:
            c = A[:10].copy()
        assert tracemalloc.is_tracing()  # the user's tracing goes on, as they set it
        assert tracemalloc.get_traceback_limit() == 5
        assert t.sites[0].bytes == c.nbytes
    finally:
        tracemalloc.stop()


def test_where_survives_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), viewcopy.track(where=True):
        keep = A[:10].copy()
        1 / 0  # noqa: B018
    assert not tracemalloc.is_tracing()
    assert keep.size


def _deep(n: int, a: np.ndarray) -> np.ndarray:
    return _deep(n - 1, a) if n else a.T.copy()


def test_a_copy_deeper_than_the_frames_kept_still_has_a_site() -> None:
    with viewcopy.track(where=True) as t:
        out = _deep(40, A[:10])  # the block's frame is cut from the allocation's stack: kept, not filtered
    assert [(s.source, s.bytes) for s in t.sites] == [("return _deep(n - 1, a) if n else a.T.copy()", out.nbytes)]


def test_a_page_of_the_site_copied_into_the_package_is_a_site_not_viewcopys_code(monkeypatch) -> None:
    # an installed viewcopy runs its pages from viewcopy/_site/ (python -m viewcopy check): the page's line is the site
    from viewcopy import _callsites

    package = _callsites._SKIP[-1]  # viewcopy's own folder
    page = package + "_site" + "/docs/page.md"
    code = compile("with viewcopy.track(where=True) as t:\n    made = A.T.copy()\n", page, "exec")
    namespace = {"viewcopy": viewcopy, "A": A}
    exec(code, namespace)  # noqa: S102 (a page, as the check runs it)
    assert [(s.filename, s.lineno, s.bytes) for s in namespace["t"].sites] == [(page, 2, A.nbytes)]
    monkeypatch.setattr(_callsites, "_PAGES", "/nowhere/")  # as before: the page counted as viewcopy's code
    exec(code, namespace)  # noqa: S102 (a page, as the check runs it)
    assert [s.filename for s in namespace["t"].sites] != [page]

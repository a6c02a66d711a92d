"""expect_view, expect_copy and log_copies: production guards."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import viewcopy


@pytest.fixture
def a() -> np.ndarray:
    return np.arange(12.0).reshape(3, 4)


def test_expect_view_returns_the_result_itself(a):
    r = a.ravel()
    assert viewcopy.expect_view(a, r) is r


def test_expect_view_names_shapes_strides_and_bytes(a):
    with pytest.raises(viewcopy.UnexpectedCopyError) as info:
        viewcopy.expect_view(a.T, a.T.ravel())
    message = str(info.value)
    assert "shape (12,) float64, strides (8,), 96 B" in message
    assert "shape (4, 3) float64, strides (8, 32), 96 B" in message
    assert info.value.evidence["copied_bytes"] == 96
    assert isinstance(info.value, viewcopy.ViewCopyError)


def test_expect_copy(a):
    f = a.flatten()
    assert viewcopy.expect_copy(a, f) is f
    with pytest.raises(viewcopy.UnexpectedViewError, match="writing to one changes the other"):
        viewcopy.expect_copy(a, a[1:])


def test_guards_decide_empty_arrays_by_the_one_definition():
    # issue 22: an empty source no longer passes both guards; a view is what NumPy made without allocating
    e = np.zeros((0, 3))
    assert viewcopy.expect_view(e, e.ravel()).base is e
    assert viewcopy.expect_copy(e, e.flatten()).flags.owndata
    with pytest.raises(viewcopy.UnexpectedCopyError, match="reads another buffer than source"):
        viewcopy.expect_view(e, e.flatten())
    with pytest.raises(viewcopy.UnexpectedViewError, match="reads the buffer"):
        viewcopy.expect_copy(e, e.ravel())
    a = np.zeros((3, 4))
    assert viewcopy.expect_view(a, a[:0]).size == 0  # an empty slice of a full array is a view of it
    with pytest.raises(viewcopy.UnexpectedCopyError):
        viewcopy.expect_view(a, np.empty(0))  # an unrelated empty array is not


def test_guards_are_assertion_errors(a):
    # code that already catches AssertionError around its checks keeps working
    with pytest.raises(AssertionError):
        viewcopy.expect_view(a, a.copy())


def test_log_copies_decorator_logs_only_copies(a, caplog):
    @viewcopy.log_copies
    def to_rows(block):
        return block.reshape(-1)

    with caplog.at_level(logging.WARNING, logger="viewcopy"):
        to_rows(a)
        assert caplog.records == []
        to_rows(a.T)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "'test_log_copies_decorator_logs_only_copies.<locals>.to_rows' returned a copy" in record.getMessage()
    assert "shape (4, 3) float64" in record.getMessage()
    assert record.viewcopy_bytes == 96


def test_log_copies_decorator_compares_every_array_argument(caplog):
    # a view of the second array argument is a view: only the first was compared before
    @viewcopy.log_copies("pick rows")
    def pick(rows, table):
        return table[0:100]

    @viewcopy.log_copies("pick copy")
    def pick_copy(rows, table):
        return table[[0, 1]]

    table = np.zeros((1000, 8))
    with caplog.at_level(logging.WARNING, logger="viewcopy"):
        assert pick(np.arange(3), table=table).base is table
        assert pick(np.arange(3), table).base is table
        assert caplog.records == []
        pick_copy(np.arange(3), table)
    [record] = caplog.records
    assert "any of its 2 array arguments" in record.getMessage()
    assert record.viewcopy_bytes == 128


def test_log_copies_decorator_with_a_name_and_a_logger(a, caplog):
    log = logging.getLogger("etl")

    @viewcopy.log_copies("load features", logger=log, level=logging.ERROR)
    def load(block):
        return block.flatten()

    with caplog.at_level(logging.ERROR, logger="etl"):
        load(a)
    [record] = caplog.records
    assert record.name == "etl"
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith("step 'load features' returned a copy")


def test_log_copies_context_manager(a, caplog):
    with caplog.at_level(logging.WARNING, logger="viewcopy"):
        with viewcopy.log_copies("ravel", source=a):
            r = a.ravel()
        assert caplog.records == []
        with viewcopy.log_copies("flatten", source=a) as guard:
            f = a.flatten()
    assert r.size == f.size
    [record] = caplog.records
    assert "step 'flatten' left 96 B of NumPy memory allocated where a view was expected" in record.getMessage()
    assert "source shape (3, 4) float64" in record.getMessage()
    assert guard.tracked.allocated_bytes == 96


def test_log_copies_logs_what_a_raising_block_left_behind_and_says_it_raised(a, caplog):
    kept = []
    with caplog.at_level(logging.WARNING, logger="viewcopy"), pytest.raises(RuntimeError):
        with viewcopy.log_copies("failing step"):
            a.flatten()  # a temporary: gone before the block ends, nothing to log
            raise RuntimeError("the step's own error")
    assert caplog.records == []
    with caplog.at_level(logging.WARNING, logger="viewcopy"), pytest.raises(RuntimeError):
        with viewcopy.log_copies("failing step"):
            kept.append(a.flatten())  # left behind, though the step failed
            raise RuntimeError("the step's own error")
    [record] = caplog.records
    assert "step 'failing step' left 96 B of NumPy memory allocated" in record.getMessage()
    assert record.getMessage().endswith("; the block raised RuntimeError")


def test_log_copies_as_a_decorator_compares_with_the_source_it_was_given(a, caplog):
    other = np.zeros((7, 7))

    @viewcopy.log_copies(source=other)
    def to_rows(block):
        return block.reshape(-1)

    with caplog.at_level(logging.WARNING, logger="viewcopy"):
        to_rows(a)  # a view of its argument, but a copy with respect to other: logged, naming other
    [record] = caplog.records
    assert "source shape (7, 7) float64" in record.getMessage()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"step": 3}, TypeError, "step name"),
        ({"level": "WARNING"}, TypeError, "logging level"),
        ({"source": [1, 2]}, TypeError, "needs a NumPy array for source"),
    ],
)
def test_log_copies_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        viewcopy.log_copies(**kwargs)

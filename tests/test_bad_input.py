"""Every public function on awkward input: a correct answer, or an error that says what to do."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import viewcopy
import viewcopy.claims

CHECKERS = {
    "relation": lambda x: viewcopy.relation(x, x),
    "layout": viewcopy.layout,
    "predict": lambda x: viewcopy.predict(x, "ravel"),
    "expect_view": lambda x: viewcopy.expect_view(x, x),
    "expect_copy": lambda x: viewcopy.expect_copy(np.zeros(1), x),
}


@pytest.mark.parametrize("func", CHECKERS)
@pytest.mark.parametrize(
    ("value", "says"),
    [
        ([1.0, 2.0], "got a list: a list holds Python objects"),
        ((1.0, 2.0), "got a tuple"),
        (None, "got None"),
        (3.5, "got float 3.5"),
        (7, "got int 7"),
        (np.float64(2.0), "got a NumPy scalar (float64)"),
        (b"\x00" * 16, "np.frombuffer"),
        ("abc", "np.asarray"),
    ],
)
def test_not_an_array_raises_a_type_error_naming_the_fix(func, value, says):
    with pytest.raises(TypeError, match="needs a NumPy array") as info:
        CHECKERS[func](value)
    assert says in str(info.value)
    assert func in str(info.value)


def test_second_argument_is_checked_too():
    with pytest.raises(TypeError, match="for result, got a list"):
        viewcopy.relation(np.zeros(3), [0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="for result"):
        viewcopy.expect_view(np.zeros(3), None)


def test_object_dtype_is_about_the_pointer_buffer():
    a = np.array([object(), "x", 3], dtype=object)
    assert viewcopy.relation(a, a[1:]).kind == "view"
    with viewcopy.track() as t:
        c = a.copy()
    assert t.allocated_bytes == c.nbytes  # the pointers; the objects themselves are shared
    assert c[0] is a[0]


def test_structured_dtype_field_is_a_strided_view():
    a = np.zeros(4, dtype=[("x", np.int16), ("y", np.float64)])
    x = a["x"]
    assert viewcopy.relation(a, x).kind == "view"
    assert viewcopy.layout(x).strides == (10,)
    assert viewcopy.predict(x, "ravel").kind == "copy"
    assert not np.shares_memory(x, x.ravel())


def test_zero_dimensional_array():
    a = np.array(5.0)
    assert viewcopy.layout(a).shape == ()
    assert viewcopy.predict(a, "ravel").kind == "view"
    assert viewcopy.relation(a, a.ravel()).kind == "view"


def test_read_only_array_works_and_its_views_stay_read_only():
    a = np.arange(6.0)
    a.flags.writeable = False
    r = viewcopy.expect_view(a, a.ravel())
    assert not r.flags.writeable
    f = viewcopy.expect_copy(a, a.flatten())
    assert f.flags.writeable  # a copy is yours to write


def test_memory_mapped_array(tmp_path):
    m = np.memmap(tmp_path / "data.bin", dtype=np.float64, mode="w+", shape=(100, 10))
    r = viewcopy.expect_view(m, m.ravel())
    assert isinstance(r, np.memmap)
    lay = viewcopy.layout(m[10:])
    assert lay.offset == 10 * 10 * 8
    assert viewcopy.relation(m, m[::2].ravel()).kind == "copy"
    with viewcopy.track() as t:
        copied = np.array(m)
    assert t.allocated_bytes == copied.nbytes == m.nbytes  # the copy lands in RAM
    del m, r


def test_array_over_bytes():
    raw = bytes(range(64))
    a = np.frombuffer(raw, dtype=np.uint8)
    assert not a.flags.writeable
    assert viewcopy.relation(a, a.reshape(8, 8)).kind == "view"
    assert viewcopy.layout(a[8:]).offset == 8


def test_masked_array():
    m = np.ma.masked_array(np.arange(6.0).reshape(2, 3), mask=[[0, 1, 0], [0, 0, 1]])
    r = m.ravel()
    assert viewcopy.relation(m, r).kind == "view"
    assert viewcopy.predict(m, "ravel").kind == "view"
    assert viewcopy.relation(m, m.T.ravel()).kind == "copy"


def test_matrix_subclass():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        mat = np.matrix(np.arange(6.0).reshape(2, 3))
    r = mat.ravel()
    assert r.shape == (1, 6)  # np.matrix stays 2-D
    assert viewcopy.relation(mat, r).kind == "view"
    assert viewcopy.predict(mat, "ravel").kind == "view"


def test_empty_arrays():
    e = np.zeros((3, 0))
    assert viewcopy.relation(e, e.flatten()).kind == "copy"
    assert viewcopy.layout(e).c_contiguous
    assert viewcopy.predict(e.T, "ravel").kind == "view"  # empty arrays count as contiguous


# -- issue 11, item 6 ------------------------------------------------------------


def test_log_copies_takes_a_logger_name(caplog):
    a = np.zeros((3, 4))
    with caplog.at_level(logging.INFO, logger="etl.steps"), viewcopy.log_copies("copy", logger="etl.steps"):
        kept = a.flatten()
    assert kept.nbytes == 96
    assert [r.name for r in caplog.records] == ["etl.steps"]


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"level": True}, TypeError, "logging level"),
        ({"level": "WARNING"}, TypeError, "logging level"),
        ({"level": -1}, ValueError, "level >= 0"),
        ({"logger": 42}, TypeError, "logger name"),
    ],
)
def test_log_copies_rejects_bad_levels_and_loggers_at_once(kwargs, error, says):
    with pytest.raises(error, match=says):
        viewcopy.log_copies("step", **kwargs)


@pytest.mark.parametrize("bad", ["80 MB", None, [1], True])
def test_format_bytes_rejects_what_is_not_a_number(bad):
    with pytest.raises(TypeError, match="number of bytes"):
        viewcopy.format_bytes(bad)


@pytest.mark.parametrize(
    ("n", "text"),
    [(999_950, "1.0 MB"), (999_949, "999.9 kB"), (-80_000, "-80.0 kB"), (-5, "-5 B"), (np.int64(1500), "1.5 kB")],
)
def test_format_bytes_rounds_up_a_unit_and_handles_negatives(n, text):
    assert viewcopy.format_bytes(n) == text


def test_format_bytes_rejects_infinity():
    with pytest.raises(ValueError, match="finite"):
        viewcopy.format_bytes(float("inf"))


def test_a_claim_id_with_a_trailing_newline_is_rejected():
    with pytest.raises(ValueError, match="lowercase letters"), viewcopy.claims.claim("ravel-view\n", "ravel is a view"):
        pass


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


@pytest.mark.parametrize("func", CHECKERS)
def test_an_object_whose_repr_raises_still_gets_the_type_error(func):
    with pytest.raises(TypeError, match=r"needs a NumPy array.*repr"):
        CHECKERS[func](_BadRepr())


def test_error_messages_never_render_a_huge_repr():
    huge = {"k": "x" * 10**6}
    with pytest.raises(TypeError) as info:
        viewcopy.relation(np.zeros(3), huge)
    assert len(str(info.value)) < 300
    with pytest.raises(ValueError) as info:
        viewcopy.claims.claim("X" * 10**6, "a sentence").__enter__()
    assert len(str(info.value)) < 300


def test_zero_itemsize_dtypes_have_no_bytes_to_share_or_copy():
    z = np.zeros((3, 4), dtype=[])
    assert z.itemsize == 0
    assert z.nbytes == 0
    assert viewcopy.relation(z, z.T).kind == "view"
    assert viewcopy.layout(z.T).itemsize == 0
    assert viewcopy.predict(z.T, "ravel").kind == "view"  # NumPy counts it as contiguous
    assert viewcopy.expect_view(z, z.ravel()).nbytes == 0
    assert viewcopy.expect_copy(z, z.copy()).nbytes == 0
    with viewcopy.track() as t:
        c = z.copy()
    assert t.allocated_bytes <= 1
    assert c.nbytes == 0

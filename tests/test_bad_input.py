"""Every public function on awkward input: a correct answer, or an error that says what to do."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import viewcopy

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
    assert viewcopy.relation(e, e.flatten()).kind == "empty"
    assert viewcopy.layout(e).c_contiguous
    assert viewcopy.predict(e.T, "ravel").kind == "view"  # empty arrays count as contiguous

"""relation, layout and predict; predict is checked against NumPy itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import viewcopy


def test_relation_of_a_view_and_a_copy():
    a = np.arange(12.0).reshape(3, 4)
    view = viewcopy.relation(a, a.ravel())
    assert (view.kind, view.shares_memory, view.exact, view.owns_data) == ("view", True, True, False)
    # NumPy points .base at the array that owns the memory (arange's), not at `a`
    assert view.base_chain == ("ndarray (12,) float64, owns its data",)
    copy = viewcopy.relation(a, a.flatten())
    assert (copy.kind, copy.shares_memory, copy.owns_data, copy.base_chain) == ("copy", False, True, ())


def test_base_misleads_for_a_copy_that_has_a_base():
    a = np.arange(12.0).reshape(3, 4)
    r = viewcopy.relation(a.T, a.T.reshape(-1))  # NumPy copies, then returns a view of that copy
    assert r.kind == "copy"
    assert r.base_chain  # .base is not None ...
    assert r.base_misleads  # ... yet nothing is shared


def test_base_misleads_for_a_view_whose_base_is_not_the_source():
    raw = b"\x00" * 64
    a = np.frombuffer(raw, dtype=np.float64)  # a view of bytes: base is the bytes object
    r = viewcopy.relation(a, a[2:])
    assert r.kind == "view"
    assert r.base_chain[-1].startswith("bytes")
    assert not r.base_misleads


def test_relation_falls_back_to_bounds_when_the_exact_problem_is_too_hard():
    x = np.zeros((4, 5, 6), dtype=np.int8)
    # two differently strided views: deciding overlap exactly is a small
    # integer programming problem that needs more than max_work=1 steps
    a, b = x[:, ::2, ::3], x[:, ::3, ::2]
    r = viewcopy.relation(a, b, max_work=1)
    assert not r.exact
    assert r.shares_memory == bool(np.may_share_memory(a, b))
    assert "bounds only" in str(r)
    assert viewcopy.relation(a, b, max_work=None).exact


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_relation_rejects_a_bad_max_work(bad):
    a = np.zeros(3)
    with pytest.raises(ValueError, match="max_work"):
        viewcopy.relation(a, a, max_work=bad)


def test_relation_of_empty_arrays_says_so():
    e = np.zeros((0, 4))
    r = viewcopy.relation(e, e.ravel())
    assert r.kind == "empty"
    assert not r.shares_memory  # NumPy: nothing to share


def test_layout_of_common_arrays():
    a = np.arange(24.0).reshape(4, 6)
    lay = viewcopy.layout(a)
    assert (lay.shape, lay.strides, lay.itemsize, lay.order, lay.owns_data, lay.offset) == (
        (4, 6),
        (48, 8),
        8,
        "C",
        False,  # a view of arange's buffer
        0,
    )
    assert viewcopy.layout(a.T).order == "F"
    assert viewcopy.layout(a[:, ::2]).order == "neither"
    assert viewcopy.layout(a[1, :]).order == "C and F"
    assert viewcopy.layout(a[1:, 2:]).offset == 6 * 8 + 2 * 8
    assert viewcopy.layout(a[::-1]).offset == 3 * 48  # a[0] of the reversed view is the last row
    assert viewcopy.layout(np.zeros(3)).owns_data


def test_layout_offset_into_a_bytes_buffer():
    raw = bytes(80)
    a = np.frombuffer(raw, dtype=np.float64, offset=16)
    assert viewcopy.layout(a).offset == 16
    assert viewcopy.layout(a[3:]).offset == 16 + 24


def test_layout_of_a_broadcast_array_has_zero_strides():
    b = np.broadcast_to(np.arange(3.0), (4, 3))
    lay = viewcopy.layout(b)
    assert lay.strides == (0, 8)
    assert lay.order == "neither"


# -- predict against NumPy ---------------------------------------------------

DTYPES = [np.int8, np.float32, np.float64, np.complex128, np.dtype([("x", np.int16), ("y", np.float64)])]


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of every layout: sliced with any step, reversed, transposed, any dtype."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=4)))
    order = draw(st.sampled_from("CF"))
    a = np.zeros(shape, dtype=dtype, order=order)
    if a.ndim:
        slices = tuple(
            slice(draw(st.integers(0, 2)), None, draw(st.sampled_from([1, 1, 2, -1, -2, 3]))) for _ in range(a.ndim)
        )
        a = a[slices]
        if draw(st.booleans()):
            a = a.transpose(draw(st.permutations(range(a.ndim))))
    return a


def run(a: np.ndarray, op: str, order: str) -> np.ndarray:
    if op == "ravel":
        return a.ravel(order=order)
    if op == "flatten":
        return a.flatten(order=order)
    return a.reshape(-1, order=order)


def actual_kind(a: np.ndarray, result: np.ndarray) -> str:
    if a.size == 0:  # no bytes to share: a view is what does not own its data
        return "copy" if result.flags.owndata else "view"
    return "view" if np.shares_memory(a, result) else "copy"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=arrays(), op=st.sampled_from(["ravel", "flatten", "reshape(-1)"]), order=st.sampled_from("CFAK"))
def test_predict_matches_numpy_and_track_measures_it(a, op, order):
    if op == "reshape(-1)" and order == "K":
        with pytest.raises(ValueError, match="order='K'"):
            viewcopy.predict(a, op, order)
        with pytest.raises(ValueError):
            run(a, op, order)  # NumPy refuses it too
        return
    predicted = viewcopy.predict(a, op, order)
    with viewcopy.track() as t:
        result = run(a, op, order)
    assert predicted.kind == actual_kind(a, result), (a.shape, a.strides, op, order, predicted)
    if predicted.kind == "view":
        assert t.allocated_bytes == 0
    elif a.size:
        assert t.allocated_bytes == result.nbytes
    else:
        assert t.allocated_bytes <= a.itemsize  # NumPy's token buffer for an empty copy


@settings(max_examples=200, deadline=None)
@given(a=arrays())
def test_contiguity_from_strides_matches_numpys_flags(a):
    from viewcopy._inspect import _contiguous

    assert _contiguous(a.shape, a.strides, a.itemsize, "C") == a.flags.c_contiguous
    assert _contiguous(a.shape, a.strides, a.itemsize, "F") == a.flags.f_contiguous


def test_predict_explains_itself():
    a = np.zeros((3, 8))[:, ::2]
    assert viewcopy.predict(a, "ravel").kind == "copy"
    p = viewcopy.predict(a, "reshape(-1)")
    assert p.kind == "view"  # one stride (16 bytes) walks every element
    assert "equally spaced" in p.reason
    assert str(p).startswith("view: ")
    assert viewcopy.predict(a, "reshape").kind == "view"  # 'reshape' means reshape(-1)


@pytest.mark.parametrize(
    ("op", "order", "message"), [("transpose", "C", "knows the ops"), ("ravel", "X", "order must be")]
)
def test_predict_rejects_unknown_ops_and_orders(op, order, message):
    with pytest.raises(ValueError, match=message):
        viewcopy.predict(np.zeros(3), op, order)

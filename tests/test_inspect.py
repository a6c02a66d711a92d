"""relation, layout and predict; predict is checked against NumPy itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import as_strided

import viewcopy
from viewcopy import _guard, _inspect


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
    assert r.kind == "undecided"
    assert "the exact check gave up at max_work" in str(r)
    assert viewcopy.relation(a, b, max_work=None).exact


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_relation_rejects_a_bad_max_work(bad):
    a = np.zeros(3)
    with pytest.raises(ValueError, match="max_work"):
        viewcopy.relation(a, a, max_work=bad)


def test_relation_of_empty_arrays_follows_the_one_definition():
    e = np.zeros((0, 4))
    r = viewcopy.relation(e, e.ravel())
    assert r.kind == "view"
    assert not r.base_misleads
    assert not r.shares_memory  # NumPy: an empty array shares memory with nothing, its own views included
    assert viewcopy.relation(e, e.flatten()).kind == "copy"
    assert viewcopy.relation(e, np.empty((0, 4))).kind == "copy"


def with_source(source, make):
    return source, make(source)


def two_readers(make):
    """An array over a bytearray, and another array ``make`` builds over the same bytearray."""
    buffer = bytearray(8)
    return np.frombuffer(buffer, np.uint8), make(buffer)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: with_source(np.zeros(()), lambda a: a[...]), "view"),  # 0-d: a[...] is a view, it has 8 bytes
        (lambda: with_source(np.zeros(()), lambda a: a.copy()), "copy"),
        (lambda: with_source(np.zeros(3), lambda a: np.broadcast_to(a, (4, 3))), "view"),
        (lambda: two_readers(lambda b: np.frombuffer(b, np.uint8)[::2]), "view"),
        (lambda: two_readers(lambda b: np.frombuffer(b, np.uint8)[:0]), "view"),
        (lambda: two_readers(lambda b: np.frombuffer(b, np.uint8).copy()[:0]), "copy"),
        (lambda: with_source(np.zeros(3), lambda a: np.lib.stride_tricks.as_strided(a, (0,), (8,))), "view"),
    ],
)
def test_one_definition_of_view_covers_0d_broadcasts_foreign_buffers_and_empties(make, kind):
    source, result = make()
    assert viewcopy.relation(source, result).kind == kind
    guard = viewcopy.expect_view if kind == "view" else viewcopy.expect_copy
    assert guard(source, result) is result


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


def _tangled() -> tuple[np.ndarray, np.ndarray]:
    """The issue's pair: bounds overlap, no byte is shared, the exact check needs > 100,000 steps."""
    x = np.zeros(20_000_000, np.int8)
    x1 = as_strided(x, (100, 100, 100), (36674, 61119, 85569))
    x2 = as_strided(x[6402302:], (100, 100, 1), (12223, 12224, 1))
    return x1, x2


def test_relation_says_undecided_never_view_when_the_exact_check_gives_up():
    x1, x2 = _tangled()
    r = viewcopy.relation(x1, x2)
    assert (r.kind, r.exact) == ("undecided", False)
    assert viewcopy.relation(x1, x2, max_work=None).kind == "copy"  # the truth, when asked for


def test_expect_view_never_passes_arrays_that_share_nothing():
    x1, x2 = _tangled()
    # the guards try a 100x larger bound before giving up: enough here ...
    with pytest.raises(viewcopy.UnexpectedCopyError):
        viewcopy.expect_view(x1, x2)
    assert viewcopy.expect_copy(x1, x2) is x2


def test_guards_raise_a_clear_error_when_they_cannot_decide(monkeypatch):
    # ... and where even that is not enough, they say so rather than guess
    x1, x2 = _tangled()
    monkeypatch.setattr(_guard, "GUARD_MAX_WORK", _inspect.DEFAULT_MAX_WORK)
    for guard in (viewcopy.expect_view, viewcopy.expect_copy):
        with pytest.raises(viewcopy.ViewCopyError, match="cannot tell whether result") as info:
            guard(x1, x2)
        assert type(info.value) is viewcopy.ViewCopyError  # neither "a copy" nor "a view"
        assert "max_work=None" in str(info.value)


def test_bounds_that_do_not_overlap_still_prove_a_copy():
    x = np.zeros((4, 5, 6), dtype=np.int8)
    r = viewcopy.relation(x[:2, ::2, ::3], x[2:, ::3, ::2], max_work=1)
    assert (r.kind, r.exact) == ("copy", True)


def test_relation_accepts_numpy_integers_for_max_work():
    a = np.zeros(3)
    assert viewcopy.relation(a, a[1:], max_work=np.int64(10)).kind == "view"


@pytest.mark.parametrize(
    "make",
    [lambda a: a, lambda a: a.T, lambda a: a[:, ::2], lambda a: a[::-1], lambda a: a[:1], lambda a: a.T[::2]],
)
@pytest.mark.parametrize("op", ["ravel", "flatten", "reshape(-1)"])
def test_predict_order_none_is_numpys_order_none(make, op):
    x = make(np.arange(24.0).reshape(4, 6))
    result = {"ravel": x.ravel, "flatten": x.flatten, "reshape(-1)": lambda order: x.reshape(-1, order=order)}[op](
        order=None
    )
    kind = "view" if np.shares_memory(x, result) else "copy"
    assert viewcopy.predict(x, op, order=None).kind == kind


def test_layout_offset_through_as_strided():
    x = np.zeros(1000, np.int8)
    v = as_strided(x[100:], (10, 10), (20, 1))
    assert viewcopy.layout(v).offset == 100
    assert viewcopy.layout(_tangled()[1]).offset == 6402302


def test_layout_offset_of_a_memmap_counts_from_the_start_of_the_file(tmp_path):
    path = tmp_path / "data.bin"
    np.zeros(10_000, np.uint8).tofile(path)
    m = np.memmap(path, dtype=np.uint8, mode="r", offset=5000, shape=(100,))  # mmap starts at a page
    assert viewcopy.layout(m).offset == 5000
    assert viewcopy.layout(m[10:]).offset == 5010
    del m


def test_layout_order_is_what_the_two_flags_say_over_the_family():
    # the docstring once said 'C and F' meant "1-D, or size-1 axes": a 1-D array with gaps is 'neither'
    from viewcopy.claims import layouts

    names = {(True, True): "C and F", (True, False): "C", (False, True): "F", (False, False): "neither"}
    for case in layouts():
        a = case.array
        assert viewcopy.layout(a).order == names[bool(a.flags.c_contiguous), bool(a.flags.f_contiguous)], case.name
    assert viewcopy.layout(np.arange(10.0)[::2]).order == "neither"


def test_relation_reads_memory_either_way_siblings_included():
    # 'view' means the result reads the source's memory, whichever was made from which
    a = np.arange(10.0)
    assert viewcopy.relation(a[:5], a[3:]).kind == "view"
    assert viewcopy.relation(a.reshape(2, 5).ravel(), a).kind == "view"
    assert viewcopy.relation(a[:3], a[5:]).kind == "copy"  # disjoint: reads none of it, though nothing allocated
    assert viewcopy.relation(a[0:0], a[5:5]).kind == "view"  # no bytes: the same buffer, owning nothing

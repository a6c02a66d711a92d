"""predict(a, expression): from the layout alone, against NumPy; chains; the old form; bad input."""

from __future__ import annotations

import numpy as np
import pytest

import viewcopy
from viewcopy import _predict
from viewcopy.claims import atlas, layouts

CHAINS = [
    "a.T[::2].reshape(-1)",
    "a[::2].T.ravel()",
    "a[..., ::-1].reshape(-1)",
    "np.swapaxes(a, 0, -1)[..., ::2].reshape(-1, order='F')",
    "a.T.copy()[::2]",
    "np.broadcast_to(a, (2,) + a.shape).T.ravel(order='K')",
    "np.expand_dims(a, 0).squeeze().T.reshape(-1)",
    "a[None][..., None].transpose()[0].ravel()",
    "np.ascontiguousarray(a.T).T.ravel(order='F')",
    "a.astype(a.dtype, copy=False)[::-1].view(np.uint8)",
]


def numpy_says(a: np.ndarray, expression: str) -> tuple[str, tuple[int, ...], tuple[int, ...], bool] | str:
    try:
        r = eval(expression, {"np": np, "a": a})
    except (ValueError, TypeError) as error:
        return f"raises {type(error).__name__}"
    return ("view" if atlas.is_view(a, r) else "copy", r.shape, r.strides, bool(r.flags.writeable))


@pytest.mark.parametrize("expression", CHAINS)
def test_a_chain_composes_and_agrees_with_numpy_on_every_layout(expression):
    checked = 0
    for case in layouts():
        a = case.array
        if a.ndim < 1:
            continue
        said = numpy_says(a, expression)
        if isinstance(said, str):
            with pytest.raises(ValueError, match="NumPy would raise"):
                viewcopy.predict(a, expression)
            continue
        p = viewcopy.predict(a, expression)
        kind, shape, strides, writeable = said
        assert p.kind == kind, (case.name, p.reason)
        assert p.shape == shape, case.name
        if p.strides is not None and a.size:
            long = [i for i, n in enumerate(shape) if n > 1]
            assert [p.strides[i] for i in long] == [strides[i] for i in long], case.name
        if p.writeable is not None:
            assert p.writeable == writeable, case.name
        checked += 1
    assert checked >= 500


def test_the_issues_examples():
    a = np.arange(24.0).reshape(4, 6)
    assert viewcopy.predict(a, "a.reshape(-1, order='F')").kind == "copy"
    assert viewcopy.predict(a.T, "a.reshape(-1, order='F')").kind == "view"
    p = viewcopy.predict(a, "np.swapaxes(a, 0, 1)")
    assert (p.kind, p.shape, p.strides, p.order) == ("view", (6, 4), (8, 48), "F")
    p = viewcopy.predict(a, "a.T[::2].reshape(-1)")
    assert p.kind == "copy"
    assert p.shape == (12,)
    p = viewcopy.predict(a, "a[:, ::2].T.reshape(-1)")
    assert p.kind == "copy"
    p = viewcopy.predict(a, "a[::2].reshape(-1)")
    assert (p.kind, p.strides) == ("copy", (8,))
    assert viewcopy.predict(a[::2], "a.reshape(-1)").kind == "copy"
    assert viewcopy.predict(a[:, :1], "a.reshape(-1)").kind == "view"  # one stride walks a column


def test_predict_runs_nothing_it_predicts():
    huge = np.broadcast_to(np.zeros(1), (10**6, 10**6))  # 8 TB as a copy
    with viewcopy.track() as t:
        p = viewcopy.predict(huge, "a.copy().reshape(-1)")
        q = viewcopy.predict(huge, "np.ascontiguousarray(a)")
    assert (p.kind, p.shape, q.kind, q.order) == ("copy", (10**12,), "copy", "C")
    assert t.allocated_bytes == 0


def test_the_old_form_keeps_working_and_its_reasons():
    a = np.arange(12.0).reshape(3, 4)
    assert (
        str(viewcopy.predict(a.T, "ravel", order="K"))
        == "view: F-contiguous, so the F-order sequence is the buffer itself"
    )
    assert viewcopy.predict(a.T, "ravel", "C").kind == "copy"
    assert viewcopy.predict(a[:, :1], "reshape").kind == "view"
    assert viewcopy.predict(a, "flatten").kind == "copy"


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((np.zeros(3), "a.T", "C"), TypeError, r"predict\(a, \"a.ravel\(order='C'\)\"\)"),
        (([1, 2], "a.T"), TypeError, "needs a NumPy array"),
        ((np.zeros(3), 3), TypeError, "takes the expression as a string"),
        ((np.zeros(3), "transpose"), ValueError, "knows the ops"),
        ((np.zeros(3), "a.T +"), ValueError, "could not parse"),
        ((np.zeros(3), "b.T"), ValueError, "in `a`"),
        ((np.zeros(3), "a.T + x"), ValueError, "names x"),
        ((np.zeros(3), "a.fill(0)"), ValueError, "does not know the method"),
        ((np.zeros(3), "np.linalg.inv(a)"), ValueError, "does not know"),
        ((np.zeros(3), "a.reshape(2, -1)"), ValueError, "NumPy would raise"),
        ((np.zeros((2, 3))[:, ::2], "a.view(np.int8)"), ValueError, "last axis must be contiguous"),
        ((np.zeros(3), "a.shape"), ValueError, "does not give an array"),
        ((np.zeros(4), "np.split(a, 2)"), ValueError, "sequence of arrays"),
        ((np.zeros(4), "np.save('x.npy', a.shape)"), ValueError, "computes only the arguments"),
        ((np.zeros(4), "a.dtype.__class__.__subclasses__()"), ValueError, "reads the array's attributes"),
        ((np.zeros(4), "a[__import__('os').getpid()]"), ValueError, "names __import__"),
    ],
)
def test_bad_input_says_what_is_wrong(args, error, message):
    with pytest.raises(error, match=message):
        viewcopy.predict(*args)


def test_a_wrong_rule_is_caught_by_the_comparison(monkeypatch):
    """The atlas's comparison can fail: plant a no-copy reshape that never finds a view."""
    monkeypatch.setattr(_predict, "nocopy_reshape", lambda *args: None)
    entry = next(e for e in atlas.entries() if e.expression == "a.reshape(-1)")
    result = atlas.measure_entry(entry, layouts())
    assert not result.ok
    assert any("predict said copy, NumPy gave a view" in d for d in result.disagree)


def test_contiguity_matches_numpys_flags_on_the_family():
    for case in layouts():
        a = case.array
        assert _predict.contiguous(a.shape, a.strides, a.itemsize, "C") == a.flags.c_contiguous, case.name
        assert _predict.contiguous(a.shape, a.strides, a.itemsize, "F") == a.flags.f_contiguous, case.name


@pytest.mark.parametrize(
    ("array", "expression"),
    [
        (np.zeros(3, dtype=[("f0", "<i4")]), "a[['f1']]"),  # a field the dtype lacks
        (np.zeros(()), "a.reshape(a.shape[0], -1)"),  # an axis a 0-d array lacks
    ],
)
def test_an_expression_the_layout_cannot_answer_raises_valueerror_naming_it(array, expression):
    with pytest.raises(ValueError, match=r"predict\(\) cannot answer .* for this array"):
        viewcopy.predict(array, expression)

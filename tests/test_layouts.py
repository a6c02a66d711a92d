"""viewcopy.claims.layouts: a reproducible, named family that covers every layout feature it promises."""

from __future__ import annotations

import numpy as np
import pytest

import viewcopy
import viewcopy.claims


def missing_features(cases: list[viewcopy.claims.Case]) -> list[str]:
    """The promised layout features that no case of ``cases`` has."""
    arrays = [c.array for c in cases]
    nonzero = [a for a in arrays if a.size > 1]
    features = {
        **{f"{d}-d": any(a.ndim == d for a in arrays) for d in range(5)},
        "length-0 axis": any(0 in a.shape for a in arrays),
        "length-1 axis": any(1 in a.shape for a in arrays if a.ndim > 1),
        "C- not F-contiguous": any(a.flags.c_contiguous and not a.flags.f_contiguous for a in arrays),
        "F- not C-contiguous": any(a.flags.f_contiguous and not a.flags.c_contiguous for a in arrays),
        "step slice": any(
            s > 0 and s % a.itemsize == 0 and s // a.itemsize > 1 for a in nonzero for s in a.strides[-1:]
        ),
        "negative stride": any(s < 0 for a in nonzero for s in a.strides),
        "zero stride (broadcast)": any(0 in a.strides for a in nonzero if not a.flags.writeable),
        "permuted axes": any(
            a.ndim >= 3 and list(a.strides) not in (sorted(a.strides), sorted(a.strides)[::-1])
            for a in nonzero
            if 0 not in a.strides
        ),
        "read-only": any(not a.flags.writeable and 0 not in a.strides for a in nonzero),
        "non-zero offset": any(a.base is not None and a.ctypes.data != a.base.ctypes.data for a in nonzero),
        "3 item sizes": len({a.itemsize for a in arrays}) >= 3,
    }
    return [name for name, present in features.items() if not present]


def test_default_family_is_large_named_and_covers_every_feature():
    cases = viewcopy.claims.layouts()
    assert len(cases) >= 50
    names = [c.name for c in cases]
    assert len(set(names)) == len(names)
    assert missing_features(cases) == []
    signatures = {(c.array.dtype.str, c.array.shape, c.array.strides, c.array.flags.writeable) for c in cases}
    assert len(signatures) >= 50  # distinct layouts, not one layout under many names


def test_the_coverage_check_can_fail():
    cases = viewcopy.claims.layouts()
    without = [c for c in cases if not any(s < 0 for s in c.array.strides)]
    assert missing_features(without) == ["negative stride"]
    assert "4-d" in missing_features(viewcopy.claims.layouts(ndim=range(4)))
    assert "3 item sizes" in missing_features(viewcopy.claims.layouts(dtypes=["float64", "int8"]))


def test_reproducible_and_fresh():
    first, second = viewcopy.claims.layouts(), viewcopy.claims.layouts()
    assert [c.name for c in first] == [c.name for c in second]
    for one, two in zip(first, second, strict=False):
        assert one == two
        assert one.array.strides == two.array.strides
        np.testing.assert_array_equal(one.array, two.array)
        assert not np.shares_memory(one.array, two.array) or one.array.size == 0
    other_seed = viewcopy.claims.layouts(seed=1)
    assert [c.name for c in other_seed] == [c.name for c in first]
    assert any(not np.array_equal(a.array, b.array) for a, b in zip(first, other_seed, strict=False))


def test_names_say_how_the_array_was_made():
    by_name = {c.name: c.array for c in viewcopy.claims.layouts()}
    a = by_name["float64 (4,6) C [::-1, :]"]
    assert a.shape == (4, 6)
    assert a.strides == (-48, 8)
    assert by_name["int8 (3,4,5) F T"].flags.c_contiguous
    assert not by_name["complex128 (4,6) C readonly"].flags.writeable
    assert by_name["float64 (4,6) C [:1, :] broadcast to (4,6)"].strides == (0, 8)


def test_filters():
    two_d = viewcopy.claims.layouts(ndim=2)
    assert two_d
    assert {c.array.ndim for c in two_d} == {2}
    assert {c.array.dtype for c in viewcopy.claims.layouts(dtypes="int8")} == {np.dtype("int8")}
    f_only = viewcopy.claims.layouts(where=lambda a: a.flags.f_contiguous)
    assert f_only
    assert all(c.array.flags.f_contiguous for c in f_only)
    assert len(viewcopy.claims.layouts(dtypes=["float64"])) >= 50  # one dtype is still a family


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"ndim": 5}, ValueError, "from 0 to 4, got 5"),
        ({"ndim": [1, "2"]}, ValueError, "got '2'"),
        ({"dtypes": ["float64", "no such type"]}, TypeError, "'no such type'"),
        ({"dtypes": []}, ValueError, "at least one dtype"),
        ({"where": "f_contiguous"}, TypeError, "a function of the array"),
    ],
)
def test_bad_input_names_the_problem(kwargs, error, message):
    with pytest.raises(error, match=message):
        viewcopy.claims.layouts(**kwargs)


def test_search_finds_counterexamples_and_the_exact_condition():
    cases = viewcopy.claims.layouts(dtypes=["float64"])
    s = viewcopy.claims.search(lambda a: np.shares_memory(a, a.ravel()), cases, about="ravel() returns a view")
    assert not s.holds
    assert s.verdict == f"fails on {len(s.counterexamples)} of {len(cases)} layouts"
    assert all(not np.shares_memory(c.array, c.array.ravel()) for c in s.counterexamples)
    smallest = min(c.array.size for c in s.counterexamples if c.array.size)
    assert s.boundary()[0].array.size == smallest  # the smallest non-empty counterexample comes first
    assert len({c.array.ndim for c in s.boundary()}) == 3  # ... and then other dimensionalities
    view = {"C-contiguous and not empty": lambda a: a.flags.c_contiguous and a.size > 0}
    when = s.exactly_when({"C-contiguous": lambda a: a.flags.c_contiguous, **view})
    assert (when.condition, [text for text, _ in when.rejected]) == ("C-contiguous and not empty", ["C-contiguous"])
    assert when.rejected[0][1].array.size == 0  # its counterexample: np.shares_memory says no for an empty array
    with pytest.raises(ValueError, match=r"'C-contiguous' is wrong for float64 "):
        s.exactly_when({"C-contiguous": lambda a: a.flags.c_contiguous})
    holds = viewcopy.claims.search(lambda a: not np.shares_memory(a, a.flatten()), cases, about="flatten copies")
    assert holds.holds
    assert holds.verdict == f"holds on all {len(cases)} layouts"
    assert holds.boundary() == ()
    # a case from outside the family: the count is no longer the family's, and the verdict says arrays
    more = [*cases, viewcopy.claims.Case("np.zeros(4, dtype=np.dtype([]))", np.zeros(4, dtype=np.dtype([])))]
    wider = viewcopy.claims.search(lambda a: not np.shares_memory(a, a.flatten()), more, about="flatten copies")
    assert wider.verdict == f"holds on all {len(more)} arrays"


def test_search_bad_input_and_errors_name_the_case():
    with pytest.raises(TypeError, match="function of the array"):
        viewcopy.claims.search("ravel", viewcopy.claims.layouts(), about="x")
    with pytest.raises(TypeError, match=r"cases from viewcopy\.claims\.layouts"):
        viewcopy.claims.search(bool, [np.zeros(3)], about="x")
    with pytest.raises(ValueError) as error:
        viewcopy.claims.search(lambda a: a.reshape(-1, order="K"), viewcopy.claims.layouts(), about="reshape takes K")
    assert "while searching 'reshape takes K' on float64 () C" in error.value.__notes__[0]


@pytest.mark.parametrize("op", ["ravel", "flatten", "reshape(-1)"])
def test_predict_agrees_with_numpy_on_every_non_empty_layout(op):
    run = {"ravel": np.ndarray.ravel, "flatten": np.ndarray.flatten, "reshape(-1)": lambda x, o: x.reshape(-1, order=o)}
    checked = 0
    for case in viewcopy.claims.layouts():
        x = case.array
        for order in "CFA" if op == "reshape(-1)" else "CFAK":
            if x.size:
                kind = "view" if np.shares_memory(x, run[op](x, order)) else "copy"
                assert viewcopy.predict(x, op, order).kind == kind, (case.name, order)
                checked += 1
    assert checked >= 50 * 3


def test_every_candidate_is_checked_and_a_wrong_one_listed_first_is_rejected_with_its_counterexample():
    # issue 22: exactly_when returned the first match; a wrong candidate listed earlier must not pass unseen
    cases = viewcopy.claims.layouts(dtypes=["float64"])
    views = viewcopy.claims.search(
        lambda a: viewcopy.relation(a, a.ravel()).kind == "view", cases, about="ravel() views"
    )
    wrong_first = {
        "the array is C-contiguous and not empty": lambda a: a.flags.c_contiguous and a.size > 0,  # wrong: empties view
        "the array is C-contiguous": lambda a: a.flags.c_contiguous,
    }
    when = views.exactly_when(wrong_first)
    assert when.condition == "the array is C-contiguous"
    ((text, counterexample),) = when.rejected
    assert text == "the array is C-contiguous and not empty"
    assert counterexample.array.size == 0
    assert "rejected: 'the array is C-contiguous and not empty', wrong for" in when.lines()[1]
    with pytest.raises(ValueError, match="cannot tell them apart"):
        views.exactly_when({"C-contiguous": lambda a: a.flags.c_contiguous, "C": lambda a: bool(a.flags.c_contiguous)})
    with pytest.raises(ValueError, match="no condition matches"):
        views.exactly_when(
            {"the array is C-contiguous and not empty": wrong_first["the array is C-contiguous and not empty"]}
        )

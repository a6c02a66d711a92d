"""The atlas: its list, its measurements on this NumPy, the checks that can fail, and its page's data."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

import viewcopy
from viewcopy.claims import atlas, layouts

sys.path.insert(0, str(Path(__file__).parents[1] / "docs" / "_ext"))


@pytest.fixture(scope="module")
def results():
    return atlas.measure()


def test_the_list_is_long_unique_and_runnable():
    entries = atlas.entries()
    assert len(entries) >= 200
    assert len({e.expression for e in entries}) == len(entries)
    for e in entries:
        names = {n.id for n in ast.walk(ast.parse(e.expression, mode="eval")) if isinstance(n, ast.Name)}
        assert "a" in names, e.expression
        assert names <= {"a", "np", *atlas_builtins()}, e.expression
        assert e.where in atlas.WHERE


def atlas_builtins():
    from viewcopy._predict import _BUILTINS

    return set(_BUILTINS)


@pytest.mark.once  # docs/atlas.md makes the same comparison, a claim per group, under every release
def test_every_entry_agrees_with_predict_on_every_case_of_this_numpy(results):
    """The comparison the issue asks for; `nox -s matrix` runs it under each release."""
    bad = {r.entry.expression: r.disagree[:2] or r.condition for r in results if not r.ok}
    assert bad == {}
    assert {r.verdict for r in results} <= {"view", "copy", "depends"}
    assert sum(r.cases for r in results) > 300_000


def test_views_allocate_nothing_and_copies_allocate(results):
    for r in results:
        if r.verdict == "view" and r.alloc:
            assert max(r.alloc) == 0, r.entry.expression
    flat = next(r for r in results if r.entry.expression == "a.flatten()")
    assert min(flat.alloc) == 1
    assert flat.verdict == "copy"


def test_a_depends_has_an_exact_condition_and_a_wrong_candidate_fails(results):
    ravel = next(r for r in results if r.entry.expression == "a.ravel()")
    assert ravel.verdict == "depends"
    assert ravel.condition == "the array is C-contiguous"
    assert ravel.candidates["the array is F-contiguous"].startswith("wrong, e.g. on ")
    # plant: the only candidate left is a wrong one; the entry must fail, not pass silently
    saved = atlas.CONDITIONS[:]
    try:
        atlas.CONDITIONS[:] = [c for c in saved if c[0] == "the array is F-contiguous"]
        again = atlas.measure_entry(ravel.entry, layouts())
    finally:
        atlas.CONDITIONS[:] = saved
    assert again.condition == atlas.NO_CONDITION
    assert not again.ok


def test_the_search_for_a_condition_asks_predict_nothing_measuring_asked(monkeypatch):
    """The candidate "predict says view" reuses each case's prediction: predict runs once per case, not twice."""
    ravel = next(e for e in atlas.entries() if e.expression == "a.ravel()")
    cases = layouts()
    asked = []
    monkeypatch.setattr(atlas, "predict", lambda x, expression: asked.append(x) or viewcopy.predict(x, expression))
    result = atlas.measure_entry(ravel, cases)
    assert result.verdict == "depends"
    assert len(asked) == result.cases == len(cases)


def test_the_definition_of_a_view_for_empty_arrays():
    e = np.zeros((0, 3))
    assert not np.shares_memory(e, e[:, ::2].ravel())  # no byte to share
    assert viewcopy.relation(e, e[:, ::2].ravel()).kind == "view"  # yet NumPy allocated nothing: a view
    assert atlas.is_view(e, e[:, ::2].ravel())
    assert not atlas.is_view(e, e.copy())
    assert not atlas.is_view(e, e.T.flatten())
    a = np.arange(6.0)
    assert atlas.is_view(a, a[::2])
    assert not atlas.is_view(a, a[[0]])


def test_evidence_lines_round_trip(results):
    for result in (results[0], next(r for r in results if r.verdict == "depends")):
        record = result.record()
        back = atlas.parse_evidence(atlas.evidence_line(record))
        for key in ("expression", "verdict", "condition", "cases", "writeable", "orders", "allocated", "peak"):
            assert back[key] == record[key], key
        exact = [w for w, found in record["candidates"].items() if found == "exact"]
        assert back["exact_candidates"] == (exact if record["verdict"] == "depends" else [])
        assert len(atlas.evidence_line(record)) < 1000
    assert atlas.parse_evidence("check: something else") is None


def test_the_inventory_leaves_nothing_out_without_a_reason():
    rows = atlas.inventory()
    assert len(rows) > 400
    assert [r["name"] for r in rows if r["status"] == "missing"] == []
    assert all(r["reason"] for r in rows if r["status"] == "left out")
    assert {"np.reshape", "ndarray.T", "np.sqrt"} <= {r["name"] for r in rows if r["status"] == "in the atlas"}


def test_a_callable_returning_an_array_without_an_entry_is_flagged():
    row = atlas._classify("np.planted", lambda a: a, set(), lambda: np.zeros(3))
    assert row["status"] == "missing"


def test_docstrings_checked_ravel_is_wrong_transpose_holds():
    main = layouts()
    found = {d.name + d.expression: atlas.check_docstring(d, main) for d in atlas.DOCSTRINGS}
    ravel = found["np.ravelnp.ravel(a)"]
    assert ravel["in_docstring"]
    assert ravel["counterexamples"] > 0
    assert ravel["example"]
    assert found["np.transposenp.transpose(a)"]["counterexamples"] == 0
    planted = atlas.Docstring("np.transpose", r"A view is returned whenever possible\.", "np.transpose(a)", "copy")
    assert atlas.check_docstring(planted, main)["counterexamples"] == len(main)  # a false statement is caught


def test_the_page_combines_releases():
    viewcopy_atlas = pytest.importorskip("viewcopy_atlas", reason="the docs extension needs Sphinx")

    base = {"expression": "a.T", "verdict": "view", "condition": "", "claim": "atlas-attributes"}
    releases = {
        "1.26.4": {"a.T": dict(base), "a.ravel()": {**base, "expression": "a.ravel()", "verdict": "copy"}},
        "2.4.0": {"a.T": dict(base), "a.mT": {**base, "expression": "a.mT"}},
    }
    shown, versions, rows = viewcopy_atlas.combine(releases)
    by = {r["expression"]: r for r in rows}
    assert shown == "2.4.0"
    assert versions == ["1.26.4", "2.4.0"]
    assert by["a.T"]["differences"] == []
    assert by["a.mT"]["differences"] == ["1.26.4: not in this release"]
    assert by["a.ravel()"]["differences"] == ["2.4.0: not in this release"]  # the row shows 1.26.4's answer
    releases["2.0.0"] = {"a.T": {**base, "verdict": "copy"}}
    releases["1.26.4"]["a.T"]["verdict"] = "copy"
    _, _, rows = viewcopy_atlas.combine(dict(sorted(releases.items())))
    assert next(r for r in rows if r["expression"] == "a.T")["differences"] == ["1.26.4, 2.0.0: copy"]
    assert by["a.T"]["evidence"] == "claims.html#claim-atlas-attributes"


def test_an_entry_a_release_deprecated_says_so_not_absent():
    viewcopy_atlas = pytest.importorskip("viewcopy_atlas", reason="the docs extension needs Sphinx")

    fix = {"expression": "np.fix(a)", "verdict": "copy", "condition": "", "claim": "atlas-new"}
    mt = {**fix, "expression": "a.mT", "verdict": "view"}
    _, _, rows = viewcopy_atlas.combine({"2.4.6": {"np.fix(a)": fix, "a.mT": mt}, "2.5.5": {"a.mT": mt}})
    by = {r["expression"]: r for r in rows}
    assert by["np.fix(a)"]["differences"] == ["2.5.5: deprecated in this release"]
    # an entry only the oldest release has: every newer one is listed as lacking it, not the newest alone
    old = {**fix, "expression": "a.newbyteorder()", "verdict": "view"}
    three = {"1.26.4": {"a.newbyteorder()": old, "a.mT": mt}, "2.4.6": {"a.mT": mt}, "2.5.5": {"a.mT": mt}}
    _, _, rows = viewcopy_atlas.combine(three)
    assert next(r for r in rows if r["expression"] == "a.newbyteorder()")["differences"] == [
        "2.4.6, 2.5.5: not in this release"
    ]
    _, _, rows = viewcopy_atlas.combine({"1.26.4": {"np.fix(a)": fix}, "2.4.6": {"np.fix(a)": fix, "a.mT": mt}})
    assert next(r for r in rows if r["expression"] == "a.mT")["differences"] == ["1.26.4: not in this release"]


def test_the_pages_count_of_entries_is_the_tables():
    viewcopy_atlas = pytest.importorskip("viewcopy_atlas", reason="the docs extension needs Sphinx")

    fix = {"expression": "np.fix(a)", "verdict": "copy", "condition": "", "claim": "atlas-new"}
    mt = {**fix, "expression": "a.mT", "verdict": "view"}
    releases = {"2.4.6": {"np.fix(a)": fix, "a.mT": mt}, "2.5.5": {"a.mT": mt}}
    shown, versions, rows = viewcopy_atlas.combine(releases)
    assert (
        viewcopy_atlas.count_text(shown, versions, rows)
        == "2 entries: 1 measured on NumPy 2.5.5, 1 deprecated in NumPy 2.5.5 and measured on an older one"
    )
    assert viewcopy_atlas.count_text("2.4.6", ["2.4.6"], rows[:1]) == "1 entry, NumPy 2.4.6's"
    gone = {**fix, "expression": "a.newbyteorder()"}
    rows = viewcopy_atlas.combine({"1.26.4": {"a.newbyteorder()": gone, "a.mT": mt}, "2.5.5": {"a.mT": mt}})[2]
    assert viewcopy_atlas.count_text("2.5.5", ["1.26.4", "2.5.5"], rows).endswith("1 only in an older release")


def test_the_rows_records_read_back_from_claims():
    viewcopy_atlas = pytest.importorskip("viewcopy_atlas", reason="the docs extension needs Sphinx")

    record = {"expression": "a.T", "verdict": "view", "condition": ""}
    rows = [
        {"id": "atlas-attributes", "page": "atlas", "evidence": ["check: " + atlas.evidence_line(record), "other"]},
        {"id": "landing", "page": "index", "evidence": ["check: " + atlas.evidence_line(record)]},
    ]
    found = viewcopy_atlas.records_of(rows)
    assert list(found) == ["a.T"]
    assert found["a.T"]["claim"] == "atlas-attributes"
    assert found["a.T"]["verdict"] == "view"

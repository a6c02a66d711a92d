"""viewcopy.claims.claim: verdicts, evidence, the ledger file, and failures that name the claim."""

from __future__ import annotations

import sys
import traceback

import numpy as np
import pytest

import viewcopy
import viewcopy.claims
from viewcopy.claims import ledger as _ledger


def test_a_claim_that_holds_collects_evidence():
    a = np.zeros((10, 10))
    line = sys._getframe().f_lineno + 1
    with viewcopy.claims.claim("ravel-view", "ravel of a contiguous array is a view") as c:
        with viewcopy.track():
            viewcopy.expect_view(a, a.ravel())
        viewcopy.relation(a, a.flatten())
    assert c.verdict == "holds"
    assert c.evidence[0] == "expect_view: a view (shares memory with its source)"
    assert c.evidence[1].startswith("track: 0 B left allocated")
    assert c.evidence[2].startswith("cross-check: NumPy's handler saw a peak of 0 B")  # memray measured it too
    assert c.evidence[3].startswith("relation: copy (shares memory: False")
    assert c.where == f"{__file__}:{line}"
    assert c.numpy == np.__version__


def test_a_false_claim_raises_and_names_itself():
    a = np.zeros((10, 10))
    with pytest.raises(viewcopy.UnexpectedCopyError) as info:
        with viewcopy.claims.claim("flatten-view", "flatten returns a view"):
            viewcopy.expect_view(a, a.flatten())
    printed = "".join(traceback.format_exception(info.value))
    assert "viewcopy claim 'flatten-view' failed: flatten returns a view" in printed


def test_claims_are_written_to_the_ledger_file(tmp_path, monkeypatch):
    ledger = tmp_path / "ledger.jsonl"
    monkeypatch.setenv(_ledger.LEDGER_ENV, str(ledger))
    a = np.zeros(4)
    with viewcopy.claims.claim("one", "first"):
        viewcopy.expect_copy(a, a.copy())
    with pytest.raises(AssertionError), viewcopy.claims.claim("two", "second"):
        raise AssertionError("measured 3, expected 4")
    rows = _ledger.read(ledger, page="auto_examples/plot_x")
    assert [(r["id"], r["verdict"], r["page"]) for r in rows] == [
        ("one", "holds", "auto_examples/plot_x"),
        ("two", "fails", "auto_examples/plot_x"),
    ]
    assert rows[1]["evidence"] == ["AssertionError: measured 3, expected 4"]


def test_nested_claims_both_get_the_evidence():
    a = np.zeros(4)
    with viewcopy.claims.claim("outer", "outer claim") as outer, viewcopy.claims.claim("inner", "inner claim") as inner:
        viewcopy.expect_view(a, a[1:])
    assert outer.evidence == inner.evidence == ["expect_view: a view (shares memory with its source)"]


@pytest.mark.parametrize(("claim_id", "sentence"), [("Has Spaces", "x"), ("", "x"), (3, "x"), ("ok-id", "  ")])
def test_bad_ids_and_sentences(claim_id, sentence):
    with pytest.raises(ValueError, match="claim"), viewcopy.claims.claim(claim_id, sentence):
        pass


# -- contract 1: a claim over a family of cases, and the quantifier rule --------------------------


class Named:
    def __init__(self, name):
        self.name = name


def test_a_plain_claim_has_one_case():
    with viewcopy.claims.claim("plain", "for this array, ravel is a view") as c:
        pass
    assert c.cases == 1
    assert c.row()["cases"] == 1


def test_over_counts_distinct_cases_whose_body_finished():
    with viewcopy.claims.claim("family", "copy() always copies") as c:
        seen = [case.name for case in c.over([Named("a"), Named("b"), Named("a")])]
    assert seen == ["a", "b", "a"]
    assert c.cases == 2  # by name: "a" twice is one case
    with viewcopy.claims.claim("by-position", "copy() always copies") as c:
        for _ in c.over(range(5)):
            pass
    assert c.cases == 5


def test_a_failing_case_is_not_counted_and_the_claim_fails():
    with pytest.raises(AssertionError), viewcopy.claims.claim("stops", "x is small") as c:
        for x in c.over([1, 2, 99, 3]):
            assert x < 10
    assert (c.cases, c.verdict) == (2, "fails")


def test_over_an_empty_family_is_zero_cases():
    with viewcopy.claims.claim("empty", "every array of none") as c:
        for _ in c.over([]):
            pass
    assert c.cases == 0


def test_cases_is_recorded_in_the_ledger(tmp_path):
    with _ledger.recording(tmp_path / "l.jsonl") as path:
        with viewcopy.claims.claim("family", "copy() always copies") as c:
            for _ in c.over(range(3)):
                pass
    assert [row["cases"] for row in _ledger.read(path, "p")] == [3]


def row(id="x", sentence="ravel of this array is a view", verdict="holds", cases=1, page="p"):
    return {"id": id, "sentence": sentence, "verdict": verdict, "cases": cases, "page": page, "evidence": ["e"]}


@pytest.mark.parametrize("word", ["always", "Never", "EVERY", "any", "all", "only", "whenever"])
def test_a_universal_word_needs_fifty_cases(word):
    sentence = f"ravel {word} returns a view"
    [problem] = _ledger.problems([row(id="planted", sentence=sentence)])
    assert "'planted'" in problem
    assert word in problem
    assert "1 case;" in problem
    assert _ledger.problems([row(sentence=sentence, cases=49)])
    assert _ledger.problems([row(sentence=sentence, cases=50)]) == []


@pytest.mark.parametrize("sentence", ["ravel is usually a view", "allocates nothing", "anything goes", "one-only"])
def test_universal_words_are_whole_words(sentence):
    expected = ["only"] if sentence == "one-only" else []  # a hyphen separates words
    assert [p.split("about ")[1].split()[0].strip("'") for p in _ledger.problems([row(sentence=sentence)])] == expected


def test_failed_verdicts_and_duplicate_ids_are_problems():
    [problem] = _ledger.problems([row(id="false", verdict="fails")])
    assert problem == "claim 'false' on p does not hold: e"
    [problem] = _ledger.problems([row(id="twice", page="a"), row(id="twice", page="b")])
    assert problem == "claim id 'twice' is used 2 times (on a, b)"


# -- issue 11.5: ledger faults never hide a claim's own error, and lose nothing ------------------


def ledger_faults(tmp_path):
    return {
        "a folder": tmp_path,
        "a full disk": "/dev/full",
        "a missing folder": tmp_path / "missing" / "ledger.jsonl",
    }


@pytest.mark.parametrize("fault", ["a folder", "a full disk", "a missing folder"])
def test_a_ledger_write_error_is_a_warning_carrying_the_record(tmp_path, monkeypatch, fault):
    monkeypatch.setenv(_ledger.LEDGER_ENV, str(ledger_faults(tmp_path)[fault]))
    a = np.zeros(4)
    with pytest.warns(_ledger.LedgerWarning, match="'kept' was not recorded") as warned:
        with viewcopy.claims.claim("kept", "ravel of this array is a view") as c:
            viewcopy.expect_view(a, a.ravel())
    assert c.verdict == "holds"
    assert "'sentence': 'ravel of this array is a view'" in str(warned[0].message)  # nothing lost


@pytest.mark.parametrize("fault", ["a folder", "a full disk", "a missing folder"])
def test_a_failing_claims_own_error_wins_over_the_ledger_error(tmp_path, monkeypatch, fault):
    monkeypatch.setenv(_ledger.LEDGER_ENV, str(ledger_faults(tmp_path)[fault]))
    a = np.zeros(4)
    with pytest.warns(_ledger.LedgerWarning), pytest.raises(viewcopy.UnexpectedCopyError) as info:
        with viewcopy.claims.claim("false", "flatten of this array is a view"):
            viewcopy.expect_view(a, a.flatten())
    assert "viewcopy claim 'false' failed" in "".join(traceback.format_exception(info.value))


@pytest.mark.filterwarnings("error")
def test_with_warnings_as_errors_the_claims_own_error_still_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(_ledger.LEDGER_ENV, "/dev/full")
    a = np.zeros(4)
    with pytest.raises(viewcopy.UnexpectedCopyError) as info:
        with viewcopy.claims.claim("false", "flatten of this array is a view"):
            viewcopy.expect_view(a, a.flatten())
    assert any("'false' was not recorded" in note for note in info.value.__notes__)


def test_a_truncated_last_line_is_named_with_file_and_line(tmp_path):
    path = tmp_path / "ledger.jsonl"
    with _ledger.recording(path):
        for i in range(2):
            with viewcopy.claims.claim(f"c{i}", "ravel of this array is a view"):
                pass
    path.write_bytes(path.read_bytes()[:-20])  # a run killed while writing the second line
    with pytest.raises(ValueError, match=rf"{path}:2: a truncated ledger line"):
        _ledger.read(path, "p")


def test_lines_written_by_many_threads_at_once_stay_whole(tmp_path):
    import threading

    path = tmp_path / "ledger.jsonl"
    long = "x" * 5000  # longer than a pipe buffer's atomic unit, in one write() call

    def make_claims(n):
        for i in range(100):
            with viewcopy.claims.claim(f"t{n}-{i}", f"ravel of this array is a view {long}"):
                pass

    with _ledger.recording(path):
        threads = [threading.Thread(target=make_claims, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    rows = _ledger.read(path, "p")
    assert len(rows) == 800
    assert len({row["id"] for row in rows}) == 800


def test_recording_restores_the_previous_target(tmp_path, monkeypatch):
    monkeypatch.setenv(_ledger.LEDGER_ENV, str(tmp_path / "outer.jsonl"))
    with _ledger.recording(tmp_path / "inner.jsonl"):
        assert _ledger.target() == str(tmp_path / "inner.jsonl")
        with _ledger.unrecorded():
            assert _ledger.target() is None
    assert _ledger.target() == str(tmp_path / "outer.jsonl")


def test_in_a_jupyter_kernel_a_claim_records_its_cell_not_a_temporary_file(monkeypatch):
    import types

    class Compiler:
        def format_code_name(self, name):
            return ("Cell", "In[7]") if name == __file__ else None

    shell = types.SimpleNamespace(compile=Compiler())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    line = sys._getframe().f_lineno + 1
    with viewcopy.claims.claim("in-a-cell", "ravel of this array is a view") as c:
        pass
    assert (c.cell, c.where) == (7, f"cell 7, line {line}")


def test_the_checks_stand_ins_for_ipython_are_not_a_kernel(monkeypatch):
    from viewcopy.claims.check import _DrawsNothing

    monkeypatch.setitem(sys.modules, "IPython", _DrawsNothing("IPython"))
    with viewcopy.claims.claim("no-cell", "ravel of this array is a view") as c:
        pass
    assert c.cell is None
    assert c.where.startswith(__file__)

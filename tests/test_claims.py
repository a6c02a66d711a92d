"""viewcopy.claim: verdicts, evidence, the ledger file, and failures that name the claim."""

from __future__ import annotations

import sys
import traceback

import numpy as np
import pytest

import viewcopy
from viewcopy import _ledger


def test_a_claim_that_holds_collects_evidence():
    a = np.zeros((10, 10))
    line = sys._getframe().f_lineno + 1
    with viewcopy.claim("ravel-view", "ravel of a contiguous array is a view") as c:
        with viewcopy.track():
            viewcopy.expect_view(a, a.ravel())
        viewcopy.relation(a, a.flatten())
    assert c.verdict == "holds"
    assert c.evidence[0] == "expect_view: a view (shares memory with its source)"
    assert c.evidence[1].startswith("track: no copy: 0 B allocated")
    assert c.evidence[2].startswith("relation: copy (shares memory: False")
    assert c.where == f"{__file__}:{line}"
    assert c.numpy == np.__version__


def test_a_false_claim_raises_and_names_itself():
    a = np.zeros((10, 10))
    with pytest.raises(viewcopy.UnexpectedCopyError) as info:
        with viewcopy.claim("flatten-view", "flatten returns a view"):
            viewcopy.expect_view(a, a.flatten())
    printed = "".join(traceback.format_exception(info.value))
    assert "viewcopy claim 'flatten-view' failed: flatten returns a view" in printed


def test_claims_are_written_to_the_ledger_file(tmp_path, monkeypatch):
    ledger = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("VIEWCOPY_LEDGER", str(ledger))
    a = np.zeros(4)
    with viewcopy.claim("one", "first"):
        viewcopy.expect_copy(a, a.copy())
    with pytest.raises(AssertionError), viewcopy.claim("two", "second"):
        raise AssertionError("measured 3, expected 4")
    rows = _ledger.read(ledger, page="auto_examples/plot_x")
    assert [(r["id"], r["verdict"], r["page"]) for r in rows] == [
        ("one", "holds", "auto_examples/plot_x"),
        ("two", "fails", "auto_examples/plot_x"),
    ]
    assert rows[1]["evidence"] == ["AssertionError: measured 3, expected 4"]


def test_nested_claims_both_get_the_evidence():
    a = np.zeros(4)
    with viewcopy.claim("outer", "outer claim") as outer, viewcopy.claim("inner", "inner claim") as inner:
        viewcopy.expect_view(a, a[1:])
    assert outer.evidence == inner.evidence == ["expect_view: a view (shares memory with its source)"]


@pytest.mark.parametrize(("claim_id", "sentence"), [("Has Spaces", "x"), ("", "x"), (3, "x"), ("ok-id", "  ")])
def test_bad_ids_and_sentences(claim_id, sentence):
    with pytest.raises(ValueError, match="claim"), viewcopy.claim(claim_id, sentence):
        pass


# -- contract 1: a claim over a family of cases, and the quantifier rule --------------------------


class Named:
    def __init__(self, name):
        self.name = name


def test_a_plain_claim_has_one_case():
    with viewcopy.claim("plain", "for this array, ravel is a view") as c:
        pass
    assert c.cases == 1
    assert c.row()["cases"] == 1


def test_over_counts_distinct_cases_whose_body_finished():
    with viewcopy.claim("family", "copy() always copies") as c:
        seen = [case.name for case in c.over([Named("a"), Named("b"), Named("a")])]
    assert seen == ["a", "b", "a"]
    assert c.cases == 2  # by name: "a" twice is one case
    with viewcopy.claim("by-position", "copy() always copies") as c:
        for _ in c.over(range(5)):
            pass
    assert c.cases == 5


def test_a_failing_case_is_not_counted_and_the_claim_fails():
    with pytest.raises(AssertionError), viewcopy.claim("stops", "x is small") as c:
        for x in c.over([1, 2, 99, 3]):
            assert x < 10
    assert (c.cases, c.verdict) == (2, "fails")


def test_over_an_empty_family_is_zero_cases():
    with viewcopy.claim("empty", "every array of none") as c:
        for _ in c.over([]):
            pass
    assert c.cases == 0


def test_cases_is_recorded_in_the_ledger(tmp_path):
    with _ledger.recording(tmp_path / "l.jsonl") as path:
        with viewcopy.claim("family", "copy() always copies") as c:
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
    assert [p.split("says ")[1].split()[0].strip("'") for p in _ledger.problems([row(sentence=sentence)])] == expected


def test_failed_verdicts_and_duplicate_ids_are_problems():
    [problem] = _ledger.problems([row(id="false", verdict="fails")])
    assert problem == "claim 'false' on p does not hold: e"
    [problem] = _ledger.problems([row(id="twice", page="a"), row(id="twice", page="b")])
    assert problem == "claim id 'twice' is used 2 times (on a, b)"


def test_grandfathered_ids_are_exempt_from_the_quantifier_rule_only():
    grandfathered = sorted(_ledger.GRANDFATHERED)[:1]
    if not grandfathered:
        pytest.skip("nothing is grandfathered any more")
    assert _ledger.problems([row(id=grandfathered[0], sentence="always")]) == []
    assert _ledger.problems([row(id=grandfathered[0], sentence="always", verdict="fails")])

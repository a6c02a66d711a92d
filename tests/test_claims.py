"""viewcopy.claim: verdicts, evidence, the ledger file, and failures that name the claim."""

from __future__ import annotations

import sys
import traceback

import numpy as np
import pytest

import viewcopy
from viewcopy._claims import read_ledger


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
    rows = read_ledger(ledger, page="auto_examples/plot_x")
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

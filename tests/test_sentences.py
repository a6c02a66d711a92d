"""Issue 22: a sentence says no more than its check proves, judged by what it refers to."""

from __future__ import annotations

import re

import numpy as np
import pytest

import viewcopy
from viewcopy.claims import claim, ledger

pytestmark = pytest.mark.build  # Sphinx builds and docs/_ext: the NumPy releases' environments have no Sphinx


def _row(sentence: str, cases: int) -> dict[str, object]:
    # evidence: a row without it is a problem of its own, which would hide the one these tests look for
    return {"id": "planted", "page": "p", "sentence": sentence, "verdict": "holds", "cases": cases, "evidence": ["x"]}


def test_a_class_claim_checked_on_one_array_fails_though_it_has_no_rule_word():
    x = np.zeros((1000, 1000))[::2]  # one non-contiguous array, whose reshape(-1) does copy
    with ledger.unrecorded(), claim("planted", "reshape(-1) of a non-contiguous array copies") as c:
        c.check(viewcopy.relation(x, x.reshape(-1)).kind == "copy", "x.reshape(-1) is a copy")
    assert ledger.UNIVERSAL.search(c.sentence) is None  # the old word rule passed it
    (problem,) = ledger.problems([{**c.row(), "page": "p"}])
    assert "states a rule about 'a non-contiguous array' but was checked on 1 case" in problem


@pytest.mark.parametrize(
    "sentence",
    [
        "reshape(-1) of this non-contiguous array copies",
        "`x.reshape(-1)` copies",
        "for the array above, reshape(-1) copies",
        "x.T.reshape(-1) returns a copy",
        "reshape(-1) can view an array that ravel copies",
        "flatten returns a new array",
        "on NumPy 2.4.6, strided @ right peaks at result + operand",
        "pd.DataFrame(arr) copies arr, the same data as a 2-D array of 80.0 MB",
    ],
)
def test_a_sentence_that_names_its_array_or_says_what_a_result_is_may_rest_on_one_case(sentence):
    assert ledger.problems([_row(sentence, 1)]) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "an empty array's flatten allocates 1 B",
        "ravel of F-contiguous arrays copies",
        "writing through a ravel view changes the source",
        "any view of a buffer keeps it alive",
        "ravel always returns a view",
        "ravel copies a transposed array",
        "reshape(-1) copies non-contiguous input",
        "reshape(-1) copies when the data is non-contiguous",
        "a strided operand is copied by matmul into scratch memory",
    ],
)
def test_a_general_sentence_needs_a_family(sentence):
    assert ledger.problems([_row(sentence, 1)])
    assert ledger.problems([_row(sentence, ledger.MIN_CASES)]) == []


# -- the {claim} role and the sentence lint, on the small site ------------------------------------


def test_a_rendered_claim_is_the_ledgers_sentence_linked_to_its_row(built_site):
    site, build = built_site
    assert build.returncode == 0, build.output
    page = (site.docs / "_build" / "html" / "page.html").read_text()
    found = re.search(r'<a class="[^"]*viewcopy-claim[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert found, "no rendered claim on page.html"
    assert found.group(1).endswith("claims.html#claim-page-flatten-copies")
    assert found.group(2) == "flatten of this array is a copy"  # the sentence the claim ran with, as recorded


def test_an_unchecked_sentence_about_memory_fails_the_build(fresh_site):
    fresh_site.replace(
        "docs/page.md",
        "What the page checked",
        "Flatten of a big array allocates twice its bytes. What the page checked",
    )
    build = fresh_site.build()
    assert build.returncode != 0
    found = re.search(
        r"(\S+): WARNING: a statement about memory that is not a claim: 'Flatten of a big array allocates", build.output
    )
    assert found, build.output
    assert found.group(1).endswith("page.md"), build.output  # names the page and the sentence


def test_a_claim_id_no_page_made_fails_the_build(fresh_site):
    fresh_site.replace("docs/page.md", "{claim}`page-flatten-copies`", "{claim}`page-flatten-copes`")
    build = fresh_site.build()
    assert build.returncode != 0
    assert "cites claim 'page-flatten-copes', which no page made" in build.output


def test_the_debt_list_only_shrinks(fresh_site):
    # a listed sentence passes (numbers compared as #), and a listed one the page no longer says fails the build
    import viewcopy_sentences

    planted = "Flatten of this array allocates 128 bytes."
    fresh_site.replace("docs/page.md", "What the page checked", planted + " What the page checked")
    debt = fresh_site.docs / "_ext" / viewcopy_sentences.DEBT.name
    debt.parent.mkdir()
    debt.write_text(viewcopy_sentences.key("page", "Flatten of this array allocates 64 bytes.") + "\n")
    assert fresh_site.build().returncode == 0
    debt.write_text(debt.read_text() + viewcopy_sentences.key("page", "Ravel of this array allocates nothing.") + "\n")
    build = fresh_site.build()
    assert build.returncode != 0
    assert "lists a sentence this page no longer says: 'Ravel of this array" in build.output


# -- the renderer's words, and definitions (reader round 1, findings 17 and 18) -------------------


@pytest.mark.parametrize(
    ("sentence", "opening"),
    [
        ("x.T, x[::2] and x[..., ::-1] are views of x", "x.T, x[::2] and x[..., ::-1] are views of x"),
        ("reshape(-1) of this array copies", "reshape(-1) of this array copies"),
        ("np.ravel of grid views", "np.ravel of grid views"),
        ("for grid.T, ravel copies in order 'C'", "For grid.T, ravel copies in order 'C'"),
        ("a copy owns its buffer", "A copy owns its buffer"),
        ("x is a view", "x is a view"),
    ],
)
def test_a_claim_opening_a_sentence_capitalises_prose_not_code(sentence, opening):
    import viewcopy_sentences

    assert viewcopy_sentences.capitalised(sentence) == opening


def test_text_that_says_the_claims_opening_words_before_it_is_caught():
    import viewcopy_sentences

    assert viewcopy_sentences.repeated("For `grid.T`: ", "for grid.T, ravel copies") == "for grid.t"
    assert viewcopy_sentences.repeated("Done. For grid.T:", "for grid.T, ravel copies") == "for grid.t"
    assert viewcopy_sentences.repeated("Transposed: ", "for grid.T, ravel copies") == ""
    assert viewcopy_sentences.repeated("", "for grid.T, ravel copies") == ""


def test_a_definition_that_states_a_memory_fact_beyond_its_term_is_linted():
    import viewcopy_sentences
    from docutils import nodes

    def glossary(text):
        entry = nodes.definition_list_item("", nodes.term("", "t"), nodes.definition("", nodes.paragraph("", text)))
        return nodes.section("", nodes.definition_list("", entry, classes=["glossary"]))

    planted = "The flag owndata: true when a allocated its buffer itself (it is not a view)."
    assert viewcopy_sentences.unchecked(glossary(planted)) == [planted]
    assert viewcopy_sentences.unchecked(glossary("The block of bytes that holds an array's elements.")) == []
    # a {dfn} sentence in a page: the marked term and its defining clause pass, a fact after them does not
    dfn = nodes.inline("", "owns", classes=["dfn"])
    said = nodes.paragraph(
        "",
        "",
        nodes.Text("The array that allocated a buffer "),
        dfn,
        nodes.Text(" it: its OWNDATA flag is true and its base is None."),
    )
    assert viewcopy_sentences.unchecked(nodes.section("", said)) == [
        "The array that allocated a buffer owns it: its OWNDATA flag is true and its base is None."
    ]
    defined = nodes.paragraph(
        "",
        "",
        nodes.Text("An array is "),
        nodes.inline("", "C-contiguous", classes=["dfn"]),
        nodes.Text(" when reading it row by row steps through one block without a gap."),
    )
    assert viewcopy_sentences.unchecked(nodes.section("", defined)) == []
    # the defining clause runs through the last term marked: a fact after it is linted
    two = nodes.paragraph(
        "",
        "",
        nodes.Text("A result is a "),
        nodes.inline("", "view", classes=["dfn"]),
        nodes.Text(" when it reads its source's memory, and a "),
        nodes.inline("", "copy", classes=["dfn"]),
        nodes.Text(" when it reads none of it, so it allocates its own buffer."),
    )
    assert viewcopy_sentences.unchecked(nodes.section("", two)) == [
        (
            "A result is a view when it reads its source's memory, and a copy when it reads none of it, so it allocates "
            "its own buffer."
        )
    ]

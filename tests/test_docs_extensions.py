"""docs/_ext's modules, each tested alone, without a Sphinx build: section mapping, table cells, the versions page."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.build  # the docs' own code: the NumPy releases' environments have no Sphinx

nodes = pytest.importorskip("docutils.nodes")
import viewcopy_sections
import viewcopy_tables
import viewcopy_versions


def section(ident: str, *children):
    node = nodes.section(ids=[ident])
    node.extend(children)
    return node


def test_each_claim_is_placed_in_the_section_of_its_cell():
    cell = nodes.container(nb_element="cell_code", exec_count=2)
    doctree = nodes.document(None, None)
    doctree += section("intro", nodes.paragraph(text="no code"))
    doctree += section("copies", cell)
    rows = [{"cell": 2}, {"cell": 9}]
    viewcopy_sections.place(doctree, rows)
    assert [row["section"] for row in rows] == ["copies", ""]  # a cell that is not there: no section, not a wrong one


def test_a_node_outside_every_section_has_no_section_id():
    assert viewcopy_sections.section_id(nodes.paragraph()) == ""


def test_repeated_evidence_is_folded_with_its_count_in_first_order():
    assert viewcopy_tables.folded(["b", "a", "b", "b"]) == ["b (\u00d73)", "a"]


def test_a_cell_says_holds_differs_fails_or_not_run_against_the_newest_release():
    newest = {"verdict": "holds", "evidence": ["0 B copied, peak 1.0 kB"]}
    same_but_noise = {"verdict": "holds", "evidence": ["0 B copied, peak 2.0 kB"]}  # tracemalloc's peak varies
    other = {"verdict": "holds", "evidence": ["8.0 MB copied"]}
    failed = {"verdict": "fails", "evidence": ["8.0 MB copied"]}
    judged = [viewcopy_versions.cell(row, newest) for row in (same_but_noise, other, failed, None)]
    assert [entry.astext().split("\n")[0] for entry, _ in judged] == ["holds", "differs", "fails", "not run"]
    assert [differs for _, differs in judged] == [False, True, True, True]


def test_timings_and_resident_sizes_are_not_compared_but_numpys_bytes_are():
    newest = {
        "verdict": "holds",
        "evidence": [
            "7,730x at 12.8 MB",
            "raised after 3.2 s",
            "cost 541 CPU-s",
            "rise 65.5 MB, table 64.0 MB",
            "copy: 8.0 MB allocated",
        ],
    }
    noisy = {
        "verdict": "holds",
        "evidence": [
            "9,001x at 12.8 MB",
            "raised after 4.91 s",
            "cost 612 CPU-s",
            "rise 65.4 MB, table 64.0 MB",
            "copy: 8.0 MB allocated",
        ],
    }
    numpy_differs = dict(noisy, evidence=[*noisy["evidence"][:4], "copy: 16.0 MB allocated"])
    other_size = dict(noisy, evidence=["7,730x at 25.6 MB", *noisy["evidence"][1:]])  # the size timed is not noise
    judged = [viewcopy_versions.cell(row, newest) for row in (noisy, numpy_differs, other_size)]
    assert [differs for _, differs in judged] == [False, True, True]


def test_a_difference_that_follows_a_library_names_it():
    results = [{"libraries": {"pandas": p, "pyarrow": "26.0.1"}} for p in ("2.3.3", "2.3.3", "3.1.1", "3.1.1")]
    assert viewcopy_versions.follows_library(results, [True, True, False, False]) == "pandas 2.3.3"
    assert viewcopy_versions.follows_library(results, [True, False, False, False]) == ""  # not where pandas changes
    assert viewcopy_versions.follows_library(results, [False] * 4) == ""
    row = {"verdict": "holds", "evidence": ["a copy"]}
    judged, _ = viewcopy_versions.cell(row, {"verdict": "holds", "evidence": ["a view"]}, "pandas 2.3.3")
    assert judged.astext().split("\n")[0] == "differs (with pandas 2.3.3)"


def test_the_releases_are_read_oldest_first_with_their_libraries(tmp_path):
    for numpy in ("2.10.0", "1.26.4", "2.4.6"):
        series = ".".join(numpy.split(".")[:2])
        (tmp_path / f"numpy-{series}.json").write_text(json.dumps({"numpy": numpy, "python": "3.12.1", "claims": []}))
    (tmp_path / "numpy-1.26.libraries.json").write_text(json.dumps({"pandas": "2.3.3", "pyarrow": "26.0.1"}))
    results = viewcopy_versions.read_matrix(tmp_path)
    assert [r["numpy"] for r in results] == ["1.26.4", "2.4.6", "2.10.0"]  # by number, not by text
    assert results[0]["libraries"] == {"pandas": "2.3.3", "pyarrow": "26.0.1"}
    assert results[1]["libraries"] == {}


def test_the_libraries_table_has_a_row_per_release_and_says_what_was_not_installed():
    results = [
        {"numpy": "1.26.4", "python": "3.12.1", "libraries": {"pandas": "2.3.3", "polars": "2.1.0"}},
        {"numpy": "2.5.5", "python": "3.12.1", "libraries": {"pandas": "3.1.1"}},
    ]
    rows = list(viewcopy_versions.libraries_table(results).findall(nodes.row))
    texts = [[entry.astext() for entry in row.findall(nodes.entry)] for row in rows]
    assert texts[0][:5] == ["NumPy", "Python", "pandas", "pyarrow", "polars"]
    assert texts[1][:5] == ["1.26.4", "3.12.1", "2.3.3", "not installed", "2.1.0"]
    assert texts[2][2] == "3.1.1"

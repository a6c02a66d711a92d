"""Adding a page touches one list: the toctree of docs/index.md. These tests fail when something disagrees."""

from __future__ import annotations

import re

import viewcopy_gallery
from conftest import ROOT

from viewcopy.claims import ledger as _ledger

DOCS = ROOT / "docs"
GENERATED = {"sg_execution_times"}  # written by sphinx-gallery, listed by nobody


def toctree(page: str) -> list[str]:
    block = re.search(r"^```\{toctree\}\n(.*?)^```", (DOCS / page).read_text(), re.DOTALL | re.MULTILINE)
    assert block, f"no toctree in docs/{page}"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith(":")]


def test_every_page_in_docs_is_in_the_one_list():
    pages = {p.stem for p in DOCS.glob("*") if p.suffix in {".md", ".rst"}} - {"index"} - GENERATED
    listed = toctree("index.md")
    assert sorted(pages - set(listed)) == [], "add these pages to the toctree of docs/index.md"
    assert sorted(set(listed) - pages - {"auto_examples/index"}) == [], "these toctree entries are not files"


def test_the_gallery_order_names_only_scripts_that_exist():
    scripts = {p.name for p in (ROOT / "examples").glob("*.py")}
    assert sorted(set(viewcopy_gallery.ORDER) - scripts) == []
    key = viewcopy_gallery.GalleryOrder(str(ROOT / "examples"))
    ordered = sorted(scripts, key=key)
    assert ordered[: len(viewcopy_gallery.ORDER)] == list(viewcopy_gallery.ORDER)  # new scripts come after


def test_executed_pages_are_found_by_their_front_matter():
    executed = {page for page, path in _ledger.sources(ROOT) if path.suffix == ".md"}
    assert {"index", "measure", "production", "how-it-checks"} <= executed
    assert not executed & {"claims", "versions"}  # no front matter saying so
    assert _ledger.is_executed("---\nfile_format: mystnb\n---\n# x\n")
    assert _ledger.is_executed("---\nkernelspec:\n  name: python3\n---\n# x\n")
    assert not _ledger.is_executed("# A page that shows ```{code-cell}``` in its text\n")

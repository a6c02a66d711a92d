"""Sphinx extension: the claims ledger (``{claims-ledger}``), and a note on each page that makes claims.

While the site is built, every gallery script (:func:`start_example`, a
sphinx-gallery hook) and every executed MyST page (``source-read``) records
its claims to its own ledger file under ``_build/ledger/``, through
:mod:`viewcopy.claims.ledger`.  When a page's doctree is read, its rows are read
back, each placed in the section it was made in, and kept on the build
environment (``env.viewcopy_claims``, purged and merged per page: parallel
reading is safe).  Once every page is read, :func:`viewcopy.ledger.problems`
decides what fails the build, exactly as ``python -m viewcopy check`` does.
The tables are built by :mod:`viewcopy_tables`; the sections found by
:mod:`viewcopy_sections`; the versions page is :mod:`viewcopy_versions`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import viewcopy_sections
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from viewcopy_tables import entry, lines_entry, link, para, plural, section_title, tables_by_page

from viewcopy.claims import ledger

logger = logging.getLogger(__name__)

LEDGER_PAGE = "claims"


def ledger_dir(srcdir: str | Path) -> Path:
    """Where a site's pages record their claims (``nox -s docs -- clean`` removes it)."""
    return Path(srcdir) / "_build" / "ledger"


# -- recording: each page to its own ledger file -----------------------------------------------------


def start_example(gallery_conf: dict[str, Any], fname: str) -> None:
    """sphinx-gallery ``reset_modules`` hook: the example about to run records into its own ledger file."""
    src_dir = Path(gallery_conf["src_dir"])
    page = ledger.page_name(src_dir.parent, src_dir.parent / "examples" / Path(fname).name)
    ledger.start(ledger.ledger_file(ledger_dir(src_dir), page))


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    """An executed page records into a fresh ledger file; its kernel starts after this and inherits it."""
    if app.env.doc2path(docname).suffix != ".md":
        return  # gallery pages are recorded when sphinx-gallery runs their script
    path = ledger.ledger_file(ledger_dir(app.srcdir), docname)
    if ledger.is_executed(source[0]):
        ledger.start(path)
    else:
        path.unlink(missing_ok=True)


# -- reading: each page's rows, placed in their sections, kept on the environment ---------------------


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    claims = _claims(env)
    claims.pop(docname, None)
    path = ledger.ledger_file(ledger_dir(app.srcdir), docname)
    if not path.exists():
        return
    try:
        rows = ledger.read(path, docname)
    except (ValueError, TypeError) as error:
        logger.warning(str(error), location=docname)
        return
    viewcopy_sections.place(doctree, rows)
    claims[docname] = rows


def _claims(env: BuildEnvironment) -> dict[str, list[dict[str, Any]]]:
    if not hasattr(env, "viewcopy_claims"):
        env.viewcopy_claims = {}
    return env.viewcopy_claims


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _claims(env).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment) -> None:
    theirs = _claims(other)
    _claims(env).update({d: theirs[d] for d in docnames if d in theirs})


def all_rows(env: BuildEnvironment) -> list[dict[str, Any]]:
    """Every claim of the site, page by page in name order, each page's in the order they were made."""
    claims = _claims(env)
    return [row for page in sorted(claims) if page in env.found_docs for row in claims[page]]


def _env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    # an assert in a claim source fails the build as it fails the check (python -O would strip it)
    for problem in ledger.source_problems(Path(app.srcdir).parent) + ledger.problems(all_rows(env)):
        logger.warning(problem, type="viewcopy", subtype="claim")
    return [LEDGER_PAGE] if LEDGER_PAGE in env.found_docs else []  # always rewritten


def _ledger_nodes(app: Sphinx, docname: str) -> list[nodes.Node]:
    rows = all_rows(app.env)
    body = []
    for row in rows:
        page, section = row["page"], row.get("section", "")
        body.append(
            (
                page,
                nodes.row(
                    "",
                    entry(nodes.reference("", row["id"], refuri=f"#claim-{row['id']}", classes=["viewcopy-id"])),
                    entry(row["sentence"]),
                    entry(link(app, docname, page, section, section_title(app.env, page, section))),
                    lines_entry(row["evidence"] or ["assertions only"], classes=["viewcopy-evidence"]),
                    entry(str(row["cases"])),
                    entry(row["verdict"], classes=[f"viewcopy-{row['verdict']}"]),
                    ids=[f"claim-{row['id']}"],
                ),
            )
        )
    # each table is one page's (its caption links to it): a row links to the section that makes the claim
    headers = ["id", "claim", "section", "evidence", "cases", "verdict"]  # one NumPy, one Python: said once, above
    data = app.builder.get_relative_uri(docname, "index").rpartition("/")[0]
    data = f"{data}/claims.json" if data else "claims.json"
    return [
        nodes.paragraph(text=plural(len(rows), "claim"), classes=["viewcopy-count"]),
        *[
            para(f"Each was run with NumPy {numpy} on Python {python} when this site was built.")
            for numpy, python in sorted({(row["numpy"], row["python"]) for row in rows})
        ],
        *tables_by_page(app, docname, headers, body, ["viewcopy-ledger"]),
        para("The ledger as data: ", nodes.reference("", "claims.json", refuri=data), "."),
    ]


# -- placing the tables and notes ----------------------------------------------------------------------


class ledger_placeholder(nodes.General, nodes.Element):
    """Replaced by the ledger table once every page has been read."""


class ClaimsLedger(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [ledger_placeholder()]


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(ledger_placeholder)):
        node.replace_self(_ledger_nodes(app, docname))
    made_here = _claims(app.env).get(docname, [])
    if made_here and docname != LEDGER_PAGE:
        n = len(made_here)
        note = nodes.admonition(classes=["viewcopy-claims-here"])
        note += nodes.title(text="Claims checked on this page")
        note += para(
            f"This page makes {plural(n, 'claim')}; {'it' if n == 1 else 'each'} was executed when the site was "
            f"built, with NumPy {made_here[0]['numpy']}, and held. ",
            link(app, docname, LEDGER_PAGE, f"page={docname}", "See them in the claims ledger."),
        )
        doctree.append(note)


# The theme wraps each table in a .pst-scrollable-table-container, and its script measures every one of
# them on load to decide whether it scrolls (a forced layout of the whole page: 200 to 400 ms of a
# phone's time on the ledger).  A claims table scrolls sideways on a phone: its wrapper is a named
# region that the keyboard reaches (axe: scrollable-region-focusable), decided here, once.
CLAIMS_TABLE = re.compile(
    r'<div class="pst-scrollable-table-container">'
    r'(<table class="viewcopy-sortable[^>]*>\s*<caption><span class="caption-text">(.*?)</span>)',
    re.DOTALL,
)
TAG = re.compile(r"<[^>]+>")


def _scroll_region(match: re.Match[str]) -> str:
    name = html.escape(html.unescape(TAG.sub("", match[2])).strip(), quote=True)
    return f'<div class="viewcopy-scroll" role="region" tabindex="0" aria-label="Claims of {name}">{match[1]}'


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    context["claims_verified"] = len(all_rows(app.env))
    if "body" in context and "viewcopy-sortable" in context["body"]:
        context["body"] = CLAIMS_TABLE.sub(_scroll_region, context["body"])


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        record = {"numpy": np.__version__, "claims": all_rows(app.env)}
        (Path(app.outdir) / "claims.json").write_text(json.dumps(record, indent=1))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(ledger_placeholder)
    app.add_directive("claims-ledger", ClaimsLedger)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-updated", _env_updated)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}

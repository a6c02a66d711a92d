"""The site's own Sphinx extension: the claims ledger, the NumPy versions page, gallery helpers.

Claims are recorded by the checks themselves (:func:`viewcopy.claim`): while a
gallery script or an executed page runs, ``VIEWCOPY_LEDGER`` names a
JSON-lines file for that page under ``_build/ledger/``. After reading, the
files are the ledger; this module only renders them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import viewcopy
from viewcopy import _ledger

logger = logging.getLogger(__name__)

BUILD = Path(__file__).resolve().parents[1] / "_build"
LEDGER_DIR = BUILD / "ledger"
MATRIX_DIR = BUILD / "matrix"
LEDGER_PAGE = "claims"
VERSIONS_PAGE = "versions"


# -- gallery helpers (named in sphinx_gallery_conf) ---------------------------


class TracemallocMemory:
    """sphinx-gallery's ``show_memory``: a code block's peak traced memory, in MB.

    tracemalloc sees exactly what the example allocates; the process RSS
    that sphinx-gallery would read otherwise is mostly Sphinx itself.  A
    class with a stable repr, not a function, so Sphinx can cache the config.
    """

    def __call__(self, func: Callable[[], Any]) -> tuple[float, Any]:
        with viewcopy.track() as tracked:
            out = func()
        return tracked.peak_bytes / 1e6, out

    def __repr__(self) -> str:
        return "TracemallocMemory()"


class GalleryOrder:
    """sphinx-gallery sort key: the gallery in reading order, new scripts last."""

    ORDER = (
        "plot_ravel_vs_flatten.py",
        "plot_order_semantics.py",
        "plot_what_doesnt_work.py",
        "plot_faq.py",
        "plot_related_traps.py",
        "plot_etl_pipeline.py",
        "plot_copy_cost.py",
    )

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        position = self.ORDER.index(filename) if filename in self.ORDER else len(self.ORDER)
        return position, filename

    def __repr__(self) -> str:
        return "GalleryOrder()"


def _start_ledger(page: str) -> None:
    """Point viewcopy's claim recorder at a fresh ledger file for ``page``."""
    _ledger.start(_ledger.ledger_file(LEDGER_DIR, page))


def start_example(gallery_conf: dict[str, Any], fname: str) -> None:
    """sphinx-gallery ``reset_modules`` hook: each example records into its own ledger file."""
    _start_ledger(f"{gallery_conf['gallery_dirs']}/{Path(fname).stem}")


# -- reading the ledger --------------------------------------------------------


def read_ledger() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(LEDGER_DIR.glob("*.jsonl")):
        rows += _ledger.read(path, page=_ledger.page_of(path))
    return rows


def _heading_before(source: Path, line: int) -> str | None:
    """The title of the last section heading above ``line`` of a gallery script or MyST page."""
    lines = source.read_text(encoding="utf-8").splitlines()[:line]
    for i in range(len(lines) - 1, 0, -1):
        if source.suffix == ".py" and re.fullmatch(r"# -{3,}", lines[i]) and lines[i - 1].startswith("# "):
            return lines[i - 1][2:]
        if source.suffix == ".md" and re.match(r"#{1,6} ", lines[i]):
            return lines[i].lstrip("#").strip()
    return None


def _plain(title: str) -> str:
    title = title.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))  # smart quotes
    return re.sub(r"[`*]|\{[a-z:]+\}", "", title).strip()


def _anchors(app: Sphinx, rows: list[dict[str, Any]]) -> dict[int, str]:
    """Row index -> '#section-id' on its page, found from the heading above the claim."""
    found: dict[int, str] = {}
    sections: dict[str, dict[str, str]] = {}
    for index, row in enumerate(rows):
        page = row["page"]
        if page not in app.env.all_docs:
            continue
        if page not in sections:
            doctree = app.env.get_doctree(page)
            sections[page] = {
                _plain(s[0].astext()): s["ids"][0] for s in doctree.findall(nodes.section) if s["ids"] and len(s)
            }
        source_file, _, line = row["where"].rpartition(":")
        source = Path(source_file)
        if not source.is_file():  # an executed page: find the claim's id in the page's text
            source = Path(app.env.doc2path(page))
            text = source.read_text(encoding="utf-8")
            line = str(text[: max(text.find(f'"{row["id"]}"'), 0)].count("\n") + 1)
        title = _heading_before(source, int(line)) if line.isdigit() else None
        if title and _plain(title) in sections[page]:
            found[index] = "#" + sections[page][_plain(title)]
    return found


# -- directives: placeholders filled in once every page has run ---------------


class ledger_placeholder(nodes.General, nodes.Element):
    pass


class matrix_placeholder(nodes.General, nodes.Element):
    pass


class ClaimsLedger(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [ledger_placeholder()]


class NumpyMatrix(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [matrix_placeholder()]


def _cell(text: str) -> str:
    return f"<td>{html.escape(text)}</td>"


def _ledger_html(app: Sphinx, docname: str) -> str:
    rows = app.viewcopy_rows
    out = [
        '<div class="viewcopy-ledger">',
        (
            '<input type="search" class="viewcopy-filter" placeholder="Filter claims: id, page, words, verdict" '
            'aria-label="Filter claims">'
        ),
        f'<p class="viewcopy-count">{len(rows)} claims</p>',
        '<table class="table viewcopy-sortable"><thead><tr>',
        "".join(f"<th>{h}</th>" for h in ("id", "claim", "page", "evidence", "cases", "verdict", "NumPy", "Python")),
        "</tr></thead><tbody>",
    ]
    for index, row in enumerate(rows):
        href = app.builder.get_relative_uri(docname, row["page"]) + app.viewcopy_anchors.get(index, "")
        title = app.env.titles[row["page"]].astext() if row["page"] in app.env.titles else row["page"]
        evidence = "<br>".join(html.escape(e) for e in row["evidence"]) or "assertions only"
        out.append(
            f'<tr id="claim-{row["id"]}" data-page="{html.escape(row["page"])}">'
            f'<td><a href="#claim-{row["id"]}"><code>{row["id"]}</code></a></td>'
            f"{_cell(row['sentence'])}"
            f'<td><a href="{href}">{html.escape(title)}</a></td>'
            f'<td class="viewcopy-evidence">{evidence}</td>'
            f"{_cell(str(row['cases']))}"
            f'<td class="viewcopy-{row["verdict"]}">{row["verdict"]}</td>'
            f"{_cell(row['numpy'])}{_cell(row['python'])}</tr>"
        )
    out.append("</tbody></table>")
    json_href = app.builder.get_relative_uri(docname, "index").replace("index.html", "") + "claims.json"
    out.append(f'<p>The ledger as data: <a href="{json_href}">claims.json</a>.</p></div>')
    return "\n".join(out)


def read_matrix() -> list[dict[str, Any]]:
    results = [json.loads(p.read_text()) for p in MATRIX_DIR.glob("numpy-*.json")]
    return sorted(results, key=lambda r: tuple(int(x) for x in re.findall(r"\d+", r["numpy"])[:3]))


NOISE = re.compile(r", peak [0-9.]+ [kMGT]?B")


def _evidence_key(row: dict[str, Any]) -> list[str]:
    """Evidence with tracemalloc's peak removed: it includes Python objects, which vary by release."""
    return [NOISE.sub("", e) for e in row["evidence"]]


def _matrix_html(app: Sphinx, docname: str) -> str:
    results = read_matrix()
    if not results:
        return (
            '<div class="admonition warning"><p class="admonition-title">Not measured in this build</p>'
            "<p>Run <code>nox -s matrix</code> before building the site to fill this page.</p></div>"
        )
    newest = results[-1]
    ids = [row["id"] for row in newest["claims"]]
    for result in results[:-1]:
        ids += [row["id"] for row in result["claims"] if row["id"] not in ids]
    by_version = {r["numpy"]: {row["id"]: row for row in r["claims"]} for r in results}
    pages = {row["id"]: row["page"] for result in results for row in result["claims"]}
    differing = 0
    out = [
        (
            f"<p>Each claim was run under NumPy {', '.join(r['numpy'] for r in results)} "
            f"(Python {newest['python']}). A cell reads <em>holds</em> when the claim held with the same evidence "
            f"as on NumPy {newest['numpy']}, <em>differs</em> when it held but NumPy did something different "
            "(the evidence is shown), <em>fails</em> when it did not hold.</p>"
        ),
        (
            '<input type="search" class="viewcopy-filter" placeholder="Filter: id, version, differs, fails" '
            'aria-label="Filter claims">'
        ),
        '<table class="table viewcopy-sortable"><thead><tr><th>claim</th>',
        "".join(f"<th>NumPy {r['numpy']}</th>" for r in results),
        "</tr></thead><tbody>",
    ]
    for claim_id in ids:
        reference = by_version[newest["numpy"]].get(claim_id)
        cells = []
        row_differs = False
        for result in results:
            row = by_version[result["numpy"]].get(claim_id)
            if row is None:
                cells.append('<td class="viewcopy-missing">not run</td>')
                row_differs = True
            elif row["verdict"] != "holds":
                evidence = "<br>".join(html.escape(e) for e in row["evidence"])
                cells.append(f'<td class="viewcopy-fails"><strong>fails</strong><br>{evidence}</td>')
                row_differs = True
            elif reference is not None and _evidence_key(row) != _evidence_key(reference):
                evidence = "<br>".join(html.escape(e) for e in row["evidence"])
                cells.append(f'<td class="viewcopy-differs"><strong>differs</strong><br>{evidence}</td>')
                row_differs = True
            else:
                cells.append('<td class="viewcopy-holds">holds</td>')
        if row_differs and reference is not None:  # show what the others are compared with
            evidence = "<br>".join(html.escape(e) for e in reference["evidence"])
            cells[-1] = f'<td class="viewcopy-holds">holds (reference)<br>{evidence}</td>'
        differing += row_differs
        href = app.builder.get_relative_uri(docname, LEDGER_PAGE) + f"#claim-{claim_id}"
        page = app.builder.get_relative_uri(docname, pages[claim_id]) if pages[claim_id] in app.env.all_docs else ""
        out.append(
            f'<tr id="claim-{claim_id}"><td><a href="{href}"><code>{claim_id}</code></a>'
            + (f' <a href="{page}">(page)</a>' if page else "")
            + "</td>"
            + "".join(cells)
            + "</tr>"
        )
    out.append("</tbody></table>")
    out.insert(
        1, f"<p><strong>{differing} of {len(ids)} claims</strong> behave differently on at least one release.</p>"
    )
    for result in results:
        for failure in result["failures"]:
            out.append(
                f"<p>NumPy {result['numpy']}: {html.escape(failure['page'])} failed: {html.escape(failure['error'])}</p>"
            )
        for skip in result.get("skipped", []):
            out.append(
                f"<p>NumPy {result['numpy']}: {html.escape(skip['page'])} not run: {html.escape(skip['reason'])}</p>"
            )
    return "\n".join(out)


# -- events --------------------------------------------------------------------


def _config_inited(app: Sphinx, config: Any) -> None:
    LEDGER_DIR.mkdir(parents=True, exist_ok=True)


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if "{code-cell}" in source[0] and str(app.env.doc2path(docname)).endswith(".md"):
        _start_ledger(docname)  # the page's kernel starts after this and inherits the variable


def _always_reread(app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    return [page for page in (LEDGER_PAGE, VERSIONS_PAGE) if page in env.found_docs]


def _env_updated(app: Sphinx, env: Any) -> None:
    rows = [row for row in read_ledger() if row["page"] in env.found_docs]  # not a deleted page's
    for problem in _ledger.problems(rows):
        logger.warning(problem)
    app.viewcopy_rows = rows
    app.viewcopy_anchors = _anchors(app, rows)


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(ledger_placeholder)):
        node.replace_self(nodes.raw("", _ledger_html(app, docname), format="html"))
    for node in list(doctree.findall(matrix_placeholder)):
        node.replace_self(nodes.raw("", _matrix_html(app, docname), format="html"))
    made_here = [row for row in app.viewcopy_rows if row["page"] == docname]
    if made_here and docname != LEDGER_PAGE:
        href = app.builder.get_relative_uri(docname, LEDGER_PAGE) + "#page=" + docname
        note = nodes.admonition(classes=["viewcopy-claims-here"])
        note += nodes.title(text="Claims checked on this page")
        para = nodes.paragraph()
        para += nodes.Text(
            f"This page makes {len(made_here)} claims; each was executed when the site was built, "
            f"with NumPy {made_here[0]['numpy']}, and held. "
        )
        para += nodes.reference("", "See them in the claims ledger.", refuri=href, internal=True)
        note += para
        doctree.append(note)


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    context["claims_verified"] = len(app.viewcopy_rows) if hasattr(app, "viewcopy_rows") else 0


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html" and hasattr(app, "viewcopy_rows"):
        ledger = {"numpy": np.__version__, "claims": app.viewcopy_rows}
        (Path(app.outdir) / "claims.json").write_text(json.dumps(ledger, indent=1))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(ledger_placeholder)
    app.add_node(matrix_placeholder)
    app.add_directive("claims-ledger", ClaimsLedger)
    app.add_directive("numpy-matrix", NumpyMatrix)
    app.connect("config-inited", _config_inited)
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _always_reread)
    app.connect("env-updated", _env_updated)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": False, "parallel_write_safe": True}

"""Sphinx extension: the claims ledger, the NumPy versions page, and a note on each page that makes claims.

While the site is built, every gallery script (:func:`start_example`, a
sphinx-gallery hook) and every executed MyST page (``source-read``) records
its claims to its own ledger file under ``_build/ledger/``, through
:mod:`viewcopy.claims.ledger`.  When a page's doctree is read, its rows are read
back, each placed in the section it was made in, and kept on the build
environment (``env.viewcopy_claims``, purged and merged per page: parallel
reading is safe).  Once every page is read, :func:`viewcopy.ledger.problems`
decides what fails the build, exactly as ``python -m viewcopy check`` does.
Tables are docutils nodes, not HTML.
"""

from __future__ import annotations

import collections
import html
import itertools
import json
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from viewcopy.claims import ledger

logger = logging.getLogger(__name__)

LEDGER_PAGE = "claims"
VERSIONS_PAGE = "versions"


def ledger_dir(srcdir: str | Path) -> Path:
    """Where a site's pages record their claims (``nox -s docs -- clean`` removes it)."""
    return Path(srcdir) / "_build" / "ledger"


def matrix_dir(srcdir: str | Path) -> Path:
    """Where ``nox -s docs`` leaves one ``python -m viewcopy check --json`` result per NumPy release."""
    return Path(srcdir) / "_build" / "matrix"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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


def _section_id(node: nodes.Node) -> str:
    while node is not None and not (isinstance(node, nodes.section) and node["ids"]):
        node = node.parent
    return node["ids"][0] if node is not None else ""


def _gallery_block(row: dict[str, Any]) -> int | None:
    """Which code block (0, 1, ...) of its gallery script a claim was made in, from its line."""
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    source, _, line = row["where"].rpartition(":")
    if not line.isdigit() or not Path(source).is_file():
        return None
    code = [b for b in split_code_and_text_blocks(source)[1] if b.type == "code"]
    starts = [b.lineno for b in code]
    index = sum(start <= int(line) for start in starts) - 1
    return index if index >= 0 else None


def _place(doctree: nodes.document, rows: list[dict[str, Any]]) -> None:
    """Give each row the id of the section it was made in: by cell (a page) or code block (a script)."""
    cells = {
        node["exec_count"]: _section_id(node)
        for node in doctree.findall(nodes.container)
        if node.get("nb_element") == "cell_code" and node.get("exec_count") is not None
    }
    blocks = [
        _section_id(node)
        for node in doctree.findall(nodes.literal_block)
        if str(node.get("language", "")).lower() == "python"
    ]
    for row in rows:
        if row.get("cell") is not None:
            row["section"] = cells.get(row["cell"], "")
        else:
            block = _gallery_block(row)
            row["section"] = blocks[block] if block is not None and block < len(blocks) else ""


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
    _place(doctree, rows)
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
    for problem in ledger.problems(all_rows(env)):
        logger.warning(problem, type="viewcopy", subtype="claim")
    return [page for page in (LEDGER_PAGE, VERSIONS_PAGE) if page in env.found_docs]  # always rewritten


# -- rendering: docutils tables -----------------------------------------------------------------------


def _para(*children: nodes.Node | str, classes: Iterable[str] = ()) -> nodes.paragraph:
    paragraph = nodes.paragraph(classes=list(classes))
    paragraph.extend(nodes.Text(c) if isinstance(c, str) else c for c in children)
    return paragraph


def _entry(*children: nodes.Node | str, classes: Iterable[str] = ()) -> nodes.entry:
    return nodes.entry("", _para(*children), classes=list(classes))


def folded(lines: Iterable[str]) -> list[str]:
    """Each distinct line once, where it first came, with its count when it came more than once.

    A claim checked over a family of 858 layouts gives a line per layout,
    most of them alike: unfolded, they made the ledger page 680 kB.
    """
    lines = list(lines)
    counts = collections.Counter(lines)
    return [f"{line} (\u00d7{counts[line]})" if counts[line] > 1 else line for line in dict.fromkeys(lines)]


def _lines(lines: Iterable[str], classes: Iterable[str] = ()) -> nodes.entry:
    """A cell of several lines, repeats folded: one paragraph, its lines kept by CSS (white-space: pre-line).

    One element, not one per line: some claims give dozens of lines of evidence, and a
    block per line made the ledger page 9,000 elements heavier.
    """
    return _entry("\n".join(folded(lines)), classes=["viewcopy-lines", *classes])


def _table(headers: list[str], body: list[nodes.row], classes: list[str]) -> nodes.table:
    group = nodes.tgroup(cols=len(headers))
    group.extend(nodes.colspec(colwidth=1) for _ in headers)
    group += nodes.thead("", nodes.row("", *(_entry(h) for h in headers)))
    group += nodes.tbody("", *body)
    return nodes.table("", group, classes=["viewcopy-sortable", *classes])


def _tables_by_page(
    app: Sphinx, docname: str, headers: list[str], rows: Iterable[tuple[str, nodes.row]], classes: list[str]
) -> list[nodes.Node]:
    """One table per page, captioned with the page's title, each in a block that a browser lays out only
    when it scrolls into view (CSS content-visibility): one table of every claim kept a phone busy for seconds.
    """
    out: list[nodes.Node] = []
    for page, group in itertools.groupby(rows, key=lambda page_row: page_row[0]):
        title = page_title(app.env, page)
        table = _table(headers, [row for _, row in group], [*classes, page_class(page)])
        table.insert(0, nodes.title("", "", _link(app, docname, page, "", title)))
        table["ids"] = [nodes.make_id(f"{classes[0]}-{page}")]  # a captioned table needs an id
        out.append(nodes.container("", table, classes=["viewcopy-group"]))
    return out


def _link(app: Sphinx, docname: str, target: str, anchor: str, *children: nodes.Node | str) -> nodes.reference:
    uri = app.builder.get_relative_uri(docname, target) + (f"#{anchor}" if anchor else "")
    ref = nodes.reference("", "", refuri=uri, internal=True)
    ref.extend(nodes.Text(c) if isinstance(c, str) else c for c in children)
    return ref


def section_title(env: BuildEnvironment, page: str, anchor: str) -> str:
    """The title of the section of ``page`` whose id is ``anchor``; the page's title if there is none."""
    if anchor and page in env.tocs:
        for ref in env.tocs[page].findall(nodes.reference):
            if ref.get("anchorname") == f"#{anchor}":
                return ref.astext()
    return page_title(env, page)


def page_title(env: BuildEnvironment, page: str) -> str:
    return env.titles[page].astext() if page in env.titles else page


def page_class(page: str) -> str:
    """The class naming a claims table's page: the ledger link ``#page=x`` shows exactly its rows."""
    return "viewcopy-page-" + page.replace("/", "--")


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
                    _entry(nodes.reference("", row["id"], refuri=f"#claim-{row['id']}", classes=["viewcopy-id"])),
                    _entry(row["sentence"]),
                    _entry(_link(app, docname, page, section, section_title(app.env, page, section))),
                    _lines(row["evidence"] or ["assertions only"], classes=["viewcopy-evidence"]),
                    _entry(str(row["cases"])),
                    _entry(row["verdict"], classes=[f"viewcopy-{row['verdict']}"]),
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
            _para(f"Each was run with NumPy {numpy} on Python {python} when this site was built.")
            for numpy, python in sorted({(row["numpy"], row["python"]) for row in rows})
        ],
        *_tables_by_page(app, docname, headers, body, ["viewcopy-ledger"]),
        _para("The ledger as data: ", nodes.reference("", "claims.json", refuri=data), "."),
    ]


def _wait_for_matrix(srcdir: str | Path) -> None:
    """`nox -s docs` runs the claims under each NumPy release beside Sphinx; wait until they are written."""
    running = matrix_dir(srcdir) / "running"  # holds the pid of the nox process running them
    if running.exists():
        (running.parent / "waiting").touch()  # nox then runs them on this process's core too
        logger.info("the versions page waits for the claims under each NumPy release (nox logs each one's end)")
    while running.exists():
        try:
            os.kill(int(running.read_text() or 0), 0)
        except (ValueError, ProcessLookupError, FileNotFoundError):
            return  # left behind by a run that was stopped
        time.sleep(0.2)


def read_matrix(srcdir: str | Path) -> list[dict[str, Any]]:
    _wait_for_matrix(srcdir)
    results = [json.loads(p.read_text()) for p in matrix_dir(srcdir).glob("numpy-*.json")]
    return sorted(results, key=lambda r: tuple(int(x) for x in re.findall(r"\d+", r["numpy"])[:3]))


NOISE = re.compile(r", peak [0-9.]+ [kMGT]?B")


def _evidence_key(row: dict[str, Any]) -> list[str]:
    """Evidence with tracemalloc's peak removed: it includes Python objects, which vary by release."""
    return [NOISE.sub("", e) for e in row["evidence"]]


def _matrix_cell(row: dict[str, Any] | None, reference: dict[str, Any] | None) -> tuple[nodes.entry, bool]:
    """One release's cell for a claim, and whether it differs from the newest release."""
    if row is None:
        return _entry("not run", classes=["viewcopy-missing"]), True
    if row["verdict"] != "holds":
        return _lines(["fails", *row["evidence"]], classes=["viewcopy-fails"]), True
    if reference is not None and _evidence_key(row) != _evidence_key(reference):
        return _lines(["differs", *(row["evidence"] or ["no evidence recorded on this release"])], classes=["viewcopy-differs"]), True
    return _entry("holds", classes=["viewcopy-holds"]), False


def _matrix_nodes(app: Sphinx, docname: str) -> list[nodes.Node]:
    if os.environ.get("VIEWCOPY_PREVIEW") == "1":
        note = nodes.admonition("", nodes.title(text="Local preview"), classes=["warning"])
        note += _para(
            "This build skipped the NumPy releases (",
            nodes.literal(text="nox -s docs -- preview"),
            "). ",
            nodes.literal(text="nox -s docs"),
            " builds the complete site, with this table.",
        )
        return [note]
    results = read_matrix(app.srcdir)
    if not results:  # never publish an empty page
        logger.warning(
            "the NumPy versions page has no results: build with `nox -s docs`, which runs the claims under "
            "every NumPy release, or `nox -s docs -- preview` for a local preview without them"
        )
        return []
    newest = results[-1]
    ids = list(dict.fromkeys(row["id"] for result in [newest, *results[:-1]] for row in result["claims"]))
    by_version = {r["numpy"]: {row["id"]: row for row in r["claims"]} for r in results}
    pages = {row["id"]: row["page"] for result in results for row in result["claims"]}
    body, differing = [], 0
    for claim_id in ids:
        reference = by_version[newest["numpy"]].get(claim_id)
        judged = [_matrix_cell(by_version[r["numpy"]].get(claim_id), reference) for r in results]
        cells, differs = [cell for cell, _ in judged], [d for _, d in judged]
        if any(differs) and reference is not None:  # show what the others are compared with
            cells[-1] = _lines(["holds (reference)", *reference["evidence"]], classes=["viewcopy-holds"])
        differing += any(differs)
        first = _entry(_link(app, docname, LEDGER_PAGE, f"claim-{claim_id}", nodes.literal(text=claim_id)))
        if pages[claim_id] in app.env.all_docs:
            first[0] += [nodes.Text(" "), _link(app, docname, pages[claim_id], "", "(page)")]
        body.append((pages[claim_id], nodes.row("", first, *cells, ids=[f"claim-{claim_id}"])))
    versions = ", ".join(r["numpy"] for r in results)
    never = sorted({row["id"] for row in all_rows(app.env)} - set(ids))  # made in this build, run under no release
    out: list[nodes.Node] = [
        _para(
            f"The {plural(len(ids), 'claim')} below were run under NumPy {versions} (each column says on which "
            "Python); a release that did not run one says so in its cell. A cell reads ",
            nodes.emphasis(text="holds"),
            f" when the claim held with the same evidence as on NumPy {newest['numpy']}, ",
            nodes.emphasis(text="differs"),
            " when it held but NumPy did something different (the evidence is shown), ",
            nodes.emphasis(text="fails"),
            " when it did not hold.",
        ),
        *(
            [
                _para(
                    f"{plural(len(never), 'claim')} of this build ran under no release of the matrix, only on NumPy "
                    f"{np.__version__} while the site was built: {', '.join(never)}. "
                    "The notes at the end say why (a page not run)."
                )
            ]
            if never
            else []
        ),
        _para(
            nodes.strong(text=f"{differing} of {plural(len(ids), 'claim')}"),
            f" {'behaves' if differing == 1 else 'behave'} differently on at least one release.",
        ),
        *_tables_by_page(
            app,
            docname,
            ["claim", *(f"NumPy {r['numpy']}, Python {r['python']}" for r in results)],
            body,
            ["viewcopy-matrix"],
        ),
    ]
    for result in results:
        out += [
            nodes.paragraph(text=f"NumPy {result['numpy']}: {f['page']} failed: {f['error']}")
            for f in result["failures"]
        ]
        out += [
            nodes.paragraph(text=f"NumPy {result['numpy']}: {s['page']} not run: {s['reason']}")
            for s in result.get("skipped", [])
        ]
    return out


# -- placing the tables and notes ----------------------------------------------------------------------


class ledger_placeholder(nodes.General, nodes.Element):
    """Replaced by the ledger table once every page has been read."""


class matrix_placeholder(nodes.General, nodes.Element):
    """Replaced by the versions table once every page has been read."""


class ClaimsLedger(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [ledger_placeholder()]


class NumpyMatrix(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [matrix_placeholder()]


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(ledger_placeholder)):
        node.replace_self(_ledger_nodes(app, docname))
    for node in list(doctree.findall(matrix_placeholder)):
        node.replace_self(_matrix_nodes(app, docname))
    made_here = _claims(app.env).get(docname, [])
    if made_here and docname != LEDGER_PAGE:
        n = len(made_here)
        note = nodes.admonition(classes=["viewcopy-claims-here"])
        note += nodes.title(text="Claims checked on this page")
        note += _para(
            f"This page makes {plural(n, 'claim')}; {'it' if n == 1 else 'each'} was executed when the site was "
            f"built, with NumPy {made_here[0]['numpy']}, and held. ",
            _link(app, docname, LEDGER_PAGE, f"page={docname}", "See them in the claims ledger."),
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
    app.add_node(matrix_placeholder)
    app.add_directive("claims-ledger", ClaimsLedger)
    app.add_directive("numpy-matrix", NumpyMatrix)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-updated", _env_updated)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}

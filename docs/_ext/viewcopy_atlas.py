"""Sphinx extension: the atlas table on ``atlas.html`` and ``atlas.json`` at the site's root.

The atlas page (docs/atlas.md) runs :mod:`viewcopy.claims.atlas` as claims;
each entry's measurement is one line of its claim's evidence.  This
extension reads those lines back: from this build's claims, and from each
NumPy release of the matrix (``python -m viewcopy check --json``, which
``nox -s docs`` runs beside Sphinx), so the table and the data say what each
release did.  The table is sorted, searched, filtered and paged in the
browser by List.js, copied from the npm package docs/package.json pins (no
CDN: the site works offline); the few lines of docs/_static/viewcopy-atlas.js
connect List.js to the two filters.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import viewcopy_ledger
import viewcopy_nox
import viewcopy_versions
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

from viewcopy.claims import atlas

logger = logging.getLogger(__name__)

PAGE = "atlas"
DOCS = Path(__file__).parents[1]
LIST_JS = DOCS / "node_modules" / "list.js" / "dist" / "list.min.js"
STATIC = "_static/atlas"  # where the build puts list.min.js
VERDICTS = ("view", "copy", "depends")
FIRST = 50  # rows drawn as the page loads; the others wait in a <template> (no style, no layout) for List.js


# -- the data ------------------------------------------------------------------------------------------


def records_of(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each entry's record, by expression, from the claims rows of the atlas page."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("page") != PAGE or not str(row.get("id", "")).startswith("atlas-"):
            continue
        for line in row.get("evidence", []):
            record = atlas.parse_evidence(line.removeprefix("check: "))
            if record is not None:
                out[record["expression"]] = {**record, **atlas.entry_info(record["expression"]), "claim": row["id"]}
    return out


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3])


def per_release(app: Sphinx) -> dict[str, dict[str, dict[str, Any]]]:
    """{NumPy version: {expression: record}}: every release of the matrix, or this build alone (a preview)."""
    releases: dict[str, dict[str, dict[str, Any]]] = {}
    if os.environ.get("VIEWCOPY_PREVIEW") != "1":
        # every release's results, as the versions page reads them: wait for nox's run to end first
        viewcopy_nox.wait_for_claims(lambda: None)
        for result in viewcopy_versions.read_matrix(viewcopy_versions.matrix_dir(app.srcdir)):
            found = records_of(result["claims"])
            if found:
                releases[result["numpy"]] = found
    if not releases:
        rows = [row for row in viewcopy_ledger.all_rows(app.env) if row.get("page") == PAGE]
        releases[np.__version__] = records_of(rows)
    return dict(sorted(releases.items(), key=lambda kv: _version_key(kv[0])))


def _said(record: dict[str, Any] | None, expression: str, version: str) -> str:
    if record is None:
        return atlas.absence(expression, _version_key(version)[:2])  # type: ignore[arg-type]
    if record["verdict"] == "depends":
        return f"view exactly when {record['condition']}"
    return record["verdict"]


def entries(app: Sphinx) -> tuple[str, list[str], list[dict[str, Any]]]:
    """(the release shown, every release, one dict per expression as atlas.json has it)."""
    return combine(per_release(app))


def combine(releases: dict[str, dict[str, dict[str, Any]]]) -> tuple[str, list[str], list[dict[str, Any]]]:
    """The releases' records, one row per expression: the newest release's, with what the others did."""
    versions = list(releases)
    shown = versions[-1]
    expressions = list(dict.fromkeys(e for v in reversed(versions) for e in releases[v]))
    out = []
    for expression in expressions:
        home = next(v for v in reversed(versions) if expression in releases[v])  # the newest that has it
        record = dict(releases[home][expression])
        record["numpy"] = home
        record["evidence"] = f"claims.html#claim-{record.pop('claim')}"
        record["releases"] = {
            v: (
                {"verdict": releases[v][expression]["verdict"], "condition": releases[v][expression]["condition"]}
                if expression in releases[v]
                else None
            )
            for v in versions
        }
        # the row shows the newest release that has the entry: list every release that answers otherwise,
        # lacking it included, each group in release order
        reference = _said(releases[home].get(expression), expression, home)
        others: dict[str, list[str]] = {}  # what a release said -> the releases that said it
        for v in reversed(versions):
            said = _said(releases[v].get(expression), expression, v)
            if v != home and said != reference:
                others.setdefault(said, []).append(v)
        record["differences"] = [f"{', '.join(sorted(vs, key=_version_key))}: {said}" for said, vs in others.items()]
        out.append(record)
    return shown, versions, out


def count_text(shown: str, versions: list[str], rows: list[dict[str, Any]]) -> str:
    """How many rows the table has, and how many of them the release it shows has: the page's count is this."""
    n, present = len(rows), sum(r["releases"][shown] is not None for r in rows)
    entries = f"{n:,} entr{'y' if n == 1 else 'ies'}"
    if present == n:
        return f"{entries}, NumPy {shown}'s" if len(versions) == 1 else f"{entries}, each in NumPy {shown}"
    why = [_said(None, r["expression"], shown) for r in rows if r["releases"][shown] is None]
    deprecated = sum("deprecated" in w for w in why)
    parts = [f"{len(why) - deprecated:,} only in an older release"] if len(why) > deprecated else []
    parts += [f"{deprecated:,} deprecated in NumPy {shown} and measured on an older one"] if deprecated else []
    return f"{entries}: {present:,} measured on NumPy {shown}, " + " and ".join(parts)


# -- the table ---------------------------------------------------------------------------------------------


def _times(span: list[float] | None) -> str:
    if not span:
        return "–"
    low, high = span
    show = lambda x: f"{x:g}×"
    return show(low) if low == high else f"{show(low)}–{show(high)}"


ORDER_NAMES = {"C": "C", "F": "F", "C and F": "both", "neither": "neither"}


def _orders(orders: dict[str, int]) -> str:
    """The result layouts seen, most frequent first (the counts are in atlas.json)."""
    return ", ".join(ORDER_NAMES.get(k, k) for k, _ in sorted(orders.items(), key=lambda kv: -kv[1]))


def _writeable(words: str) -> str:
    short = {
        "view writeable like its source": "like the input",
        "read-only view": "read-only",
        "writeable copy": "yes",
        "read-only copy": "read-only",
    }
    return "; ".join(short.get(part, part) for part in words.split("; "))


def _bytes(record: dict[str, Any]) -> str:
    if record["allocated"] == [0, 0] and record["peak"] == [0, 0]:
        return "0"
    text = f"{_times(record['allocated'])}, peak {_times(record['peak'])}"
    return text + (f" (temporaries on {record['temporaries']})" if record["temporaries"] else "")


def _key(version: str) -> str:
    return "r" + "-".join(re.findall(r"\d+", version)[:2])


def table_html(app: Sphinx, docname: str) -> str:
    shown, versions, rows = entries(app)
    esc = html.escape
    ledger = app.builder.get_relative_uri(docname, viewcopy_ledger.LEDGER_PAGE)
    keys = [_key(v) for v in versions]
    body = []
    for r in rows:
        data = " ".join(
            f'data-{_key(v)}="{esc((r["releases"][v] or {"verdict": "absent"})["verdict"])}"' for v in versions
        )
        condition = r["condition"] if r["verdict"] == "depends" else ""
        if r.get("raised"):
            condition += ("; " if condition else "") + f"NumPy raises on {r['raised']:,} of {r['cases']:,}"
        if r.get("scalars"):
            condition += ("; " if condition else "") + f"an element, not an array, on {r['scalars']:,}"
        releases = "; ".join(r["differences"]) or (f"same on all {len(versions)}" if len(versions) > 1 else "")
        claim = r["evidence"].split("#", 1)[1]
        body.append(
            f'<tr id="{anchor(r["expression"])}" {data}><td class="atlas-expr"><code>{esc(r["expression"])}</code></td>'
            f'<td class="atlas-verdict">{r["verdict"]}</td>'
            f'<td class="atlas-cond">{esc(condition)}</td><td>{esc(_writeable(r["writeable"]))}</td>'
            f"<td>{esc(_orders(r['orders']))}</td><td>{esc(_bytes(r))}</td><td>{esc(releases)}</td>"
            f'<td><a href="{ledger}#{claim}">{r["cases"]:,} cases</a></td></tr>'
        )
    options = "".join(f'<option value="{_key(v)}">{esc(v)}</option>' for v in versions)
    verdicts = "".join(f'<option value="{v}">{v}</option>' for v in VERDICTS)
    headers = [
        ("atlas-expr", "Expression"),
        ("atlas-verdict", "Verdict"),
        ("atlas-cond", "Condition (view exactly when)"),
        ("", "Writeable"),
        ("", "Result layout"),
        ("", "Bytes (× input)"),
        ("", "Releases"),
        ("", "Evidence"),
    ]
    head = "".join(
        f'<th scope="col"><button type="button" class="sort" data-sort="{key}">{name}</button></th>'
        if key
        else f'<th scope="col">{name}</th>'
        for key, name in headers
    )
    root = app.builder.get_relative_uri(docname, "index").rpartition("/")[0]
    static = f"{root}/_static" if root else "_static"
    data = f"{root}/atlas.json" if root else "atlas.json"
    return f"""<div id="atlas" class="atlas" data-releases="{esc(json.dumps(keys))}">
<style>
.atlas-controls{{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:0 0 .75rem}}
.atlas-controls label{{display:flex;gap:.4rem;align-items:center}}
.atlas-table{{font-size:.8rem}}
.atlas-table td:first-child{{white-space:nowrap}}
.atlas-table td,.atlas-table th{{padding:.25rem .4rem;vertical-align:top}}
.atlas-table button.sort{{background:none;border:0;padding:0;font:inherit;font-weight:700;color:inherit;cursor:pointer;text-decoration:underline dotted}}
.atlas .pagination{{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0}}
.atlas .pagination a{{display:inline-block;min-width:2rem;min-height:2rem;padding:.25rem .5rem;text-align:center}}
.atlas .pagination .active a{{font-weight:700;text-decoration:none}}
</style>
<p>The table as data: <a href="{data}">atlas.json</a> (its schema is below the table).</p>
<div class="atlas-controls">
<label>Find <input class="search" type="search" placeholder="reshape, a.T, copy=False"></label>
<label>Verdict <select id="atlas-verdict"><option value="">any</option>{verdicts}</select></label>
<label>On release <select id="atlas-release"><option value="">{esc(shown)} (shown)</option>{options}</select></label>
<span class="atlas-count" aria-live="polite">{len(rows):,} entries</span>
</div>
<div class="atlas-scroll" role="region" tabindex="0" aria-label="The atlas: {len(rows)} entries">
<table class="table atlas-table"><caption>{esc(count_text(shown, versions, rows))}; each row as the newest
release that has it answers it (the Releases column: where another release differs)</caption>
<thead><tr>{head}</tr></thead>
<tbody class="list">{"".join(body[:FIRST])}</tbody></table></div>
<template id="atlas-more">{"".join(body[FIRST:])}</template>
<ul class="pagination" aria-label="Pages of the atlas"></ul>
</div>
<script src="{static}/atlas/list.min.js"></script>
<script src="{static}/viewcopy-atlas.js"></script>
"""


class atlas_placeholder(nodes.General, nodes.Element):
    """Replaced by the atlas table once every page has been read."""


class AtlasTable(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [atlas_placeholder()]


class atlas_count_placeholder(nodes.General, nodes.Element):
    """Replaced by the table's count (:func:`count_text`) once every page has been read."""


class AtlasCount(SphinxRole):
    """``{atlas-count}`entries```: how many entries the table shows, from the table's own rows."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        return [atlas_count_placeholder()], []


def anchor(expression: str) -> str:
    """The id of an entry's row, and the label that links to it: ``{ref}`a.ravel() <atlas-a-ravel>```."""
    return "atlas-" + re.sub(r"[^a-z0-9]+", "-", expression.lower()).strip("-")


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    """Every entry's row is a label other pages can link to (the rows are raw HTML, made later)."""
    if app.env.docname != PAGE:
        return
    std = app.env.domains["std"] if hasattr(app.env.domains, "__getitem__") else app.env.get_domain("std")
    for expression in atlas.all_expressions():
        name = anchor(expression)
        std.labels[name] = (PAGE, name, expression)
        std.anonlabels[name] = (PAGE, name)


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    counts = list(doctree.findall(atlas_count_placeholder))
    if counts:
        text = count_text(*entries(app))
        for node in counts:
            node.replace_self(nodes.Text(text))
    for node in list(doctree.findall(atlas_placeholder)):
        if app.builder.format == "html":
            node.replace_self(nodes.raw("", table_html(app, docname), format="html"))
        else:
            node.replace_self([])


# -- the files beside the pages ----------------------------------------------------------------------


def _list_js() -> Path:
    """List.js from the npm package docs/package-lock.json pins; `npm ci` fetches it the first time."""
    if not LIST_JS.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise ExtensionError("the atlas page needs List.js from npm: install Node.js and npm, then build again")
        run = subprocess.run(
            [npm, "ci", "--prefix", str(DOCS), "--silent", "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode or not LIST_JS.is_file():
            raise ExtensionError(f"`npm ci --prefix docs` did not install List.js: {run.stderr.strip()[-500:]}")
    return LIST_JS


def _builder_inited(app: Sphinx) -> None:
    if app.builder.format == "html":
        _list_js()  # fail early, before hours of building, if it cannot be had


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html" or PAGE not in app.env.found_docs:
        return
    out = Path(app.outdir)
    (out / STATIC).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_list_js(), out / STATIC / "list.min.js")
    shown, versions, rows = entries(app)
    data = {"schema": 1, "numpy": shown, "releases": versions, "entries": rows}
    (out / "atlas.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(atlas_placeholder)
    app.add_node(atlas_count_placeholder)
    app.add_directive("atlas-table", AtlasTable)
    app.add_role("atlas-count", AtlasCount())
    app.connect("builder-inited", _builder_inited)
    app.connect("doctree-read", _doctree_read)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("build-finished", _build_finished, priority=400)  # before viewcopy_weight reads the scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}

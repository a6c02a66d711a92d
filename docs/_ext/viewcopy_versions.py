"""Sphinx extension: the NumPy versions page (``{numpy-matrix}``), every claim under every NumPy release.

``nox -s docs`` runs ``python -m viewcopy check --json`` under each release
beside Sphinx (.ci/noxlib.py) and leaves in ``_build/matrix/``, per release,
``numpy-<series>.json`` (the check's result) and ``numpy-<series>.libraries.json``
(the versions of pandas, pyarrow, polars, Dask... its environment had).
The page waits for them (:mod:`viewcopy_nox`), then shows one table of
claims per page and one table of what each release ran with.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import viewcopy_nox
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from viewcopy_tables import entry, lines_entry, link, para, plural, table, tables_by_page

logger = logging.getLogger(__name__)

VERSIONS_PAGE = "versions"
LEDGER_PAGE = "claims"  # each claim links to its row there
LIBRARIES = ("pandas", "pyarrow", "polars", "dask", "distributed", "joblib", "memray")  # the columns, in order
NOISE = re.compile(r", peak [0-9.]+ [kMGT]?B")
IDENTITY = [  # what names one run's objects, not what NumPy did: each is the same token on every release
    (re.compile(r"\b0x[0-9a-fA-F]+"), "0x…"),  # a memory address
    (re.compile(r"\bpid \d+"), "pid …"),  # a process id
    (re.compile(r"(/dev/shm|/tmp)/[^\s'\",:;)]+"), r"\1/…"),  # a shared-memory segment's or a scratch file's name
]
MEASURED = [  # what a timer or the kernel measured: it varies from run to run on one release, so it is not compared
    (re.compile(r"\b\d[\d,.]*\s*CPU[- ]s(?:econds?)?\b"), "… CPU-s"),  # CPU seconds
    (re.compile(r"(?<![\w.])\d[\d,.]*\s*(?:s|ms|µs|us|ns)\b"), "… s"),  # wall seconds
    (re.compile(r"(?<![\w.])\d[\d,.]*x\b"), "…x"),  # a time ratio ("419x")
]
RESIDENT = re.compile(r"\b(?:rise|resident|RSS|high-water)\b", re.IGNORECASE)
"""A line about the process's resident memory, which the kernel counts in pages and which varies by run."""
SIZE = re.compile(r"(?<![\w.])\d[\d,.]*\s*[kMGT]?i?B\b")


def matrix_dir(srcdir: str | Path) -> Path:
    """Where ``nox -s docs`` leaves each NumPy release's results."""
    return Path(srcdir) / "_build" / "matrix"


def read_matrix(folder: Path) -> list[dict[str, Any]]:
    """Every release's result, oldest NumPy first, each with its ``libraries`` ({} when none were recorded)."""
    results = []
    for path in folder.glob("numpy-*.json"):
        if path.name.endswith(".libraries.json"):
            continue
        result = json.loads(path.read_text())
        listed = path.with_name(path.stem + ".libraries.json")
        result["libraries"] = json.loads(listed.read_text()) if listed.exists() else {}
        results.append(result)
    return sorted(results, key=lambda r: tuple(int(x) for x in re.findall(r"\d+", r["numpy"])[:3]))


def evidence_key(row: dict[str, Any]) -> list[str]:
    """Evidence as releases are compared: without tracemalloc's peak (it includes Python objects, which vary
    by release), with addresses, process ids and scratch names made one token (they vary by run), and with
    timings (seconds, CPU seconds, time ratios) and resident-memory sizes made one token (they vary by run)."""
    out = []
    for line in row["evidence"]:
        line = NOISE.sub("", line)
        for pattern, token in [*IDENTITY, *MEASURED]:
            line = pattern.sub(token, line)
        if RESIDENT.search(line):
            line = SIZE.sub("… B", line)
        out.append(line)
    return out


def follows_library(results: list[dict[str, Any]], differs: list[bool]) -> str:
    """``"pandas 2.3.3"`` when the releases whose cells differ are exactly those whose pandas (or another library)
    is not the newest release's: the difference follows that library, not NumPy. Else ``""``."""
    newest = results[-1]["libraries"]
    if not any(differs):
        return ""
    for name in LIBRARIES:
        other = [r["libraries"].get(name) != newest.get(name) for r in results]
        if other == differs:
            versions = sorted(
                {r["libraries"].get(name, "not installed") for r, o in zip(results, other, strict=True) if o}
            )
            return f"{name} {', '.join(versions)}"
    return ""


def cell(row: dict[str, Any] | None, reference: dict[str, Any] | None, library: str = "") -> tuple[nodes.entry, bool]:
    """One release's cell for a claim, and whether it differs from the newest release.

    ``library``: the library whose version the difference follows (:func:`follows_library`), named in the cell.
    """
    if row is None:
        return entry("not run", classes=["viewcopy-missing"]), True
    if row["verdict"] != "holds":
        return lines_entry(["fails", *row["evidence"]], classes=["viewcopy-fails"]), True
    if reference is not None and evidence_key(row) != evidence_key(reference):
        head = f"differs (with {library})" if library else "differs"
        return lines_entry([head, *row["evidence"]], classes=["viewcopy-differs"]), True
    return entry("holds", classes=["viewcopy-holds"]), False


def libraries_table(results: list[dict[str, Any]]) -> nodes.table:
    """One row per release: NumPy, Python and the version of each library its claims ran with."""
    headers = ["NumPy", "Python", *LIBRARIES]
    body = [
        nodes.row(
            "",
            entry(r["numpy"]),
            entry(r["python"] + (", python -O" if r.get("optimized") else "")),
            *(entry(r["libraries"].get(name, "not installed")) for name in LIBRARIES),
        )
        for r in results
    ]
    return table(headers, body, ["viewcopy-libraries"])


def preview_note() -> list[nodes.Node]:
    note = nodes.admonition("", nodes.title(text="Local preview"), classes=["warning"])
    note += para(
        "This build skipped the NumPy releases (",
        nodes.literal(text="nox -s docs -- preview"),
        "). ",
        nodes.literal(text="nox -s docs"),
        " builds the complete site, with this table.",
    )
    return [note]


def matrix_nodes(app: Sphinx, docname: str, results: list[dict[str, Any]]) -> list[nodes.Node]:
    newest = results[-1]
    ids = list(dict.fromkeys(row["id"] for result in [newest, *results[:-1]] for row in result["claims"]))
    by_version = {r["numpy"]: {row["id"]: row for row in r["claims"]} for r in results}
    pages = {row["id"]: row["page"] for result in results for row in result["claims"]}
    body, differing, with_library = [], 0, 0
    for claim_id in ids:
        reference = by_version[newest["numpy"]].get(claim_id)
        judged = [cell(by_version[r["numpy"]].get(claim_id), reference) for r in results]
        held = [
            (row := by_version[r["numpy"]].get(claim_id)) is not None and row["verdict"] == "holds" for r in results
        ]
        library = follows_library(results, [d and h for (_, d), h in zip(judged, held, strict=True)])
        if library and all(h for h in held):  # every release held: the differing ones differ with that library
            judged = [cell(by_version[r["numpy"]].get(claim_id), reference, library) for r in results]
        cells, differs = [c for c, _ in judged], [d for _, d in judged]
        if any(differs) and reference is not None:  # show what the others are compared with
            cells[-1] = lines_entry(["holds (reference)", *reference["evidence"]], classes=["viewcopy-holds"])
        differing += any(differs)
        with_library += bool(any(differs) and library and all(held))
        first = entry(link(app, docname, LEDGER_PAGE, f"claim-{claim_id}", nodes.literal(text=claim_id)))
        if pages[claim_id] in app.env.all_docs:
            first[0] += [nodes.Text(" "), link(app, docname, pages[claim_id], "", "(page)")]
        body.append((pages[claim_id], nodes.row("", first, *cells, ids=[f"claim-{claim_id}"])))
    versions = ", ".join(r["numpy"] for r in results)
    out: list[nodes.Node] = [
        para(
            f"Each claim was run under NumPy {versions}, each with the libraries of the table below. A cell reads ",
            nodes.emphasis(text="holds"),
            f" when the claim held with the same evidence as on NumPy {newest['numpy']} (memory addresses, process ids, "
            "scratch file names, timings and resident-memory sizes aside: they change from run to run), ",
            nodes.emphasis(text="differs"),
            " when it held but its evidence was otherwise different (shown; the cell names a library and its "
            "version when the releases that differ are exactly those that ran another version of it, which alone "
            "does not say whether that library or NumPy made the difference), ",
            nodes.emphasis(text="fails"),
            " when it did not hold.",
        ),
        libraries_table(results),
        para(
            nodes.strong(text=f"{differing} of {plural(len(ids), 'claim')}"),
            " differ, fail or were not run on at least one release; of those, "
            f"{with_library} differ exactly where a library's version does.",
        ),
        *tables_by_page(app, docname, ["claim", *(f"NumPy {r['numpy']}" for r in results)], body, ["viewcopy-matrix"]),
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


class matrix_placeholder(nodes.General, nodes.Element):
    """Replaced by the versions table once every page has been read."""


class NumpyMatrix(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [matrix_placeholder()]


def _wait_for_nox() -> None:
    viewcopy_nox.wait_for_claims(
        lambda: logger.info("the versions page waits for the claims under each NumPy release (nox logs each end)")
    )


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(matrix_placeholder)):
        if os.environ.get("VIEWCOPY_PREVIEW") == "1":
            node.replace_self(preview_note())
            continue
        _wait_for_nox()
        results = read_matrix(matrix_dir(app.srcdir))
        if not results:  # never publish an empty page
            logger.warning(
                "the NumPy versions page has no results: build with `nox -s docs`, which runs the claims under "
                "every NumPy release, or `nox -s docs -- preview` for a local preview without them"
            )
        node.replace_self(matrix_nodes(app, docname, results) if results else [])


def _env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    return [VERSIONS_PAGE] if VERSIONS_PAGE in env.found_docs else []  # rewritten every build: new results


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(matrix_placeholder)
    app.add_directive("numpy-matrix", NumpyMatrix)
    app.connect("env-updated", _env_updated)
    app.connect("doctree-resolved", _doctree_resolved)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}

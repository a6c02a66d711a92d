"""Sphinx extension: a page's statements of fact about memory are its claims' sentences.

Two parts, one job: the words a reader sees are the words the ledger checks.

- The role ``{claim}`some-id``` (MyST) or ``:claim:`some-id``` (reST: a
  gallery script's text) renders the sentence of the claim ``some-id``, as
  the ledger recorded it when the claim ran, linked to its row on the claims
  page.  The prose cannot drift from the checked sentence: it *is* that
  sentence.  A claim id no page made is an error.
- A sentence lint, once every page is read (of every page, read in this
  build or an earlier one, as the doctrees hold them): every sentence of the page's
  prose that states a memory fact (:data:`FACT`: views, copies, bytes,
  allocates, shares, contiguous, faster, slower, peak...) and is neither a
  rendered claim nor a definition (the first sentence of a glossary entry,
  or a sentence that marks the term it defines with ``{dfn}``, as the
  primer's do) is a warning naming the page and the sentence; warnings are
  errors, so the build fails.  Questions, advice (a sentence opened by an
  imperative, :data:`ADVICE`), headings, code, program output and the claims
  tables are not statements of fact.  The sentences written before the lint
  are listed in :data:`DEBT`, a list that can only shrink.  :func:`unchecked` is the lint on one
  doctree, for tests and for ``python docs/_ext/viewcopy_sentences.py``.

Narrative that states no fact (why a page exists, how to read its figure)
stays prose; a sentence that states one is written as a claim and rendered
here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import viewcopy_ledger
import viewcopy_versions
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)

FACT = re.compile(
    r"\b(?:views?|viewed|viewing|cop(?:y|ies|ied|ying)|bytes?|allocat\w*|shares?|shared|sharing|"
    r"(?:non-|C-|F-)?contiguous|faster|slower|peaks?|temporar(?:y|ies)|owns|owned|owning|owndata|own\s+(?:data|buffer|memory|bytes)|frees?|freed|"
    r"[\d.,]+\s*(?:[KMG]i?B|B))\b",
    re.IGNORECASE,
)
"""Words that make a sentence a statement about memory."""

CLAIM = "\u27e6claim\u27e7"  # stands for a rendered claim while a paragraph is read as text
DEFINES = "\u27e6dfn\u27e7"  # a {dfn} role: the sentence defines the term it marks
DEFINED = "\u27e6/dfn\u27e7"  # where the marked term ends
SKIP = (nodes.literal_block, nodes.raw, nodes.comment, nodes.title, nodes.rubric, nodes.caption, nodes.target)
SKIP_CLASSES = {"viewcopy-sortable", "viewcopy-claims-here", "viewcopy-group", "sphx-glr-script-out", "cell_output"}
SKIP_PAGES = {"sg_execution_times", "auto_examples/sg_execution_times"}  # sphinx-gallery's table of run times
ADVICE = re.compile(
    r"^(?:Put|Turn|Count|Guard|Start|Use|Run|Set|See|Read|Call|Pass|Check|Give|Try|Keep|Avoid|Find|Wrap|Ask|"
    r"Prefer|Compare|Open|Install|Build|Copy|Write)\b"
)
"""An imperative opens advice, which tells the reader what to do and states no fact."""
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]\u201d\u2019]*\s+(?=[A-Z`\"'(\[*\u27e6\u201c\u2018])")


class claim_sentence(nodes.inline):
    """Replaced by the claim's sentence, linked to its ledger row, once every page is read."""


class ClaimRole(SphinxRole):
    """``{claim}`id```: the sentence of claim ``id``, from the ledger."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        claim_id = self.text.strip()
        node = claim_sentence("", claim_id, classes=["viewcopy-claim"])
        node["claim_id"] = claim_id
        self.set_source_info(node)
        return [node], []


def _sentences(env: Any) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in viewcopy_ledger.all_rows(env)}


def _starts_sentence(node: nodes.Node) -> bool:
    """Whether ``node`` opens a sentence: first in its paragraph, or after a full stop."""
    parent = node.parent
    before = "".join(n.astext() for n in parent.children[: parent.index(node)]) if parent is not None else ""
    return not before.strip() or bool(re.search(r"[.!?]\s*$", before))


def capitalised(sentence: str) -> str:
    """``sentence`` opening a sentence: its first letter upper-cased only when its first word is prose.

    Code keeps its case (``x.T``, ``reshape(-1)``, ``np.ravel``): only a
    plain word of two letters or more, or the article "a", followed by a
    space or a comma, is capitalised.
    """
    if re.match(r"(?:[a-z]{2,}|a)(?=[\s,;:])", sentence):
        return sentence[:1].upper() + sentence[1:]
    return sentence


def _words(text: str) -> list[str]:
    words = (w.strip(",;:()`\u201c\u201d\"'").lower() for w in text.replace("`", " ").split())
    return [w for w in words if w]


def repeated(before: str, sentence: str) -> str:
    """The words that ``before`` (the text ahead of a rendered claim) ends with and the claim's sentence opens with.

    ``"For `grid.T`: "`` before ``"for grid.T, ravel copies"`` reads "For
    grid.T: for grid.T, ravel copies": the phrase is said twice.  Returns ''
    when no phrase of two words or more is repeated.
    """
    tail = _words(re.split(r"[.!?]\s", before)[-1])
    head = _words(sentence)
    for k in range(min(len(tail), len(head)), 1, -1):
        if tail[-k:] == head[:k]:
            return " ".join(head[:k])
    return ""


def _every_script_runs(app: Sphinx) -> bool:
    """False in a partial build that runs only some gallery scripts: the claims of the others are not made."""
    return app.config.sphinx_gallery_conf.get("filename_pattern", r"\.py$") == r"\.py$"


def render(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace each ``{claim}`` role by its sentence, linked to its row on the claims page."""
    rows = _sentences(app.env)
    for node in list(doctree.findall(claim_sentence)):
        claim_id = node["claim_id"]
        row = rows.get(claim_id)
        if row is None:
            if not _every_script_runs(app):  # `-D sphinx_gallery_conf.filename_pattern=...`: pages not run made none
                node.replace_self(nodes.inline("", claim_id, classes=["viewcopy-claim", "viewcopy-missing"]))
                continue
            logger.warning(
                f"the page cites claim {claim_id!r}, which no page made (see the claims ledger for the ids)",
                location=node,
                type="viewcopy",
                subtype="sentence",
            )
            node.replace_self(nodes.inline("", claim_id, classes=["viewcopy-claim", "viewcopy-missing"]))
            continue
        sentence = row["sentence"]
        parent = node.parent
        before = "".join(n.astext() for n in parent.children[: parent.index(node)]) if parent is not None else ""
        twice = repeated(before, sentence)
        if twice:
            logger.warning(
                f"the text before claim {claim_id!r} ends with the words its sentence opens with ({twice!r}): "
                "the page would say them twice",
                location=node,
                type="viewcopy",
                subtype="sentence",
            )
        if _starts_sentence(node):
            sentence = capitalised(sentence)
        uri = app.builder.get_relative_uri(docname, viewcopy_ledger.LEDGER_PAGE) + f"#claim-{claim_id}"
        ref = nodes.reference("", "", nodes.Text(sentence), refuri=uri, internal=True, classes=["viewcopy-claim"])
        ref["reftitle"] = f"claim {claim_id}: {row['verdict']}, checked on {row.get('cases', 1)} case(s)"
        made_on = row.get("page")
        if made_on and made_on != docname and made_on in app.env.titles:
            # cited from another page: its arrays and names are that page's, so say where they are defined
            page = nodes.reference("", "", nodes.Text(app.env.titles[made_on].astext()), internal=True,
                                   refuri=app.builder.get_relative_uri(docname, made_on))  # fmt: skip
            where = nodes.inline(
                "", "", nodes.Text(" (on "), page, nodes.Text(")"), classes=["viewcopy-claim", "viewcopy-claim-page"]
            )
            node.replace_self([ref, where])
        else:
            node.replace_self(ref)


# -- the lint --------------------------------------------------------------------------------------


def _skipped(node: nodes.Node) -> bool:
    if isinstance(node, SKIP):
        return True
    if isinstance(node, nodes.Element):
        classes = set(node.get("classes", []))
        if classes & SKIP_CLASSES or node.get("nb_element", "").startswith("cell_code_output"):
            return True
        if any(c.startswith("sphx-glr-thumb") for c in classes):  # the gallery's thumbnails: page titles
            return True
    return False


def _is_term(node: nodes.Element) -> bool:
    """A glossary term's link (before or after resolution): its words are the sentence's own."""
    if node.get("reftype") == "term":
        return True
    return any("std-term" in child.get("classes", []) for child in node.findall(nodes.inline))


def _text(node: nodes.Node) -> str:
    """A block's prose: rendered claims become one marker, inline code a word, skipped parts nothing."""
    if isinstance(node, nodes.Text):
        return str(node)
    if _skipped(node):
        return ""
    if isinstance(node, claim_sentence) or "viewcopy-claim" in node.get("classes", []):
        return CLAIM
    if isinstance(node, (addnodes.pending_xref, nodes.reference)) and not _is_term(node):
        return "LINK"  # a link's words are another page's title or a name, not a statement of this page
    if isinstance(node, nodes.literal):
        return "`" + node.astext().replace("`", "") + "`"
    if "dfn" in node.get("classes", []):
        return DEFINES + node.astext() + DEFINED
    if "pasted-text" in node.get("classes", []):
        return "N"  # a figure glued in by the code that measured it: the sentence around it is still prose
    return "".join(_text(child) for child in node.children)


def _blocks(doctree: nodes.Node) -> Iterator[tuple[nodes.Element, str, bool]]:
    """(block, its text, is it a glossary definition) for every paragraph of prose."""
    stack = [doctree]
    while stack:
        node = stack.pop()
        if _skipped(node):
            continue
        if isinstance(node, nodes.paragraph):
            definition = isinstance(node.parent, nodes.definition) and node.parent.index(node) == 0
            glossary = definition and "glossary" in node.parent.parent.parent.get("classes", [])
            yield node, _text(node), glossary
            continue
        stack.extend(reversed([c for c in node.children if isinstance(c, nodes.Element)]))


def beyond_definition(sentence: str) -> str:
    """What a definition says beyond the terms it defines: the text after its defining clause.

    A definition (a glossary entry's first sentence, or a sentence that marks
    its terms with ``{dfn}``) may use memory words to say what a term means.
    Its defining clause is its first clause (in a glossary entry) or runs
    through the clause that holds its last ``{dfn}`` term; a clause ends at a
    comma, colon, semicolon, parenthesis or dash outside code.  Everything
    after the defining clause is a statement like any other, and is linted:
    "OWNDATA: The flag `a.flags.owndata`: true when `a` allocated its buffer
    itself (it is not a view)" defines the flag in its first clause and
    states a fact in the rest.
    """
    masked = re.sub(r"`[^`]*`", lambda m: "`" + "x" * (len(m.group()) - 2) + "`", sentence)
    last = masked.rfind(DEFINED)
    cut = re.compile(r"[,;:()\u2014\u2013]").search(masked, last + len(DEFINED) if last >= 0 else 0)
    rest = sentence[cut.start() :] if cut else ""
    return re.sub(re.escape(DEFINES) + ".*?" + re.escape(DEFINED), " term ", rest)


def unchecked(doctree: nodes.Node) -> list[str]:
    """Every sentence of ``doctree``'s prose that states a memory fact and is not a claim or a definition."""
    found = []
    for _, text, glossary in _blocks(doctree):
        for k, sentence in enumerate(SENTENCE_END.split(" ".join(text.split()))):
            rest = sentence.replace(CLAIM, " ")
            if (glossary and k == 0) or DEFINES in sentence:
                rest = beyond_definition(rest)  # a definition may define its term; a fact beyond that is linted
            sentence = sentence.replace(DEFINES, "").replace(DEFINED, "")
            plain = sentence.strip()
            if plain.endswith("?") or ADVICE.match(plain) or not FACT.search(re.sub(r"`[^`]*`", " ", rest)):
                continue
            if CLAIM in sentence and not FACT.search(re.sub(r"`[^`]*`", " ", rest)):
                continue
            found.append(sentence.strip())
    return found


DEBT = Path(__file__).with_name("unchecked_sentences.txt")
"""The sentences written before the lint, not yet claims: ``page<TAB>sentence`` a line.

The list only shrinks: a sentence not on it fails the build, and so does a
listed one that its page no longer says (take it off).  Numbers are compared
as ``#``, so a sentence with a measured figure stays the same sentence at
another scale or on another NumPy.
"""


def key(page: str, sentence: str) -> str:
    return page + "\t" + re.sub(r"\d[\d,.]*", "#", " ".join(sentence.split()))


def debt(path: Path = DEBT) -> dict[str, set[str]]:
    """The listed sentences, by page."""
    found: dict[str, set[str]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                page, _, _ = line.partition("\t")
                found.setdefault(page, set()).add(line)
    return found


def linted(docname: str) -> bool:
    # the ledger's own tables; the API reference is the docstrings, checked by doctest
    return docname not in (
        viewcopy_ledger.LEDGER_PAGE,
        viewcopy_versions.VERSIONS_PAGE,
        *SKIP_PAGES,
    ) and not docname.startswith("api")


def lint(app: Sphinx, env: Any) -> list[str]:
    """``env-updated``: lint every page of the site, read in this build or before, so no page escapes it."""
    listed_by_page = debt(Path(app.srcdir) / "_ext" / DEBT.name)  # a site's own list, if it has one
    for docname in sorted(env.found_docs):
        if not linted(docname):
            continue
        listed, seen = listed_by_page.get(docname, set()), set()
        for sentence in unchecked(env.get_doctree(docname)):
            seen.add(key(docname, sentence))
            if key(docname, sentence) in listed:
                continue
            logger.warning(
                f"a statement about memory that is not a claim: {sentence!r}; write it as a claim and render it "
                "with {claim}`id`, or say no fact",
                location=docname,
                type="viewcopy",
                subtype="sentence",
            )
        for stale in sorted(listed - seen):
            logger.warning(
                f"_ext/{DEBT.name} lists a sentence this page no longer says: {stale.partition(chr(9))[2]!r}; "
                "take it off",
                location=docname,
                type="viewcopy",
                subtype="sentence",
            )
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(
        claim_sentence, html=(lambda self, node: self.visit_inline(node), lambda self, node: self.depart_inline(node))
    )
    app.add_role("claim", ClaimRole())
    app.connect("doctree-resolved", render, priority=600)  # after the ledger's own placeholders (500)
    app.connect("env-updated", lint)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}


def main(argv: list[str] | None = None) -> int:
    """``python docs/_ext/viewcopy_sentences.py docs/_build/doctrees``: the lint over a build's doctrees."""
    import pickle
    import sys

    args = argv if argv is not None else sys.argv[1:]
    write = "--write-debt" in args
    folder = Path(next((a for a in args if not a.startswith("--")), "docs/_build/doctrees"))
    lines = []
    for path in sorted(folder.rglob("*.doctree")):
        page = path.relative_to(folder).with_suffix("").as_posix()
        if linted(page):
            lines += [key(page, sentence) for sentence in unchecked(pickle.loads(path.read_bytes()))]
    if write:
        header = "# page<TAB>sentence, numbers as #: prose not yet made claims (the list only shrinks)"
        DEBT.write_text("\n".join([header, *sorted(set(lines))]) + "\n", encoding="utf-8")
    print(*lines, sep="\n")
    print(f"{len(lines)} unchecked sentence(s)", "(written to " + DEBT.name + ")" if write else "")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())

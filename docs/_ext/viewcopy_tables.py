"""Docutils building blocks for the claims tables (the ledger and the versions page): no Sphinx events here.

Tables are docutils nodes, not HTML.  One table per page that makes claims,
captioned with the page's title: one table of every claim kept a phone busy for seconds.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterable

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def para(*children: nodes.Node | str, classes: Iterable[str] = ()) -> nodes.paragraph:
    paragraph = nodes.paragraph(classes=list(classes))
    paragraph.extend(nodes.Text(c) if isinstance(c, str) else c for c in children)
    return paragraph


def entry(*children: nodes.Node | str, classes: Iterable[str] = ()) -> nodes.entry:
    return nodes.entry("", para(*children), classes=list(classes))


def folded(lines: Iterable[str]) -> list[str]:
    """Each distinct line once, where it first came, with its count when it came more than once.

    A claim checked over a family of 858 layouts gives a line per layout,
    most of them alike: unfolded, they made the ledger page 680 kB.
    """
    lines = list(lines)
    counts = collections.Counter(lines)
    return [f"{line} (\u00d7{counts[line]})" if counts[line] > 1 else line for line in dict.fromkeys(lines)]


def lines_entry(lines: Iterable[str], classes: Iterable[str] = ()) -> nodes.entry:
    """A cell of several lines, repeats folded: one paragraph, its lines kept by CSS (white-space: pre-line).

    One element, not one per line: some claims give dozens of lines of evidence, and a
    block per line made the ledger page 9,000 elements heavier.
    """
    return entry("\n".join(folded(lines)), classes=["viewcopy-lines", *classes])


def table(headers: list[str], body: list[nodes.row], classes: list[str]) -> nodes.table:
    group = nodes.tgroup(cols=len(headers))
    group.extend(nodes.colspec(colwidth=1) for _ in headers)
    group += nodes.thead("", nodes.row("", *(entry(h) for h in headers)))
    group += nodes.tbody("", *body)
    return nodes.table("", group, classes=["viewcopy-sortable", *classes])


def link(app: Sphinx, docname: str, target: str, anchor: str, *children: nodes.Node | str) -> nodes.reference:
    uri = app.builder.get_relative_uri(docname, target) + (f"#{anchor}" if anchor else "")
    ref = nodes.reference("", "", refuri=uri, internal=True)
    ref.extend(nodes.Text(c) if isinstance(c, str) else c for c in children)
    return ref


def page_title(env: BuildEnvironment, page: str) -> str:
    return env.titles[page].astext() if page in env.titles else page


def section_title(env: BuildEnvironment, page: str, anchor: str) -> str:
    """The title of the section of ``page`` whose id is ``anchor``; the page's title if there is none."""
    if anchor and page in env.tocs:
        for ref in env.tocs[page].findall(nodes.reference):
            if ref.get("anchorname") == f"#{anchor}":
                return ref.astext()
    return page_title(env, page)


def page_class(page: str) -> str:
    """The class naming a claims table's page: the ledger link ``#page=x`` shows exactly its rows."""
    return "viewcopy-page-" + page.replace("/", "--")


def tables_by_page(
    app: Sphinx, docname: str, headers: list[str], rows: Iterable[tuple[str, nodes.row]], classes: list[str]
) -> list[nodes.Node]:
    """One table per page (rows grouped by their page, in order), captioned with a link to the page, each
    in a block that a browser lays out only when it scrolls into view (CSS content-visibility).
    """
    out: list[nodes.Node] = []
    for page, group in itertools.groupby(rows, key=lambda page_row: page_row[0]):
        title = page_title(app.env, page)
        captioned = table(headers, [row for _, row in group], [*classes, page_class(page)])
        captioned.insert(0, nodes.title("", "", link(app, docname, page, "", title)))
        captioned["ids"] = [nodes.make_id(f"{classes[0]}-{page}")]  # a captioned table needs an id
        out.append(nodes.container("", captioned, classes=["viewcopy-group"]))
    return out

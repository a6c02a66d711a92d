"""Section mapping: in which section of its page each claim was made (the ledger links a claim to it).

A claim row knows where it was made: an executed page's cell number
(``row["cell"]``) or a gallery script's ``path:line`` (``row["where"]``).
:func:`place` gives each row the id of the section holding that cell or code block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes


def section_id(node: nodes.Node | None) -> str:
    """The id of the innermost section holding ``node``; "" outside every section."""
    while node is not None and not (isinstance(node, nodes.section) and node["ids"]):
        node = node.parent
    return node["ids"][0] if node is not None else ""


def gallery_block(row: dict[str, Any]) -> int | None:
    """Which code block (0, 1, ...) of its gallery script a claim was made in, from its line."""
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    source, _, line = row["where"].rpartition(":")
    if not line.isdigit() or not Path(source).is_file():
        return None
    starts = [b.lineno for b in split_code_and_text_blocks(source)[1] if b.type == "code"]
    index = sum(start <= int(line) for start in starts) - 1
    return index if index >= 0 else None


def place(doctree: nodes.document, rows: list[dict[str, Any]]) -> None:
    """Give each row the id of the section it was made in: by cell (a page) or code block (a script)."""
    cells = {
        node["exec_count"]: section_id(node)
        for node in doctree.findall(nodes.container)
        if node.get("nb_element") == "cell_code" and node.get("exec_count") is not None
    }
    blocks = [
        section_id(node)
        for node in doctree.findall(nodes.literal_block)
        if str(node.get("language", "")).lower() == "python"
    ]
    for row in rows:
        if row.get("cell") is not None:
            row["section"] = cells.get(row["cell"], "")
        else:
            block = gallery_block(row)
            row["section"] = blocks[block] if block is not None and block < len(blocks) else ""

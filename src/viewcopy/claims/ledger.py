"""The claim protocol: where claims are recorded, how the record is read, and what fails.

One module decides it all, for the docs build and ``python -m viewcopy check`` alike:

- :func:`recording` points every :func:`viewcopy.claims.claim` of a page at one
  ledger file (JSON lines, one per finished claim), through the environment
  variable named by :data:`LEDGER_ENV`, so that a Jupyter kernel started
  inside the block records there too; :func:`unrecorded` keeps a
  demonstration out of it;
- :func:`write` appends one claim's row as a single atomic write;
  :func:`read` reads a ledger file back, naming the file and line of a
  damaged row;
- :func:`sources` lists what makes claims (every gallery script, and every
  MyST page whose front matter says it is executed) and names each page;
- :func:`problems` says which rows fail the build and the check.

>>> problems([{"id": "a", "page": "p", "sentence": "ravel always returns a view", "verdict": "holds", "cases": 1,
...            "evidence": ["expect_view: a view"]}])
["claim 'a' on p states a rule about 'always' but was checked on 1 case; check it over a family of at least 50 cases ..."]
"""

from __future__ import annotations

import ast
import contextlib
import gc
import json
import os
import re
import sys
import types
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

LEDGER_ENV = "VIEWCOPY_LEDGER"
"""Environment variable naming the JSON-lines file that every finished claim is appended to."""

UNIVERSAL = re.compile(r"\b(always|never|every|any|all|only|whenever)\b", re.IGNORECASE)
"""Quantifiers: with one of these a sentence is a statement about every array it ranges over."""

MIN_CASES = 50
"""How many distinct cases a claim that states a general rule must check."""

_CLASS = re.compile(
    r"(?:nd)?arrays?|views?|cop(?:y|ies)|slices?|transposes?|buffers?|matri(?:x|ces)|layouts?|operands?|inputs?"
)
_PLURAL = re.compile(r"(?:nd)?arrays|slices|transposes|buffers|matrices|layouts")  # "views", "copies" are verbs too
_DEFINITE = {
    "the", "this", "these", "that", "those", "its", "their", "our", "your", "both", "same", "such", "which", "whose",
    "first", "second", "last", "other", "another", "code",
}  # fmt: skip
_PREPOSITION = {
    "of", "on", "for", "with", "in", "from", "into", "through", "over", "across", "per", "to", "by", "about", "than",
    "like", "given", "passing", "assigning", "reshaping", "slicing", "raveling", "flattening", "transposing",
}  # fmt: skip
_NAMED = re.compile(
    r"\b(?:for|on|of|in|with|through)\s+(?:this|these|the|that|those)\s+(?:\S+\s+){0,4}?"
    r"(?:arrays?|case|cases|cells?|grid|example|one|frame|Series|table|page|memmap|file|buffer|column|chunk|batch)\b",
    re.IGNORECASE,
)
_INPUT = re.compile(r"(?:nd)?arrays?|slices?|transposes?|buffers?|matri(?:x|ces)|layouts?|inputs?|operands?")
"""Nouns for what an operation is applied to: as the object of a verb that acts on it, a rule's subject."""
_RESULT_VERBS = {
    "returns", "return", "gives", "give", "makes", "make", "allocates", "allocate", "builds", "build", "creates",
    "create", "produces", "produce", "yields", "yield", "is", "are", "be", "becomes", "become", "get", "gets", "has",
    "have", "hands", "hand", "writes", "write", "leaves", "leave", "stays", "stay", "remains", "remain", "was", "were",
}  # fmt: skip
"""Verbs whose object is what an operation gives ("returns a new array"), not what it is applied to."""
_CONDITION = re.compile(
    r"\b(?:when(?:ever)?|if|unless)\s+(?:the|an?|its)\s+(?:data|array|input|operand|source)s?\s+(?:is|are|has|have)\b",
    re.IGNORECASE,
)
"""A condition on the array: "copies when the data is non-contiguous" states a rule for every array it names."""
_EXISTENTIAL = re.compile(r"\b(?:can|may|sometimes|some|there is|there are)\b", re.IGNORECASE)


def scope(sentence: str) -> tuple[str, str]:
    """Whether a claim's sentence states a rule about a class of arrays: ``('general', phrase)`` or ``('particular', '')``.

    Judged by what the sentence refers to, not by a list of rule words.  A
    rule's subject is what an operation is applied to: an indefinite noun
    phrase naming a kind of array where an input stands (at the start of a
    clause, or after "of", "on", "for", "through"...: "reshape(-1) of a
    non-contiguous array copies", "an empty array's flatten"), a bare plural
    there ("ravel of F-contiguous arrays"), or a quantified one ("any view",
    "each copy", "every layout").  A quantifier (:data:`UNIVERSAL`) makes
    the sentence a rule too.  What names the array checked makes it
    particular: a definite phrase ("this array", "these 858 layouts", "for
    the array above"), code (```x```), a number.  A noun phrase that is an
    object or a predicate ("returns a copy", "is a view", "allocates no new
    array") says what a result is, not what the rule is about; "can" and
    "may" make a statement that one example proves.

    >>> scope("reshape(-1) of a non-contiguous array copies")
    ('general', 'a non-contiguous array')
    >>> scope("reshape(-1) of this non-contiguous array copies")
    ('particular', '')
    >>> scope("`x.ravel()` is a view, and `x.flatten()` returns a copy")
    ('particular', '')
    >>> scope("ravel of C-contiguous arrays returns a view")
    ('general', 'C-contiguous arrays')
    >>> scope("an empty array's flatten allocates 1 B"), scope("reshape(-1) can view an array that ravel copies")
    (('general', "an empty array's"), ('particular', ''))
    >>> scope("ravel copies a transposed array"), scope("flatten returns a new array")
    (('general', 'a transposed array'), ('particular', ''))
    >>> scope("reshape(-1) copies non-contiguous input")
    ('general', 'non-contiguous input')
    """
    text = re.sub(r"`[^`]*`", " code ", sentence)
    condition = _CONDITION.search(text)
    if condition and not _NAMED.search(text):
        return "general", condition.group(0)
    quantified = UNIVERSAL.search(text)
    if _NAMED.search(text) or (_EXISTENTIAL.search(text) and not quantified):
        return "particular", ""
    words = text.split()
    low = [w.lower().strip("\"'(),;:.!?") for w in words]
    for i, word in enumerate(low):
        noun = word.removesuffix("'s").removesuffix("'")
        if noun in ("input", "inputs", "operand", "operands") and i >= 2 and _bare_object(low, words, i):
            return "general", " ".join(words[i - 1 : i + 1]).strip("\"'(),;:.!?")
        if not _CLASS.fullmatch(noun):
            continue
        for j in range(i - 1, max(i - 5, -1) - 1, -1):  # back over up to four modifiers, to what heads the phrase
            clause_start = j < 0 or words[j].endswith((",", ";", ":")) or low[j] in ("and", "but", "while", "whereas")
            if clause_start or low[j] in _PREPOSITION:
                if (_PLURAL.fullmatch(noun) and j < i - 1) or (_PLURAL.fullmatch(noun) and not clause_start):
                    return "general", " ".join(words[j + 1 : i + 1]).strip("\"'(),;:.!?")
                break
            if low[j] in ("any", "every", "each", "all"):
                return "general", " ".join(words[j : i + 1]).strip("\"'(),;:.!?")
            if low[j] in ("a", "an"):
                k = j - 1
                if k < 0 or words[k].endswith((",", ";", ":")) or low[k] in _PREPOSITION or low[k] in ("and", "while"):
                    return "general", " ".join(words[j : i + 1]).strip('"(),;:.!?')
                if _INPUT.fullmatch(noun) and j < i - 1 and _acts_on(low[k]):
                    # the object of a verb acting on a kind of array: "ravel copies a transposed array"
                    return "general", " ".join(words[j : i + 1]).strip('"(),;:.!?')
                break  # an object or a predicate: "returns a copy", "is a view"
            if low[j] in _DEFINITE or re.fullmatch(r"[\d,.]+|\S*[(.\[=_]\S*", words[j]) or low[j] == "no":
                break  # names what was checked: "this array", "grid.T", "1,000-element"
    return ("general", quantified.group(0)) if quantified else ("particular", "")


def _bare_object(low: list[str], words: list[str], i: int) -> bool:
    """``words[i]`` (input, operand) heads a bare phrase with one modifier, the object of a verb acting on it."""
    modifier, verb = low[i - 1], low[i - 2]
    if modifier in _DEFINITE or modifier in ("a", "an", "no") or not re.fullmatch(r"[a-z][a-z-]*", words[i - 1]):
        return False
    return _acts_on(verb)


def _acts_on(word: str) -> bool:
    """``word`` could be a verb that acts on what follows it ("copies", "views", "reads"), not one that says
    what a result is ("returns", "is"), and not a comparison or a symbol ("as", "+")."""
    return word.isalpha() and word not in _RESULT_VERBS and word not in _DEFINITE and word not in _NOT_VERBS


_NOT_VERBS = {"a", "an", "as", "or", "and", "than", "like", "nor", "not", "no"}


class LedgerWarning(UserWarning):
    """A claim ran but could not be recorded; the warning carries its record."""


# -- where a claim is made ------------------------------------------------------------------------


def whereabouts(frame: types.FrameType) -> dict[str, Any]:
    """Where the claim whose ``with`` statement runs in ``frame`` is made: ``where`` and ``cell``.

    In a script, ``where`` is ``file:line`` and ``cell`` is None.  In a
    Jupyter kernel (an executed page), ``cell`` is the number of the code cell
    (``In [n]``) and ``where`` says ``cell n, line m``: the kernel's
    temporary file names mean nothing to a reader.  The docs build finds the
    claim's section from its cell (a page) or its line (a gallery script).
    """
    filename, line = frame.f_code.co_filename, frame.f_lineno
    cell = _cell_number(filename)
    if cell is not None:
        return {"where": f"cell {cell}, line {line}", "cell": cell}
    return {"where": f"{filename}:{line}", "cell": None}


def _cell_number(filename: str) -> int | None:
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    name = getattr(getattr(shell, "compile", None), "format_code_name", None)
    try:
        kind, label = name(filename) if callable(name) else (None, "")  # ("Cell", "In[5]") for a cell's code
    except (TypeError, ValueError):  # not IPython's compiler (a stand-in)
        return None
    found = re.fullmatch(r"In\[(\d+)\]", label) if kind == "Cell" and isinstance(label, str) else None
    return int(found.group(1)) if found else None


# -- recording -------------------------------------------------------------------------------------


def target() -> str | None:
    """The ledger file claims are recorded to right now, or None."""
    return os.environ.get(LEDGER_ENV) or None


@contextlib.contextmanager
def recording(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Record every claim made inside the block (and in processes it starts) to a fresh file ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    saved = os.environ.get(LEDGER_ENV)
    try:  # set inside the try: an interrupt right after it still restores the variable
        os.environ[LEDGER_ENV] = str(path)
        yield path
    finally:
        _restore(saved)


def start(path: str | os.PathLike[str]) -> Path:
    """Like :func:`recording`, for hooks that cannot wrap the run in a block: record to ``path`` from now on."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    os.environ[LEDGER_ENV] = str(path)
    return path


@contextlib.contextmanager
def unrecorded() -> Iterator[None]:
    """Keep the claims made inside the block out of the ledger (a page's demonstration of a failure)."""
    saved = os.environ.get(LEDGER_ENV)
    try:  # taken out inside the try: an interrupt right after it still restores the variable
        os.environ.pop(LEDGER_ENV, None)
        yield
    finally:
        _restore(saved)


def _restore(saved: str | None) -> None:
    if saved is None:
        os.environ.pop(LEDGER_ENV, None)
    else:
        os.environ[LEDGER_ENV] = saved


def write(row: dict[str, Any], path: str | os.PathLike[str] | None = None) -> None:
    """Append ``row`` as one JSON line, in a single ``write`` call (O_APPEND: lines never interleave).

    Raises :class:`OSError` when the line cannot be written whole.
    """
    path = path if path is not None else target()
    if path is None:
        return
    data = (json.dumps(row) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
    finally:
        os.close(fd)
    if written != len(data):
        raise OSError(f"only {written} of {len(data)} bytes of a claim were written to {path}")


# -- reading ---------------------------------------------------------------------------------------


NOT_RUN = "not_run"
"""The key of a ledger line that names a claim not run for want of a library (``claims.not_run``)."""


def read(path: str | os.PathLike[str], page: str) -> list[dict[str, Any]]:
    """The claims of one ledger file, each tagged with ``page`` (:func:`not_run_lines` has the rest).

    A line that is not a whole JSON object (a run killed while writing it)
    raises :class:`ValueError` naming the file and the line.
    """
    return [row for row in _lines(path, page) if NOT_RUN not in row]


def not_run_lines(path: str | os.PathLike[str], page: str) -> list[dict[str, Any]]:
    """The claims of one ledger file that were not run: ``{"not_run": id, "needs": library, "page": page}``."""
    return [row for row in _lines(path, page) if NOT_RUN in row]


def _lines(path: str | os.PathLike[str], page: str) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as ledger:
        for number, line in enumerate(ledger, start=1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                what = "truncated" if not line.endswith("\n") else "damaged"
                raise ValueError(f"{path}:{number}: a {what} ledger line ({error.msg}): {line[:80]!r}") from None
            if not isinstance(row, dict):
                raise TypeError(f"{path}:{number}: a ledger line is a JSON object; got {line[:80]!r}")
            rows.append({"cases": 1, **row, "page": page})
    return rows


# -- what makes claims -----------------------------------------------------------------------------

GALLERY_SOURCES = "examples"
"""The folder of the gallery scripts, beside docs/ (docs/conf.py hands both names to sphinx-gallery)."""
GALLERY_PAGES = "auto_examples"
"""The folder under docs/ that sphinx-gallery writes their pages to."""


def page_name(root: str | os.PathLike[str], source: str | os.PathLike[str]) -> str:
    """The site's name for the page a source becomes: ``auto_examples/plot_x`` or ``how-it-checks``."""
    source = Path(source)
    relative = source.resolve().relative_to(Path(root).resolve())
    if relative.parts[0] == GALLERY_SOURCES:
        return f"{GALLERY_PAGES}/{source.stem}"
    if relative.parts[0] == "docs":
        return relative.relative_to("docs").with_suffix("").as_posix()
    raise ValueError(f"{source} is neither in {root}/{GALLERY_SOURCES} nor in {root}/docs")


def ledger_file(folder: str | os.PathLike[str], page: str) -> Path:
    """The ledger file of ``page`` inside ``folder``."""
    return Path(folder) / (page.replace("/", "__") + ".jsonl")


def page_of(ledger: str | os.PathLike[str]) -> str:
    """The page a ledger file made by :func:`ledger_file` belongs to."""
    return Path(ledger).stem.replace("__", "/")


FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def is_executed(text: str) -> bool:
    """Whether a MyST page's front matter makes it an executed notebook (``file_format: mystnb`` or a kernel)."""
    found = FRONT_MATTER.match(text)
    top = found.group(1).splitlines() if found else []
    return any(line.startswith("kernelspec:") or re.fullmatch(r"file_format:\s*mystnb\s*", line) for line in top)


def sources(root: str | os.PathLike[str]) -> list[tuple[str, Path]]:
    """(page, file) for every source that makes claims: each gallery script, each executed MyST page."""
    root = Path(root)
    found = [(page_name(root, p), p) for p in sorted((root / GALLERY_SOURCES).glob("*.py"))]
    docs = root / "docs"
    if docs.is_dir():
        for path in sorted(docs.rglob("*.md")):
            if "_build" not in path.parts and is_executed(path.read_text(encoding="utf-8")):
                found.append((page_name(root, path), path))
    return found


CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
"""A MyST page's code cell; group 1 is its code."""


def asserts(path: str | os.PathLike[str]) -> list[str]:
    """``file:line`` of every ``assert`` statement in a claim source (a script, or an executed page's code cells).

    ``python -O`` strips asserts: a claim whose check is one holds with
    nothing checked.  A claim states its checks with :meth:`Claim.check`;
    a page's sanity check raises explicitly.  A source that does not parse is
    left to fail when it runs.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        blocks = [(0, text)]
    else:
        blocks = [(text[: m.start(1)].count("\n"), m.group(1)) for m in CODE_CELL.finditer(text)]
    found = []
    for first, code in blocks:
        # IPython magics and a cell's option lines are not Python: keep their lines, blank their text
        lines = ["" if line.startswith(("%", ":")) or line.strip() == "---" else line for line in code.split("\n")]
        try:
            tree = _parse("\n".join(lines))
        except SyntaxError:
            continue
        found += [f"{path}:{first + node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    return found


def _parse(code: str) -> ast.Module:
    """``ast.parse`` with the garbage collector held off.

    CPython 3.11 up to 3.11.7 raises ``SystemError: AST constructor recursion depth mismatch`` when a collection
    runs a finalizer (a ``TemporaryDirectory``'s, say) while the tree is being built (CPython gh-106905).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(code)
    finally:
        if enabled:
            gc.enable()


def source_problems(root: str | os.PathLike[str]) -> list[str]:
    """Why the claim sources under ``root`` fail the build and the check, whatever the rows say: an ``assert`` in one."""
    return [
        f"{where}: an assert statement in a claim source (python -O strips it); use c.check(condition, what) "
        "inside a claim, or raise explicitly"
        for _, path in sources(root)
        for where in asserts(path)
    ]


# -- what fails ------------------------------------------------------------------------------------


def problems(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Why these rows fail the build and the check, one sentence each; empty when they pass.

    A row fails when its claim did not hold, when it recorded no evidence
    (nothing inside it checked anything), when its id is used twice, and
    when its sentence states a rule about a class of arrays (:func:`scope`)
    but it was checked on fewer than :data:`MIN_CASES` distinct cases: check
    it over a family, or name the one array checked.
    """
    rows = list(rows)
    found = []
    counts = Counter(row["id"] for row in rows)
    reported: set[str] = set()
    for row in rows:
        where = f"claim {row['id']!r} on {row.get('page', '?')}"
        if row["verdict"] != "holds":
            found.append(f"{where} does not hold: {'; '.join(row.get('evidence', [])[-1:]) or row['verdict']}")
        if counts[row["id"]] > 1 and row["id"] not in reported:
            reported.add(row["id"])
            pages = sorted({r.get("page", "?") for r in rows if r["id"] == row["id"]})
            found.append(f"claim id {row['id']!r} is used {counts[row['id']]} times (on {', '.join(pages)})")
        if not row.get("evidence"):
            found.append(
                f"{where} recorded no evidence: nothing inside it measured or checked anything; "
                "state its check with c.check(condition, f'what was measured')"
            )
        kind, phrase = scope(row["sentence"])
        cases = row.get("cases", 1)
        if kind == "general" and cases < MIN_CASES:
            found.append(
                f"{where} states a rule about {phrase!r} but was checked on {cases} case{'s' * (cases != 1)}; "
                f"check it over a family of at least {MIN_CASES} cases (Claim.over) or name the array it was "
                "checked on ('this array', '`x`')"
            )
    return found

"""Claims: named, checked statements about memory, recorded as they run."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

LEDGER_ENV = "VIEWCOPY_LEDGER"
"""Environment variable naming a JSON-lines file that every finished claim is appended to."""

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclasses.dataclass
class Claim:
    """One statement the site makes, with what was measured when it was checked.

    Attributes
    ----------
    id : str
        Short and stable: ``ravel-contiguous-view``.
    sentence : str
        The statement, as a reader would say it.
    evidence : list of str
        What each check inside the claim measured, in order.
    verdict : str
        ``'holds'`` when every check passed, ``'fails'`` when one raised.
    where : str
        ``file:line`` of the ``with viewcopy.claim(...)`` statement.
    """

    id: str
    sentence: str
    evidence: list[str] = dataclasses.field(default_factory=list)
    verdict: Literal["holds", "fails", "running"] = "running"
    where: str = ""
    seconds: float = 0.0
    numpy: str = np.__version__
    python: str = platform.python_version()

    def note(self, evidence: str) -> None:
        """Add a line of evidence; the checks in :mod:`viewcopy` call this themselves."""
        self.evidence.append(evidence)


_open: list[Claim] = []


def note(evidence: str) -> None:
    """Give evidence to every claim that is open right now (none: do nothing)."""
    for c in _open:
        c.note(evidence)


@contextmanager
def claim(id: str, sentence: str) -> Iterator[Claim]:
    """Name the statement that the checks inside the block prove.

    Each :func:`expect_view`, :func:`expect_copy`, :func:`track` and
    :func:`relation` run inside adds its measurement as evidence.  If any
    raises, the claim fails and the exception goes on, so a false claim stops
    the script that makes it.  When the environment variable
    ``VIEWCOPY_LEDGER`` names a file, each finished claim is appended to it as
    a JSON line: that file is the site's claims ledger.

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((100, 10))
    >>> with viewcopy.claim("ravel-contiguous-view", "ravel of a C-contiguous array is a view") as c:
    ...     r = viewcopy.expect_view(a, a.ravel())
    >>> c.verdict, c.evidence
    ('holds', ['expect_view: a view (shares memory with its source)'])
    """
    if not isinstance(id, str) or not _ID.match(id):
        raise ValueError(f"a claim id is lowercase letters, digits and dashes, like 'ravel-view'; got {id!r}")
    if not isinstance(sentence, str) or not sentence.strip():
        raise ValueError("a claim needs the sentence it supports")
    frame = sys._getframe(2)  # the caller of the with-statement (1 is contextlib)
    c = Claim(id, sentence.strip(), where=f"{frame.f_code.co_filename}:{frame.f_lineno}")
    _open.append(c)
    start = time.perf_counter()
    try:
        yield c
    except BaseException as error:
        c.verdict = "fails"
        c.note(f"{type(error).__name__}: {error}")
        error.add_note(f"viewcopy claim {c.id!r} failed: {c.sentence} ({c.where})")
        raise
    else:
        c.verdict = "holds"
    finally:
        c.seconds = time.perf_counter() - start
        _open.remove(c)
        _write(c)


def _write(c: Claim) -> None:
    path = os.environ.get(LEDGER_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(dataclasses.asdict(c)) + "\n")


def read_ledger(path: str | os.PathLike[str], page: str) -> list[dict[str, Any]]:
    """The claims a page wrote to its ledger file, each row tagged with the page."""
    with open(path, encoding="utf-8") as ledger:
        return [{**json.loads(line), "page": page} for line in ledger]

"""Claims: named, checked statements about memory, recorded as they run."""

from __future__ import annotations

import contextvars
import dataclasses
import platform
import re
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar

import numpy as np

from . import _ledger
from ._errors import short_repr

T = TypeVar("T")

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
        ``file:line`` of the ``with viewcopy.claim(...)`` statement
        (``cell n, line m`` in a Jupyter kernel).
    cell : int or None
        The code cell the claim is made in, in a Jupyter kernel.
    cases : int
        How many distinct cases the checks ran on: 1 for a claim about one
        array, the number of cases :meth:`over` completed otherwise.
    """

    id: str
    sentence: str
    evidence: list[str] = dataclasses.field(default_factory=list)
    verdict: Literal["holds", "fails", "running"] = "running"
    where: str = ""
    seconds: float = 0.0
    numpy: str = np.__version__
    python: str = platform.python_version()
    cases: int = 1
    cell: int | None = None
    _done: set[object] | None = dataclasses.field(default=None, repr=False, compare=False)

    def over(self, cases: Iterable[T]) -> Iterator[T]:
        """Yield each case; count it once the loop body has finished with it (a failing case is not counted).

        Cases are told apart by their ``name`` attribute when they have one,
        by their position otherwise.  A sentence that says "always", "never",
        "every"... must be checked over at least 50 cases.

        >>> import numpy as np, viewcopy
        >>> arrays = [np.zeros(3), np.zeros((2, 2)), np.zeros((2, 2), order="F")]
        >>> with viewcopy.claim("copy-makes-a-copy", "copy() of these arrays is a copy") as c:
        ...     for a in c.over(arrays):
        ...         r = viewcopy.expect_copy(a, a.copy())
        >>> c.cases
        3
        """
        if self._done is None:
            self._done = set()
            self.cases = 0
        for position, case in enumerate(cases):
            yield case
            name = getattr(case, "name", None)
            self._done.add(name if isinstance(name, str) else position)
            self.cases = len(self._done)

    def row(self) -> dict[str, object]:
        """What the ledger records: every public field."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if not f.name.startswith("_")}

    def note(self, evidence: str) -> None:
        """Add a line of evidence; the checks in :mod:`viewcopy` call this themselves."""
        self.evidence.append(evidence)


# The claims open in this thread or task: a new thread starts with none, so a
# claim never collects evidence from checks that another thread runs.
_open: contextvars.ContextVar[tuple[Claim, ...]] = contextvars.ContextVar("viewcopy_open_claims", default=())


def listening() -> bool:
    """True when a claim is open in this thread or task: callers skip building evidence otherwise."""
    return bool(_open.get())


def note(evidence: str) -> None:
    """Give evidence to every claim open in this thread or task (none: do nothing)."""
    for c in _open.get():
        if c.verdict == "running":  # not one an interrupt left behind
            c.note(evidence)


@contextmanager
def claim(id: str, sentence: str) -> Iterator[Claim]:
    """Name the statement that the checks inside the block prove.

    Each :func:`expect_view`, :func:`expect_copy`, :func:`track` and
    :func:`relation` run inside adds its measurement as evidence.  If any
    raises, the claim fails and the exception goes on, so a false claim stops
    the script that makes it.  While the site is built or checked, each
    finished claim is appended to the page's ledger file (see
    ``viewcopy._ledger``); if that write fails, a warning says so and
    carries the record, and the claim's own error, if any, still wins.

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((100, 10))
    >>> with viewcopy.claim("ravel-contiguous-view", "ravel of a C-contiguous array is a view") as c:
    ...     r = viewcopy.expect_view(a, a.ravel())
    >>> c.verdict, c.evidence
    ('holds', ['expect_view: a view (shares memory with its source)'])
    """
    if not isinstance(id, str) or not _ID.fullmatch(id):
        raise ValueError(f"a claim id is lowercase letters, digits and dashes, like 'ravel-view'; got {short_repr(id)}")
    if not isinstance(sentence, str) or not sentence.strip():
        raise ValueError("a claim needs the sentence it supports")
    frame = sys._getframe(2)  # the caller of the with-statement (1 is contextlib)
    c = Claim(id, sentence.strip(), **_ledger.whereabouts(frame))
    start = time.perf_counter()
    try:  # opened inside the try, so an interrupt anywhere after it still reaches the finally
        _open.set((*_open.get(), c))
        yield c
    except BaseException as error:
        c.verdict = "fails"
        c.note(f"{type(error).__name__}: {error}")
        error.add_note(f"viewcopy claim {c.id!r} failed: {c.sentence} ({c.where})")
        _finish(c, start, error)
        raise
    else:
        c.verdict = "holds"
        _finish(c, start, None)
    finally:
        _close(c)


def _finish(c: Claim, start: float, error: BaseException | None) -> None:
    """Record a finished claim; a write error becomes a warning, and never hides the claim's own error."""
    c.seconds = time.perf_counter() - start
    _close(c)
    try:
        _ledger.write(c.row())
    except (OSError, TypeError, ValueError) as write_error:
        message = f"viewcopy claim {c.id!r} was not recorded in the ledger ({write_error}); its record: {c.row()}"
        try:
            warnings.warn(message, _ledger.LedgerWarning, stacklevel=4)
        except Warning as warning:  # warnings are errors here: the claim's own error still wins
            if error is None:
                raise
            error.add_note(str(warning))


def _close(c: Claim) -> None:
    """Take ``c`` off this context's open claims (generators may close them out of order)."""
    _open.set(tuple(x for x in _open.get() if x is not c))

"""Claims: named, checked statements about memory, recorded as they run."""

from __future__ import annotations

import dataclasses
import platform
import re
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

from .. import _evidence
from .._errors import short_repr
from .._format import format_bytes
from . import ledger

if TYPE_CHECKING:
    from .._measure import Tracked

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
        ``file:line`` of the ``with viewcopy.claims.claim(...)`` statement
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
    numpy: str = dataclasses.field(default_factory=lambda: np.__version__)
    python: str = dataclasses.field(default_factory=platform.python_version)
    cases: int = 1
    cell: int | None = None
    _done: set[object] | None = dataclasses.field(default=None, repr=False, compare=False)
    _small_case: bool = dataclasses.field(default=False, repr=False, compare=False)
    _unchecked: int = dataclasses.field(default=0, repr=False, compare=False)

    def over(self, cases: Iterable[T]) -> Iterator[T]:
        """Yield each case; count it once the loop body has finished with it (a failing case is not counted).

        Cases are told apart by their ``name`` attribute when they have one,
        by their position otherwise.  A sentence that says "always", "never",
        "every"... must be checked over at least 50 cases.

        >>> import numpy as np, viewcopy, viewcopy.claims
        >>> arrays = [np.zeros(3), np.zeros((2, 2)), np.zeros((2, 2), order="F")]
        >>> with viewcopy.claims.claim("copy-makes-a-copy", "copy() of these arrays is a copy") as c:
        ...     for a in c.over(arrays):
        ...         r = viewcopy.expect_copy(a, a.copy())
        >>> c.cases
        3

        Cross-check: a :func:`viewcopy.track` block run for a case whose
        arrays span less than ``CROSS_CHECK_BELOW`` bytes is not measured
        by memray (see :meth:`block_closed`); the claim's evidence says how
        many blocks were not, once, when it ends.
        """
        if self._done is None:
            self._done = set()
            self.cases = 0
        for position, case in enumerate(cases):
            self._small_case = _case_bytes(case) < CROSS_CHECK_BELOW
            try:
                yield case
            finally:
                self._small_case = False
            name = getattr(case, "name", None)
            self._done.add(name if isinstance(name, str) else position)
            self.cases = len(self._done)

    def row(self) -> dict[str, object]:
        """What the ledger records: every public field."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if not f.name.startswith("_")}

    def note(self, evidence: str) -> None:
        """Add a line of evidence."""
        self.evidence.append(evidence)

    def hear(self, evidence: str) -> None:
        """Evidence from viewcopy's own checks (``viewcopy._evidence``): kept while the claim runs."""
        if self.verdict == "running":  # not one an interrupt left behind
            self.evidence.append(evidence)

    def wants_cross_check(self) -> bool:
        """Whether a track block opening now is cross-checked: not when it runs for a small case of :meth:`over`."""
        return self.verdict == "running" and not self._small_case

    def not_cross_checked(self) -> None:
        """A track block opened on a small case: counted, and said once when the claim ends."""
        self._unchecked += 1

    def block_closed(self, tracked: Tracked, allocator: int | str, failed: bool) -> None:
        """A :func:`viewcopy.track` block inside the claim ended: cross-check its peak against memray's.

        NumPy's handler (``tracked.peak_bytes``) and memray (``allocator``,
        every allocation of the process) must agree within
        ``viewcopy.claims._claim.CROSS_CHECK_TOLERANCE`` (1 MiB + 64 KiB), or the claim fails with both figures:
        a block whose peak NumPy's handler does not see (a scratch buffer
        from ``malloc``, Python objects, another library's memory) cannot
        back a sentence about what the code allocates.  A block that memray
        could not measure is recorded as not cross-checked, with why.
        """
        if self.verdict != "running":
            return
        if isinstance(allocator, str):
            self.evidence.append(f"cross-check: {allocator}")
            return
        numpy = tracked.peak_bytes
        figures = (
            f"NumPy's handler saw a peak of {format_bytes(numpy)} ({numpy} B), memray "
            f"{format_bytes(allocator)} ({allocator} B), every allocation of the process"
        )
        if abs(allocator - numpy) <= CROSS_CHECK_TOLERANCE:
            self.evidence.append(f"cross-check: {figures}: they agree within {format_bytes(CROSS_CHECK_TOLERANCE)}")
            return
        message = (
            f"claim {self.id!r}: the two meters disagree about a track block: {figures}; they differ by "
            f"{format_bytes(abs(allocator - numpy))}, more than the interpreter's own allocations "
            f"({format_bytes(CROSS_CHECK_TOLERANCE)}): measure the block with track(allocator=True) "
            "and say which meter saw what"
        )
        self.evidence.append(f"cross-check: {message}")
        if not failed:
            raise ClaimError(message)

    def check(self, condition: object, what: str) -> None:
        """Record ``what`` as evidence, and fail the claim unless ``condition`` is true.

        ``what`` says what was measured, with the figures: it is what the
        ledger shows.  Use this, not ``assert``, which ``python -O`` strips.

        >>> from viewcopy.claims import claim
        >>> with claim("two-is-two", "two is two") as c:
        ...     c.check(1 + 1 == 2, f"1 + 1 is {1 + 1}")
        >>> c.evidence
        ['check: 1 + 1 is 2']
        """
        if not isinstance(what, str) or not what.strip():
            raise ValueError("Claim.check() needs `what`: the measured figures that decide it, as a sentence")
        try:
            holds = bool(condition)
        except (TypeError, ValueError) as error:  # an array of several elements, say
            raise TypeError(f"Claim.check() takes a true-or-false condition, got {short_repr(condition)}") from error
        self.note(f"check: {what}")
        if not holds:
            raise ClaimError(f"claim {self.id!r}: {what}: does not hold")


def _case_bytes(case: object) -> float:
    """Bytes of the buffers a case's arrays view (an array, a ``Case``, or a tuple or list of them); inf for none.

    A view counts the whole buffer it views (its base's ``nbytes``), not its
    own ``nbytes``: a block on ``big[::1000]`` can copy ``big``.  A case
    with no array in it (a dtype, a shape, a number) is always cross-checked.
    """
    items = case if isinstance(case, (tuple, list)) else (case,)
    total = 0
    found = False
    for item in items:
        array = item if isinstance(item, np.ndarray) else getattr(item, "array", None)
        if not isinstance(array, np.ndarray):
            continue
        found = True
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root.base is not None:  # a buffer NumPy did not allocate (a memmap, bytes, another library's)
            return float("inf")
        total += max(array.nbytes, root.nbytes)
    return total if found else float("inf")


CROSS_CHECK_BELOW = 64 * 1024
"""Cases of :meth:`Claim.over` whose arrays span fewer bytes than this (64 kB) are not cross-checked against memray.

This is a trade of cost against proof, not a proof: for those blocks the
claim rests on NumPy's handler alone, and its evidence counts them.  The
scratch memory outside NumPy's handler measured on this site is at most the
array's size (matmul's copy of a strided operand, a stable sort's buffer of
half of it), far below :data:`CROSS_CHECK_TOLERANCE` for an array under
64 kB; but a block may allocate outside the handler whatever the size of
its case (a tile of it, a library's pool), and such a block passes unseen.  The families of :func:`viewcopy.claims.layouts` are all far below
(their largest array is 1.9 kB), and they hold most of the site's blocks:
measured over ``python -m viewcopy check``, cross-checking every block cost
541 CPU-seconds against 43 without (memray's session costs about 6.5 ms of
CPU per block), nearly all on those families.  A case with no array in it,
and every block outside ``over``, is cross-checked.
"""


CROSS_CHECK_TOLERANCE = 1024 * 1024 + 64 * 1024
"""How far NumPy's handler and memray may disagree about a block inside a claim: 1 MiB + 64 KiB.

memray sees the interpreter's own allocations too: a block that needs a new
pymalloc arena maps 1 MiB at once (the arena size from CPython 3.10 on, 64-bit),
and the frames, dicts and strings a few lines of Python make add small mallocs.
The measure page measures the difference over every cross-checked block of the site.
"""


class ClaimError(AssertionError):
    """A :meth:`Claim.check` found its condition false."""


@contextmanager
def claim(id: str, sentence: str) -> Iterator[Claim]:
    """Name the statement that the checks inside the block prove.

    Each :func:`viewcopy.expect_view`, :func:`viewcopy.expect_copy`, :func:`viewcopy.track` and
    :func:`viewcopy.relation` run inside adds its measurement as evidence.  If any
    raises, the claim fails and the exception goes on, so a false claim stops
    the script that makes it.  While the site is built or checked, each
    finished claim is appended to the page's ledger file (see
    ``viewcopy.claims.ledger``); if that write fails, a warning says so and
    carries the record, and the claim's own error, if any, still wins.

    >>> import numpy as np, viewcopy, viewcopy.claims
    >>> a = np.zeros((100, 10))
    >>> with viewcopy.claims.claim("ravel-contiguous-view", "ravel of a C-contiguous array is a view") as c:
    ...     r = viewcopy.expect_view(a, a.ravel())
    >>> c.verdict, c.evidence
    ('holds', ['expect_view: a view (shares memory with its source)'])
    """
    if not isinstance(id, str) or not _ID.fullmatch(id):
        raise ValueError(f"a claim id is lowercase letters, digits and dashes, like 'ravel-view'; got {short_repr(id)}")
    if not isinstance(sentence, str) or not sentence.strip():
        raise ValueError("a claim needs the sentence it supports")
    frame = sys._getframe(2)  # the caller of the with-statement (1 is contextlib)
    c = Claim(id, sentence.strip(), **ledger.whereabouts(frame))
    start = time.perf_counter()
    try:  # opened inside the try, so an interrupt anywhere after it still reaches the finally
        _evidence.listeners.set((*_evidence.listeners.get(), c))
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


def not_run(id: str, needs: str) -> None:
    """Say that claim ``id`` was not run here because the library ``needs`` is not installed.

    A page that makes most of its claims with NumPy alone calls it instead
    of the claims that need the library, so ``python -m viewcopy check``
    lists them as skipped, with the install line (and ``--strict`` fails),
    rather than dropping them silently.

    >>> import viewcopy.claims
    >>> viewcopy.claims.not_run("landing-boundary-polars-to-numpy", "polars")  # outside a build: nothing to record
    """
    if not isinstance(id, str) or not _ID.fullmatch(id):
        raise ValueError(f"a claim id is lowercase letters, digits and dashes, like 'ravel-view'; got {short_repr(id)}")
    if not isinstance(needs, str) or not needs.isidentifier():
        raise ValueError(f"needs is the name of the library the claim needs, like 'pandas'; got {short_repr(needs)}")
    ledger.write({ledger.NOT_RUN: id, "needs": needs})


def _finish(c: Claim, start: float, error: BaseException | None) -> None:
    """Record a finished claim; a write error becomes a warning, and never hides the claim's own error."""
    c.seconds = time.perf_counter() - start
    if c._unchecked:
        c.evidence.append(
            f"cross-check: {c._unchecked} track block(s) not cross-checked against memray: they ran on cases "
            f"of fewer than {format_bytes(CROSS_CHECK_BELOW)} (CROSS_CHECK_BELOW), and for them the claim rests on "
            "NumPy's handler alone"
        )
    _close(c)
    try:
        ledger.write(c.row())
    except (OSError, TypeError, ValueError) as write_error:
        message = f"viewcopy claim {c.id!r} was not recorded in the ledger ({write_error}); its record: {c.row()}"
        try:
            warnings.warn(message, ledger.LedgerWarning, stacklevel=4)
        except Warning as warning:  # warnings are errors here: the claim's own error still wins
            if error is None:
                raise
            error.add_note(str(warning))


def _close(c: Claim) -> None:
    """Take ``c`` off this context's open claims (generators may close them out of order)."""
    _evidence.listeners.set(tuple(x for x in _evidence.listeners.get() if x is not c))

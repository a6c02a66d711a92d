"""Evidence: what viewcopy's checks measured, for whoever is listening in this thread or task.

viewcopy's own functions (``track``, ``expect_view``, ``relation``...) say
what they measured through :func:`note`.  Nobody listens unless a listener
opened in this context: the site's claims (:mod:`viewcopy.claims`) are the
only one.  This module is how the user-facing package talks to the site's
machinery without importing it.
"""

from __future__ import annotations

import contextvars
import os
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._measure import Tracked


class Listener(Protocol):
    """Anything that collects evidence: a :class:`viewcopy.claims.Claim`."""

    def hear(self, evidence: str) -> None: ...

    def wants_cross_check(self) -> bool:
        """Whether a track block opening now, in this thread or task, should be measured by memray too."""

    def not_cross_checked(self) -> None:
        """A track block opened that no listener wanted cross-checked: count it."""

    def block_closed(self, tracked: Tracked, allocator: int | str, failed: bool) -> None:
        """A :func:`viewcopy.track` block in this thread or task ended (``failed``: by an exception).

        While a listener is open, each block is also measured with the
        allocator meter (memray, :mod:`viewcopy._meters`): ``allocator`` is
        that meter's peak in bytes, or why the block could not be measured
        (``'not cross-checked: ...'``).  The listener may raise to fail the
        block (a :class:`viewcopy.claims.ClaimError`) unless ``failed``.
        """


# The listeners open in this thread or task: a new thread starts with none, so a
# claim never collects evidence from checks that another thread runs.
listeners: contextvars.ContextVar[tuple[Listener, ...]] = contextvars.ContextVar("viewcopy_listeners", default=())


# The claims' automatic cross-check against memray (issue 21, item 2) is on unless VIEWCOPY_CROSS_CHECK=0, which
# is for timing the site without it.
CROSS_CHECK = os.environ.get("VIEWCOPY_CROSS_CHECK", "1") != "0"


def cross_checking() -> bool:
    """Whether the track block opening now is cross-checked against memray: called once per block, as it opens.

    True when a listener is open and one of them wants this block
    cross-checked (a claim does not for a block on a case below its size
    rule, see ``viewcopy.claims.Claim.over``; every listener that does not is
    told, to count the block as not cross-checked).  Always False with
    ``VIEWCOPY_CROSS_CHECK=0``.
    """
    open_now = listeners.get()
    if not CROSS_CHECK or not open_now:
        return False
    wanted = False
    for listener in open_now:  # every listener is asked (no short cut): each may keep count
        wanted = listener.wants_cross_check() or wanted
    if wanted:
        return True
    for listener in open_now:
        listener.not_cross_checked()
    return False


def listening() -> bool:
    """True when a listener is open in this thread or task: callers skip building evidence otherwise."""
    return bool(listeners.get())


def note(evidence: str) -> None:
    """Give ``evidence`` to every listener open in this thread or task (none: do nothing)."""
    for listener in listeners.get():
        listener.hear(evidence)


def block_closed(tracked: Tracked, allocator: int | str, failed: bool) -> None:
    """Tell every listener open in this thread or task that a track block ended (see :class:`Listener`)."""
    for listener in listeners.get():
        listener.block_closed(tracked, allocator, failed)

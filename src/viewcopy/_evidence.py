"""Evidence: what viewcopy's checks measured, for whoever is listening in this thread or task.

viewcopy's own functions (``track``, ``expect_view``, ``relation``...) say
what they measured through :func:`note`.  Nobody listens unless a listener
opened in this context: the site's claims (:mod:`viewcopy.claims`) are the
only one.  This module is how the user-facing package talks to the site's
machinery without importing it.
"""

from __future__ import annotations

import contextvars
from typing import Protocol


class Listener(Protocol):
    """Anything that collects evidence: a :class:`viewcopy.claims.Claim`."""

    def hear(self, evidence: str) -> None: ...


# The listeners open in this thread or task: a new thread starts with none, so a
# claim never collects evidence from checks that another thread runs.
listeners: contextvars.ContextVar[tuple[Listener, ...]] = contextvars.ContextVar("viewcopy_listeners", default=())


def listening() -> bool:
    """True when a listener is open in this thread or task: callers skip building evidence otherwise."""
    return bool(listeners.get())


def note(evidence: str) -> None:
    """Give ``evidence`` to every listener open in this thread or task (none: do nothing)."""
    for listener in listeners.get():
        listener.hear(evidence)

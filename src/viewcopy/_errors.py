"""The exceptions viewcopy raises when a view, a copy or a budget is not what was expected."""

from __future__ import annotations

from typing import Any


def short_repr(x: object, limit: int = 60) -> str:
    """``repr(x)`` for an error message: cut to ``limit`` characters, and never raising."""
    try:
        text = repr(x)
    except Exception:  # noqa: BLE001 - whatever a broken __repr__ raises
        text = f"<{type(x).__name__} object whose repr() raised>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ViewCopyError(AssertionError):
    """Base of the errors of viewcopy's guards: expect_view, expect_copy and budget.

    It subclasses :class:`AssertionError` because each one is a failed
    assertion about memory: code that already catches assertion failures
    keeps working.
    """

    def __init__(self, message: str, **evidence: Any) -> None:
        super().__init__(message)
        self.evidence = evidence
        """What was measured, by name, for a log line or a report."""


class UnexpectedCopyError(ViewCopyError):
    """A view was expected, but the result is a copy of its source, as :func:`viewcopy.relation` decides."""


class UnexpectedViewError(ViewCopyError):
    """A copy was expected, but the result is a view of its source, as :func:`viewcopy.relation` decides.

    For arrays that hold bytes that means they share memory; where either
    holds none, that the result reads the source's buffer (its base chain
    ends where the source's does), though :func:`numpy.shares_memory` says
    False for it.
    """


class MemoryBudgetError(ViewCopyError):
    """A block's memory peak went over the budget given to :func:`viewcopy.budget`."""


class MeterUnavailableError(RuntimeError):
    """A meter asked of :func:`viewcopy.track` cannot run here, or another block holds it; the message says which.

    memray (``allocator=True``) has no Windows build and allows one tracker
    per process; the resident peak (``resident=True``) needs Linux's
    ``/proc/self/clear_refs``, which some containers refuse.
    """


for _cls in (ViewCopyError, UnexpectedCopyError, UnexpectedViewError, MemoryBudgetError, MeterUnavailableError):
    _cls.__module__ = "viewcopy"

"""Guards for production code: fail, or log, when a view or a copy is not what was expected."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Self, TypeVar

import numpy as np

from ._errors import UnexpectedCopyError, UnexpectedViewError, ViewCopyError, short_repr
from ._evidence import listening, note
from ._format import format_bytes
from ._inspect import DEFAULT_MAX_WORK, decide, require_array
from ._measure import track

_LOGGER = logging.getLogger("viewcopy")

F = TypeVar("F", bound=Callable[..., Any])


def describe(a: np.ndarray) -> str:
    """One line naming an array's shape, dtype, strides and size.

    >>> import numpy as np
    >>> describe(np.zeros((3, 4)).T)
    'shape (4, 3) float64, strides (8, 32), 96 B'
    """
    return f"shape {a.shape} {a.dtype}, strides {a.strides}, {format_bytes(a.nbytes)}"


GUARD_MAX_WORK = 100 * DEFAULT_MAX_WORK
"""When ``DEFAULT_MAX_WORK`` is not enough, the guards try once more with this bound before giving up."""


def _kind(source: np.ndarray, result: np.ndarray, func: str) -> str:
    """``'view'`` or ``'copy'`` by the one definition (``viewcopy._inspect.decide``); raise if unproven.

    A TypeError naming ``func`` when either is not an array.
    """
    if not isinstance(source, np.ndarray):
        require_array(source, "source", func)
    if not isinstance(result, np.ndarray):
        require_array(result, "result", func)
    kind = decide(source, result, DEFAULT_MAX_WORK)[0]
    if kind == "undecided":
        kind = decide(source, result, GUARD_MAX_WORK)[0]
    if kind == "undecided":
        raise ViewCopyError(
            f"{func}() cannot tell whether result ({describe(result)}) shares memory with source "
            f"({describe(source)}): their memory bounds overlap, and numpy.shares_memory gave up at "
            f"max_work={GUARD_MAX_WORK:,}; call viewcopy.relation(source, result, max_work=None) to decide "
            "however long it takes",
            source_shape=source.shape,
            result_shape=result.shape,
        )
    return kind


def expect_view(source: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Return ``result`` if it is a view of ``source``; else raise.

    Put it where a copy would be expensive.  What the check costs depends
    on the arrays: it asks :func:`numpy.shares_memory`, bounded by
    ``max_work=100_000`` and, if that is not enough, once more by
    ``10_000_000``.  The production guide times it twice: on one array and
    its ``ravel()`` it took a small fraction of the copy ``.T.ravel()`` it
    would catch, and on the two ``as_strided`` arrays of NumPy's own example
    it took a measurable fraction of a second before it raised
    :class:`ViewCopyError` (the guide prints the time).  An
    array without bytes is decided from its base chain, without
    :func:`numpy.shares_memory`.  A view is what
    :func:`relation` calls one: for arrays with bytes, ``result`` shares
    memory with ``source``; an empty result is a view when it reads the
    source's buffer without owning data (``np.zeros((0, 3)).ravel()``
    passes, ``np.zeros((0, 3)).flatten()`` raises).  It passes only when
    sharing is proven: if :func:`numpy.shares_memory` gives up (strides so
    tangled that the exact check exceeds its work bound, twice), it raises
    :class:`ViewCopyError` saying so rather than guess.  Safe to call from
    any thread: it reads the arrays and nothing else.

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((3, 4))
    >>> flat = viewcopy.expect_view(a, a.ravel())
    >>> viewcopy.expect_view(a.T, a.T.ravel())
    Traceback (most recent call last):
    ...
    viewcopy.UnexpectedCopyError: expected a view, got a copy: result (shape (12,) float64, strides (8,), 96 B) shares no memory with source (shape (4, 3) float64, strides (8, 32), 96 B)
    """
    if _kind(source, result, "expect_view") != "view":
        raise UnexpectedCopyError(
            f"expected a view, got a copy: result ({describe(result)}) "
            + (
                f"shares no memory with source ({describe(source)})"
                if result.nbytes and source.nbytes
                else f"reads another buffer than source ({describe(source)}): its base chain ends elsewhere"
            ),
            source_shape=source.shape,
            result_shape=result.shape,
            copied_bytes=result.nbytes,
        )
    if listening():
        note(
            "expect_view: a view (shares memory with its source)"
            if result.nbytes and source.nbytes
            else "expect_view: a view (empty: reads its source's buffer, allocates nothing)"
        )
    return result


def expect_copy(source: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Return ``result`` if it is a copy of ``source`` (not a view, as :func:`relation` defines one); else raise.

    Use it where code will write into ``result`` and must not change
    ``source``.  An empty result is a copy when it owns its data or reads
    another buffer (``np.zeros((0, 3)).flatten()`` passes, ``.ravel()``
    raises).  It passes only when the copy is proven (for arrays with
    bytes, that they share no memory), and raises
    :class:`ViewCopyError` when the exact check gives up (as
    :func:`expect_view` does).

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((3, 4))
    >>> independent = viewcopy.expect_copy(a, a.flatten())
    >>> viewcopy.expect_copy(a, a.ravel())
    Traceback (most recent call last):
    ...
    viewcopy.UnexpectedViewError: expected a copy, got a view: result (shape (12,) float64, strides (8,), 96 B) shares memory with source (shape (3, 4) float64, strides (32, 8), 96 B), so writing to one changes the other
    """
    if _kind(source, result, "expect_copy") == "view":
        raise UnexpectedViewError(
            f"expected a copy, got a view: result ({describe(result)}) "
            + (
                f"shares memory with source ({describe(source)}), so writing to one changes the other"
                if result.nbytes and source.nbytes
                else f"reads the buffer of source ({describe(source)}): its base chain ends where the source's does"
            ),
            source_shape=source.shape,
            result_shape=result.shape,
        )
    if listening():
        note(f"expect_copy: a copy (shares no memory with its source; result {format_bytes(result.nbytes)})")
    return result


class _CopyLogger:
    def __init__(self, step: str | None, source: np.ndarray | None, log: logging.Logger, level: int) -> None:
        self.step = step
        self.source = source
        self.logger = log
        self.level = level

    def __enter__(self) -> Self:
        self._tracking = track()
        self.tracked = self._tracking.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._tracking.__exit__(*exc_info)
        if self.tracked.allocated_bytes:  # also when the block raised: what it left behind is still there
            on = f"; source {describe(self.source)}" if self.source is not None else ""
            raised = f"; the block raised {getattr(exc_info[0], '__name__', exc_info[0])}" if exc_info[0] else ""
            self._log(
                f"step {self.step or 'block'!r} left {format_bytes(self.tracked.allocated_bytes)} "
                f"of NumPy memory allocated where a view was expected{on}{raised}",
                self.tracked.allocated_bytes,
            )

    def __call__(self, func: F) -> F:
        step = self.step or getattr(func, "__qualname__", repr(func))

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            if self.source is not None:  # the array named with source= is the one to compare with
                sources = [self.source]
            else:
                sources = [x for x in (*args, *kwargs.values()) if isinstance(x, np.ndarray)]
            if not isinstance(result, np.ndarray) or not sources:
                return result
            kinds = []
            for source in sources:  # a view of any array argument is a view
                kind = decide(source, result, DEFAULT_MAX_WORK)[0]
                if kind == "undecided":  # as the guards do: once more with a larger bound before giving up
                    kind = decide(source, result, GUARD_MAX_WORK)[0]
                if kind == "view":
                    return result
                kinds.append(kind)
            named = "; ".join(describe(source) for source in sources)
            of = "source" if len(sources) == 1 else f"any of its {len(sources)} array arguments"
            if "undecided" in kinds:  # never silent about what could not be decided
                self._log(
                    f"step {step!r} returned a result that may or may not be a view (undecided): their memory "
                    f"bounds overlap and numpy.shares_memory gave up at max_work={GUARD_MAX_WORK:,}: "
                    f"{of} {named} -> result {describe(result)}; "
                    "viewcopy.relation(source, result, max_work=None) decides however long it takes",
                    result.nbytes,
                )
            else:  # proven to read none of them
                self._log(
                    f"step {step!r} returned a copy where a view was expected: "
                    f"{of} {named} -> result {describe(result)}",
                    result.nbytes,
                )
            return result

        return wrapper  # type: ignore[return-value]

    def _log(self, message: str, nbytes: int) -> None:
        self.logger.log(self.level, message, extra={"viewcopy_bytes": nbytes, "viewcopy_step": self.step})


def log_copies(
    step: str | Callable[..., Any] | None = None,
    *,
    source: np.ndarray | None = None,
    logger: logging.Logger | str | None = None,
    level: int = logging.WARNING,
) -> Any:
    """Log a warning, without raising, when an ETL step copies where a view was expected.

    As a decorator, it compares the function's result with every array
    argument (with ``source=`` instead, when given) and logs when the result
    provably reads none of them (a view of
    any one is a view; a result that is not an array, or a call without
    array arguments, is not compared), and also, saying "undecided", when
    :func:`numpy.shares_memory` gives up on a pair (strides too tangled for
    its work bound, twice) and no argument is proven to be the result's.  As a context
    manager, it logs when the block leaves new NumPy buffers behind, also
    when it raises (the log line says so), measured with :func:`track`:
    only what the block's own thread
    allocated counts, so steps running in other threads at the same time
    never show up in its log.  Pass ``source=`` to name the input (in the
    context manager's log line; the decorator compares with it), ``logger=`` a :class:`logging.Logger` or a logger name, and
    ``level=`` a logging level (an int >= 0).

    >>> import logging, sys, numpy as np, viewcopy
    >>> logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(message)s", force=True)
    >>> @viewcopy.log_copies
    ... def to_rows(block):
    ...     return block.reshape(-1)
    >>> a = np.zeros((3, 4))
    >>> rows = to_rows(a)           # a view: silent
    >>> rows = to_rows(a.T)         # a copy: logged
    WARNING step 'to_rows' returned a copy where a view was expected: source shape (4, 3) float64, strides (8, 32), 96 B -> result shape (12,) float64, strides (8,), 96 B
    >>> with viewcopy.log_copies("flatten features", source=a):
    ...     f = a.flatten()
    WARNING step 'flatten features' left 96 B of NumPy memory allocated where a view was expected; source shape (3, 4) float64, strides (32, 8), 96 B
    """
    if source is not None:
        require_array(source, "source", "log_copies")
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"log_copies() needs a logging level such as logging.WARNING, got {short_repr(level)}")
    if level < 0:
        raise ValueError(f"log_copies() needs a logging level >= 0 such as logging.WARNING, got {level}")
    if logger is None:
        log = _LOGGER
    elif isinstance(logger, str):
        log = logging.getLogger(logger)
    elif isinstance(logger, (logging.Logger, logging.LoggerAdapter)):
        log = logger
    else:
        raise TypeError(
            f"log_copies() needs logger= to be a logging.Logger or a logger name, got {type(logger).__name__}"
        )
    level = int(level)
    if callable(step):
        return _CopyLogger(None, source, log, level)(step)
    if step is not None and not isinstance(step, str):
        raise TypeError(f"log_copies() takes a step name (str) or a function, got {type(step).__name__}")
    return _CopyLogger(step, source, log, level)

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
from ._inspect import DEFAULT_MAX_WORK, TooHardError, _shares, require_array
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


def _decide(source: np.ndarray, result: np.ndarray, func: str) -> bool:
    """True if the arrays share memory, False if not; raise if that cannot be proven."""
    try:  # the common case, inline: the guards should cost little more than this call
        return bool(np.shares_memory(source, result, DEFAULT_MAX_WORK))
    except TooHardError:
        shares, exact = _shares(source, result, GUARD_MAX_WORK)
    if not exact:
        raise ViewCopyError(
            f"{func}() cannot tell whether result ({describe(result)}) shares memory with source "
            f"({describe(source)}): their memory bounds overlap, and numpy.shares_memory gave up at "
            f"max_work={GUARD_MAX_WORK:,}; call viewcopy.relation(source, result, max_work=None) to decide "
            "however long it takes",
            source_shape=source.shape,
            result_shape=result.shape,
        )
    return shares


def expect_view(source: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Return ``result`` if it shares memory with ``source``; else raise.

    Put it where a copy would be expensive: the check costs about a
    microsecond, the copy it catches can cost gigabytes.  An empty result
    passes (it has no bytes, so it costs nothing).  It passes only when
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
    if not isinstance(source, np.ndarray):
        require_array(source, "source", "expect_view")
    if not isinstance(result, np.ndarray):
        require_array(result, "result", "expect_view")
    if result.nbytes and source.nbytes:
        try:  # inline, not through _decide: this call is most of what the guard costs
            shares = np.shares_memory(source, result, DEFAULT_MAX_WORK)
        except TooHardError:
            shares = _decide(source, result, "expect_view")
        if not shares:
            raise UnexpectedCopyError(
                f"expected a view, got a copy: result ({describe(result)}) "
                f"shares no memory with source ({describe(source)})",
                source_shape=source.shape,
                result_shape=result.shape,
                copied_bytes=result.nbytes,
            )
        if listening():
            note("expect_view: a view (shares memory with its source)")
    else:
        note("expect_view: an empty result (no bytes to share or copy)")
    return result


def expect_copy(source: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Return ``result`` if it shares no memory with ``source``; else raise.

    Use it where code will write into ``result`` and must not change
    ``source``.  An empty result passes (writing to it changes nothing).
    It passes only when "no shared memory" is proven, and raises
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
    if not isinstance(source, np.ndarray):
        require_array(source, "source", "expect_copy")
    if not isinstance(result, np.ndarray):
        require_array(result, "result", "expect_copy")
    if result.nbytes and source.nbytes:
        if _decide(source, result, "expect_copy"):
            raise UnexpectedViewError(
                f"expected a copy, got a view: result ({describe(result)}) "
                f"shares memory with source ({describe(source)}), "
                "so writing to one changes the other",
                source_shape=source.shape,
                result_shape=result.shape,
            )
        if listening():
            note(f"expect_copy: a copy (shares no memory with its source; result {format_bytes(result.nbytes)})")
    else:
        note("expect_copy: an empty result (no bytes to share or copy)")
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
        if exc_info[0] is None and self.tracked.allocated_bytes:
            on = f"; source {describe(self.source)}" if self.source is not None else ""
            self._log(
                f"step {self.step or 'block'!r} allocated {format_bytes(self.tracked.allocated_bytes)} "
                f"of NumPy memory where a view was expected{on}",
                self.tracked.allocated_bytes,
            )

    def __call__(self, func: F) -> F:
        step = self.step or getattr(func, "__qualname__", repr(func))

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            source = next((x for x in (*args, *kwargs.values()) if isinstance(x, np.ndarray)), None)
            comparable = isinstance(result, np.ndarray) and source is not None and result.nbytes and source.nbytes
            if comparable and _shares(source, result, DEFAULT_MAX_WORK) == (False, True):  # a proven copy
                self._log(
                    f"step {step!r} returned a copy where a view was expected: "
                    f"source {describe(source)} -> result {describe(result)}",
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

    As a decorator, it compares the function's result with its first array
    argument and logs when they provably share no memory.  As a context
    manager, it logs when the block leaves new NumPy buffers behind,
    measured with :func:`track`: only what the block's own thread
    allocated counts, so steps running in other threads at the same time
    never show up in its log.  Pass ``source=`` to name the input's shape in
    the log, ``logger=`` a :class:`logging.Logger` or a logger name, and
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
    WARNING step 'flatten features' allocated 96 B of NumPy memory where a view was expected; source shape (3, 4) float64, strides (32, 8), 96 B
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

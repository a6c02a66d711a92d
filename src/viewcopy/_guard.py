"""Guards for production code: fail, or log, when a view or a copy is not what was expected."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Self, TypeVar

import numpy as np

from ._claims import note
from ._errors import UnexpectedCopyError, UnexpectedViewError
from ._inspect import DEFAULT_MAX_WORK, _shares, require_array
from ._measure import format_bytes, track

_LOGGER = logging.getLogger("viewcopy")

F = TypeVar("F", bound=Callable[..., Any])


def describe(a: np.ndarray) -> str:
    """One line naming an array's shape, dtype, strides and size.

    >>> import numpy as np
    >>> describe(np.zeros((3, 4)).T)
    'shape (4, 3) float64, strides (8, 32), 96 B'
    """
    return f"shape {a.shape} {a.dtype}, strides {a.strides}, {format_bytes(a.nbytes)}"


def expect_view(source: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Return ``result`` if it shares memory with ``source``; else raise.

    Put it where a copy would be expensive: the check costs about a
    microsecond, the copy it catches can cost gigabytes.  An empty result
    passes (it has no bytes, so it costs nothing).

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((3, 4))
    >>> flat = viewcopy.expect_view(a, a.ravel())
    >>> viewcopy.expect_view(a.T, a.T.ravel())
    Traceback (most recent call last):
    ...
    viewcopy.UnexpectedCopyError: expected a view, got a copy: result (shape (12,) float64, strides (8,), 96 B) shares no memory with source (shape (4, 3) float64, strides (8, 32), 96 B)
    """
    require_array(source, "source", "expect_view")
    require_array(result, "result", "expect_view")
    if result.size and source.size:
        shares, _exact = _shares(source, result, DEFAULT_MAX_WORK)
        if not shares:
            raise UnexpectedCopyError(
                f"expected a view, got a copy: result ({describe(result)}) "
                f"shares no memory with source ({describe(source)})",
                source_shape=source.shape,
                result_shape=result.shape,
                copied_bytes=result.nbytes,
            )
        note("expect_view: a view (shares memory with its source)")
    else:
        note("expect_view: an empty result (no bytes to share or copy)")
    return result


def expect_copy(source: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Return ``result`` if it shares no memory with ``source``; else raise.

    Use it where code will write into ``result`` and must not change
    ``source``.  An empty result passes (writing to it changes nothing).

    >>> import numpy as np, viewcopy
    >>> a = np.zeros((3, 4))
    >>> independent = viewcopy.expect_copy(a, a.flatten())
    >>> viewcopy.expect_copy(a, a.ravel())
    Traceback (most recent call last):
    ...
    viewcopy.UnexpectedViewError: expected a copy, got a view: result (shape (12,) float64, strides (8,), 96 B) shares memory with source (shape (3, 4) float64, strides (32, 8), 96 B), so writing to one changes the other
    """
    require_array(source, "source", "expect_copy")
    require_array(result, "result", "expect_copy")
    if result.size and source.size:
        shares, exact = _shares(source, result, DEFAULT_MAX_WORK)
        if shares:
            maybe = "" if exact else "may share (bounds overlap; exact check too costly) "
            raise UnexpectedViewError(
                f"expected a copy, got a view: result ({describe(result)}) "
                f"{maybe or 'shares '}memory with source ({describe(source)}), "
                "so writing to one changes the other",
                source_shape=source.shape,
                result_shape=result.shape,
                exact=exact,
            )
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
            comparable = isinstance(result, np.ndarray) and source is not None and result.size and source.size
            if comparable and not _shares(source, result, DEFAULT_MAX_WORK)[0]:
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
    logger: logging.Logger | None = None,
    level: int = logging.WARNING,
) -> Any:
    """Log a warning, without raising, when an ETL step copies where a view was expected.

    As a decorator, it compares the function's result with its first array
    argument and logs when they share no memory.  As a context manager, it
    logs when the block leaves new NumPy buffers behind (measured with
    :func:`track`); pass ``source=`` to name the input's shape in the log.

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
    if not isinstance(level, int):
        raise TypeError(f"log_copies() needs a logging level such as logging.WARNING, got {level!r}")
    log = logger if logger is not None else _LOGGER
    if callable(step):
        return _CopyLogger(None, source, log, level)(step)
    if step is not None and not isinstance(step, str):
        raise TypeError(f"log_copies() takes a step name (str) or a function, got {type(step).__name__}")
    return _CopyLogger(step, source, log, level)

"""The ``%viewcopy`` IPython magic: the NumPy memory of a cell, line by line.

``%load_ext viewcopy`` registers it.  ``%%viewcopy`` runs a cell one
top-level statement at a time, each inside :func:`viewcopy.track`, and prints
the cell's figures and the lines that allocated most; ``%viewcopy expr`` does
the same for one line.  Nothing here imports IPython: the shell is handed in.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import linecache
from typing import Any

from ._format import format_bytes
from ._measure import Tracked, track

_cells = itertools.count(1)


@dataclasses.dataclass
class Line:
    """One top-level statement of a cell and the NumPy bytes it allocated (its peak, or what it kept)."""

    lineno: int
    source: str
    bytes: int


@dataclasses.dataclass
class CellMemory(Tracked):
    """What a cell allocated: a :class:`viewcopy.Tracked` over the whole cell, and the bytes of each statement."""

    lines: list[Line] = dataclasses.field(default_factory=list)
    top: int = 5

    def __str__(self) -> str:
        head = f"NumPy: {format_bytes(self.allocated_bytes)} left allocated, peak {format_bytes(self.peak_bytes)}"
        exact = getattr(self, "method", "handler") == "handler"
        if not exact:  # say what the fallback cannot see, rather than show its zeros as findings
            head += (
                "\n(tracemalloc fallback: each line's figure is the NumPy data it kept; "
                "a temporary made and freed within a line is not seen)"
            )
        busy = sorted((line for line in self.lines if line.bytes), key=lambda line: -line.bytes)[: self.top]
        if len(self.lines) <= 1:
            return head
        if not busy:
            return head + f"\nno line {'allocated' if exact else 'kept'} NumPy data"
        width = max(len(line.source) for line in busy)
        rows = [f"{line.lineno:>4}  {line.source:<{width}}  {format_bytes(line.bytes):>9}" for line in busy]
        return "\n".join([head, "lines that allocated most:", *rows])


def _line_bytes(tracked: Tracked) -> int:
    # per-thread handler: the statement's exact peak; tracemalloc fallback: its peak also counts
    # Python objects, so only the NumPy bytes the statement kept are exact
    if getattr(tracked, "method", "tracemalloc") == "handler":
        return max(tracked.peak_bytes, tracked.allocated_bytes)
    return tracked.allocated_bytes


def run_cell(source: str, namespace: dict[str, Any]) -> tuple[CellMemory, Any]:
    """Run ``source`` in ``namespace`` one top-level statement at a time; return its memory and its value.

    The value is that of a final expression statement, as in a notebook (else ``None``).

    >>> import numpy as np
    >>> cell = "b = a.ravel()\\nc = a.T.ravel()\\nc.nbytes"
    >>> memory, value = run_cell(cell, {"a": np.zeros((1000, 1000))})
    >>> print(memory)
    NumPy: 8.0 MB left allocated, peak 8.0 MB
    lines that allocated most:
       2  c = a.T.ravel()    8.0 MB
    >>> value
    8000000
    """
    __tracebackhide__ = True  # IPython and pytest show the user's cell, not this function
    filename = f"<viewcopy-cell-{next(_cells)}>"
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)  # for tracebacks
    statements = ast.parse(source, filename).body
    measured: list[Line] = []
    value = None
    with track() as cell:
        for index, statement in enumerate(statements):
            text = lines[statement.lineno - 1].strip() + (" ..." if statement.end_lineno != statement.lineno else "")
            last_expression = index == len(statements) - 1 and isinstance(statement, ast.Expr)
            if last_expression:
                code = compile(ast.Expression(statement.value), filename, "eval")
            else:
                code = compile(ast.Module([statement], type_ignores=[]), filename, "exec")
            with track() as step:
                result = eval(code, namespace)
            measured.append(Line(statement.lineno, text, _line_bytes(step)))
            if last_expression:
                value = result
    memory = CellMemory(**{f.name: getattr(cell, f.name) for f in dataclasses.fields(Tracked)}, lines=measured)
    return memory, value


def load_ipython_extension(shell: Any) -> None:
    """Register ``%viewcopy`` and ``%%viewcopy`` with an IPython shell."""

    def viewcopy(line: str, cell: str | None = None) -> Any:
        __tracebackhide__ = True
        source = shell.transform_cell(line if cell is None else cell)
        memory, value = run_cell(source, shell.user_ns)
        print(memory)
        return value

    viewcopy.__doc__ = """Print the NumPy bytes a cell (``%%viewcopy``) or a line (``%viewcopy expr``) allocates.

    Each top-level statement runs inside viewcopy.track(); the lines that
    allocated most are listed with their source."""
    shell.register_magic_function(viewcopy, "line_cell", "viewcopy")

"""The %viewcopy IPython magic, driven through IPython's InteractiveShell."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from viewcopy._magic import run_cell

IPython = pytest.importorskip("IPython")


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "viewcopy")
    shell.run_cell("import numpy as np\na = np.arange(1_000_000.0).reshape(1000, 1000)")
    return shell


def test_cell_magic_names_the_line_that_copied(shell, capsys: pytest.CaptureFixture[str]) -> None:
    result = shell.run_cell("%%viewcopy\nb = a.ravel()\nc = a.T.ravel()\n")
    result.raise_error()
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "NumPy: 8.0 MB left allocated, peak 8.0 MB",
        "lines that allocated most:",
        "   2  c = a.T.ravel()     8.0 MB",
    ]
    assert shell.user_ns["c"].nbytes == 8_000_000  # the cell ran in the user's namespace
    assert np.shares_memory(shell.user_ns["b"], shell.user_ns["a"])


def test_the_copy_is_found_wherever_it_is(shell, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell("%%viewcopy\nsmall = a[:10].copy()\nview = a[::2]\nbig = a.T.flatten()\nmid = a[:500] * 2\n")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "NumPy: 12.1 MB left allocated, peak 12.1 MB"
    assert [line.split()[0] for line in out[2:]] == ["3", "4", "1"]  # largest first; the view is not listed
    assert "big = a.T.flatten()" in out[2]
    assert out[2].endswith("8.0 MB")


def test_cell_without_copies(shell, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell("%%viewcopy\nb = a.ravel()\nt = a.T\n")
    assert capsys.readouterr().out.splitlines()[1] == "no line allocated NumPy data"


def test_the_tracemalloc_fallback_says_what_it_cannot_see(monkeypatch) -> None:
    """Issue 21.7: under the fallback a line's temporary is invisible; the report says so, not just "nothing"."""
    from viewcopy import _measure

    monkeypatch.setattr(_measure, "_handler_ready", False)
    memory, _ = run_cell("b = (a.T * 2).sum()\nc = a.ravel()\n", {"a": np.zeros((1000, 1000))})
    assert memory.method == "tracemalloc"
    lines = str(memory).splitlines()
    assert lines[1].startswith("(tracemalloc fallback: each line's figure is the NumPy data it kept")
    assert lines[-1] == "no line kept NumPy data"


def test_line_magic_and_the_value_of_the_last_expression(shell, capsys: pytest.CaptureFixture[str]) -> None:
    assert shell.run_line_magic("viewcopy", "a.T.ravel().nbytes") == 8_000_000
    assert capsys.readouterr().out.splitlines()[0].endswith("peak 8.0 MB")
    result = shell.run_cell("%%viewcopy\nd = a.T.ravel()\nd.nbytes\n")
    assert result.result == 8_000_000


def test_errors_propagate_after_the_lines_before_ran(shell) -> None:
    result = shell.run_cell("%%viewcopy\nbefore = a[:1].copy()\n1 / 0\nafter = 1\n")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert "before" in shell.user_ns
    assert "after" not in shell.user_ns


def test_run_cell_without_ipython() -> None:
    memory, value = run_cell("x = a.T.copy()\nx.shape", {"a": np.zeros((100, 10))})
    assert (memory.allocated_bytes, value) == (8_000, (10, 100))
    assert [(line.lineno, line.source, line.bytes) for line in memory.lines] == [
        (1, "x = a.T.copy()", 8_000),
        (2, "x.shape", 0),
    ]


def test_core_imports_without_ipython() -> None:
    code = "import sys, viewcopy; assert 'IPython' not in sys.modules and callable(viewcopy.load_ipython_extension)"
    subprocess.run([sys.executable, "-c", code], check=True)

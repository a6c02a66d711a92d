"""``python -m viewcopy check``: run the site's claims against the NumPy installed here.

The claims are the site's own gallery scripts and executed pages, run as
they are at build time, with matplotlib and myst-nb replaced by stand-ins
that draw nothing: the check needs NumPy and viewcopy only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import linecache
import os
import platform
import re
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

from . import ledger

CODE_CELL = ledger.CODE_CELL


class _DrawsNothing(types.ModuleType):
    """Stands in for matplotlib and myst_nb: every attribute, call and item is itself."""

    def __init__(self, name: str = "stand-in") -> None:
        super().__init__(name)

    def __getattr__(self, name: str) -> _DrawsNothing:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _DrawsNothing:
        return self

    def __getitem__(self, key: Any) -> _DrawsNothing:
        return self

    def __iter__(self):  # `fig, ax = plt.subplots()` unpacks two
        return iter((self, self))


@contextlib.contextmanager
def _without_plotting():
    names = ["matplotlib", "matplotlib.pyplot", "myst_nb", "IPython", "IPython.display"]
    saved = {name: sys.modules.get(name) for name in names}
    try:  # the stand-ins go in inside the try: an interrupt halfway still puts every module back
        for name in names:
            sys.modules[name] = _DrawsNothing(name)
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


SITE_ENV = "VIEWCOPY_SITE"
"""Environment variable naming the folder of the site to check (one with ``examples/``)."""


def site_root() -> Path:
    """The folder holding ``examples/`` and ``docs/``: $VIEWCOPY_SITE, the installed copy, or the source tree.

    A $VIEWCOPY_SITE that names no such folder raises :class:`FileNotFoundError`:
    checking the installed claims instead would answer another question.
    """
    named = os.environ.get(SITE_ENV)
    if named:
        if not Path(named).is_dir():
            raise FileNotFoundError(f"{SITE_ENV}={named}: no such folder")
        if not (Path(named) / "examples").is_dir():
            raise FileNotFoundError(
                f"{SITE_ENV}={named}: no examples/ folder in it; name a clone of the viewcopy repository"
            )
        return Path(named)
    candidates = [Path(__file__).parents[1] / "_site", Path(__file__).parents[3]]
    for candidate in candidates:
        if candidate and (Path(candidate) / "examples").is_dir():
            return Path(candidate)
    raise FileNotFoundError(
        "viewcopy check cannot find the site's examples/ folder; set VIEWCOPY_SITE to a clone of the viewcopy repository"
    )


sources = ledger.sources

_GROUP = "in a clone of the repository, pip install --group libraries installs all four"
OPTIONAL = {
    "pandas": f'pip install "pandas>=2.3"; {_GROUP}',
    "pyarrow": f'pip install "pyarrow>=17"; {_GROUP}',
    "polars": f'pip install "polars>=1.0"; {_GROUP}',
    "joblib": f'pip install "joblib>=1.6"; {_GROUP}',
    "cloudpickle": f'pip install "joblib>=1.6"; {_GROUP}',  # joblib 1.6 depends on it; the workers page imports both
    "dask": 'pip install "viewcopy[dask]"',
    "distributed": 'pip install "viewcopy[dask]"',
    "pytest": 'pip install "pytest>=8"',
}
"""The libraries a page may need beyond NumPy, each with the install line that enables the page (pyproject.toml's
``libraries`` group and ``dask`` extra).  A page that imports one that is missing is skipped, and said so; any
other missing module fails the page."""


def _cell_code(cell: str) -> str:
    """A MyST code cell's code, without its ``:option:`` lines or ``---`` option block, magics commented out."""
    lines = cell.splitlines()
    if lines and lines[0].strip() == "---":
        lines = lines[lines.index("---", 1) + 1 :] if "---" in lines[1:] else lines
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        lines.pop(0)
    # IPython magics (%load_ext, %%viewcopy) need a kernel: the check runs the Python around them
    return "\n".join("# " + line if line.startswith("%") else line for line in lines)


def _run(path: Path) -> None:
    if path.suffix == ".py":
        code = path.read_text(encoding="utf-8")
    else:
        code = "\n".join(_cell_code(cell) for cell in CODE_CELL.findall(path.read_text(encoding="utf-8")))
        # the code's lines are the cells', not the page's: register them, so tracebacks and track(where=True)
        # show the line that ran (an entry whose mtime is None is never evicted by linecache.checkcache)
        linecache.cache[str(path)] = (len(code), None, code.splitlines(keepends=True), str(path))
    namespace = {"__name__": "__main__", "__file__": str(path)}
    exec(compile(code, str(path), "exec"), namespace)  # noqa: S102 (running the site's own scripts is the point)


def _bar(done: int, total: int, label: str, stream: Any) -> None:
    width = 24
    filled = width * done // total
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"
    if stream.isatty():
        stream.write("\r" + line.ljust(78)[:78])
    else:
        stream.write(line + "\n")
    stream.flush()


def check(root: Path, *, progress: Any = None) -> dict[str, Any]:
    """Run every source under ``root``; return the claims, and the sources that failed or were skipped.

    Claims are read back from the ledger file each source writes, as in the
    docs build, so a page can keep a demonstration out of both.
    """
    progress = progress if progress is not None else sys.stderr
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    timings: dict[str, float] = {}  # page -> wall seconds: `nox -s bench` lists the slowest
    todo = sources(root)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for done, (page, path) in enumerate(todo):
            _bar(done, len(todo), path.name, progress)
            page_started = time.perf_counter()
            with ledger.recording(ledger.ledger_file(scratch, page)) as ledger_path:
                try:
                    with _without_plotting(), contextlib.redirect_stdout(io.StringIO()):
                        _run(path)
                except ModuleNotFoundError as error:
                    top = (error.name or "").partition(".")[0]
                    if top in OPTIONAL:
                        reason = f"needs {top}, which is not installed"
                        skipped.append({"page": page, "reason": reason, "install": OPTIONAL[top]})
                    else:  # not a library the site may lack: a broken import fails the page
                        failures.append({"page": page, "error": f"{type(error).__name__}: {error}", "notes": []})
                except Exception as error:  # noqa: BLE001 (report every failing source, not only the first)
                    notes = getattr(error, "__notes__", [])
                    failures.append({"page": page, "error": f"{type(error).__name__}: {error}", "notes": notes})
            try:
                rows += ledger.read(ledger_path, page)
                for line in ledger.not_run_lines(ledger_path, page):
                    needs = line["needs"]
                    skipped.append({
                        "page": f"{page}, claim {line[ledger.NOT_RUN]}",
                        "reason": f"needs {needs}, which is not installed",
                        "install": OPTIONAL.get(needs, f"pip install {needs}"),
                    })  # fmt: skip
            except (ValueError, TypeError) as error:  # a damaged ledger line: report it as the page's failure
                failures.append({"page": page, "error": str(error), "notes": []})
            timings[page] = time.perf_counter() - page_started
    _bar(len(todo), len(todo), "done", progress)
    if progress.isatty():
        progress.write("\n")
    return {
        "numpy": np.__version__,
        "python": platform.python_version(),
        "optimized": bool(sys.flags.optimize),  # python -O: asserts were stripped, so no verdict rested on one
        "seconds": time.perf_counter() - started,
        "timings": timings,
        "claims": rows,
        "failures": failures,
        "skipped": skipped,
        "problems": ledger.source_problems(root) + ledger.problems(rows),
    }


def report(result: dict[str, Any]) -> str:
    """The table ``python -m viewcopy check`` prints."""
    lines = [f"viewcopy check: NumPy {result['numpy']}, Python {result['python']}", ""]
    width = max((len(r["id"]) for r in result["claims"]), default=10)
    for row in result["claims"]:
        mark = "ok  " if row["verdict"] == "holds" else "FAIL"
        lines.append(f"{mark} {row['id']:<{width}}  {row['sentence']}")
        if row["verdict"] != "holds":
            lines.extend(f"       {e}" for e in row["evidence"][-1:])
    for failure in result["failures"]:
        lines.append(f"FAIL {failure['page']}: {failure['error']}")
        lines.extend(f"       {note}" for note in failure["notes"])
    for skip in result["skipped"]:
        lines.append(f"skip {skip['page']}: {skip['reason']}; its claims were not checked ({skip['install']})")
    if result["problems"]:
        lines += ["", f"{len(result['problems'])} problem(s) fail the check:"]
        lines += [f"  {problem}" for problem in result["problems"]]
    held = sum(r["verdict"] == "holds" for r in result["claims"])
    lines += ["", f"{held} of {len(result['claims'])} claims hold; {len(result['failures'])} source(s) failed"]
    if result["skipped"]:
        pages = len(result["skipped"])
        lines.append(f"{pages} page{'s' * (pages != 1)} skipped, not checked: install what each needs, above")
    lines.append(f"({result['seconds']:.1f} s)")
    return "\n".join(lines)


class _Refused(Exception):
    """A reason not to start the check, said in one line."""


def _site(path: Path | None) -> Path:
    root = path if path is not None else site_root()
    if not root.is_dir():
        raise _Refused(f"--site {root}: no such folder")
    if not sources(root):
        raise _Refused(f"--site {root}: no gallery scripts (examples/*.py) and no executed pages (docs/*.md) in it")
    return root


def _writable(path: Path) -> None:
    """Fail now, not after the run, if the results cannot be written to ``path``."""
    if path.is_dir():
        raise _Refused(f"--json {path}: is a folder; name a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise _Refused(f"--json {path}: cannot write there ({error.strerror or error})") from None


def _stderr_open() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.fileno() >= 0 and not sys.stderr.closed
    except (OSError, ValueError, AttributeError):
        return False


def main(argv: list[str] | None = None) -> int:
    """``python -m viewcopy``: parse the command line, run the check, return the exit status.

    Exit status 0: every claim holds; 1: a claim or a source failed, a
    claim source holds an ``assert``, or (with ``--strict``) a page was
    skipped; 2: the check could not start (said in one line: a missing or
    empty ``--site`` or ``$VIEWCOPY_SITE`` folder, an unwritable ``--json``
    path, a closed standard error).  Skipped pages are listed with the
    reason and the install line that enables them.
    """
    if not _stderr_open():
        print("viewcopy: standard error is closed, so progress and errors cannot be shown; run with 2>/dev/null")
        return 2
    parser = argparse.ArgumentParser(prog="python -m viewcopy", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("check", help="run every claim of the site against this NumPy")
    run.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    run.add_argument("--site", type=Path, help="the folder with examples/ and docs/ (default: found automatically)")
    run.add_argument("--strict", action="store_true", help="fail if a page is skipped (a library it needs is missing)")
    args = parser.parse_args(argv)
    try:
        root = _site(args.site)
        if args.json:
            _writable(args.json)
    except (_Refused, FileNotFoundError) as error:
        sys.stderr.write(f"viewcopy check: {error}\n")
        return 2
    result = check(root)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    failed = result["failures"] or result["problems"] or (args.strict and result["skipped"])
    if args.strict and result["skipped"]:
        print(f"--strict: {len(result['skipped'])} skipped page(s) fail the check")
    return 1 if failed else 0


def _version() -> str:
    from .. import __version__

    return f"viewcopy {__version__} (NumPy {np.__version__}, Python {platform.python_version()})"

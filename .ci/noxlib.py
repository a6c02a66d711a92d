"""What the noxfile's sessions share: install stamps, the NumPy releases' environments, the claims beside Sphinx.

The noxfile loads this file by its path (nox does not put the noxfile's
folder on ``sys.path``); tests/test_noxlib.py loads it the same way.  It
imports nothing of viewcopy and changes nothing at import.

The claims run and Sphinx talk over one loopback socket (:class:`Claims`):
the versions page connects to it and blocks until nox closes it.  Connecting
tells nox that Sphinx is waiting (its core is free); the socket closing tells
Sphinx that the runs are over, and the operating system closes it too when
nox dies: no marker file to leave behind, no process id to poll.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fnmatch
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ADDRESS = "VIEWCOPY_CLAIMS_RUNNING"  # host:port of the socket; docs/_ext/viewcopy_nox.py connects to it


# What Python and an editable install write among the sources (.gitignore leaves them out too): not inputs.
# Each install of the package rebuilds the C extension in src/viewcopy/ and rewrites src/viewcopy.egg-info,
# both made from inputs hashed already (the C file, pyproject.toml, the lock); hashing them made every second
# `nox -s docs` run the claims again, the releases' installs of the first having changed them.
BUILT = ("__pycache__", "*.egg-info", "*.so", "*.pyd")


def digest(paths: Iterable[Path], root: Path) -> str:
    """One hash of the files at ``paths`` (folders: every file under them but :data:`BUILT`), names included."""
    h = hashlib.sha256()
    for path in paths:
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and not _built(p.relative_to(path)))
            if path.is_dir()
            else [path]
        )
        for file in files:
            h.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return h.hexdigest()


def _built(relative: Path) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in BUILT)


@dataclass(frozen=True)
class Stamp:
    """A file recording what was done from which inputs: the work is redone only when they change."""

    path: Path
    inputs: str  # a :func:`digest`

    def fresh(self) -> bool:
        return self.path.is_file() and self.path.read_text() == self.inputs

    def write(self) -> None:
        self.path.write_text(self.inputs)


def find_python(version: str) -> str:
    """An interpreter for ``version`` ("3.12"): on PATH if it runs, else pyenv's newest install; else ``version``.

    pyenv's shims are on PATH but run only the versions PYENV_VERSION names,
    so a shim is tried before it is trusted.  ``version`` itself lets uv look.
    """
    found = shutil.which(f"python{version}")
    if found and _reports(found, version):
        return found
    root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    installs = [p for p in Path(root, "versions").glob(f"{version}.*") if p.name[len(version) + 1 :].isdigit()]
    for install in sorted(installs, key=lambda p: int(p.name.rsplit(".", 1)[1]), reverse=True):
        exe = install / ("python.exe" if sys.platform == "win32" else f"bin/python{version}")
        if _reports(str(exe), version):
            return str(exe)
    return version


def _reports(exe: str, version: str) -> bool:
    try:
        done = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return False
    return done.returncode == 0 and (done.stdout + done.stderr).startswith(f"Python {version}.")


def run_quietly(command: list[str]) -> None:
    """Run ``command``; on failure raise RuntimeError with its output (silent when it works)."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@dataclass(frozen=True)
class Env:
    """A virtual environment made by uv from one lock file, with the package installed editable.

    One per NumPy release: the matrix sessions and the docs build's claims both use it.
    """

    path: Path
    python: str  # "3.12", found with :func:`find_python`
    lock: Path
    package: str  # what to install editable, e.g. ".[dask]"
    sources: tuple[Path, ...]  # what the install depends on besides the lock (pyproject.toml, the C file)
    root: Path

    @property
    def exe(self) -> Path:
        return self.path / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")

    def ensure(self, uv: str, run: Callable[[list[str]], None] = run_quietly) -> Path:
        """Make or update the environment unless its stamp says it holds the lock already; its Python."""
        stamp = Stamp(self.path / ".viewcopy-installed", digest([*self.sources, self.lock], self.root))
        if not stamp.fresh():
            run([uv, "venv", "--quiet", "--clear", "--python", find_python(self.python), str(self.path)])
            run([uv, "pip", "install", "--quiet", "--python", str(self.exe), "-r", str(self.lock), "-e", self.package])
            stamp.write()
        return self.exe


class Claims:
    """Jobs (one per NumPy release) run in threads beside Sphinx, on the cores Sphinx leaves free.

    One core goes to Sphinx while it works; once it waits for these results
    (it has connected to :attr:`address`) or is done, every core runs jobs.
    A job returns a failure message or None; ``on_success`` runs when none failed.
    """

    def __init__(
        self, jobs: dict[str, Callable[[], str | None]], cores: int, on_success: Callable[[], None] = lambda: None
    ) -> None:
        self.jobs, self.cores, self.on_success = jobs, max(cores, 1), on_success
        self.sphinx_free = threading.Event()  # Sphinx waits or has ended: its core is ours
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)  # accept() wakes to see the jobs ended: closing does not wake it on Linux
        self._waiting: list[socket.socket] = []  # Sphinx's connections, open until the jobs end
        self._lock, self._ended = threading.Lock(), False
        self.address = f"127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()
        self._result = concurrent.futures.ThreadPoolExecutor(max_workers=1).submit(self._run_all)

    def _accept(self) -> None:
        while not self._ended:
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by _run_all: the jobs are done
            with self._lock:
                if self._ended:  # accepted as the jobs ended: let it go at once
                    connection.close()
                    return
                self._waiting.append(connection)
            self.sphinx_free.set()

    def _run_all(self) -> list[str]:
        todo, running, failures = list(self.jobs), set(), []
        try:
            with concurrent.futures.ThreadPoolExecutor(self.cores) as pool:
                while todo or running:
                    free = self.cores - (0 if self.sphinx_free.is_set() else 1)
                    while todo and len(running) < max(free, 1):
                        running.add(pool.submit(self.jobs[todo.pop(0)]))
                    done, running = concurrent.futures.wait(running, timeout=0.2, return_when="FIRST_COMPLETED")
                    failures += [failure for future in done if (failure := _failure(future))]
            if not failures:
                self.on_success()
        finally:
            with self._lock:
                self._ended = True
                # stop listening now: on Linux a close() waits for the accept() under way to return; not every
                # platform shuts down a listening socket, and then the close() below does
                with contextlib.suppress(OSError):
                    self._server.shutdown(socket.SHUT_RDWR)
                self._server.close()
                for connection in self._waiting:
                    connection.close()
        return failures

    def failures(self) -> list[str]:
        """Tell the jobs Sphinx has ended; wait for them; their failure messages."""
        self.sphinx_free.set()
        return self._result.result()


def _failure(future: concurrent.futures.Future[str | None]) -> str | None:
    error = future.exception()
    return f"{type(error).__name__}: {error}" if error else future.result()


# -- what the sessions call ------------------------------------------------------------------------------
# (each takes the nox session it works for; nothing above this line knows nox)

PACKAGE = ".[dask]"  # the package, editable, with the Dask page's extra
GENERATED = ["docs/_build", "docs/auto_examples", "docs/api/generated", "docs/api/backreferences",
             "docs/sg_execution_times.rst"]  # fmt: skip  # what `nox -s docs -- clean` removes


def package_sources(root: Path) -> tuple[Path, ...]:
    """What an editable install depends on besides the lock: a change rebuilds the C extension."""
    return (root / "pyproject.toml", root / "setup.py", root / "src" / "viewcopy" / "_counting.c")


def uv() -> str:
    """The uv that came with nox[uv] (locks/nox.txt), else the one on PATH."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return shutil.which("uv") or "uv"
    return find_uv_bin()


def prepare(session, lock: str, *, package: bool = True) -> None:
    """The session's venv gets ``locks/<lock>.txt`` (and the package) unless its stamp says it has them.

    Sessions write the .pyc of what they import (these machines set
    PYTHONDONTWRITEBYTECODE=1: every Sphinx run compiled its imports again).
    """
    session.env["PYTHONDONTWRITEBYTECODE"] = None  # None: nox removes the variable for this session's commands
    root = Path.cwd()  # nox runs sessions in the noxfile's folder
    lock_file = root / "locks" / f"{lock}.txt"
    sources = package_sources(root) if package else ()
    stamp = Stamp(Path(session.virtualenv.location) / ".viewcopy-installed", digest([*sources, lock_file], root))
    if not stamp.fresh():
        session.install("-r", str(lock_file), *(["-e", PACKAGE] if package else []))
        stamp.write()


def clean(root: Path) -> None:
    for name in GENERATED:
        path = root / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def release(root: Path, series: str, python: str) -> Env:
    """The environment of NumPy ``series``: .nox/numpy-<series>, from locks/numpy-<series>.txt."""
    lock = root / "locks" / f"numpy-{series}.txt"
    return Env(root / ".nox" / f"numpy-{series}", python, lock, PACKAGE, package_sources(root), root)


LIBRARIES = ("numpy", "pandas", "pyarrow", "polars", "dask", "distributed", "joblib", "memray")


def claims_beside_sphinx(session, root: Path, releases: Iterable[str], python: str) -> Claims | None:
    """Start `python -m viewcopy check` under each release, beside Sphinx; None if nothing changed since the last run.

    Each release writes docs/_build/matrix/numpy-<series>.json (the check's
    result), .libraries.json (what its environment ran with) and .log.
    """
    matrix = root / "docs" / "_build" / "matrix"
    inputs = digest([root / "src", root / "examples", *sorted((root / "docs").glob("*.md")), root / "locks",
                     root / "pyproject.toml"], root)  # fmt: skip
    done, releases = Stamp(matrix / "inputs.sha256", inputs), list(releases)
    if done.fresh() and all((matrix / f"numpy-{s}.json").exists() for s in releases):
        session.log("claims and locks unchanged since the last run: the versions page reuses docs/_build/matrix")
        return None
    shutil.rmtree(matrix, ignore_errors=True)
    matrix.mkdir(parents=True)
    ended, lock = iter(range(1, len(releases) + 1)), threading.Lock()

    def one(series: str) -> str | None:
        exe = release(root, series, python).ensure(uv())
        command = check_command(exe, matrix / f"numpy-{series}.json")
        run = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        (matrix / f"numpy-{series}.log").write_text(run.stdout + run.stderr)
        listed = subprocess.run([uv(), "pip", "list", "--python", str(exe), "--format", "json"],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        (matrix / f"numpy-{series}.libraries.json").write_text(libraries(listed))
        summary = next((line for line in run.stdout.splitlines() if "claims hold" in line), "no summary")
        with lock:
            session.log(f"NumPy {series} ({next(ended)} of {len(releases)}): {summary}")
        return f"NumPy {series}:\n{run.stdout}{run.stderr}" if run.returncode else None

    jobs = {series: (lambda series=series: one(series)) for series in releases}
    return Claims(jobs, os.cpu_count() or 1, on_success=done.write)


def check_command(exe: Path, json_file: Path) -> list[str]:
    """How each release runs the claims: warnings are errors, and under ``python -O``, which strips ``assert``
    statements, so no verdict on any release rests on one (Sphinx runs them without ``-O``)."""
    return [str(exe), "-O", "-W", "error", "-m", "viewcopy", "check", "--json", str(json_file)]


def libraries(pip_list_json: str) -> str:
    """From `uv pip list --format json`: the versions of :data:`LIBRARIES`, as JSON ({"pandas": "2.3.3", ...})."""
    import json

    installed = {p["name"].lower(): p["version"] for p in json.loads(pip_list_json)}
    return json.dumps({name: installed[name] for name in LIBRARIES if name in installed}, indent=1)


def needs_built_site(session, root: Path) -> None:
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        session.skip("no Chromium on this machine: install it (Debian: apt-get install chromium) and run again")
    if not (root / "docs" / "_build" / "html" / "index.html").exists():
        session.error("the site is not built yet: run `nox -s docs` first")


def npm(session, root: Path) -> None:
    """axe-core and Lighthouse from the npm registry, as .ci/package-lock.json pins them."""
    stamp = Stamp(root / ".ci" / "node_modules" / ".viewcopy-installed",
                  digest([root / ".ci" / "package-lock.json"], root))  # fmt: skip
    if not stamp.fresh():
        session.run("npm", "ci", "--silent", "--no-audit", "--no-fund", "--prefix", ".ci", external=True)
        stamp.write()


TOOLS = ("nox", "lint", "browser", "release")  # locks of tools alone: no package, no project dependencies


def locks(
    python: str, releases: dict[str, list[str]], release_python: str
) -> dict[str, tuple[list[str], list[str], str]]:
    """lock name -> (dependency groups, other requirements, Python).

    A release's own requirements hold on ``release_python``, the one its
    environment uses: a universal lock also resolves newer Pythons, where
    (on 3.14) pandas 3 needs a newer NumPy, and the resolver would otherwise
    pick pandas 2 for every Python rather than fork.
    """
    tools = {name: ([name], [], python) for name in TOOLS}
    sites = {"docs": (["docs"], [], python), "dev": (["dev"], [], python), "serve": (["docs", "serve"], [], python)}
    only_there = f"; python_version == '{release_python}'"
    numpy = {
        f"numpy-{series}": (
            ["test", "libraries"],
            [f"numpy=={series}.*", *(r + only_there for r in own)],
            release_python,
        )
        for series, own in releases.items()
    }
    return {**tools, **sites, **numpy}


def compile_lock(session, root: Path, name: str, groups: list[str], requirements: list[str], python: str) -> None:
    """uv pip compile locks/<name>.txt: universal (every platform's markers), from pyproject.toml."""
    extra = Path(session.create_tmp()) / f"{name}.in"
    extra.write_text("".join(f"{r}\n" for r in requirements))
    project = [] if name in TOOLS else ["pyproject.toml", "--extra=dask"]
    session.run(uv(), "pip", "compile", "--quiet", "--universal", "--python-version", python, "--no-annotate",
                "--custom-compile-command", "nox -s lock", *project, str(extra),
                *[f"--group=pyproject.toml:{g}" for g in groups], "-o", f"locks/{name}.txt", external=True)  # fmt: skip


def side_by_side(session, commands: dict[str, list[str]], workers: int = 4) -> None:
    """Run the commands at once (``workers`` at a time), each one's output shown when it ends; fail if any fails."""

    def one(item: tuple[str, list[str]]) -> tuple[str, subprocess.CompletedProcess[str]]:
        return item[0], subprocess.run(item[1], capture_output=True, text=True, check=False)

    failed = []
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for name, done in pool.map(one, commands.items()):
            tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            session.log(f"{name}: {tail[0]}")
            if done.returncode:
                failed.append(f"{name} ({' '.join(commands[name])}):\n{done.stdout}{done.stderr}")
    if failed:
        session.error("\n\n".join(failed))

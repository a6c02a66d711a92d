"""The viewcopy menu.  `nox -l` lists it; plain `nox` runs the sessions marked *, in this order.

nox -s lint        * ruff, and the deploy files (.github/workflows, .readthedocs.yaml) against their schemas
nox -s matrix      * pytest and the doctests of src/ under each NumPy release of MATRIX
nox -s docs        * the complete site into docs/_build/html: Sphinx, and beside it every claim of the site
                     run under each NumPy release for the versions page (`-- clean` starts from scratch;
                     `-- preview` skips the releases and marks that page as a local preview)
nox -s doctest     * the docstrings of src/ and the doctest blocks of the pages
nox -s tests       * pytest, with every planted failure (`-- -k name` and other pytest options pass through)
nox -s site        * the whole real site end to end: a copy of the repository builds offline as the README
                     says; every claim holds with NumPy alone, without matplotlib or Sphinx
nox -s serve         live preview on http://127.0.0.1:8000, in preview mode (not a check)
nox -s browser       headless Chromium through the built site, with axe-core; screenshots
nox -s lighthouse    Lighthouse scores of every page, served compressed (mobile, simulated throttling)
nox -s linkcheck     check links (external ones only with VIEWCOPY_LINKCHECK_EXTERNAL=1)
nox -s bench         time the docs build, the gallery, the check and the guards
nox -s lock          refresh the lock files in locks/ (the only session that resolves versions)
nox -s install       the README's install block, run in a clean virtual environment
nox -s dist          build the sdist and wheel, `twine check --strict` them (the release workflow's checks)
nox -s inventory     regenerate docs/_inventories/numpy.inv (not a check)
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"

# These machines set PYTHONDONTWRITEBYTECODE=1: every Sphinx run would compile
# its imports again.  Let the sessions write the .pyc of what they import (not
# uv at install time: compiling all of pandas and matplotlib costs 15 s an environment).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

ROOT = Path(__file__).parent
DOCS = ROOT / "docs"
BUILD = DOCS / "_build"
LOCKS = ROOT / "locks"
MATRIX_DIR = BUILD / "matrix"  # one JSON file per NumPy release, read by the versions page
RUNNING = MATRIX_DIR / "running"  # exists (holding our pid) while the claims run beside Sphinx
WAITING = MATRIX_DIR / "waiting"  # Sphinx is waiting for them (docs/_ext/viewcopy_ledger.py): its core is free
CORES = os.cpu_count() or 1
GENERATED = [  # what `-- clean` removes
    BUILD / "html",
    BUILD / "doctrees",
    BUILD / "doctest",
    BUILD / "ledger",
    BUILD / ".jupyter_cache",
    MATRIX_DIR,
    DOCS / "auto_examples",
    DOCS / "api" / "generated",
    DOCS / "api" / "backreferences",
    DOCS / "sg_execution_times.rst",
]
# NumPy series -> (requirement, Python).  The versions page shows each; the
# lock session pins the newest release of a series, `nox -s lock` moves it.
MATRIX = {
    "1.26": ("numpy==1.26.4", "3.11"),
    "2.0": ("numpy==2.0.2", "3.11"),
    "2.2": ("numpy==2.2.6", "3.11"),
    "2.4": ("numpy==2.4.*", "3.12"),
    "2.5": ("numpy==2.5.*", "3.13"),
}
PYTHON = "3.11"  # the docs, test and lint environments
PACKAGE_SOURCES = [ROOT / "pyproject.toml", ROOT / "setup.py", ROOT / "src" / "viewcopy" / "_counting.c"]
WITH_DASK = ("docs", "dev", "serve")  # environments with the `dask` extra (the Dask page and its tests)
SPHINX_STRICT = ["-W", "--keep-going", "-n", "-T"]  # -T: full tracebacks, a failing cell's included
DOCTREES = ["-d", str(BUILD / "doctrees")]
BUILD_HTML = ["sphinx-build", "-b", "html", *SPHINX_STRICT, "docs", str(BUILD / "html"), *DOCTREES]


def _pyenv_pythons() -> None:
    """Under pyenv, make every Python the sessions need visible (CI starts from a clean shell).

    pyenv's shim sets PYENV_VERSION to the one Python it ran; add the others.
    """
    if not shutil.which("pyenv"):
        return
    installed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False).stdout
    visible = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    for series in [PYTHON, *sorted({python for _, python in MATRIX.values()})]:
        releases = [v for v in installed.split() if v.startswith(series + ".") and v.count(".") == 2]
        if releases and not any(v.startswith(series + ".") for v in visible):
            visible.append(max(releases, key=lambda v: int(v.split(".")[2])))
    if visible:
        os.environ["PYENV_VERSION"] = ":".join(visible)


_pyenv_pythons()


def lock_file(env: str) -> Path:
    return LOCKS / f"{env}.txt"


def install(session: nox.Session, env: str) -> None:
    """Install the package and the locked requirements of ``env``, unless this venv already has them.

    A no-change `nox -s docs` should cost the Sphinx run, not a resolver run;
    the stamp records what was installed: the lock file, pyproject.toml and the
    C extension's sources (an editable install compiles it once).
    """
    stamp = Path(session.virtualenv.location) / ".viewcopy-installed"
    wanted = _digest([*PACKAGE_SOURCES, lock_file(env)])
    if stamp.exists() and stamp.read_text() == wanted:
        return
    package = ".[dask]" if env in WITH_DASK else "."  # the Dask page; the matrix skips its tests
    session.install("-r", str(lock_file(env)), "-e", package)
    stamp.write_text(wanted)


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for file in files:
            h.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return h.hexdigest()


def _clean() -> None:
    for path in GENERATED:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


DEPLOY_SCHEMAS = {  # check-jsonschema's vendored schemas: no network needed
    "vendor.github-workflows": sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / ".github" / "workflows").glob("*.y*ml")
    ),
    "vendor.readthedocs": [".readthedocs.yaml"],
}
PLANTED = ROOT / "tests" / "planted"  # deploy files that must fail the check (see its README)


def install_tools(session: nox.Session, env: str) -> None:
    """Install the locked tools of ``env`` (no package)."""
    session.install("-r", str(lock_file(env)))


# -- the claims under each NumPy release, beside the Sphinx build -------------------


def _claims_env(session: nox.Session, series: str) -> Path:
    """A virtual environment with NumPy ``series`` (locked), pandas and viewcopy; its Python."""
    _, python = MATRIX[series]
    venv = ROOT / ".nox" / f"claims-numpy-{series}"
    exe = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    stamp = venv / ".viewcopy-installed"
    wanted = _digest([*PACKAGE_SOURCES, lock_file(f"numpy-{series}")])
    if not (stamp.exists() and stamp.read_text() == wanted):
        session.run("uv", "venv", "--quiet", "--clear", "--python", python, str(venv), external=True, silent=True)
        session.run(
            "uv", "pip", "install", "--quiet", "--python", str(exe), "-r", str(lock_file(f"numpy-{series}")),
            "-e", ".", external=True, silent=True,
        )  # fmt: skip
        stamp.write_text(wanted)
    return exe


class Claims(NamedTuple):
    sphinx_done: threading.Event
    failures: concurrent.futures.Future[list[str]]


def _run_claims(session: nox.Session) -> Claims | None:
    """Run `python -m viewcopy check` under each release of MATRIX, in the background, beside Sphinx.

    Each release gets its environment, then its run, on a core Sphinx does not
    use: one core while Sphinx works, every core once it is done or waiting for
    these results (the versions page waits until docs/_build/matrix/running is
    gone).  Nothing is rerun when the claims' sources and the locks are unchanged.
    """
    inputs = _digest([ROOT / "src", ROOT / "examples", *sorted(DOCS.glob("*.md")), LOCKS, ROOT / "pyproject.toml"])
    done = MATRIX_DIR / "inputs.sha256"
    if done.exists() and done.read_text() == inputs and all(_result(s).exists() for s in MATRIX):
        session.log("claims and locks unchanged since the last run: the versions page reuses docs/_build/matrix")
        return None
    shutil.rmtree(MATRIX_DIR, ignore_errors=True)
    MATRIX_DIR.mkdir(parents=True)
    RUNNING.write_text(str(os.getpid()))
    sphinx_done, ended = threading.Event(), itertools.count(1)

    def one(series: str) -> str | None:
        python, start = _claims_env(session, series), time.perf_counter()
        # -W error: every claim and page must run warning-free on every release
        command = [str(python), "-W", "error", "-m", "viewcopy", "check", "--json", str(_result(series))]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        (MATRIX_DIR / f"numpy-{series}.log").write_text(run.stdout + run.stderr)
        summary = next((line for line in run.stdout.splitlines() if "claims hold" in line), "no summary")
        session.log(f"NumPy {series} ({next(ended)} of {len(MATRIX)}): {summary}, {time.perf_counter() - start:.0f} s")
        return f"NumPy {series}:\n{run.stdout}{run.stderr}" if run.returncode else None

    def run_all() -> list[str]:
        failures, todo, running = [], list(MATRIX), set()
        try:
            with concurrent.futures.ThreadPoolExecutor(CORES) as pool:
                while todo or running:
                    free = CORES - (0 if sphinx_done.is_set() or WAITING.exists() else 1)
                    while todo and len(running) < max(free, 1):
                        running.add(pool.submit(one, todo.pop(0)))
                    finished, running = concurrent.futures.wait(running, timeout=0.5, return_when="FIRST_COMPLETED")
                    failures += [f.result() for f in finished if f.result()]
            if not failures:
                done.write_text(inputs)
        finally:
            RUNNING.unlink(missing_ok=True)
        return failures

    return Claims(sphinx_done, concurrent.futures.ThreadPoolExecutor(max_workers=1).submit(run_all))


def _result(series: str) -> Path:
    return MATRIX_DIR / f"numpy-{series}.json"


@nox.session(python=PYTHON, default=True)
def lint(session: nox.Session) -> None:
    """ruff (lint and formatting); the workflows and .readthedocs.yaml against their schemas."""
    install_tools(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    for schema, files in DEPLOY_SCHEMAS.items():
        session.run("check-jsonschema", "--builtin-schema", schema, *files)
    # The check can fail: each planted bad file must be rejected.
    for planted in sorted(PLANTED.glob("*.y*ml")):
        schema = "vendor.readthedocs" if planted.name.startswith("readthedocs") else "vendor.github-workflows"
        result = session.run(
            "check-jsonschema", "--builtin-schema", schema, str(planted), success_codes=[0, 1], silent=True
        )
        if "ok -- validation done" in (result or ""):
            session.error(f"{planted.relative_to(ROOT)} is invalid but passed the schema check")
        session.log(f"{planted.relative_to(ROOT)}: rejected, as it should be")


@nox.session(default=True)
@nox.parametrize(("python", "numpy"), [(python, series) for series, (_, python) in MATRIX.items()], ids=list(MATRIX))
def matrix(session: nox.Session, numpy: str) -> None:
    """Under each NumPy release: the package's tests and the doctests of src/ (`nox -s docs` runs the claims)."""
    install(session, f"numpy-{numpy}")
    session.run("pytest", "-m", "not build", "--doctest-modules", "src", "tests", "-q", *session.posargs)


@nox.session(python=PYTHON, default=True)
def docs(session: nox.Session) -> None:
    """The complete site: Sphinx, with the claims run under every NumPy release beside it.

    `-- clean` starts from scratch; `-- preview` skips the NumPy releases (the
    versions page then says the build is a local preview).  Other arguments go
    to sphinx-build, e.g. to run one gallery script only:
    `nox -s docs -- preview -D sphinx_gallery_conf.filename_pattern=ravel`.
    """
    install(session, "docs")
    options = [arg for arg in session.posargs if arg not in ("clean", "preview")]
    if "clean" in session.posargs:
        _clean()
    preview = "preview" in session.posargs or os.environ.get("VIEWCOPY_PREVIEW") == "1"
    claims = None if preview else _run_claims(session)
    env = {"VIEWCOPY_PREVIEW": "1" if preview else "0"}
    try:
        session.run(*BUILD_HTML, *options, env=env)
    finally:
        if claims:
            claims.sphinx_done.set()
        failures = claims.failures.result() if claims else []
    if failures:
        session.error("claims failed under a NumPy release of the matrix:\n" + "\n".join(failures))
    where = BUILD / "html" / "index.html"
    session.log(f"The {'local preview of the ' if preview else 'complete '}site is in {where.parent}; open {where}.")


@nox.session(python=PYTHON, default=True)
def doctest(session: nox.Session) -> None:
    """Run the examples in src/ docstrings and the doctest blocks of the pages."""
    install(session, "dev")
    session.run("pytest", "--doctest-modules", "src")
    # Same doctrees as `docs`: after a build, nothing is read or executed again.
    session.run(
        "sphinx-build", "-b", "doctest", *SPHINX_STRICT, "docs", str(BUILD / "doctest"), *DOCTREES, *session.posargs
    )


@nox.session(python=PYTHON, default=True)
def tests(session: nox.Session) -> None:
    """Run pytest, including the tests that plant failures in a small site and in the real pages."""
    install(session, "dev")
    # two workers (pytest-xdist), one per core: each builds the small site once
    session.run("pytest", "-n", "2", "-m", "not site", *session.posargs)


@nox.session(python=PYTHON, default=True)
def site(session: nox.Session) -> None:
    """The whole-site promises: the README's build works offline; every claim holds without plotting or Sphinx."""
    install(session, "dev")
    session.run("pytest", "-m", "site", *session.posargs)


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Live preview: rebuild on change and reload the browser (http://127.0.0.1:8000); no NumPy matrix."""
    install(session, "serve")
    session.run(
        "sphinx-autobuild", *SPHINX_STRICT, "docs", str(BUILD / "html"), *DOCTREES,
        "--watch", "src", "--watch", "examples", "--ignore", "*/auto_examples/*", "--ignore", "*/api/generated/*",
        "--ignore", "*/_build/*", "--ignore", "*/api/backreferences/*", "--ignore", "*/sg_execution_times.rst",
        "--host", "127.0.0.1", "--port", "8000", *session.posargs, env={"VIEWCOPY_PREVIEW": "1"},
    )  # fmt: skip


def _chromium(session: nox.Session) -> None:
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        session.skip("no Chromium on this machine: install it (Debian: apt-get install chromium) and run again")
    if not (BUILD / "html" / "index.html").exists():
        session.error("the site is not built yet: run `nox -s docs` first")


def _npm(session: nox.Session) -> None:
    """axe-core and Lighthouse from the npm registry, as tests/package-lock.json pins them."""
    stamp = ROOT / "tests" / "node_modules" / ".viewcopy-installed"
    wanted = _digest([ROOT / "tests" / "package-lock.json"])
    if not (stamp.exists() and stamp.read_text() == wanted):
        session.run("npm", "ci", "--silent", "--no-audit", "--no-fund", "--prefix", "tests", external=True)
        stamp.write_text(wanted)


@nox.session(python=PYTHON, default=False)
def browser(session: nox.Session) -> None:
    """Drive headless Chromium through the built site, with axe-core; screenshots go to docs/_build/screenshots."""
    _chromium(session)
    install_tools(session, "browser")  # the Python driver only; the browser is the system's Chromium
    _npm(session)
    session.run("python", "tests/browser_check.py", str(BUILD / "html"))


@nox.session(python=PYTHON, default=False)
def lighthouse(session: nox.Session) -> None:
    """Lighthouse on every page, served compressed: performance >= 95, accessibility 100 (mobile, simulated).

    Pages can be named: `nox -s lighthouse -- index.html`.
    """
    _chromium(session)
    _npm(session)
    session.run("python", "tests/lighthouse_check.py", str(BUILD / "html"), *session.posargs)


@nox.session(python=PYTHON, default=False)
def linkcheck(session: nox.Session) -> None:
    """Check links: internal ones always, external ones only with VIEWCOPY_LINKCHECK_EXTERNAL=1."""
    install(session, "docs")
    session.run("sphinx-build", "-b", "linkcheck", *SPHINX_STRICT, "docs", str(BUILD / "linkcheck"), *DOCTREES)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Time a clean and a no-change docs build (preview: Sphinx only), the gallery, the check and the guards."""
    install(session, "dev")
    _clean()
    env = {"VIEWCOPY_PREVIEW": "1"}
    start = time.perf_counter()
    session.run(*BUILD_HTML, "-q", env=env)
    clean_seconds = time.perf_counter() - start
    start = time.perf_counter()
    session.run(*BUILD_HTML, "-q", env=env)
    nochange_seconds = time.perf_counter() - start
    session.run("python", "tests/bench.py", f"--docs-clean={clean_seconds}", f"--docs-nochange={nochange_seconds}")


@nox.session(name="install", python=PYTHON, default=False)
def install_block(session: nox.Session) -> None:
    """Run the README's install block (clone, pip install, check) in a clean venv, as a new user would."""
    session.run("python", "tests/install_check.py")


@nox.session(python=PYTHON, default=False)
def dist(session: nox.Session) -> None:
    """Build the sdist and the wheel into dist/ and check them with `twine check --strict`."""
    install_tools(session, "release")
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist", ".")
    session.run("twine", "check", "--strict", *sorted(str(p) for p in (ROOT / "dist").iterdir()))
    # the wheel carries every claim-making source of the checkout, for `python -m viewcopy check`
    session.install(*(ROOT / "dist").glob("*.whl"))
    session.run("python", "-c", SAME_SOURCES, str(ROOT))


SAME_SOURCES = """
import sys, pathlib, viewcopy
from viewcopy.claims import ledger as _ledger
root, site = pathlib.Path(sys.argv[1]), pathlib.Path(viewcopy.__file__).parent / "_site"
def names(where):
    return {path.relative_to(where).as_posix() for _, path in _ledger.sources(where)}
missing = sorted(names(root) - names(site))
sys.exit(f"not in the wheel: {missing}" if missing else None)
"""


# lock file -> (dependency groups, other requirements, Python); the project's own
# dependencies are resolved with every lock but those of tools: nox, lint, browser, release
LOCKED = {
    "docs": (["docs"], [], PYTHON),
    "dev": (["dev"], [], PYTHON),
    "serve": (["docs", "serve"], [], PYTHON),
    "nox": (["nox"], [], PYTHON),
    "lint": (["lint"], [], PYTHON),
    "browser": (["browser"], [], PYTHON),
    "release": (["release"], [], PYTHON),
    **{f"numpy-{series}": (["test"], [numpy, "pandas"], python) for series, (numpy, python) in MATRIX.items()},
}


@nox.session(python=PYTHON, default=False)
def lock(session: nox.Session) -> None:
    """Refresh every lock file in locks/ from pyproject.toml: the one command that moves pinned versions."""
    LOCKS.mkdir(exist_ok=True)
    extra = Path(session.create_tmp()) / "requirements.in"
    for name, (groups, requirements, python) in LOCKED.items():
        extra.write_text("".join(f"{r}\n" for r in requirements))
        sources = [] if name in ("nox", "lint", "browser", "release") else ["pyproject.toml"]
        extras = ["--extra=dask"] if name in WITH_DASK else []
        session.run(
            "uv", "pip", "compile", "--quiet", "--universal", "--python-version", python, "--no-annotate",
            "--custom-compile-command", "nox -s lock", *sources, *extras, str(extra),
            *[f"--group=pyproject.toml:{group}" for group in groups], "-o", str(lock_file(name)), external=True,
        )  # fmt: skip
    session.log(f"{len(LOCKED)} lock files written to {LOCKS}; commit them")


@nox.session(python=PYTHON, default=False)
def inventory(session: nox.Session) -> None:
    """Regenerate the offline NumPy intersphinx inventory from the installed NumPy."""
    session.install("numpy", "sphobjinv")
    session.run("python", "docs/_inventories/build_numpy_inventory.py")

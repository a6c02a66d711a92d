"""The viewcopy menu.  `nox -l` lists it; plain `nox` runs the sessions marked *, in this order.

nox -s lint        * pre-commit's hooks (.pre-commit-config.yaml: ruff, ruff format, the deploy files' schemas, mypy)
nox -s matrix      * pytest and the doctests of src/ under each NumPy release of RELEASES, side by side
nox -s docs        * the complete site into docs/_build/html: Sphinx, and beside it every claim of the site
                     run under each NumPy release for the versions page (`-- clean` starts from scratch;
                     `-- preview` skips the releases and marks that page as a local preview)
nox -s doctest     * the docstrings of src/ and the doctest blocks of the pages
nox -s tests       * pytest, with every planted failure (`-- -k name` and other pytest options pass through)
nox -s site        * the whole real site end to end: a copy of the repository builds offline as the README
                     says; every claim holds with NumPy alone, without matplotlib or Sphinx
nox -s optimized     `python -O -m viewcopy check` under the newest release: no verdict rests on `assert`
nox -s serve         live preview on http://127.0.0.1:8000, in preview mode (not a check)
nox -s browser       headless Chromium through the built site, with axe-core; screenshots
nox -s lighthouse    Lighthouse scores of every page, served compressed (mobile, simulated throttling)
nox -s linkcheck     check links (external ones only with VIEWCOPY_LINKCHECK_EXTERNAL=1)
nox -s bench         time the docs build, the gallery, the check and the guards
nox -s lock          refresh the lock files in locks/ (the only session that resolves versions)
nox -s install       the README's install block, run in a clean virtual environment
nox -s dist          build the sdist and wheel, `twine check --strict` them (the release workflow's checks)
nox -s inventory     regenerate docs/_inventories/numpy.inv (not a check)

The machinery (install stamps, the releases' environments, the claims run beside Sphinx) is in
.ci/noxlib.py; the tools the sessions run are in .ci/.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).parent
PYTHON = "3.11"  # lint, docs, tests: the oldest Python viewcopy supports
RELEASE_PYTHON = "3.12"  # every NumPy release below: the one Python with wheels of all seven
# NumPy series -> what its lock needs beside the newest numpy of the series and the newest pandas, pyarrow,
# polars, joblib and Dask that support it (`nox -s lock`).
RELEASES = {
    # pandas 3.1 needs NumPy 2: pandas 2.3, so the pandas claims run on pandas 2 and 3; pyarrow 26 refuses
    # NumPy 1 when imported, which its metadata does not say
    "1.26": ["pandas<3", "pyarrow<26"],
    "2.0": ["pandas>=3"],
    "2.1": ["pandas>=3"],
    "2.2": ["pandas>=3"],
    "2.3": ["pandas>=3"],
    "2.4": ["pandas>=3"],
    "2.5": ["pandas>=3"],
}
NEWEST = list(RELEASES)[-1]
BUILD = ROOT / "docs" / "_build"
STRICT = ["-W", "--keep-going", "-n", "-T"]  # warnings are errors; -T: full tracebacks, a failing cell's included


def sphinx(builder: str, program: str = "sphinx-build") -> list[str]:
    """Build docs/ with ``builder`` into docs/_build/<builder>; every builder shares the doctrees."""
    return [program, "-b", builder, *STRICT, "docs", str(BUILD / builder), "-d", str(BUILD / "doctrees")]


def _load(path: Path):
    """Import a file by its path: nox does not put the noxfile's folder on sys.path (nor do we)."""
    spec = importlib.util.spec_from_file_location(f"viewcopy_{path.stem}", path)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # registered: dataclasses look it up
    spec.loader.exec_module(module)
    return module


ci = _load(ROOT / ".ci" / "noxlib.py")  # it only defines: nothing runs at import


@nox.session(python=PYTHON, default=True)
def lint(session: nox.Session) -> None:
    """pre-commit's hooks on every file (offline: they run the locked tools); planted bad deploy files fail."""
    ci.prepare(session, "lint", package=False)
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")
    session.run("python", ".ci/planted_schemas.py")


@nox.session(venv_backend="none", default=True)
def matrix(session: nox.Session) -> None:
    """pytest and src/'s doctests under each NumPy release, at once (`-- 2.4` picks releases; other args: pytest's).

    Each release's environment is the docs build's.  The tests wait more than they compute (worker processes,
    a Dask cluster): run side by side, seven releases take little more than one.
    """
    chosen = [arg for arg in session.posargs if arg in RELEASES] or list(RELEASES)
    pytest = ["-m", "pytest", "-m", "not build and not site and not once", "--doctest-modules", "src", "tests", "-q"]
    pytest += [arg for arg in session.posargs if arg not in RELEASES]
    envs = {series: ci.release(ROOT, series, RELEASE_PYTHON) for series in chosen}
    ci.side_by_side(session, {f"NumPy {s}": [str(env.ensure(ci.uv())), *pytest] for s, env in envs.items()})


@nox.session(python=PYTHON, default=True)
def docs(session: nox.Session) -> None:
    """The complete site: Sphinx, with the claims run under every NumPy release beside it.

    `-- clean` starts from scratch; `-- preview` skips the releases (the versions page then says the build is a
    local preview).  Other arguments go to sphinx-build, e.g. one gallery script only:
    `nox -s docs -- preview -D sphinx_gallery_conf.filename_pattern=ravel`.
    """
    ci.prepare(session, "docs")
    if "clean" in session.posargs:
        ci.clean(ROOT)
    preview = "preview" in session.posargs or os.environ.get("VIEWCOPY_PREVIEW") == "1"
    claims = None if preview else ci.claims_beside_sphinx(session, ROOT, RELEASES, RELEASE_PYTHON)
    options = [arg for arg in session.posargs if arg not in ("clean", "preview")]
    env = {"VIEWCOPY_PREVIEW": "1" if preview else "0", ci.ADDRESS: claims.address if claims else None}
    try:
        session.run(*sphinx("html"), *options, env=env)
    finally:
        failures = claims.failures() if claims else []
    if failures:
        session.error("claims failed under a NumPy release of the matrix:\n" + "\n".join(failures))
    session.log(f"The {'local preview of the' if preview else 'complete'} site: open {BUILD / 'html' / 'index.html'}")


@nox.session(python=PYTHON, default=True)
def doctest(session: nox.Session) -> None:
    """Run the examples in src/ docstrings and the doctest blocks of the pages (the docs build's doctrees)."""
    ci.prepare(session, "dev")
    session.run("pytest", "--doctest-modules", "src")
    session.run(*sphinx("doctest"), *session.posargs)


@nox.session(python=PYTHON, default=True)
def tests(session: nox.Session) -> None:
    """Run pytest, including the tests that plant failures in a small site and in the real pages."""
    ci.prepare(session, "dev")
    session.run("pytest", "-n", "2", "-m", "not site", *session.posargs)  # one worker per core


@nox.session(python=PYTHON, default=True)
def site(session: nox.Session) -> None:
    """The whole-site promises: the README's build works offline; every claim holds without plotting or Sphinx."""
    ci.prepare(session, "dev")
    session.run("pytest", "-m", "site", *session.posargs)


@nox.session(venv_backend="none", default=False)
def optimized(session: nox.Session) -> None:
    """`python -O -m viewcopy check` under the newest release: asserts are gone, every verdict must still hold."""
    python = ci.release(ROOT, NEWEST, RELEASE_PYTHON).ensure(ci.uv())
    session.run(python, "-O", "-W", "error", "-m", "viewcopy", "check", *session.posargs)


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Live preview: rebuild on change and reload the browser (http://127.0.0.1:8000); no NumPy releases."""
    ci.prepare(session, "serve")
    watch = ["--watch", "src", "--watch", "examples", "--host", "127.0.0.1", "--port", "8000"]
    ignore = [
        f"--ignore=*/{path}" for path in ("auto_examples/*", "api/generated/*", "_build/*", "api/backreferences/*")
    ]
    ignore += ["--ignore=*/sg_execution_times.rst"]
    session.run(*sphinx("html", "sphinx-autobuild"), *watch, *ignore, *session.posargs, env={"VIEWCOPY_PREVIEW": "1"})


@nox.session(python=PYTHON, default=False)
def browser(session: nox.Session) -> None:
    """Drive headless Chromium through the built site, with axe-core; screenshots go to docs/_build/screenshots."""
    ci.needs_built_site(session, ROOT)
    ci.prepare(session, "browser", package=False)  # the Python driver only; the browser is the system's Chromium
    ci.npm(session, ROOT)
    session.run("python", ".ci/browser_check.py", str(BUILD / "html"))


@nox.session(python=PYTHON, default=False)
def lighthouse(session: nox.Session) -> None:
    """Lighthouse on every page, served compressed: performance >= 95, accessibility 100 (mobile, simulated).

    Pages can be named: `nox -s lighthouse -- index.html`.
    """
    ci.needs_built_site(session, ROOT)
    ci.npm(session, ROOT)
    session.run("python", ".ci/lighthouse_check.py", str(BUILD / "html"), *session.posargs)


@nox.session(python=PYTHON, default=False)
def linkcheck(session: nox.Session) -> None:
    """Check links: internal ones always, external ones only with VIEWCOPY_LINKCHECK_EXTERNAL=1."""
    ci.prepare(session, "docs")
    session.run(*sphinx("linkcheck"))


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Time a clean and a no-change docs build (preview: Sphinx only), the gallery, the check and the guards."""
    ci.prepare(session, "dev")
    ci.clean(ROOT)
    seconds = []
    for _ in ("clean", "no change"):
        start = time.perf_counter()
        session.run(*sphinx("html"), "-q", env={"VIEWCOPY_PREVIEW": "1"})
        seconds.append(time.perf_counter() - start)
    session.run("python", ".ci/bench.py", f"--docs-clean={seconds[0]}", f"--docs-nochange={seconds[1]}")


@nox.session(name="install", python=PYTHON, default=False)
def install_block(session: nox.Session) -> None:
    """Run the README's install block (clone, pip install, check) in a clean venv, as a new user would."""
    session.run("python", ".ci/install_check.py")


@nox.session(python=PYTHON, default=False)
def dist(session: nox.Session) -> None:
    """Build the sdist and the wheel into dist/, `twine check --strict` them; the wheel holds every claim source."""
    ci.prepare(session, "release", package=False)
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist", ".")
    session.run("twine", "check", "--strict", *sorted(str(p) for p in (ROOT / "dist").iterdir()))
    session.install(*(ROOT / "dist").glob("*.whl"))
    session.run("python", ".ci/wheel_sources.py", str(ROOT))


@nox.session(python=PYTHON, default=False)
def lock(session: nox.Session) -> None:
    """Refresh every lock file in locks/ from pyproject.toml: the one command that moves pinned versions."""
    for name, (groups, requirements, python) in ci.locks(PYTHON, RELEASES, RELEASE_PYTHON).items():
        ci.compile_lock(session, ROOT, name, groups, requirements, python)
    session.log("lock files written to locks/; commit them")


@nox.session(python=PYTHON, default=False)
def inventory(session: nox.Session) -> None:
    """Regenerate the offline NumPy intersphinx inventory from the installed NumPy."""
    session.install("numpy", "sphobjinv")
    session.run("python", "docs/_inventories/build_numpy_inventory.py")

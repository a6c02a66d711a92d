"""The viewcopy menu.  `nox -l` lists it; plain `nox` runs every check.

nox -s docs            build the site into docs/_build/html (`-- clean` from scratch)
nox -s doctest         run the docstrings of src/ and the doctest blocks of the pages
nox -s tests           run pytest (`-- -k name` and other pytest options pass through)
nox -s lint            ruff check and ruff format --check
nox -s serve           live preview on http://127.0.0.1:8000 (not a check)
nox -s inventory       regenerate docs/_inventories/numpy.inv (not a check)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "matrix", "docs", "doctest", "tests"]

# These machines set PYTHONDONTWRITEBYTECODE=1; uv then installs no .pyc and
# every Sphinx run would recompile its imports.  Let the sessions write them.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

ROOT = Path(__file__).parent
DOCS = ROOT / "docs"
BUILD = DOCS / "_build"
GENERATED = [  # what `-- clean` removes; _build/matrix (from `nox -s matrix`) stays
    BUILD / "html",
    BUILD / "doctrees",
    BUILD / "doctest",
    BUILD / "ledger",
    BUILD / ".jupyter_cache",
    DOCS / "auto_examples",
    DOCS / "api" / "generated",
    DOCS / "api" / "backreferences",
    DOCS / "sg_execution_times.rst",
]
PYPROJECT = nox.project.load_toml("pyproject.toml")
NUMPY_RELEASES = ["1.26.4", "2.0.2", "2.2.6", "newest"]  # the versions page shows all four
SPHINX_STRICT = ["-W", "--keep-going", "-n", "-T"]  # -T: full tracebacks, a failing cell's included
DOCTREES = ["-d", str(BUILD / "doctrees")]
BUILD_HTML = ["sphinx-build", "-b", "html", *SPHINX_STRICT, "docs", str(BUILD / "html"), *DOCTREES]


def install(session: nox.Session, *groups: str, pins: tuple[str, ...] = ()) -> None:
    """Install the package and dependency groups, unless this venv already has them.

    A no-change `nox -s docs` should cost the Sphinx run, not a resolver run;
    the stamp records what was installed and is compared with pyproject.toml
    and the C extension's sources (an editable install compiles it once).
    """
    stamp = Path(session.virtualenv.location) / ".viewcopy-installed"
    sources = b"".join(
        (ROOT / name).read_bytes() for name in ("pyproject.toml", "setup.py", "src/viewcopy/_counting.c")
    )
    wanted = hashlib.sha256(sources + repr((groups, pins)).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    package = ".[dask]" if "docs" in groups else "."  # the Dask page; the matrix (test group) skips its tests
    session.install("-e", package, *nox.project.dependency_groups(PYPROJECT, *groups), *pins)
    stamp.write_text(wanted)


def _clean() -> None:
    for path in GENERATED:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML site, warnings as errors.  `nox -s docs -- clean` starts from scratch.

    Other arguments go to sphinx-build, e.g. to run one gallery script only:
    `nox -s docs -- -D sphinx_gallery_conf.filename_pattern=ravel`.
    """
    install(session, "docs")
    options = [arg for arg in session.posargs if arg != "clean"]
    if "clean" in session.posargs:
        _clean()
    session.run(*BUILD_HTML, *options)
    session.log(f"The site is in {BUILD / 'html'}; open {BUILD / 'html' / 'index.html'} in a browser.")


@nox.session
def doctest(session: nox.Session) -> None:
    """Run the examples in src/ docstrings and the doctest blocks of the pages."""
    install(session, "docs", "test")
    session.run("pytest", "--doctest-modules", "src")
    # Same doctrees as `docs`: after a build, nothing is read or executed again.
    session.run(
        "sphinx-build", "-b", "doctest", *SPHINX_STRICT, "docs", str(BUILD / "doctest"), *DOCTREES, *session.posargs
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run pytest, including the tests that build planted-failure copies of the docs."""
    install(session, "docs", "test")
    session.run("pytest", *session.posargs)


@nox.session
@nox.parametrize("numpy", NUMPY_RELEASES)
def matrix(session: nox.Session, numpy: str) -> None:
    """Under each NumPy release: the package's tests, then every claim of the site.

    The claims' results go to docs/_build/matrix/, where the docs build reads
    them for the "NumPy versions" page.
    """
    install(session, "test", pins=(f"numpy=={numpy}",) if numpy != "newest" else ())
    session.run("pytest", "-m", "not build", "--doctest-modules", "src", "tests", "-q", *session.posargs)
    session.run("python", "-m", "viewcopy", "check", "--json", str(BUILD / "matrix" / f"numpy-{numpy}.json"))


DEPLOY_SCHEMAS = {  # check-jsonschema's vendored schemas: no network needed
    "vendor.github-workflows": sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / ".github" / "workflows").glob("*.y*ml")
    ),
    "vendor.readthedocs": [".readthedocs.yaml"],
}
PLANTED = ROOT / "tests" / "planted"  # deploy files that must fail the check (see its README)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and formatting); the workflows and .readthedocs.yaml against their schemas."""
    session.install("ruff==0.17.6", "check-jsonschema==0.39.0")  # pinned: a new release may add rules
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


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Live preview: rebuild on change and reload the browser (http://127.0.0.1:8000)."""
    install(session, "docs")
    session.install("sphinx-autobuild")
    session.run(
        "sphinx-autobuild", *SPHINX_STRICT, "docs", str(BUILD / "html"), *DOCTREES,
        "--watch", "src", "--watch", "examples", "--ignore", "*/auto_examples/*", "--ignore", "*/api/generated/*",
        "--ignore", "*/_build/*", "--ignore", "*/api/backreferences/*", "--ignore", "*/sg_execution_times.rst",
        "--host", "127.0.0.1", "--port", "8000", *session.posargs,
    )  # fmt: skip


@nox.session(default=False)
def browser(session: nox.Session) -> None:
    """Drive headless Chromium through the built site; screenshots go to docs/_build/screenshots."""
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        session.skip(
            "no Chromium on this machine: install it (Debian: apt-get install chromium) to run the browser check"
        )
    if not (BUILD / "html" / "index.html").exists():
        session.notify("docs")
        session.skip("the site is not built yet: building it first, run `nox -s browser` again afterwards")
    session.install("playwright")  # the Python driver only; the browser is the system's Chromium
    session.run("python", "tests/browser_check.py", str(BUILD / "html"))


@nox.session(default=False)
def linkcheck(session: nox.Session) -> None:
    """Check links: internal ones always, external ones only with VIEWCOPY_LINKCHECK_EXTERNAL=1."""
    install(session, "docs")
    session.run("sphinx-build", "-b", "linkcheck", *SPHINX_STRICT, "docs", str(BUILD / "linkcheck"), *DOCTREES)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Time a clean and a no-change docs build, the gallery, the check and the guards; print a table."""
    install(session, "docs", "test")
    _clean()
    start = time.perf_counter()
    session.run(*BUILD_HTML, "-q")
    clean_seconds = time.perf_counter() - start
    start = time.perf_counter()
    session.run(*BUILD_HTML, "-q")
    nochange_seconds = time.perf_counter() - start
    session.run("python", "tests/bench.py", f"--docs-clean={clean_seconds}", f"--docs-nochange={nochange_seconds}")


@nox.session(default=False)
def inventory(session: nox.Session) -> None:
    """Regenerate the offline NumPy intersphinx inventory from the installed NumPy."""
    session.install("numpy", "sphobjinv")
    session.run("python", "docs/_inventories/build_numpy_inventory.py")

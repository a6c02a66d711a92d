"""Fixtures shared by the tests: a throwaway copy of the project that can be built."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
collect_ignore = ["site"]  # the small site's sources
sys.path.insert(0, str(ROOT / "docs" / "_ext"))  # the site's Sphinx extensions, tested here too
COPIED = [".ci", "docs", "examples", "src", "locks", "noxfile.py", "pyproject.toml", "setup.py", "README.md"]
IGNORED = shutil.ignore_patterns("_build", "auto_examples", "generated", "backreferences", "jupyter_execute", ".nox", "node_modules")


@dataclass
class Build:
    returncode: int
    output: str


@dataclass
class Copy:
    """A copy of something in a temporary folder, to plant failures in."""

    root: Path

    def path(self, relative: str) -> Path:
        return self.root / relative

    def replace(self, relative: str, old: str, new: str) -> None:
        """Edit one file of the copy; fail loudly if ``old`` is not there."""
        path = self.path(relative)
        text = path.read_text()
        assert old in text, f"{old!r} not found in {relative}"
        path.write_text(text.replace(old, new, 1))


@dataclass
class ProjectCopy(Copy):
    """A copy of the whole project, built with its own noxfile."""

    envdir: Path
    reuse: bool = False  # the repository's own nox environments: run them, never install into them

    def nox(self, *args: str, offline: bool = False) -> Build:
        """Run the copy's own noxfile, as the README's commands do, and capture its log."""
        command = [sys.executable, "-m", "nox", "-f", str(self.root / "noxfile.py"), "--envdir", str(self.envdir)]
        command += ["--no-install", *args] if self.reuse else list(args)
        env = dict(os.environ, VIEWCOPY_PREVIEW="1")  # partial builds: no NumPy matrix
        if offline:
            # no network: a namespace with only loopback (Jupyter kernels talk
            # over it) where possible, and proxies that lead nowhere anyway
            if shutil.which("unshare") and shutil.which("ip"):
                command = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
            env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="")
        done = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True, check=False)
        return Build(done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="session")
def shared_envdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bool]:
    """(envdir, reuse): the repository's own when its docs environment exists (run with --no-install), else a new one."""
    if (ROOT / ".nox" / "docs").is_dir():
        return ROOT / ".nox", True
    return tmp_path_factory.mktemp("nox-envs"), False


@pytest.fixture
def project_copy(
    tmp_path_factory: pytest.TempPathFactory, shared_envdir: tuple[Path, bool]
) -> Callable[[], ProjectCopy]:
    def make() -> ProjectCopy:
        # session-scoped parent: the shared venv's editable install points into
        # the first copy, which must outlive the test that made it
        root = tmp_path_factory.mktemp("project")
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=IGNORED)
            else:
                shutil.copy2(source, root / name)
        return ProjectCopy(root, *shared_envdir)

    return make


# -- a small site, built in-process with the real configuration and extensions -------------------

SITE = ROOT / "tests" / "site"
SITE_CONF = '''\
"""The real docs/conf.py, with its relative paths pointed back at docs/."""

import os

__file__ = {conf!r}  # the real conf.py finds docs/_ext from here
with open(__file__) as real:
    exec(compile(real.read(), __file__, "exec"))
DOCS = os.path.dirname(__file__)
html_static_path = [os.path.join(DOCS, p) for p in html_static_path]
html_templates_path = templates_path = [os.path.join(DOCS, p) for p in templates_path]
html_favicon = html_logo = os.path.join(DOCS, html_favicon)
intersphinx_mapping = {{k: (url, (os.path.join(DOCS, inv[0]), None)) for k, (url, inv) in intersphinx_mapping.items()}}
'''


@dataclass
class Site(Copy):
    """A copy of tests/site/ (plus the real claims and versions pages) to build and plant failures in.

    Laid out like the repository: ``examples/`` beside ``docs/``.
    """

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    def build(self, builder: str = "html", *, parallel: int = 0, preview: bool = True) -> Build:
        """sphinx-build -W --keep-going -n -T, in this process (the ledger variable is restored after).

        ``preview``: as `nox -s docs -- preview`, no NumPy matrix (the versions page says so).
        """
        import traceback
        from io import StringIO

        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        from viewcopy import _ledger

        log = StringIO()
        saved_preview = os.environ.get("VIEWCOPY_PREVIEW")
        os.environ["VIEWCOPY_PREVIEW"] = "1" if preview else "0"
        with _ledger.unrecorded(), patch_docutils(self.docs), docutils_namespace():  # as sphinx-build does
            try:
                app = Sphinx(
                    self.docs, self.docs, self.docs / "_build" / builder, self.docs / "_build" / "doctrees", builder,
                    status=log, warning=log, warningiserror=True, keep_going=True, parallel=parallel,
                )  # fmt: skip
                app.build()
                code = app.statuscode
            except Exception:  # noqa: BLE001 (what sphinx-build -T prints, then exit 2)
                log.write(traceback.format_exc())
                code = 2
            finally:
                os.environ.pop("VIEWCOPY_PREVIEW")
                if saved_preview is not None:
                    os.environ["VIEWCOPY_PREVIEW"] = saved_preview
        return Build(code, re.sub(r"\x1b\[[0-9;]*m", "", log.getvalue()))  # no colours: tracebacks as text


def make_site(folder: Path) -> Site:
    shutil.copytree(SITE, folder, ignore=IGNORED)
    for page in ("claims.md", "versions.md"):
        shutil.copy2(ROOT / "docs" / page, folder / "docs" / page)
    (folder / "docs" / "conf.py").write_text(SITE_CONF.format(conf=str(ROOT / "docs" / "conf.py")))
    return Site(folder)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Build]:
    """The small site, built once per session with two reading processes: (site, build)."""
    site = make_site(tmp_path_factory.mktemp("built") / "site")
    return site, site.build(parallel=2)


@pytest.fixture
def fresh_site(tmp_path: Path) -> Site:
    """A new copy of the small site, to plant a failure in before building it."""
    return make_site(tmp_path / "site")

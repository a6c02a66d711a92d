"""Fixtures shared by the tests: a throwaway copy of the project that can be built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
collect_ignore = ["browser_check.py", "bench.py"]  # tools run by nox, not tests
COPIED = ["docs", "examples", "src", "noxfile.py", "pyproject.toml", "setup.py", "README.md"]
IGNORED = shutil.ignore_patterns("_build", "auto_examples", "generated", "backreferences", "jupyter_execute", ".nox")


@dataclass
class Build:
    returncode: int
    output: str


@dataclass
class ProjectCopy:
    """A copy of the project in a temporary folder, to plant failures in."""

    root: Path
    envdir: Path

    def path(self, relative: str) -> Path:
        return self.root / relative

    def replace(self, relative: str, old: str, new: str) -> None:
        """Edit one file of the copy; fail loudly if ``old`` is not there."""
        path = self.path(relative)
        text = path.read_text()
        assert old in text, f"{old!r} not found in {relative}"
        path.write_text(text.replace(old, new, 1))

    def nox(self, *args: str, offline: bool = False) -> Build:
        """Run the copy's own noxfile, as the README's commands do, and capture its log."""
        command = [sys.executable, "-m", "nox", "-f", str(self.root / "noxfile.py"), "--envdir", str(self.envdir)]
        command += list(args)
        env = dict(os.environ)
        if offline:
            # no network: a namespace with only loopback (Jupyter kernels talk
            # over it) where possible, and proxies that lead nowhere anyway
            if shutil.which("unshare") and shutil.which("ip"):
                command = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
            env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="")
        done = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True, check=False)
        return Build(done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="session")
def shared_envdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One nox envdir for every copy, so the docs environment is installed once."""
    return tmp_path_factory.mktemp("nox-envs")


@pytest.fixture
def project_copy(tmp_path_factory: pytest.TempPathFactory, shared_envdir: Path) -> Callable[[], ProjectCopy]:
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
        return ProjectCopy(root, shared_envdir)

    return make

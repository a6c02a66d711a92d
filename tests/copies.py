"""Throwaway copies of the project to plant failures in: the whole project (built with its own noxfile)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = [".ci", "docs", "examples", "src", "locks", "noxfile.py", "pyproject.toml", "setup.py", "README.md"]
IGNORED = shutil.ignore_patterns(
    "_build", "auto_examples", "generated", "backreferences", "jupyter_execute", ".nox", "node_modules"
)


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


def copy_project(root: Path, envdir: Path, reuse: bool) -> ProjectCopy:
    """The project's sources (not its builds or environments) copied into ``root``."""
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=IGNORED)
        else:
            shutil.copy2(source, root / name)
    return ProjectCopy(root, envdir, reuse)

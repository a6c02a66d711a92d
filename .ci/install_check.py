"""Run the README's install block as a new user would, in a clean virtual environment.

Run by ``nox -s install``. The block (the one after the ``<!-- install``
marker) is executed line by line in an empty folder, with one change: the
clone comes from this repository's folder instead of GitHub, as these
machines reach no host but the package registries. ``python3`` is a fresh
``venv`` made with the standard library, so nothing of the developer's
environments leaks in.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"<!-- install[^>]*-->\s*```console\n(.*?)```", re.DOTALL)


def install_block(readme: Path) -> list[str]:
    found = BLOCK.search(readme.read_text(encoding="utf-8"))
    if not found:
        raise SystemExit(f"{readme}: no install block (a ```console block after <!-- install -->)")
    return [line for line in found.group(1).splitlines() if line.strip()]


def main() -> int:
    lines = install_block(ROOT / "README.md")
    with tempfile.TemporaryDirectory(prefix="viewcopy-install-") as tmp:
        work = Path(tmp)
        venv.create(work / "venv", with_pip=True, clear=True)
        bindir = work / "venv" / ("Scripts" if sys.platform == "win32" else "bin")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON", "PYENV", "CONDA"))}
        env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
        for line in lines:
            words = shlex.split(line)
            if words[:2] == ["git", "clone"]:
                folder = words[3] if len(words) > 3 else Path(words[2]).stem  # where git would put it
                words = ["git", "clone", "--quiet", str(ROOT), folder]  # the same repository, offline
            if words[0] in ("python", "python3"):
                words[0] = str(bindir / "python")
            print("$", line, flush=True)
            done = subprocess.run(words, cwd=work, env=env, check=False)
            if done.returncode != 0:
                print(f"install block failed at: {line} (exit {done.returncode})")
                return 1
    print(f"the README's install block ran in a clean venv: {len(lines)} commands, all succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())

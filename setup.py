"""Build the one C extension, and ship the site's executed pages inside the wheel.

Everything else is in pyproject.toml.  ``[tool.viewcopy.wheel-site]`` there maps
each source file or folder to its place in the wheel, as hatch's force-include
did; ``python -m viewcopy check`` reads them from ``viewcopy/_site``.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

import numpy as np
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildPyWithSite(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds the pages in the checkout itself
        table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        for source, target in table["tool"]["viewcopy"]["wheel-site"].items():
            src, dst = ROOT / source, Path(self.build_lib) / target
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


counting = Extension(
    "viewcopy._counting",
    ["src/viewcopy/_counting.c"],
    include_dirs=[np.get_include()],
    extra_compile_args=[] if sys.platform == "win32" else ["-std=c11", "-O2"],
)

setup(ext_modules=[counting], cmdclass={"build_py": BuildPyWithSite})

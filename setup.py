"""Build the one C extension, and ship the site's claim-making sources inside the wheel.

Everything else is in pyproject.toml.  The sources are the ones
``viewcopy.claims.ledger.sources`` names (every gallery script, every executed page,
found by its front matter); each goes to ``viewcopy/_site/<its path>``, where
``python -m viewcopy check`` reads them.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


def claim_sources() -> list[Path]:
    """The files viewcopy.claims.ledger.sources lists (loaded alone: that public module needs only the standard library)."""
    spec = importlib.util.spec_from_file_location(
        "_viewcopy_ledger", ROOT / "src" / "viewcopy" / "claims" / "ledger.py"
    )
    ledger = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ledger)
    return [path for _, path in ledger.sources(ROOT)]


class BuildPyWithSite(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds the pages in the checkout itself
        for source in claim_sources():
            target = Path(self.build_lib) / "viewcopy" / "_site" / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


counting = Extension(
    "viewcopy._counting",
    ["src/viewcopy/_counting.c"],
    include_dirs=[np.get_include()],
    extra_compile_args=[] if sys.platform == "win32" else ["-std=c11", "-O2"],
)

setup(ext_modules=[counting], cmdclass={"build_py": BuildPyWithSite})

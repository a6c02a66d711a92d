"""The package's shape: what users import apart from the site's machinery, and nothing done at import.

The rules are stated in the docstrings of ``viewcopy`` and ``viewcopy.claims``;
these tests hold the code to them, and each rule's test is shown failing on a
planted breach.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "viewcopy"
USER_MODULES = sorted(p for p in PACKAGE.glob("*.py"))  # viewcopy and its private modules, not viewcopy.claims
# third-party imports each user-facing module may make (NumPy everywhere; the integrations their own library)
ALLOWED = {"numpy"}
ALLOWED_IN = {
    "pytest_plugin.py": {"pytest"},
    "dask.py": {"dask", "distributed"},
    "_magic.py": {"IPython"},
    "_pytest_example.py": {"pytest"},
    "_meters.py": {"memray"},  # the allocator meter, imported when a block first asks for it
}
# ``python -m viewcopy check`` is the one door from the user's package into the site's claims
# the site's own code outside the package: only public names of viewcopy and viewcopy.claims
SITE_CODE = sorted([*(ROOT / "docs" / "_ext").glob("*.py"), ROOT / "docs" / "conf.py", ROOT / "setup.py"])


def imported(path: Path, package: str = "") -> list[tuple[str, int]]:
    """Each module ``path`` (of ``package``) imports, absolute (``viewcopy.claims``, ``numpy``), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
            found.append((base, node.lineno))
    return found


def user_package_breaches(path: Path) -> list[str]:
    allowed = ALLOWED | ALLOWED_IN.get(path.name, set())
    breaches = []
    for name, line in imported(path, "viewcopy"):
        top = name.split(".")[0]
        if (name == "viewcopy.claims" or name.startswith("viewcopy.claims.")) and path.name != "__main__.py":
            breaches.append(f"{path.name}:{line} imports {name}: the user's package never imports the site's claims")
        elif top != "viewcopy" and top not in sys.stdlib_module_names and top not in allowed:
            breaches.append(f"{path.name}:{line} imports {name}: only the standard library and {sorted(allowed)}")
    return breaches


def private_names(path: Path) -> list[str]:
    return [
        f"{path.name}:{line} uses {name}"
        for name, line in imported(path)
        if name.startswith("viewcopy") and any(part.startswith("_") for part in name.split(".")[1:])
    ]


@pytest.mark.parametrize("path", USER_MODULES, ids=lambda p: p.name)
def test_the_users_package_imports_only_the_standard_library_numpy_and_its_own_integration(path):
    assert user_package_breaches(path) == []


def test_a_planted_import_of_the_claims_from_the_users_package_is_caught(tmp_path):
    planted = tmp_path / "_guard.py"
    planted.write_text("import numpy\nfrom .claims import claim\nimport pandas\n")
    breaches = user_package_breaches(planted)
    assert [b.split(" imports ")[1].split(":")[0] for b in breaches] == [
        "viewcopy.claims.claim",
        "viewcopy.claims",
        "pandas",
    ]


@pytest.mark.parametrize("path", SITE_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_docs_extensions_and_setup_use_only_public_names(path):
    assert private_names(path) == []


def test_a_planted_private_import_in_a_docs_extension_is_caught(tmp_path):
    planted = tmp_path / "ext.py"
    planted.write_text("from viewcopy import _ledger\nfrom viewcopy.claims import ledger\nimport viewcopy._measure\n")
    assert [p.split(" uses ")[1] for p in private_names(planted)] == ["viewcopy._ledger", "viewcopy._measure"]


def test_the_public_names_are_what_users_call_and_the_machinery_has_its_own_home():
    import viewcopy
    import viewcopy.claims

    machinery = {
        "claim",
        "Claim",
        "not_run",
        "layouts",
        "search",
        "Case",
        "Search",
        "time_ratio",
        "time_call",
        "TimeRatio",
    }
    assert machinery.isdisjoint(viewcopy.__all__)
    assert machinery <= set(viewcopy.claims.__all__)
    for name in [*viewcopy.__all__, *viewcopy.claims.__all__]:
        module = viewcopy if name in viewcopy.__all__ else viewcopy.claims
        assert getattr(module, name).__doc__, f"{module.__name__}.{name} has no docstring"
    leaked = {n for n in dir(viewcopy) if not n.startswith(("_", "@")) and n not in viewcopy.__all__} - {
        "claims",  # the subpackage, once something imported it
        "dask",
        "pytest_plugin",  # pytest's entry point imports it (its assertion rewriting adds the '@' names)
        "load_ipython_extension",
    }
    assert leaked == set(), f"public-looking names outside __all__: {sorted(leaked)}"


AT_IMPORT = """
import sys
import numpy as np
from numpy.core import multiarray as _m
before = _m.get_handler_name()
import viewcopy, viewcopy.claims, viewcopy.pytest_plugin
from viewcopy import _counting
print(_counting.installed(), before == _m.get_handler_name(), "viewcopy.claims" in sys.modules)
with viewcopy.track():
    pass
print(_counting.installed())
"""


def test_importing_viewcopy_leaves_numpys_allocator_untouched_until_a_block_opens():
    code = AT_IMPORT.replace("numpy.core", "numpy._core" if _numpy_2() else "numpy.core")
    run = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True", "True", "True"], run.stderr


def test_importing_viewcopy_does_not_import_its_claims():
    code = "import sys, viewcopy; print('viewcopy.claims' in sys.modules, 'viewcopy._counting' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True"]


def _numpy_2() -> bool:
    import numpy as np

    return int(np.__version__.split(".")[0]) >= 2

"""Fixtures shared by the tests: throwaway copies of the project (tests/copies.py) and of a small site
(tests/small_site.py) to plant failures in."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from copies import ROOT, ProjectCopy, copy_project
from small_site import Build, Site, make_site

collect_ignore = ["site", "copies.py", "small_site.py"]  # the small site's sources; helpers, not tests
sys.path.insert(0, str(ROOT / "docs" / "_ext"))  # the site's Sphinx extensions, tested here too
__all__ = ["ROOT"]


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
        return copy_project(tmp_path_factory.mktemp("project"), *shared_envdir)

    return make


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Build]:
    """The small site, built once per session with two reading processes: (site, build)."""
    site = make_site(tmp_path_factory.mktemp("built") / "site")
    return site, site.build(parallel=2)


@pytest.fixture
def fresh_site(tmp_path: Path) -> Site:
    """A new copy of the small site, to plant a failure in before building it."""
    return make_site(tmp_path / "site")

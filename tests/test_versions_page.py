"""The versions page is never published empty: a build without the NumPy matrix fails, unless it is a preview."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.build


def test_a_build_without_the_matrix_fails_naming_the_versions_page(fresh_site):
    build = fresh_site.build(preview=False)  # no docs/_build/matrix: nothing was run under the releases
    assert build.returncode != 0
    assert "the NumPy versions page has no results" in build.output


def test_a_preview_build_says_so_on_the_versions_page(built_site):
    site, _ = built_site  # built as a preview, as the tests' partial builds are
    html = site.path("docs/_build/html/versions.html").read_text()
    assert "Local preview" in html
    assert "Not measured" not in html


def test_the_versions_page_waits_for_nox_then_shows_each_release_with_its_libraries(fresh_site, monkeypatch):
    """The release's result is written only once Sphinx waits for it: the page must have waited to show it."""
    spec = importlib.util.spec_from_file_location("viewcopy_noxlib", ROOT / ".ci" / "noxlib.py")
    noxlib = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    if not hasattr(noxlib, "Claims"):
        spec.loader.exec_module(noxlib)
    matrix = fresh_site.docs / "_build" / "matrix"
    matrix.mkdir(parents=True)
    run: list = []

    def release() -> None:  # nox's job for one release
        assert run[0].sphinx_free.wait(120), "Sphinx never waited for the releases"
        (matrix / "numpy-2.4.libraries.json").write_text(json.dumps({"pandas": "3.1.1", "polars": "2.1.0"}))
        result = {"numpy": "2.4.6", "python": "3.12.1", "optimized": True, "claims": [], "failures": [], "skipped": []}
        (matrix / "numpy-2.4.json").write_text(json.dumps(result))

    run.append(noxlib.Claims({"2.4": release}, cores=1))
    monkeypatch.setenv("VIEWCOPY_CLAIMS_RUNNING", run[0].address)
    build = fresh_site.build(preview=False)
    assert run[0].failures() == []
    assert build.returncode == 0, build.output
    html = fresh_site.path("docs/_build/html/versions.html").read_text()
    assert "Local preview" not in html
    assert "2.4.6" in html
    assert "3.12.1, python -O" in html  # the run was under -O: the page says so
    assert "3.1.1" in html  # pandas
    assert "2.1.0" in html  # polars


def _holds(*evidence: str) -> dict:
    return {"id": "x", "verdict": "holds", "evidence": list(evidence)}


def test_a_difference_only_in_an_address_or_id_is_not_a_difference():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import viewcopy_versions

    reference = _holds("check: Arrow's data buffer at 0x7f04009ff010, the ndarray's at 0x7f04009ff010",
                       "check: pid 11001: sum 2.5; mapping '/dev/shm/psm_bcfb2cd9'")  # fmt: skip
    elsewhere = _holds("check: Arrow's data buffer at 0x7f1c2a3ff010, the ndarray's at 0x7f1c2a3ff010",
                       "check: pid 20417: sum 2.5; mapping '/dev/shm/psm_0a11e2f3'")  # fmt: skip
    assert viewcopy_versions.cell(elsewhere, reference)[1] is False
    # what did change still differs: a figure, or an address that is no longer one
    for changed in (
        _holds(reference["evidence"][0], "check: pid 11001: sum 2.6; mapping '/dev/shm/psm_bcfb2cd9'"),
        _holds("check: Arrow's data buffer at 0x7f04009ff010, the ndarray's at (none)", reference["evidence"][1]),
    ):
        assert viewcopy_versions.cell(changed, reference)[1] is True

"""python -m viewcopy check: runs every claim with NumPy alone, reports, exits non-zero on failure."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from viewcopy import _check

BLOCK_PLOTTING = textwrap.dedent(
    """
    import importlib.abc, sys

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {"matplotlib", "sphinx", "myst_nb", "sphinx_gallery"}:
                raise ImportError(f"{name} is not installed here")

    sys.meta_path.insert(0, Refuse())
    from viewcopy._check import main
    sys.exit(main(sys.argv[1:]))
    """
)


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_PLOTTING, "check", *args], capture_output=True, text=True, check=False
    )


def test_every_claim_of_the_site_holds_without_matplotlib_or_sphinx(tmp_path):
    done = run_check("--site", str(ROOT), "--json", str(tmp_path / "out.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["failures"] == []
    assert len(result["claims"]) > 50
    assert {row["verdict"] for row in result["claims"]} == {"holds"}
    pages = {row["page"] for row in result["claims"]}
    assert "measure" in pages
    assert "auto_examples/plot_ravel_vs_flatten" in pages
    assert "[########################] " in done.stderr  # the progress bar, on stderr


def test_sources_are_the_gallery_and_the_executed_pages():
    found = {page for page, _ in _check.sources(ROOT)}
    assert {"measure", "auto_examples/plot_faq", "auto_examples/plot_etl_pipeline"} <= found
    assert "claims" not in found  # no code cells there


def test_a_failing_source_is_reported_and_the_rest_still_run(tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "a_good.py").write_text(
        "import numpy as np, viewcopy\n"
        "with viewcopy.claim('good-one', 'ravel is a view'):\n"
        "    a = np.zeros(4); viewcopy.expect_view(a, a.ravel())\n"
    )
    (tmp_path / "examples" / "b_bad.py").write_text(
        "import numpy as np, viewcopy\n"
        "with viewcopy.claim('bad-one', 'flatten is a view'):\n"
        "    a = np.zeros(4); viewcopy.expect_view(a, a.flatten())\n"
    )
    done = run_check("--site", str(tmp_path))
    assert done.returncode == 1
    assert "ok   good-one" in done.stdout
    assert "FAIL bad-one" in done.stdout
    assert "viewcopy claim 'bad-one' failed: flatten is a view" in done.stdout
    assert "1 of 2 claims hold; 1 source(s) failed" in done.stdout


def test_no_site_found_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("VIEWCOPY_SITE", str(tmp_path))
    monkeypatch.setattr(_check, "__file__", str(tmp_path / "a" / "b" / "c.py"))
    with pytest.raises(FileNotFoundError, match="set VIEWCOPY_SITE"):
        _check.site_root()


def test_every_executed_page_ships_in_the_wheel():
    shipped = (ROOT / "pyproject.toml").read_text()
    for _page, path in _check.sources(ROOT):
        if path.suffix == ".md":
            relative = path.relative_to(ROOT).as_posix()
            assert f'"{relative}" = "viewcopy/_site/{relative}"' in shipped, f"{relative} is not in the wheel"

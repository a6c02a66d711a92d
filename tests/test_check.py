"""python -m viewcopy check: runs every claim with NumPy alone, reports, exits non-zero on failure."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from viewcopy.claims import check as _check

BLOCK_PLOTTING = textwrap.dedent(
    """
    import importlib.abc, sys

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {"matplotlib", "sphinx", "myst_nb", "sphinx_gallery"}:
                raise ImportError(f"{name} is not installed here")

    sys.meta_path.insert(0, Refuse())
    from viewcopy.claims.check import main
    sys.exit(main(sys.argv[1:]))
    """
)


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_PLOTTING, "check", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def site_check(tmp_path_factory):
    """The check of the whole site, run once: (process, result)."""
    out = tmp_path_factory.mktemp("check") / "out.json"
    done = run_check("--site", str(ROOT), "--json", str(out))
    return done, json.loads(out.read_text()) if out.exists() else None


@pytest.mark.site
def test_every_claim_of_the_site_holds_without_matplotlib_or_sphinx(site_check):
    done, result = site_check
    assert done.returncode == 0, done.stdout + done.stderr
    assert result["failures"] == []
    assert result["problems"] == []
    assert len(result["claims"]) > 50
    assert {row["verdict"] for row in result["claims"]} == {"holds"}
    pages = {row["page"] for row in result["claims"]}
    assert "measure" in pages
    assert "auto_examples/plot_ravel_vs_flatten" in pages
    assert "[########################] " in done.stderr  # the progress bar, on stderr
    assert all(isinstance(row["cases"], int) and row["cases"] >= 1 for row in result["claims"])


def script(folder, name, claim_id, sentence, call):
    """Write examples/<name>.py making one claim about a 4-element array."""
    (folder / "examples").mkdir(exist_ok=True)
    (folder / "examples" / f"{name}.py").write_text(
        f"import numpy as np, viewcopy, viewcopy.claims\nwith viewcopy.claims.claim({claim_id!r}, {sentence!r}):\n"
        f"    a = np.zeros(4); viewcopy.{call}\n"
    )


def test_a_one_array_always_claim_fails_the_check_naming_it(tmp_path):
    script(tmp_path, "planted", "planted-always", "ravel always returns a view", "expect_view(a, a.ravel())")
    done = run_check("--site", str(tmp_path))
    assert done.returncode == 1
    assert "ok   planted-always" in done.stdout  # it holds for its one array...
    assert (
        "claim 'planted-always' on auto_examples/planted states a rule about 'always' but was checked on 1 case"
        in done.stdout
    )


def test_sources_are_the_gallery_and_the_executed_pages():
    found = {page for page, _ in _check.sources(ROOT)}
    assert {"measure", "auto_examples/plot_faq", "auto_examples/plot_etl_pipeline"} <= found
    assert "claims" not in found  # no code cells there


def test_a_failing_source_is_reported_and_the_rest_still_run(tmp_path):
    script(tmp_path, "a_good", "good-one", "ravel is a view", "expect_view(a, a.ravel())")
    script(tmp_path, "b_bad", "bad-one", "flatten is a view", "expect_view(a, a.flatten())")
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


# -- issue 11.7: the command line says what is wrong in one line, before running anything ---------


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda tmp: None, lambda tmp: ["--site", str(tmp / "nowhere")], "no such folder"),
        (lambda tmp: None, lambda tmp: ["--site", str(tmp)], "no gallery scripts (examples/*.py) and no executed"),
        (lambda tmp: (tmp / "file").write_text(""), lambda tmp: ["--json", str(tmp / "file" / "out.json")], "--json"),
        (lambda tmp: None, lambda tmp: ["--json", str(tmp)], "is a folder; name a file"),
    ],
    ids=["missing-site", "empty-site", "unwritable-json", "json-is-a-folder"],
)
def test_a_bad_command_line_gives_one_clear_line_before_the_run(tmp_path, make, args, message):
    make(tmp_path)
    done = run_check(*(["--site", str(ROOT)] if args(tmp_path)[0] == "--json" else []), *args(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""  # nothing was run
    [line] = done.stderr.splitlines()
    assert line.startswith("viewcopy check: ")
    assert message in line


def test_closed_stderr_gives_one_clear_line_and_a_nonzero_exit():
    done = subprocess.run(
        [sys.executable, "-m", "viewcopy", "check", "--site", str(ROOT)],
        capture_output=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        check=False,
        preexec_fn=lambda: __import__("os").close(2),
    )
    assert done.returncode == 2
    [line] = done.stdout.splitlines()
    assert "standard error is closed" in line


def test_version():
    done = subprocess.run([sys.executable, "-m", "viewcopy", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    import viewcopy

    assert done.stdout.startswith(f"viewcopy {viewcopy.__version__} (NumPy ")

"""python -m viewcopy check: runs every claim with NumPy alone, reports, exits non-zero on failure."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from viewcopy.claims import check as _check
from viewcopy.claims import ledger

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


def test_the_result_times_each_page_failing_ones_too(tmp_path):
    script(tmp_path, "a_good", "good-one", "ravel is a view", "expect_view(a, a.ravel())")
    script(tmp_path, "b_bad", "bad-one", "flatten is a view", "expect_view(a, a.flatten())")
    slow = tmp_path / "examples" / "a_good.py"
    slow.write_text("import time; time.sleep(0.3)\n" + slow.read_text())
    result = _check.check(tmp_path, progress=io.StringIO())
    timings = result["timings"]
    assert set(timings) == {"auto_examples/a_good", "auto_examples/b_bad"}
    assert timings["auto_examples/a_good"] >= 0.3 > timings["auto_examples/b_bad"] >= 0
    assert sum(timings.values()) <= result["seconds"]


def test_no_site_found_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("VIEWCOPY_SITE", raising=False)
    monkeypatch.setattr(_check, "__file__", str(tmp_path / "a" / "b" / "c.py"))
    with pytest.raises(FileNotFoundError, match="set VIEWCOPY_SITE"):
        _check.site_root()


# -- issue 21.5: no verdict rests on an assert; every claim records evidence ----------------------


def run_check_optimized(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-O", "-c", BLOCK_PLOTTING, "check", *args], capture_output=True, text=True, check=False
    )


ASSERT_ONLY = """\
import numpy as np
from viewcopy.claims import claim

a = np.zeros(4)
with claim("planted-assert-only", "a.T is a copy of this array"):
    assert not np.shares_memory(a, a.T)
"""


@pytest.mark.parametrize("run", [run_check, run_check_optimized], ids=["plain", "python-O"])
def test_an_assert_only_false_claim_fails_the_check_even_under_python_O(tmp_path, run):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "planted.py").write_text(ASSERT_ONLY)
    done = run("--site", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    where = f"{tmp_path / 'examples' / 'planted.py'}:6: an assert statement in a claim source"
    assert where in done.stdout  # the file and line of the assert, named
    if run is run_check_optimized:  # the assert was stripped: the claim "held" with nothing checked...
        assert "ok   planted-assert-only" in done.stdout
        # ...and recorded no evidence, which fails it too
        assert "claim 'planted-assert-only' on auto_examples/planted recorded no evidence" in done.stdout


def test_the_same_claim_with_check_fails_under_python_O(tmp_path):
    (tmp_path / "examples").mkdir()
    checked = ASSERT_ONLY.replace('this array"):', 'this array") as c:').replace(
        "assert not np.shares_memory(a, a.T)", 'c.check(not np.shares_memory(a, a.T), "a.T shares no memory")'
    )
    assert "assert not" not in checked
    (tmp_path / "examples" / "planted.py").write_text(checked)
    done = run_check_optimized("--site", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL planted-assert-only" in done.stdout
    assert "a.T shares no memory: does not hold" in done.stdout


def test_no_claim_source_of_the_site_holds_an_assert():
    assert _check.sources(ROOT)  # the scan below has something to scan
    assert ledger.source_problems(ROOT) == []


def test_an_assert_in_an_executed_page_is_found_at_its_line(tmp_path):
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text(
        "---\nfile_format: mystnb\n---\n# P\n\n```{code-cell} python\n:tags: [hide-input]\n%load_ext viewcopy\n"
        "x = 1\nassert x == 1\n```\n"
    )
    assert ledger.asserts(page) == [f"{page}:10"]


def test_a_claim_that_records_no_evidence_is_a_problem():
    row = {"id": "empty", "page": "p", "sentence": "this array is fine", "verdict": "holds", "cases": 1}
    assert ledger.problems([{**row, "evidence": ["check: fine"]}]) == []
    [problem] = ledger.problems([{**row, "evidence": []}])
    assert problem.startswith("claim 'empty' on p recorded no evidence")


# -- issue 21.6: the check says what it could not run ---------------------------------------------


def skipping_site(tmp_path, module):
    script(tmp_path, "a_good", "good-one", "ravel of this array is a view", "expect_view(a, a.ravel())")
    (tmp_path / "examples" / "b_needs.py").write_text(f"import {module}\n")
    return tmp_path


NO_POLARS = """
class NoPolars(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "polars":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoPolars())
sys.meta_path.insert(0, Refuse())
"""
BLOCK_POLARS = BLOCK_PLOTTING.replace("sys.meta_path.insert(0, Refuse())", NO_POLARS)
assert BLOCK_POLARS != BLOCK_PLOTTING


def test_a_skipped_page_is_listed_with_its_reason_and_install_line(tmp_path):
    site = skipping_site(tmp_path, "polars")
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_POLARS, "check", "--site", str(site)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "skip auto_examples/b_needs: needs polars, which is not installed; its claims were not checked" in done.stdout
    )
    assert 'pip install "polars>=1.0"' in done.stdout
    assert "1 page skipped, not checked" in done.stdout
    strict = subprocess.run(
        [sys.executable, "-c", BLOCK_POLARS, "check", "--strict", "--site", str(site)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "--strict: 1 skipped page(s) fail the check" in strict.stdout


def test_a_claim_a_page_does_not_run_for_want_of_a_library_is_listed_and_strict_fails(tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "plot_part.py").write_text(
        "import numpy as np, viewcopy\nfrom viewcopy.claims import claim, not_run\n"
        "with claim('part-numpy', 'ravel of this array is a view'):\n"
        "    a = np.zeros(4); viewcopy.expect_view(a, a.ravel())\n"
        "try:\n    import polars\nexcept ModuleNotFoundError:\n    not_run('part-polars', 'polars')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_POLARS, "check", "--site", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   part-numpy" in done.stdout
    assert "skip auto_examples/plot_part, claim part-polars: needs polars, which is not installed" in done.stdout
    assert 'pip install "polars>=1.0"' in done.stdout
    strict = subprocess.run(
        [sys.executable, "-c", BLOCK_POLARS, "check", "--strict", "--site", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert strict.returncode == 1, strict.stdout + strict.stderr


def test_not_run_names_bad_input():
    from viewcopy.claims import not_run

    with pytest.raises(ValueError, match="a claim id is lowercase"):
        not_run("Not An Id", "polars")
    with pytest.raises(ValueError, match="needs is the name of the library"):
        not_run("an-id", "pip install polars")


def test_a_missing_module_that_no_page_may_lack_fails_the_page(tmp_path):
    site = skipping_site(tmp_path, "viewcopy.no_such_module")
    done = run_check("--site", str(site))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL auto_examples/b_needs: ModuleNotFoundError" in done.stdout
    assert "skip" not in done.stdout


def test_the_install_lines_are_pyprojects_requirements():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = set(project["dependency-groups"]["libraries"]) | {"pytest>=8"}
    for module, line in _check.OPTIONAL.items():
        if "viewcopy[dask]" in line:
            assert module in " ".join(project["project"]["optional-dependencies"]["dask"])
        else:
            assert line.split('"')[1] in wanted, (module, line)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "nowhere", "no such folder"),
        (lambda tmp: tmp, "no examples/ folder in it"),
    ],
    ids=["missing", "no-examples"],
)
def test_a_viewcopy_site_that_is_not_a_site_fails_loudly(tmp_path, make, message):
    named = make(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_PLOTTING, "check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "VIEWCOPY_SITE": str(named)},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""  # the installed claims were not run instead
    [line] = done.stderr.splitlines()
    assert line == f"viewcopy check: VIEWCOPY_SITE={named}: {message}" or line.startswith(
        f"viewcopy check: VIEWCOPY_SITE={named}: {message}"
    )


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


def test_an_interrupt_while_the_stand_ins_go_in_puts_every_module_back(monkeypatch):
    """A Ctrl-C halfway through replacing matplotlib and co. leaves none of the stand-ins behind."""
    before = {name: sys.modules.get(name) for name in ("matplotlib", "matplotlib.pyplot", "myst_nb")}

    class Interrupted(_check._DrawsNothing):
        def __init__(self, name: str = "stand-in") -> None:
            if name == "myst_nb":  # the third of five
                raise KeyboardInterrupt
            super().__init__(name)

    monkeypatch.setattr(_check, "_DrawsNothing", Interrupted)
    with pytest.raises(KeyboardInterrupt), _check._without_plotting():
        pass
    assert {name: sys.modules.get(name) for name in before} == before

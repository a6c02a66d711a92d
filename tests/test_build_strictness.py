"""The site's promise: a false claim, a broken cell or any warning fails the build.

Each test plants one failure in a copy of the project, runs the same nox
session a maintainer or CI runs, and checks the exit status and the log.
Only the gallery script a test needs is executed, to keep them quick.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.build

ONLY_RAVEL_SCRIPT = "-D", "sphinx_gallery_conf.filename_pattern=ravel_vs_flatten"
NO_GALLERY_RUN = "-D", "sphinx_gallery_conf.filename_pattern=^$"


def test_unchanged_copy_builds_offline(project_copy):
    copy = project_copy()
    assert copy.nox("-s", "docs", "--install-only").returncode == 0
    build = copy.nox("-s", "docs", "--", *ONLY_RAVEL_SCRIPT, offline=True)
    assert build.returncode == 0, build.output
    assert "build succeeded" in build.output
    assert "failed to reach" not in build.output
    html = copy.path("docs/_build/html/auto_examples/plot_ravel_vs_flatten.html").read_text()
    assert "sphx_glr_plot_ravel_vs_flatten_001.png" in html  # the figure was drawn


PLANTED = [
    pytest.param(
        "examples/plot_ravel_vs_flatten.py",
        "r = viewcopy.expect_view(a, a.ravel())",
        "r = viewcopy.expect_view(a, a.flatten())",
        ("-s", "docs", "--", *ONLY_RAVEL_SCRIPT),
        ["UnexpectedCopyError: expected a view, got a copy", "plot_ravel_vs_flatten.py"],
        id="exception-in-gallery-script",
    ),
    pytest.param(
        "docs/measure.md",
        "assert t.allocated_bytes == 0, t",
        "assert t.allocated_bytes == 12345, t",
        ("-s", "docs", "--", *NO_GALLERY_RUN),
        ["AssertionError", "measure"],
        id="failing-assertion-in-executed-page",
    ),
    pytest.param(
        "docs/measure.md",
        ">>> viewcopy.relation(a, a.flatten()).kind\n'copy'",
        ">>> viewcopy.relation(a, a.flatten()).kind\n'view'",
        ("-s", "doctest", "--", *NO_GALLERY_RUN),
        ["1 failure in tests", "Expected:\n    'view'\nGot:\n    'copy'"],
        id="failing-doctest-in-page",
    ),
    pytest.param(
        "src/viewcopy/_inspect.py",
        "    >>> viewcopy.layout(a[:, 1:]).offset        # starts one float64 in\n    8",
        "    >>> viewcopy.layout(a[:, 1:]).offset        # starts one float64 in\n    16",
        ("-s", "doctest"),
        ["viewcopy._inspect.layout", "FAILED"],
        id="failing-docstring-example",
    ),
    pytest.param(
        "docs/measure.md",
        "{func}`viewcopy.track` counts",
        "{func}`viewcopy.no_such_function` counts",
        ("-s", "docs", "--", *NO_GALLERY_RUN),
        ["py:func reference target not found: viewcopy.no_such_function"],
        id="sphinx-warning",
    ),
]


@pytest.mark.parametrize(("path", "old", "new", "nox_args", "messages"), PLANTED)
def test_planted_failure_fails_the_check(project_copy, path, old, new, nox_args, messages):
    copy = project_copy()
    copy.replace(path, old, new)
    build = copy.nox(*nox_args)
    assert build.returncode != 0
    for message in messages:
        assert message in build.output


GALLERY = sorted(p.name for p in (ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", GALLERY)
def test_false_claim_in_any_gallery_script_fails(project_copy, script):
    """Turn the first 'this is a copy' check of a script into 'this is a view'."""
    copy = project_copy()
    copy.replace(f"examples/{script}", "viewcopy.expect_copy(", "viewcopy.expect_view(")
    build = copy.nox("-s", "docs", "--", "-D", f"sphinx_gallery_conf.filename_pattern={script}")
    assert build.returncode != 0
    assert "UnexpectedCopyError: expected a view, got a copy" in build.output
    assert "viewcopy claim '" in build.output  # the failing claim names itself
    assert script in build.output


# -- issue: the ledger is derived from the checks, and a false claim is named ------------------


@pytest.mark.parametrize(
    ("path", "old", "new", "claim_id", "build_options"),
    [
        (  # a gallery script: "flatten allocates nothing"
            "examples/plot_ravel_vs_flatten.py",
            "assert flatten_cost.allocated_bytes == a.nbytes",
            "assert flatten_cost.allocated_bytes == 0",
            "flatten-copies",
            ONLY_RAVEL_SCRIPT,
        ),
        (  # an executed page: the same false claim
            "docs/measure.md",
            "assert t.allocated_bytes == a.nbytes, t",
            "assert t.allocated_bytes == 0, t",
            "measure-flatten-allocates-nbytes",
            NO_GALLERY_RUN,
        ),
    ],
)
def test_false_claim_fails_build_and_check_naming_it(project_copy, path, old, new, claim_id, build_options):
    copy = project_copy()
    copy.replace(path, old, new)
    build = copy.nox("-s", "docs", "--", *build_options)
    assert build.returncode != 0
    assert f"viewcopy claim '{claim_id}' failed" in build.output
    check = subprocess.run(
        [sys.executable, "-m", "viewcopy", "check", "--site", str(copy.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1
    assert f"FAIL {claim_id}" in check.stdout


def test_ledger_page_lists_every_claim_with_a_link_back(project_copy):
    copy = project_copy()
    build = copy.nox("-s", "docs", "--", *ONLY_RAVEL_SCRIPT)
    assert build.returncode == 0, build.output
    html = copy.path("docs/_build/html/claims.html").read_text()
    data = json.loads(copy.path("docs/_build/html/claims.json").read_text())
    ids = {row["id"] for row in data["claims"]}
    assert {"flatten-copies", "ravel-contiguous-view", "measure-flatten-allocates-nbytes"} <= ids
    assert all(row["cases"] >= 1 for row in data["claims"])
    assert '<th class="head"><p>cases</p></th>' in html or ">cases<" in html
    for claim_id in ids:
        assert f'id="claim-{claim_id}"' in html
    assert 'href="auto_examples/plot_ravel_vs_flatten.html#ravel-shares-flatten-copies"' in html
    page = copy.path("docs/_build/html/auto_examples/plot_ravel_vs_flatten.html").read_text()
    assert "claims.html#page=auto_examples/plot_ravel_vs_flatten" in page


def test_one_array_always_claim_fails_the_build_naming_it(project_copy):
    """Issue 10: a universal word needs a family of at least 50 cases; one array is not enough."""
    copy = project_copy()
    copy.replace(
        "examples/plot_ravel_vs_flatten.py",
        'with viewcopy.claim("ravel-contiguous-view"',
        "with viewcopy.claim('planted-always', 'ravel always returns a view'):\n"
        "    viewcopy.expect_view(a, a.ravel())\n\n"
        'with viewcopy.claim("ravel-contiguous-view"',
    )
    build = copy.nox("-s", "docs", "--", *ONLY_RAVEL_SCRIPT)
    assert build.returncode != 0
    assert "claim 'planted-always' on auto_examples/plot_ravel_vs_flatten says 'always'" in build.output

"""The site's promise: a false claim, a broken cell or any warning fails the build.

Most tests build the small site in ``tests/site/`` (an executed page, a gallery
script, and the real claims and versions pages) in this process, with the real
``docs/conf.py`` and extensions: once as it is, and once per planted failure in
a fresh copy.  One test builds a copy of the real site with the real
``nox -s docs``, offline, end to end.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from viewcopy.claims import check as _check

pytestmark = pytest.mark.build


def claims_json(site):
    return {row["id"]: row for row in json.loads(site.path("docs/_build/html/claims.json").read_text())["claims"]}


def test_the_small_site_builds_and_its_ledger_links_each_claim_to_its_section(built_site):
    """Built with -j 2: the extension declares parallel reading safe, and the claims come through whole."""
    site, build = built_site
    assert build.returncode == 0, build.output
    rows = claims_json(site)
    assert set(rows) == {"page-ravel-view", "page-flatten-copies", "tiny-flatten-copies"}
    assert {row["cases"] for row in rows.values()} == {1}
    assert [rows["page-ravel-view"]["cell"], rows["page-flatten-copies"]["where"]] == [1, "cell 2, line 1"]
    html = site.path("docs/_build/html/claims.html").read_text()
    for claim_id in rows:
        assert f'id="claim-{claim_id}"' in html
    # each claim links to the section it is made in: by cell on a page, by code block in a script
    assert 'href="page.html#ravel-shares"' in html
    assert 'href="page.html#flatten-copies"' in html
    assert 'href="auto_examples/plot_tiny.html#flatten-copies">Flatten copies</a>' in html  # named by its title
    # a table scrolls sideways in a region the keyboard reaches, named after its page; not the theme's wrapper
    assert '<div class="viewcopy-scroll" role="region" tabindex="0" aria-label="Claims of A tiny script">' in html
    assert "pst-scrollable-table-container" not in html
    assert ">cases<" in html
    # evidence lines that repeat are shown once, with their count; claims.json keeps them all
    evidence = rows["tiny-flatten-copies"]["evidence"]
    assert len(evidence) == 3
    assert len(set(evidence)) == 1
    row = re.search(r'<tr[^>]* id="claim-tiny-flatten-copies".*?</tr>', html, re.DOTALL)[0]
    assert row.count(evidence[0]) == 1
    assert f"{evidence[0]} (\u00d73)" in row


def test_no_page_loads_a_script_or_stylesheet_from_another_host(built_site):
    # sphinx-gallery's computation-times page asks three CDNs for jQuery and DataTables
    site, _ = built_site
    pages = {p.name: p.read_text() for p in site.path("docs/_build/html").rglob("*.html")}
    assert "sg_execution_times.html" in pages
    assert "sg-datatable" in pages["sg_execution_times.html"]  # the table itself is kept
    assert "Mem (MB)" not in pages["sg_execution_times.html"]  # not its column of 0.0 MB: no memory was measured
    remote = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//')
    assert {name for name, text in pages.items() if remote.search(text)} == set()


def test_each_page_says_how_many_claims_it_makes_and_links_to_exactly_those(built_site):
    site, _ = built_site
    page = site.path("docs/_build/html/page.html").read_text()
    assert "This page makes 2 claims; each was executed" in page
    assert 'href="claims.html#page=page"' in page
    script = site.path("docs/_build/html/auto_examples/plot_tiny.html").read_text()
    assert "This page makes 1 claim; it was executed" in script
    ledger = site.path("docs/_build/html/claims.html").read_text()
    # the filter #page=NAME keeps the rows of the table with the class viewcopy-page-NAME (viewcopy.js), and
    # only those: "page-ravel-view" mentions indexing, but is not a claim of the page "index"
    tables = {
        page: re.findall(r'<tr[^>]* id="claim-([^"]+)"', table)
        for page, table in re.findall(
            r'<table class="[^"]*\bviewcopy-page-([^" ]+)[^>]*>(.*?)</table>', ledger, re.DOTALL
        )
    }
    assert tables == {
        "page": ["page-ravel-view", "page-flatten-copies"],
        "auto_examples--plot_tiny": ["tiny-flatten-copies"],
    }
    assert "viewcopy-page-index" not in ledger
    assert 'classList.contains("viewcopy-page-"' in (ROOT / "docs" / "_static" / "viewcopy.js").read_text()


def test_pages_without_children_get_the_full_width_from_the_toctree_alone(built_site):
    site, _ = built_site
    html = site.path("docs/_build/html")
    for page in ("index", "page", "claims", "versions"):
        assert 'class="bd-sidebar-primary bd-sidebar hide-on-wide"' in (html / f"{page}.html").read_text(), page
    for page in ("auto_examples/index", "auto_examples/plot_tiny"):
        assert 'class="bd-sidebar-primary bd-sidebar"' in (html / f"{page}.html").read_text(), page


@pytest.mark.parametrize(
    ("path", "claim_id"),
    [("examples/plot_tiny.py", "tiny-flatten-copies"), ("docs/page.md", "page-flatten-copies")],
    ids=["gallery-script", "executed-page"],
)
def test_a_false_claim_fails_the_build_and_the_check_naming_it(fresh_site, path, claim_id):
    fresh_site.replace(path, "viewcopy.expect_copy(a, a.flatten())", "viewcopy.expect_view(a, a.flatten())")
    build = fresh_site.build()
    assert build.returncode != 0
    assert "UnexpectedCopyError: expected a view, got a copy" in build.output
    assert f"viewcopy claim '{claim_id}' failed" in build.output
    assert path.rpartition("/")[2].removesuffix(".md") in build.output
    check = _check.check(fresh_site.root, progress=io.StringIO())
    assert any(f"viewcopy claim '{claim_id}' failed" in " ".join(f["notes"]) for f in check["failures"])


def test_claims_that_say_more_than_they_check_and_sphinx_warnings_fail_the_build_and_the_check(fresh_site):
    """Issue 10: a one-array "always" claim fails, naming it; so does a duplicate id; and any Sphinx warning."""
    fresh_site.replace(
        "examples/plot_tiny.py",
        "# %%\n# Flatten copies",
        "with claim('planted-always', 'ravel always returns a view'):\n"
        "    viewcopy.expect_view(a, a.ravel())\n"
        "with claim('planted-assert', 'this array a is 2-D'):\n"
        "    assert a.ndim == 2\n\n# %%\n# Flatten copies",
    )
    fresh_site.replace("docs/page.md", '"page-flatten-copies"', '"page-ravel-view"')
    fresh_site.replace(
        "docs/page.md", "## Flatten copies", "## Flatten copies\n\nSee {func}`viewcopy.no_such_function`."
    )
    fresh_site.replace("docs/index.md", "glossary\n```", "glossary\nno-such-page\n```")  # a missing page
    build = fresh_site.build()
    assert build.returncode != 0
    always = "claim 'planted-always' on auto_examples/plot_tiny states a rule about 'always' but was checked on 1 case"
    twice = "claim id 'page-ravel-view' is used 2 times (on page)"
    assert always in build.output
    assert twice in build.output
    assert "py:func reference target not found: viewcopy.no_such_function" in build.output
    assert "toctree contains reference to nonexisting document 'no-such-page'" in build.output
    # issue 21.5: a claim resting on an assert fails, named by file and line, and so does one with no evidence
    stripped = "plot_tiny.py:23: an assert statement in a claim source (python -O strips it)"
    empty = "claim 'planted-assert' on auto_examples/plot_tiny recorded no evidence"
    assert stripped in build.output
    assert empty in build.output
    check = _check.check(fresh_site.root, progress=io.StringIO())
    assert any(always in p for p in check["problems"])
    assert any(twice in p for p in check["problems"])
    assert any(stripped in p for p in check["problems"])
    assert any(empty in p for p in check["problems"])


def test_a_failing_doctest_in_a_page_fails_the_doctest_build(fresh_site):
    fresh_site.replace("docs/page.md", "kind\n'copy'", "kind\n'view'")
    build = fresh_site.build("doctest")
    assert build.returncode != 0
    assert "1 failure in tests" in build.output
    assert "Expected:\n    'view'\nGot:\n    'copy'" in build.output


def test_a_failing_docstring_example_fails_the_doctests(tmp_path):
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    module = tmp_path / "src" / "viewcopy" / "_inspect.py"
    text = module.read_text()
    old = "    >>> viewcopy.layout(a[:, 1:]).offset        # starts one float64 in\n    8"
    assert old in text
    module.write_text(text.replace(old, old[:-1] + "16"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--doctest-modules", "-p", "no:cacheprovider", str(module)],
        cwd=tmp_path,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # viewcopy's pytest plugin would import the original
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "viewcopy._inspect.layout" in done.stdout
    assert "FAILED" in done.stdout


PLANTS = [  # every check of one kind a script makes, turned false (the first may sit in a branch not taken)
    ("viewcopy.expect_copy(", "viewcopy.expect_view(", "UnexpectedCopyError"),
    ("viewcopy.expect_view(", "viewcopy.expect_copy(", "UnexpectedViewError"),
    ("c.check(", "c.check(not ", "ClaimError"),
    ("\n    assert ", "\n    assert not ", "AssertionError"),  # assertions in blocks: claims' among them
]


def test_a_false_claim_in_any_gallery_script_stops_it_naming_the_claim(tmp_path):
    """Turn the checks of every script false: each script stops with the error, naming its claim.

    (That a script which raises fails the build is shown on the small site above.)
    """
    (tmp_path / "examples").mkdir()
    scripts = sorted((ROOT / "examples").glob("*.py"))
    expected = {}
    for script in scripts:
        text = script.read_text()
        old, new, error = next(plant for plant in PLANTS if plant[0] in text)
        (tmp_path / "examples" / script.name).write_text(text.replace(old, new))
        expected[script.stem] = error
    result = _check.check(tmp_path, progress=io.StringIO())
    failed = {f["page"].rpartition("/")[2]: f for f in result["failures"]}
    skipped = {s["page"].rpartition("/")[2] for s in result["skipped"]}
    for name, error in expected.items():
        if name in skipped:
            continue
        failure = failed.get(name)
        assert failure is not None, f"{name}: the planted failure did not stop it"
        assert failure["error"].startswith(error), failure
        assert any("viewcopy claim '" in note for note in failure["notes"]), failure


@pytest.mark.site
def test_the_real_site_builds_offline_with_nox(project_copy):
    """End to end: a copy of the repository, `nox -s docs` as the README says, no network."""
    copy = project_copy()
    if not copy.reuse:
        assert copy.nox("-s", "docs", "--install-only").returncode == 0
    build = copy.nox("-s", "docs", "--", "-D", "sphinx_gallery_conf.filename_pattern=ravel_vs_flatten", offline=True)
    assert build.returncode == 0, build.output
    assert "build succeeded" in build.output
    assert "failed to reach" not in build.output
    html = copy.path("docs/_build/html/auto_examples/plot_ravel_vs_flatten.html").read_text()
    assert "sphx_glr_plot_ravel_vs_flatten_001.png" in html  # the figure was drawn
    data = json.loads(copy.path("docs/_build/html/claims.json").read_text())
    assert {"flatten-copies", "measure-flatten-allocates-nbytes"} <= {row["id"] for row in data["claims"]}
    ledger = copy.path("docs/_build/html/claims.html").read_text()
    assert 'href="auto_examples/plot_ravel_vs_flatten.html#ravel-shares-flatten-copies"' in ledger

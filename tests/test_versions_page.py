"""The versions page is never published empty: a build without the NumPy matrix fails, unless it is a preview."""

from __future__ import annotations

import pytest

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

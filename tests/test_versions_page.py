"""The versions page is never published empty: a build without the NumPy matrix fails, unless it is a preview."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.build


def test_a_build_without_the_matrix_fails_and_a_preview_says_so(fresh_site):
    build = fresh_site.build(preview=False)  # no docs/_build/matrix: nothing was run under the releases
    assert build.returncode != 0
    assert "the NumPy versions page has no results" in build.output
    preview = fresh_site.build(preview=True)
    assert preview.returncode == 0, preview.output
    html = fresh_site.path("docs/_build/html/versions.html").read_text()
    assert "Local preview" in html
    assert "Not measured" not in html

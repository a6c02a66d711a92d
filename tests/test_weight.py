"""docs/_ext/viewcopy_weight.py: the one stylesheet keeps exactly the rules that can match."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.build  # the docs' own code: the NumPy matrix environments have no Sphinx
pytest.importorskip("tinycss2")
pytest.importorskip("docutils")
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import viewcopy_weight

CSS = """
.used { color: red }
.gone { color: blue }
.used .gone, p { margin: 0 }
div:not(.gone) { padding: 0 }
.bs-tooltip-top { top: 0 }
@media (min-width: 10em) { .gone { display: none } }
@media print { .used { display: block } }
@font-face { font-family: x; src: url(x.woff2) }
"""


def kept(css: str = CSS) -> str:
    words = viewcopy_weight.words_of(['<p class="used">', 'el.classList.add("bs-tooltip-" + where)'])
    return viewcopy_weight.without_unused_rules(css, words)


def test_a_rule_goes_only_when_each_of_its_selectors_names_an_unknown_class():
    out = kept()
    assert ".used{color:red}" in out.replace(" ", "")
    assert ".gone{color:blue}" not in out.replace(" ", "")
    assert ".used .gone, p" in out  # one selector (p) can match: the rule stays whole


def test_not_and_classes_a_script_builds_are_kept():
    out = kept()
    assert "div:not(.gone)" in out
    assert ".bs-tooltip-top" in out  # "bs-tooltip-" + placement, in the script


def test_at_rules_are_kept_or_emptied_group_by_group():
    out = kept()
    assert "@media print" in out
    assert "min-width: 10em" not in out  # its one rule went, and the empty group with it
    assert "@font-face" in out


def test_figures_load_lazily_and_the_logo_and_figures_have_their_size():
    html = (
        '<img src="../_images/fig.png" alt="a figure"/>'
        '<img src="_static/favicon.svg" class="logo__image only-light" alt="home"/>'
    )
    html += '<img src="../_images/drawn.png" width="50" alt="sized by its page"/>'
    sizes = {"../_images/fig.png": ("640", "480"), "../_images/drawn.png": ("9", "9")}
    out = viewcopy_weight.lighten(html, search_page=False, logo_size=("64", "64"), image_size=sizes.get)
    assert '<img loading="lazy" decoding="async" width="640" height="480" src="../_images/fig.png"' in out
    assert '<img loading="lazy" decoding="async" src="../_images/drawn.png" width="50"' in out  # its own width kept
    # an incremental build lightens pages it did not rewrite again: nothing changes twice
    assert viewcopy_weight.lighten(out, search_page=False, logo_size=("64", "64"), image_size=sizes.get) == out
    assert '<img width="64" height="64" src="_static/favicon.svg" class="logo__image' in out
    assert viewcopy_weight.lighten(out, search_page=False, logo_size=("64", "64")) == out  # run twice: same page
    assert viewcopy_weight.svg_size(ROOT / "docs" / "_static" / "favicon.svg") == ("64", "64")


def test_the_theme_is_light_or_dark_before_the_first_paint():
    theme = pytest.importorskip("pydata_sphinx_theme")
    head = (Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "layout.html").read_text(encoding="utf-8")
    page = head.replace("{{ default_mode }}", "auto")  # the site's default_mode
    assert viewcopy_weight.AUTO_THEME in page, "the theme's head script changed: look at the theme resolution again"
    out = viewcopy_weight.lighten(page, search_page=False)
    assert viewcopy_weight.AUTO_THEME not in out
    assert 'matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"' in out


def test_the_404_page_links_to_its_bundle_from_the_path_the_site_is_served_under(tmp_path):
    (tmp_path / "_static" / "styles").mkdir(parents=True)
    (tmp_path / "_static" / "a.css").write_text(".used { color: red }")
    (tmp_path / "_static" / "b.css").write_text(".gone { color: blue }")
    page = tmp_path / "404.html"
    html = (
        '<head><link rel="stylesheet" href="/viewcopy/_static/a.css" />\n'
        '<link rel="stylesheet" href="/viewcopy/_static/b.css" />\n</head><p class="used">'
    )
    words = viewcopy_weight.words_of([html])
    out = viewcopy_weight.bundle_styles(tmp_path, page, html, words, root="/viewcopy/")
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', out)
    assert len(links) == 1, out
    assert links[0].startswith("/viewcopy/_static/styles/bundle-")
    bundle = (tmp_path / links[0].removeprefix("/viewcopy/")).read_text()
    assert ".used" in bundle
    assert ".gone" not in bundle
    # served from the root, the same absolute links are left alone: they name another site's files
    assert viewcopy_weight.bundle_styles(tmp_path, page, html, words, root="/") == html


def test_a_png_size_is_read_from_its_header(tmp_path):
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", 640, 480, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    (tmp_path / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk)
    (tmp_path / "fig.jpg").write_bytes(b"\xff\xd8")
    assert viewcopy_weight.png_size(tmp_path / "fig.png") == ("640", "480")
    assert viewcopy_weight.png_size(tmp_path / "fig.jpg") is None


def test_a_page_with_an_on_this_page_sidebar_says_so_before_it_is_read():
    page = '<body data-default-mode="auto"><article></article><div id="pst-secondary-sidebar" class="bd-toc">'
    out = viewcopy_weight.lighten(page, search_page=False)
    assert out.startswith('<body data-viewcopy-toc data-default-mode="auto">')
    assert viewcopy_weight.lighten(out, search_page=False) == out
    assert viewcopy_weight.lighten("<body><article></article>", search_page=False) == "<body><article></article>"


def test_the_back_to_top_button_measures_the_header_when_the_reader_scrolls():
    theme = pytest.importorskip("pydata_sphinx_theme")
    script = Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "scripts" / "bootstrap.js"
    out = viewcopy_weight.lazy_header_measure(script.read_text(encoding="utf-8"))
    assert viewcopy_weight.EAGER_HEADER not in out
    assert viewcopy_weight.LAZY_HEADER in out
    assert viewcopy_weight.lazy_header_measure(out) == out  # an incremental build patches it once
    with pytest.raises(ValueError, match="no longer measures its header"):
        viewcopy_weight.lazy_header_measure("window.bootstrap = {}")


def test_the_theme_rewrites_refuse_another_theme_release():
    viewcopy_weight.check_theme_version(viewcopy_weight.THEME_VERSION)
    with pytest.raises(Exception, match=r"rewrites pydata-sphinx-theme .* but 0\.99\.0 is installed"):
        viewcopy_weight.check_theme_version("0.99.0")


def test_the_pinned_theme_is_the_one_the_rewrites_were_written_against():
    pin = f'"pydata-sphinx-theme=={viewcopy_weight.THEME_VERSION}"'
    assert pin in (ROOT / "pyproject.toml").read_text()
    assert f"\npydata-sphinx-theme=={viewcopy_weight.THEME_VERSION}\n" in (ROOT / "locks" / "docs.txt").read_text()


def test_a_theme_rewrite_whose_target_is_on_no_page_is_named():
    theme = pytest.importorskip("pydata_sphinx_theme")
    head = (Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "layout.html").read_text(encoding="utf-8")
    page = head.replace("{{ default_mode }}", "auto")
    assert "resolve_colour_scheme" not in viewcopy_weight.unmatched_rewrites([page])
    changed = page.replace(viewcopy_weight.AUTO_THEME, "dataset.theme = pickTheme();")  # a theme that moved on
    assert "resolve_colour_scheme" in viewcopy_weight.unmatched_rewrites([changed])


def test_with_the_switch_off_the_theme_is_left_alone():
    page = f'<head><script>{viewcopy_weight.AUTO_THEME}</script></head><div id="pst-secondary-sidebar"></div>'
    assert viewcopy_weight.lighten(page, search_page=False, theme=False) == page
    assert viewcopy_weight.AUTO_THEME not in viewcopy_weight.lighten(page, search_page=False)

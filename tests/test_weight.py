"""docs/_ext/viewcopy_weight.py: the one stylesheet keeps exactly the rules that can match."""

from __future__ import annotations

import sys

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


def test_figures_load_lazily_and_the_logo_has_its_size():
    html = (
        '<img src="../_images/fig.png" alt="a figure"/>'
        '<img src="_static/favicon.svg" class="logo__image only-light" alt="home"/>'
    )
    out = viewcopy_weight.lighten(html, search_page=False, logo_size=("64", "64"))
    assert '<img loading="lazy" decoding="async" src="../_images/fig.png"' in out
    assert '<img width="64" height="64" src="_static/favicon.svg" class="logo__image' in out
    assert viewcopy_weight.lighten(out, search_page=False, logo_size=("64", "64")) == out  # run twice: same page
    assert viewcopy_weight.svg_size(ROOT / "docs" / "_static" / "favicon.svg") == ("64", "64")

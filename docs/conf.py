"""Sphinx configuration for the viewcopy site."""

import os
import sys

import numpy as np
from jupyter_client.manager import KernelManager

import viewcopy
from viewcopy.claims import ledger

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_ext"))
import viewcopy_gallery  # noqa: F401  (sphinx_gallery_conf names viewcopy_gallery.GalleryOrder)

project = "viewcopy"
author = "the viewcopy developers"
copyright = "2026, the viewcopy developers"
release = version = viewcopy.__version__
html_title = "viewcopy: NumPy views, copies and the memory they cost"

extensions = [
    "myst_nb",
    "sphinx_gallery.gen_gallery",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx_copybutton",
    "sphinx_design",
    "notfound.extension",
    "sphinxext.opengraph",
    "viewcopy_ledger",  # docs/_ext: the claims ledger, a note on each page that makes claims
    "viewcopy_versions",  # docs/_ext: the NumPy versions page (waits for nox: viewcopy_nox)
    "viewcopy_atlas",  # docs/_ext: the atlas table and atlas.json
    "viewcopy_sentences",  # docs/_ext: {claim} renders a claim's sentence; the lint of unchecked sentences
    "viewcopy_weight",  # docs/_ext: one stylesheet, deferred scripts, search scripts on the search page, small icon fonts
]

exclude_patterns = [
    "_build",
    "jupyter_execute",
    "**.ipynb_checkpoints",
    # sphinx-gallery writes a notebook beside each example's page; myst-nb
    # would read it as a second source of the same page and replace it.
    f"{ledger.GALLERY_PAGES}/**.ipynb",
    "_inventories",
    "node_modules",  # the scripts docs/package.json vendors (List.js for the atlas)
]
nitpicky = True
nitpick_ignore = [
    ("py:class", "viewcopy._guard.F"),
    ("py:class", "viewcopy.claims._claim.T"),
]

# -- executed pages (myst-nb) ------------------------------------------------
# The pages' kernels: CurveZMQ transport encryption, which jupyter_client
# provisions and ipykernel supports, rather than plain TCP (every kernel then
# logs a warning); myst-nb has no option to pass the kernel manager's config.
KernelManager.class_traits()["transport_encryption"].default_value = "auto"
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True  # the failing cell's traceback goes to the build log
nb_execution_timeout = 300
nb_merge_streams = True
nb_render_markdown_format = "myst"  # tables built by a cell may link to pages
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# -- gallery (sphinx-gallery) ------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": f"../{ledger.GALLERY_SOURCES}",
    "gallery_dirs": ledger.GALLERY_PAGES,  # the claims' page names (viewcopy.claims.ledger.page_name) use the same
    "filename_pattern": r"\.py$",  # run every script, not only plot_*.py
    "within_subsection_order": "viewcopy_gallery.GalleryOrder",
    # no "Estimated memory usage" footer: its label is sphinx-gallery's, and a page's figures are its claims
    "show_memory": False,
    "reset_modules": ("matplotlib", "viewcopy_ledger.start_example"),
    "remove_config_comments": True,
    "doc_module": ("viewcopy",),
    "backreferences_dir": "api/backreferences",
    "image_srcset": ["2x"],
    "min_reported_time": 0,
}

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
napoleon_use_rtype = False
napoleon_use_ivar = True

# -- doctest -----------------------------------------------------------------
doctest_global_setup = "import numpy as np\nimport viewcopy"

# -- links (offline: committed inventories are read first) ------------------
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", ("_inventories/python.inv", None)),
    "numpy": ("https://numpy.org/doc/stable/", ("_inventories/numpy.inv", None)),
}
intersphinx_timeout = 5
# linkcheck: these machines are offline but for package registries
linkcheck_ignore = [] if os.environ.get("VIEWCOPY_LINKCHECK_EXTERNAL") else [r"https?://"]

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
# docs/_ext/viewcopy_weight.py rewrites this theme's own markup, scripts and fonts for speed; it checks the
# theme is the release it was written against (THEME_VERSION there, the pin in pyproject.toml). False: no rewrites.
viewcopy_theme_rewrites = True
html_static_path = ["_static"]
html_css_files = ["viewcopy.css"]
html_js_files = ["viewcopy.js"]
html_theme_options = {
    "github_url": os.environ.get("VIEWCOPY_REPO_URL", "https://github.com/viewcopy/viewcopy"),
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["numpy-version", "theme-version"],
    "article_footer_items": [],
}
html_context = {"default_mode": "auto", "numpy_version": np.__version__}
# Pages without children (and the landing page) get the full width; the gallery and
# the API keep their navigation.  Derived from the toctree in index.md, the one list
# of the site's pages, by _full_width below: no list of pages here.
html_sidebars = {"**": ["sidebar-nav-bs"]}


def _full_width(app, pagename, templatename, context, doctree):
    includes = app.env.toctree_includes
    if pagename == "index" or (pagename in includes.get("index", []) and pagename not in includes):
        context["sidebars"] = []


def setup(app):
    app.connect("html-page-context", _full_width)


html_templates_path = templates_path = ["_templates"]
html_favicon = "_static/favicon.svg"
html_logo = "_static/favicon.svg"

# -- a 404 page and link previews -----------------------------------------------
# Where the site is served from.  Read the Docs says so itself (and the 404
# extension then knows its /en/latest/ prefix); GitHub Pages serves the site
# under the repository's name, which the 404 page needs for absolute links.
SITE_URL = (
    os.environ.get("VIEWCOPY_SITE_URL")
    or os.environ.get("READTHEDOCS_CANONICAL_URL")
    or "https://viewcopy.github.io/viewcopy/"
)
if not os.environ.get("READTHEDOCS"):
    notfound_urls_prefix = "/" + "/".join(SITE_URL.split("/")[3:]).strip("/") + "/"
    notfound_urls_prefix = notfound_urls_prefix.replace("//", "/")
notfound_context = {
    "title": "Page not found",
    "body": "<h1>Page not found</h1><p>This page does not exist, or moved. "
    'Start from the <a href="' + SITE_URL + '">one-minute answer</a> or search the site.</p>',
}
ogp_site_url = SITE_URL
ogp_site_name = "viewcopy"
ogp_description_length = 200
ogp_enable_meta_description = True
ogp_social_cards = {"enable": False}  # cards need fonts downloaded at build time; offline builds cannot

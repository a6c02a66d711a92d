"""Theme weight: the pydata theme's pages made light enough for a phone on a slow network.

Run once the HTML is written (``build-finished``); ``nox -s lighthouse``
measures the result. On every page:

- the stylesheets become one file (the theme's ``@import`` inlined), so the
  first paint waits for one request instead of a dozen in a chain;
- the theme's search field is named by its visible text (axe: label-content-name-mismatch);
- every script is deferred (order kept; the inline ``DOCUMENTATION_OPTIONS``
  lines become inline module scripts, which are deferred too), so no script
  blocks the first paint;
- the search scripts and the search index load on the search page only (the
  search field of the other pages submits to it);
- Font Awesome's JavaScript is dropped: the theme's CSS already draws the
  same icons from its web fonts, and those fonts are cut down to the glyphs
  the site uses (about 230 kB to a few kB).

And before that, when a page is read: raw HTML that loads a script or a
stylesheet from another host is removed (sphinx-gallery's computation-times
page fetches jQuery, Bootstrap and DataTables from CDNs to sort its table;
the table stays, unsorted), so every page works offline and asks no third
party for anything.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

SEARCH_ONLY = ("searchindex.js", "_static/searchtools.js", "_static/language_data.js")
SCRIPT = re.compile(r'<script(?P<attrs>[^>]*?) src="(?P<src>[^"]+)"(?P<rest>[^>]*)></script>\n?')
INLINE_OPTIONS = re.compile(r"<script>(\s*DOCUMENTATION_OPTIONS\.[^<]*)</script>")
# the theme's search field shows "Search Ctrl+K" but is named "Search": its visible text is its name
SEARCH_FIELD = re.compile(r'(<button [^>]*class="[^"]*search-button-field[^"]*"[^>]*?) aria-label="Search"')
STYLESHEET = re.compile(r'<link (?=[^>]*rel="stylesheet")[^>]*href="(?P<href>[^"?]+)[^"]*"[^>]*/>\n?')
IMPORT = re.compile(r'@import\s+(?:url\()?"([^"]+)"\)?\s*;')
URL = re.compile(r'url\((["\']?)(?!data:|https?:|/|#)([^)"\']+)\1\)')
ICON_RULE = re.compile(r"([^{}]+)\{--fa:\"\\([0-9a-f]+)\"\}")
FONTS = "vendor/fontawesome/webfonts"  # under the theme's static/ and the site's _static/
REMOTE = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.IGNORECASE)


def lighten(html: str, *, search_page: bool) -> str:
    def script(match: re.Match[str]) -> str:
        src = match["src"].split("?")[0]
        if src.endswith("scripts/fontawesome.js") or (not search_page and src.endswith(SEARCH_ONLY)):
            return ""
        attrs = match["attrs"] + match["rest"]
        if "defer" in attrs or "async" in attrs or 'type="module"' in attrs:
            return match[0]
        return f'<script defer{match["attrs"]} src="{match["src"]}"{match["rest"]}></script>\n'

    html = SCRIPT.sub(script, html)
    html = SEARCH_FIELD.sub(r"\1", html)
    return INLINE_OPTIONS.sub(r'<script type="module">\1</script>', html)


def _css(path: Path, bundle_dir: Path) -> str:
    """A stylesheet's text, its @imports inlined and its url()s made relative to ``bundle_dir``."""
    text = path.read_text(encoding="utf-8")
    text = IMPORT.sub(lambda m: _css((path.parent / m[1]).resolve(), bundle_dir), text)

    def url(match: re.Match[str]) -> str:
        target = os.path.relpath((path.parent / match[2]).resolve(), bundle_dir).replace(os.sep, "/")
        return f"url({match[1]}{target}{match[1]})"

    return URL.sub(url, text)


def bundle_styles(out: Path, page: Path, html: str) -> str:
    """Replace the page's stylesheets by one file with the same rules in the same order."""
    links = list(STYLESHEET.finditer(html))
    if len(links) < 2 or any(m["href"].startswith(("/", "http:", "https:")) for m in links):
        return html  # the 404 page links from the site's root, wherever it is served: left as it is
    sheets = [(page.parent / m["href"]).resolve() for m in links]
    bundle_dir = out / "_static" / "styles"
    text = "\n".join(_css(sheet, bundle_dir) for sheet in sheets)
    bundle = bundle_dir / f"bundle-{hashlib.sha256(text.encode()).hexdigest()[:12]}.css"
    if not bundle.exists():
        bundle.write_text(text, encoding="utf-8")
    href = os.path.relpath(bundle, page.parent).replace(os.sep, "/")
    first = links[0].start()
    html = STYLESHEET.sub("", html)
    return html[:first] + f'<link rel="stylesheet" href="{href}" />\n' + html[first:]


def used_icons(css: str, pages: list[str]) -> set[int]:
    """Code points of the Font Awesome classes the pages use, and of the icons the CSS draws itself."""
    classes = {name for page in pages for name in re.findall(r"\bfa-[a-z0-9-]+", page)}
    codes = {ord(c) for c in css if 0xE000 <= ord(c) <= 0xF8FF}  # --pst-icon-* (admonitions, links)
    for selectors, code in ICON_RULE.findall(css):
        if {s.strip().lstrip(".") for s in selectors.split(",")} & classes:
            codes.add(int(code, 16))
    return codes


def subset_fonts(source: Path, target: Path, codes: set[int]) -> None:
    from fontTools import subset  # matplotlib's dependency; the woff extra brings brotli

    options = subset.Options()
    options.flavor = "woff2"
    fonts = sorted(source.glob("*.woff2"))
    if not fonts:
        raise FileNotFoundError(f"no Font Awesome fonts in {source}: has the theme moved them?")
    for font_file in fonts:
        font = subset.load_font(str(font_file), options, lazy=False)
        try:
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=codes)
            subsetter.subset(font)
            subset.save_font(font, str(target / font_file.name), options)
        finally:
            font.close()


def _drop_remote_loads(app: Sphinx, doctree: nodes.document) -> None:
    for raw in list(doctree.findall(nodes.raw)):
        if "html" in raw.get("format", "").split() and REMOTE.search(raw.astext()):
            raw.parent.remove(raw)


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    texts = []
    for page in out.rglob("*.html"):
        if any(part.startswith("_") for part in page.relative_to(out).parts[:-1]):
            continue  # _static/, _downloads/: files the site serves, not its pages
        text = lighten(page.read_text(encoding="utf-8"), search_page=page.name == "search.html")
        text = bundle_styles(out, page, text)
        page.write_text(text, encoding="utf-8")
        texts.append(text)
    css = (out / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    theme_static = Path(app.builder.theme.get_theme_dirs()[0]) / "static"
    subset_fonts(theme_static / FONTS, out / "_static" / FONTS, used_icons(css, texts))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", _drop_remote_loads)
    app.connect("build-finished", _build_finished, priority=900)  # after the others have written
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Theme weight: the pydata theme's pages made light enough for a phone on a slow network.

Run once the HTML is written (``build-finished``); ``nox -s lighthouse``
measures the result.  What rewrites pydata-sphinx-theme's own markup, scripts
and fonts (the colour scheme, the search field's name, the sidebar mark, the
back-to-top measure, Font Awesome) is behind one switch, conf.py's
``viewcopy_theme_rewrites``, checked against the pinned THEME_VERSION, and
fails the build when its target is gone.  On every page:

- the stylesheets become one file (the theme's ``@import`` inlined), so the
  first paint waits for one request instead of a dozen in a chain, and that
  file keeps only the rules that can match: a rule goes when each of its
  selectors names a class that no page and no script of the site mentions
  (about 520 kB of CSS to 150 kB, which the phone then parses and matches);
- the logo has a width and a height (from its SVG's viewBox), and so has each
  figure (from its PNG's header), so nothing moves when they load; the figures
  load lazily, as they near the screen;
- a page with an "On this page" sidebar says so on its ``<body>``: that
  sidebar comes after the article in the page, and on a wide screen the
  article was first drawn as wide as the window, then narrowed (CLS 0.16 on a
  desktop); viewcopy.css keeps the sidebar's width free from the start;
- the colour theme is resolved before the first paint: the theme's head script
  leaves ``data-theme="auto"`` until its deferred JavaScript picks light or
  dark, and the code blocks' line height (``.highlight pre``, set per theme)
  then changes, moving everything below them (Lighthouse: CLS 0.16 on a page
  that opens with code);
- the theme's back-to-top button measures the header when the reader
  scrolls, not as the page loads (a forced layout of the whole page before
  its first paint);
- the theme's search field is named by its visible text, "Search Ctrl+K" (axe:
  label-content-name-mismatch; on a phone the text is hidden and the name stays);
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

SEARCH_ONLY = ("searchindex.js", "_static/searchtools.js", "_static/language_data.js")
SCRIPT = re.compile(r'<script(?P<attrs>[^>]*?) src="(?P<src>[^"]+)"(?P<rest>[^>]*)></script>\n?')
INLINE_OPTIONS = re.compile(r"<script>(\s*DOCUMENTATION_OPTIONS\.[^<]*)</script>")
# The theme's search field shows "Search Ctrl+K" but is named "Search" (axe: label-content-name-mismatch);
# on a phone it shows only an icon, and bootstrap's tooltip takes its title away: it is named by its text.
SEARCH_FIELD = re.compile(r'(<button [^>]*class="[^"]*search-button-field[^"]*"[^>]*?) aria-label="Search"')
IMAGE = re.compile(r"<img (?P<attrs>[^>]*)>")
FIGURE_SRC = re.compile(r'\bsrc="(?P<src>[^"]*_images/[^"]*)"')  # the site's figures, not its logo
LOGO = re.compile(r'<img (?![^>]*\bwidth=)([^>]*class="logo__image)')
VIEWBOX = re.compile(r'viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) ([0-9.]+)"')
BUNDLED = re.compile(r'<link rel="stylesheet" href="[^"]*" data-sheets="(?P<sheets>[^"]*)" />\n?')
STYLESHEET = re.compile(r'<link (?=[^>]*rel="stylesheet")[^>]*href="(?P<href>[^"?]+)[^"]*"[^>]*/>\n?')
IMPORT = re.compile(r'@import\s+(?:url\()?"([^"]+)"\)?\s*;')
URL = re.compile(r'url\((["\']?)(?!data:|https?:|/|#)([^)"\']+)\1\)')
ICON_RULE = re.compile(r"([^{}]+)\{--fa:\"\\([0-9a-f]+)\"\}")
FONTS = "vendor/fontawesome/webfonts"  # under the theme's static/ and the site's _static/
WORD = re.compile(r"[A-Za-z0-9_-]+")
CLASS = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
GROUPS = ("media", "supports", "layer", "container")  # at-rules whose blocks hold rules
# pydata-sphinx-theme's layout.html, with its default_mode "auto"
AUTO_THEME = 'dataset.theme = localStorage.getItem("theme") || "auto";'
RESOLVED_THEME = 'dataset.theme = localStorage.getItem("theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");'
EAGER_HEADER = 'var e=document.getElementsByClassName("bd-header")[0].getBoundingClientRect();'
LAZY_HEADER = (
    'var e={get bottom(){return document.getElementsByClassName("bd-header")[0].getBoundingClientRect().bottom}};'
)
REMOTE = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.IGNORECASE)


# -- rewrites of pydata-sphinx-theme's own markup and scripts ------------------------------------------
# Behind one switch, conf.py's ``viewcopy_theme_rewrites``; written against THEME_VERSION (pinned in
# pyproject.toml's docs group), checked when the build starts.  Each page rewrite returns the page and
# whether its target was there (or already rewritten): one that finds its target on no page fails the build.

THEME_VERSION = "0.24.0"


def resolve_colour_scheme(html: str) -> tuple[str, bool]:
    """The colour theme is resolved before the first paint.

    The theme's head script leaves ``data-theme="auto"`` until its deferred
    JavaScript picks light or dark, and the code blocks' line height
    (``.highlight pre``, set per theme) then changes, moving everything below
    them (Lighthouse: CLS 0.16 on a page that opens with code).
    """
    return html.replace(AUTO_THEME, RESOLVED_THEME), AUTO_THEME in html or RESOLVED_THEME in html


def name_search_field(html: str) -> tuple[str, bool]:
    """The search field is named by its visible text, "Search Ctrl+K" (axe: label-content-name-mismatch).

    On a phone it shows only an icon, and bootstrap's tooltip takes its title away: the name stays.
    """
    found = SEARCH_FIELD.search(html) is not None or 'aria-label="Search Ctrl+K"' in html
    return SEARCH_FIELD.sub(r'\1 aria-label="Search Ctrl+K"', html), found


def mark_toc_sidebar(html: str) -> tuple[str, bool]:
    """A page with an "On this page" sidebar says so on its ``<body>`` (``data-viewcopy-toc``).

    That sidebar comes after the article in the page, and on a wide screen the
    article was first drawn as wide as the window, then narrowed (CLS 0.16 on a
    desktop); viewcopy.css keeps the sidebar's width free from the start.
    """
    if 'id="pst-secondary-sidebar"' not in html:
        return html, False
    return re.sub(r"<body\b(?![^>]*data-viewcopy-toc)", "<body data-viewcopy-toc", html, count=1), True


PAGE_REWRITES = (resolve_colour_scheme, name_search_field, mark_toc_sidebar)


def check_theme_version(installed: str) -> None:
    """Fail the build when the theme is not the release the rewrites were written against."""
    if installed != THEME_VERSION:
        raise ExtensionError(
            f"viewcopy_weight rewrites pydata-sphinx-theme {THEME_VERSION}'s markup and scripts, but {installed} "
            "is installed: check each rewrite against the new theme (docs/_ext/viewcopy_weight.py), then update "
            "THEME_VERSION and the pin in pyproject.toml; or set viewcopy_theme_rewrites = False in conf.py"
        )


def unmatched_rewrites(pages: list[str]) -> list[str]:
    """The page rewrites whose target is on none of ``pages``: the theme changed under them."""
    return [r.__name__ for r in PAGE_REWRITES if not any(r(page)[1] for page in pages)]


def lighten(
    html: str,
    *,
    search_page: bool,
    logo_size: tuple[str, str] | None = None,
    image_size: Callable[[str], tuple[str, str] | None] = lambda src: None,
    theme: bool = True,
) -> str:
    """The page made lighter; ``theme``: with the rewrites of pydata-sphinx-theme's own markup too."""

    def script(match: re.Match[str]) -> str:
        src = match["src"].split("?")[0]
        if (theme and src.endswith("scripts/fontawesome.js")) or (not search_page and src.endswith(SEARCH_ONLY)):
            return ""
        attrs = match["attrs"] + match["rest"]
        if "defer" in attrs or "async" in attrs or 'type="module"' in attrs:
            return match[0]
        return f'<script defer{match["attrs"]} src="{match["src"]}"{match["rest"]}></script>\n'

    html = SCRIPT.sub(script, html)
    if theme:
        for rewrite in PAGE_REWRITES:
            html, _ = rewrite(html)
    if logo_size:  # its box is known before it loads: the header does not shift (Lighthouse: CLS)
        html = LOGO.sub(rf'<img width="{logo_size[0]}" height="{logo_size[1]}" \1', html)

    # figures load when they come near the screen: the first paint's stylesheet and fonts go first
    # and each has its size, so the text below it does not move when it arrives (CLS)
    def figure(match: re.Match[str]) -> str:
        attrs, src = match["attrs"], FIGURE_SRC.search(match["attrs"])
        if src is None:
            return match[0]
        added = "" if "loading=" in attrs else 'loading="lazy" decoding="async" '
        if not re.search(r"\bwidth=", attrs) and (size := image_size(src["src"])):
            added += f'width="{size[0]}" height="{size[1]}" '
        return f"<img {added}{attrs}>"

    html = IMAGE.sub(figure, html)
    return INLINE_OPTIONS.sub(r'<script type="module">\1</script>', html)


def png_size(path: Path) -> tuple[str, str] | None:
    """A PNG's width and height in pixels, from its header; None for another file."""
    if path.suffix != ".png" or not path.is_file():
        return None
    with open(path, "rb") as file:
        head = file.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return str(int.from_bytes(head[16:20], "big")), str(int.from_bytes(head[20:24], "big"))


def svg_size(path: Path) -> tuple[str, str] | None:
    """An SVG's width and height from its viewBox, or None."""
    found = VIEWBOX.search(path.read_text(encoding="utf-8")) if path.suffix == ".svg" and path.is_file() else None
    return (found[1], found[2]) if found else None


def _css(path: Path, bundle_dir: Path) -> str:
    """A stylesheet's text, its @imports inlined and its url()s made relative to ``bundle_dir``."""
    text = path.read_text(encoding="utf-8")
    text = IMPORT.sub(lambda m: _css((path.parent / m[1]).resolve(), bundle_dir), text)

    def url(match: re.Match[str]) -> str:
        target = os.path.relpath((path.parent / match[2]).resolve(), bundle_dir).replace(os.sep, "/")
        return f"url({match[1]}{target}{match[1]})"

    return URL.sub(url, text)


def words_of(texts: list[str]) -> set[str]:
    """Every word of the pages and scripts that could be a class name."""
    return {word for text in texts for word in WORD.findall(text)}


def without_unused_rules(css: str, words: set[str]) -> str:
    """``css`` without the rules none of whose selectors can match a page of the site.

    A selector can match unless it names a class that is none of ``words``
    (the pages' and the scripts' words: a class a script adds is in its
    text, or a prefix of it is, as bootstrap's ``"bs-tooltip-" + placement``).
    ``:not(.x)`` matches without ``x``: such selectors are kept.
    """
    import tinycss2

    prefixes = tuple(word for word in words if word.endswith("-"))

    def can_match(selector: str) -> bool:
        return ":not(" in selector or all(c in words or c.startswith(prefixes) for c in CLASS.findall(selector))

    def kept(rules: list[Any]) -> list[str]:
        out = []
        for rule in rules:
            if rule.type == "qualified-rule":
                if any(can_match(s) for s in tinycss2.serialize(rule.prelude).split(",")):
                    out.append(tinycss2.serialize([rule]))
            elif rule.type == "at-rule" and rule.lower_at_keyword in GROUPS and rule.content is not None:
                inner = kept(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))
                if inner:
                    out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{''.join(inner)}}}")
            elif rule.type == "at-rule":
                out.append(tinycss2.serialize([rule]))
        return out

    return "\n".join(kept(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)))


def bundle_styles(out: Path, page: Path, html: str, words: set[str], root: str = "/") -> str:
    """Replace the page's stylesheets by one file with the rules that can match, in the same order.

    The bundle's link names the stylesheets it holds, so a page that an
    incremental build did not rewrite is bundled again from its sources.
    A page that links from the path the site is served under, ``root`` (the
    404 page, shown at any address), links to its bundle the same way.
    """
    bundled = BUNDLED.search(html)
    links = [] if bundled else list(STYLESHEET.finditer(html))
    hrefs = bundled["sheets"].split() if bundled else [m["href"] for m in links]
    absolute = all(href.startswith(root) and root != "/" for href in hrefs)
    if not bundled and (len(links) < 2 or not (absolute or all(_relative(href) for href in hrefs))):
        return html
    first = bundled.start() if bundled else links[0].start()
    html = BUNDLED.sub("", html) if bundled else STYLESHEET.sub("", html)
    sheets = [(out / href[len(root) :] if absolute else page.parent / href).resolve() for href in hrefs]
    bundle_dir = out / "_static" / "styles"
    key = "\n".join(str(sheet) for sheet in sheets)
    if key not in _bundles:
        text = without_unused_rules("\n".join(_css(sheet, bundle_dir) for sheet in sheets), words)
        bundle = bundle_dir / f"bundle-{hashlib.sha256(text.encode()).hexdigest()[:12]}.css"
        bundle.write_text(text, encoding="utf-8")
        _bundles[key] = bundle
    if absolute:
        href = root + _bundles[key].relative_to(out).as_posix()
    else:
        href = os.path.relpath(_bundles[key], page.parent).replace(os.sep, "/")
    link = f'<link rel="stylesheet" href="{href}" data-sheets="{" ".join(hrefs)}" />\n'
    return html[:first] + link + html[first:]


_bundles: dict[str, Path] = {}  # the stylesheets of a page -> their bundle, for this build


def _relative(href: str) -> bool:
    return not href.startswith(("/", "http:", "https:"))


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


def _drop_memory_column(app: Sphinx, doctree: nodes.document) -> None:
    """sphinx-gallery's computation-times table prints 0.0 MB for every script when it measured no memory
    (``show_memory`` off, as here): a column of false figures, so it goes."""
    if app.config.sphinx_gallery_conf.get("show_memory") or not app.env.docname.endswith("sg_execution_times"):
        return
    for tgroup in doctree.findall(nodes.tgroup):
        head = next(iter(tgroup.findall(nodes.thead)), None)
        headings = [entry.astext().strip() for entry in head.findall(nodes.entry)] if head is not None else []
        if "Mem (MB)" not in headings:
            continue
        column = headings.index("Mem (MB)")
        tgroup.remove(list(tgroup.findall(nodes.colspec))[column])
        tgroup["cols"] -= 1
        for row in tgroup.findall(nodes.row):
            row.remove(row.children[column])


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    theme = app.config.viewcopy_theme_rewrites
    logo = svg_size(Path(app.confdir) / app.config.html_logo) if app.config.html_logo else None
    pages = {}
    for page in out.rglob("*.html"):
        if any(part.startswith("_") for part in page.relative_to(out).parts[:-1]):
            continue  # _static/, _downloads/: files the site serves, not its pages
        pages[page] = lighten(
            page.read_text(encoding="utf-8"),
            search_page=page.name == "search.html",
            logo_size=logo,
            image_size=lambda src, page=page: png_size(page.parent / src.split("?")[0]),
            theme=theme,
        )
    if theme and (unmatched := unmatched_rewrites(list(pages.values()))):
        raise ExtensionError(f"pydata-sphinx-theme changed: {', '.join(unmatched)} found nothing to rewrite")
    loaded = {
        (page.parent / m["src"].split("?")[0]).resolve() for page, text in pages.items() for m in SCRIPT.finditer(text)
    }
    scripts = [path.read_text(encoding="utf-8", errors="replace") for path in loaded if path.is_file()]
    words = words_of([*pages.values(), *scripts])  # the scripts the pages load: classes they add are in them
    _bundles.clear()
    root = getattr(app.config, "notfound_urls_prefix", None) or "/"  # the 404 page's links start there
    for page, text in pages.items():
        pages[page] = text = bundle_styles(out, page, text, words, root)
        page.write_text(text, encoding="utf-8")
    if not theme:
        return
    css = (out / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    theme_static = Path(app.builder.theme.get_theme_dirs()[0]) / "static"
    subset_fonts(theme_static / FONTS, out / "_static" / FONTS, used_icons(css, list(pages.values())))
    script = out / "_static" / "scripts" / "bootstrap.js"
    script.write_text(lazy_header_measure(script.read_text(encoding="utf-8")), encoding="utf-8")


def lazy_header_measure(script: str) -> str:
    """The theme's bootstrap.js, measuring the header when the reader scrolls instead of on load.

    Its back-to-top button reads the header's position as soon as the page is
    parsed: the browser must lay out the whole page there and then, before the
    first paint (Lighthouse: a 300 ms forced reflow on the long pages).
    """
    if EAGER_HEADER in script:
        return script.replace(EAGER_HEADER, LAZY_HEADER)
    if LAZY_HEADER not in script:
        raise ValueError(
            "the theme's bootstrap.js no longer measures its header as viewcopy_weight expects: look again"
        )
    return script


def _check_theme(app: Sphinx) -> None:
    if app.config.viewcopy_theme_rewrites:
        from importlib.metadata import version

        check_theme_version(version("pydata-sphinx-theme"))


def setup(app: Sphinx) -> dict[str, Any]:
    # one switch for every rewrite of the theme's own markup, scripts and fonts (see THEME_VERSION)
    app.add_config_value("viewcopy_theme_rewrites", True, "html", bool)
    app.connect("builder-inited", _check_theme)
    app.connect("doctree-read", _drop_remote_loads)
    app.connect("doctree-read", _drop_memory_column)
    app.connect("build-finished", _build_finished, priority=900)  # after the others have written
    return {"parallel_read_safe": True, "parallel_write_safe": True}

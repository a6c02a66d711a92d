"""Open the built site in headless Chromium, as a reader would, and check what they would see.

Run by ``nox -s browser``: serves docs/_build/html on 127.0.0.1, then for the
landing page, every gallery page, the claims ledger and the API page checks
that nothing logs a console error, every image loads, code blocks have a copy
button, axe-core finds no accessibility violation, search finds the ravel pages
and figures stay readable in dark mode.
Screenshots (desktop and phone widths) go to docs/_build/screenshots/.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright
from served import serve

# Flags for a machine with no network but the package registries: without
# them Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOT_CHECKED = {  # Sphinx's and sphinx-gallery's generated pages
    "genindex.html", "search.html", "py-modindex.html",
    "sg_execution_times.html",  # its table loads jQuery DataTables from a CDN, unreachable offline
}  # fmt: skip
NO_CODE = {"claims.html", "versions.html", "glossary.html", "404.html"}  # checked pages without code blocks
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# the page's layout shifts, summed as Lighthouse's CLS sums them (a shift the reader did not cause)
SHIFTS = """window.viewcopyShift = 0; window.viewcopyMoved = [];
new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) {
  window.viewcopyShift += e.value;
  for (const s of e.sources || []) if (s.node) window.viewcopyMoved.push(s.node.nodeName + "." + (s.node.className || ""));
} }).observe({type: "layout-shift", buffered: true});"""
MOST_SHIFT = 0.1  # Lighthouse's "good" CLS
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("no Chromium found: install it with `apt-get install chromium` (Debian) and run again")


def check_page(page, url: str, problems: list[str], *, code: bool) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    shifts = []
    for _ in range(2):  # a shift seen once can be this shared machine's load; one that repeats is the page's
        page.goto(url, wait_until="load")
        page.wait_for_timeout(500)  # the theme's scripts run on load
        shifts.append((page.evaluate("window.viewcopyShift"), page.evaluate("window.viewcopyMoved")))
        if shifts[-1][0] <= MOST_SHIFT:
            break
    if min(shift for shift, _ in shifts) > MOST_SHIFT:
        moved = sorted({node for _, nodes in shifts for node in nodes})
        problems.append(
            f"{url}: the layout moved after the first paint, on two loads "
            f"(CLS {' and '.join(f'{shift:.3f}' for shift, _ in shifts)} > {MOST_SHIFT}; moved: {', '.join(moved)})"
        )
    elif len(shifts) > 1:
        print(f"{url}: CLS {shifts[0][0]:.3f} on the first load, {shifts[1][0]:.3f} on the second: not counted")
    # images below the fold load lazily: scroll through the page first
    page.evaluate("async () => { for (let y = 0; y < document.body.scrollHeight; y += 600) "
                  "{ window.scrollTo(0, y); await new Promise(r => setTimeout(r, 30)); } }")  # fmt: skip
    page.wait_for_load_state("networkidle")
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    problems += [f"{url}: image did not load: {src}" for src in broken]
    problems += [f"{url}: console error: {text}" for text in errors]
    if code and page.locator("button.copybtn").count() == 0:
        problems.append(f"{url}: no copy button on a page with code")
    # accessibility: axe-core (.ci/node_modules, from `npm ci`), WCAG 2.1 A and AA rules
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
        ".violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes[0].target})`)"
    )
    problems += [f"{url}: axe: {violation}" for violation in violations]


def main(root: Path) -> int:
    server, base = serve(root)
    shots = root.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    pages = [p.name for p in sorted(root.glob("*.html")) if p.name not in NOT_CHECKED]
    pages += sorted(f"auto_examples/{p.name}" for p in (root / "auto_examples").glob("plot_*.html"))
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=SIZES["desktop"])
        context.add_init_script(SHIFTS)
        for name in pages:
            page = context.new_page()
            check_page(page, base + name, problems, code=name not in NO_CODE)
            print(f"checked {name}")
            page.close()

        # a page that does not exist: the 404 page, styled, under the published path as GitHub Pages serves it
        page = context.new_page()
        answer = page.goto(base + "no/such/page.html", wait_until="load")
        heading = page.text_content("h1")
        styled = page.evaluate("getComputedStyle(document.body).display")
        if answer.status != 404 or heading != "Page not found" or styled != "flex":
            problems.append(f"a missing page: status {answer.status}, heading {heading!r}, body display {styled!r}")
        print(f"missing page: {answer.status}, {heading!r}")
        page.close()

        # the back-to-top button (its header measure is deferred to the scroll): it shows when scrolling up
        page = context.new_page()
        page.goto(base + "production.html", wait_until="load")
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(300)
        page.mouse.wheel(0, -1000)
        page.wait_for_timeout(300)
        shown = page.evaluate("getComputedStyle(document.getElementById('pst-back-to-top')).display")
        if shown != "block":
            problems.append(f"production.html: the back-to-top button did not show when scrolling up ({shown!r})")
        print(f"back to top, scrolling up: {shown}")
        page.close()

        page = context.new_page()
        page.goto(base + "search.html?q=ravel")
        page.wait_for_selector("#search-results li a", timeout=15_000)
        found = page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
        if not any("plot_ravel_vs_flatten" in href for href in found):
            problems.append(f"search for 'ravel' did not find the ravel page; it found {found[:5]}")
        print(f"search 'ravel': {len(found)} results")
        page.close()

        # the ledger link #page=NAME: exactly that page's claims, in one table, the others hidden
        page = context.new_page()
        page.goto(base + "claims.html#page=auto_examples/plot_ravel_vs_flatten", wait_until="load")
        shown = page.evaluate(
            "() => ({rows: Array.from(document.querySelectorAll('table.viewcopy-ledger tbody tr'))"
            ".filter(r => !r.hidden).map(r => r.closest('table').className),"
            " tables: Array.from(document.querySelectorAll('.viewcopy-group')).filter(g => !g.hidden).length,"
            " count: document.querySelector('.viewcopy-count').textContent})"
        )
        mine = [c for c in shown["rows"] if "viewcopy-page-auto_examples--plot_ravel_vs_flatten" in c.split()]
        if not mine or len(mine) != len(shown["rows"]) or shown["tables"] != 1:
            problems.append(f"claims.html#page=...: the filter showed {shown}")
        if not shown["count"].startswith(f"{len(mine)} of "):
            problems.append(f"claims.html#page=...: the count says {shown['count']!r}, {len(mine)} rows shown")
        print(f"ledger filter: {shown['count']}")
        page.close()

        for size, viewport in SIZES.items():
            sized = browser.new_context(viewport=viewport)
            for name in ("index.html", "auto_examples/plot_ravel_vs_flatten.html", "claims.html"):
                page = sized.new_page()
                page.goto(base + name, wait_until="networkidle")
                page.screenshot(path=shots / f"{size}-{Path(name).stem}.png")
                page.close()
            sized.close()

        dark = browser.new_context(viewport=SIZES["desktop"], color_scheme="dark")
        page = dark.new_page()
        page.goto(base + "auto_examples/plot_order_semantics.html", wait_until="networkidle")
        theme = page.evaluate("document.documentElement.dataset.theme")
        card = page.evaluate("getComputedStyle(document.querySelector('img.sphx-glr-single-img')).backgroundColor")
        channels = [int(c) for c in card[card.index("(") + 1 : card.index(")")].split(",")[:3]]
        if theme != "dark" or min(channels) < 230:  # the figures are drawn for a light background
            problems.append(f"dark mode: theme {theme!r}, figure background {card!r} (expected a light card)")
        page.locator("img.sphx-glr-single-img").first.scroll_into_view_if_needed()
        page.screenshot(path=shots / "dark-plot_order_semantics.png")
        browser.close()
    server.shutdown()
    print(f"screenshots in {shots}")
    for problem in problems:
        print("PROBLEM:", problem)
    print(f"{len(pages)} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")))

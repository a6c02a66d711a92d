"""Score every page of the built site with Lighthouse, served as GitHub Pages serves it.

Run by ``nox -s lighthouse``: serves docs/_build/html on 127.0.0.1 as GitHub
Pages does (see served.py: under /viewcopy/, gzip, a short cache lifetime), runs
Lighthouse (from .ci/node_modules, the npm registry's package) with the
system Chromium on each page, mobile form factor and simulated throttling
(Lighthouse's defaults), and prints performance and accessibility per page.
Fails when a page scores below PERFORMANCE or ACCESSIBILITY; the JSON reports
go to docs/_build/lighthouse/.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import shutil
import subprocess
import sys
from pathlib import Path

import served

HERE = Path(__file__).parent
LIGHTHOUSE = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
PERFORMANCE, ACCESSIBILITY = 95, 100
SKIPPED = {"genindex.html", "py-modindex.html", "search.html"}  # Sphinx's generated indexes, not pages
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"


def pages(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*.html") if p.name not in SKIPPED and "_static" not in p.parts
    )


def score(url: str, out: Path, chromium: str) -> dict[str, float]:
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [
        "node", str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
        "--only-categories=performance,accessibility", f"--chrome-flags={CHROME_FLAGS}",
    ]  # fmt: skip
    done = subprocess.run(
        command, env={"CHROME_PATH": chromium, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-2000:]}")
    report = json.loads(out.read_text())
    result = {name: round(100 * cat["score"]) for name, cat in report["categories"].items()}
    failing = [
        f"{audit['id']} ({audit.get('displayValue', audit['score'])})"
        for audit in report["audits"].values()
        if audit.get("score") is not None
        and audit["score"] < 0.9
        and audit.get("scoreDisplayMode") in ("numeric", "binary")
    ]
    result["lcp"] = report["audits"]["largest-contentful-paint"]["numericValue"] / 1000
    result["failing"] = failing
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("pages", nargs="*", help="pages to score (default: every page)")
    parser.add_argument("--jobs", type=int, default=1, help="pages scored at once (1: no interference)")
    args = parser.parse_args()
    chromium = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
    )
    if chromium is None:
        raise SystemExit("no Chromium found: install it with `apt-get install chromium` (Debian) and run again")
    server, base = served.serve(args.site)
    out = args.site.parent / "lighthouse"
    todo = args.pages or pages(args.site)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        scores = pool.map(lambda p: score(base + p, out / (p.replace("/", "__") + ".json"), chromium), todo)
        results = dict(zip(todo, scores, strict=True))
    server.shutdown()
    width = max(len(p) for p in results)
    print(f"{'page':<{width}}  performance  accessibility  LCP (s)")
    bad = []
    for page, r in results.items():
        print(f"{page:<{width}}  {r['performance']:>11}  {r['accessibility']:>13}  {r['lcp']:>7.1f}")
        if r["performance"] < PERFORMANCE or r["accessibility"] < ACCESSIBILITY:
            bad.append(
                f"{page}: performance {r['performance']}, accessibility {r['accessibility']}; below 0.9: {', '.join(r['failing'])}"
            )
    print(f"\n{len(results)} pages; goal: performance >= {PERFORMANCE}, accessibility {ACCESSIBILITY}")
    for line in bad:
        print("BELOW GOAL", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

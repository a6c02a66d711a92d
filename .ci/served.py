"""The built site served as GitHub Pages serves it, for the browser and Lighthouse checks.

- under the path the site is published at (``/viewcopy/``: the 404 page's
  links start there, so it is read from them), not at the server's root;
- a missing page answers 404 with the site's ``404.html``;
- text gzip-compressed, with ``Cache-Control: max-age=600``.
"""

from __future__ import annotations

import gzip
import http.server
import io
import re
import threading
from pathlib import Path
from typing import BinaryIO

COMPRESSED = {".html", ".css", ".js", ".svg", ".json", ".txt", ".xml", ".map"}


def published_path(root: Path) -> str:
    """The path the site is published under, as its 404 page links to it (``/`` without one)."""
    page = root / "404.html"
    found = re.search(r'(?:href|src)="(/[^"]*?)_static/', page.read_text(encoding="utf-8")) if page.exists() else None
    return found[1] if found else "/"


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "no such page")
        return super().translate_path("/" + path[len(self.prefix) :])

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        path = Path(self.translate_path(self.path))  # without the query, as the base class does
        if path.is_dir():
            path = path / "index.html"
        status = 200
        if not path.is_file():
            path, status = Path(self.directory) / "404.html", 404
            if not path.is_file():
                return super().send_head()
        body = path.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if path.suffix in COMPRESSED and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``root`` in a thread; the server and the site's address (ending in ``/``)."""
    prefix = published_path(root)
    handler = type("Handler", (SiteHandler,), {"prefix": prefix})

    def make(*args: object, **kwargs: object) -> SiteHandler:
        return handler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{prefix}"

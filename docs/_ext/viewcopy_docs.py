"""Helpers the site's configuration needs; importable so Sphinx can pickle them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import viewcopy


class TracemallocMemory:
    """sphinx-gallery's ``show_memory``: a code block's peak traced memory, in MB.

    tracemalloc sees exactly what the example allocates; the process RSS
    that sphinx-gallery would read otherwise is mostly Sphinx itself.  A
    class with a stable repr, not a function, so Sphinx can cache the config.
    """

    def __call__(self, func: Callable[[], Any]) -> tuple[float, Any]:
        with viewcopy.track() as tracked:
            out = func()
        return tracked.peak_bytes / 1e6, out

    def __repr__(self) -> str:
        return "TracemallocMemory()"


class GalleryOrder:
    """sphinx-gallery sort key: the gallery in reading order, new scripts last."""

    ORDER = (
        "plot_ravel_vs_flatten.py",
        "plot_order_semantics.py",
        "plot_what_doesnt_work.py",
        "plot_faq.py",
        "plot_related_traps.py",
        "plot_etl_pipeline.py",
    )

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        position = self.ORDER.index(filename) if filename in self.ORDER else len(self.ORDER)
        return position, filename

    def __repr__(self) -> str:
        return "GalleryOrder()"

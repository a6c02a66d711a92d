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

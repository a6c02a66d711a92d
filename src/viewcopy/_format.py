"""Byte counts as people read them.  Only the standard library and NumPy's scalar types: no C extension."""

from __future__ import annotations

import math

import numpy as np


def format_bytes(n: float) -> str:
    """Format a byte count with decimal units, as ``80.0 MB``.

    >>> import viewcopy
    >>> viewcopy.format_bytes(800_000_000)
    '800.0 MB'
    >>> viewcopy.format_bytes(96)
    '96 B'
    >>> viewcopy.format_bytes(999_950), viewcopy.format_bytes(-2_500)
    ('1.0 MB', '-2.5 kB')
    """
    if isinstance(n, bool) or not isinstance(n, (int, float, np.integer, np.floating)):
        raise TypeError(f"format_bytes() takes a number of bytes, got {type(n).__name__}")
    if not math.isfinite(n):
        raise ValueError(f"format_bytes() takes a finite number of bytes, got {n}")
    sign, n = ("-" if n < 0 else ""), abs(n)
    if n < 1000:
        return f"{sign}{n:g} B" if isinstance(n, (float, np.floating)) else f"{sign}{int(n)} B"
    for unit in ("kB", "MB", "GB", "TB"):
        n /= 1000
        # compare what is printed: 999.95 kB would print as "1000.0 kB"
        if float(f"{n:.1f}") < 1000 or unit == "TB":
            return f"{sign}{n:.1f} {unit}"
    raise AssertionError("unreachable")

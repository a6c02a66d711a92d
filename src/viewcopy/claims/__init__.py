"""viewcopy.claims: the site's claim machinery, apart from what users import.

A *claim* is a sentence the site states, with the checks that prove it::

    import numpy as np
    import viewcopy
    from viewcopy.claims import claim

    a = np.zeros((100, 10))
    with claim("ravel-contiguous-view", "ravel of this C-contiguous array is a view") as c:
        viewcopy.expect_view(a, a.ravel())      # adds its own evidence
        c.check(a.ravel().base is a, f"ravel's base is the array: {a.ravel().base is a}")

What is here:

- :func:`claim`, :class:`Claim`, :class:`ClaimError`: name a statement and
  record what its checks measured; :func:`not_run`: say a claim was not run
  for want of a library;
- :func:`layouts`, :class:`Case`, :func:`search`, :class:`Search`: the family
  of array layouts a general statement is checked over, and the search for
  the exact condition a behaviour depends on;
- :func:`time_call`, :func:`time_ratio`, :class:`Timing`,
  :class:`TimeRatio`: timings as ratios from one run;
- ``viewcopy.claims.ledger``: where finished claims are recorded and what
  fails the build;
- ``viewcopy.claims.check``: ``python -m viewcopy check``, every claim of
  the site run against the NumPy installed;
- ``viewcopy.claims.atlas``: the atlas page's operations, enumerated from
  NumPy's namespace and measured on the layouts family.

Dependency rule: this subpackage may import :mod:`viewcopy` (its public
names, and the helpers ``viewcopy._evidence``, ``viewcopy._errors`` and
``viewcopy._format``); :mod:`viewcopy` never imports it.  The
docs extensions and ``setup.py`` use only the public names listed here.
"""

from ._claim import Claim, ClaimError, claim, not_run
from ._layouts import Case, Search, When, layouts, search
from ._timing import TimeRatio, Timing, time_call, time_ratio

__all__ = [
    "Case",
    "Claim",
    "ClaimError",
    "Search",
    "TimeRatio",
    "Timing",
    "When",
    "claim",
    "layouts",
    "not_run",
    "search",
    "time_call",
    "time_ratio",
]

for _name in ("Case", "Claim", "ClaimError", "Search", "TimeRatio", "Timing", "When"):
    globals()[_name].__module__ = __name__
del _name

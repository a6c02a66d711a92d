"""viewcopy: measure, explain and guard NumPy views and copies.

>>> import numpy as np, viewcopy
>>> a = np.arange(1_000_000.0).reshape(1000, 1000)
>>> with viewcopy.track() as t:
...     flat = a.T.ravel()                     # not C-contiguous: ravel copies
>>> t.allocated_bytes == a.nbytes
True
>>> viewcopy.relation(a.T, flat).kind
'copy'
>>> print(viewcopy.predict(a.T, "ravel", order="K"))
view: F-contiguous, so the F-order sequence is the buffer itself
"""

from importlib.metadata import PackageNotFoundError, version

from ._claims import Claim, claim
from ._errors import MemoryBudgetError, UnexpectedCopyError, UnexpectedViewError, ViewCopyError
from ._guard import expect_copy, expect_view, log_copies
from ._inspect import Layout, Prediction, Relation, layout, predict, relation
from ._layouts import Case, Search, layouts, search
from ._measure import Tracked, budget, format_bytes, track
from ._timing import TimeRatio, Timing, time_call, time_ratio

try:
    __version__ = version("viewcopy")  # set from git by setuptools-scm when installed
except PackageNotFoundError:  # pragma: no cover - imported from a checkout that was never installed
    __version__ = "0.0.0"

__all__ = [
    "Case",
    "Claim",
    "Layout",
    "MemoryBudgetError",
    "Prediction",
    "Relation",
    "Search",
    "TimeRatio",
    "Timing",
    "Tracked",
    "UnexpectedCopyError",
    "UnexpectedViewError",
    "ViewCopyError",
    "budget",
    "claim",
    "expect_copy",
    "expect_view",
    "format_bytes",
    "layout",
    "layouts",
    "log_copies",
    "predict",
    "relation",
    "search",
    "time_call",
    "time_ratio",
    "track",
]

for _name in ("Case", "Claim", "Layout", "Prediction", "Relation", "Search", "TimeRatio", "Timing", "Tracked"):
    globals()[_name].__module__ = __name__


def load_ipython_extension(ipython):
    """``%load_ext viewcopy``: register the ``%viewcopy`` / ``%%viewcopy`` magic in IPython and Jupyter."""
    from ._magic import load_ipython_extension

    load_ipython_extension(ipython)

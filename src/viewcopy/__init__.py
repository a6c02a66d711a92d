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

What a user imports for their own code is here, and in the submodules
``viewcopy.dask`` and ``viewcopy.pytest_plugin`` (and the IPython
magic, ``%load_ext viewcopy``).  The site's claim machinery is
:mod:`viewcopy.claims`.

Dependency rule (``tests/test_architecture.py`` holds it): each module of
this package imports the standard library and NumPy, and an integration
also its own library: pytest in ``viewcopy.pytest_plugin`` and
``viewcopy._pytest_example``, dask and distributed in ``viewcopy.dask``,
IPython in the magic, memray in ``viewcopy._meters``.  None imports
:mod:`viewcopy.claims` but ``viewcopy.__main__`` (``python -m viewcopy
check``); they report what they measured through ``viewcopy._evidence``,
which a claim listens to.
Importing viewcopy changes nothing in NumPy: the allocator is wrapped when
the first :func:`track` block opens.
"""

from ._errors import MemoryBudgetError, MeterUnavailableError, UnexpectedCopyError, UnexpectedViewError, ViewCopyError
from ._format import format_bytes
from ._guard import expect_copy, expect_view, log_copies
from ._inspect import Layout, Prediction, Relation, layout, predict, relation
from ._measure import Tracked, budget, track


def _installed_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("viewcopy")  # set from git by setuptools-scm when installed
    except metadata.PackageNotFoundError:  # pragma: no cover - a checkout that was never installed
        return "0.0.0"


__version__ = _installed_version()

__all__ = [
    "Layout",
    "MemoryBudgetError",
    "MeterUnavailableError",
    "Prediction",
    "Relation",
    "Tracked",
    "UnexpectedCopyError",
    "UnexpectedViewError",
    "ViewCopyError",
    "budget",
    "expect_copy",
    "expect_view",
    "format_bytes",
    "layout",
    "log_copies",
    "predict",
    "relation",
    "track",
]

for _name in ("Layout", "Prediction", "Relation", "Tracked"):
    globals()[_name].__module__ = __name__
del _name


def load_ipython_extension(ipython):
    """``%load_ext viewcopy``: register the ``%viewcopy`` / ``%%viewcopy`` magic in IPython and Jupyter."""
    from ._magic import load_ipython_extension

    load_ipython_extension(ipython)

"""Write ``numpy.inv``, an intersphinx inventory of NumPy's public names.

The site builds offline, so it cannot download numpy.org's ``objects.inv``.
This script lists the names NumPy itself exports and points each at the page
numpy.org publishes for it (``reference/generated/numpy.NAME.html``).
Run it with ``nox -s inventory`` after a NumPy upgrade.
"""

from __future__ import annotations

import inspect
import pathlib
import sys

import numpy as np
import sphobjinv as soi

# In an inventory, a trailing "$" stands for the object's name; nowhere else.
GENERATED = "reference/generated/{name}.html#$"

# Whole pages the site links to, as (name, title, page).
DOCS = [
    ("user/basics.copies", "Copies and views", "user/basics.copies.html"),
    ("user/basics.indexing", "Indexing on ndarrays", "user/basics.indexing.html"),
    ("reference/arrays.ndarray", "The N-dimensional array (ndarray)", "reference/arrays.ndarray.html"),
    ("dev/internals", "Internal organization of NumPy arrays", "dev/internals.html"),
]
SUBMODULE_NAMES = {
    "numpy.lib.stride_tricks": ["as_strided", "sliding_window_view"],
    "numpy.exceptions": ["TooHardError"],
}


def objects() -> list[soi.DataObjStr]:
    found: list[soi.DataObjStr] = []

    def add(name: str, role: str, uri: str = GENERATED) -> None:
        uri = uri.format(name=name)
        found.append(soi.DataObjStr(name=name, domain="py", role=role, priority="1", uri=uri, dispname="-"))

    add("numpy", "module", "reference/index.html#module-$")
    for name in sorted(dir(np)):
        if name.startswith("_"):
            continue
        obj = getattr(np, name)
        if inspect.ismodule(obj):
            continue
        if isinstance(obj, type):
            add(f"numpy.{name}", "class")
        elif callable(obj):
            add(f"numpy.{name}", "function")
    for name in sorted(dir(np.ndarray)):
        if name.startswith("_"):
            continue
        role = "method" if callable(getattr(np.ndarray, name)) else "attribute"
        add(f"numpy.ndarray.{name}", role)
    for module, names in SUBMODULE_NAMES.items():
        for name in names:
            add(f"{module}.{name}", "class" if name[0].isupper() else "function")
    add("numpy.lib.tracemalloc_domain", "data", "reference/c-api/data_memory.html#tracemalloc-support")
    add("numpy.typing.ArrayLike", "data", "reference/typing.html#numpy.typing.ArrayLike")
    add("numpy.ma.MaskedArray", "class", "reference/maskedarray.baseclass.html#numpy.ma.MaskedArray")
    for name, title, page in DOCS:
        found.append(soi.DataObjStr(name=name, domain="std", role="doc", priority="-1", uri=page, dispname=title))
    return found


def main(path: pathlib.Path) -> None:
    inv = soi.Inventory()
    inv.project = "NumPy"
    inv.version = np.__version__
    inv.objects.extend(objects())
    soi.writebytes(path, soi.compress(inv.data_file(contract=True)))
    print(f"wrote {len(inv.objects)} NumPy {np.__version__} names to {path}")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).with_name("numpy.inv")))

"""The wheel carries every claim-making source of the checkout, for `python -m viewcopy check`.

Run by ``nox -s dist`` in an environment where the built wheel is installed:
``python .ci/wheel_sources.py <checkout>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import viewcopy
from viewcopy.claims import ledger


def names(where: Path) -> set[str]:
    return {path.relative_to(where).as_posix() for _, path in ledger.sources(where)}


def main(checkout: Path) -> int:
    missing = sorted(names(checkout) - names(Path(viewcopy.__file__).parent / "_site"))
    if missing:
        print(f"not in the wheel: {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

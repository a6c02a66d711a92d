"""Each planted bad deploy file (tests/planted/) must fail its schema check: proof the check can fail.

Run by ``nox -s lint`` after pre-commit's hooks validate the real files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def schema(planted: Path) -> str:
    return "vendor.readthedocs" if planted.name.startswith("readthedocs") else "vendor.github-workflows"


def main() -> int:
    planted = sorted((ROOT / "tests" / "planted").glob("*.y*ml"))
    passed = []
    for path in planted:
        command = ["check-jsonschema", "--builtin-schema", schema(path), str(path)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            passed.append(path.relative_to(ROOT).as_posix())
        else:
            print(f"{path.relative_to(ROOT).as_posix()}: rejected, as it should be")
    if not planted or passed:
        print(f"invalid but passed the schema check: {passed or 'no planted files found'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

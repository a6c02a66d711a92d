"""``python -m viewcopy check``: see :mod:`viewcopy._check`."""

import sys

from ._check import main

sys.exit(main())

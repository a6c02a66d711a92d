"""``python -m viewcopy check``: see :mod:`viewcopy.claims.check`."""

import sys

from .claims.check import main

sys.exit(main())

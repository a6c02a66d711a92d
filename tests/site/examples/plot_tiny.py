"""
A tiny script
=============

One claim, in the second section.
"""

import numpy as np

import viewcopy
from viewcopy.claims import claim

a = np.zeros((4, 4))

# %%
# Ravel shares
# ------------
r = viewcopy.expect_view(a, a.ravel())

# %%
# Flatten copies
# --------------
with claim("tiny-flatten-copies", "flatten of this array is a copy"):
    for _ in range(3):  # three lines of evidence, alike: the ledger shows one, with its count
        viewcopy.expect_copy(a, a.flatten())

"""
View vs copy: ``ravel`` against ``flatten``
===========================================

:meth:`numpy.ndarray.ravel` returns a *view* when it can: a new array object
over the same bytes. :meth:`numpy.ndarray.flatten` always returns a *copy*:
new bytes, as many as the source holds. This page measures both.
"""

# %%
# A large source array
# --------------------
# Ten million ``float64`` by default; set ``VIEWCOPY_FULL_SCALE=1`` for the
# article's hundred million.
import os

import matplotlib.pyplot as plt
import numpy as np

import viewcopy

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
a = np.arange(N, dtype=np.float64)
print(f"NumPy {np.__version__}; a holds {a.size:,} float64 = {a.nbytes:,} bytes")

# %%
# Measure what each call allocates
# --------------------------------
# :func:`viewcopy.track` counts the bytes NumPy allocates for data buffers
# inside the block, read from :mod:`tracemalloc`.
with viewcopy.track() as ravel_cost:
    r = viewcopy.expect_view(a, a.ravel())
with viewcopy.track() as flatten_cost:
    f = viewcopy.expect_copy(a, a.flatten())

assert ravel_cost.allocated_bytes == 0
assert flatten_cost.allocated_bytes == a.nbytes
print("ravel:  ", ravel_cost)
print("flatten:", flatten_cost)

# %%
# The figure
# ----------
fig, ax = plt.subplots(figsize=(6, 2.4), layout="constrained")
bars = ax.barh(
    ["ravel()", "flatten()"],
    [ravel_cost.allocated_bytes / 1e6, flatten_cost.allocated_bytes / 1e6],
    color=["#2a9d8f", "#e76f51"],
)
ax.bar_label(
    bars,
    labels=[viewcopy.format_bytes(ravel_cost.allocated_bytes), viewcopy.format_bytes(flatten_cost.allocated_bytes)],
    padding=4,
)
ax.set_xlabel("NumPy bytes allocated (MB), measured with tracemalloc")
ax.set_title(f"Flattening {a.size:,} float64 ({viewcopy.format_bytes(a.nbytes)})")
ax.margins(x=0.2)
plt.show()

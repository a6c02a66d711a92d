"""NumPy memory limits in a test suite: an example to copy as ``tests/test_numpy_memory.py``.

With viewcopy installed, pytest loads its plugin by itself.  The markers
measure the test body only, so the input arrays come from a fixture.
``test_transposed_ravel`` fails on purpose: it is the copy the limit catches.
"""

import numpy as np
import pytest


@pytest.fixture
def frame():
    """A 1000 x 1000 float64 array."""
    return np.arange(1_000_000.0).reshape(1000, 1000)


@pytest.mark.limit_numpy_bytes("1 MB")
def test_ravel(frame):
    flat = frame.ravel()  # C-contiguous: ravel returns a view
    assert flat.size == frame.size


@pytest.mark.limit_numpy_bytes("1 MB")
def test_transposed_ravel(frame):
    flat = frame.T.ravel()  # not C-contiguous: ravel copies
    assert flat.size == frame.size


@pytest.mark.no_numpy_copy
def test_column_block_is_a_view(frame):
    block = frame[:, 10:20]  # basic slicing: a view of the same buffer
    assert np.shares_memory(block, frame)


def test_measure_one_step(frame, viewcopy_tracker):
    with viewcopy_tracker(where=True) as memory:
        doubled = frame + frame  # a new array, as large as frame
        doubled += frame  # in place: nothing new
    assert memory.peak_bytes == frame.nbytes
    assert memory.sites[0].source.startswith("doubled = frame + frame")  # the line that allocated

"""The trap gallery words some claims per NumPy or pandas release: planting the wrong release must fail them.

Each case edits one line of a trap script, as a wrong assumption about the
running release would, runs the script as ``python -m viewcopy check`` does,
and expects the named claim to fail.  The unedited scripts are run by the
site check (tests/test_check.py) and the docs build.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from viewcopy.claims import check as _check

PLANTED = [
    # (script, line to change, how to change it, the claim that must then fail)
    (
        "plot_trap_numpy2_copy_keyword.py",
        'NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"',
        'NUMPY2 = np.lib.NumpyVersion(np.__version__) < "2.0.0"',
        "trap-np2-array-copy-false",
    ),
    (
        "plot_trap_numpy2_copy_keyword.py",
        'RESHAPE_COPY = np.lib.NumpyVersion(np.__version__) >= "2.1.0"',
        'RESHAPE_COPY = np.lib.NumpyVersion(np.__version__) < "2.1.0"',
        "trap-family-reshape-copy-false",  # the first of the page's claims that reads RESHAPE_COPY
    ),
    (
        "plot_trap_hidden_temporaries.py",
        'MATMUL_SCRATCH = np.lib.NumpyVersion(np.__version__) >= "2.3.0"',
        'MATMUL_SCRATCH = np.lib.NumpyVersion(np.__version__) < "2.3.0"',
        "trap-matmul-strided-temporary-by-version",
    ),
    (
        "plot_trap_c_consumers.py",
        'READ_ONLY_EXPORT = np.lib.NumpyVersion(np.__version__) >= "2.1.0"',
        'READ_ONLY_EXPORT = np.lib.NumpyVersion(np.__version__) < "2.1.0"',
        "trap-dlpack-read-only-by-version",
    ),
    (  # a family claim with the wrong condition: the search over layouts must catch it
        "plot_trap_c_consumers.py",
        "            accepted == case.array.flags.c_contiguous,\n",
        "            accepted == case.array.flags.f_contiguous,\n",
        "trap-family-plain-buffer-exactly-when-c-contiguous",
    ),
    (
        "plot_trap_pandas_copy_on_write.py",
        'PANDAS3 = int(pd.__version__.split(".")[0]) >= 3',
        'PANDAS3 = int(pd.__version__.split(".")[0]) < 3',
        "trap-pandas-lends-buffer-not-writeable",
    ),
]


@pytest.mark.parametrize(("script", "line", "planted", "claim_id"), PLANTED, ids=[p[3] for p in PLANTED])
def test_a_planted_wrong_release_fails_its_claim(tmp_path, script, line, planted, claim_id):
    if "pandas" in script:
        pytest.importorskip("pandas")
    source = (ROOT / "examples" / script).read_text(encoding="utf-8")
    assert source.count(line) == 1, f"{script} no longer has the line this test edits: {line}"
    copy = tmp_path / script
    copy.write_text(source.replace(line, planted), encoding="utf-8")
    with pytest.raises(Exception) as caught, _check._without_plotting():  # any failure; the note names the claim
        _check._run(copy)
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert re.search(rf"viewcopy claim '{claim_id}' failed", notes), (type(caught.value), caught.value, notes)

"""The boundary pages (examples/plot_boundary_*.py): each says which meter it reads, and its checks can fail.

Each planted case edits one line of a page, as a wrong belief about a library
or a meter would, runs the page as ``python -m viewcopy check`` does (in a
fresh process), and expects the named claim to fail.  The unedited pages are run by the site check
(tests/test_check.py) and the docs build.  The pages read the kernel's
accounting from /proc: Linux only.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest
from conftest import ROOT

# once: the docs build runs the pages themselves under every release; these plant failures in them
pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="the boundary pages read /proc (Linux)"),
    pytest.mark.once,
]

PAGES = {
    # page: (the modules it needs beyond NumPy, the meters its docstring must name)
    "plot_boundary_csv_pandas.py": (("pandas", "pyarrow", "memray"), ("resident", "memray", "viewcopy.track")),
    "plot_boundary_arrow.py": (("pandas", "pyarrow"), ("pa.total_allocated_bytes()", "resident", "viewcopy.track")),
    "plot_boundary_polars.py": (("polars",), ("resident", "viewcopy.track")),
    "plot_boundary_files.py": ((), ("RssAnon", "RssFile", "viewcopy.track")),
    "plot_boundary_workers.py": (("joblib", "cloudpickle"), ("/proc/self/pagemap", "/proc/self/smaps", "Pss")),
}

PLANTED = [
    # (page, line to change, how to change it, the claim that must then fail)
    (  # the wrong pandas release: copy-on-write decides whether the lent block is writeable
        "plot_boundary_csv_pandas.py",
        'PANDAS3 = int(pd.__version__.split(".")[0]) >= 3',
        'PANDAS3 = int(pd.__version__.split(".")[0]) < 3',
        "csv-frame-to-numpy-f-shared",
    ),
    (  # a belief that memray sees Arrow's pool
        "plot_boundary_csv_pandas.py",
        'arrow["memray"] < arrow["resident"] / 2,',
        'arrow["memray"] >= arrow["resident"] / 2,',
        "csv-memray-misses-arrow-pool",
    ),
    (  # a belief that an untouched buffer is resident
        "plot_boundary_arrow.py",
        '("allocated", True, False),',
        '("allocated", True, True),',
        "arrow-pool-beside-resident",
    ),
    (  # a belief that NumPy's handler sees Arrow's copies
        "plot_boundary_arrow.py",
        'c.check(numpy_seen.allocated_bytes == 0, f"viewcopy.track: {numpy_seen}")',
        'c.check(numpy_seen.allocated_bytes >= filled.nbytes, f"viewcopy.track: {numpy_seen}")',
        "arrow-to-numpy-nulls-copy-in-arrow-pool",
    ),
    (  # the pool read once the table is dropped: the default's table no longer counts beside its frame
        "plot_boundary_arrow.py",
        (
            "    held = pa.total_allocated_bytes()  # the table still referenced: with self_destruct, its buffers are gone\n"
            "    del source\n"
        ),
        "    del source\n    held = pa.total_allocated_bytes()\n",
        "arrow-self-destruct-frees-the-table",
    ),
    (  # a belief that NumPy's handler sees Polars' copies
        "plot_boundary_polars.py",
        'c.check(numpy_seen.allocated_bytes == 0, f"NumPy\'s handler: {numpy_seen}")',
        'c.check(numpy_seen.allocated_bytes >= joined.nbytes, f"NumPy\'s handler: {numpy_seen}")',
        "polars-chunked-to-numpy-copy-unseen-by-track",
    ),
    (  # a belief that a C-ordered matrix comes out of DataFrame.to_numpy() by default
        "plot_boundary_polars.py",
        'c.check(f_matrix.flags.f_contiguous, f"default: F-contiguous {f_matrix.flags.f_contiguous}")',
        'c.check(f_matrix.flags.c_contiguous, f"default: F-contiguous {f_matrix.flags.f_contiguous}")',
        "polars-frame-to-numpy-f-copy",
    ),
    (  # a belief that mm.copy() is a plain ndarray
        "plot_boundary_files.py",
        'c.check(type(copied) is np.memmap, f"mm.copy(): {type(copied).__name__}")',
        'c.check(type(copied) is np.ndarray, f"mm.copy(): {type(copied).__name__}")',
        "files-copy-is-a-memmap-in-ram",
    ),
    (  # a write through mode 'c' planted where the claim says nothing is private
        "plot_boundary_files.py",
        'shared["RssAnon"] < written * row_bytes / 2,',
        'private["RssAnon"] < written * row_bytes / 2,',
        "files-mode-r-plus-writes-the-file",
    ),
    (  # workers that write where the claim says they only read
        "plot_boundary_workers.py",
        'reports["fork, read"] = pool.map_async(in_worker_inherited, [0] * WORKERS).get(TIMEOUT)',
        'reports["fork, read"] = pool.map_async(in_worker_inherited, [share] * WORKERS).get(TIMEOUT)',
        "workers-fork-read-dirties-nothing",
    ),
    (  # joblib told not to memory-map: the claim that it does must fail
        "plot_boundary_workers.py",
        'for max_nbytes in ("1M", None):',
        "for max_nbytes in (None, None):",
        "workers-joblib-memmaps-large-arguments",
    ),
]


def _needs(page):
    for module in PAGES[page][0]:
        pytest.importorskip(module)


def _claims(page):
    """The ids of the claims a page makes, read from its source (the first argument of each claim(...) call)."""
    tree = ast.parse((ROOT / "examples" / page).read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "claim"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_the_boundary_pages_make_forty_claims_or_more():
    counts = {page: len(_claims(page)) for page in PAGES}
    assert sum(counts.values()) >= 40, counts
    assert min(counts.values()) >= 5, counts
    ids = [claim_id for page in PAGES for claim_id in _claims(page)]
    assert len(ids) == len(set(ids)), sorted(claim_id for claim_id in ids if ids.count(claim_id) > 1)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_names_the_meters_it_reads(page):
    docstring = ast.get_docstring(ast.parse((ROOT / "examples" / page).read_text(encoding="utf-8")))
    missing = [meter for meter in PAGES[page][1] if meter not in docstring]
    assert not missing, f"{page}'s docstring does not say it measures with {missing}"


@pytest.mark.parametrize(("page", "line", "planted", "claim_id"), PLANTED, ids=[p[3] for p in PLANTED])
def test_a_planted_wrong_belief_fails_its_claim(tmp_path, page, line, planted, claim_id):
    _needs(page)
    source = (ROOT / "examples" / page).read_text(encoding="utf-8")
    assert source.count(line) == 1, f"{page} no longer has the line this test edits: {line}"
    assert claim_id in _claims(page)
    copy = tmp_path / page
    copy.write_text(source.replace(line, planted), encoding="utf-8")
    # A fresh process, as the page gets in the build: an allocator that kept memory freed by an earlier run in this
    # process (Polars' does) would hide new allocations from the kernel's resident counts.
    run = (
        "import pathlib, sys\nfrom viewcopy.claims import check\n"
        "with check._without_plotting():\n    check._run(pathlib.Path(sys.argv[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", run, str(copy)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0, done.stdout[-2000:]
    assert re.search(rf"viewcopy claim '{claim_id}' failed", done.stderr), done.stderr[-3000:]


BIG_PROCESS = """
import pathlib, sys
import numpy as np
from viewcopy.claims import check
# As in a docs build after other pages: arrays below glibc's 32 MB mmap ceiling, freed, raise malloc's mmap threshold,
# so the next large buffers come from the heap's free top, inside the mapping [heap] with other allocations.
for _ in range(3):
    held = [np.ones(3_900_000) for _ in range(12)]
    del held
with check._without_plotting():
    check._run(pathlib.Path(sys.argv[1]))
"""


def test_the_workers_page_holds_in_a_big_process():
    """The build once failed here: in sphinx-gallery's process the workers' copies sat in [heap], whose figures are
    not the array's.  The page reads the array's own pages, so it holds there; the run shows the heap was used."""
    _needs("plot_boundary_workers.py")
    page = ROOT / "examples" / "plot_boundary_workers.py"
    done = subprocess.run(
        [sys.executable, "-c", BIG_PROCESS, str(page)], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "in the heap" in done.stdout, done.stdout[-3000:]

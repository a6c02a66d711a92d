"""
Boundary: arrays in worker processes, copies per task and shared pages
======================================================================

A worker process has its own memory. An array passed to it as an argument
of ``multiprocessing`` or ``concurrent.futures`` is *pickled*: every task
gets its own copy, in the worker's own (anonymous, private) memory.
``multiprocessing.shared_memory`` puts the array in pages every process
maps. A forked worker starts with its parent's pages, shared until someone
writes (copy-on-write). joblib dumps a large argument to a file once and
hands each worker a read-only memory map of it.

None of that can be measured from the parent: it is measured **in the
workers**, with the kernel's accounting of the pages that hold the
argument's buffer in each worker (Linux, ``/proc/self/smaps``): where the
buffer lives, how many of its pages are anonymous, the worker's
proportional share of them, ``Pss`` (a shared page is divided among the
processes that map it, so the ``Pss`` of all processes adds up to the
memory really used), and how many of them the task made private by
writing. Two workers, small pools, four tasks.
"""

# %%
import concurrent.futures
import contextlib
import multiprocessing
import os
import sys
import time
import types
import warnings
from multiprocessing import shared_memory

import cloudpickle
import joblib
import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim

N = 50_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 5_000_000
WORKERS, TASKS, TIMEOUT = 2, 4, 60
print(f"NumPy {np.__version__}, joblib {joblib.__version__}, Python {sys.version.split()[0]}")

data = np.random.default_rng(0).random(N)
print(f"the array: {N:,} float64, {viewcopy.format_bytes(data.nbytes)}")

# %%
# ``multiprocessing`` pickles its tasks' functions *by name*, and a forked
# worker looks the name up in the modules it inherited. This script may be
# run by ``exec`` (the docs build, ``python -m viewcopy check``), where its
# functions are in no module, so it registers them in one, before any pool
# forks. joblib's workers are new processes that cannot import that module:
# joblib's pickler, cloudpickle, is told to send its functions by value.
_workers = sys.modules.setdefault("_viewcopy_workers_page", types.ModuleType("_viewcopy_workers_page"))


def by_name(function):
    function.__module__ = _workers.__name__
    setattr(_workers, function.__qualname__, function)
    return function


cloudpickle.register_pickle_by_value(_workers)


# %%
# What each worker reports
# ------------------------
# ``in_worker`` runs inside the worker: it sums the array (touching every
# page), optionally writes some rows, waits for the other worker to do the
# same, and returns the kernel's figures.


def buffer_mapping(array):
    """The mappings that hold the array's buffer, from /proc/self/smaps: the first one's path ('' if anonymous) and
    their page counts, summed (the kernel may split one allocation into several mappings, as for huge pages)."""
    low = array.__array_interface__["data"][0]
    high = low + array.nbytes
    found, inside = {}, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header: range, perms, ..., path
                start, end = (int(bound, 16) for bound in fields[0].split("-"))
                inside = start < high and low < end
                if inside:
                    found.setdefault("path", fields[5] if len(fields) > 5 else "")
            elif inside and line.rstrip().endswith(" kB"):
                key = fields[0].rstrip(":")
                found[key] = found.get(key, 0) + int(fields[1]) * 1024
    return found


@by_name
def in_worker(array, write_rows=0):
    before = buffer_mapping(array)
    total = float(array.sum())
    if write_rows:
        array[:write_rows] = 0.0
    # Pss divides a page among the processes mapping it *now*: wait until the other worker has touched its pages too
    time.sleep(0.1)
    mapping = buffer_mapping(array)
    return {
        "pid": os.getpid(),
        "path": mapping["path"],
        "type": type(array).__name__,
        "writeable": bool(array.flags.writeable),
        "anonymous": mapping["Anonymous"],  # the buffer's mapping: anonymous pages
        "pss": mapping["Pss"],  # the buffer's mapping: this process's share of its pages
        "dirtied": mapping["Private_Dirty"] - before["Private_Dirty"],  # the buffer's pages made private by the task
        "sum": total,
    }


fork = multiprocessing.get_context("fork")  # copy-on-write needs fork (Linux); the other sections only need a pool


@contextlib.contextmanager
def forking():
    """Fork workers inside this block without Python 3.12's warning that forking a process with threads may deadlock.

    Other pages of the site start Arrow's and Polars' thread pools in this process. The workers here run NumPy and
    read /proc, and every result waits at most TIMEOUT seconds, so a hang would fail the page, not stall the build.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r".*multi-threaded, use of fork\(\)", DeprecationWarning)
        yield


def forked_pool():
    with forking():
        return fork.Pool(WORKERS)


def show(name, reports):
    for r in reports:
        where = "anonymous memory" if not r["path"] else r["path"].rsplit("/", 1)[0] + "/..."
        print(f"{name:26} pid {r['pid']}: {r['type']:7} writeable {r['writeable']!s:5} in {where}: its pages "
              f"{viewcopy.format_bytes(r['anonymous']):>8} anonymous, Pss {viewcopy.format_bytes(r['pss']):>8}; "
              f"task dirtied {viewcopy.format_bytes(r['dirtied'])}")  # fmt: skip


expected_sum = float(data.sum())
reports = {}

# %%
# Pickled arguments: a copy per task
# ----------------------------------
# Both pools below pickle ``data`` into each task's message; the worker
# unpickles a private copy, uses it and frees it.
with forked_pool() as pool:
    reports["multiprocessing.Pool"] = pool.map_async(in_worker, [data] * TASKS).get(TIMEOUT)
with forking(), concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=fork) as executor:  # forks on submit
    futures = [executor.submit(in_worker, data) for _ in range(TASKS)]
    reports["ProcessPoolExecutor"] = [future.result(TIMEOUT) for future in futures]
for name in ("multiprocessing.Pool", "ProcessPoolExecutor"):
    show(name, reports[name])
with claim(
    "workers-pickled-argument-private-copy-per-task",
    f"this array, passed to multiprocessing.Pool.map or ProcessPoolExecutor.submit, arrives in each of the {TASKS} "
    "tasks as a copy in the worker's anonymous memory, the worker's own (its Pss is at least the array's size)",
) as c:
    for name in ("multiprocessing.Pool", "ProcessPoolExecutor"):
        for r in reports[name]:
            c.check(
                r["path"] == ""
                and r["anonymous"] >= data.nbytes
                and r["pss"] >= data.nbytes
                and r["sum"] == expected_sum,
                f"{name}, pid {r['pid']}: anonymous {viewcopy.format_bytes(r['anonymous'])}, Pss "
                f"{viewcopy.format_bytes(r['pss'])} for a {viewcopy.format_bytes(data.nbytes)} array",
            )

# %%
# ``multiprocessing.shared_memory``: one buffer, every process
# ------------------------------------------------------------
# The parent copies the array once into a shared block; a task receives
# only the block's *name* and wraps it in an ndarray, which copies nothing.


@by_name
def in_worker_shared(name, shape):
    block = shared_memory.SharedMemory(name=name)
    try:
        array = np.ndarray(shape, dtype=np.float64, buffer=block.buf)
        report = in_worker(array)
        del array  # the block cannot close while an array still exports its buffer
    finally:
        block.close()
    return report


block = shared_memory.SharedMemory(create=True, size=data.nbytes)
try:
    np.ndarray(data.shape, dtype=data.dtype, buffer=block.buf)[:] = data
    with forked_pool() as pool:
        reports["shared_memory"] = pool.starmap_async(in_worker_shared, [(block.name, data.shape)] * TASKS).get(TIMEOUT)
finally:
    block.close()
    block.unlink()
show("shared_memory", reports["shared_memory"])
with claim(
    "workers-shared-memory-no-copy",
    f"this array in multiprocessing.shared_memory is read in place by each of the {TASKS} tasks: its buffer is the "
    "block's file in /dev/shm, with no anonymous page, and each worker's share of it (Pss) is below the array's size",
) as c:
    for r in reports["shared_memory"]:
        c.check(
            r["path"] == f"/dev/shm/{block.name}"
            and r["anonymous"] == 0
            and r["pss"] < data.nbytes
            and r["sum"] == expected_sum,
            f"pid {r['pid']}: buffer in {r['path']}, anonymous {viewcopy.format_bytes(r['anonymous'])}, "
            f"Pss {viewcopy.format_bytes(r['pss'])}",
        )

# %%
# Fork and copy-on-write
# ----------------------
# A forked worker inherits ``data`` without any message: its pages are the
# parent's until a write. Reading dirties none of them; writing 10% of the
# rows gives the worker private copies of just those pages.
share = N // 10


@by_name
def in_worker_inherited(write_rows):
    return in_worker(data, write_rows)


with forked_pool() as pool:
    reports["fork, read"] = pool.map_async(in_worker_inherited, [0] * WORKERS).get(TIMEOUT)
with forked_pool() as pool:
    reports["fork, write 10%"] = pool.map_async(in_worker_inherited, [share] * WORKERS).get(TIMEOUT)
show("fork, read", reports["fork, read"])
show("fork, write 10%", reports["fork, write 10%"])
with claim(
    "workers-fork-read-dirties-nothing",
    "a forked worker reads its parent's array in place: summing it makes none of the array's pages private, and "
    "the worker shares them with its parent (Pss below the array's size)",
) as c:
    for r in reports["fork, read"]:
        c.check(
            r["path"] == "" and r["dirtied"] == 0 and r["pss"] < data.nbytes and r["sum"] == expected_sum,
            f"pid {r['pid']}: dirtied {viewcopy.format_bytes(r['dirtied'])} of {viewcopy.format_bytes(data.nbytes)}, "
            f"Pss of its pages {viewcopy.format_bytes(r['pss'])} (shared with the parent)",
        )
with claim(
    "workers-fork-write-dirties-written-pages",
    "a forked worker that writes 10% of its parent's array gets private copies of between 10% and 11% of the "
    "array's bytes",
) as c:
    for r in reports["fork, write 10%"]:
        c.check(
            share * 8 <= r["dirtied"] <= 0.11 * data.nbytes,
            f"pid {r['pid']}: dirtied {viewcopy.format_bytes(r['dirtied'])} for {viewcopy.format_bytes(share * 8)} "
            "written",
        )
with claim(
    "workers-fork-write-leaves-parent",
    "the forked workers' writes do not reach the parent's array",
) as c:
    c.check(bool((data[:share] != 0).all()), f"the parent's first {share:,} values are not zero")

# %%
# joblib: large arguments become memory maps
# ------------------------------------------
# ``joblib.Parallel`` (its default ``loky`` workers) dumps an argument larger
# than ``max_nbytes`` (1 MB by default) to a file once, and every task gets
# a read-only ``np.memmap`` of it; ``max_nbytes=None`` turns this off, and
# every task unpickles a copy again. The file's pages are shared by the
# workers only while they map it: each task maps it and unmaps it when it
# ends, so a task that runs alone has the pages to itself (its ``Pss`` is
# the whole array), as some of the figures printed here may show.
for max_nbytes in ("1M", None):
    name = f"joblib, max_nbytes={max_nbytes!r}"
    parallel = joblib.Parallel(n_jobs=WORKERS, max_nbytes=max_nbytes, timeout=TIMEOUT)
    reports[name] = parallel(joblib.delayed(in_worker)(data) for _ in range(TASKS))
    show(name, reports[name])
with claim(
    "workers-joblib-memmaps-large-arguments",
    f"with joblib {joblib.__version__}, this array (above max_nbytes) reaches each of the "
    f"{TASKS} tasks as an np.memmap of a file joblib wrote, not writeable, with no anonymous page",
) as c:
    for r in reports["joblib, max_nbytes='1M'"]:
        c.check(
            r["type"] == "memmap"
            and not r["writeable"]
            and "joblib" in r["path"]
            and r["anonymous"] == 0
            and r["sum"] == expected_sum,
            f"pid {r['pid']}: {r['type']}, writeable {r['writeable']}, buffer in {r['path']}, "
            f"anonymous {viewcopy.format_bytes(r['anonymous'])}",
        )
with claim(
    "workers-joblib-max-nbytes-none-copies",
    f"with joblib {joblib.__version__} and max_nbytes=None, each of the {TASKS} tasks gets a copy of this array in "
    "anonymous memory",
) as c:
    for r in reports["joblib, max_nbytes=None"]:
        c.check(
            r["path"] == "" and r["type"] == "ndarray" and r["anonymous"] >= data.nbytes,
            f"pid {r['pid']}: {r['type']}, anonymous {viewcopy.format_bytes(r['anonymous'])}",
        )

# %%
# Per worker and in total
# -----------------------
# ``Pss`` divides each shared page among the processes that map it, so the
# workers' figures add up: the memory the array's pages cost the workers
# together (each worker counted once, at its largest figure).


def workers_total(name):
    largest = {}
    for r in reports[name]:
        largest[r["pid"]] = max(largest.get(r["pid"], 0), r["pss"])
    return len(largest), sum(largest.values())


totals = {name: workers_total(name) for name in reports}
for name, (workers, total) in totals.items():
    print(f"{name:26} {workers} worker(s): the array's pages cost them {viewcopy.format_bytes(total)} in all")
with claim(
    "workers-shared-memory-total-below-copies",
    "summed over the workers, the shared_memory block's pages cost at most one copy of the array (the parent maps "
    "them too), and the pickled copies at least one copy per worker",
) as c:
    workers, total = totals["shared_memory"]
    c.check(total <= data.nbytes, f"shared_memory: {workers} workers, {viewcopy.format_bytes(total)}")
    for name in ("multiprocessing.Pool", "ProcessPoolExecutor"):
        workers, total = totals[name]
        c.check(total >= workers * data.nbytes, f"{name}: {workers} workers, {viewcopy.format_bytes(total)}")

# %%
# The figure: what the array's pages cost each worker
# ---------------------------------------------------
# One meter for all (the ``Pss`` of the mapping that holds the array's
# buffer, in the worker, as the kernel counts it), as a multiple of the
# array's size; one dot per task.
fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
names = list(reports)
for row, name in enumerate(names):
    ax.scatter([r["pss"] / data.nbytes for r in reports[name]], [row] * len(reports[name]), color="#264653")
ax.set_yticks(range(len(names)), names, fontsize=8)
ax.axvline(1, color="grey", linestyle=":")
ax.set_xlim(0, 1.1)
ax.set_xlabel("Pss of the array's pages in the worker / array size (/proc/self/smaps)")
ax.set_title(f"{WORKERS} workers, {viewcopy.format_bytes(data.nbytes)} array")
ax.invert_yaxis()
plt.show()

"""
Boundary: arrays in worker processes, copies per task and shared pages
======================================================================

Four ways of handing an array to worker processes: as an argument of
``multiprocessing`` or ``concurrent.futures`` (pickled into each task's
message), through ``multiprocessing.shared_memory``, by inheritance in a
forked worker, and as an argument of ``joblib``. What each costs is
measured **in the workers**, with the kernel's accounting of the array's
pages there (Linux): ``/proc/self/pagemap`` tells, page by page, whether a
page is resident, whether it is a file's and whether this process alone
maps it; ``/proc/self/smaps`` tells which mapping holds the buffer, and its
``Pss`` (the kernel divides a page among the processes that map it, so the
``Pss`` of all processes adds up to the memory used). Two workers, small
pools, four tasks.
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
# page), optionally writes some rows, pauses for 0.1 s (so that the other
# worker is likely to be at work at the same time; nothing below depends on
# it), and returns the kernel's figures for the array's own pages.
#
# Two readings, each for what it can tell. ``/proc/self/pagemap`` has one
# entry per page of the process: whether it is resident, whether it is a
# file's page (a ``/dev/shm`` block or a file on disk), and whether this
# process is the only one that maps it. Read over the pages inside the
# array's buffer, it tells exactly how much of the array the worker holds
# privately, wherever ``malloc`` put the buffer. ``/proc/self/smaps`` gives
# the mapping that holds the buffer: its path and its ``Pss``. That mapping
# is the array's alone only when it is a file's (the ``shared_memory``
# block, joblib's file): an anonymous buffer may sit inside a larger
# mapping with other data (in a process that has released many arrays,
# ``malloc`` serves a new one from its heap, ``[heap]``), so its ``Pss`` is
# used for files only.
PAGE = os.sysconf("SC_PAGE_SIZE")
# Why these readings and not viewcopy.track's meters: every meter of track (NumPy's handler, memray, the resident
# peak) counts the process that runs the block, here the parent, never the workers' memory; and none of them tells
# whether a page is shared with another process or a private copy. pagemap and smaps, read inside each worker, tell
# both.


def buffer_pages(array):
    """The array's own pages (those wholly inside its buffer), from /proc/self/pagemap: how many, and how many are
    resident, a file's (shared memory or a file on disk), and private (anonymous and mapped by this process alone)."""
    low = array.__array_interface__["data"][0]
    first, end = -(-low // PAGE), (low + array.nbytes) // PAGE
    with open("/proc/self/pagemap", "rb") as pagemap:
        pagemap.seek(first * 8)
        entries = np.frombuffer(pagemap.read((end - first) * 8), dtype="<u8")
    resident, exclusive, file = (entries >> 63) & 1, (entries >> 56) & 1, (entries >> 61) & 1
    return {
        "first_page": first,
        "pages": len(entries),
        "resident": int(resident.sum()),
        "file": int((resident & file).sum()),
        "private": int((resident & exclusive & (1 - file)).sum()),
    }


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
    total = float(array.sum())
    if write_rows:
        array[:write_rows] = 0.0
    # Pss divides a page among the processes mapping it *now*: wait until the other worker has touched its pages too
    time.sleep(0.1)
    mapping, pages = buffer_mapping(array), buffer_pages(array)
    return {
        "pid": os.getpid(),
        "path": mapping["path"],  # the mapping that holds the buffer: '' if anonymous, '[heap]', or a file
        "type": type(array).__name__,
        "writeable": bool(array.flags.writeable),
        "pss": mapping["Pss"],  # that mapping's share in this process (the array's alone when it is a file's)
        "rss": mapping["Rss"],  # that mapping's resident pages, whole (a file's: the file rounded up to pages)
        **pages,
        "sum": total,
    }


fork = multiprocessing.get_context("fork")  # copy-on-write needs fork (Linux); the other sections only need a pool


@contextlib.contextmanager
def forking():
    """Fork workers inside this block without Python 3.12's warning that forking a process with threads may deadlock.

    Other pages of the site start Arrow's and Polars' thread pools in this process. The workers here run NumPy and
    read /proc, and every result waits at most TIMEOUT seconds; then the pool's workers are ended (the Pool's
    with-block terminates them, and the executor's are killed below), so a hang fails the page, not stalls the build.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r".*multi-threaded, use of fork\(\)", DeprecationWarning)
        yield


def forked_pool():
    with forking():
        return fork.Pool(WORKERS)


def size(pages):
    return viewcopy.format_bytes(pages * PAGE)


def show(name, reports):
    for r in reports:
        where = {"": "anonymous memory", "[heap]": "the heap"}.get(
            r["path"], "/".join(r["path"].split("/")[:3]) + "/..."
        )
        print(f"{name:26} pid {r['pid']}: {r['type']:7} writeable {r['writeable']!s:5} in {where}: of its "
              f"{size(r['pages'])}, {size(r['resident']):>8} resident, {size(r['private']):>8} private, "
              f"{size(r['file']):>8} a file's")  # fmt: skip


expected_sum = float(data.sum())
reports = {}

# %%
# Pickled arguments: a copy per task
# ----------------------------------
# Both pools below send ``data`` inside each task's message (pickled), one
# task per message (``chunksize=1``; by default ``Pool.map`` may put several
# tasks in one message);
# :claim:`workers-pickled-argument-private-copy-per-task`
with forked_pool() as pool:
    reports["multiprocessing.Pool"] = pool.map_async(in_worker, [data] * TASKS, chunksize=1).get(TIMEOUT)
with forking():  # the executor forks on submit
    executor = concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=fork)
    try:
        futures = [executor.submit(in_worker, data) for _ in range(TASKS)]
        reports["ProcessPoolExecutor"] = [future.result(TIMEOUT) for future in futures]
    except concurrent.futures.TimeoutError:
        for process in list(executor._processes.values()):  # a hung worker: shutdown() would wait for it for ever
            process.kill()
        raise
    finally:
        executor.shutdown(cancel_futures=True)
for name in ("multiprocessing.Pool", "ProcessPoolExecutor"):
    show(name, reports[name])


def check_sum(c, name, r):
    c.check(r["sum"] == expected_sum, f"{name}, pid {r['pid']}: the task's sum {r['sum']!r}, the parent's "
            f"{expected_sum!r}")  # fmt: skip


with claim(
    "workers-pickled-argument-private-copy-per-task",
    f"this array, passed to multiprocessing.Pool.map or ProcessPoolExecutor.submit, arrives in each of the {TASKS} "
    "tasks as a copy of its own: its pages in the worker are private anonymous memory, each mapped by that worker "
    "alone (/proc/self/pagemap, read in the worker).",
) as c:
    for name in ("multiprocessing.Pool", "ProcessPoolExecutor"):
        for r in reports[name]:
            c.check(
                r["private"] == r["pages"],
                f"{name}, pid {r['pid']}: {r['private']:,} of the array's {r['pages']:,} pages private",
            )
            check_sum(c, name, r)

# %%
# ``multiprocessing.shared_memory``: one buffer, every process
# ------------------------------------------------------------
# The parent fills a ``shared_memory`` block once; a task receives only the
# block's *name* and wraps it in an ndarray.
# :claim:`workers-shared-memory-no-copy`


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
    "block's file in /dev/shm, its pages are the block's, none is private (/proc/self/pagemap and smaps, read in "
    "the worker), and each worker's share of the block (Pss) is below the array's size.",
) as c:
    for r in reports["shared_memory"]:
        c.check(r["path"] == f"/dev/shm/{block.name}", f"pid {r['pid']}: the buffer's mapping is {r['path']!r}")
        c.check(r["file"] == r["pages"], f"pid {r['pid']}: {r['file']:,} of {r['pages']:,} pages the block's")
        c.check(r["private"] == 0, f"pid {r['pid']}: {r['private']:,} pages private")
        c.check(
            r["pss"] < data.nbytes,
            f"pid {r['pid']}: Pss {viewcopy.format_bytes(r['pss'])}, array {viewcopy.format_bytes(data.nbytes)}",
        )
        check_sum(c, "shared_memory", r)

# %%
# Fork and copy-on-write
# ----------------------
# A forked worker inherits ``data`` without any message.
# :claim:`workers-fork-read-dirties-nothing`
# :claim:`workers-fork-write-dirties-written-pages`
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
    "a forked worker reads its parent's array in place: after summing it, the array's pages are resident in "
    "the worker and none is private (each is still the parent's page, shared; /proc/self/pagemap, read in the "
    "worker).",
) as c:
    for r in reports["fork, read"]:
        c.check(r["resident"] == r["pages"], f"pid {r['pid']}: {r['resident']:,} of {r['pages']:,} pages resident")
        c.check(r["private"] == 0, f"pid {r['pid']}: {r['private']:,} of {r['pages']:,} pages private")
        check_sum(c, "fork, read", r)
with claim(
    "workers-fork-write-dirties-written-pages",
    "a forked worker that writes the first 10% of its parent's array gets private copies of the pages it wrote, and "
    "of no more than 11% of the array's pages in all (/proc/self/pagemap, read in the worker).",
) as c:
    for r in reports["fork, write 10%"]:
        # the array's whole pages that hold a written value
        written = -(-(data.__array_interface__["data"][0] + share * data.itemsize) // PAGE) - r["first_page"]
        c.check(
            written <= r["private"] <= 0.11 * r["pages"],
            f"pid {r['pid']}: {r['private']:,} pages private, {written:,} written, of {r['pages']:,} (11%: "
            f"{0.11 * r['pages']:,.0f})",
        )
with claim(
    "workers-fork-write-leaves-parent",
    "the forked workers' writes do not reach the parent's array.",
) as c:
    c.check(bool((data[:share] != 0).all()), f"the parent's first {share:,} values are not zero")

# %%
# joblib: large arguments become memory maps
# ------------------------------------------
# ``joblib.Parallel`` (its default ``loky`` workers) is asked twice: with
# its default ``max_nbytes='1M'`` and with ``max_nbytes=None``.
# :claim:`workers-joblib-memmaps-large-arguments`
# :claim:`workers-joblib-max-nbytes-none-copies`
for max_nbytes in ("1M", None):
    name = f"joblib, max_nbytes={max_nbytes!r}"
    parallel = joblib.Parallel(n_jobs=WORKERS, max_nbytes=max_nbytes, timeout=TIMEOUT)
    reports[name] = parallel(joblib.delayed(in_worker)(data) for _ in range(TASKS))
    show(name, reports[name])
with claim(
    "workers-joblib-memmaps-large-arguments",
    f"with joblib {joblib.__version__}, this array (above max_nbytes) reaches each of the {TASKS} tasks as an "
    "np.memmap of a file joblib wrote, not writeable, its pages the file's and none private (/proc/self/pagemap and "
    "smaps, read in the worker).",
) as c:
    for r in reports["joblib, max_nbytes='1M'"]:
        c.check(r["type"] == "memmap", f"pid {r['pid']}: {r['type']}")
        c.check(not r["writeable"], f"pid {r['pid']}: writeable {r['writeable']}")
        c.check("joblib" in r["path"], f"pid {r['pid']}: the buffer's mapping is {r['path']!r}")
        c.check(r["file"] == r["pages"], f"pid {r['pid']}: {r['file']:,} of {r['pages']:,} pages the file's")
        c.check(r["private"] == 0, f"pid {r['pid']}: {r['private']:,} pages private")
        check_sum(c, "joblib", r)
with claim(
    "workers-joblib-max-nbytes-none-copies",
    f"with joblib {joblib.__version__} and max_nbytes=None, each of the {TASKS} tasks gets this array as an ndarray "
    "of its own: its pages private anonymous memory (/proc/self/pagemap, read in the worker).",
) as c:
    for r in reports["joblib, max_nbytes=None"]:
        c.check(r["type"] == "ndarray", f"pid {r['pid']}: {r['type']}")
        c.check(r["private"] == r["pages"], f"pid {r['pid']}: {r['private']:,} of {r['pages']:,} pages private")

# %%
# Per worker and in total
# -----------------------
# Each worker is counted once, at its largest figure.
# :claim:`workers-shared-memory-total-below-copies`


def workers_total(name, key):
    """(workers, the sum of `key`, the sum of their array's pages) over each worker's task with the largest `key`
    (a copy's whole pages are 9,764 or 9,765 as malloc places it, so each worker's own count is the one to compare)."""
    largest = {}
    for r in reports[name]:
        if r["pid"] not in largest or r[key] > largest[r["pid"]][key]:
            largest[r["pid"]] = r
    return len(largest), sum(r[key] for r in largest.values()), sum(r["pages"] for r in largest.values())


totals = {name: workers_total(name, "private") for name in reports}
for name, (workers, total, _) in totals.items():
    print(f"{name:26} {workers} worker(s): {size(total)} of private copies in all")
shared_workers, shared_pss, _ = workers_total("shared_memory", "pss")
print(f"shared_memory: {shared_workers} worker(s), Pss of the block {viewcopy.format_bytes(shared_pss)} in all")
with claim(
    "workers-shared-memory-total-below-copies",
    "summed over the workers, the shared_memory block that holds this array costs them at most its own pages once "
    "(Pss; the parent maps it too), and the pickled array one private copy per worker (/proc/self/pagemap).",
) as c:
    block_pages = max(r["rss"] for r in reports["shared_memory"])  # one copy: the block, rounded up to whole pages
    c.check(
        shared_pss <= block_pages,
        f"shared_memory: {shared_workers} workers, Pss {shared_pss:,} B in all, the block's pages {block_pages:,} B "
        f"(the array {data.nbytes:,} B)",
    )
    for name in ("multiprocessing.Pool", "ProcessPoolExecutor"):
        workers, total, pages = totals[name]
        c.check(
            total == pages,
            f"{name}: {workers} workers, {total:,} pages private in all, their arrays' whole pages {pages:,}",
        )

# %%
# The figure: each worker's private copy
# --------------------------------------
# One meter for all (the array's pages that are private anonymous memory
# of the worker, from ``/proc/self/pagemap``), as a fraction of the array's
# pages; one dot per task.
fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
names = list(reports)
for row, name in enumerate(names):
    ax.scatter([r["private"] / r["pages"] for r in reports[name]], [row] * len(reports[name]), color="#264653")
ax.set_yticks(range(len(names)), names, fontsize=8)
ax.axvline(1, color="grey", linestyle=":")
ax.set_xlim(0, 1.1)
ax.set_xlabel("the array's pages private to the worker / the array's pages (/proc/self/pagemap)")
ax.set_title(f"{WORKERS} workers, {viewcopy.format_bytes(data.nbytes)} array")
ax.invert_yaxis()
plt.show()

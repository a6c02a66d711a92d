"""
Dask: the same traps, measured per task on a cluster
====================================================

When one machine's memory is not enough, a Dask array splits the data into
chunks and a cluster of workers runs one task per chunk. Does the
view-or-copy question come back in a new form? On this page's array ``x``:
:claim:`dask-numpy-reshape-views`, while
:claim:`dask-reshape-column-chunks-rechunks`. This page runs a
``distributed.LocalCluster`` with two worker processes and measures each task
with :func:`viewcopy.dask.track_tasks`, grouped by task kind (the key's
prefix, such as ``rechunk-merge``).
"""

# %%
# The cluster
# -----------
# Two worker processes with one thread each and a memory limit, no
# dashboard, quiet logs. :claim:`dask-rechunk-in-tasks` (with
# ``distributed``, Dask may otherwise pick its peer-to-peer method, whose
# transfers run outside tasks). :claim:`dask-profiler-off`: a stack the
# profiler samples holds the locals of the functions in it, so an array a
# task made could outlive the task and be counted as kept.
# ``VIEWCOPY_FULL_SCALE=1`` runs the page on an array ten times larger.
#
# Run as a plain ``python`` script, this file would be imported again by each
# worker process (the ``forkserver`` and ``spawn`` start methods import the
# main script): put the code under ``if __name__ == "__main__":`` there.
import atexit
import collections
import contextlib
import inspect
import logging
import multiprocessing
import os

os.environ["DASK_LOGGING__DISTRIBUTED"] = "error"  # worker processes read this when they start

import dask
import dask.array as da
import distributed
import matplotlib.pyplot as plt
import numpy as np
from dask.core import flatten
from dask.utils import key_split

import viewcopy
import viewcopy.dask
from viewcopy.claims import claim

logging.getLogger("distributed").setLevel(logging.ERROR)
start_method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
dask.config.set(
    {
        "array.rechunk.method": "tasks",
        "distributed.scheduler.work-stealing": False,  # a task runs where its input chunk is
        # the profiler's stack samples can keep a task's temporary alive past the task's end
        "distributed.worker.profile.enabled": False,
        "distributed.worker.multiprocessing-method": start_method,
    }
)
ROWS, COLS = (8, 5_120_000) if os.environ.get("VIEWCOPY_FULL_SCALE") else (8, 512_000)

shutdown = contextlib.ExitStack()  # closed at the end of the page, or at exit if a cell fails
atexit.register(shutdown.close)
cluster = shutdown.enter_context(
    distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="2GB",
        dashboard_address="127.0.0.1:0",  # the scheduler's HTTP server on a free port ...
        scheduler_kwargs={"dashboard": False},  # ... without the dashboard
    )
)
client = shutdown.enter_context(distributed.Client(cluster))
print(f"dask {dask.__version__}, distributed {distributed.__version__}, NumPy {np.__version__}")
for address, worker in client.scheduler_info()["workers"].items():
    print(
        f"worker {address}: {worker['nthreads']} thread, memory limit {viewcopy.format_bytes(worker['memory_limit'])}"
    )

# %%
# A column-chunked array
# ----------------------
# Each chunk holds every row and one eighth of the columns, as a table read
# column by column would be. ``persist`` computes the chunks once and keeps
# them on the workers, so the measurements below are of the operations only.
x = da.random.default_rng(0).random((ROWS, COLS), chunks=(ROWS, COLS // 8)).persist()
distributed.wait(x)
CHUNK = x.nbytes // x.npartitions
numpy_flat = x.compute().reshape(-1)  # what NumPy's reshape(-1) gives, for the order checks
print(f"x: {x.shape} float64, {viewcopy.format_bytes(x.nbytes)} in {x.npartitions} chunks of {x.chunksize}")
with claim("dask-numpy-reshape-views", "NumPy's reshape(-1) of x.compute(), x's values, is a view") as c:
    values = x.compute()
    viewcopy.expect_view(values, values.reshape(-1))
    c.check(
        values.flags.c_contiguous and values.shape == x.shape,
        f"x.compute(): {values.shape}, C-contiguous {values.flags.c_contiguous}",
    )
    del values
with claim("dask-profiler-off", "this page's workers run with Dask's statistical profiler off") as c:
    profiling = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    c.check(set(profiling.values()) == {False}, f"distributed.worker.profile.enabled on the workers: {profiling}")


def measure(arr):
    """Run ``arr``'s graph on the cluster (summed, so nothing large comes back) and return what each task allocated.

    ``optimize_graph=False`` keeps one task per operation, so each task kind
    below is one step of the graph, not a fusion of several.
    """
    with viewcopy.dask.track_tasks(client) as tasks:
        arr.sum().compute(optimize_graph=False)
    return tasks


def kinds(arr, source):
    """Task kinds in ``arr``'s graph and how many of each, without the chunks of the persisted ``source``."""
    given = set(source.__dask_graph__())
    return collections.Counter(key_split(k) for k in arr.__dask_graph__() if k not in given)


def moved(tasks):
    """Bytes allocated by rechunk tasks."""
    return sum(n for prefix, n in tasks.bytes_by_prefix.items() if prefix.startswith("rechunk"))


# %%
# ``reshape`` of column chunks rechunks
# -------------------------------------
# ``x.reshape(-1)`` must keep NumPy's C order: element ``(i, j)`` goes to
# position ``i * COLS + j``. :claim:`dask-reshape-plan`. Both
# `dask#5544 <https://github.com/dask/dask/issues/5544>`_ and
# `dask#8110 <https://github.com/dask/dask/issues/8110>`_ report this plan,
# at a larger scale.
flat = x.reshape(-1)
plan = kinds(flat, x)
with claim(
    "dask-reshape-plan",
    f"no chunk of x holds a whole row ({max(x.chunks[1]):,} of {COLS:,} columns), so x.reshape(-1) rechunks: "
    f"its graph has {plan['rechunk-split']} tasks named rechunk-split and {plan['rechunk-merge']} named "
    "rechunk-merge",
) as c:
    c.check(max(x.chunks[1]) < COLS, f"widest chunk {max(x.chunks[1]):,} columns of {COLS:,}")
    c.check(plan["rechunk-split"] > 0 and plan["rechunk-merge"] > 0, f"task kinds: {dict(plan)}")
with claim(
    "dask-rechunk-in-tasks",
    "this page sets Dask's rechunk method to 'tasks', so the rechunk of x.reshape(-1) is tasks of its graph, "
    "none of them a peer-to-peer transfer",
) as c:
    method = dask.config.get("array.rechunk.method")
    c.check(method == "tasks", f"array.rechunk.method: {method}")
    c.check(not any("p2p" in k for k in plan), f"task kinds: {sorted(plan)}")
default = measure(flat)
print(default)
with claim(
    "dask-reshape-column-chunks-rechunks",
    "for this column-chunked array, reshape(-1) adds rechunk tasks that allocate at least the array's bytes, "
    "and its largest task peaks at more than two chunks",
) as c:
    c.check(
        kinds(flat, x)["rechunk-merge"] > 0,
        f'{kinds(flat, x)!s}: kinds(flat, x)["rechunk-merge"] > 0 ({kinds(flat, x)["rechunk-merge"]=!s})',
    )
    c.check(
        moved(default) >= x.nbytes,
        f"{default.bytes_by_prefix!s}: moved(default) >= x.nbytes ({moved(default)=!s}, {x.nbytes=!s})",
    )
    c.check(
        default.largest().peak_bytes > 2 * CHUNK,
        f"the largest task ({default.largest().key}) peaks at {default.largest().peak_bytes:,} B; two chunks are "
        f"{2 * CHUNK:,} B",
    )
print(
    f"rechunk tasks allocated {viewcopy.format_bytes(moved(default))} for a {viewcopy.format_bytes(x.nbytes)} array; "
    f"largest task: {default.largest().prefix}, peak {viewcopy.format_bytes(default.largest().peak_bytes)} "
    f"= {default.largest().peak_bytes / CHUNK:.1f} chunks"
)

# %%
# ``merge_chunks=False``
# ----------------------
# With ``merge_chunks=False`` this Dask first cuts the chunks into one-row
# pieces, then reshapes each piece on its own. The element order is
# NumPy's; the price is many small tasks.
rows_first = x.reshape(-1, merge_chunks=False)
no_merge = measure(rows_first)
print(no_merge)
with claim(
    "dask-reshape-no-merge-small-tasks",
    "for this array, reshape(-1, merge_chunks=False) keeps NumPy's order and its largest task peaks lower "
    "than the default reshape's, with more tasks",
) as c:
    c.check(np.array_equal(rows_first.compute(), numpy_flat), "np.array_equal(rows_first.compute(), numpy_flat)")
    c.check(
        no_merge.largest().peak_bytes < default.largest().peak_bytes,
        f"no_merge.largest().peak_bytes < default.largest().peak_bytes ({no_merge.largest().peak_bytes=!s}, {default.largest().peak_bytes=!s})",
    )
    c.check(
        len(no_merge.records) > len(default.records),
        f"len(no_merge.records) > len(default.records) ({len(no_merge.records)=!s}, {len(default.records)=!s})",
    )
print(
    f"largest task peak {viewcopy.format_bytes(no_merge.largest().peak_bytes)} vs "
    f"{viewcopy.format_bytes(default.largest().peak_bytes)}; {len(no_merge.records)} tasks vs {len(default.records)}; "
    f"rechunk tasks allocated {viewcopy.format_bytes(moved(no_merge))}"
)

# %%
# ``reshape_blockwise``
# ---------------------
# ``dask.array.reshape_blockwise`` reshapes each chunk on its own: no
# task moves data between chunks. The price is the order: the result holds
# the same values as NumPy's ``reshape(-1)``, chunk after chunk rather than
# row after row.
blockwise = da.reshape_blockwise(x, (-1,))
per_block = measure(blockwise)
print(per_block)
with claim(
    "dask-reshape-blockwise-no-rechunk-other-order",
    "for this array, reshape_blockwise has no rechunk task and allocates nothing in its reshape tasks, "
    "but its elements come out in a different order than NumPy's reshape(-1)",
) as c:
    c.check(
        not any(k.startswith("rechunk") for k in kinds(blockwise, x)),
        f'{kinds(blockwise, x)!s}: not any(k.startswith("rechunk") for k in kinds(blockwise, x))',
    )
    c.check(
        per_block.bytes_by_prefix.get("reshape-blockwise", 0) == 0,
        f'{per_block.bytes_by_prefix!s}: per_block.bytes_by_prefix.get("reshape-blockwise", 0) == 0 ({per_block.bytes_by_prefix.get("reshape-blockwise", 0)=!s})',
    )
    result = blockwise.compute()
    c.check(not np.array_equal(result, numpy_flat), "not np.array_equal(result, numpy_flat)")
    c.check(
        np.array_equal(np.sort(result), np.sort(numpy_flat)), "np.array_equal(np.sort(result), np.sort(numpy_flat))"
    )
del numpy_flat, result

# %%
# ``ravel`` is ``reshape(-1)``
# ----------------------------
# ``dask.array.ravel`` takes no ``order``: it is ``reshape(-1)``, the
# same graph with the same keys, so it pays the same rechunk.
with claim(
    "dask-ravel-is-reshape",
    "in this Dask, ravel has no order parameter and builds the same graph as reshape(-1)",
) as c:
    c.check(
        list(inspect.signature(da.ravel).parameters) == ["array_like"],
        f'list(inspect.signature(da.ravel).parameters) == ["array_like"] ({list(inspect.signature(da.ravel).parameters)=!s})',
    )
    c.check(
        da.ravel(x).name == x.reshape(-1).name,
        f"da.ravel(x).name == x.reshape(-1).name ({da.ravel(x).name=!s}, {x.reshape(-1).name=!s})",
    )
print("da.ravel parameters:", list(inspect.signature(da.ravel).parameters))

# %%
# Chunk-aligned reshapes stay cheap
# ---------------------------------
# ``by_rows``, whose chunks each hold whole rows:
# :claim:`dask-reshape-row-chunks-no-rechunk`.
by_rows = x.rechunk((ROWS // 8, COLS)).persist()  # one row per chunk
distributed.wait(by_rows)
aligned = measure(by_rows.reshape(-1))
print(aligned)
with claim(
    "dask-reshape-row-chunks-no-rechunk",
    "for this row-chunked array, whose chunks are C-contiguous, reshape(-1) has no rechunk task and its "
    "reshape tasks allocate 0 bytes",
) as c:
    layouts_seen = set(
        by_rows.map_blocks(lambda b: np.full((1, 1), b.flags.c_contiguous), chunks=(1, 1), dtype=bool)
        .compute()
        .ravel()
        .tolist()
    )
    c.check(layouts_seen == {True}, f"chunks C-contiguous: {sorted(layouts_seen)}")
    c.check(
        not any(k.startswith("rechunk") for k in kinds(by_rows.reshape(-1), by_rows)),
        'not any(k.startswith("rechunk") for k in kinds(by_rows.reshape(-1), by_rows))',
    )
    c.check(
        aligned.tasks_by_prefix["reshape"] == by_rows.npartitions,
        f'aligned.tasks_by_prefix["reshape"] == by_rows.npartitions ({aligned.tasks_by_prefix["reshape"]=!s}, {by_rows.npartitions=!s})',
    )
    c.check(
        aligned.bytes_by_prefix["reshape"] == 0,
        f'aligned.bytes_by_prefix["reshape"] == 0 ({aligned.bytes_by_prefix["reshape"]=!s})',
    )

# %%
# The recipe: rechunk, then reshape
# ---------------------------------
# Asking for row chunks yourself, at a chunk size you choose (here 2 rows),
# turns the reshape into the aligned case: :claim:`dask-rechunk-then-reshape`.
recipe = measure(x.rechunk((ROWS // 4, COLS)).reshape(-1))
print(recipe)
with claim(
    "dask-rechunk-then-reshape",
    "for this array, rechunking to 2-row chunks before reshape(-1) allocates as many bytes in rechunk tasks "
    "as the default reshape, with a lower largest task peak and reshape tasks that allocate 0 bytes",
) as c:
    c.check(
        recipe.bytes_by_prefix["reshape"] == 0,
        f'recipe.bytes_by_prefix["reshape"] == 0 ({recipe.bytes_by_prefix["reshape"]=!s})',
    )
    c.check(
        moved(recipe) == moved(default),
        f"{recipe.bytes_by_prefix!s}, {default.bytes_by_prefix!s}: moved(recipe) == moved(default) ({moved(recipe)=!s}, {moved(default)=!s})",
    )
    c.check(
        recipe.largest().peak_bytes < default.largest().peak_bytes,
        f"recipe.largest().peak_bytes < default.largest().peak_bytes ({recipe.largest().peak_bytes=!s}, {default.largest().peak_bytes=!s})",
    )
print(
    f"rechunk tasks: {viewcopy.format_bytes(moved(recipe))} either way; largest task peak "
    f"{viewcopy.format_bytes(recipe.largest().peak_bytes)} with the recipe, "
    f"{viewcopy.format_bytes(default.largest().peak_bytes)} with the default reshape"
)

# %%
# Bytes per task kind
# -------------------
# The figure shows, per task kind, what the tasks of each way of flattening
# ``x`` measured on the workers (the ``sum`` tasks that reduce the result to
# one number are left out).
ways = {
    "reshape(-1)": default,
    "merge_chunks=False": no_merge,
    "reshape_blockwise": per_block,
    "rechunk, then reshape": recipe,
}
prefixes = sorted({p for t in ways.values() for p, n in t.bytes_by_prefix.items() if n and not p.startswith("sum")})
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
bottom = np.zeros(len(ways))
for prefix in prefixes:
    heights = np.array([t.bytes_by_prefix.get(prefix, 0) / 1e6 for t in ways.values()])
    ax.barh(list(ways), heights, left=bottom, label=prefix)
    bottom += heights
for row, total in enumerate(bottom):
    ax.annotate(f" {total:.1f} MB", (total, row), va="center", fontsize="small")
ax.axvline(x.nbytes / 1e6, color="black", linestyle=":", label="the array's bytes")
ax.set_xlabel("MB allocated by tasks (measured with viewcopy.dask.track_tasks)")
ax.set_xlim(0, max(bottom.max(), x.nbytes / 1e6) * 1.25)
ax.invert_yaxis()
fig.legend(fontsize="small", loc="outside lower center", ncols=3)

# %%
# A slice can keep its chunk alive
# --------------------------------
# In NumPy: :claim:`dask-numpy-slice-keeps-buffer`. The same was reported
# for Dask in `dask#3595 <https://github.com/dask/dask/issues/3595>`_.
# Persist a slice of 60% and one of 40% of each row chunk, drop the array
# they came from, and count the memory each slice holds on the workers:
# :claim:`dask-slice-keeps-chunk`.
a = np.ones(1000)
head = a[:10]
del a
with claim(
    "dask-numpy-slice-keeps-buffer",
    "a[:10] of the 1000-element float64 array a is a view, and once a is deleted its base still holds its 8,000 bytes",
) as c:
    c.check(
        isinstance(head.base, np.ndarray) and head.base.nbytes == 8000 and not head.flags.owndata,
        f"head owns its data: {head.flags.owndata}; its base holds {head.base.nbytes:,} bytes",
    )
del head


def held(arr):
    """Bytes of the NumPy buffers that ``arr``'s persisted chunks keep alive on the workers."""
    keys = {str(key) for key in flatten(arr.__dask_keys__())}

    def owners(dask_worker):
        found = [value for key, value in dask_worker.data.items() if str(key) in keys]
        return sum((a.base if a.base is not None else a).nbytes for a in found)

    return sum(client.run(owners).values())


wide = by_rows[:, : COLS * 6 // 10].persist()
narrow = by_rows[:, : COLS * 4 // 10].persist()
distributed.wait([wide, narrow])
del by_rows
wide_held, narrow_held = held(wide), held(narrow)
with claim(
    "dask-slice-keeps-chunk",
    "for this array, a persisted slice of 60% of each chunk keeps the whole chunks alive, "
    "while dask copies a 40% slice, which holds its own bytes and no more",
) as c:
    c.check(
        wide_held == x.nbytes, f"{wide_held!s}, {wide.nbytes!s}: wide_held == x.nbytes ({wide_held=!s}, {x.nbytes=!s})"
    )
    c.check(
        narrow_held == narrow.nbytes,
        f"{narrow_held!s}, {narrow.nbytes!s}: narrow_held == narrow.nbytes ({narrow_held=!s}, {narrow.nbytes=!s})",
    )
print(
    f"60% slice: {viewcopy.format_bytes(wide.nbytes)} of data holds {viewcopy.format_bytes(wide_held)}; "
    f"40% slice: {viewcopy.format_bytes(narrow.nbytes)} holds {viewcopy.format_bytes(narrow_held)}"
)
del wide, narrow

# %%
# ``np.asarray`` computes everything
# ----------------------------------
# :claim:`dask-asarray-computes`.
with viewcopy.dask.track_tasks(client) as tasks:
    local = np.asarray(x.reshape(-1))
joined = next(r for r in tasks.records if r.prefix.startswith("finalize"))  # the last task
with claim(
    "dask-asarray-computes",
    "np.asarray on this Dask array runs its rechunk tasks, then one task allocates the whole array on a worker, "
    "and this process receives an array of the same size",
) as c:
    c.check(
        tasks.tasks_by_prefix.get("rechunk-merge", 0) > 0,
        f'{tasks.tasks_by_prefix!s}: tasks.tasks_by_prefix.get("rechunk-merge", 0) > 0 ({tasks.tasks_by_prefix.get("rechunk-merge", 0)=!s})',
    )
    c.check(
        joined.prefix.startswith("finalize") and joined.allocated_bytes == x.nbytes,
        f'{joined!s}: joined.prefix.startswith("finalize") and joined.allocated_bytes == x.nbytes ({joined.allocated_bytes=!s}, {x.nbytes=!s})',
    )
    c.check(
        isinstance(local, np.ndarray) and local.nbytes == x.nbytes,
        f"isinstance(local, np.ndarray) and local.nbytes == x.nbytes ({local.nbytes=!s}, {x.nbytes=!s})",
    )
print(
    f"{len(tasks.records)} tasks ran; {joined.prefix} allocated {viewcopy.format_bytes(joined.allocated_bytes)} "
    f"on {joined.worker}; this process received {viewcopy.format_bytes(local.nbytes)}"
)
del local

# %%
# Computed results are copies here
# --------------------------------
# Can ``compute()`` hand back a view of its input, as
# `dask#3674 <https://github.com/dask/dask/issues/3674>`_ reported, so that
# writing to the result changes the input? With this Dask, even on the local
# scheduler: :claim:`dask-compute-returns-copy`.
source = np.ones(1000)
with claim("dask-compute-returns-copy", "in this Dask, compute() of a one-chunk from_array is a copy"):
    viewcopy.expect_copy(source, da.from_array(source, chunks=source.shape).compute(scheduler="sync"))

# %%
# Finding the expensive task in your own graph
# --------------------------------------------
# Wrap the ``compute`` you suspect in ``track_tasks`` and ask for the task
# with the largest peak; ``bytes_by_prefix`` says which kind of task
# allocates most. Dask's own ``distributed.diagnostics.MemorySampler``
# reads, on a timer, the scheduler's figure for the cluster's process memory:
# the sum of the workers' RSS as each last reported it in a heartbeat. It
# includes memory NumPy does not own, but lags the workers and names no
# task. Both, on the default reshape:
from distributed.diagnostics import MemorySampler

sampler = MemorySampler()
with sampler.sample("reshape", interval=0.01, measure="process"), viewcopy.dask.track_tasks(client) as found:
    x.reshape(-1).sum().compute(optimize_graph=False)
rss = [nbytes for _, nbytes in sampler.samples["reshape"]]
worst = found.largest()
with claim(
    "dask-track-tasks-names-the-task",
    "for the default reshape, track_tasks names a rechunk-merge task as the one with the largest peak",
) as c:
    c.check(worst.prefix == "rechunk-merge", f'{worst!s}: worst.prefix == "rechunk-merge" ({worst.prefix=!s})')
print(f"track_tasks: largest task {worst.key} on {worst.worker}, peak {viewcopy.format_bytes(worst.peak_bytes)}")
rise = max(rss) - rss[0]
heartbeats = client.run(lambda dask_worker: dask_worker.heartbeat_interval)
print(
    f"MemorySampler: {len(rss)} readings of the scheduler's total, {len(set(rss))} distinct, the highest "
    f"{viewcopy.format_bytes(rise)} above the first; no task named"
)

# %%
# The sampler asks every 10 ms, but what it reads changes only when a
# worker's heartbeat arrives: :claim:`dask-sampler-reads-heartbeats`. Use
# the sampler to follow the cluster's memory over seconds,
# and ``track_tasks`` to find which task to change.
with claim(
    "dask-sampler-reads-heartbeats",
    f"in this run the sampler's {len(rss)} readings, 10 ms apart, took {len(set(rss))} distinct value(s), the "
    f"highest {viewcopy.format_bytes(rise)} above the first, while the largest task peak was "
    f"{viewcopy.format_bytes(worst.peak_bytes)}",
) as c:
    c.check(
        len(set(rss)) < len(rss) and min(heartbeats.values()) > 0.01,
        f"{len(rss)} readings, {len(set(rss))} distinct; heartbeat intervals {heartbeats}",
    )

# %%
# The same traps in xarray
# ------------------------
# xarray's ``stack`` and ``unstack`` reshape under the hood;
# `xarray#1560 <https://github.com/pydata/xarray/issues/1560>`_ and
# `xarray#4113 <https://github.com/pydata/xarray/issues/4113>`_ report what
# that costs. This page does not measure xarray.
shutdown.close()
atexit.unregister(shutdown.close)

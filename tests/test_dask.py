"""viewcopy.dask.track_tasks: exact bytes per task kind, clean workers, clear errors.

The cluster tests need the ``dask`` extra and skip where it is not installed
(the NumPy matrix installs only the ``test`` group); ``nox -s tests`` installs it.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

import viewcopy.dask

N, CHUNK = 200_000, 20_000  # float64: ten chunks of 160 kB
# No dashboard, and the HTTP server on a free loopback port: a busy :8787 would warn.
QUIET = {"dashboard_address": "127.0.0.1:0", "scheduler_kwargs": {"dashboard": False}}


@pytest.fixture(scope="module")
def distributed():
    return pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client(distributed):
    pytest.importorskip("dask.array")
    # Two workers of two threads in this process: tasks run side by side, and
    # each is counted in its own thread.  No statistical profiler: a frame it
    # samples inside np.ones holds that call's array until the profiler lets
    # go, so a task's `del scratch` may free it only after the task's block
    # ended (seen once in five runs under load: the array was alive at the
    # end, and track counted it, rightly).
    import dask

    with (
        dask.config.set({"distributed.worker.profile.enabled": False}),
        distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, **QUIET) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _installed_trackers(client) -> dict[str, list[str]]:
    def look(dask_worker):
        import distributed.worker

        names = [n for n in dask_worker.plugins if n.startswith("viewcopy")]
        return names + ([] if distributed.worker._run_task.__name__ == "_run_task" else ["_run_task patched"])

    return client.run(look)


def test_core_package_imports_with_numpy_alone():
    code = (
        "import sys\n"
        "sys.modules.update(dask=None, distributed=None)\n"  # as if not installed
        "import viewcopy, viewcopy.dask\n"
        "try:\n"
        "    with viewcopy.dask.track_tasks(object()): pass\n"
        "except TypeError as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs a distributed.Client" in done.stdout
    assert 'pip install "viewcopy[dask]"' in done.stdout


def test_bytes_per_task_kind_are_exact(client):
    import dask.array as da

    x = da.arange(N, chunks=CHUNK, dtype=np.float64)  # each task allocates its chunk
    with viewcopy.dask.track_tasks(client) as tasks:
        total = (x + 1).sum().compute(optimize_graph=False)  # add: one new chunk per task
    assert total == N * (N + 1) / 2
    assert tasks.method == "handler"
    assert tasks.tasks_by_prefix["arange"] == tasks.tasks_by_prefix["add"] == N // CHUNK
    assert tasks.bytes_by_prefix["arange"] == N * 8
    assert tasks.bytes_by_prefix["add"] == N * 8
    assert tasks.peak_by_prefix["add"] >= CHUNK * 8
    assert set(tasks.peak_by_worker) == set(client.scheduler_info()["workers"])
    assert "arange" in tasks.summary()
    assert "add" in str(tasks)


SIDE_BY_SIDE = threading.Barrier(4, timeout=60)


def _keep_and_drop(n):
    keep = np.ones(n)  # alive at the end: allocated_bytes
    scratch = np.ones(2 * n)  # freed before the end: only in the peak
    SIDE_BY_SIDE.wait()  # the four tasks are running at once, in four threads
    del scratch
    SIDE_BY_SIDE.wait()
    return keep


def test_tasks_running_at_once_are_each_counted_in_their_own_thread(client):
    sizes = {"sized-a": 1_000, "sized-b": 20_000, "sized-c": 300_000, "sized-d": 4_000}
    workers = sorted(client.scheduler_info()["workers"])
    with viewcopy.dask.track_tasks(client) as tasks:
        futures = [
            client.submit(_keep_and_drop, n, key=key, workers=[workers[i % 2]], pure=False)
            for i, (key, n) in enumerate(sizes.items())
        ]
        client.gather(futures)
    by_key = {r.key: r for r in tasks.records}
    assert len({(r.worker, r.thread) for r in by_key.values()}) == 4
    for key, n in sizes.items():
        assert by_key[key].allocated_bytes == n * 8, by_key[key]
        # the peak also sees the few bytes distributed's own code around the task may allocate
        assert 3 * n * 8 <= by_key[key].peak_bytes < 3 * n * 8 + 1024, by_key[key]
    assert tasks.peak_by_worker[workers[0]] == by_key["sized-c"].peak_bytes
    assert tasks.peak_by_worker[workers[1]] == by_key["sized-b"].peak_bytes


def test_a_view_task_allocates_nothing_and_a_copy_its_bytes(client):
    import dask.array as da

    rows = da.arange(N, chunks=N, dtype=np.float64).reshape(10, N // 10).rechunk((10, CHUNK // 10)).persist()
    with viewcopy.dask.track_tasks(client) as most:
        rows[1:].sum().compute(optimize_graph=False)  # 9 of each chunk's 10 rows: a view
    with viewcopy.dask.track_tasks(client) as half:
        rows[::2].sum().compute(optimize_graph=False)  # dask copies a selection of <= half a chunk
    assert most.tasks_by_prefix["getitem"] == half.tasks_by_prefix["getitem"] == N // CHUNK
    assert most.bytes_by_prefix["getitem"] == 0
    assert half.bytes_by_prefix["getitem"] == N * 8 // 2
    assert half.largest() is not None


def test_workers_are_left_clean_after_an_exception(client):
    import dask.array as da

    assert _installed_trackers(client) == {w: [] for w in client.scheduler_info()["workers"]}

    def fails(block):
        raise ZeroDivisionError("a task that fails")

    with pytest.raises(ZeroDivisionError, match="a task that fails"), viewcopy.dask.track_tasks(client):
        da.arange(N, chunks=CHUNK).map_blocks(fails, dtype=np.int64).compute()
    with pytest.raises(KeyError), viewcopy.dask.track_tasks(client) as tasks:
        da.arange(N, chunks=CHUNK).sum().compute()
        raise KeyError("inside the block")
    assert _installed_trackers(client) == {w: [] for w in client.scheduler_info()["workers"]}
    assert tasks.records, "the tasks that ran before the exception are still reported"


def test_the_check_for_leftovers_can_fail(client):
    # Planted: a tracker left installed is seen by the same check the test above uses.
    from viewcopy.dask import _TaskTracker

    client.register_plugin(_TaskTracker("viewcopy-planted"), name="viewcopy-planted")
    try:
        assert _installed_trackers(client) == {
            w: ["viewcopy-planted", "_run_task patched"] for w in client.scheduler_info()["workers"]
        }
    finally:
        client.unregister_worker_plugin("viewcopy-planted")
    assert _installed_trackers(client) == {w: [] for w in client.scheduler_info()["workers"]}


def test_nothing_is_measured_outside_the_block(client):
    import dask.array as da

    with viewcopy.dask.track_tasks(client) as tasks:
        pass
    da.arange(N, chunks=CHUNK).sum().compute()
    assert tasks.records == []
    assert tasks.summary() == "no task ran on the cluster inside the block"


@pytest.mark.parametrize("not_a_client", ["tcp://127.0.0.1:8786", None, 3])
def test_not_a_client_is_a_type_error(distributed, not_a_client):
    with pytest.raises(TypeError, match=r"needs a distributed\.Client .* got " + type(not_a_client).__name__):
        with viewcopy.dask.track_tasks(not_a_client):
            pass


def test_a_cluster_is_not_a_client(client):
    with pytest.raises(TypeError, match="got LocalCluster"), viewcopy.dask.track_tasks(client.cluster):
        pass


def test_closed_client_is_a_value_error(distributed, client):
    other = distributed.Client(client.scheduler.address)
    other.close()
    with pytest.raises(ValueError, match="needs a running client; this one is 'closed'"):
        with viewcopy.dask.track_tasks(other):
            pass


def test_process_cluster_with_two_workers(distributed):
    # The plugin travels to worker processes and is removed from each.
    import dask
    import dask.array as da

    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GB", **QUIET
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        x = da.arange(N, chunks=CHUNK, dtype=np.float64)
        with viewcopy.dask.track_tasks(client) as tasks:
            (x + 1).sum().compute(optimize_graph=False)
        assert tasks.bytes_by_prefix["add"] == N * 8
        assert set(tasks.peak_by_worker) == set(client.scheduler_info()["workers"])
        assert _installed_trackers(client) == {w: [] for w in client.scheduler_info()["workers"]}

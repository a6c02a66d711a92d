"""Measure the NumPy memory each task of a Dask graph allocates, on every worker of a cluster.

Needs the ``dask`` extra (``pip install "viewcopy[dask]"``: ``dask[array]`` and
``distributed``); ``import viewcopy`` itself needs NumPy only.

:func:`track_tasks` installs a worker plugin on every worker of a
``distributed`` cluster.  While the block runs, each task runs inside
:func:`viewcopy.track`, in the worker thread that executes it, and what it
allocated is recorded under the task's key.  When the block ends the records
are collected and the plugin is removed::

    from distributed import Client, LocalCluster
    import dask.array as da
    import viewcopy.dask

    with LocalCluster(n_workers=2, processes=True) as cluster, Client(cluster) as client:
        x = da.ones((4000, 4000), chunks=(4000, 500))
        with viewcopy.dask.track_tasks(client) as tasks:
            x.T.reshape(-1).sum().compute()
        print(tasks)                        # bytes per task kind, largest first
        tasks.bytes_by_prefix["rechunk-merge"]
"""

from __future__ import annotations

import dataclasses
import operator
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ._format import format_bytes
from ._measure import Tracked, track

try:
    from distributed import Client as _Client
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ModuleNotFoundError:  # the module imports (and says what is missing) without them
    _Client = None
    _WorkerPlugin = object

__all__ = ["TaskBytes", "TaskRecord", "track_tasks"]

_PLUGIN_PREFIX = "viewcopy-track-tasks-"


@dataclasses.dataclass(kw_only=True)
class TaskRecord(Tracked):
    """What one task allocated, measured in the thread that ran it: a :class:`viewcopy.Tracked` with where it ran.

    ``allocated_bytes`` is usually the task's result's new buffer (0 when the
    result is a view), ``peak_bytes`` its highest NumPy memory above its
    start, temporaries included as :func:`viewcopy.track` counts them; ``method`` is ``"handler"`` (this thread
    only) or ``"tracemalloc"`` (the whole worker process).

    Attributes
    ----------
    key : str
        The task's key, as text.
    prefix : str
        The task's name without its token and chunk index, e.g. ``rechunk-merge``.
    worker : str
        Address of the worker that ran it.
    thread : int
        ``threading.get_ident()`` of the worker thread that ran it.
    """

    key: str
    prefix: str
    worker: str
    thread: int


@dataclasses.dataclass
class TaskBytes:
    """The tasks a :func:`track_tasks` block ran, and what each allocated; filled in when it ends."""

    records: list[TaskRecord] = dataclasses.field(default_factory=list)

    @property
    def bytes_by_prefix(self) -> dict[str, int]:
        """Bytes allocated per task prefix (summed over its tasks), largest first."""
        totals = self._grouped("prefix", "allocated_bytes", operator.add)
        return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))

    @property
    def tasks_by_prefix(self) -> dict[str, int]:
        """How many tasks of each prefix ran."""
        return self._grouped("prefix", None, operator.add)

    @property
    def peak_by_prefix(self) -> dict[str, int]:
        """The largest peak of one task, per task prefix."""
        return self._grouped("prefix", "peak_bytes", max)

    @property
    def peak_by_worker(self) -> dict[str, int]:
        """The largest peak of one task, per worker address."""
        return dict(sorted(self._grouped("worker", "peak_bytes", max).items()))

    def _grouped(self, key: str, field: str | None, combine: Callable[[int, int], int]) -> dict[str, int]:
        """Per value of ``key``, the records' ``field`` (1 each when None) combined, in first-seen order."""
        out: dict[str, int] = {}
        for r in self.records:
            group, value = getattr(r, key), 1 if field is None else getattr(r, field)
            out[group] = combine(out[group], value) if group in out else value
        return out

    @property
    def allocated_bytes(self) -> int:
        """Bytes allocated by all tasks together."""
        return sum(r.allocated_bytes for r in self.records)

    @property
    def method(self) -> str:
        """How the tasks were measured (``TaskRecord.method``); ``""`` before any task ran."""
        return ", ".join(sorted({r.method for r in self.records}))

    def largest(self) -> TaskRecord | None:
        """The task with the highest peak (None if no task ran)."""
        return max(self.records, key=lambda r: r.peak_bytes, default=None)

    def summary(self) -> str:
        """A table of task kinds, the most bytes first, then each worker's peak."""
        if not self.records:
            return "no task ran on the cluster inside the block"
        counts, peaks = self.tasks_by_prefix, self.peak_by_prefix
        width = max(len(p) for p in counts)
        lines = [f"{len(self.records)} tasks allocated {format_bytes(self.allocated_bytes)} ({self.method})"]
        for prefix, nbytes in self.bytes_by_prefix.items():
            lines.append(
                f"  {prefix:<{width}}  {counts[prefix]:>5} tasks  {format_bytes(nbytes):>9} allocated"
                f"  largest task peak {format_bytes(peaks[prefix])}"
            )
        for worker, peak in self.peak_by_worker.items():
            lines.append(f"  worker {worker}: largest task peak {format_bytes(peak)}")
        return "\n".join(lines)

    __str__ = summary


class _TaskTracker(_WorkerPlugin):
    """The worker plugin: records what each task allocates on this worker."""

    idempotent = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.records: list[TaskRecord] = []
        self.address = ""
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"])

    def setup(self, worker: Any) -> None:
        self.address = worker.address
        _patch_run_task()

    def teardown(self, worker: Any) -> None:
        _unpatch_run_task()

    def record(self, key: Any, tracked: Any) -> None:
        from dask.utils import key_split

        r = TaskRecord(
            key=str(key),
            prefix=key_split(key),
            worker=self.address,
            thread=threading.get_ident(),
            **{f.name: getattr(tracked, f.name) for f in dataclasses.fields(Tracked)},
        )
        with self._lock:
            self.records.append(r)


# One patch per worker process, however many trackers (and workers) it holds.
_patch_lock = threading.Lock()
_patch_users = 0
_original_run_task: Any = None


def _patch_run_task() -> None:
    """Run each task inside ``track()``, in its own thread, while a tracker is installed.

    The worker runs a task by calling ``distributed.worker._run_task`` in the
    executor thread, with the key and the worker's ``execution_state``; wrapping
    it is the one place that has both the key and the executing thread.
    """
    global _patch_users, _original_run_task
    import distributed.worker

    with _patch_lock:
        if _patch_users == 0:
            original = getattr(distributed.worker, "_run_task", None)
            if original is None:
                raise RuntimeError(
                    f"viewcopy.dask cannot wrap task execution in distributed {distributed.__version__}: "
                    "distributed.worker._run_task is gone"
                )
            _original_run_task = original
            distributed.worker._run_task = _run_task_tracked
        _patch_users += 1


def _unpatch_run_task() -> None:
    global _patch_users, _original_run_task
    import distributed.worker

    with _patch_lock:
        _patch_users -= 1
        if _patch_users == 0:
            distributed.worker._run_task = _original_run_task
            _original_run_task = None


def _run_task_tracked(task: Any, data: Any, execution_state: dict[str, Any], key: Any, *args: Any) -> Any:
    worker = execution_state.get("worker")
    trackers = [p for p in getattr(worker, "plugins", {}).values() if isinstance(p, _TaskTracker)]
    run_task = _original_run_task
    if not trackers:
        return run_task(task, data, execution_state, key, *args)
    with track() as tracked:
        result = run_task(task, data, execution_state, key, *args)
    for tracker in trackers:
        tracker.record(key, tracked)
    return result


def _collect(name: str, dask_worker: Any) -> list[TaskRecord]:
    plugin = dask_worker.plugins.get(name)
    return list(plugin.records) if plugin is not None else []


def _check_client(client: Any) -> None:
    if _Client is None or not isinstance(client, _Client):
        missing = ' (distributed is not installed: pip install "viewcopy[dask]")' if _Client is None else ""
        raise TypeError(
            f"track_tasks() needs a distributed.Client connected to a cluster, got {type(client).__name__}; "
            f"the local schedulers (threads, processes, synchronous) have no workers to install a plugin on{missing}"
        )
    if client.asynchronous:
        raise ValueError("track_tasks() needs a synchronous distributed.Client; this one is asynchronous")
    if client.status != "running":
        raise ValueError(f"track_tasks() needs a running client; this one is {client.status!r}")


@contextmanager
def track_tasks(client: Any) -> Iterator[TaskBytes]:
    """Measure the NumPy bytes each task allocates on the cluster while the block runs.

    Installs a worker plugin on every worker of ``client``'s cluster (and on
    workers that join during the block); each task then runs inside
    :func:`viewcopy.track` in the worker thread that executes it.  When the
    block ends, also by an exception, the records are gathered into the
    :class:`TaskBytes` the block was given, and the plugin is removed from
    every worker.  Count only tasks that finished inside the block: compute
    there, not with ``persist`` returning early.

    A task's ``allocated_bytes`` are its buffers still alive when it ends.
    The workers' statistical profiler (``distributed.worker.profile``) can
    keep one of its temporaries alive a little longer: a stack it sampled
    holds the locals of each sampled function that has since returned.  Such
    a temporary is then counted, correctly, as alive at the task's end; set
    ``distributed.worker.profile.enabled: False`` where exact figures per
    task matter more than the dashboard's profile.

    >>> import viewcopy.dask
    >>> with viewcopy.dask.track_tasks("tcp://127.0.0.1:8786"):
    ...     pass
    Traceback (most recent call last):
    ...
    TypeError: track_tasks() needs a distributed.Client connected to a cluster, got str; ...
    """
    _check_client(client)
    name = _PLUGIN_PREFIX + uuid.uuid4().hex
    client.register_plugin(_TaskTracker(name), name=name)
    result = TaskBytes()
    try:
        yield result
    finally:
        try:
            gathered = client.run(_collect, name)
            result.records = sorted(
                (r for records in gathered.values() for r in records), key=lambda r: (r.worker, r.key)
            )
        finally:
            client.unregister_worker_plugin(name)

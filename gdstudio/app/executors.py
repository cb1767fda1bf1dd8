"""Where a sweep's or a landscape's tasks run: in this process, on a local Dask cluster of N
worker processes, or on a running Dask scheduler.

A task is a plain module-level function ``fn(shared, item, cancel=None)`` of picklable inputs:
``shared`` is what every task needs (the objective, the start points), sent to each worker
once; ``item`` is the task's own part (a group of settings, a block of landscape rows). The
result never depends on where a task ran, so in-process and distributed results are the same
bit for bit.

Dask (``dask.distributed``) is optional: ``pip install 'gdstudio[dask]'``. Without it,
everything runs in-process and asking for workers gets :data:`DASK_MISSING`.

Every worker runs with the engine's own allocator settings (:func:`apply_engine_tuning`), and
splits a fused batch over its own threads only (:func:`tune_worker_process`):
Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc hand every
large numpy temporary back to the kernel on free and fault it in again on the next
allocation; a landscape job ran several times slower that way (see benchmarks/bench_sweep.py).
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any, Callable, Iterator, Optional, Sequence

__all__ = [
    "DASK_MISSING",
    "DaskExecutor",
    "ExecutorError",
    "InProcessExecutor",
    "apply_engine_tuning",
    "dask_available",
    "make_executor",
]

#: Dask settings of a local cluster's processes: the workers' statistical profiler (a sample
#: every 10 ms, for the dashboard, which is off) and the 20 ms event-loop tick and 100 ms memory
#: monitor cost 8.8 % of a core while the cluster idles, measured (2.3 % with these); that cost
#: runs for the whole wall time of a sweep, on top of the work
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.profile.interval": "1000ms",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.tick.interval": "200ms",
}

DASK_MISSING = ("Dask is not installed, so work cannot be spread over processes; install it with "
                "pip install 'gdstudio[dask]', or run in-process with --workers 0")


class ExecutorError(RuntimeError):
    """A cluster could not be started or reached; ``str()`` is one sentence."""


class Cancelled(Exception):
    """The person cancelled; raised by a task that saw ``cancel()`` return True."""


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def apply_engine_tuning() -> None:
    """The engine's process-wide settings (glibc malloc thresholds), applied in this process.
    Called before in-process work and, through a worker plugin, in every Dask worker, so both
    compute with the same allocator behaviour."""
    from ..core.tuning import apply_engine_tuning as tune

    tune()


class Executor:
    """The interface both executors share. ``workers`` is the parallelism (task sizing uses it)."""

    workers: int = 1
    description: str = "this process"

    def run(self, fn: Callable, shared: Any, items: Sequence, cancel: Optional[Callable[[], bool]] = None
            ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, result)`` for every item as tasks finish (in any order). Stops
        early, raising :class:`Cancelled`, when ``cancel()`` returns True."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class InProcessExecutor(Executor):
    """Runs tasks one after another in the calling thread; ``cancel`` reaches inside a task."""

    def __init__(self):
        self.workers = 1
        self.description = "this process"
        apply_engine_tuning()

    def run(self, fn, shared, items, cancel=None):
        for i, item in enumerate(items):
            if cancel is not None and cancel():
                raise Cancelled()
            yield i, fn(shared, item, cancel=cancel)


def tune_worker_process(nthreads: int) -> None:
    """What a Dask worker process runs with: the engine's allocator settings, and fused
    batches split over the worker's own threads (``nthreads``, 1 on a local cluster) rather
    than every core of the machine, so workers sharing a machine do not compete for cores.
    Splitting a batch over threads never changes its numbers (runs are independent)."""
    from ..core.tuning import set_engine_threads

    apply_engine_tuning()
    set_engine_threads(max(1, int(nthreads or 1)))


def _worker_plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class EngineTuning(WorkerPlugin):
        """Applies the engine's settings in each worker, including workers that join later or
        are restarted after a crash."""

        name = "gdstudio-engine-tuning"

        def setup(self, worker):
            tune_worker_process(getattr(worker, "nthreads", 1))

    return EngineTuning()


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: a new :class:`distributed.LocalCluster` of ``workers``
    processes (one thread each), an existing scheduler at ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``), or a ``client`` you made yourself (it is left open)."""

    def __init__(self, workers: Optional[int] = None, scheduler: Optional[str] = None, client=None,
                 connect_timeout: float = 10.0, tune_workers: bool = True):
        if not dask_available():
            raise ExecutorError(DASK_MISSING)
        import distributed

        self._own_client = client is None
        self._cluster = None
        if client is not None:
            self.client = client
            where = f"the Dask client's cluster ({client.scheduler.address})"
        elif scheduler:
            try:
                self.client = distributed.Client(scheduler, timeout=connect_timeout,
                                                 set_as_default=False)
            except (OSError, TimeoutError, ValueError) as err:
                raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: "
                                    f"{_reason(err)}") from None
            where = f"the Dask scheduler at {scheduler}"
        else:
            n = int(workers or 0)
            if n < 1:
                raise ExecutorError(f"a local cluster needs at least 1 worker, got {n}")
            import dask

            try:
                with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the workers inherit it
                    self._cluster = distributed.LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                        silence_logs=logging.ERROR, host="127.0.0.1")
                self.client = distributed.Client(self._cluster, set_as_default=False)
            except (OSError, TimeoutError, RuntimeError) as err:
                self.close()
                raise ExecutorError(f"cannot start a local Dask cluster of {n} workers: "
                                    f"{_reason(err)}") from None
            where = f"a local Dask cluster of {n} worker process{'es' if n != 1 else ''}"
        self.description = where
        if tune_workers:
            # a plugin also reaches workers that start later (a restarted, killed worker)
            self.client.register_plugin(_worker_plugin(), name="gdstudio-engine-tuning")
        self.workers = max(1, self._thread_count())

    def _thread_count(self) -> int:
        try:
            info = self.client.scheduler_info()
            return sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        except Exception:  # noqa: BLE001 - a count for sizing tasks, not essential
            return 1

    def run(self, fn, shared, items, cancel=None):
        import time

        from distributed import as_completed

        tag = uuid.uuid4().hex[:12]
        # the shared inputs go to every worker once, not once per task
        # (in a list: a dict itself would be scattered value by value, under its own keys)
        [shared_f] = self.client.scatter([shared], broadcast=True, hash=False)
        futures = [self.client.submit(fn, shared_f, item, key=f"gdstudio-{fn.__name__}-{tag}-{i}",
                                      pure=False)
                   for i, item in enumerate(items)]
        index = {f.key: i for i, f in enumerate(futures)}
        done = False
        try:
            ac = as_completed(futures, loop=self.client.loop)
            while not ac.is_empty():
                if cancel is not None and cancel():
                    raise Cancelled()
                if not ac.has_ready():
                    time.sleep(0.01)  # polling: a cancel is seen even while a long task runs
                    continue
                for fut in ac.next_batch(block=False):
                    yield index[fut.key], _result(fut)
            done = True
        finally:
            if not done:
                self.client.cancel(futures, force=True)
            del shared_f

    def close(self) -> None:
        try:
            if self._own_client and getattr(self, "client", None) is not None:
                self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None


def _result(fut):
    """A task's result; a task that kept killing its workers becomes one sentence."""
    try:
        return fut.result()
    except Exception as err:
        if type(err).__name__ == "KilledWorker":
            raise ExecutorError("a task was lost: every worker that tried it died "
                                f"({_reason(err)})") from None
        raise


def _reason(err: BaseException) -> str:
    text = str(err).strip().rstrip(".") or type(err).__name__
    return text.splitlines()[0]


def make_executor(workers: Optional[int] = None, scheduler: Optional[str] = None, client=None
                  ) -> Executor:
    """``client`` or ``scheduler`` -> that cluster; ``workers`` N ≥ 1 -> a local cluster of N
    processes; otherwise (None or 0) in-process."""
    if client is not None or scheduler:
        return DaskExecutor(scheduler=scheduler, client=client)
    if workers:
        return DaskExecutor(workers=int(workers))
    return InProcessExecutor()


def default_worker_count() -> int:
    return os.cpu_count() or 1

"""Where the studio computes landscapes and sweeps: in this process, on a local Dask cluster of
N worker processes, or on a running Dask scheduler (the window's preference, docs/gui.md).

:class:`ComputeTarget` is the choice; :class:`SharedExecutor` keeps one executor for it that
every job uses in turn: a local cluster takes seconds to start, so it is started on first use
and kept until the choice changes or the window closes. A cluster that cannot be started or
reached becomes :class:`ComputeError`, one sentence saying where to change the choice.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional

from .executors import DaskExecutor, Executor, ExecutorError, InProcessExecutor

__all__ = ["COMPUTE_KINDS", "ComputeError", "ComputeTarget", "SharedExecutor"]

#: the choices, in the order the preferences dialog lists them
COMPUTE_KINDS = ("process", "local", "scheduler")
#: seconds to wait for a scheduler before saying it cannot be reached
CONNECT_TIMEOUT = 5.0
#: where the person changes the choice (named in every error sentence)
WHERE_TO_CHANGE = "Edit → Preferences…"


class ComputeError(ValueError):
    """The chosen cluster cannot be used; ``str()`` is one sentence."""


@dataclass(frozen=True)
class ComputeTarget:
    """``kind``: ``"process"`` (this process), ``"local"`` (a local cluster of ``workers``
    processes) or ``"scheduler"`` (the Dask scheduler at ``address``)."""

    kind: str = "process"
    workers: int = 2
    address: str = ""

    def __post_init__(self):
        if self.kind not in COMPUTE_KINDS:
            raise ValueError(f"unknown place to compute {self.kind!r}; choose {', '.join(COMPUTE_KINDS)}")

    @property
    def in_process(self) -> bool:
        return self.kind == "process"

    def describe(self) -> str:
        if self.kind == "local":
            n = int(self.workers)
            return f"a local Dask cluster of {n} worker process{'es' if n != 1 else ''}"
        if self.kind == "scheduler":
            return f"the Dask scheduler at {self.address}"
        return "this process"

    def make_executor(self) -> Executor:
        """A new executor for this target; :class:`ComputeError` when it cannot be had."""
        if self.kind == "process":
            return InProcessExecutor()
        try:
            if self.kind == "local":
                return DaskExecutor(workers=int(self.workers))
            if not self.address.strip():
                raise ExecutorError("no Dask scheduler address is set")
            return DaskExecutor(scheduler=self.address.strip(), connect_timeout=CONNECT_TIMEOUT)
        except ExecutorError as err:
            text = str(err)
            raise ComputeError(f"{text[:1].upper()}{text[1:]}; choose where to compute in "
                               f"{WHERE_TO_CHANGE}") from None


class SharedExecutor:
    """One executor for the current :class:`ComputeTarget`, shared by the jobs that use it.

    ``with shared.use() as ex:`` gives the executor (started on first use; in-process work
    gets its own light executor). Changing the target retires the old cluster; it is closed
    when the last job using it is done, so a running sweep is never cut off. An executor whose
    cluster failed during use is dropped, so the next use connects again."""

    def __init__(self, target: Optional[ComputeTarget] = None):
        self._lock = threading.Lock()
        self._target = target or ComputeTarget()
        self._ex: Optional[Executor] = None
        self._users: dict = {}  # id(executor) -> jobs using it
        self._retired: dict = {}  # id(executor) -> executor to close when unused

    @property
    def target(self) -> ComputeTarget:
        return self._target

    def set_target(self, target: ComputeTarget) -> None:
        with self._lock:
            if target == self._target:
                return
            self._target = target
            old, self._ex = self._ex, None
        if old is not None:
            self._retire(old, background=True)  # a cluster takes a second or two to stop

    @contextmanager
    def use(self) -> Iterator[Executor]:
        with self._lock:
            target = self._target
        if target.in_process:
            yield InProcessExecutor()
            return
        with self._lock:
            if self._ex is None or target != self._target:
                # started under the lock: two jobs starting at once share one cluster
                self._ex = self._target.make_executor()
            ex = self._ex
            self._users[id(ex)] = self._users.get(id(ex), 0) + 1
        failed = False
        try:
            yield ex
        except BaseException as err:
            failed = _cluster_fault(err)
            raise
        finally:
            close = None
            with self._lock:
                self._users[id(ex)] -= 1
                if failed and self._ex is ex:
                    self._ex = None  # a failed cluster: connect afresh next time
                    self._retired[id(ex)] = ex
                if self._users[id(ex)] == 0:
                    del self._users[id(ex)]
                    close = self._retired.pop(id(ex), None)
            if close is not None:
                _close_quietly(close)

    def _retire(self, ex: Executor, background: bool = False) -> None:
        with self._lock:
            if self._users.get(id(ex)):
                self._retired[id(ex)] = ex
                return
        if background:
            threading.Thread(target=_close_quietly, args=(ex,), name="gdstudio-cluster-close",
                             daemon=True).start()
        else:
            _close_quietly(ex)

    def close(self) -> None:
        """Close the current cluster (the window is closing)."""
        with self._lock:
            ex, self._ex = self._ex, None
        if ex is not None:
            self._retire(ex)


def _close_quietly(ex: Executor) -> None:
    """Close a cluster that is no longer wanted; a cluster already gone is not an error."""
    try:
        ex.close()
    except Exception:  # noqa: BLE001 - its connection may be broken already (that is why)
        pass


def _cluster_fault(err: BaseException) -> bool:
    """A fault of the cluster (lost connection, lost workers) rather than of the work or a
    cancellation: the executor is not used again. (Dask's CommClosedError is an OSError.)"""
    return isinstance(err, (ExecutorError, OSError, TimeoutError))

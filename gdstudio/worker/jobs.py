"""Background threads: the one facility every slow task of the window goes through (building a
model, loading a CSV, evaluating a map's grid, a landscape's training, an export, and the
descent worker's loop).

* :class:`BackgroundThread` runs a function in a Python daemon thread. Unlike a ``QThread``, a
  daemon thread that is still busy when the window closes is simply left to finish (or dies
  with the process): nothing can destroy it while it runs, so closing the window during a
  typed-model build or a stuck CSV read never aborts the process ("QThread: Destroyed while
  thread is still running").
* :class:`Job` runs ``fn(job)`` on such a thread; ``fn`` calls ``job.check()`` (raises
  :class:`Cancelled` after :meth:`Job.cancel`) and ``job.progress(fraction)``. Exactly one of
  ``sig_result``, ``sig_failed`` or ``sig_cancelled`` arrives, queued to the GUI thread, then
  ``sig_finished``.
* :class:`JobPool` starts jobs and keeps them alive until they end; ``shutdown`` cancels them,
  waits a bounded time, and cuts the ones still running loose (their late results go nowhere).
  ``close`` does the same for good (the window closing). A pool delivers a job's signals only
  while it is open and alive: a result that arrives after its window was closed, or after the
  window's C++ side was deleted (the pool is its child), is dropped instead of reaching views
  that no longer exist.

Signals are emitted from the background thread; Qt queues them to the receivers' thread.
"""

from __future__ import annotations

import threading
import time
import warnings
import traceback
from typing import Callable, Optional

import shiboken6
from PySide6.QtCore import QObject, Signal

#: jobs cut loose by a pool's shutdown while still running: referenced here until they end,
#: so their Qt object outlives their thread
_ABANDONED: set = set()
_ABANDONED_LOCK = threading.Lock()


class Cancelled(Exception):
    """Raised inside a job's function when the job was cancelled."""


class BackgroundThread:
    """``fn()`` in a daemon thread named ``name``; ``wait(ms)`` joins with a bound."""

    def __init__(self, fn: Callable[[], None], name: str):
        self._thread = threading.Thread(target=fn, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout_ms: Optional[int] = None) -> bool:
        """True when the thread has ended (within ``timeout_ms``; None waits for ever)."""
        if self._thread.ident is None:
            return True
        self._thread.join(None if timeout_ms is None else timeout_ms / 1000.0)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def finished(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()


class Job(QObject):
    """Runs ``fn(job)`` on a :class:`BackgroundThread`. See the module docstring."""

    sig_progress = Signal(float)
    sig_result = Signal(object)
    sig_failed = Signal(str, object)
    sig_cancelled = Signal()
    sig_finished = Signal()

    def __init__(self, fn: Callable, name: str = "gdstudio-job"):
        super().__init__()
        self.setObjectName(name)
        self._fn = fn
        self._cancel = threading.Event()
        self._last_progress = -1.0
        self._thread = BackgroundThread(self._run, name)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, fraction: float) -> None:
        f = float(min(1.0, max(0.0, fraction)))
        if f >= 1.0 or f - self._last_progress >= 0.005:
            self._last_progress = f
            self.sig_progress.emit(f)
            time.sleep(0)  # let the GUI thread take the GIL (QT-NOTES)

    def isRunning(self) -> bool:  # noqa: N802 (the QThread name the panels use)
        return self._thread.running

    def wait(self, timeout_ms: Optional[int] = None) -> bool:
        return self._thread.wait(timeout_ms)

    def _run(self) -> None:  # the background thread
        try:
            out = self._fn(self)
        except Cancelled:
            self.sig_cancelled.emit()
        except ValueError as err:  # DataError, ExpressionError, bad settings: one sentence
            self.sig_failed.emit(str(err), err)
        except Exception as err:  # never take the window down
            traceback.print_exc()
            self.sig_failed.emit(f"{type(err).__name__}: {err}", err)
        else:
            if self._cancel.is_set():
                self.sig_cancelled.emit()
            else:
                self.sig_result.emit(out)
        finally:
            self.sig_finished.emit()
            with _ABANDONED_LOCK:
                _ABANDONED.discard(self)


class JobPool(QObject):
    """Keeps running jobs alive until they finish; cancels them on shutdown."""

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._jobs: set = set()
        self._closed = False

    def _deliver(self, slot: Callable) -> Callable:
        # The slots are plain Python callables, so Qt cannot disconnect them when their views
        # die; the pool is the window's child and stands in for it.
        def deliver(*args):
            if not self._closed and shiboken6.isValid(self):
                slot(*args)
        return deliver

    def start(self, fn: Callable, on_result=None, on_failed=None, on_progress=None,
              on_cancelled=None, name: str = "gdstudio-job") -> Job:
        job = Job(fn, name)
        if self._closed:  # asked for after the window closed (a late event): never runs
            job.cancel()
            return job
        for sig, slot in ((job.sig_result, on_result), (job.sig_failed, on_failed),
                          (job.sig_progress, on_progress), (job.sig_cancelled, on_cancelled)):
            if slot is not None:
                sig.connect(self._deliver(slot))
        job.sig_finished.connect(lambda j=job: self._jobs.discard(j))
        self._jobs.add(job)
        job.start()
        return job

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, timeout_ms: int = 5000) -> bool:
        """:meth:`shutdown` for good: no job starts and no signal is delivered afterwards."""
        self._closed = True
        return self.shutdown(timeout_ms)

    @property
    def busy(self) -> bool:
        return any(j.isRunning() for j in self._jobs)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job and wait up to ``timeout_ms`` in all; True when all ended. A job
        that does not end in time (a compile or a read that cannot be interrupted) is
        disconnected and left to finish on its own: its result is dropped."""
        jobs = list(self._jobs)
        for j in jobs:
            j.cancel()
        deadline = time.monotonic() + timeout_ms / 1000.0
        ok = True
        for j in jobs:
            if not j.wait(max(0, int(1000 * (deadline - time.monotonic())))):
                ok = False
                with warnings.catch_warnings():
                    # PySide warns (and does not raise) for a signal with nothing connected
                    warnings.simplefilter("ignore", RuntimeWarning)
                    for sig in (j.sig_result, j.sig_failed, j.sig_progress, j.sig_cancelled):
                        try:
                            sig.disconnect()
                        except (RuntimeError, TypeError):
                            pass
                with _ABANDONED_LOCK:
                    if j.isRunning():
                        _ABANDONED.add(j)
        self._jobs.clear()
        return ok

"""Background jobs: one facility for every slow task the window starts (building a model,
loading a CSV, evaluating a map's grid, a landscape's training).

``JobPool.start(fn, on_result=..., on_failed=..., on_progress=..., on_cancelled=...)`` runs
``fn(job)`` in its own thread; ``fn`` calls ``job.check()`` (raises :class:`Cancelled` after a
cancel) and ``job.progress(fraction)``. Exactly one outcome signal arrives, queued to the GUI.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Callable, Optional

from PySide6.QtCore import QObject, QThread, Signal


class Cancelled(Exception):
    """Raised inside a job's function when the job was cancelled."""


class Job(QThread):
    """Runs ``fn(job)`` in its own thread. ``fn`` may call ``job.progress(fraction)`` and
    ``job.check()`` (raises :class:`Cancelled` after :meth:`cancel`). Exactly one of
    ``sig_result(object)``, ``sig_failed(str, object)`` (one sentence and the exception) or
    ``sig_cancelled()`` is emitted, queued to the GUI thread."""

    sig_progress = Signal(float)
    sig_result = Signal(object)
    sig_failed = Signal(str, object)
    sig_cancelled = Signal()

    def __init__(self, fn: Callable, name: str = "gdstudio-model-job"):
        super().__init__()
        self.setObjectName(name)
        self._fn = fn
        self._cancel = threading.Event()
        self._last_progress = -1.0

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

    def run(self) -> None:  # the worker thread
        try:
            out = self._fn(self)
        except Cancelled:
            self.sig_cancelled.emit()
            return
        except ValueError as err:  # DataError, ExpressionError, bad settings: one sentence
            self.sig_failed.emit(str(err), err)
            return
        except Exception as err:  # never take the window down
            traceback.print_exc()
            self.sig_failed.emit(f"{type(err).__name__}: {err}", err)
            return
        if self._cancel.is_set():
            self.sig_cancelled.emit()
        else:
            self.sig_result.emit(out)


class JobPool(QObject):
    """Keeps running jobs alive until they finish; cancels and joins them on shutdown."""

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._jobs: set = set()

    def start(self, fn: Callable, on_result=None, on_failed=None, on_progress=None,
              on_cancelled=None, name: str = "gdstudio-model-job") -> Job:
        job = Job(fn, name)
        if on_result is not None:
            job.sig_result.connect(on_result)
        if on_failed is not None:
            job.sig_failed.connect(on_failed)
        if on_progress is not None:
            job.sig_progress.connect(on_progress)
        if on_cancelled is not None:
            job.sig_cancelled.connect(on_cancelled)
        job.finished.connect(lambda j=job: self._done(j))
        self._jobs.add(job)
        job.start()
        return job

    def _done(self, job: Job) -> None:
        job.wait(1000)
        self._jobs.discard(job)

    @property
    def busy(self) -> bool:
        return any(j.isRunning() for j in self._jobs)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        ok = True
        for j in list(self._jobs):
            j.cancel()
        for j in list(self._jobs):
            ok = bool(j.wait(timeout_ms)) and ok
        return ok

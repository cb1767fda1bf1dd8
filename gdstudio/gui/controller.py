"""The window's runtime: :class:`~gdstudio.app.runtime.Runtime` (no Qt: the problem, the runs,
the rules) with what only a window has. Its events are Qt signals (``sig_<event>``, delivered
in the GUI thread); a worker thread steps the batches (worker/descent_worker.py); a 30 Hz timer
builds the frames; mouse moves of one event-loop pass are one drag computation. Its public
methods and signals are listed in docs/gui.md ("The runtime")."""

from __future__ import annotations

import atexit
import weakref
from typing import Optional

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from ..app.function_text import _compile, check_syntax, preset_domain, resolve_function  # noqa: F401 (public here too)
from ..app.runtime import EVENTS, FULL_FRAME, MAX_RUNS, Runtime  # noqa: F401 (public here too)
from ..app.runtime_types import Problem, Settings  # noqa: F401 (public here too)
from ..worker import WorkerThread

REDRAW_HZ = 30


class StudioController(QObject, Runtime):
    sig_problem_changed = Signal(object)
    sig_frame = Signal(object)
    sig_runs_reset = Signal()
    sig_state_changed = Signal(str)
    sig_message = Signal(str, str)
    sig_selection_changed = Signal(int)
    sig_expression_error = Signal(object)
    sig_stats = Signal(dict)
    sig_settings_changed = Signal(object)

    def __init__(self, parent: Optional[QObject] = None, start_worker: bool = True):
        QObject.__init__(self, parent)
        self.wt: Optional[WorkerThread] = WorkerThread() if start_worker else None
        Runtime.__init__(self, self.wt.worker if self.wt is not None else None)
        self._drag_timer = QTimer(self)
        self._drag_timer.setSingleShot(True)
        self._drag_timer.setInterval(0)
        self._drag_timer.timeout.connect(self._drag_compute)
        if self.wt is not None:
            w = self.wt.worker
            w.sig_chunk.connect(self.on_chunk)
            w.sig_finished.connect(self.on_finished)
            w.sig_error.connect(self.on_error)
            w.sig_idle.connect(self.on_idle)
            # stop the thread however the program ends (a QThread destroyed while running
            # aborts the process)
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(self.shutdown)
            ref = weakref.ref(self)
            atexit.register(lambda: ref() is not None and ref().shutdown(1000))
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 / REDRAW_HZ))
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def _emit(self, event: str, *args) -> None:
        getattr(self, "sig_" + event).emit(*args)

    def _schedule_drag(self) -> None:
        if not self._drag_timer.isActive():
            self._drag_timer.start()

    def _unschedule_drag(self) -> None:
        self._drag_timer.stop()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the redraw clock and the worker thread (idempotent); True when it ended in time."""
        try:
            self.timer.stop()
            self._drag_timer.stop()
        except RuntimeError:  # the C++ objects are already gone
            pass
        self.generation += 1
        if self.wt is None:
            return True
        wt, self.wt, self.stepper = self.wt, None, None
        return wt.stop(timeout_ms)

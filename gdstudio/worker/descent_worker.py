"""The descent worker: a QObject whose loop runs on a background thread, steps a BatchDescent and
streams immutable chunks to the GUI.

Public interface
----------------
``DescentWorker`` signals (all queued to the GUI thread):

* ``sig_chunk(ChunkMessage)``   a block of steps of the current job, about 30 per second;
  the message and the arrays inside it are never touched again after the emit. When a run
  is watched (``watch``) and still running, the message also carries what its optimizer
  carries at its current point (:class:`LiveInternals`), read from the batch's own state in
  this thread: the window never has to replay a running run to show its internals.
* ``sig_finished(int)``         generation id: every run of that job has stopped.
* ``sig_error(int, str)``       generation id and a one-sentence message: stepping raised; the
  job is dropped, the thread stays alive.
* ``sig_idle(int)``             generation id: the worker paused (after a Step, or on request).

Commands (``start``, ``pause``, ``resume``, ``step``, ``set_speed``, ``set_lr``,
``set_max_steps``, ``watch``, ``cancel``, ``shutdown``) are plain thread-safe methods called from the
GUI thread. They only set fields under a lock and notify a condition; the worker loop reads
them between chunks. Queued slots are never used for commands, because the loop never
returns to the worker thread's event loop while a job runs.

Generations: every ``start`` carries a generation id. Chunks carry it too; the receiver drops
chunks whose generation is not the current one, so a chunk computed for a cancelled job (the
worker may be mid-chunk when the job is replaced) never reaches a view.

Pacing: with a speed of S steps per second the loop emits about 30 times a second with
S/30 steps each. "As fast as possible" (speed ``None``) sizes each chunk so that stepping it
takes about ``CHUNK_SECONDS`` (measured step time, exponentially averaged). After every emit
the loop calls ``time.sleep(0)`` so the GUI thread gets the GIL (see shared QT-NOTES.md).

``WorkerThread`` owns the thread (a :class:`~.jobs.BackgroundThread`) and the worker and shuts
both down (``stop(timeout_ms)``).
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Optional

from PySide6.QtCore import QAbstractEventDispatcher, QCoreApplication, QObject, Signal, Slot

from ..app.chunks import ChunkMessage, LiveInternals, apply_live_changes, live_internals  # noqa: F401 (public here too)
from ..app.batches import kernel_for
from .jobs import BackgroundThread

#: target compute time of one chunk at full speed (seconds)
CHUNK_SECONDS = 0.02
#: emits per second when the speed is limited
TICKS_PER_SECOND = 30.0
#: hard cap on steps per chunk (bounds the size of one message)
MAX_CHUNK_STEPS = 4096
#: compute time of one sub-chunk: how long the GUI may have to wait for the worker to yield
SUB_CHUNK_SECONDS = 0.001
#: the longest the worker waits for a busy GUI before taking one more sub-chunk
GUI_WAIT_MAX = 0.05
#: the interpreter's thread switch interval while a worker exists (default 5 ms): the GUI
#: thread gets the GIL back from a computing worker within this time
SWITCH_INTERVAL = 0.001


@dataclass
class _Job:
    generation: int
    batch: object  # BatchDescent; touched only by the worker thread once started
    finished: bool = False
    kernel_asked: bool = False  # a background thread is preparing the fused kernel
    kernel: object = None  # the fused kernel once ready (set by that thread)


class DescentWorker(QObject):
    sig_chunk = Signal(object)
    sig_finished = Signal(int)
    sig_error = Signal(int, str)
    sig_idle = Signal(int)

    def __init__(self):
        super().__init__()
        self._cond = threading.Condition()
        self._job: Optional[_Job] = None
        self._paused = True
        self._step_requests = 0
        self._stop = False
        self._speed: Optional[float] = None
        self._pending_lr = None
        self._pending_max_steps: Optional[int] = None
        self._step_seconds = 1e-4  # running estimate of one batch step
        self._watch: Optional[int] = None
        #: set while the GUI thread's event loop is idle (see WorkerThread)
        self.gui_idle = threading.Event()
        self.gui_idle.set()
        self._running_loop = False

    # -- commands (any thread) -----------------------------------------------------------
    def start(self, generation: int, batch, paused: bool = False, steps: int = 0) -> None:
        """Replace the current job (the old one is cancelled). ``steps`` > 0 with
        ``paused`` takes that many steps then pauses."""
        with self._cond:
            self._job = _Job(generation, batch)
            self._paused = paused
            self._step_requests = int(steps)
            self._pending_lr = None
            self._pending_max_steps = None
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._step_requests = 0
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def step(self, n: int = 1) -> None:
        """Pause and take ``n`` more steps."""
        with self._cond:
            self._paused = True
            self._step_requests += int(n)
            self._cond.notify_all()

    def set_speed(self, steps_per_second: Optional[float]) -> None:
        """``None`` (or ≤ 0): as fast as the machine goes."""
        with self._cond:
            self._speed = None if not steps_per_second or steps_per_second <= 0 else float(steps_per_second)
            self._cond.notify_all()

    def set_lr(self, lr) -> None:
        with self._cond:
            self._pending_lr = lr
            self._cond.notify_all()

    def set_max_steps(self, max_steps: int) -> None:
        with self._cond:
            self._pending_max_steps = int(max_steps)
            self._cond.notify_all()

    def watch(self, run: Optional[int]) -> None:
        """Attach run ``run``'s optimizer internals to every chunk while it runs (None: none)."""
        self._watch = None if run is None or run < 0 else int(run)

    def cancel(self) -> None:
        """Drop the current job (its late chunks are dropped by generation)."""
        with self._cond:
            self._job = None
            self._step_requests = 0
            self._cond.notify_all()

    def shutdown(self) -> None:
        with self._cond:
            self._stop = True
            self._job = None
            self._cond.notify_all()

    def set_gui_idle(self, idle: bool) -> None:
        """The GUI thread's event loop is about to block (True) or woke up (False)."""
        if idle:
            self.gui_idle.set()
        else:
            self.gui_idle.clear()

    @property
    def is_looping(self) -> bool:
        return self._running_loop

    # -- the loop (worker thread) --------------------------------------------------------
    @Slot()
    def run_loop(self) -> None:
        self._running_loop = True
        try:
            self._loop()
        finally:
            self._running_loop = False

    def _loop(self) -> None:
        last_emit = time.perf_counter()
        carry = 0.0
        current_gen = None
        while True:
            with self._cond:
                waited = False
                while True:
                    if self._stop:
                        return
                    job = self._job
                    if job is not None and not job.finished and (not self._paused or self._step_requests > 0):
                        break
                    waited = True
                    self._cond.wait()
                if not job.kernel_asked:
                    self._prepare_kernel(job)
                if waited or job.generation != current_gen:
                    current_gen = job.generation
                    carry = 0.0
                    last_emit = time.perf_counter()
                stepping = self._step_requests > 0
                if stepping:
                    k = self._step_requests
                    self._step_requests = 0
                    pause_after = True
                else:
                    pause_after = False
                    kmax = max(1, min(MAX_CHUNK_STEPS, int(CHUNK_SECONDS / max(self._step_seconds, 1e-7))))
                    if self._speed is None:
                        k = kmax
                    else:
                        now = time.perf_counter()
                        due = last_emit + 1.0 / TICKS_PER_SECOND
                        if now < due:
                            self._cond.wait(due - now)
                            continue
                        owed = carry + self._speed * (now - last_emit)
                        last_emit = now
                        k = min(int(owed), kmax)
                        carry = owed - k if k < kmax else 0.0
                        if k == 0:
                            continue
                # live changes are taken only when a chunk is really about to be stepped
                lr, self._pending_lr = self._pending_lr, None
                max_steps, self._pending_max_steps = self._pending_max_steps, None
                kernel = None if job.batch.fused else job.kernel
            gen = job.generation
            batch = job.batch
            try:
                changes = apply_live_changes(batch, lr, max_steps, kernel)
                chunks, dt = self._advance(job, k)
                done = bool(batch.done)
                msg = ChunkMessage(gen, tuple(chunks), dt, int(batch.step), done, changes,
                                   live_internals(batch, self._watch))
            except Exception as err:  # the engine failed: report, drop the job, live on
                traceback.print_exc()
                with self._cond:
                    if self._job is job:
                        job.finished = True
                self.sig_error.emit(gen, f"the descent stopped: {type(err).__name__}: {err}")
                time.sleep(0)
                continue
            n = sum(c.n_steps for c in chunks)
            if n:
                self._step_seconds = 0.7 * self._step_seconds + 0.3 * dt / n
            if self._speed is None and not stepping:
                last_emit = time.perf_counter()
            self.sig_chunk.emit(msg)
            time.sleep(0)
            if done:
                with self._cond:
                    job.finished = True
                self.sig_finished.emit(gen)
                time.sleep(0)
            elif pause_after:
                with self._cond:
                    idle = self._paused and self._step_requests == 0 and self._job is job
                if idle:
                    self.sig_idle.emit(gen)
                    time.sleep(0)

    def _prepare_kernel(self, job) -> None:
        """Have the fused kernel for a big job compiled in another process and loaded, on a
        background thread (app.batches.kernel_for); the loop adopts it between chunks."""
        job.kernel_asked = True

        def prepare():
            kernel = kernel_for(job.batch)
            with self._cond:
                job.kernel = kernel

        BackgroundThread(prepare, "gdstudio-kernel").start()

    def _advance(self, job, k: int):
        """Up to ``k`` steps in sub-chunks of about SUB_CHUNK_SECONDS. Before each one the
        worker gives way to the GUI thread: while the GUI's event loop is awake (handling
        events, painting) the worker waits without the GIL, so drawing never competes with
        stepping for the interpreter (a fused kernel too: stepping faster than the views draw
        only made their frames late). Returns the sub-chunks and the compute time."""
        batch = job.batch
        sub = max(1, int(SUB_CHUNK_SECONDS / max(self._step_seconds, 1e-7)))
        chunks = []
        compute = 0.0
        left = k
        while left > 0:
            if not self.gui_idle.is_set():
                self.gui_idle.wait(GUI_WAIT_MAX)
            if self._stop or self._job is not job:
                break  # cancelled: what was computed goes out (and is dropped by generation)
            t0 = time.perf_counter()
            ch = batch.advance(min(left, sub))
            compute += time.perf_counter() - t0
            if ch.n_steps == 0:
                break
            chunks.append(ch)
            left -= ch.n_steps
            if batch.done:
                break
        return chunks, compute


class _GuiActivity(QObject):
    """Application event filter: the GUI thread is handling an event, so it is busy."""

    def __init__(self, idle_flag: threading.Event):
        super().__init__()
        self._clear = idle_flag.clear

    def eventFilter(self, obj, ev):  # noqa: N802 (Qt's name)
        self._clear()
        return False


class WorkerThread:
    """A DescentWorker running its loop on a dedicated background thread."""

    def __init__(self, parent: Optional[QObject] = None):
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        self.worker = DescentWorker()
        # the loop runs on the one background-thread facility (a daemon thread: a loop stuck
        # in a long step when the window closes is left behind, never destroyed while running)
        self.thread = BackgroundThread(self.worker.run_loop, "gdstudio-descent-worker")
        # GUI priority: the worker steps only while the GUI thread's event loop sleeps.
        # Any event delivered in the GUI thread marks it busy (an application event
        # filter); the loop's aboutToBlock (it is going to sleep) marks it idle again.
        self._dispatcher = QAbstractEventDispatcher.instance()
        self._activity = None
        app = QCoreApplication.instance()
        if self._dispatcher is not None and app is not None:
            worker = self.worker
            self._activity = _GuiActivity(worker.gui_idle)
            app.installEventFilter(self._activity)
            self._on_block = worker.gui_idle.set
            self._dispatcher.aboutToBlock.connect(self._on_block)
        self.thread.start()

    def stop(self, timeout_ms: int = 3000) -> bool:
        """Stop the loop and the thread; True when the thread ended in time."""
        if self._activity is not None:
            try:
                self._dispatcher.aboutToBlock.disconnect(self._on_block)
            except (RuntimeError, TypeError):
                pass
            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self._activity)
            self._activity = None
        self.worker.gui_idle.set()
        self.worker.shutdown()
        return self.thread.wait(timeout_ms)

    @property
    def running(self) -> bool:
        return self.thread.running

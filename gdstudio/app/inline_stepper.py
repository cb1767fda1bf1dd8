"""A stepper for the runtime (app/runtime.py) that steps in the caller's thread: Run returns
when every run has stopped, Step when its steps are taken. Scripts and tests drive the
studio's runtime with it, with no thread and no Qt; the window uses the worker thread
(worker/descent_worker.py), which has the same commands and answers with the same messages.
Like the worker, it steps a big batch on numpy first and switches it to the fused kernel
(app.batches.kernel_for) once that is ready: here, after the first block of steps.

    runtime = headless_runtime()
    runtime.set_function_text("himmelblau")
    runtime.update_settings(lr=0.01, max_steps=500)
    runtime.run()          # returns when the runs have stopped
    runtime.tick()         # one frame to the listeners of runtime.events["frame"]
"""

from __future__ import annotations

import time
from typing import Optional

from .batches import kernel_for
from .chunks import ChunkMessage, apply_live_changes, live_internals
from .runtime import Runtime

#: steps per message (the worker sizes its chunks by time; here only the message size matters)
CHUNK_STEPS = 256


class InlineStepper:
    def __init__(self, chunk_steps: int = CHUNK_STEPS):
        self.chunk_steps = int(chunk_steps)
        self.runtime: Optional[Runtime] = None
        self._job = None  # (generation, batch)
        self._watch: Optional[int] = None
        self._lr = None  # a live change, applied before the next block of steps
        self._max_steps = None
        self._kernel_asked = False

    def deliver_to(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # -- the stepper's commands (app/runtime.py) ---------------------------------------------
    def start(self, generation: int, batch, paused: bool = False, steps: int = 0) -> None:
        self._job = (generation, batch)
        self._lr = self._max_steps = None
        self._kernel_asked = False
        if steps > 0:
            self.step(steps)
        elif not paused:
            self._advance(None)

    def pause(self) -> None:
        """(Nothing runs between two commands: Run and Step return when their steps are taken.)"""

    def resume(self) -> None:
        self._advance(None)

    def step(self, n: int = 1) -> None:
        if self._job is not None and self._advance(int(n)):
            self.runtime.on_idle(self._job[0])

    def cancel(self) -> None:
        self._job = None

    def watch(self, run: Optional[int]) -> None:
        self._watch = None if run is None or run < 0 else int(run)

    def set_lr(self, lr) -> None:
        self._lr = lr

    def set_max_steps(self, max_steps: int) -> None:
        self._max_steps = int(max_steps)

    def set_speed(self, steps_per_second) -> None:
        """(Inline stepping is always as fast as possible.)"""

    # -- stepping -------------------------------------------------------------------------------
    def _advance(self, n: Optional[int]) -> bool:
        """``n`` steps (None: to the end) in blocks; False when the job ended or was replaced."""
        job = self._job
        while job is not None and self._job is job:
            generation, batch = job
            if batch.done:
                return False
            k = self.chunk_steps if n is None else min(self.chunk_steps, n)
            lr, max_steps, self._lr, self._max_steps = self._lr, self._max_steps, None, None
            kernel = None
            if batch.step > 0 and not self._kernel_asked:
                self._kernel_asked = True
                kernel = kernel_for(batch)
            t0 = time.perf_counter()
            try:
                changes = apply_live_changes(batch, lr, max_steps, kernel)
                chunk = batch.advance(k)
            except Exception as err:  # the engine failed: report it, as the worker does
                self._job = None
                self.runtime.on_error(generation, f"the descent stopped: {type(err).__name__}: {err}")
                return False
            done = bool(batch.done)
            self.runtime.on_chunk(ChunkMessage(generation, (chunk,), time.perf_counter() - t0, int(batch.step),
                                               done, changes, live_internals(batch, self._watch)))
            if done:
                if self._job is job:
                    self.runtime.on_finished(generation)
                return False
            if chunk.n_steps == 0:
                return False
            if n is not None:
                n -= chunk.n_steps
                if n <= 0:
                    return True
        return False


def headless_runtime(chunk_steps: int = CHUNK_STEPS) -> Runtime:
    """A :class:`~gdstudio.app.runtime.Runtime` stepped by an :class:`InlineStepper`."""
    stepper = InlineStepper(chunk_steps)
    runtime = Runtime(stepper)
    stepper.deliver_to(runtime)
    return runtime

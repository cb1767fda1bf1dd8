"""What a stepper sends to the runtime (app/runtime.py): immutable messages, one per block of
steps of one job (generation), with the watched run's optimizer internals read from the batch's
own state in the stepping thread. The window's stepper is worker/descent_worker.py (a thread);
the headless one is app/inline_stepper.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.internals import Carried, run_internals
from ..core.status import RUNNING


@dataclass(frozen=True)
class LiveInternals:
    """What the optimizer of a running run carries after ``steps`` steps, at ``point``."""

    run: int
    steps: int
    point: np.ndarray  # (d,)
    carried: tuple  # core.internals.Carried, ...


def live_internals(batch, run: Optional[int]) -> Optional[LiveInternals]:
    """:class:`LiveInternals` of ``run`` of ``batch``, or None when the run is not running
    (a stopped run's state keeps changing with the batch's, so it is not the run's any more)
    or left the finite numbers."""
    if run is None or not 0 <= run < batch.n_runs or int(batch.status[run]) != RUNNING \
            or int(batch.steps[run]) != int(batch.step):
        return None
    point = np.array(batch.points[run], float)  # x, y (a polar batch keeps (r, θ) in X)
    if not np.all(np.isfinite(point)):
        return None
    try:
        with np.errstate(all="ignore"):
            carried: tuple[Carried, ...] = tuple(run_internals(batch, run))
    except (ValueError, IndexError, FloatingPointError):
        return None
    return LiveInternals(int(run), int(batch.step), point, carried)


@dataclass(frozen=True)
class ChunkMessage:
    """What the worker sends: one immutable chunk of one job (generation)."""

    generation: int
    chunks: tuple  # gdstudio.core.runner.Chunk objects (read-only arrays), in step order
    seconds: float  # compute time of these chunks
    batch_step: int  # the batch's step counter after the chunk
    done: bool  # every run has stopped
    #: live changes applied to the batch just before this chunk: (("lr", value), ...)
    changes: tuple = ()
    #: the watched run's optimizer internals after the chunk (None: no watched running run)
    internals: Optional[LiveInternals] = None


#: the live change recorded when a batch switches to its fused kernel (value: "fused")
ENGINE = "engine"


def apply_live_changes(batch, lr=None, max_steps=None, kernel=None) -> tuple:
    """Apply a rate and a step limit changed while the batch runs (None: unchanged), and a
    fused kernel to step on from now (app.batches.kernel_for), before its next block of
    steps; returns them as a :class:`ChunkMessage` records them."""
    changes = []
    if lr is not None:
        batch.set_lr(lr)
        changes.append(("lr", lr))
    if max_steps is not None:
        batch.set_max_steps(max_steps)
        changes.append(("max_steps", max_steps))
    if kernel is not None and batch.fusable():
        batch.adopt_kernel(kernel)
        changes.append((ENGINE, "fused"))
    return tuple(changes)


def apply_recorded_change(batch, name: str, value) -> None:
    """Re-apply one recorded live change to a replayed batch, at the step it was made."""
    if name == "lr":
        batch.set_lr(value)
    elif name == "max_steps":
        batch.set_max_steps(int(value))
    elif name == ENGINE:
        from .batches import kernel_for

        kernel = kernel_for(batch)
        if kernel is None:
            raise RuntimeError("the fused kernel these runs switched to cannot be loaded, so they cannot be replayed exactly")
        batch.adopt_kernel(kernel)

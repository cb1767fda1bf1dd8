"""Inside the optimizer, for the window's selected run (no Qt): what the optimizer carries at
the run's current point (core/internals.py: −∇f, the next step, momentum's velocity, the
adaptive per-coordinate step sizes and Adam's moments).

The window's runs are stepped by a worker thread that owns their optimizer state, so the
state is not read from there: the selected run is replayed alone from its start for the
steps it took (the engine is deterministic: the same start, optimizer, rate, schedule and
hyper-parameters give the same state, bit for bit), and :func:`run_internals` reads the
replay. Replays are bounded (``MAX_REPLAY_STEPS``); the caller caches by (run, step).

:func:`internals_lines` is what the point inspector lists.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..core.internals import Carried, run_internals

__all__ = ["MAX_REPLAY_STEPS", "replay_internals", "internals_lines"]

#: the longest replay (about 0.1-0.3 s on the numpy path): a run further along shows nothing
MAX_REPLAY_STEPS = 20_000


def replay_internals(objective, start, steps: int, optimizer: str, lr: float, hyper: dict, schedule=None,
                     max_steps: int = 1000, tol: float = 1e-6,
                     domain=None, check=None) -> Optional[tuple[np.ndarray, list[Carried]]]:
    """(the run's point after ``steps`` steps, what its optimizer carries there), or None when
    ``steps`` is beyond ``MAX_REPLAY_STEPS`` or the run left the finite numbers. ``check``
    (if given) is called between blocks of steps: a background job's cancellation check."""
    from ..core.runner import BatchDescent

    steps = int(steps)
    if steps > MAX_REPLAY_STEPS:
        return None
    batch = BatchDescent(objective, np.asarray(start, float).reshape(1, -1), optimizer=optimizer, lr=lr,
                         schedule=schedule, max_steps=max_steps, tol=tol, domain=domain, use_fused=False,
                         **hyper)
    while batch.step < steps and not batch.done:
        if check is not None:
            check()
        batch.advance(min(500, steps - batch.step), record=False)
    p = batch.points[0].copy()
    if not np.all(np.isfinite(p)):
        return None
    with np.errstate(all="ignore"):
        carried = run_internals(batch, 0)
    return p, carried


def _fmt(v: float) -> str:
    return f"{float(v) + 0.0:.4g}"  # + 0.0: never "-0"


def internals_lines(carried: list[Carried], names=("x", "y")) -> list[tuple[str, str]]:
    """(label, value) rows for the point inspector: each carried quantity per coordinate."""
    rows = []
    for c in carried:
        v = np.asarray(c.value, float).ravel()
        rows.append((c.label, "(" + ", ".join(_fmt(a) for a in v) + ")"))
    return rows

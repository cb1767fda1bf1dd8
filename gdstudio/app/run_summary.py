"""What the window says about the runs, honestly (no Qt): the state label, the best value,
and what to do when runs diverge.

* :func:`state_text`: "finished", "diverged" or "3 of 10 runs diverged" (and "running… · 2 of
  10 diverged" while running): divergence is announced where the person looks, not only in a
  table column scrolled out of view.
* the best value counts finite, non-diverged runs only: ``RunStore.best()``.
* :func:`stable_lr_suggestion`: a learning rate below 2/λmax at the diverged runs' start
  points, from the exact Hessian (:func:`~gdstudio.app.geometry.point_report`, the point
  inspector's computation; the housing panel suggests the same 0.9 × 2/λmax for its cost).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.status import DIVERGED
from .geometry import point_report

__all__ = ["visible_step", "STATE_WORDS", "state_text", "diverged_count", "LrSuggestion", "stable_lr_suggestion"]

STATE_WORDS = {"idle": "ready", "running": "running…", "paused": "paused", "done": "finished"}
#: fraction of the limit 2/λmax suggested (the housing panel's rule)
SAFETY = 0.9
#: diverged starts examined at most (one exact Hessian each)
MAX_EXAMINED = 64


def diverged_count(status) -> tuple[int, int]:
    """(diverged runs, all runs)."""
    status = np.asarray(status)
    return int(np.count_nonzero(status == DIVERGED)), int(status.size)


def state_text(state: str, status) -> str:
    """The state label: the run state, and how many runs diverged when any did."""
    base = STATE_WORDS.get(state, state)
    d, n = diverged_count(status)
    if d == 0:
        return base
    if state in ("idle", "done"):
        return "diverged" if n == 1 else f"{d} of {n} runs diverged"
    return f"{base} · {'diverged' if n == 1 else f'{d} of {n} diverged'}"


@dataclass(frozen=True)
class LrSuggestion:
    """A learning rate to try (``lr``), the limit 2/λmax it stays below (``limit``), where
    that limit was measured (``at``, the start point with the largest λmax) and the sentence
    that says so."""

    lr: float
    limit: float
    at: tuple
    text: str


def stable_lr_suggestion(objective, starts, status, lr, optimizer: str = "gd") -> Optional[LrSuggestion]:
    """For the runs that diverged (``status`` per run, ``starts`` their start points): a
    learning rate 0.9 × 2/λmax at the start point where λmax is largest (the exact Hessian),
    rounded to three digits; None when no run diverged or λmax ≤ 0 at every such start (the
    function falls away there: no rate is stable, the run escapes downhill)."""
    status = np.asarray(status)
    S = np.asarray(starts, float).reshape(status.size, -1)[status == DIVERGED]
    if S.shape[0] == 0:
        return None
    S = np.unique(S, axis=0)[:MAX_EXAMINED]
    best = None
    for x, y in S[:, :2]:
        try:
            lim = point_report(objective, x, y)["lr_max"]
        except (ValueError, FloatingPointError, NotImplementedError):
            continue
        if lim is not None and math.isfinite(lim) and lim > 0 and (best is None or lim < best[0]):
            best = (float(lim), (float(x), float(y)))
    if best is None:
        return None
    limit, at = best
    new = float(f"{SAFETY * limit:.3g}")
    d, n = diverged_count(status)
    runs = "The run diverged" if n == 1 else f"{d} of {n} runs diverged"
    where = f"({at[0]:.4g}, {at[1]:.4g})"
    rule = "plain gradient descent is stable only below 2/λmax" if optimizer == "gd" else \
        "plain gradient descent would be stable only below 2/λmax"
    text = (f"{runs}: learning rate {float(lr):.3g} is too large; at the start {where} {rule} = {limit:.3g}. "
            f"Try {new:.3g}.")
    return LrSuggestion(new, limit, at, text)


def visible_step(step, domain, fraction: float = 0.01):
    """``step`` ((x, y, f) before, after) when it is at least ``fraction`` of the domain's larger
    side long, else None: the last step of a run that has arrived is too short to draw."""
    if step is None:
        return None
    (xa, xb), (ya, yb) = domain
    a, b = (np.asarray(p, float) for p in step)
    return step if np.hypot(*(b[:2] - a[:2])) >= fraction * max(xb - xa, yb - ya) else None

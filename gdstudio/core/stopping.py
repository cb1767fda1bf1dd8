"""The stopping rules, written once, in the three forms the engine runs them.

After every step a run is checked, in this order:

* ``diverged``   the step produced a non-finite point, value or gradient (the step is
  rejected, so the trajectory ends at the last finite point), or a coordinate left the domain
  by more than ``DIVERGENCE_FACTOR`` domain widths (that point is kept: it is finite);
* ``converged``  the gradient norm is ≤ tol (tol = 0 never converges);
* ``max_steps``  the run took ``max_steps`` steps.

A start point is checked the same way before the first step (a non-finite start diverges, a
start on a critical point has converged).

The batch runner applies these rules to arrays (:func:`batch_after_step`), the one-run fast path
to floats (:func:`float_after_step`), and the fused kernel's source is generated from the same
constants (:func:`kernel_after_step`). The tests check that the three agree run for run.
"""

from __future__ import annotations

import numpy as np

from .status import CONVERGED, DIVERGED, MAX_STEPS, RUNNING

#: a coordinate further than this many domain widths outside the domain has diverged
DIVERGENCE_FACTOR = 100.0


def check_stopping(max_steps: int, tol: float) -> None:
    """Refuse a step limit below 0 or a tolerance that is negative or not a number."""
    if int(max_steps) < 0:
        raise ValueError("the step limit must be ≥ 0")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"invalid tolerance {tol!r}: it must be a number ≥ 0")


def divergence_limits(domain, factor: float = DIVERGENCE_FACTOR) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates beyond these bounds (``factor`` domain widths outside) count as diverged."""
    lo = np.array([a for a, _ in domain], float)
    hi = np.array([b for _, b in domain], float)
    width = np.maximum(hi - lo, 1e-12)
    return lo - factor * width, hi + factor * width


def tol_squared(tol: float) -> float:
    """The convergence test compares ‖∇f‖² with tol², so no square root is taken; 0 means
    "never converge"."""
    return float(tol) * float(tol) if tol > 0 else 0.0


# -- floats: the one-run fast path ---------------------------------------------------------
def float_finite(total: float) -> bool:
    """True when ``total`` (a sum of everything a step produced) is finite: a NaN or an
    infinity anywhere makes the sum non-finite, and then ``total - total`` is not 0."""
    return total - total == 0.0


def float_after_step(x, g, t: int, lo, hi, tol2: float, max_steps: int) -> int:
    """The status after an accepted (finite) step ``t`` to the point ``x`` with gradient ``g``."""
    for v, a, b in zip(x, lo, hi):
        if v < a or v > b:
            return DIVERGED
    if tol2 > 0 and sum(v * v for v in g) <= tol2:
        return CONVERGED
    if t >= max_steps:
        return MAX_STEPS
    return RUNNING


def float_at_start(g, tol2: float, max_steps: int) -> int:
    """The status of a finite start point before the first step."""
    if tol2 > 0 and sum(v * v for v in g) <= tol2:
        return CONVERGED
    return MAX_STEPS if max_steps == 0 else RUNNING


# -- arrays: the batch runner --------------------------------------------------------------
def batch_after_step(status, accepted, X, gn2, t: int, lim_lo, lim_hi, tol2: float, max_steps: int,
                     check_box: bool = True) -> None:
    """Update ``status`` (N,) in place after step ``t``: ``accepted`` runs moved to ``X``
    (d, N) with squared gradient norms ``gn2``; rejected running runs were marked diverged by
    the caller. ``check_box=False`` when the caller already knows every point is inside the
    divergence limits."""
    if check_box:
        outside = ((X < lim_lo) | (X > lim_hi)).any(axis=0)
        status[accepted & outside] = DIVERGED
    if tol2 > 0:
        converged = (status == RUNNING) & (gn2 <= tol2)
        if converged.any():
            status[converged] = CONVERGED
    if t >= max_steps:
        status[status == RUNNING] = MAX_STEPS


def batch_at_start(status, finite, gn2, tol2: float, max_steps: int) -> None:
    """The statuses of the start points (``finite``: value and gradient are finite there)."""
    status[~finite] = DIVERGED
    if tol2 > 0:
        status[finite & (status == RUNNING) & (gn2 <= tol2)] = CONVERGED
    if max_steps == 0:
        status[status == RUNNING] = MAX_STEPS


# -- the fused kernel's source -------------------------------------------------------------
def kernel_after_step(points: list[str], grads: list[str], indent: str) -> list[str]:
    """Source lines that set ``status[i]`` after an accepted step, for the fused kernel
    (fused.py); ``points``/``grads`` are the names of the new coordinates and gradient,
    ``lo``, ``hi``, ``tol2``, ``t`` and ``max_steps`` are the kernel's variables."""
    out_of_box = " or ".join(f"{p} < lo[{c}] or {p} > hi[{c}]" for c, p in enumerate(points))
    gn2 = " + ".join(f"{h} * {h}" for h in grads)
    return [
        f"{indent}if {out_of_box}:",
        f"{indent}    status[i] = {DIVERGED}",
        f"{indent}elif tol2 > 0 and {gn2} <= tol2:",
        f"{indent}    status[i] = {CONVERGED}",
        f"{indent}elif t >= max_steps:",
        f"{indent}    status[i] = {MAX_STEPS}",
    ]


def kernel_finite_check(value: str, points: list[str], grads: list[str]) -> str:
    """The kernel's test that a step produced only finite numbers (see :func:`float_finite`)."""
    return f"{value}" + "".join(f" + {h} + {p}" for h, p in zip(grads, points))

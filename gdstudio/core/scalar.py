"""The fast path for a handful of runs: a plain-Python loop on floats.

Dragging a start point recomputes its whole trajectory on every mouse move. For one run,
numpy's per-call overhead (about a microsecond per operation on tiny arrays) would dominate,
so this loop calls the objective's compiled scalar gradient and the optimizer record's update
rule, the very function whose source the fused kernel compiles (see optimizers.py). The
stopping rules are stopping.py's float form; tests check that this path and the batch runner
agree bit for bit.
"""

from __future__ import annotations

from typing import Sequence

from .optimizers import Optimizer
from .status import DIVERGED, RUNNING
from .stopping import float_after_step, float_at_start, float_finite, tol_squared

_MATH_ERRORS = (ValueError, OverflowError, ZeroDivisionError)


def scalar_descent(
    fg,
    start: Sequence[float],
    optimizer: Optimizer,
    lrs: Sequence[float],
    max_steps: int,
    tol: float,
    lim_lo: Sequence[float],
    lim_hi: Sequence[float],
    record: bool = True,
):
    """Run one descent. ``fg(*coords) -> (f, grads)`` on floats; ``lrs[t]`` is the rate of
    update t (0-based). Returns (points, values, grads, status, steps): lists of tuples (one per
    step, step 0 included, or only the last when ``record`` is false)."""
    x = [float(v) for v in start]
    d = len(x)
    update = optimizer.float_update
    factors = optimizer.float_factors
    hyper = optimizer.hyper_values
    n_state = len(optimizer.state_names)
    state = [[0.0] * n_state for _ in range(d)]
    tol2 = tol_squared(tol)
    try:
        f, g = fg(*x)
        f = float(f)
        g = [float(v) for v in g]
        if not float_finite(f + sum(g)):
            raise ValueError
    except _MATH_ERRORS:
        return [tuple(x)], [float("nan")], [tuple([float("nan")] * d)], DIVERGED, 0
    points, values, grads = [tuple(x)], [f], [tuple(g)]
    t = 0
    status = float_at_start(g, tol2, max_steps)
    while status == RUNNING:
        t1 = t + 1
        a, b = factors(t1, lrs[t], *hyper)
        new_x = [0.0] * d
        new_state = [None] * d
        for i in range(d):
            out = update(x[i], g[i], *state[i], a, b, *hyper)
            new_x[i] = out[0]
            new_state[i] = list(out[1:])
        try:
            fn, gn = fg(*new_x)
            fn = float(fn)
            gn = [float(v) for v in gn]
        except _MATH_ERRORS:
            status = DIVERGED
            break
        if not float_finite(fn + sum(gn) + sum(new_x)):  # reject the step
            status = DIVERGED
            break
        x, g, f, state, t = new_x, gn, fn, new_state, t1
        if record:
            points.append(tuple(x))
            values.append(f)
            grads.append(tuple(g))
        status = float_after_step(x, g, t, lim_lo, lim_hi, tol2, max_steps)
    if not record:
        points, values, grads = [tuple(x)], [f], [tuple(g)]
    return points, values, grads, status, t

"""The fast path for a handful of runs: a plain-Python loop on floats.

Dragging a start point recomputes its whole trajectory on every mouse move. For one run,
numpy's per-call overhead (about a microsecond per operation on tiny arrays) would dominate,
so this loop calls the objective's compiled scalar gradient and the optimizer's float update,
the very same update source the batch runner executes on arrays (see optimizers.py). The
stopping rules are those of runner.py; tests check that both paths agree.
"""

from __future__ import annotations

from typing import Sequence

from .optimizers import Optimizer
from .runner import CONVERGED, DIVERGED, MAX_STEPS

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
    tol2 = tol * tol
    try:
        f, g = fg(*x)
        f = float(f)
        g = [float(v) for v in g]
        bad = f + sum(g)
        if bad - bad != 0.0:
            raise ValueError
    except _MATH_ERRORS:
        return [tuple(x)], [float("nan")], [tuple([float("nan")] * d)], DIVERGED, 0
    points, values, grads = [tuple(x)], [f], [tuple(g)]
    status = MAX_STEPS
    t = 0
    if tol > 0 and sum(v * v for v in g) <= tol2:
        status = CONVERGED
    else:
        while t < max_steps:
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
            check = fn + sum(gn) + sum(new_x)
            if check - check != 0.0:  # a NaN or an infinity somewhere: reject the step
                status = DIVERGED
                break
            x, g, f, state, t = new_x, gn, fn, new_state, t1
            if record:
                points.append(tuple(x))
                values.append(f)
                grads.append(tuple(g))
            if any(v < lo or v > hi for v, lo, hi in zip(x, lim_lo, lim_hi)):
                status = DIVERGED
                break
            if tol > 0 and sum(v * v for v in g) <= tol2:
                status = CONVERGED
                break
    if not record:
        points, values, grads = [tuple(x)], [f], [tuple(g)]
    return points, values, grads, status, t

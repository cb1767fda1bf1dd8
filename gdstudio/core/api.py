"""``descend()``: the Python front door, for notebooks and scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .critical import CriticalPoint, classify_hessians, group_critical_points, hessians
from .objective import Domain, Objective, as_points
from .optimizers import DEFAULT_LR, make_optimizer, validate_lr
from .runner import CONVERGED, STATUS_NAMES, BatchDescent, check_stopping, divergence_limits
from .scalar import scalar_descent
from .schedules import Schedule

#: a run that stopped without converging is called critical only below this gradient norm
NOT_CRITICAL_GRAD = 1e-3

#: at most this many runs take the plain-Python path (see scalar.py)
SCALAR_PATH_MAX_RUNS = 4


@dataclass
class DescentResult:
    """What ``descend`` found; in the spirit of scipy.optimize.OptimizeResult."""

    objective: Objective
    starts: np.ndarray  # (N, d)
    final_points: np.ndarray  # (N, d)
    values: np.ndarray  # (N,)
    final_grads: np.ndarray  # (N, d)
    status: list[str]
    steps: list[int]
    critical: list[str]  # kind of each end point
    critical_points: list[CriticalPoint]
    trajectories: Optional[list[np.ndarray]] = None  # each (steps_i + 1, d)
    trajectory_values: Optional[list[np.ndarray]] = None  # each (steps_i + 1,)
    trajectory_grads: Optional[list[np.ndarray]] = None  # each (steps_i + 1, d)
    settings: dict = field(default_factory=dict)

    @property
    def best(self) -> Optional[CriticalPoint]:
        return next((c for c in self.critical_points if c.best), None)

    def __len__(self) -> int:
        return len(self.status)


def _resolve(function) -> Objective:
    if isinstance(function, Objective):
        return function
    from .presets import get_objective

    return get_objective(str(function))


def descend(
    function,
    starts: Sequence | np.ndarray,
    optimizer: str | Sequence[str] = "gd",
    lr=None,
    steps: int = 1000,
    tol: float = 1e-6,
    record: bool = True,
    schedule: Schedule | None = None,
    domain: Domain | None = None,
    **hyper,
) -> DescentResult:
    """Run gradient descent from every start point at once.

    ``function`` is an expression in x and y (``"x**2 + 3*y**2"``), a preset name
    (``"rosenbrock"``) or an :class:`~gdstudio.core.objective.Objective`. ``starts`` is an
    (N, d) array or a list of pairs. ``optimizer`` is one of gd, momentum, nesterov, adagrad,
    rmsprop, adam (or one name per run); ``lr`` and the hyper-parameters (``momentum``,
    ``betas``, ``alpha``, ``eps``) may be scalars or one value per run. ``steps`` is the most
    steps per run; ``tol`` the gradient-norm stop (0: never).
    """
    objective = _resolve(function)
    P = as_points(starts, objective.dim)
    schedule = schedule or Schedule()
    dom = tuple(domain) if domain is not None else objective.domain()
    n = P.shape[0]
    simple = (
        isinstance(optimizer, str)
        and (lr is None or np.ndim(lr) == 0)
        and all(np.ndim(v) == 0 or k == "betas" for k, v in hyper.items() if v is not None)
    )
    use_scalar = (
        simple
        and n <= SCALAR_PATH_MAX_RUNS
        and objective.scalar_value_and_grad is not None
        and not hasattr(objective, "on_step")
    )
    if use_scalar:
        result = _descend_scalar(objective, P, optimizer, lr, steps, tol, record, schedule, dom, hyper)
    else:
        result = _descend_batch(objective, P, optimizer, lr, steps, tol, record, schedule, dom, hyper)
    result.settings = {
        "function": getattr(objective, "source", "") or getattr(objective, "label", ""),
        "optimizer": optimizer if isinstance(optimizer, str) else list(optimizer),
        "lr": lr if lr is None or np.ndim(lr) == 0 else list(np.ravel(lr)),
        "steps": int(steps),
        "tol": float(tol),
        "schedule": schedule.describe(),
        "domain": [list(r) for r in dom],
        "hyper": {k: (list(v) if np.ndim(v) else v) for k, v in hyper.items() if v is not None},
    }
    return result


def _finish(objective, P, X, f, G, status_codes, steps, trajs, tvals, tgrads) -> DescentResult:
    status = [STATUS_NAMES[int(s)] for s in status_codes]
    # A network's exact Hessian costs d gradient evaluations per point: classify a few
    # end points of a large model, not thousands.
    affordable = objective.dim <= 64 or len(X) <= 8
    with np.errstate(all="ignore"):
        H = hessians(objective, X) if affordable else None
    gn = np.linalg.norm(G, axis=1)
    if H is None:
        kinds = ["unknown"] * len(status)
    else:
        kinds = classify_hessians(H, gn)[0]
    # "none": the run stopped away from any critical point (it diverged, or ran out of steps
    # while the gradient was still large), so the Hessian there says nothing about a kind
    kinds = [
        "none" if s == "diverged" or (s != "converged" and g > NOT_CRITICAL_GRAD) else k
        for k, s, g in zip(kinds, status, gn)
    ]
    # a critical point needs a (nearly) vanishing gradient: converged runs, or runs that
    # ran out of steps already sitting on one
    ok = (np.asarray(status_codes) == CONVERGED) | (gn <= 1e-5)
    groups = group_critical_points(objective, X, ok, values=f)
    return DescentResult(
        objective, P, X, f, G, status, [int(s) for s in steps], kinds, groups, trajs, tvals, tgrads
    )


def _descend_scalar(objective, P, optimizer, lr, steps, tol, record, schedule, dom, hyper):
    if lr is None:
        lr = DEFAULT_LR.get(str(optimizer).lower(), 1e-3)
    validate_lr(lr)
    opt = make_optimizer(optimizer, **hyper)
    check_stopping(steps, tol)
    lrs = schedule.lr_sequence(float(lr), int(steps))
    lo, hi = (list(b) for b in divergence_limits(dom))
    n, d = P.shape
    X = np.empty((n, d))
    G = np.empty((n, d))
    f = np.empty(n)
    codes, nsteps, trajs, tvals, tgrads = [], [], [], [], []
    fg = objective.scalar_value_and_grad
    for i in range(n):
        pts, vals, grs, status, k = scalar_descent(fg, P[i], opt, lrs, int(steps), float(tol), lo, hi, record)
        X[i], f[i], G[i] = pts[-1], vals[-1], grs[-1]
        codes.append(status)
        nsteps.append(k)
        if record:
            trajs.append(np.array(pts, float))
            tvals.append(np.array(vals, float))
            tgrads.append(np.array(grs, float))
    return _finish(objective, P, X, f, G, codes, nsteps, trajs if record else None,
                   tvals if record else None, tgrads if record else None)


def _descend_batch(objective, P, optimizer, lr, steps, tol, record, schedule, dom, hyper):
    run = BatchDescent(objective, P, optimizer, lr, schedule, steps, tol, dom, **hyper)
    frames_p, frames_f, frames_g = [], [], []
    if record:
        first = run.initial_chunk()
        frames_p.append(first.points)
        frames_f.append(first.values)
        frames_g.append(first.grads)
    while not run.done:
        chunk = run.advance(256, record=record)
        if record and chunk.n_steps:
            frames_p.append(chunk.points)
            frames_f.append(chunk.values)
            frames_g.append(chunk.grads)
    trajs = tvals = tgrads = None
    if record:
        allp = np.concatenate(frames_p)
        allf = np.concatenate(frames_f)
        allg = np.concatenate(frames_g)
        # runs advance in lockstep, so run i's first steps_i + 1 rows are its trajectory
        trajs = [allp[: s + 1, i].copy() for i, s in enumerate(run.steps)]
        tvals = [allf[: s + 1, i].copy() for i, s in enumerate(run.steps)]
        tgrads = [allg[: s + 1, i].copy() for i, s in enumerate(run.steps)]
    return _finish(objective, P, run.points.copy(), run.values.copy(), run.grads.copy(),
                   run.status, run.steps, trajs, tvals, tgrads)


def summarize_run(run: BatchDescent, starts: np.ndarray | None = None) -> DescentResult:
    """A DescentResult (without trajectories) for a batch that has been driven elsewhere,
    e.g. streamed into a CSV by the command line."""
    P = run.initial_points if starts is None else np.asarray(starts, float)
    return _finish(run.objective, P, run.points.copy(), run.values.copy(), run.grads.copy(),
                   run.status, run.steps, None, None, None)

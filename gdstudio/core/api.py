"""``descend()``: the Python front door, for notebooks and scripts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .config import DescentConfig
from .critical import (
    CriticalPoint,
    classify_hessians,
    critical_candidates,
    end_point_kinds,
    gradient_norms,
    group_critical_points,
    hessians,
)
from .objective import Domain, Objective, as_points
from .optimizers import DEFAULT_LR, make_optimizer, validate_lr
from .runner import BatchDescent
from .report import Summary, batch_message, short_description, summary_text
from .scalar import scalar_descent
from .schedules import Schedule, parse_schedule
from .status import STATUS_KEYS, Status
from .status_array import StatusArray
from .stopping import check_stopping, divergence_limits

#: at most this many runs take the plain-Python path (see scalar.py)
SCALAR_PATH_MAX_RUNS = 4


@dataclass(repr=False)
class DescentResult:
    """What ``descend`` found; in the spirit of scipy.optimize.OptimizeResult.

    Per run: ``starts``, ``final_points``, ``values``, ``final_grads``, ``status`` (a
    :class:`~.status_array.StatusArray`), ``steps``/``nit``, ``nfev``, ``success``,
    ``critical`` (the kind of each end point) and, when recorded, the trajectories. For the
    batch: ``critical_points``, ``best``, ``x``/``fun`` (the best end point), ``message``,
    ``settings``; ``summary()`` and ``to_pandas()`` to read it.
    """

    objective: Objective
    starts: np.ndarray  # (N, d)
    final_points: np.ndarray  # (N, d)
    values: np.ndarray  # (N,)
    final_grads: np.ndarray  # (N, d)
    status: StatusArray
    steps: list[int]
    critical: list[str]  # kind of each end point
    critical_points: list[CriticalPoint]
    trajectories: Optional[list[np.ndarray]] = None  # each (steps_i + 1, d)
    trajectory_values: Optional[list[np.ndarray]] = None  # each (steps_i + 1,)
    trajectory_grads: Optional[list[np.ndarray]] = None  # each (steps_i + 1, d)
    config: Optional[DescentConfig] = None  # the settings the runs used (see core/config.py)

    @property
    def settings(self) -> dict:
        """The configuration as JSON-ready data (``config.to_dict()``)."""
        return self.config.to_dict() if self.config is not None else {}
    #: the descent's own coordinates when it ran in other ones (polar: ("r", "theta")), with
    #: each run's path in them, each (steps_i + 1, 2); None for a Cartesian descent
    coordinate_names: Optional[tuple[str, ...]] = None
    coordinate_trajectories: Optional[list[np.ndarray]] = None

    @property
    def best(self) -> Optional[CriticalPoint]:
        return next((c for c in self.critical_points if c.best), None)

    def __len__(self) -> int:
        return len(self.status)

    # -- what a scipy user looks for -------------------------------------------------------
    @property
    def success(self) -> np.ndarray:
        """(N,) bool: the runs that converged (‖∇f‖ ≤ tol). ``result.success.all()`` is the
        whole batch; :attr:`all_converged` says the same."""
        return self.status == Status.CONVERGED

    @property
    def all_converged(self) -> bool:
        """True when every run converged."""
        return bool(len(self.status)) and bool(self.success.all())

    @property
    def message(self) -> str:
        """One sentence for the whole batch, e.g. ``1 of 2 runs converged; 1 took the most
        steps allowed.`` (``result.status.messages`` has one per run)."""
        return batch_message(self.status)

    @property
    def nit(self) -> np.ndarray:
        """(N,) int: steps (iterations) each run took."""
        return np.asarray(self.steps, dtype=np.int64)

    @property
    def nfev(self) -> np.ndarray:
        """(N,) int: evaluations of the value and gradient each run made (one at its start,
        one per step)."""
        return self.nit + 1

    def _best_index(self) -> Optional[int]:
        best = self.best
        if best is not None:
            return int(best.runs[0])
        vals = np.asarray(self.values, float)
        finite = np.flatnonzero(np.isfinite(vals))
        return int(finite[np.argmin(vals[finite])]) if finite.size else None

    @property
    def x(self) -> Optional[np.ndarray]:
        """The best end point: the lowest minimum found, else the lowest end value."""
        i = self._best_index()
        return None if i is None else self.final_points[i].copy()

    @property
    def fun(self) -> Optional[float]:
        """The value at :attr:`x`."""
        i = self._best_index()
        return None if i is None else float(self.values[i])

    # -- reading it -----------------------------------------------------------------------
    def __repr__(self) -> str:
        return short_description(self)

    def summary(self, all_points: bool = False) -> "Summary":
        """A table: the function and settings, runs by status and by kind, steps and
        evaluations, the best minimum and the distinct critical points (the first ten unless
        ``all_points``). Prints as text; in a notebook it shows as the table."""
        return Summary(summary_text(self, limit=None if all_points else 10))

    def to_pandas(self):
        """A pandas DataFrame with one row per run: ``run``, the start (``start_x``, …), the
        end (``x``, ``y``, … named after the variables), ``value``, the end gradient
        (``grad_x``, …), ``steps``, ``nfev``, ``status``, ``success`` and ``critical``.
        Needs pandas (``pip install pandas``, or the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas, which is not installed: pip install pandas "
                              "(or pip install 'gdstudio[pandas]')") from None
        names = list(self.objective.names)
        cols: dict = {"run": np.arange(len(self.status))}
        for k, n in enumerate(names):
            cols[f"start_{n}"] = self.starts[:, k]
        for k, n in enumerate(names):
            cols[n] = self.final_points[:, k]
        cols["value"] = np.asarray(self.values, float)
        for k, n in enumerate(names):
            cols[f"grad_{n}"] = self.final_grads[:, k]
        cols["steps"] = self.nit
        cols["nfev"] = self.nfev
        cols["status"] = pd.Categorical(np.asarray(self.status), categories=list(STATUS_KEYS))
        cols["success"] = self.success
        cols["critical"] = pd.Categorical(self.critical)
        return pd.DataFrame(cols)


def _sympy_text(expr) -> str:
    """A sympy expression written in the studio's syntax, so that it goes through the same
    checked parser and compilation as typed text (and is recorded as text in sidecars)."""
    from sympy.printing.str import StrPrinter

    from .expression import ExpressionError

    class _Printer(StrPrinter):
        def _print_Abs(self, e):
            return f"abs({self._print(e.args[0])})"

        def _nested(self, name, args):
            first, *rest = args
            return self._print(first) if not rest else f"{name}({self._print(first)}, {self._nested(name, rest)})"

        def _print_Max(self, e):
            return self._nested("max", list(e.args))

        def _print_Min(self, e):
            return self._nested("min", list(e.args))

    extra = sorted(s.name for s in expr.free_symbols if s.name not in ("x", "y"))
    if extra:
        raise ExpressionError(f"a sympy expression must be a function of x and y; this one also "
                              f"has {', '.join(extra)}")
    return _Printer().doprint(expr)


def _resolve(function) -> Objective:
    if isinstance(function, Objective):
        return function
    from .presets import get_objective

    if isinstance(function, str):
        return get_objective(function)
    try:
        import sympy
    except ImportError:  # pragma: no cover - sympy is a dependency
        sympy = None
    if sympy is not None and isinstance(function, sympy.Basic):
        return get_objective(_sympy_text(function))
    if callable(function):
        raise TypeError(
            "descend() takes the function as text (\"x^2 + 3*y^2\"), a preset name, a sympy "
            "expression or an Objective, not a Python function: the engine differentiates the "
            "formula exactly, which it cannot do with compiled Python code"
        )
    raise TypeError(f"descend() takes the function as text, a preset name, a sympy expression "
                    f"or an Objective, not {type(function).__name__}")


def descend(
    function,
    starts: Sequence | np.ndarray,
    optimizer: str | Sequence[str] = "gd",
    lr=None,
    steps: int = 1000,
    tol: float = 1e-6,
    record: bool = True,
    schedule: Schedule | str | None = None,
    domain: Domain | None = None,
    coordinates: str = "cartesian",
    gradient: str = "metric",
    **hyper,
) -> DescentResult:
    """Run gradient descent from every start point at once.

    ``function`` is an expression in x and y (``"x**2 + 3*y**2"``), a preset name
    (``"rosenbrock"``) or an :class:`~gdstudio.core.objective.Objective`. ``starts`` is an
    (N, d) array or a list of pairs. ``optimizer`` is one of gd, momentum, nesterov, adagrad,
    rmsprop, adam (or one name per run); ``lr`` and the hyper-parameters (``momentum``,
    ``betas``, ``alpha``, ``eps``) may be scalars or one value per run. ``steps`` is the most
    steps per run; ``tol`` the gradient-norm stop (0: never). ``schedule`` is a
    :class:`~gdstudio.core.schedules.Schedule` or the command line's text for one
    (``"cosine"``, ``"step:100:0.5"``, ``"exponential:0.99"``).

    ``coordinates="polar"`` descends on f(r·cos θ, r·sin θ) in (r, θ), with the ``naive``
    gradient (partials as if the (r, θ) grid were Euclidean) or the ``metric`` one
    (G⁻¹·∂f, G = diag(1, r²)); see :mod:`gdstudio.core.coordinates`. Results stay in x, y;
    ``coordinate_trajectories`` holds the (r, θ) paths. ``coordinates`` may also be one
    system per run (``"cartesian"``, ``"polar:metric"``, ``"polar:naive"``; ``"polar"``
    takes ``gradient``) to compare them side by side (:mod:`gdstudio.core.mixed_coordinates`).
    """
    from .coordinates import check_coordinates

    objective = _resolve(function)
    P = as_points(starts, objective.dim)
    if not isinstance(coordinates, str):  # one coordinate system per run, side by side
        from .mixed_coordinates import split_system, system_of

        systems = [system_of(*split_system(c, gradient)) for c in coordinates]
        check_coordinates("polar" if any(s != "cartesian" for s in systems) else "cartesian", "metric",
                          objective.dim)
        return _descend_mixed(objective, P, systems, optimizer, lr, steps, tol, record, _schedule(schedule, steps),
                              tuple(domain) if domain is not None else objective.domain(), hyper)
    coordinates, gradient = check_coordinates(coordinates, gradient, objective.dim)
    schedule = _schedule(schedule, steps)
    dom = tuple(domain) if domain is not None else objective.domain()
    n = P.shape[0]
    simple = (
        isinstance(optimizer, str)
        and (lr is None or np.ndim(lr) == 0)
        and all(np.ndim(v) == 0 or k == "betas" for k, v in hyper.items() if v is not None)
    )
    use_scalar = (
        simple
        and _per_coordinate(optimizer)
        and n <= SCALAR_PATH_MAX_RUNS
        and objective.scalar_value_and_grad is not None
        and not hasattr(objective, "on_step")
    )
    if coordinates == "polar":
        result = _descend_polar(objective, P, optimizer, lr, steps, tol, record, schedule, dom,
                                gradient, hyper)
    elif use_scalar:
        result = _descend_scalar(objective, P, optimizer, lr, steps, tol, record, schedule, dom, hyper)
    else:
        result = _descend_batch(objective, P, optimizer, lr, steps, tol, record, schedule, dom, hyper)
    return result


def _schedule(schedule, steps) -> Schedule:
    if schedule is None or isinstance(schedule, Schedule):
        return schedule or Schedule()
    if isinstance(schedule, str):  # its sentences name the schedule: 'bad schedule 'x'; use ...'
        return parse_schedule(schedule, int(steps))
    raise TypeError(f"schedule must be a Schedule or its text (\"cosine\", \"step:100:0.5\"), "
                    f"not {type(schedule).__name__}")


def _finish(objective, P, X, f, G, status_codes, steps, trajs, tvals, tgrads, config=None) -> DescentResult:
    status = StatusArray(np.asarray(status_codes, np.int8))
    # A network's exact Hessian costs d gradient evaluations per point: classify a few
    # end points of a large model, not thousands.
    affordable = objective.dim <= 64 or len(X) <= 8
    with np.errstate(all="ignore"):
        H = hessians(objective, X) if affordable else None
    gn = gradient_norms(G)
    if H is None:
        kinds = ["unknown"] * len(status)
    else:
        kinds = classify_hessians(H, gn)[0]
    kinds = end_point_kinds(kinds, status_codes, gn)
    groups = group_critical_points(objective, X, critical_candidates(status_codes, gn), values=f)
    return DescentResult(
        objective, P, X, f, G, status, np.asarray(steps, np.int64).tolist(), kinds, groups, trajs, tvals, tgrads, config
    )


def _per_coordinate(optimizer) -> bool:
    """Whether the optimizer can take the plain-Python path (unknown names are refused later,
    with the engine's sentence)."""
    from .optimizers import _REGISTRY

    record = _REGISTRY.get(str(optimizer).strip().lower())
    return record is None or record.per_coordinate


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
    config = DescentConfig.build(objective, P, opt.name, float(lr), {opt.name: opt.describe()},
                                 schedule.describe(), steps, tol, dom)
    return _finish(objective, P, X, f, G, codes, nsteps, trajs if record else None,
                   tvals if record else None, tgrads if record else None, config)


def _descend_batch(objective, P, optimizer, lr, steps, tol, record, schedule, dom, hyper):
    run = BatchDescent(objective, P, optimizer, lr, schedule, steps, tol, dom, **hyper)
    config = DescentConfig.from_batch(run)
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
                   run.status, run.steps, trajs, tvals, tgrads, config)


def _drive(objective, P, run, record: bool, own_coordinates: bool = False) -> DescentResult:
    """Step ``run`` (a polar or mixed-coordinates batch, whose chunks carry x, y) until every
    run stopped, and build the result; ``own_coordinates``: also keep the chunks' ``coords``
    (the polar descent's own r, θ) as ``coordinate_trajectories``."""
    config = DescentConfig.from_batch(run)
    frames = [run.initial_chunk()] if record else []
    while not run.done:
        chunk = run.advance(256, record=record)
        if record and chunk.n_steps:
            frames.append(chunk)
    result = _finish(objective, P, run.points.copy(), run.values.copy(), run.grads.copy(),
                     run.status, run.steps, None, None, None, config)
    if record:
        def per_run(key):
            a = np.concatenate([getattr(c, key) for c in frames])
            return [a[: s + 1, i].copy() for i, s in enumerate(result.steps)]

        result.trajectories = per_run("points")
        result.trajectory_values = per_run("values")
        result.trajectory_grads = per_run("grads")
        if own_coordinates:
            result.coordinate_trajectories = per_run("coords")
    return result


def _descend_polar(objective, P, optimizer, lr, steps, tol, record, schedule, dom, gradient, hyper):
    from .coordinates import PolarDescent

    run = PolarDescent(objective, P, optimizer, lr, schedule, steps, tol, dom, gradient, **hyper)
    result = _drive(objective, P, run, record, own_coordinates=True)
    result.coordinate_names = run.coordinate_names
    return result


def _descend_mixed(objective, P, systems, optimizer, lr, steps, tol, record, schedule, dom, hyper):
    from .mixed_coordinates import MixedCoordinatesDescent

    run = MixedCoordinatesDescent(objective, P, systems, optimizer, lr, schedule, steps, tol, dom, **hyper)
    return _drive(objective, P, run, record)


def summarize_run(run: BatchDescent, starts: np.ndarray | None = None,
                  config: DescentConfig | None = None) -> DescentResult:
    """A DescentResult (without trajectories) for a batch that has been driven elsewhere,
    e.g. streamed into a CSV by the command line."""
    P = run.initial_points if starts is None else np.asarray(starts, float)
    return _finish(run.objective, P, run.points.copy(), run.values.copy(), run.grads.copy(),
                   run.status, run.steps, None, None, None, config)

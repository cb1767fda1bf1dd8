"""Sweeps: which settings make an optimizer converge, and how fast.

A sweep is the cartesian product of settings (functions × schedules × optimizers × learning
rates × the hyper-parameter axes that apply to each optimizer), every setting run from the
same start points as one :class:`~gdstudio.core.runner.BatchDescent` batch. The result is a
:class:`SweepTable` with one row per setting: the setting's values, then

``runs, converged, diverged, max_steps, best_value, median_value, median_steps_to_converge,
rate``

* ``best_value``: the lowest final value of a run that did not diverge (nan if all diverged);
* ``median_value``: the median final value over all runs, a diverged run counting as +inf;
* ``median_steps_to_converge``: the median step count of the converged runs (nan if none);
* ``rate``: the measured asymptotic convergence rate, the median over converged runs of the
  geometric mean ratio of successive gradient norms ‖∇f(x_{t+1})‖/‖∇f(x_t)‖ over the second
  half of the run (steps t₀ = ⌊T/2⌋ … T, with t₀ rounded down to the sampling stride of at
  most 256 samples per run); that mean telescopes to (‖∇f(x_T)‖/‖∇f(x_{t₀})‖)^(1/(T − t₀)).
  Below 1 converges; smaller is faster. For a quadratic it is the spectral radius of the
  iteration (see :mod:`.sweep_theory`).

An optimizer that does not take a hyper-parameter is not multiplied by that axis: ``gd``
gets one row per learning rate however many momenta are swept, and its momentum cell is empty.

The work is split into tasks (groups of settings; :func:`plan_tasks`) run by an executor
(:mod:`.executors`): in-process, a local Dask cluster or a running scheduler. Each setting is
computed by the same code on the same inputs wherever it runs, so the table is identical bit
for bit whatever the number of workers.
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from .executors import Cancelled, Executor, make_executor

__all__ = [
    "AXES",
    "HYPER_AXES",
    "RESULT_COLUMNS",
    "SETTING_COLUMNS",
    "Setting",
    "SweepError",
    "SweepSpec",
    "SweepTable",
    "parse_values",
    "plan_tasks",
    "run_setting",
    "sweep",
]

#: hyper-parameter axes besides the learning rate, in column order
HYPER_AXES = ("momentum", "beta1", "beta2", "alpha", "eps")
#: every axis a sweep can vary
AXES = ("function", "optimizer", "lr", *HYPER_AXES, "schedule")
#: axes whose ``A:B:N`` ranges are log-spaced (they span orders of magnitude)
LOG_AXES = ("lr", "eps")
SETTING_COLUMNS = ("function", "optimizer", "lr", *HYPER_AXES, "schedule")
RESULT_COLUMNS = ("runs", "converged", "diverged", "max_steps", "best_value", "median_value",
                  "median_steps_to_converge", "rate")
#: gradient-norm samples per run at most, for the rate (the stride is ⌈steps/256⌉)
RATE_SAMPLES = 256
#: run-steps (runs × steps) a distributed task aims at: about a quarter of a second of work,
#: so scheduling costs (≈1 ms a task) stay below 1 % and a million settings make tens of
#: thousands of tasks, not a million (see docs/sweep.md)
TASK_RUN_STEPS = 5_000_000
#: sweeps above this many run-steps (settings × runs × steps) need ``confirm=True`` (--yes)
LIMIT_RUN_STEPS = 2_000_000_000


class SweepError(ValueError):
    """A sweep that cannot run as asked; ``str()`` is one sentence."""


# -- values and ranges -------------------------------------------------------------------
def parse_values(text: str, axis: str) -> list[float]:
    """``A:B:N`` (N values from A to B: log-spaced for ``lr`` and ``eps``, linear otherwise)
    or a comma list of numbers. Raises :class:`SweepError` for an empty text, N < 1, A > B, a
    log range that does not start above 0, or a value that is not a finite number."""
    s = str(text).strip()
    if not s:
        raise SweepError(f"the {axis} range is empty")
    if ":" in s:
        parts = [p.strip() for p in s.split(":")]
        if len(parts) != 3 or not all(parts):
            raise SweepError(f"the {axis} range {s!r} must be A:B:N (from A to B in N values)")
        a, b = (_finite(p, axis) for p in parts[:2])
        try:
            n = int(parts[2])
        except ValueError:
            raise SweepError(f"the {axis} range {s!r}: N = {parts[2]!r} is not a whole number") from None
        return range_values(a, b, n, axis)
    vals = []
    for p in s.split(","):
        p = p.strip()
        if not p:
            raise SweepError(f"the {axis} list {s!r} has an empty item")
        vals.append(_finite(p, axis))
    return check_distinct(vals, axis)


def range_values(a: float, b: float, n: int, axis: str) -> list[float]:
    """N values from A to B (log-spaced on :data:`LOG_AXES`)."""
    if n < 1:
        raise SweepError(f"the {axis} range needs N ≥ 1 values, got {n}")
    if a > b:
        raise SweepError(f"the {axis} range goes from {a:g} down to {b:g}; write the smaller end first")
    if n > 1 and a == b:
        raise SweepError(f"the {axis} range {a:g}:{b:g}:{n} repeats one value {n} times")
    if axis in LOG_AXES:
        if a <= 0:
            raise SweepError(f"the {axis} range is log-spaced, so it must start above 0 (got {a:g})")
        return [float(v) for v in np.geomspace(a, b, n)] if n > 1 else [float(a)]
    return [float(v) for v in np.linspace(a, b, n)] if n > 1 else [float(a)]


def check_distinct(values: Sequence, axis: str) -> list:
    seen = set()
    for v in values:
        if v in seen:
            raise SweepError(f"the {axis} list gives {v!r} twice")
        seen.add(v)
    if not values:
        raise SweepError(f"the {axis} list is empty")
    return list(values)


def _finite(text: str, axis: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise SweepError(f"{text!r} is not a number") from None
    if not math.isfinite(v):
        raise SweepError(f"{text!r} is not a finite number")
    return v


def _axis(value, axis: str) -> Optional[list]:
    """A Python argument (scalar, sequence, numpy array or range text) as a list of values."""
    if value is None:
        return None
    if isinstance(value, str):
        if axis in ("optimizer", "schedule"):
            return check_distinct([p.strip() for p in value.split(",") if p.strip()] or [""], axis)
        return parse_values(value, axis)
    if np.ndim(value) == 0:
        value = [value]
    vals = list(value)
    if axis not in ("optimizer", "schedule"):
        vals = [_finite(str(v), axis) if not isinstance(v, (int, float, np.number)) else float(v)
                for v in vals]
        for v in vals:
            if not math.isfinite(v):
                raise SweepError(f"the {axis} value {v!r} is not a finite number")
    return check_distinct(vals, axis)


# -- settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """One point of the sweep: run ``optimizer`` with ``lr``, ``hyper`` (the hyper-parameters
    that apply, with their values: swept or default) and ``schedule`` (its command-line spec)
    on function number ``function``."""

    function: int
    optimizer: str
    lr: float
    hyper: tuple = ()
    schedule: str = "constant"

    def hyper_dict(self) -> dict:
        return dict(self.hyper)

    def values(self, function_names: Sequence[str]) -> dict:
        """The row's setting columns (None where a hyper-parameter does not apply)."""
        h = self.hyper_dict()
        return {"function": function_names[self.function], "optimizer": self.optimizer,
                "lr": self.lr, **{k: h.get(k) for k in HYPER_AXES}, "schedule": self.schedule}


@dataclass
class SweepSpec:
    """Everything a sweep computes from: the objectives, each one's start points and domain,
    the settings, the step limit and tolerance. ``meta`` records how it was asked for."""

    objectives: list
    starts: list  # one (N, d) array per objective
    domains: list
    settings: list
    steps: int
    tol: float
    axes: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def function_names(self) -> list[str]:
        return [getattr(o, "source", "") or getattr(o, "label", "") or f"function {i}"
                for i, o in enumerate(self.objectives)]

    @property
    def run_steps(self) -> int:
        """The most run-steps the sweep can take: settings × runs × steps."""
        return sum(len(self.starts[s.function]) for s in self.settings) * self.steps


def build_settings(n_functions: int, optimizers: Sequence[str], lrs: Optional[Sequence[float]],
                   hyper_axes: dict, schedules: Sequence[str]) -> list[Setting]:
    """The cartesian product, optimizer by optimizer over the axes that apply to it."""
    from ..core.optimizers import DEFAULT_LR, HYPER_DEFAULTS, make_optimizer, validate_lr

    out = []
    for name in optimizers:
        key = str(name).strip().lower()
        if key not in HYPER_DEFAULTS:
            from ..core.optimizers import OPTIMIZERS

            raise SweepError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    given = {k: v for k, v in hyper_axes.items() if v is not None}
    applies_somewhere = {k for o in optimizers for k in HYPER_DEFAULTS[o.strip().lower()]}
    for k in given:
        if k not in applies_somewhere:
            if len(optimizers) == 1:  # the optimizer's own sentence: "gd has no hyper-parameter ..."
                try:
                    make_optimizer(optimizers[0], **{k: given[k][0]})
                except ValueError as err:
                    raise SweepError(str(err)) from None
            raise SweepError(f"none of the optimizers {', '.join(optimizers)} takes {k}")
    for f in range(n_functions):
        for sched in schedules:
            for name in optimizers:
                key = name.strip().lower()
                defaults = HYPER_DEFAULTS[key]
                rates = list(lrs) if lrs else [DEFAULT_LR[key]]
                axes = [(k, given.get(k, [defaults[k]])) for k in HYPER_AXES if k in defaults]
                for lr in rates:
                    for combo in itertools.product(*(vals for _, vals in axes)):
                        hyper = tuple((k, float(v)) for (k, _), v in zip(axes, combo))
                        out.append(Setting(f, key, float(lr), hyper, sched))
    seen = set()
    for s in out:  # validate each distinct optimizer setting once, before any work starts
        k = (s.optimizer, s.lr, s.hyper)
        if k in seen:
            continue
        seen.add(k)
        try:
            validate_lr(s.lr)
            make_optimizer(s.optimizer, **s.hyper_dict())
        except ValueError as err:
            raise SweepError(str(err)) from None
    return out


# -- one setting -------------------------------------------------------------------------
def run_setting(objective, starts: np.ndarray, setting: Setting, steps: int, tol: float,
                domain, cancel: Optional[Callable[[], bool]] = None) -> tuple:
    """Run one setting's batch to the end; returns its result columns
    (:data:`RESULT_COLUMNS`, in order). A pure function of its inputs."""
    from ..core.runner import CONVERGED, DIVERGED, MAX_STEPS, BatchDescent
    from ..core.schedules import parse_schedule

    schedule = parse_schedule(setting.schedule, steps)
    if hasattr(objective, "on_step"):
        objective = copy.deepcopy(objective)  # a mini-batch objective keeps per-step state
    run = BatchDescent(objective, starts, setting.optimizer, setting.lr, schedule, steps, tol,
                       domain, **setting.hyper_dict())
    stride = max(1, -(-int(steps) // RATE_SAMPLES))
    samples = [np.sqrt(np.einsum("dn,dn->n", run.G, run.G))]
    while not run.done:
        if cancel is not None and cancel():
            raise Cancelled()
        run.advance(stride, record=False)
        samples.append(np.sqrt(np.einsum("dn,dn->n", run.G, run.G)))
    status = np.asarray(run.status)
    nsteps = np.asarray(run.steps)
    values = np.array(run.values, float)
    diverged = status == DIVERGED
    converged = status == CONVERGED
    finals = np.where(diverged | ~np.isfinite(values), np.inf, values)
    ok = finals[~diverged]
    best = float(ok.min()) if ok.size else math.nan
    median = float(np.median(finals))
    med_steps = float(np.median(nsteps[converged])) if converged.any() else math.nan
    rates = []
    S = np.stack(samples)
    gT = samples[-1]
    for i in np.flatnonzero(converged):
        T = int(nsteps[i])
        if T < 1:
            continue
        j0 = (T // 2) // stride
        t0 = j0 * stride
        g0 = float(S[j0, i])
        if g0 > 0 and np.isfinite(g0):
            rates.append((float(gT[i]) / g0) ** (1.0 / (T - t0)))
    rate = float(np.median(rates)) if rates else math.nan
    return (int(status.size), int(converged.sum()), int(diverged.sum()),
            int((status == MAX_STEPS).sum()), best, median, med_steps, rate)


def _sweep_task(shared: dict, item: list, cancel=None) -> list:
    """A group of settings: [(index, Setting)] -> [(index, result)]."""
    out = []
    for index, s in item:
        f = s.function
        out.append((index, run_setting(shared["objectives"][f], shared["starts"][f], s,
                                       shared["steps"], shared["tol"], shared["domains"][f], cancel)))
    return out


def plan_tasks(spec: SweepSpec, workers: int, distributed: bool) -> list[list]:
    """Settings grouped into tasks. In-process every setting is its own task (progress per
    setting); on a cluster a task holds about :data:`TASK_RUN_STEPS` run-steps of work, but
    at least 8 tasks per worker, so the last tasks do not leave workers idle."""
    items = list(enumerate(spec.settings))
    if not distributed or not items:
        return [[it] for it in items]
    per = max(1, max(len(spec.starts[s.function]) for s in spec.settings) * spec.steps)
    size = max(1, TASK_RUN_STEPS // per)
    size = min(size, max(1, len(items) // (8 * max(1, workers))))
    return [items[i:i + size] for i in range(0, len(items), size)]


# -- the table ---------------------------------------------------------------------------
class SweepTable:
    """One row per setting (a dict of :data:`SETTING_COLUMNS` + :data:`RESULT_COLUMNS`), in
    the sweep's order. ``best`` is the setting with the lowest median value (ties: more
    converged runs, then fewer steps); :meth:`sorted` orders rows that way."""

    columns = SETTING_COLUMNS + RESULT_COLUMNS

    def __init__(self, rows: list[dict], settings: list[Setting], meta: Optional[dict] = None):
        self.rows = rows
        self.settings = settings
        self.meta = dict(meta or {})

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i: int) -> dict:
        return self.rows[i]

    def column(self, name: str) -> np.ndarray:
        vals = [r[name] for r in self.rows]
        if name in ("function", "optimizer", "schedule"):
            return np.array(vals, dtype=object)
        return np.array([math.nan if v is None else v for v in vals], float)

    @staticmethod
    def _key(row: dict):
        def num(v):
            return math.inf if v is None or (isinstance(v, float) and math.isnan(v)) else v

        return (num(row["median_value"]), -row["converged"], num(row["median_steps_to_converge"]),
                num(row["rate"]))

    def order(self) -> list[int]:
        return sorted(range(len(self.rows)), key=lambda i: (self._key(self.rows[i]), i))

    def sorted(self) -> list[dict]:
        return [self.rows[i] for i in self.order()]

    @property
    def best(self) -> Optional[dict]:
        """The best setting's row (see the class docstring)."""
        return self.rows[self.order()[0]] if self.rows else None

    @property
    def best_setting(self) -> Optional[Setting]:
        return self.settings[self.order()[0]] if self.rows else None

    def to_pandas(self):
        """The table as a pandas DataFrame (pandas is optional)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas; install it with pip install pandas") from None
        return pd.DataFrame(self.rows, columns=list(self.columns))

    def to_csv(self, path, metadata: Optional[dict] = None) -> None:
        """Write the table and its JSON sidecar atomically (see :mod:`gdstudio.app.sweep_io`)."""
        from .sweep_io import write_sweep_csv

        write_sweep_csv(path, self, {**self.meta, **(metadata or {})})

    def format(self, limit: Optional[int] = None) -> str:
        """The rows sorted by median value as aligned text; only the setting columns that vary
        or apply are shown."""
        from .sweep_io import format_table

        return format_table(self, limit)

    def __repr__(self) -> str:
        return f"SweepTable({len(self.rows)} settings)"


# -- building and running ----------------------------------------------------------------
def _objectives(function) -> list:
    from ..core.objective import Objective
    from ..core.presets import get_objective

    funcs = function if isinstance(function, (list, tuple)) else [function]
    if not funcs:
        raise SweepError("no function to sweep")
    out = []
    for f in funcs:
        if isinstance(f, Objective):
            out.append(f)
        else:
            try:
                out.append(get_objective(str(f)))
            except ValueError as err:
                raise SweepError(f"function {f!r}: {err}") from None
    return out


def make_spec(function, starts=None, optimizer="gd", lr=None, momentum=None, beta1=None,
              beta2=None, alpha=None, eps=None, schedule=None, steps: int = 1000,
              tol: float = 1e-6, seed: int = 0, sampler: str = "uniform", domain=None,
              betas=None) -> SweepSpec:
    """Validate a sweep and lay out its settings (no work is done). See :func:`sweep`."""
    from ..core.runner import check_stopping
    from ..core.schedules import parse_schedule
    from ..core.starts import make_starts

    objectives = _objectives(function)
    try:
        check_stopping(steps, tol)
    except ValueError as err:
        raise SweepError(str(err)) from None
    steps = int(steps)
    if betas is not None:
        if beta1 is not None or beta2 is not None:
            raise SweepError("give betas or beta1/beta2, not both")
        b = np.asarray(betas, float)
        if b.shape != (2,):
            raise SweepError("betas must be two numbers (b1, b2)")
        beta1, beta2 = float(b[0]), float(b[1])
    optimizers = _axis(optimizer, "optimizer")
    lrs = _axis(lr, "lr")
    hyper = {k: _axis(v, k) for k, v in
             dict(momentum=momentum, beta1=beta1, beta2=beta2, alpha=alpha, eps=eps).items()}
    schedules = _axis(schedule if schedule is not None else "constant", "schedule")
    for spec in schedules:
        try:
            parse_schedule(spec, steps)
        except ValueError as err:
            raise SweepError(f"schedule {spec!r}: {err}") from None
    settings = build_settings(len(objectives), [str(o) for o in optimizers], lrs, hyper, schedules)

    domains, start_sets = [], []
    for obj in objectives:
        dom = tuple(tuple(map(float, r)) for r in domain) if domain is not None else obj.domain()
        domains.append(dom)
        if starts is None or isinstance(starts, (int, np.integer)):
            n = 10 if starts is None else int(starts)
            if n < 1:
                raise SweepError(f"a sweep needs at least 1 start point, got {n}")
            try:
                P = make_starts(sampler, n, dom, seed)
            except ValueError as err:
                raise SweepError(str(err)) from None
        else:
            P = np.atleast_2d(np.asarray(starts, float))
            if P.ndim != 2 or P.shape[1] != obj.dim or P.shape[0] < 1:
                raise SweepError(f"the start points must be an (N, {obj.dim}) array, got shape "
                                 f"{np.shape(starts)}")
            if not np.isfinite(P).all():
                raise SweepError("the start points must be finite numbers")
        start_sets.append(np.ascontiguousarray(P, float))
    axes = {"function": [getattr(o, "source", "") or o.label for o in objectives],
            "optimizer": [str(o).strip().lower() for o in optimizers], "lr": lrs,
            **{k: v for k, v in hyper.items() if v is not None}, "schedule": schedules}
    meta = {"steps": steps, "tol": float(tol), "seed": int(seed), "sampler": sampler,
            "starts_from": "explicit" if starts is not None and not isinstance(starts, (int, np.integer))
            else f"{sampler} (seed {seed})"}
    return SweepSpec(objectives, start_sets, domains, settings, steps, float(tol), axes, meta)


def run_spec(spec: SweepSpec, executor: Optional[Executor] = None,
             progress: Optional[Callable[[int, int, int, dict], None]] = None,
             cancel: Optional[Callable[[], bool]] = None) -> SweepTable:
    """Run every setting of ``spec`` on ``executor`` (default in-process).
    ``progress(done, total, index, row)`` is called as each setting finishes; ``cancel()``
    returning True stops the sweep with :class:`~gdstudio.app.executors.Cancelled`."""
    from .executors import InProcessExecutor

    own = executor is None
    executor = executor or InProcessExecutor()
    distributed = not isinstance(executor, InProcessExecutor)
    names = spec.function_names
    shared = {"objectives": spec.objectives, "starts": spec.starts, "domains": spec.domains,
              "steps": spec.steps, "tol": spec.tol}
    tasks = plan_tasks(spec, executor.workers, distributed)
    rows: list = [None] * len(spec.settings)
    done = 0
    t0 = time.perf_counter()
    try:
        for _, results in executor.run(_sweep_task, shared, tasks, cancel):
            for index, result in results:
                row = {**spec.settings[index].values(names), **dict(zip(RESULT_COLUMNS, result))}
                rows[index] = row
                done += 1
                if progress is not None:
                    progress(done, len(rows), index, row)
    finally:
        if own:
            executor.close()
    meta = {**spec.meta, "functions": names,
            "domains": [[list(r) for r in d] for d in spec.domains],
            "starts": [P.tolist() for P in spec.starts], "axes": spec.axes,
            "settings": len(rows), "executor": executor.description,
            "wall_seconds": round(time.perf_counter() - t0, 3), "tasks": len(tasks)}
    return SweepTable(rows, list(spec.settings), meta)


def sweep(function, starts=None, optimizer="gd", lr=None, momentum=None, beta1=None, beta2=None,
          alpha=None, eps=None, schedule=None, steps: int = 1000, tol: float = 1e-6,
          client=None, workers: Optional[int] = None, scheduler: Optional[str] = None,
          seed: int = 0, sampler: str = "uniform", domain=None, betas=None,
          progress=None, cancel=None, confirm: bool = True) -> SweepTable:
    """Sweep settings and return a :class:`SweepTable`, one row per setting.

    ``function``: an expression, a preset name or an Objective, or a list of them (one more
    axis). ``starts``: an (N, d) array of start points, or a number N of seeded starts drawn
    by ``sampler`` (uniform, sobol, halton, grid) with ``seed`` in each function's domain
    (default 10). ``optimizer``, ``lr``, ``momentum``, ``beta1``, ``beta2``, ``alpha``,
    ``eps``, ``schedule``: one value or a list of values (or range text ``"A:B:N"``; log-spaced
    for lr and eps). ``steps``, ``tol``: as for :func:`gdstudio.descend`.

    Where it runs: ``client`` (a ``dask.distributed.Client``), ``scheduler`` (an address), or
    ``workers`` N ≥ 1 (a new local cluster of N processes); by default in this process. The
    table is the same bit for bit wherever it runs. ``confirm=False`` refuses sweeps above
    :data:`LIMIT_RUN_STEPS` run-steps (the command line's limit without --yes).
    """
    spec = make_spec(function, starts, optimizer, lr, momentum, beta1, beta2, alpha, eps, schedule,
                     steps, tol, seed, sampler, domain, betas)
    check_limit(spec, confirm)
    with make_executor(workers, scheduler, client) as ex:
        return run_spec(spec, ex, progress, cancel)


def check_limit(spec: SweepSpec, confirm: bool) -> None:
    work = spec.run_steps
    if work > LIMIT_RUN_STEPS and not confirm:
        n_runs = sorted({len(p) for p in spec.starts})
        runs = n_runs[0] if len(n_runs) == 1 else f"{n_runs[0]}–{n_runs[-1]}"
        raise SweepError(
            f"this sweep is {len(spec.settings):,} settings × {runs} runs × {spec.steps:,} steps = "
            f"{work:.2g} run-steps, above the limit of {LIMIT_RUN_STEPS:.0e} without --yes")

"""The batch runner: every run advances together, one vectorised step for all of them.

Coordinates live in a (d, N) array so each numpy operation walks contiguous memory. A run
that has stopped is masked, not removed: its position stays frozen while the others go on,
and every array keeps its shape. The worker thread calls :meth:`BatchDescent.advance` in
chunks; :func:`gdstudio.descend` and the command line drive it to the end.

The stopping rules (converged, diverged, max_steps) are stopping.py's, checked after every
step; statuses are the codes of status.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .objective import Domain, Objective, as_points
from .optimizers import DEFAULT_LR, HYPER_DEFAULTS, Optimizer, make_optimizer, validate_lr
from .fused import FUSED_MIN_SIZE, fused_kernel
from .schedules import Schedule
from .status import CONVERGED, DIVERGED, MAX_STEPS, RUNNING, STATUS_KEYS
from .stopping import (
    DIVERGENCE_FACTOR,
    batch_after_step,
    batch_at_start,
    check_stopping,
    divergence_limits,
    tol_squared,
)
from .tuning import apply_engine_tuning

# the status codes are status.py's; re-exported for code that reads them next to a batch
__all__ = ["BatchDescent", "Chunk", "CONVERGED", "DIVERGED", "MAX_STEPS", "RUNNING"]


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Chunk:
    """A block of consecutive steps for all runs. Arrays are read-only: a chunk is handed
    to another thread and must never change after it was made."""

    first_step: int  # step number of row 0 (1 for the first update)
    points: np.ndarray  # (k, N, d); rows of stopped runs repeat their last point
    values: np.ndarray  # (k, N)
    grads: np.ndarray  # (k, N, d)
    status: np.ndarray  # (N,) status after the chunk
    steps: np.ndarray  # (N,) steps each run has taken after the chunk

    @property
    def n_steps(self) -> int:
        return self.points.shape[0]


@dataclass
class _Group:
    optimizer: Optimizer
    index: Optional[np.ndarray]  # None: the group is the whole batch
    lr: object  # float or (n_g,) array
    state: list
    scratch: np.ndarray
    scratch2: np.ndarray

def _per_run(value, n: int, name: str):
    """Scalars stay scalars (cheaper); sequences become (n,) float arrays."""
    if value is None or np.ndim(value) == 0:
        return value
    arr = np.asarray(value, dtype=float).ravel()
    if arr.size != n:
        raise ValueError(f"{name} has {arr.size} values but there are {n} runs")
    return arr


def _take(value, index):
    if index is None or value is None or np.ndim(value) == 0:
        return value
    return value[index]


class BatchDescent:
    """Gradient descent from N starts at once. See the module docstring."""

    #: the coordinates the optimizer steps in (see coordinates.py for the polar batch)
    coordinates = "cartesian"
    gradient = "metric"

    def __init__(
        self,
        objective: Objective,
        starts: Sequence | np.ndarray,
        optimizer: str | Sequence[str] = "gd",
        lr=None,
        schedule: Schedule | None = None,
        max_steps: int = 1000,
        tol: float = 1e-6,
        domain: Domain | None = None,
        divergence_factor: float = DIVERGENCE_FACTOR,
        use_fused: bool = True,
        **hyper,
    ):
        self.objective = objective
        P = as_points(starts, objective.dim)
        n, d = P.shape
        self.n_runs, self.dim = n, d
        check_stopping(max_steps, tol)
        self.max_steps = int(max_steps)
        self.tol = float(tol)
        self._tol2 = tol_squared(self.tol)
        self.schedule = schedule or Schedule()
        self.domain = tuple(domain) if domain is not None else objective.domain()
        lim_lo, lim_hi = divergence_limits(self.domain, divergence_factor)
        self._lim_lo, self._lim_hi = lim_lo[:, None], lim_hi[:, None]

        if isinstance(optimizer, str):  # one name for all runs: normalised once, not n times
            names = [optimizer.strip().lower()] * n
        else:
            names = list(optimizer)
            if len(names) != n:
                raise ValueError(f"{len(names)} optimizers given for {n} runs")
            names = [str(s).strip().lower() for s in names]
        mixed = len(set(names)) > 1
        if lr is None:
            lr = [DEFAULT_LR.get(s, 1e-3) for s in names] if mixed else DEFAULT_LR.get(names[0], 1e-3)
        validate_lr(lr)
        self.base_lr = _per_run(lr, n, "lr")
        hyper = {k: v for k, v in hyper.items() if v is not None}
        if "betas" in hyper:
            betas = np.asarray(hyper.pop("betas"), dtype=float)
            if betas.shape not in ((2,), (n, 2)):
                raise ValueError(f"betas must be two numbers (or one pair per run), got shape {betas.shape}")
            hyper["beta1"], hyper["beta2"] = betas[..., 0], betas[..., 1]
        per_run_hyper = {k: _per_run(v, n, k) for k, v in hyper.items()}

        if n * d >= 16384:
            apply_engine_tuning()
        self.initial_points = P.copy()
        self.X = np.array(P.T, dtype=float, order="C", copy=True)  # never alias the caller's starts
        self._spare: Optional[np.ndarray] = None
        self.groups: list[_Group] = []
        for name in dict.fromkeys(names):
            index = None if not mixed else np.flatnonzero(np.array(names) == name)
            if mixed:
                applies = HYPER_DEFAULTS.get(name, {})
                own = {
                    k: _take(v, index)
                    for k, v in per_run_hyper.items()
                    if k in applies
                }
            else:
                own = per_run_hyper
            opt = make_optimizer(name, **own)
            X_g = self.X if index is None else self.X[:, index]
            self.groups.append(
                _Group(opt, index, _take(self.base_lr, index), opt.init_state(X_g), np.empty_like(X_g),
                       np.empty_like(X_g))
            )
        self.optimizer_names = names

        if hasattr(objective, "on_step"):
            objective.on_step(0)
        with np.errstate(all="ignore"):
            f, G = objective.value_and_grad_T(self.X)
        self.f = np.asarray(f, float)
        self.G = np.asarray(G, float)
        self.status = np.zeros(n, np.int8)
        self.steps = np.zeros(n, np.int64)
        self.step = 0
        self._kernel = None
        if n * d >= FUSED_MIN_SIZE and use_fused and self.fusable():
            kernel = fused_kernel(objective, self.groups[0].optimizer)
            if kernel is not None:
                self.adopt_kernel(kernel)
        finite = np.isfinite(self.f) & np.isfinite(self.G).all(axis=0)
        self.f = np.where(finite, self.f, np.nan)
        batch_at_start(self.status, finite, np.einsum("dn,dn->n", self.G, self.G), self._tol2, self.max_steps)

    # -- read-only views ---------------------------------------------------------------
    @property
    def points(self) -> np.ndarray:
        """(N, d) live view of the current positions: copy it to keep it."""
        return self.X.T

    @property
    def values(self) -> np.ndarray:
        return self.f

    @property
    def grads(self) -> np.ndarray:
        return self.G.T

    @property
    def done(self) -> bool:
        return not np.any(self.status == RUNNING)

    @property
    def active(self) -> np.ndarray:
        return self.status == RUNNING

    def status_names(self) -> list[str]:
        return [STATUS_KEYS[s] for s in self.status]

    def initial_chunk(self) -> Chunk:
        """Step 0 (the starts) as a chunk, for writers and views."""
        return Chunk(
            0,
            _frozen(self.X.T[None].copy()),
            _frozen(self.f[None].copy()),
            _frozen(self.G.T[None].copy()),
            _frozen(self.status.copy()),
            _frozen(self.steps.copy()),
        )

    # -- the fused kernel --------------------------------------------------------------
    def fusable(self) -> bool:
        """True when a fused kernel (fused.py) could step this batch: one optimizer and one
        learning rate for every run, and an objective that draws no mini-batches."""
        return len(self.groups) == 1 and np.ndim(self.base_lr) == 0 and not hasattr(self.objective, "on_step")

    @property
    def fused(self) -> bool:
        """True while the batch steps on a fused kernel."""
        return self._kernel is not None

    def adopt_kernel(self, kernel) -> None:
        """Step on ``kernel`` (from :func:`~gdstudio.core.fused.fused_kernel` for this
        objective and optimizer) from the next step on; the positions, gradients and optimizer
        state carry over, so a running batch can switch between chunks. The kernel rounds
        differently from numpy (results agree to about 1e-12), so a replay that must be
        bit-identical switches at the same step."""
        if not self.fusable():
            raise ValueError("a fused kernel steps one optimizer with one learning rate")
        g = self.groups[0]
        S = np.zeros((len(g.state), self.dim, self.n_runs))
        for i, s in enumerate(g.state):
            S[i] = s
        self._S = S
        g.state = list(S)  # views: both paths see the same buffers
        self.X = np.ascontiguousarray(self.X)
        self.G = np.ascontiguousarray(self.G)
        self.f = np.ascontiguousarray(self.f)
        self._kernel = kernel

    # -- live changes ------------------------------------------------------------------
    def set_lr(self, lr) -> None:
        """Change the base learning rate of every run (scalar) or of each run (N values);
        it takes effect at the next step. One rate per run leaves a fused kernel for numpy."""
        validate_lr(lr)
        self.base_lr = _per_run(lr, self.n_runs, "lr")
        for g in self.groups:
            g.lr = _take(self.base_lr, g.index)
        if np.ndim(self.base_lr) != 0:
            self._kernel = None

    def set_max_steps(self, max_steps: int) -> None:
        """Raise or lower the step limit of a running batch."""
        self.max_steps = int(max_steps)
        self.status[(self.status == MAX_STEPS) & (self.steps < self.max_steps)] = RUNNING
        self.status[(self.status == RUNNING) & (self.steps >= self.max_steps)] = MAX_STEPS

    # -- stepping ----------------------------------------------------------------------
    def _propose(self, t: int) -> np.ndarray:
        """One optimizer update for every run: returns the proposed X (a new array) and
        advances the optimizer states in place. A stopped run's state keeps changing
        harmlessly: its position is frozen, and converged or diverged runs never resume."""
        if len(self.groups) == 1 and self.groups[0].index is None:
            g = self.groups[0]
            hyper = g.optimizer.hyper_values
            a, b = g.optimizer.factors(t, self.schedule.lr_at(g.lr, t - 1), *hyper)
            out = self._spare if self._spare is not None else np.empty_like(self.X)
            self._spare = None
            pre = (self.objective,) if g.optimizer.record.uses_objective else ()
            return g.optimizer.inplace_update(*pre, self.X, self.G, *g.state, g.scratch, out, a, b, *hyper)
        Xn = np.empty_like(self.X)
        for g in self.groups:
            hyper = g.optimizer.hyper_values
            a, b = g.optimizer.factors(t, self.schedule.lr_at(g.lr, t - 1), *hyper)
            pre = (self.objective,) if g.optimizer.record.uses_objective else ()
            Xn[:, g.index] = g.optimizer.inplace_update(
                *pre, self.X[:, g.index], self.G[:, g.index], *g.state, g.scratch, g.scratch2, a, b, *hyper
            )
        return Xn

    def _step_once(self, on_step) -> None:
        t = self.step + 1
        active = self.status == RUNNING
        all_active = bool(active.all())
        Xn = self._propose(t)
        if on_step is not None:
            on_step(t)  # a mini-batch objective draws the batch this step's gradient sees
        fn, Gn = self.objective.value_and_grad_T(Xn)
        fn = np.asarray(fn, float)
        Gn = np.asarray(Gn, float)
        gn2 = np.einsum("dn,dn->n", Gn, Gn)
        # Cheap whole-batch checks first (a NaN or inf anywhere makes a sum non-finite);
        # per-run masks are built only when something needs them.
        total = fn.sum() + gn2.sum()
        in_box = bool(
            (Xn.min(axis=1) >= self._lim_lo[:, 0]).all() and (Xn.max(axis=1) <= self._lim_hi[:, 0]).all()
        )
        if all_active and np.isfinite(total) and in_box:
            # the old position array becomes the next step's output buffer (it was never
            # handed out: chunks copy rows into their own arrays)
            self._spare, self.X, self.f, self.G = self.X, Xn, fn, Gn
            self.steps += 1
            batch_after_step(self.status, active, self.X, gn2, t, self._lim_lo, self._lim_hi, self._tol2,
                             self.max_steps, check_box=False)
        else:
            finite = np.isfinite(fn) & np.isfinite(gn2) & np.isfinite(Xn).all(axis=0)
            accept = active & finite
            self.status[active & ~finite] = DIVERGED
            self.X = np.where(accept, Xn, self.X)
            self.f = np.where(accept, fn, self.f)
            self.G = np.where(accept, Gn, self.G)
            self.steps[accept] += 1
            batch_after_step(self.status, accept, self.X, gn2, t, self._lim_lo, self._lim_hi, self._tol2,
                             self.max_steps)
        self.step = t

    def advance(self, k: int, record: bool = True) -> Optional[Chunk]:
        """Take up to ``k`` steps for every active run. Returns the steps as a Chunk (or None
        with ``record=False``); an empty chunk when nothing was running."""
        on_step = getattr(self.objective, "on_step", None)
        first = self.step + 1
        k = max(0, min(int(k), self.max_steps - self.step))
        n, d = self.n_runs, self.dim
        if record:
            points = np.empty((k, n, d))
            values = np.empty((k, n))
            grads = np.empty((k, n, d))
        taken = 0
        if self._kernel is not None and k > 0 and not self.done:
            taken = self._advance_fused(k, points if record else None,
                                        values if record else None, grads if record else None)
        with np.errstate(all="ignore"):
            while taken < k and not self.done:
                self._step_once(on_step)
                if record:
                    points[taken] = self.X.T
                    values[taken] = self.f
                    grads[taken] = self.G.T
                taken += 1
        if not record:
            return None
        return Chunk(
            first,
            _frozen(points[:taken]),
            _frozen(values[:taken]),
            _frozen(grads[:taken]),
            _frozen(self.status.copy()),
            _frozen(self.steps.copy()),
        )

    def _advance_fused(self, k: int, points, values, grads) -> int:
        """k steps through the compiled kernel (see fused.py); returns the steps taken by
        the batch, i.e. up to the step at which the last run stopped."""
        g = self.groups[0]
        hyper = g.optimizer.hyper_values
        factors = g.optimizer.float_factors
        table = np.array(
            [factors(t + 1, self.schedule.lr_at(g.lr, t), *hyper) for t in range(self.step, self.step + k)],
            float,
        )
        record = points is not None
        if not record:
            points, values, grads = np.empty((1, 1, self.dim)), np.empty((1, 1)), np.empty((1, 1, self.dim))
        last = np.array([self.step], np.int64)
        try:
            self._kernel(
                self.X, self.G, self.f, self._S, self.status, self.steps, last, table, self.step, k,
                self.max_steps, self._tol2,
                self._lim_lo[:, 0].copy(), self._lim_hi[:, 0].copy(), points, values, grads, record,
                *g.optimizer.hyper_values,
            )
        except Exception as err:  # numba could not compile or load it: numpy carries on
            import sys

            print(f"gdstudio: fused kernel failed ({type(err).__name__}); using numpy", file=sys.stderr)
            self._kernel = None
            return 0
        # lockstep: once every run has stopped, the batch stopped at the step where its last
        # run stopped (a rejected, diverging step counts, as in the numpy path)
        taken = int(last[0]) - self.step if self.done else k
        self.step += taken
        return taken

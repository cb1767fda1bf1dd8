"""Runs in different coordinate systems side by side, as one batch.

A *system* is ``"cartesian"``, ``"polar:metric"`` or ``"polar:naive"`` (``SYSTEMS``).
:class:`MixedCoordinatesDescent` gives each run its own system and looks like a
:class:`~gdstudio.core.runner.BatchDescent` from outside (positions, values, gradients,
statuses and chunks in x, y, for all runs in their order): inside, one batch per system (a
BatchDescent, or a :class:`~gdstudio.core.coordinates.PolarDescent` with its gradient) steps
that system's runs, all of them in lockstep. This is how the window compares coordinates:
the same start descends in Cartesian and in polar coordinates (metric and naive) at once, so
the naive path is seen bending away while the metric one follows the Cartesian one.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from .coordinates import PolarDescent, check_coordinates
from .objective import Domain, Objective, as_points
from .runner import BatchDescent, Chunk

SYSTEMS = ("cartesian", "polar:metric", "polar:naive")
#: how the views name each system (legends, run labels)
SYSTEM_TITLES = {"cartesian": "Cartesian", "polar:metric": "polar, metric", "polar:naive": "polar, naive"}


def system_of(coordinates: str, gradient: str = "metric") -> str:
    """``"cartesian"``, ``"polar:metric"`` or ``"polar:naive"``."""
    c, g = check_coordinates(coordinates, gradient)
    return c if c == "cartesian" else f"{c}:{g}"


def split_system(system: str, gradient: str = "metric") -> tuple[str, str]:
    """(coordinates, gradient) of a system (``"polar"`` alone takes ``gradient``); ValueError
    with one sentence for anything else."""
    text = str(system).strip().lower()
    c, _, g = text.partition(":")
    if c == "cartesian" and not g:
        return "cartesian", "metric"
    if c == "polar":
        return check_coordinates("polar", g or gradient)
    raise ValueError(f"unknown coordinate system {system!r}; choose one of {', '.join(SYSTEMS)}")


def _take(value, index: np.ndarray, n: int):
    """The runs ``index`` of a per-run value (a scalar or a sequence of ``n``) ."""
    if isinstance(value, str) or value is None or np.ndim(value) == 0:
        return value
    if isinstance(value, (list, tuple)) and len(value) == n and isinstance(value[0], str):
        return [value[i] for i in index]
    a = np.asarray(value)
    if a.ndim >= 1 and a.shape[0] == n:
        return a[index]
    return value  # e.g. betas (2,): the same for every run


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class MixedCoordinatesDescent:
    """Run ``i`` descends in ``systems[i]`` (see the module docstring); everything else as
    :class:`~gdstudio.core.runner.BatchDescent` (``optimizer``, ``lr`` and hyper-parameters
    may be one per run)."""

    #: no columns of its own in a trajectories CSV: the runs' systems differ (x, y are shared)
    coordinate_names = ()
    #: steps on numpy (a fused kernel is for Cartesian batches: core/fused.py)
    fused = False

    def __init__(self, objective: Objective, starts, systems: Sequence[str], optimizer="gd", lr=None,
                 schedule=None, max_steps: int = 1000, tol: float = 1e-6, domain: Optional[Domain] = None,
                 **hyper):
        P = as_points(starts, objective.dim)
        n = P.shape[0]
        systems = [system_of(*split_system(s)) for s in systems]
        if len(systems) != n:
            raise ValueError(f"{len(systems)} coordinate systems given for {n} runs")
        self.objective = objective
        self.n_runs, self.dim = n, P.shape[1]
        self.initial_points = P.copy()
        self.systems = tuple(systems)
        self.domain = tuple(domain) if domain is not None else objective.domain()
        self.parts: list = []  # (system, run indices, batch)
        self._where = np.empty((n, 2), np.int64)  # run -> (part, index in the part)
        hyper = {k: v for k, v in hyper.items() if v is not None}
        for system in dict.fromkeys(systems):
            idx = np.flatnonzero(np.array(systems) == system)
            args = dict(optimizer=_take(optimizer, idx, n), lr=_take(lr, idx, n), schedule=schedule,
                        max_steps=max_steps, tol=tol, domain=self.domain,
                        **{k: _take(v, idx, n) for k, v in hyper.items()})
            coords, gradient = split_system(system)
            if coords == "polar":
                batch = PolarDescent(objective, P[idx], gradient=gradient, **args)
            else:
                batch = BatchDescent(objective, P[idx], use_fused=False, **args)
            self._where[idx, 0] = len(self.parts)
            self._where[idx, 1] = np.arange(idx.size)
            self.parts.append((system, idx, batch))
        first = self.parts[0][2]
        self.schedule = first.schedule
        self.tol = float(tol)
        self.optimizer_names = [None] * n
        for _, idx, b in self.parts:
            for j, i in enumerate(idx):
                self.optimizer_names[i] = b.optimizer_names[j]

    # -- the BatchDescent interface -----------------------------------------------------------
    @property
    def coordinates(self) -> tuple:
        return self.systems

    gradient = ""

    def part_of(self, run: int):
        """(the batch that steps run ``run``, its index there)."""
        k, j = self._where[int(run)]
        return self.parts[int(k)][2], int(j)

    def _gather(self, get, shape=(), dtype=float) -> np.ndarray:
        out = np.empty((self.n_runs, *shape), dtype)
        for _, idx, b in self.parts:
            out[idx] = get(b)
        return out

    @property
    def points(self) -> np.ndarray:
        return self._gather(lambda b: b.points, (self.dim,))

    @property
    def values(self) -> np.ndarray:
        return self._gather(lambda b: b.values)

    @property
    def grads(self) -> np.ndarray:
        return self._gather(lambda b: b.grads, (self.dim,))

    @property
    def status(self) -> np.ndarray:
        return self._gather(lambda b: b.status, dtype=np.int8)

    @property
    def steps(self) -> np.ndarray:
        return self._gather(lambda b: b.steps, dtype=np.int64)

    @property
    def step(self) -> int:
        return max(int(b.step) for _, _, b in self.parts)

    @property
    def max_steps(self) -> int:
        return int(self.parts[0][2].max_steps)

    @property
    def base_lr(self):
        lrs = self._gather(lambda b: np.broadcast_to(np.asarray(b.base_lr, float), (len(b.points),)))
        return float(lrs[0]) if np.all(lrs == lrs[0]) else lrs

    @property
    def groups(self):
        return [g for _, _, b in self.parts for g in b.groups]

    @property
    def done(self) -> bool:
        return all(b.done for _, _, b in self.parts)

    def status_names(self) -> list[str]:
        from .status import STATUS_KEYS

        return [STATUS_KEYS[s] for s in self.status]

    def set_lr(self, lr) -> None:
        for _, idx, b in self.parts:
            b.set_lr(_take(lr, idx, self.n_runs))

    def set_max_steps(self, max_steps: int) -> None:
        for _, _, b in self.parts:
            b.set_max_steps(max_steps)

    def _merge(self, chunks: list, first: int) -> Chunk:
        k = max((c.points.shape[0] for c in chunks), default=0)
        n, d = self.n_runs, self.dim
        points, grads = np.empty((k, n, d)), np.empty((k, n, d))
        values = np.empty((k, n))
        for (_, idx, b), c in zip(self.parts, chunks):
            m = c.points.shape[0]
            points[:m, idx], values[:m, idx], grads[:m, idx] = c.points, c.values, c.grads
            if m < k:  # this system's runs have all stopped: their rows repeat the last point
                points[m:, idx], values[m:, idx], grads[m:, idx] = b.points, b.values, b.grads
        return Chunk(first, _frozen(points), _frozen(values), _frozen(grads), _frozen(self.status),
                     _frozen(self.steps))

    def initial_chunk(self) -> Chunk:
        return self._merge([b.initial_chunk() for _, _, b in self.parts], 0)

    def advance(self, k: int, record: bool = True) -> Optional[Chunk]:
        first = self.step + 1
        chunks = [b.advance(k, record=record) for _, _, b in self.parts]
        return self._merge(chunks, first) if record else None

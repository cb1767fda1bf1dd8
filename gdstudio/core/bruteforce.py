"""Gradient descent against brute-force search: the curse of dimensionality.

A grid search with k points per axis needs kᵈ evaluations in d dimensions; to get within ε
of the minimiser of a box of width w it needs k ≈ w/ε per axis, so (w/ε)ᵈ evaluations.
Gradient descent needs a number of steps that hardly depends on d for a well-conditioned
function (each step costs one gradient, i.e. about the price of a few evaluations by
backpropagation). ``dimension_sweep`` measures both on the same d-dimensional function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .api import descend
from .objective import Objective

#: grid searches beyond this many evaluations are estimated, not run
MAX_GRID_EVALUATIONS = 2_000_000


class ShiftedBowl(Objective):
    """f(p) = Σ cᵢ (pᵢ − sᵢ)² in d dimensions, curvatures cᵢ from 1 to 4, minimum 0 at s.
    Used to compare search strategies across dimensions (exact gradient and Hessian)."""

    def __init__(self, d: int):
        self.names = tuple(f"p{i + 1}" for i in range(d))
        self.label = f"{d}-D bowl"
        self.source = f"bowl{d}"
        self.c = np.linspace(1.0, 4.0, d)
        self.s = np.linspace(0.3, -0.4, d) if d > 1 else np.array([0.3])
        self.default_domain = tuple((-1.0, 1.0) for _ in range(d))

    def value_and_grad_T(self, X):
        r = X - self.s[:, None]
        return (self.c[:, None] * r * r).sum(axis=0), 2 * self.c[:, None] * r

    def hess(self, P):
        return np.broadcast_to(np.diag(2 * self.c), (len(P), self.dim, self.dim)).copy()


@dataclass
class GridResult:
    best_point: np.ndarray
    best_value: float
    evaluations: int


def grid_search(objective: Objective, domain, k: int, block: int = 65536) -> GridResult:
    """Evaluate the objective on a cell-centred grid of k points per axis (kᵈ points),
    in blocks so memory stays bounded; return the best grid point."""
    d = objective.dim
    axes = [lo + (hi - lo) * (np.arange(k) + 0.5) / k for lo, hi in domain]
    total = k**d
    if total > MAX_GRID_EVALUATIONS:
        raise ValueError(f"a grid of {k}^{d} = {total:,} points is too many to evaluate here")
    best_v, best_p = np.inf, None
    for start in range(0, total, block):
        idx = np.arange(start, min(total, start + block))
        P = np.empty((idx.size, d))
        rest = idx.copy()
        for j in range(d - 1, -1, -1):
            P[:, j] = axes[j][rest % k]
            rest //= k
        v = objective.value(P)
        i = int(np.nanargmin(v))
        if v[i] < best_v:
            best_v, best_p = float(v[i]), P[i].copy()
    return GridResult(best_p, best_v, total)


@dataclass
class SweepRow:
    dim: int
    grid_points_per_axis: int
    grid_evaluations: int
    grid_error: float  # distance of the grid's best point to the true minimiser
    grid_measured: bool  # False: too large to run, the figures are the formula's
    gd_steps: int
    gd_error: float


def dimension_sweep(dims=range(1, 7), accuracy: float = 0.05, lr: float = 0.1) -> list[SweepRow]:
    """For each dimension d, the evaluations a grid search needs to land within ``accuracy``
    of the minimiser of a d-dimensional bowl on [-1, 1]ᵈ, against gradient descent's steps
    to reach the same accuracy from the corner (−1, …, −1)."""
    rows = []
    for d in dims:
        f = ShiftedBowl(d)
        # cell-centred grid: the nearest point is within half a cell per axis
        k = max(1, math.ceil(2.0 / (2 * accuracy / math.sqrt(d))))
        evaluations = k**d
        if evaluations <= MAX_GRID_EVALUATIONS:
            g = grid_search(f, f.default_domain, k)
            err, measured = float(np.linalg.norm(g.best_point - f.s)), True
        else:
            err, measured = accuracy, False
        r = descend(f, [[-1.0] * d], optimizer="gd", lr=lr, steps=1000, tol=1e-9, record=True)
        dist = np.linalg.norm(r.trajectories[0] - f.s, axis=1)
        reached = np.flatnonzero(dist <= accuracy)
        steps = int(reached[0]) if reached.size else r.steps[0]
        rows.append(SweepRow(d, k, evaluations, err, measured, steps, float(dist[min(steps, len(dist) - 1)])))
    return rows

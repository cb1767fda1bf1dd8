"""Descent in other coordinates: the gradient is the differential read through a metric.

In Cartesian coordinates the familiar (∂f/∂x, ∂f/∂y) is the gradient because the metric is
the identity. In polar coordinates (r, θ), with x = r·cos θ and y = r·sin θ, the metric is
G = diag(1, r²), and the studio can descend on F(r, θ) = f(r·cos θ, r·sin θ) in two ways:

* ``naive``   (r, θ) ← (r, θ) − lr·(∂F/∂r, ∂F/∂θ)
  the partial derivatives treated as if the (r, θ) grid were Euclidean. This is *not* a
  step along −∇f: the θ-part is r² times too large, so the path bends away from the
  Cartesian one wherever f changes around the origin.
* ``metric``  (r, θ) ← (r, θ) − lr·G⁻¹·(∂F/∂r, ∂F/∂θ) = (r, θ) − lr·(∂F/∂r, ∂F/∂θ / r²)
  the true gradient in polar components. To first order in the step it moves the point
  exactly as a Cartesian step does; the difference per step is at most
  1.5·lr²·‖∇f‖²/|r| (the chart's curvature), so the paths agree to O(lr²) per step.

Any optimizer runs in these coordinates: it sees the (r, θ) vector above as "the gradient".

Derivatives are exact: the chain rule on the objective's exact gradient,
∂F/∂r = f_x·cos θ + f_y·sin θ and ∂F/∂θ = r·(−f_x·sin θ + f_y·cos θ); never finite
differences. θ is kept in (−π, π] after every step (F is 2π-periodic in θ, so the optimizer's
state is unaffected). r may become negative: (−r, θ) is the point (r, θ + π), and the chart
is smooth there; only r = 0 itself is singular (θ is undefined and G has no inverse). A run
that lands within ``SINGULAR_RADIUS`` of the origin (relative to the domain's size) stops
with the status ``singular``; its position, value and gradient stay finite.

The stopping rules are the studio's own, in Cartesian terms: ``converged`` means ‖∇f‖ ≤ tol
for the Cartesian gradient (the metric norm of the polar gradient, the same number), and the
divergence margin is the Cartesian domain's. Results, trajectories and the CSV's ``x,y`` columns are Cartesian, so a
polar run compares directly with a Cartesian one; the CSV adds the descent's own ``r,theta``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .objective import Domain, Objective
from .runner import BatchDescent, Chunk
from .status import CONVERGED, DIVERGED, MAX_STEPS, RUNNING, SINGULAR, STATUS_KEYS
from .stopping import check_stopping, divergence_limits

COORDINATES = ("cartesian", "polar")
GRADIENTS = ("naive", "metric")

#: a polar run within this fraction of the domain's diagonal from the origin is singular
SINGULAR_RADIUS = 1e-9


def check_coordinates(coordinates: str, gradient: str, dim: int = 2) -> tuple[str, str]:
    """Normalised (coordinates, gradient), or ValueError with one clear sentence."""
    c = str(coordinates).strip().lower()
    g = str(gradient).strip().lower()
    if c not in COORDINATES:
        raise ValueError(f"unknown coordinates {coordinates!r}; choose one of {', '.join(COORDINATES)}")
    if g not in GRADIENTS:
        raise ValueError(f"unknown gradient {gradient!r}; choose naive or metric")
    if c == "polar" and dim != 2:
        raise ValueError(f"polar coordinates need a function of two variables, this one has {dim}")
    return c, g


def to_polar(P: np.ndarray) -> np.ndarray:
    """(N, 2) Cartesian points -> (N, 2) of (r ≥ 0, θ in (−π, π])."""
    P = np.asarray(P, float)
    return np.column_stack([np.hypot(P[:, 0], P[:, 1]), np.arctan2(P[:, 1], P[:, 0])])


def to_cartesian(Q: np.ndarray) -> np.ndarray:
    """(..., 2) of (r, θ) -> (..., 2) of (x, y)."""
    Q = np.asarray(Q, float)
    r, t = Q[..., 0], Q[..., 1]
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=-1)


def _wrap(theta):
    """θ into (−π, π]."""
    return np.pi - np.mod(np.pi - theta, 2 * np.pi)


class PolarObjective(Objective):
    """F(r, θ) = f(r·cos θ, r·sin θ) with the naive or the metric gradient (module docstring).

    ``value_and_grad_T`` returns the vector the optimizer steps along; ``cartesian_T`` gives
    the Cartesian points, values and gradients of the same evaluation."""

    names = ("r", "theta")

    def __init__(self, base: Objective, gradient: str = "metric", r_singular: float = 0.0):
        if base.dim != 2:
            raise ValueError(f"polar coordinates need a function of two variables, this one has {base.dim}")
        self.base = base
        self.gradient = check_coordinates("polar", gradient)[1]
        self.r_singular = float(r_singular)
        self.label = f"{base.label} in polar coordinates ({self.gradient} gradient)"
        self.source = getattr(base, "source", "")

    def cartesian_T(self, Q: np.ndarray):
        """(f, G_cartesian (2, N), X (2, N)) at the polar points Q (2, N)."""
        r, t = Q[0], Q[1]
        X = np.stack([r * np.cos(t), r * np.sin(t)])
        f, G = self.base.value_and_grad_T(X)
        return np.asarray(f, float), np.asarray(G, float), X

    def value_and_grad_T(self, Q: np.ndarray):
        Q = np.asarray(Q, float)
        r, t = Q[0], Q[1]
        c, s = np.cos(t), np.sin(t)
        f, G, _ = self.cartesian_T(Q)
        gx, gy = G[0], G[1]
        tangential = -gx * s + gy * c  # the derivative along the circle, per unit length
        out = np.empty_like(Q)
        out[0] = gx * c + gy * s  # ∂F/∂r
        if self.gradient == "naive":
            out[1] = r * tangential  # ∂F/∂θ
        else:
            # G⁻¹·∂F: (∂F/∂θ)/r² = tangential/r. At the singular point itself the run is
            # stopped before this vector is ever used; a finite stand-in keeps it from being
            # mistaken for divergence.
            near = np.abs(r) <= self.r_singular
            with np.errstate(divide="ignore", invalid="ignore"):
                out[1] = np.where(near, 0.0, tangential / np.where(near, 1.0, r))
        return f, out

    def domain(self) -> Domain:
        return polar_domain(self.base.domain())


def polar_domain(domain: Domain) -> Domain:
    """The (r, θ) box of a Cartesian domain: |r| up to its farthest corner, θ one turn."""
    (x0, x1), (y0, y1) = domain
    R = max(np.hypot(a, b) for a in (x0, x1) for b in (y0, y1))
    return ((-float(R), float(R)), (-float(np.pi), float(np.pi)))


@dataclass(frozen=True)
class PolarChunk(Chunk):
    """A chunk whose ``points`` and ``grads`` are Cartesian, plus the descent's own
    coordinates ``coords`` (k, N, 2) of (r, θ)."""

    coords: Optional[np.ndarray] = None


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class PolarDescent:
    """A batch descent in polar coordinates that looks like a Cartesian
    :class:`~gdstudio.core.runner.BatchDescent` from outside: positions, values, gradients and
    chunks are in x, y; ``coords`` holds the (r, θ) the optimizer steps on.

    It drives an inner BatchDescent on :class:`PolarObjective` one step at a time, so that a
    run reaching the singular point, or leaving the Cartesian domain by the runner's
    divergence margin, stops at exactly that step."""

    coordinate_names = ("r", "theta")
    coordinates = "polar"
    #: steps on numpy (a fused kernel is for Cartesian batches: core/fused.py)
    fused = False

    def __init__(self, objective: Objective, starts, optimizer="gd", lr=None, schedule=None,
                 max_steps: int = 1000, tol: float = 1e-6, domain: Domain | None = None,
                 gradient: str = "metric", **hyper):
        self.objective = objective
        self.domain = tuple(domain) if domain is not None else objective.domain()
        span = np.array([hi - lo for lo, hi in self.domain], float)
        self.r_singular = SINGULAR_RADIUS * float(np.linalg.norm(span))
        self.polar = PolarObjective(objective, gradient, self.r_singular)
        self.gradient = self.polar.gradient
        P = np.atleast_2d(np.asarray(starts, float))
        self.initial_points = P.copy()
        check_stopping(max_steps, tol)
        self.tol = float(tol)
        # the inner batch never converges by itself: convergence is judged here, on ∇f
        self.inner = BatchDescent(self.polar, to_polar(P), optimizer, lr, schedule, max_steps, 0.0,
                                  polar_domain(self.domain), use_fused=False, **hyper)
        lo, hi = divergence_limits(self.domain)
        self._lo, self._hi = lo[:, None], hi[:, None]
        self._refresh()
        self._mark(self.inner.status == RUNNING)

    # -- the BatchDescent interface, in Cartesian terms ----------------------------------
    def __getattr__(self, name):  # n_runs, dim, step, max_steps, tol, base_lr, groups, ...
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def status(self) -> np.ndarray:
        return self.inner.status

    @property
    def steps(self) -> np.ndarray:
        return self.inner.steps

    @property
    def done(self) -> bool:
        return self.inner.done

    @property
    def points(self) -> np.ndarray:
        return self._X.T

    @property
    def values(self) -> np.ndarray:
        return self.inner.f

    @property
    def grads(self) -> np.ndarray:
        return self._G.T

    @property
    def coords(self) -> np.ndarray:
        """(N, 2) current (r, θ)."""
        return self.inner.X.T

    def _refresh(self) -> None:
        with np.errstate(all="ignore"):
            _, self._G, self._X = self.polar.cartesian_T(self.inner.X)

    def _mark(self, moved: np.ndarray) -> None:
        """The stopping rules for runs that just moved (or just started), in the runner's
        order: diverged (outside the Cartesian margin), converged (‖∇f‖ ≤ tol), singular
        (at r = 0), before the step limit the inner batch may just have applied."""
        status = self.inner.status
        live = moved & ((status == RUNNING) | (status == MAX_STEPS))
        outside = ((self._X < self._lo) | (self._X > self._hi)).any(axis=0)
        status[live & outside] = DIVERGED
        live &= ~outside
        if self.tol > 0:
            done = live & (np.einsum("dn,dn->n", self._G, self._G) <= self.tol * self.tol)
            status[done] = CONVERGED
            live &= ~done
        status[live & (np.abs(self.inner.X[0]) <= self.r_singular)] = SINGULAR

    def _chunk(self, first, pts, vals, grads, coords) -> PolarChunk:
        return PolarChunk(first, _frozen(pts), _frozen(vals), _frozen(grads),
                          _frozen(self.inner.status.copy()), _frozen(self.inner.steps.copy()),
                          _frozen(coords))

    def initial_chunk(self) -> PolarChunk:
        return self._chunk(0, self._X.T[None].copy(), self.inner.f[None].copy(),
                           self._G.T[None].copy(), self.inner.X.T[None].copy())

    def advance(self, k: int, record: bool = True) -> Optional[PolarChunk]:
        first = self.inner.step + 1
        rows = []
        for _ in range(max(0, int(k))):
            if self.inner.done or self.inner.step >= self.inner.max_steps:
                break
            before = self.inner.steps.copy()
            self.inner.advance(1, record=False)
            self.inner.X[1] = _wrap(self.inner.X[1])
            self._refresh()
            self._mark(self.inner.steps > before)
            if record:
                rows.append((self._X.T.copy(), self.inner.f.copy(), self._G.T.copy(), self.inner.X.T.copy()))
        if not record:
            return None
        n = self.inner.n_runs
        if rows:
            pts, vals, grads, coords = (np.stack(a) for a in zip(*rows))
        else:
            pts, grads, coords = (np.empty((0, n, 2)) for _ in range(3))
            vals = np.empty((0, n))
        return self._chunk(first, pts, vals, grads, coords)

    def status_names(self) -> list[str]:
        return [STATUS_KEYS[s] for s in self.inner.status]

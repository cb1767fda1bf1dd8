"""The one interface every function the studio can descend on implements.

A typed expression, a preset, a linear-regression cost, a user's model on a CSV and a
neural network's loss are all ``Objective`` objects. The runner, the critical-point
analysis, the CSV writer, the worker and the views only ever talk to this interface.

Shapes (``N`` runs, ``d`` parameters):

* ``value(P)``            P (N, d) -> (N,)
* ``grad(P)``             P (N, d) -> (N, d)
* ``value_and_grad(P)``   P (N, d) -> ((N,), (N, d))
* ``hess(P)``             P (N, d) -> (N, d, d)
* ``value_and_grad_T(X)`` X (d, N) -> ((N,), (d, N))  -- the runner's hot path: it keeps
  coordinates as contiguous rows so every numpy operation walks contiguous memory.

Optional fast path for a handful of runs (a dragged start point recomputes a whole
trajectory on every mouse move): ``scalar_value_and_grad(*floats) -> (f, (g0, ..., gd-1))``
on plain Python floats. ``None`` when the objective has none.

All derivatives are exact (symbolic or backpropagation); finite differences are only ever
used by the tests that check them.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

Domain = tuple[tuple[float, float], ...]


class Objective:
    """Base class: subclasses implement ``value`` and ``grad`` (and ``hess``) on (N, d)
    arrays, or override the ``_T`` hot path directly; the other forms are derived."""

    #: parameter names, e.g. ("x", "y") for a typed function, ("a", "b") for a line fit
    names: tuple[str, ...] = ("x", "y")
    #: a short human label ("Rosenbrock", "x**2 + y**2", "MSE of SalePrice ~ a*LotArea + b")
    label: str = ""
    #: the text a person typed or the preset name; recorded in CSV sidecars to reproduce a run
    source: str = ""
    #: the usual domain to show and to sample random starts from: one (lo, hi) per parameter
    default_domain: Optional[Domain] = None
    #: the built-in function this is (a presets.Preset with its known critical points and
    #: recommended settings), or None
    preset = None
    #: optional scalar fast path, see the module docstring
    scalar_value_and_grad: Optional[Callable[..., tuple[float, tuple[float, ...]]]] = None

    @property
    def dim(self) -> int:
        return len(self.names)

    # -- (N, d) interface -------------------------------------------------------------
    def value(self, P: np.ndarray) -> np.ndarray:
        f, _ = self.value_and_grad_T(np.ascontiguousarray(np.asarray(P, float).T))
        return f

    def grad(self, P: np.ndarray) -> np.ndarray:
        _, G = self.value_and_grad_T(np.ascontiguousarray(np.asarray(P, float).T))
        return G.T

    def value_and_grad(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f, G = self.value_and_grad_T(np.ascontiguousarray(np.asarray(P, float).T))
        return f, G.T

    def hess(self, P: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- (d, N) hot path ----------------------------------------------------------------
    def value_and_grad_T(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Subclasses override this or both ``value`` and ``grad``."""
        P = np.asarray(X, float).T
        return type(self).value(self, P), np.ascontiguousarray(type(self).grad(self, P).T)

    def domain(self) -> Domain:
        """The domain to show: the objective's own, or [-3, 3] on every axis."""
        return self.default_domain or tuple((-3.0, 3.0) for _ in self.names)


def as_points(points: Sequence | np.ndarray, dim: int) -> np.ndarray:
    """Turn an (N, d) array or a list of d-tuples into a float (N, d) array, refusing
    anything else with a clear message."""
    P = np.asarray(points, dtype=float)
    if P.ndim == 1 and P.size == dim:
        P = P.reshape(1, dim)
    if P.ndim != 2 or P.shape[1] != dim:
        raise ValueError(
            f"start points must have shape (N, {dim}); got an array of shape {P.shape}"
        )
    if not np.all(np.isfinite(P)):
        raise ValueError("start points must be finite numbers")
    return P

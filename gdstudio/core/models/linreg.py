"""Fitting a straight line by gradient descent: the textbook case.

Model and cost (the exact convention, also in docs/models.md)::

    model   ŷ = a·x + b
    cost    J(a, b) = (1/n) · Σᵢ (yᵢ − (a·xᵢ + b))²        (mean squared error, 1/n, no ½)

Gradient and (constant) Hessian::

    ∂J/∂a = (2/n) · (a·Σx² + b·Σx − Σxy)
    ∂J/∂b = (2/n) · (a·Σx  + b·n  − Σy)
    H     = (2/n) · [[Σx², Σx], [Σx, n]]

Plain gradient descent with learning rate η is stable exactly when η < 2/λmax(H)
(:meth:`LinearRegressionObjective.max_stable_lr`): along the eigenvector of λmax each step
multiplies the error by (1 − η·λmax), which leaves [−1, 1] beyond that rate.

With ``scale="standard"`` x and y are z-scored first (population standard deviation, ddof 0)
and a, b are in standardised units: a is the correlation-like slope "standard deviations of y
per standard deviation of x", b is in standard deviations of y. :meth:`to_original_units` and
:meth:`from_original_units` convert (a, b) to and from "y units per x unit" and "y units"
(e.g. dollars per square foot and dollars), so the UI can show both.

Value and gradient cost O(1) per run, whatever n: the data enter only through sums computed
once. To avoid cancellation on raw data (Σy² ≈ 5·10¹³ for house prices) the sums are taken
about the means, and the cost is evaluated in the algebraically identical form::

    J(a, b) = (S_cc/n)·(a − a*)² + (b + a·x̄ − ȳ)² + RSS*/n

with S_cc = Σ(x − x̄)², a* the least-squares slope and RSS* the least residual sum of
squares (computed directly, so J ≥ 0 exactly and J = RSS*/n at the solution).
"""

from __future__ import annotations

import math

import numpy as np

from ..objective import Objective
from ._common import FittedData, box_domain, check_batch_size, check_scale, check_xy, minibatch_indices

__all__ = ["LinearRegressionObjective"]


class LinearRegressionObjective(FittedData, Objective):
    """J(a, b) = (1/n)·Σ(yᵢ − (a·xᵢ + b))² on the data (x, y); see the module docstring.

    ``scale``: ``"none"`` (fit the raw numbers) or ``"standard"`` (z-score x and y first;
    a and b are then in standardised units). ``x_name``/``y_name`` name the columns in the
    label; ``x_unit``/``y_unit`` (e.g. ``"sq ft"``, ``"$"``) feed :meth:`param_units`.
    """

    names = ("a", "b")

    def __init__(
        self,
        x,
        y,
        scale: str = "none",
        x_name: str = "x",
        y_name: str = "y",
        x_unit: str = "",
        y_unit: str = "",
        batch_size=None,
        seed: int = 0,
    ):
        x, y = check_xy(x, y)
        self.scale = check_scale(scale)
        if float(np.ptp(x)) == 0.0:
            raise ValueError(
                f"every value of {x_name} is the same, so no line through the data can be "
                f"fitted; choose another x column"
            )
        self._set_data(x, y, x_name, y_name, x_unit, y_unit)
        xs, ys, n = self.x, self.y, self.n
        # raw sums (the documented formulas) ...
        self.Sx = float(xs.sum())
        self.Sxx = float(np.dot(xs, xs))
        self.Sy = float(ys.sum())
        self.Sxy = float(np.dot(xs, ys))
        self.Syy = float(np.dot(ys, ys))
        # ... and centred ones, used for evaluation (no cancellation)
        self._mx = float(xs.mean())
        self._my = float(ys.mean())
        cx = xs - self._mx
        cy = ys - self._my
        self._Scc = float(np.dot(cx, cx))
        self._a_star = float(np.dot(cx, cy)) / self._Scc
        self._b_star = self._my - self._a_star * self._mx
        r = cy - self._a_star * cx
        self._rss = float(np.dot(r, r))
        self._k = self._Scc / n                      # curvature of J along a at fixed c
        self._H = (2.0 / n) * np.array([[self.Sxx, self.Sx], [self.Sx, float(n)]])
        #: the constants value_and_grad_T uses: the whole data, or the current mini-batch
        self._step_terms = (self._k, self._a_star, self._mx, self._my, self._rss / n)
        self.batch_size = check_batch_size(batch_size, n)
        self.seed = int(seed)
        if self.batch_size is not None:
            # defined only for mini-batches: the runner calls it before every gradient, and
            # its presence switches off the scalar fast path (which sees the whole data)
            self.on_step = self._draw_batch

        std = " (standardised)" if self.scale == "standard" else ""
        self.label = f"MSE of {self.y_name} ~ a*{self.x_name} + b{std}"
        self.source = f"linreg: {self.y_name} ~ a*{self.x_name} + b; scale={self.scale}"
        self.default_start = np.zeros(2)
        self.default_domain = self._make_domain()

    def _draw_batch(self, step) -> None:
        """Mini-batch mode: the cost and gradient of the next evaluations are those of the
        batch of ``step`` (None: the whole data again)."""
        if step is None:
            self._step_terms = (self._k, self._a_star, self._mx, self._my, self._rss / self.n)
            return
        idx = minibatch_indices(self.n, self.batch_size, self.seed, step)
        xb, yb = self.x[idx], self.y[idx]
        mx, my = float(xb.mean()), float(yb.mean())
        cx, cy = xb - mx, yb - my
        scc = float(np.dot(cx, cx))
        a_star = float(np.dot(cx, cy)) / scc if scc > 0 else 0.0
        r = cy - a_star * cx
        self._step_terms = (scc / idx.size, a_star, mx, my, float(np.dot(r, r)) / idx.size)

    # -- cost ---------------------------------------------------------------------------
    def value_and_grad_T(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cost and gradient (of the current mini-batch in mini-batch mode)."""
        X = np.asarray(X, float)
        a, b = X[0], X[1]
        k, a_star, mx, my, base = self._step_terms
        da = a - a_star
        c = b + a * mx - my
        f = k * da * da + c * c + base
        G = np.empty_like(X)
        np.multiply(2.0 * k, da, out=G[0])
        G[0] += 2.0 * mx * c
        np.multiply(2.0, c, out=G[1])
        return f, G

    def value(self, P: np.ndarray) -> np.ndarray:
        P = np.asarray(P, float)
        a, b = P[..., 0], P[..., 1]
        da = a - self._a_star
        c = b + a * self._mx - self._my
        return self._k * da * da + c * c + self._rss / self.n

    def hess(self, P: np.ndarray) -> np.ndarray:
        P = np.atleast_2d(np.asarray(P, float))
        return np.broadcast_to(self._H, (P.shape[0], 2, 2)).copy()

    def scalar_value_and_grad(self, a: float, b: float) -> tuple[float, tuple[float, float]]:
        """The same cost on plain floats (the fast path for a dragged start point)."""
        da = a - self._a_star
        c = b + a * self._mx - self._my
        return (
            self._k * da * da + c * c + self._rss / self.n,
            (2.0 * self._k * da + 2.0 * self._mx * c, 2.0 * c),
        )

    # -- analysis -----------------------------------------------------------------------
    def hessian(self) -> np.ndarray:
        """The constant Hessian (2/n)·[[Σx², Σx], [Σx, n]] (a copy)."""
        return self._H.copy()

    def hessian_eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the Hessian, ascending."""
        return np.linalg.eigvalsh(self._H)

    def condition_number(self) -> float:
        """λmax / λmin: how elongated the contour ellipses are (their axis ratio is the
        square root of this)."""
        lo, hi = self.hessian_eigenvalues()
        return float(hi / lo) if lo > 0 else math.inf

    def max_stable_lr(self) -> float:
        """2/λmax: plain gradient descent converges for every start exactly when the
        learning rate is below this; above it, it diverges."""
        return float(2.0 / self.hessian_eigenvalues()[-1])

    def closed_form(self) -> np.ndarray:
        """The least-squares solution (a*, b*) in this objective's units."""
        return np.array([self._a_star, self._b_star])

    def min_value(self) -> float:
        """J at the least-squares solution: the least mean squared error."""
        return self._rss / self.n

    # -- units --------------------------------------------------------------------------
    def to_original_units(self, a, b):
        """(a, b) in standardised units -> slope in y units per x unit and intercept in y
        units (identity when scale="none"). Works on floats and arrays."""
        a = np.asarray(a, float) if not np.isscalar(a) else float(a)
        b = np.asarray(b, float) if not np.isscalar(b) else float(b)
        a0 = a * (self.y_std / self.x_std)
        b0 = self.y_mean + self.y_std * b - a0 * self.x_mean
        return a0, b0

    def from_original_units(self, a, b):
        """The reverse of :meth:`to_original_units`."""
        a = np.asarray(a, float) if not np.isscalar(a) else float(a)
        b = np.asarray(b, float) if not np.isscalar(b) else float(b)
        a_s = a * (self.x_std / self.y_std)
        b_s = (b + a * self.x_mean - self.y_mean) / self.y_std
        return a_s, b_s

    def param_units(self, original: bool = False) -> dict[str, str]:
        """Units of a and b, e.g. {"a": "$ per sq ft", "b": "$"}; for standardised
        parameters (unless ``original``) "SD of y per SD of x" and "SD of y"."""
        if self.scale == "standard" and not original:
            return {"a": f"SD of {self.y_name} per SD of {self.x_name}",
                    "b": f"SD of {self.y_name}"}
        yu = self.y_unit or f"{self.y_name} units"
        xu = self.x_unit or f"{self.x_name} unit"
        return {"a": f"{yu} per {xu}", "b": yu}

    def predict(self, theta, x) -> np.ndarray:
        """ŷ in original units for raw x values; ``theta`` (2,) gives shape of x, (N, 2)
        gives (N, len(x))."""
        th = np.asarray(theta, float)
        a0, b0 = self.to_original_units(th[..., 0], th[..., 1])
        x = np.asarray(x, float)
        if th.ndim == 1:
            return a0 * x + b0
        return np.asarray(a0)[:, None] * x.reshape(1, -1) + np.asarray(b0)[:, None]

    # -- domain -------------------------------------------------------------------------
    def valley_point(self, b: float = 0.0) -> np.ndarray:
        """(a(b), b): the bottom of the valley at a given intercept, a(b) = (Σxy − bΣx)/Σx²,
        where plain descent from (0, 0) lands after its first few steps."""
        return np.array([(self.Sxy - b * self.Sx) / self.Sxx, b])

    def _make_domain(self):
        sol = self.closed_form()
        pts = [self.default_start, self.valley_point(0.0)]
        if self.scale == "standard":
            return box_domain(sol, pts, min_half=1.5)
        return box_domain(sol, pts)

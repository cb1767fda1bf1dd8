"""A model the person types, fitted to their own data: ``a*x + b``, ``a*exp(b*x)``, ...

The text is parsed safely by :func:`gdstudio.core.expression.parse_expression` with the single
variable ``x``; every other name is a parameter to fit (sorted alphabetically: that is the
order of θ). The model m(x; θ) is differentiated symbolically (first and second derivatives
with respect to the parameters) and compiled to vectorised numpy code evaluated on
(runs × data points) at once.

Costs, over the n data points, residual rᵢ = yᵢ − m(xᵢ; θ):

* ``mse``    J = (1/n)·Σ rᵢ²                     (same convention as the straight-line fit)
* ``mae``    J = (1/n)·Σ |rᵢ|                    gradient uses sign(r), the subgradient that is
  0 at r = 0; MAE is not differentiable where a residual is exactly 0
* ``huber``  J = (1/n)·Σ h_δ(rᵢ) with h_δ(r) = ½r² for |r| ≤ δ, δ·(|r| − ½δ) beyond
  (the standard Huber loss, ``huber_delta`` = δ; note the ½: for small residuals it is half
  the squared error)

Chain rule (exact): ∂J/∂θₖ = (1/n)·Σ ℓ'(rᵢ)·(−∂m/∂θₖ), and the Hessian

    ∂²J/∂θₖ∂θₗ = (1/n)·Σ [ℓ''(rᵢ)·∂m/∂θₖ·∂m/∂θₗ − ℓ'(rᵢ)·∂²m/∂θₖ∂θₗ]

with ℓ'' = 2 (MSE), 0 (MAE: only the −sign(r)·∂²m term remains), 1 inside / 0 outside the
Huber band. Derivatives of max/min/abs/sign produce step functions whose own derivative (a
Dirac delta) is taken as 0, exact everywhere except on the kinks.

With ``scale="standard"`` x and y are z-scored first; the parameters are then those of the
model on standardised data.
"""

from __future__ import annotations

import functools
import itertools
from typing import Optional

import numpy as np

from ..compiled import _diff, _raise_minmax, compile_derivatives
from ..objective import Objective
from ._common import FittedData, box_domain, check_batch_size, check_scale, check_xy, minibatch_indices

__all__ = ["LOSSES", "TypedModelObjective"]

LOSSES = ("mse", "mae", "huber")

#: runs × data points evaluated at once
_BUDGET = 1 << 19


class TypedModelObjective(FittedData, Objective):
    """The cost of fitting ``model_text`` (a formula in x with free parameters) to (x, y).

    ``loss``: ``"mse"`` | ``"mae"`` | ``"huber"`` (``huber_delta`` δ > 0); ``scale``:
    ``"none"`` | ``"standard"``. Raises ``ExpressionError`` (a ValueError) for a formula that
    does not parse, ValueError for a formula without parameters."""

    def __init__(
        self,
        model_text: str,
        x,
        y,
        loss: str = "mse",
        huber_delta: float = 1.0,
        scale: str = "none",
        x_name: str = "x",
        y_name: str = "y",
        x_unit: str = "",
        y_unit: str = "",
        batch_size=None,
        seed: int = 0,
    ):
        from ..expression import make_symbol, parse_expression

        loss_ = str(loss).strip().lower()
        if loss_ not in LOSSES:
            raise ValueError(f"unknown loss '{loss}'; choose one of: {', '.join(LOSSES)}")
        delta = float(huber_delta)
        if not (np.isfinite(delta) and delta > 0):
            raise ValueError(f"the Huber threshold must be a positive number; got {huber_delta}")
        self.loss = loss_
        self.huber_delta = delta
        self.scale = check_scale(scale)
        text = str(model_text).strip()
        parsed = parse_expression(text, variables=("x",), allow_parameters=True)
        if not parsed.parameters:
            raise ValueError(
                f"the model '{text}' has no parameters to fit; use names other than x, "
                f"e.g. a*x + b"
            )
        x, y = check_xy(x, y)
        self.model_text = text
        self.parsed = parsed
        self.names = tuple(parsed.parameters)
        self._set_data(x, y, x_name, y_name, x_unit, y_unit)

        xsym = make_symbol("x")
        thetas = [make_symbol(p) for p in self.names]
        d = len(thetas)
        m = parsed.expr
        pairs = [(k, l) for k in range(d) for l in range(k, d)]
        #: sympy expression, for display
        self.model_expr = m
        self._thetas = thetas
        self._pairs = pairs
        # the same exact, program-based differentiation (and time budgets) as a typed
        # function: an 80-factor product differentiated naively took 42 s and then raised
        # RecursionError
        self._f_m, self._f_mg, self._f_mgh = compile_derivatives(
            m, [xsym, *thetas], range(1, d + 1)
        )
        d2m = self._f_mgh.program_outputs[1 + d:]
        self.linear_in_parameters = all(e == 0 for e in d2m)

        lname = {"mse": "MSE", "mae": "MAE", "huber": f"Huber(δ={delta:g})"}[loss_]
        std = " (standardised)" if self.scale == "standard" else ""
        xdesc = "" if self.x_name == "x" else f", x = {self.x_name}"
        self.label = f"{lname} of {self.y_name} ~ {text}{xdesc}{std}"
        self.source = (
            f"typed: {self.y_name} ~ {text}; x={self.x_name}; loss={loss_}"
            + (f"; delta={delta:g}" if loss_ == "huber" else "")
            + f"; scale={self.scale}"
        )
        self._batch: Optional[np.ndarray] = None
        self.batch_size = check_batch_size(batch_size, self.n)
        self.seed = int(seed)
        if self.batch_size is not None:
            # defined only for mini-batches: the runner calls it before every gradient, and
            # its presence switches off the scalar fast path (which sees the whole data)
            self.on_step = self._draw_batch
        self.default_start = self._choose_start()
        self._fit = self.reference_fit()
        self.default_domain = self._make_domain()

    # -- display forms of the derivatives, computed on first use -------------------------
    @functools.cached_property
    def gradient_exprs(self) -> tuple:
        """∂m/∂θₖ as sympy expressions (for display)."""
        return tuple(_raise_minmax(_diff(self.model_expr, t)) for t in self._thetas)

    @functools.cached_property
    def hessian_exprs(self) -> dict:
        """∂²m/∂θₖ∂θₗ (k ≤ l) as sympy expressions keyed by the parameter names."""
        dm = self.gradient_exprs
        return {
            (self.names[k], self.names[l]): _raise_minmax(_diff(dm[k], self._thetas[l]))
            for k, l in self._pairs
        }

    # pickling (Dask workers, deep copies): the compiled functions are generated code pickle
    # cannot carry, so a copy is rebuilt from the text and the data, then given the original's
    # start, fit and domain
    def __reduce__(self):
        args = (self.model_text, self.x_raw, self.y_raw, self.loss, self.huber_delta, self.scale,
                self.x_name, self.y_name, self.x_unit, self.y_unit, self.batch_size, self.seed)
        kept = {"default_start": self.default_start, "_fit": self._fit,
                "default_domain": self.default_domain}
        return _rebuild_typed, (args, kept)

    def _draw_batch(self, step) -> None:
        """Mini-batch mode: value_and_grad uses the batch of ``step`` (None: all data)."""
        self._batch = None if step is None else minibatch_indices(self.n, self.batch_size, self.seed, step)

    # -- evaluation --------------------------------------------------------------------
    @property
    def max_batch_runs(self) -> int:
        return max(1, _BUDGET // self.n)

    def _eval(self, fn, P: np.ndarray, x: Optional[np.ndarray] = None):
        """fn on (runs × points): returns arrays broadcast to (B, n)."""
        xs = self.x if x is None else x
        X = xs.reshape(1, -1)
        cols = [P[:, k:k + 1] for k in range(P.shape[1])]
        shape = (P.shape[0], X.shape[1])
        out = [np.broadcast_to(np.asarray(o, float), shape) for o in fn(X, *cols)]
        return out[0] if fn is self._f_m else out

    def _loss(self, r: np.ndarray, order: int):
        if self.loss == "mse":
            if order == 0:
                return r * r
            return r * r, 2.0 * r, 2.0
        if self.loss == "mae":
            a = np.abs(r)
            if order == 0:
                return a
            return a, np.sign(r), 0.0
        dlt = self.huber_delta
        a = np.abs(r)
        inside = a <= dlt
        val = np.where(inside, 0.5 * r * r, dlt * (a - 0.5 * dlt))
        if order == 0:
            return val
        return val, np.where(inside, r, dlt * np.sign(r)), inside.astype(float)

    def _blocks(self, N: int):
        c = self.max_batch_runs
        return [(i, min(N, i + c)) for i in range(0, N, c)]

    def value(self, P: np.ndarray) -> np.ndarray:
        P = np.atleast_2d(np.asarray(P, float))
        out = np.empty(P.shape[0])
        with np.errstate(all="ignore"):
            for i, j in self._blocks(P.shape[0]):
                r = self.y[None, :] - self._eval(self._f_m, P[i:j])
                out[i:j] = self._loss(r, 0).mean(axis=1)
        return out

    def value_and_grad(self, P: np.ndarray):
        P = np.atleast_2d(np.asarray(P, float))
        N, d = P.shape
        f = np.empty(N)
        G = np.empty((N, d))
        idx = self._batch
        xs, ys = (self.x, self.y) if idx is None else (self.x[idx], self.y[idx])
        with np.errstate(all="ignore"):
            for i, j in self._blocks(N):
                m, *dm = self._eval(self._f_mg, P[i:j], xs)
                r = ys[None, :] - m
                val, d1, _ = self._loss(r, 1)
                f[i:j] = val.mean(axis=1)
                for k in range(d):
                    G[i:j, k] = -(d1 * dm[k]).mean(axis=1)
        return f, G

    def grad(self, P: np.ndarray) -> np.ndarray:
        return self.value_and_grad(P)[1]

    def value_and_grad_T(self, X: np.ndarray):
        f, G = self.value_and_grad(np.asarray(X, float).T)
        return f, np.ascontiguousarray(G.T)

    def hess(self, P: np.ndarray) -> np.ndarray:
        P = np.atleast_2d(np.asarray(P, float))
        N, d = P.shape
        H = np.empty((N, d, d))
        with np.errstate(all="ignore"):
            for i, j in self._blocks(N):
                out = self._eval(self._f_mgh, P[i:j])
                m, dm, d2m = out[0], out[1:1 + d], out[1 + d:]
                r = self.y[None, :] - m
                _, d1, d2 = self._loss(r, 2)
                for (k, l), e in zip(self._pairs, d2m):
                    h = (d2 * dm[k] * dm[l] - d1 * e).mean(axis=1)
                    H[i:j, k, l] = h
                    H[i:j, l, k] = h
        return H

    # -- predictions -------------------------------------------------------------------
    def predict(self, theta, x) -> np.ndarray:
        """The model's ŷ (original units) at raw x values; θ (d,) -> shape of x,
        θ (N, d) -> (N, len(x))."""
        th = np.asarray(theta, float)
        x = np.asarray(x, float)
        xs = (x.ravel() - self.x_mean) / self.x_std
        with np.errstate(all="ignore"):
            out = self._eval(self._f_m, np.atleast_2d(th), xs) * self.y_std + self.y_mean
        return out[0].reshape(x.shape) if th.ndim == 1 else np.array(out)

    # -- starts, reference fit, domain ---------------------------------------------------
    def _usable(self, theta: np.ndarray) -> bool:
        with np.errstate(all="ignore"):
            m, *dm = self._eval(self._f_mg, theta[None, :])
            if not np.all(np.isfinite(m)):
                return False
            for g in dm:
                if not np.all(np.isfinite(g)) or np.allclose(g, 0.0, atol=1e-12, rtol=0):
                    return False
        return True

    def _choose_start(self) -> np.ndarray:
        """(0, …, 0) unless some parameter has no effect on the model there (its derivative
        vanishes at every data point, e.g. b in a*exp(b*x) at a = 0) or the model is not
        finite; then the first of the 0/1 combinations, fewest ones first (for d ≤ 6), that
        has neither problem (a*exp(b*x) -> (a, b) = (1, 0); a*sin(b*x) -> (1, 1)); if none,
        zeros."""
        d = len(self.names)
        zero = np.zeros(d)
        if self._usable(zero):
            return zero
        if d <= 6:
            for k in range(1, d + 1):
                for ones in itertools.combinations(range(d), k):
                    t = np.zeros(d)
                    t[list(ones)] = 1.0
                    if self._usable(t):
                        return t
        return zero

    def reference_fit(self, start=None, max_iter: int = 200) -> Optional[np.ndarray]:
        """A least-squares fit of the model (the MSE minimiser, whatever ``loss``): exact
        linear least squares when the model is linear in its parameters, otherwise
        ``scipy.optimize.least_squares`` (trust-region reflective, with the model's exact
        Jacobian) from ``start`` (default start). Used to centre the default domain; None
        when it fails. ``max_iter`` bounds the Jacobian evaluations."""
        from scipy.optimize import least_squares

        d = len(self.names)
        th = np.array(self.default_start if start is None else start, float)
        with np.errstate(all="ignore"):
            if self.linear_in_parameters:
                m0, *J = self._eval(self._f_mg, np.zeros((1, d)))
                A = np.column_stack([np.asarray(g[0]) for g in J])
                if not np.all(np.isfinite(A)):
                    return None
                sol = np.linalg.lstsq(A, self.y - m0[0], rcond=None)[0]
                return sol if np.all(np.isfinite(sol)) else None

            def resid(t):
                return self._eval(self._f_m, t[None, :])[0] - self.y

            def jac(t):
                _, *J = self._eval(self._f_mg, t[None, :])
                return np.column_stack([np.broadcast_to(np.asarray(g[0], float), self.y.shape) for g in J])

            r0 = resid(th)
            if not np.all(np.isfinite(r0)) or not np.all(np.isfinite(jac(th))):
                return None
            try:
                sol = least_squares(resid, th, jac=jac, method="trf", x_scale="jac",
                                    max_nfev=max_iter, xtol=1e-12, ftol=1e-12, gtol=1e-12)
            except (ValueError, np.linalg.LinAlgError):
                return None
        # status 0 is "max_nfev reached": still the best point found, and better than the start
        if sol.status < 0 or not np.all(np.isfinite(sol.x)) or not np.isfinite(sol.cost):
            return None
        return sol.x

    def closed_form(self) -> Optional[np.ndarray]:
        """The exact minimiser when it has a closed form (MSE of a model linear in its
        parameters), else None."""
        if self.loss == "mse" and self.linear_in_parameters:
            return self._fit
        return None

    def cauchy_point(self) -> Optional[np.ndarray]:
        """Where steepest descent from the default start goes first: the exact line
        minimum of the local quadratic model along −∇J (None if the curvature there is not
        positive). On badly scaled data this is far from the start, at the valley floor."""
        p0 = self.default_start[None, :]
        with np.errstate(all="ignore"):
            g = self.grad(p0)[0]
            H = self.hess(p0)[0]
            curv = float(g @ H @ g)
            if not (np.isfinite(curv) and curv > 0 and np.all(np.isfinite(g))):
                return None
            c = self.default_start - (float(g @ g) / curv) * g
        return c if np.all(np.isfinite(c)) else None

    def _make_domain(self):
        pts = [self.default_start]
        cp = self.cauchy_point()
        if cp is not None:
            pts.append(cp)
        if self._fit is None:
            return box_domain(self.default_start, pts, min_half=3.0)
        return box_domain(self._fit, pts, min_half=1.0 if self.scale == "standard" else None)


def _rebuild_typed(args: tuple, kept: dict) -> TypedModelObjective:
    obj = TypedModelObjective(*args)
    obj.__dict__.update(kept)
    return obj

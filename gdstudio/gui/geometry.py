"""Drawing geometry for the 2-D views, in numpy (no Qt): colour scaling, contour levels,
isolines (vectorised marching squares), arrow segments for the gradient field.

Every grid uses ``indexing='ij'``: ``Z[i, j] = f(xs[i], ys[j])``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ColorScale:
    """How values map to colours. ``log``: colour by log10(f − f_min + ε)."""

    log: bool
    zmin: float
    eps: float

    def apply(self, Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, float)
        if not self.log:
            return Z
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(Z - self.zmin, 0.0) + self.eps)

    def invert(self, T: np.ndarray) -> np.ndarray:
        T = np.asarray(T, float)
        if not self.log:
            return T
        return 10.0**T - self.eps + self.zmin

    @property
    def label(self) -> str:
        if not self.log:
            return "f"
        return f"log₁₀(f − min f + {self.eps:.1g})"


def choose_scale(Z: np.ndarray) -> ColorScale:
    """Logarithmic colours when most of the domain sits in the bottom few percent of the
    range (Rosenbrock, Goldstein–Price, Himmelblau), linear otherwise."""
    finite = np.asarray(Z, float)[np.isfinite(Z)]
    if finite.size == 0:
        return ColorScale(False, 0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo
    if span <= 0:
        return ColorScale(False, lo, 1.0)
    median = float(np.median(finite))
    if (median - lo) / span < 0.08:
        return ColorScale(True, lo, max(span * 1e-6, 1e-12))
    return ColorScale(False, lo, 1.0)


def levels_for(T: np.ndarray, n: int = 14) -> np.ndarray:
    """``n`` iso-levels evenly spaced in the colour-scaled values T (inner levels only)."""
    finite = T[np.isfinite(T)]
    if finite.size == 0:
        return np.empty(0)
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        return np.empty(0)
    return np.linspace(lo, hi, n + 2)[1:-1]


def contour_segments(xs: np.ndarray, ys: np.ndarray, T: np.ndarray, levels) -> np.ndarray:
    """Isolines of T at ``levels`` as line segments: an (2·S, 2) array of endpoint pairs
    (for ``PlotDataItem(connect='pairs')``). Vectorised marching squares: each grid cell
    crossed twice gets one segment, a saddle cell (crossed four times) two."""
    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    T = np.asarray(T, float)
    out = []
    X0, X1 = xs[:-1, None], xs[1:, None]
    Y0, Y1 = ys[None, :-1], ys[None, 1:]
    a, b = T[:-1, :-1], T[1:, :-1]  # (i, j), (i+1, j)
    c, d = T[1:, 1:], T[:-1, 1:]  # (i+1, j+1), (i, j+1)
    finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(d)
    shape = a.shape
    with np.errstate(all="ignore"):
        for lev in np.atleast_1d(levels):
            above = [a > lev, b > lev, c > lev, d > lev]

            def cross(p, q, za, zb):
                return finite & (p != q), np.clip((lev - za) / (zb - za), 0.0, 1.0)

            m0, t0 = cross(above[0], above[1], a, b)  # bottom edge, along x at y_j
            m1, t1 = cross(above[1], above[2], b, c)  # right edge, along y at x_{i+1}
            m2, t2 = cross(above[3], above[2], d, c)  # top edge, along x at y_{j+1}
            m3, t3 = cross(above[0], above[3], a, d)  # left edge, along y at x_i
            count = m0.astype(np.int8) + m1 + m2 + m3
            if not count.any():
                continue
            px = np.stack([
                np.broadcast_to(X0 + t0 * (X1 - X0), shape),
                np.broadcast_to(X1, shape),
                np.broadcast_to(X0 + t2 * (X1 - X0), shape),
                np.broadcast_to(X0, shape),
            ], axis=-1)
            py = np.stack([
                np.broadcast_to(Y0, shape),
                np.broadcast_to(Y0 + t1 * (Y1 - Y0), shape),
                np.broadcast_to(Y1, shape),
                np.broadcast_to(Y0 + t3 * (Y1 - Y0), shape),
            ], axis=-1)
            masks = np.stack([m0, m1, m2, m3], axis=-1)
            two = count == 2
            if two.any():
                sel = masks[two]
                out.append(np.stack([px[two][sel], py[two][sel]], axis=-1))
            four = count == 4
            if four.any():
                qx, qy = px[four], py[four]
                # pair bottom-left & top-right, or bottom-right & top-left, by the centre
                centre_above = (a[four] + b[four] + c[four] + d[four]) / 4 > lev
                a_above = above[0][four]
                join_bl = centre_above != a_above
                order = np.where(join_bl[:, None], [0, 3, 2, 1], [0, 1, 2, 3])
                rows = np.arange(qx.shape[0])[:, None]
                out.append(np.stack([qx[rows, order], qy[rows, order]], axis=-1).reshape(-1, 2))
    if not out:
        return np.empty((0, 2))
    return np.concatenate(out)


def arrow_segments(xs: np.ndarray, ys: np.ndarray, U: np.ndarray, V: np.ndarray,
                   length: float, head: float = 0.35) -> np.ndarray:
    """Arrows of equal ``length`` along (U, V) (normalised), centred on the grid points, as
    line segments (shaft + two head strokes) for ``connect='pairs'``; zero vectors are
    left out."""
    X, Y = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float), indexing="ij")
    U = np.asarray(U, float)
    V = np.asarray(V, float)
    with np.errstate(all="ignore"):
        norm = np.hypot(U, V)
        ok = np.isfinite(norm) & (norm > 0)
        ux = np.where(ok, U / norm, 0.0)[ok]
        uy = np.where(ok, V / norm, 0.0)[ok]
    x, y = X[ok], Y[ok]
    half = 0.5 * length
    tail = np.stack([x - ux * half, y - uy * half], axis=-1)
    tip = np.stack([x + ux * half, y + uy * half], axis=-1)
    h = head * length
    c, s = np.cos(np.radians(28)), np.sin(np.radians(28))
    # the two head strokes: the reversed direction rotated by ±28°
    bx, by = -ux, -uy
    left = np.stack([tip[:, 0] + h * (c * bx - s * by), tip[:, 1] + h * (s * bx + c * by)], axis=-1)
    right = np.stack([tip[:, 0] + h * (c * bx + s * by), tip[:, 1] + h * (-s * bx + c * by)], axis=-1)
    segs = np.stack([tail, tip, tip, left, tip, right], axis=1)  # (n, 6, 2)
    return segs.reshape(-1, 2)


def nan_joined(paths) -> np.ndarray:
    """Concatenate (T_i, k) paths with a NaN row between them (``connect='finite'``)."""
    paths = [p for p in paths if len(p)]
    if not paths:
        return np.empty((0, 2))
    k = paths[0].shape[1]
    sep = np.full((1, k), np.nan)
    parts = []
    for p in paths:
        parts.append(p)
        parts.append(sep)
    return np.concatenate(parts[:-1])


@dataclass(frozen=True)
class GridData:
    """An objective evaluated for the views ('ij'): Z[i, j] = f(xs[i], ys[j]); the
    negative gradient (U, V) on the coarse grid (gxs, gys); the colour scale and the
    iso-level segments."""

    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    gxs: np.ndarray
    gys: np.ndarray
    U: np.ndarray
    V: np.ndarray
    scale: ColorScale
    levels: np.ndarray  # in the scaled values
    contours: np.ndarray  # (2·S, 2) segment endpoints


def compute_grid(objective, domain, n: int = 161, arrows: int = 19) -> GridData:
    """Evaluate ``objective`` on an n×n 'ij' grid over ``domain`` (one vectorised
    value_and_grad call on the flattened mesh) and its negative gradient on a coarse grid."""
    (xa, xb), (ya, yb) = domain
    xs = np.linspace(xa, xb, n)
    ys = np.linspace(ya, yb, n)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    with np.errstate(all="ignore"):
        Z = np.asarray(objective.value(np.column_stack([X.ravel(), Y.ravel()])), float).reshape(n, n)
    Z = np.where(np.isfinite(Z), Z, np.nan)
    pad_x, pad_y = (xb - xa) / (2 * arrows), (yb - ya) / (2 * arrows)
    gxs = np.linspace(xa + pad_x, xb - pad_x, arrows)
    gys = np.linspace(ya + pad_y, yb - pad_y, arrows)
    GX, GY = np.meshgrid(gxs, gys, indexing="ij")
    with np.errstate(all="ignore"):
        _, G = objective.value_and_grad(np.column_stack([GX.ravel(), GY.ravel()]))
    G = np.asarray(G, float)
    U = -G[:, 0].reshape(arrows, arrows)
    V = -G[:, 1].reshape(arrows, arrows)
    scale = choose_scale(Z)
    T = scale.apply(Z)
    levels = levels_for(T)
    return GridData(xs, ys, Z, gxs, gys, U, V, scale, levels, contour_segments(xs, ys, T, levels))


def point_report(objective, x: float, y: float) -> dict:
    """What the point inspector shows at (x, y): value, gradient, Hessian eigenvalues,
    condition number and 2/λmax (the largest stable learning rate of plain gradient descent
    on the local quadratic model)."""
    P = np.array([[float(x), float(y)]])
    with np.errstate(all="ignore"):
        f, G = objective.value_and_grad(P)
        try:
            H = np.asarray(objective.hess(P), float)[0]
        except NotImplementedError:
            H = None
    out = {"point": (float(x), float(y)), "value": float(np.asarray(f)[0]),
           "grad": tuple(float(v) for v in np.asarray(G)[0]), "eig": None, "cond": None, "lr_max": None}
    if H is not None and np.all(np.isfinite(H)):
        lam = np.linalg.eigvalsh((H + H.T) / 2)
        out["eig"] = tuple(float(v) for v in lam)
        amin, amax = float(np.min(np.abs(lam))), float(np.max(np.abs(lam)))
        out["cond"] = amax / amin if amin > 0 else float("inf")
        lmax = float(lam.max())
        out["lr_max"] = 2.0 / lmax if lmax > 0 else float("inf")
    return out


def finite_path(x, y):
    """A QPainterPath through (x, y), broken at NaN (for FastLines)."""
    import pyqtgraph as pg
    from PySide6.QtGui import QPainterPath

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.size < 2:
        return QPainterPath()
    return pg.arrayToQPath(x, y, connect="finite")

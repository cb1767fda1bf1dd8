"""The geometry every view draws, in numpy (no Qt): colour scaling, contour levels and
isolines (one vectorised marching squares), gradient arrows (one implementation), ticks and
their labels, the grid a problem is evaluated on, and the point inspector's report.

The 2-D map, the curves and the 3D view all take their contours, arrows and ticks from here.
Every grid uses ``indexing='ij'``: ``Z[i, j] = f(xs[i], ys[j])``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ColorScale", "choose_scale", "levels_for", "contour_segments", "arrow_segments", "nan_joined",
    "GridData", "compute_grid", "point_report", "nice_ticks", "log_ticks", "format_value",
]


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


def contour_segments(xs, ys, T, levels) -> tuple[np.ndarray, np.ndarray]:
    """Isolines of ``T[i, j]`` over ``(xs[i], ys[j])`` at ``levels``: vectorised marching
    squares. Returns ``(segments (S, 2, 2), level_index (S,))``, each segment's two (x, y) ends;
    ``segments.reshape(-1, 2)`` is the endpoint-pair form of ``PlotDataItem(connect='pairs')``.
    A cell crossed twice gives one segment, a saddle cell (crossed four times) two, joined by
    the value at the cell's centre. Cells with a non-finite corner give none."""
    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    T = np.asarray(T, float)
    segs, which = [], []
    X0, X1 = xs[:-1, None], xs[1:, None]
    Y0, Y1 = ys[None, :-1], ys[None, 1:]
    a, b = T[:-1, :-1], T[1:, :-1]  # (i, j), (i+1, j)
    c, d = T[1:, 1:], T[:-1, 1:]  # (i+1, j+1), (i, j+1)
    finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(d)
    shape = a.shape
    with np.errstate(all="ignore"):
        for li, lev in enumerate(np.atleast_1d(levels)):
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
                s = np.stack([px[two][sel], py[two][sel]], axis=-1).reshape(-1, 2, 2)
                segs.append(s)
                which.append(np.full(len(s), li))
            four = count == 4
            if four.any():
                qx, qy = px[four], py[four]
                # pair bottom-left & top-right, or bottom-right & top-left, by the centre
                centre_above = (a[four] + b[four] + c[four] + d[four]) / 4 > lev
                join_bl = centre_above != above[0][four]
                order = np.where(join_bl[:, None], [0, 3, 2, 1], [0, 1, 2, 3])
                rows = np.arange(qx.shape[0])[:, None]
                s = np.stack([qx[rows, order], qy[rows, order]], axis=-1).reshape(-1, 2, 2)
                segs.append(s)
                which.append(np.full(len(s), li))
    if not segs:
        return np.zeros((0, 2, 2)), np.zeros(0, np.int64)
    return np.concatenate(segs), np.concatenate(which)


def arrow_segments(X, Y, U, V, length: float, head: float = 0.33, head_angle_deg: float = 26.0,
                   min_frac: float = 0.22, gamma: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Arrows centred on ``(X, Y)`` pointing along ``(U, V)``, as line segments (shaft and two
    head strokes: six vertices each, for ``connect='pairs'`` or GL ``mode='lines'``).

    Lengths are ``length * max(min_frac, (|g| / max|g|) ** gamma)``, so the steepest arrow is
    ``length`` long and flat regions still show a direction (``min_frac=1``: all arrows equally
    long). Zero or non-finite vectors give zero-length (invisible) arrows. Returns
    ``(xy (6 n, 2), strength (n,))``; ``strength`` in [0, 1] is the normalised magnitude."""
    X, Y, U, V = (np.asarray(a, float).ravel() for a in (X, Y, U, V))
    n = X.size
    mag = np.hypot(U, V)
    good = np.isfinite(mag) & (mag > 0)
    top = mag[good].max() if good.any() else 1.0
    strength = np.where(good, mag / top, 0.0)
    L = np.where(good, length * np.maximum(min_frac, strength ** gamma), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ux = np.where(good, U / np.where(good, mag, 1.0), 0.0)
        uy = np.where(good, V / np.where(good, mag, 1.0), 0.0)
    tail = np.stack([X - 0.5 * L * ux, Y - 0.5 * L * uy], 1)
    tip = np.stack([X + 0.5 * L * ux, Y + 0.5 * L * uy], 1)
    h = head * L
    c, s = math.cos(math.radians(head_angle_deg)), math.sin(math.radians(head_angle_deg))
    # the two head strokes: the reversed direction rotated by ±angle
    bx, by = -ux, -uy
    l1 = tip + h[:, None] * np.stack([c * bx - s * by, s * bx + c * by], 1)
    l2 = tip + h[:, None] * np.stack([c * bx + s * by, -s * bx + c * by], 1)
    return np.stack([tail, tip, tip, l1, tip, l2], 1).reshape(6 * n, 2), strength


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


def compute_grid(objective, domain, n: int = 161, arrows: int = 19, values=None) -> GridData:
    """Evaluate ``objective`` on an n×n 'ij' grid over ``domain`` (one vectorised
    value_and_grad call on the flattened mesh) and its negative gradient on a coarse grid.
    ``values(xs, ys)``, when given, computes the n×n values instead (e.g. a landscape in row
    blocks on a cluster, :func:`gdstudio.app.landscape.landscape_grid`)."""
    (xa, xb), (ya, yb) = domain
    xs = np.linspace(xa, xb, n)
    ys = np.linspace(ya, yb, n)
    if values is not None:
        Z = np.asarray(values(xs, ys), float).reshape(n, n)
    else:
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
    return GridData(xs, ys, Z, gxs, gys, U, V, scale, levels, contour_segments(xs, ys, T, levels)[0].reshape(-1, 2))


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


# -- ticks and their labels ----------------------------------------------------------------
def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round (1, 2, 5 x 10^k) values inside ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([lo])
    raw = hi / max(n - 1, 1) - lo / max(n - 1, 1)  # (hi - lo) overflows for ±1e308
    if not (math.isfinite(raw) and raw > 0):
        return np.array([lo])
    mag = 10 ** math.floor(math.log10(raw))
    best = None
    for m in (0.5, 1, 2, 2.5, 5, 10):
        step = m * mag
        first = math.ceil(lo / step - 1e-9) * step
        count = int(math.floor(hi / step - first / step + 1e-9)) + 1
        if best is None or abs(count - n) < abs(best[0] - n):
            best = (count, step, first)
    _, step, first = best
    ticks = (first / step + np.arange(best[0], dtype=float)) * step  # no overflow near 1e308
    return ticks[(ticks >= lo - step * 1e-9) & (ticks <= hi + step * 1e-9)]


def log_ticks(mapping, min_gap: float = 0.09) -> list[tuple[float, float]]:
    """Ticks for a log-compressed height: round raw values (1, 2, 5 x 10^k), spaced at least
    ``min_gap`` apart in normalised height, plus the minimum.  ``[(fraction, value), ...]``. ``mapping`` has ``zmin``, ``zmax`` and
    ``frac(value)`` (the 3D view's ViewMapping)."""
    lo, hi = mapping.zmin, mapping.zmax
    out = [(0.0, lo)]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return out
    top = max(abs(lo), abs(hi), 1e-300)
    # powers of ten a float can hold: 10.0 ** 309 raises OverflowError (a surface whose
    # maximum is about 1e307 or more, such as exp(709*x/3) + y^2)
    k_hi = min(math.ceil(math.log10(top)) + 1, 308)
    k_lo = k_hi - 18
    powers = [10.0 ** k for k in range(k_lo, k_hi + 1)]
    cands = sorted({v for p in powers for m in (1, 2, 5) for v in (m * p, -m * p)
                    if math.isfinite(v)} | {0.0})
    last = 0.0
    for v in cands:
        if v <= lo or v > hi:
            continue
        t = float(mapping.frac(v))
        if t - last >= min_gap and t <= 1.0 + 1e-9:
            out.append((t, v))
            last = t
    return out


def format_value(v: float) -> str:
    """Short human label for a tick or readout: 3 significant figures, no noise."""
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        m, e = f"{v:.2e}".split("e")
        m = m.rstrip("0").rstrip(".")
        return f"{m}e{int(e)}"
    s = f"{v:.3g}"
    if "e" in s:
        s = f"{v:.0f}"
    return s

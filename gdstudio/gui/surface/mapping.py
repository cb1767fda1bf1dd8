"""Raw -> visual mapping of the 3D view (pure numpy: no Qt, no OpenGL, unit-testable anywhere).

Everything the :class:`~gdstudio.gui.surface.SurfaceView` draws goes through one
:class:`ViewMapping`, which sends raw data coordinates ``(x, y, f)`` to *visual* coordinates:
``x`` and ``y`` to ``[-1, 1]`` each, and ``f`` to ``[0, height]`` (linear, or log-compressed
when the dynamic range is huge).  The same mapping is used for the surface, trajectories,
markers, critical points and the step arrow, so they always sit on the surface.

* :func:`ray_height_field_intersection` -- where a ray (e.g. from the camera through a pixel)
  first meets a height field ``Z[i, j]`` over ``xs[i], ys[j]``: march + bisection.
* :func:`bilinear` -- bilinear interpolation on an ``indexing='ij'`` grid.

The line geometry built on it (trajectories, arrows, contours, ticks) is in :mod:`.segments`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = [
    "ViewMapping",
    "fill_nonfinite",
    "auto_log_height",
    "bilinear",
    "ray_height_field_intersection",
]

#: dynamic range (max - min) / (median - min) above which "log height" switches on by itself;
#: 1 / 0.08, the same rule as the 2-D views' log colours (geometry.choose_scale), so both views
#: agree (Rosenbrock, Goldstein-Price and Beale are log; Himmelblau, Rastrigin are linear)
AUTO_LOG_RATIO = 12.5
#: visual height of the surface (x and y span [-1, 1])
DEFAULT_HEIGHT = 1.0
#: highest visual height a point above the sampled maximum is drawn at (fraction of height)
Z_CLIP_HIGH = 1.15
Z_CLIP_LOW = -0.05


# ----------------------------------------------------------------------------------------------
# mapping raw -> visual
# ----------------------------------------------------------------------------------------------
def fill_nonfinite(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(Z_filled, bad)``: NaN and +inf become the finite maximum, -inf the minimum.

    ``bad`` marks the replaced cells (the view greys them).  An all-bad grid becomes zeros.
    """
    Z = np.asarray(Z, dtype=float)
    bad = ~np.isfinite(Z)
    if not bad.any():
        return Z.copy(), bad
    if bad.all():
        return np.zeros_like(Z), bad
    good = Z[~bad]
    hi, lo = good.max(), good.min()
    out = Z.copy()
    out[np.isnan(Z)] = hi
    out[np.isposinf(Z)] = hi
    out[np.isneginf(Z)] = lo
    return out, bad


def auto_log_height(Z: np.ndarray, ratio: float = AUTO_LOG_RATIO) -> bool:
    """True when the finite values of ``Z`` span a range far larger than their typical size."""
    z = np.asarray(Z, dtype=float)
    z = z[np.isfinite(z)]
    if z.size < 2:
        return False
    lo, hi, med = z.min(), z.max(), np.median(z)
    rng = hi - lo
    if not rng > 0:
        return False
    typical = med - lo
    if typical <= rng * 1e-12:
        return True
    return bool(rng / typical > ratio)


@dataclass(frozen=True)
class ViewMapping:
    """Raw data ``(x, y, f)`` <-> visual coordinates.  Works on scalars and arrays."""

    x0: float = -1.0
    x1: float = 1.0
    y0: float = -1.0
    y1: float = 1.0
    zmin: float = 0.0
    zmax: float = 1.0
    log: bool = False
    scale: float = 1.0  # the knee of the log compression, in raw f units
    height: float = DEFAULT_HEIGHT

    @classmethod
    def for_surface(cls, xs, ys, Z, log: Optional[bool] = None, height: float = DEFAULT_HEIGHT):
        """Mapping for the grid ``Z[i, j] = f(xs[i], ys[j])``; ``log=None`` decides by itself."""
        xs = np.asarray(xs, float)
        ys = np.asarray(ys, float)
        Zf, bad = fill_nonfinite(Z)
        good = Zf[~bad] if (~bad).any() else np.zeros(1)
        zmin, zmax = float(good.min()), float(good.max())
        if not zmax > zmin:  # flat: give it a unit range around the value
            zmin, zmax = zmin - 0.5, zmax + 0.5
        if log is None:
            log = auto_log_height(good)
        med = float(np.median(good))
        rng = zmax - zmin
        scale = max((med - zmin) * 0.1, rng * 1e-7, 1e-300)
        x0, x1 = float(np.min(xs)), float(np.max(xs))
        y0, y1 = float(np.min(ys)), float(np.max(ys))
        if not x1 > x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        if not y1 > y0:
            y0, y1 = y0 - 0.5, y1 + 0.5
        return cls(x0, x1, y0, y1, zmin, zmax, bool(log), float(scale), float(height))

    def with_log(self, log: bool) -> "ViewMapping":
        return ViewMapping(self.x0, self.x1, self.y0, self.y1, self.zmin, self.zmax, bool(log),
                           self.scale, self.height)

    # x, y ------------------------------------------------------------------------------------
    def vx(self, x):
        return (np.asarray(x, float) - 0.5 * (self.x0 + self.x1)) * (2.0 / (self.x1 - self.x0))

    def vy(self, y):
        return (np.asarray(y, float) - 0.5 * (self.y0 + self.y1)) * (2.0 / (self.y1 - self.y0))

    def rx(self, vx):
        return 0.5 * (self.x0 + self.x1) + np.asarray(vx, float) * 0.5 * (self.x1 - self.x0)

    def ry(self, vy):
        return 0.5 * (self.y0 + self.y1) + np.asarray(vy, float) * 0.5 * (self.y1 - self.y0)

    # f ---------------------------------------------------------------------------------------
    def frac(self, f):
        """Normalised height in [0, 1] for ``zmin..zmax`` (unclipped; NaN stays NaN)."""
        f = np.asarray(f, float)
        rng = self.zmax - self.zmin
        if not self.log:
            return (f - self.zmin) / rng
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.maximum(f - self.zmin, 0.0) / self.scale
            return np.log1p(d) / math.log1p(rng / self.scale) + np.minimum(f - self.zmin, 0.0) / rng

    def inv_frac(self, t):
        """Raw value at normalised height ``t`` (inverse of :meth:`frac` on ``t >= 0``)."""
        t = np.asarray(t, float)
        rng = self.zmax - self.zmin
        if not self.log:
            return self.zmin + t * rng
        return self.zmin + self.scale * np.expm1(t * math.log1p(rng / self.scale))

    def vz(self, f):
        """Visual height, clipped to ``[Z_CLIP_LOW, Z_CLIP_HIGH] * height``; +inf -> top."""
        with np.errstate(invalid="ignore", over="ignore"):
            t = self.frac(f)
        t = np.where(np.isnan(t), Z_CLIP_HIGH, t)
        return np.clip(t, Z_CLIP_LOW, Z_CLIP_HIGH) * self.height

    def to_visual(self, P):
        """``(..., 3)`` raw ``(x, y, f)`` -> visual (x, y unclipped)."""
        P = np.asarray(P, float)
        out = np.empty(P.shape, float)
        out[..., 0] = self.vx(P[..., 0])
        out[..., 1] = self.vy(P[..., 1])
        out[..., 2] = self.vz(P[..., 2])
        return out

    def inside(self, x, y, tol: float = 1e-9):
        """Mask of raw points inside the domain box (NaN/inf are outside)."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        ex = tol * (self.x1 - self.x0)
        ey = tol * (self.y1 - self.y0)
        with np.errstate(invalid="ignore"):
            return ((x >= self.x0 - ex) & (x <= self.x1 + ex)
                    & (y >= self.y0 - ey) & (y <= self.y1 + ey))


# ----------------------------------------------------------------------------------------------
# height field sampling and ray casting
# ----------------------------------------------------------------------------------------------
def _cell(grid: np.ndarray, v: np.ndarray):
    n = len(grid)
    i = np.clip(np.searchsorted(grid, v, side="right") - 1, 0, n - 2)
    g0 = grid[i]
    g1 = grid[i + 1]
    t = np.clip((v - g0) / (g1 - g0), 0.0, 1.0)
    return i, t


def bilinear(xs, ys, Z, x, y):
    """Bilinear interpolation of ``Z[i, j]`` (``indexing='ij'``) at points ``(x, y)``.

    ``xs`` and ``ys`` must increase.  Points outside are clamped to the border.
    """
    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    Z = np.asarray(Z, float)
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    i, tx = _cell(xs, x)
    j, ty = _cell(ys, y)
    z00 = Z[i, j]
    z10 = Z[i + 1, j]
    z01 = Z[i, j + 1]
    z11 = Z[i + 1, j + 1]
    return (z00 * (1 - tx) * (1 - ty) + z10 * tx * (1 - ty)
            + z01 * (1 - tx) * ty + z11 * tx * ty)


def _slab(origin, direction, lo, hi):
    """Parametric interval [t0, t1] where the ray is inside the axis-aligned box, or None."""
    t0, t1 = 0.0, math.inf
    for k in range(3):
        o, d = origin[k], direction[k]
        if abs(d) < 1e-300:
            if o < lo[k] or o > hi[k]:
                return None
            continue
        a = (lo[k] - o) / d
        b = (hi[k] - o) / d
        if a > b:
            a, b = b, a
        t0 = max(t0, a)
        t1 = min(t1, b)
        if t0 > t1:
            return None
    if not math.isfinite(t1):
        return None
    return t0, t1


def ray_height_field_intersection(origin, direction, xs, ys, Z_vis,
                                  max_samples: int = 4096) -> Optional[tuple[float, float]]:
    """First point where the ray ``origin + t * direction`` (t >= 0) meets the height field.

    The height field is ``z = Z_vis[i, j]`` over ``(xs[i], ys[j])`` (``indexing='ij'``, all in
    the same coordinates as the ray), bilinearly interpolated.  The ray is clipped to the grid's
    bounding box, marched in steps of half a grid cell, and the first sign change of
    ``ray_z - surface_z`` is refined by bisection.  Returns ``(x, y)`` or ``None`` (miss).
    """
    o = np.asarray(origin, float).reshape(3)
    d = np.asarray(direction, float).reshape(3)
    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    Z = np.asarray(Z_vis, float)
    if not (np.all(np.isfinite(o)) and np.all(np.isfinite(d))) or not np.any(d):
        return None
    if Z.shape != (len(xs), len(ys)) or len(xs) < 2 or len(ys) < 2:
        raise ValueError("Z_vis must have shape (len(xs), len(ys)) with at least 2x2 points")
    zf = Z[np.isfinite(Z)]
    if zf.size == 0:
        return None
    Z = np.where(np.isfinite(Z), Z, zf.max())
    zlo, zhi = float(zf.min()), float(zf.max())
    pad = 1e-9 * max(1.0, zhi - zlo)
    span = _slab(o, d, (xs[0], ys[0], zlo - pad), (xs[-1], ys[-1], zhi + pad))
    if span is None:
        return None
    t0, t1 = span

    def gap(t):
        p = o[None, :] + np.asarray(t, float).reshape(-1, 1) * d[None, :]
        return p[:, 2] - bilinear(xs, ys, Z, p[:, 0], p[:, 1])

    # march: at most half a cell per step in x and y
    cell = min(np.min(np.diff(xs)), np.min(np.diff(ys)))
    xy_len = (t1 - t0) * math.hypot(d[0], d[1])
    n = int(np.clip(math.ceil(2.0 * xy_len / max(cell, 1e-300)) + 1, 16, max_samples))
    ts = np.linspace(t0, t1, n + 1)
    g = gap(ts)
    s = np.sign(g)
    if s[0] == 0:
        t = ts[0]
    else:
        change = np.nonzero(s[1:] != s[:-1])[0]
        if change.size == 0:
            return None
        k = change[0]
        a, b = ts[k], ts[k + 1]
        ga = g[k]
        if s[k + 1] == 0:
            t = b
        else:
            for _ in range(40):
                m = 0.5 * (a + b)
                gm = gap(m)[0]
                if gm == 0:
                    a = b = m
                    break
                if (gm > 0) == (ga > 0):
                    a, ga = m, gm
                else:
                    b = m
            t = 0.5 * (a + b)
    p = o + t * d
    return float(p[0]), float(p[1])

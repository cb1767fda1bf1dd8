"""Line geometry of the 3D view in visual coordinates (pure numpy: no Qt, no OpenGL).

* :func:`trajectory_segments` -- many paths as one ``mode='lines'`` vertex array, with the
  parts outside the domain box clipped away (divergent runs never draw to infinity).
* :func:`arrow_segments` -- the arrows of :mod:`gdstudio.app.geometry` as ``mode='lines'``
  vertices at a height.

Contours, ticks and their labels are :mod:`gdstudio.app.geometry`'s (re-exported here for the
view's modules): one implementation for the 2-D and 3D views.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...app.geometry import arrow_segments as _arrows2d
from ...app.geometry import contour_segments, format_value, log_ticks, nice_ticks
from .mapping import ViewMapping, bilinear

__all__ = ["trajectory_segments", "arrow_segments", "contour_segments", "nice_ticks", "log_ticks",
           "format_value"]


# ----------------------------------------------------------------------------------------------
# trajectories, arrows, contours
# ----------------------------------------------------------------------------------------------
def _clip_to_box(p, q, lo, hi):
    """Liang-Barsky in 2D, vectorised: parameters (ta, tb) of the part of p->q inside the box.

    ``p``, ``q``: (S, 2).  Returns ``ta, tb, ok`` (``ok`` false where the segment misses).
    """
    d = q - p
    ta = np.zeros(len(p))
    tb = np.ones(len(p))
    ok = np.isfinite(p).all(1) & np.isfinite(q).all(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(2):
            for bound, sign in ((lo[k], -1.0), (hi[k], 1.0)):
                pk = sign * d[:, k]
                qk = sign * (bound - p[:, k])  # inside when pk * t <= qk
                par = pk == 0
                ok &= ~(par & (qk < 0))
                r = qk / pk
                ent = pk < 0
                ext = pk > 0
                ta = np.where(ent, np.maximum(ta, r), ta)
                tb = np.where(ext, np.minimum(tb, r), tb)
    ok &= ta <= tb
    return ta, tb, ok


_SEG_CACHE: dict = {}


def _segment_index(lens: np.ndarray):
    """(vertex gather index (2 S,), run of each segment (S,)) for paths of these lengths.

    Cached on the lengths, which at 30 Hz mostly repeat or grow in step.
    """
    key = lens.tobytes()
    hit = _SEG_CACHE.get(key)
    if hit is not None:
        return hit
    nseg = np.maximum(lens - 1, 0)
    run = np.repeat(np.arange(len(lens)), nseg)
    N = int(lens.sum())
    keep = np.ones(max(N - 1, 0), bool)
    ends = np.cumsum(lens[lens > 0])[:-1]
    keep[ends - 1] = False
    first = np.nonzero(keep)[0]
    idx = np.empty(2 * len(first), np.int64)
    idx[0::2] = first
    idx[1::2] = first + 1
    if len(_SEG_CACHE) > 8:
        _SEG_CACHE.clear()
    _SEG_CACHE[key] = (idx, run)
    return idx, run


def trajectory_segments(paths: Sequence[np.ndarray], mapping: ViewMapping, lift: float = 0.0,
                        surface=None):
    """All ``paths`` (each ``(T_i, 3)`` raw ``x, y, f``) as one ``mode='lines'`` vertex array.

    Returns ``(pos, run, visible)``: ``pos`` is ``(2 S, 3)`` float32 visual vertices for the
    ``S = sum(T_i - 1)`` segments, ``run`` ``(S,)`` the path index of each segment, ``visible``
    ``(S,)`` bool.  Segments with a non-finite end, or entirely outside the domain box, are
    collapsed to zero length and marked invisible (so the shape depends only on the path
    lengths).  A segment crossing the box edge is cut at the edge; there its height is taken
    from ``surface`` (``(xs_vis, ys_vis, Z_vis)``) when given.  ``lift`` raises every vertex.
    """
    lens = np.fromiter((len(p) for p in paths), dtype=np.int64, count=len(paths))
    idx, run = _segment_index(lens)
    S = len(run)
    if S == 0:
        return np.zeros((0, 3), np.float32), run, np.zeros(0, bool)
    P = np.concatenate([np.asarray(p, float).reshape(-1, 3) for p in paths if len(p)], axis=0)
    Pv = np.empty(P.shape, np.float32)
    # far-away points of divergent runs only matter for the direction in which a line leaves
    # the box: clamp them so float32 stays finite
    Pv[:, 0] = np.clip(mapping.vx(P[:, 0]), -1e6, 1e6)
    Pv[:, 1] = np.clip(mapping.vy(P[:, 1]), -1e6, 1e6)
    Pv[:, 2] = mapping.vz(P[:, 2])
    inside = mapping.inside(P[:, 0], P[:, 1])
    pos = np.take(Pv, idx, axis=0)  # (2 S, 3): A0 B0 A1 B1 ...
    ina = inside[idx[0::2]]
    inb = inside[idx[1::2]]
    visible = ina | inb
    partial = visible & ~(ina & inb)
    if partial.any():
        k = np.nonzero(partial)[0]
        Av = pos[2 * k].astype(float)
        Bv = pos[2 * k + 1].astype(float)
        p, q = Av[:, :2], Bv[:, :2]
        ta, tb, ok = _clip_to_box(p, q, (-1.0, -1.0), (1.0, 1.0))
        d = q - p
        with np.errstate(invalid="ignore", over="ignore"):
            pa = p + ta[:, None] * d
            pb = p + tb[:, None] * d
        za = Av[:, 2] + ta * (Bv[:, 2] - Av[:, 2])
        zb = Av[:, 2] + tb * (Bv[:, 2] - Av[:, 2])
        if surface is not None:
            xsv, ysv, Zv = surface
            za = np.where(~ina[k], bilinear(xsv, ysv, Zv, pa[:, 0], pa[:, 1]), za)
            zb = np.where(~inb[k], bilinear(xsv, ysv, Zv, pb[:, 0], pb[:, 1]), zb)
        pos[2 * k, :2], pos[2 * k + 1, :2] = pa, pb
        pos[2 * k, 2], pos[2 * k + 1, 2] = za, zb
        visible[k[~ok]] = False
    if not visible.all():
        pos.reshape(-1, 2, 3)[~visible] = 0.0
    if lift:
        pos[:, 2] += lift
    return pos, run, visible


def arrow_segments(X, Y, U, V, length, z: float = 0.0, head: float = 0.33,
                   head_angle_deg: float = 26.0, min_frac: float = 0.22, gamma: float = 0.5):
    """The gradient arrows of :func:`gdstudio.app.geometry.arrow_segments` (visual
    coordinates) as GL vertices at height ``z``: ``(pos (6 n, 3) float32, strength (n,))``."""
    xy, strength = _arrows2d(X, Y, U, V, length, head, head_angle_deg, min_frac, gamma)
    pos = np.empty((xy.shape[0], 3), np.float32)
    pos[:, :2] = xy
    pos[:, 2] = z
    return pos, strength


def step_arrow_segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(2k, 3) segment ends of the arrow of a step from ``a`` to ``b`` (visual coordinates):
    the shaft and a head of four wings, readable from the side and from above."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    L = float(np.linalg.norm(d))
    segs = [a, b]
    if L > 1e-9:
        u = d / L
        hz = np.cross(u, [0.0, 0.0, 1.0])
        if np.linalg.norm(hz) < 1e-6:  # a vertical step
            hz = np.array([1.0, 0.0, 0.0])
        hz /= np.linalg.norm(hz)
        vt = np.cross(hz, u)
        head = min(0.3 * L, 0.08)
        c, s = math.cos(math.radians(24)), math.sin(math.radians(24))
        for w in (hz, -hz, vt, -vt):
            segs += [b, b - head * (c * u - s * w)]
    return np.array(segs)

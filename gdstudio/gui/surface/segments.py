"""Line geometry of the 3D view in visual coordinates (pure numpy: no Qt, no OpenGL).

* :func:`trajectory_segments` -- many paths as one ``mode='lines'`` vertex array, with the
  parts outside the domain box clipped away (divergent runs never draw to infinity).
* :func:`arrow_segments` -- arrows (shaft + two head strokes) as ``mode='lines'`` vertices.
* :func:`contour_segments` -- marching squares, vectorised.
* :func:`nice_ticks`, :func:`log_ticks`, :func:`format_value` -- colour bar and floor ticks.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

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
    """Arrows centred on ``(X, Y)`` pointing along ``(U, V)`` (all visual coordinates).

    Lengths are normalised for reading: ``length * max(min_frac, (|g| / max|g|) ** gamma)``, so
    the steepest arrow is ``length`` long and flat regions still show a direction.  Zero or
    non-finite vectors give zero-length (invisible) arrows.  Returns ``(pos (6 n, 3) float32,
    strength (n,))`` where ``strength`` in [0, 1] is the normalised magnitude (for colour/alpha).
    """
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
    # back direction rotated by +-angle
    bx, by = -ux, -uy
    l1 = tip + h[:, None] * np.stack([c * bx - s * by, s * bx + c * by], 1)
    l2 = tip + h[:, None] * np.stack([c * bx + s * by, -s * bx + c * by], 1)
    xy = np.stack([tail, tip, tip, l1, tip, l2], 1).reshape(6 * n, 2)
    pos = np.empty((6 * n, 3), np.float32)
    pos[:, :2] = xy
    pos[:, 2] = z
    return pos, strength


def contour_segments(xs, ys, Z, levels):
    """Marching squares on ``Z[i, j]`` over ``(xs[i], ys[j])``, vectorised over cells.

    Returns ``(seg (S, 2, 2), level_index (S,))`` -- each segment's two ``(x, y)`` ends.
    """
    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    Z = np.asarray(Z, float)
    segs, which = [], []
    X0, Y0 = np.meshgrid(xs[:-1], ys[:-1], indexing="ij")
    X1, Y1 = np.meshgrid(xs[1:], ys[1:], indexing="ij")
    za, zb, zc, zd = Z[:-1, :-1], Z[1:, :-1], Z[1:, 1:], Z[:-1, 1:]
    zm = 0.25 * (za + zb + zc + zd)
    for li, lev in enumerate(levels):
        # edges: 0 a-b (y=Y0), 1 b-c (x=X1), 2 c-d (y=Y1), 3 d-a (x=X0)
        ends = ((za, zb), (zb, zc), (zc, zd), (zd, za))
        cross = np.stack([(p > lev) != (q > lev) for p, q in ends])
        cnt = cross.sum(0)
        if not (cnt >= 2).any():
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            t = [np.clip((lev - p) / (q - p), 0, 1) for p, q in ends]
        px = np.stack([X0 + t[0] * (X1 - X0), X1, X1 + t[2] * (X0 - X1), X0])
        py = np.stack([Y0, Y0 + t[1] * (Y1 - Y0), Y1, Y1 + t[3] * (Y0 - Y1)])
        two = cnt == 2
        if two.any():
            e = np.argsort(~cross[:, two], axis=0, kind="stable")[:2]  # the two crossed edges
            cols = np.arange(e.shape[1])
            pxs, pys = px[:, two], py[:, two]
            s = np.stack([np.stack([pxs[e[0], cols], pys[e[0], cols]], 1),
                          np.stack([pxs[e[1], cols], pys[e[1], cols]], 1)], 1)
            segs.append(s)
            which.append(np.full(len(s), li))
        four = cnt == 4
        if four.any():
            pxs, pys = px[:, four], py[:, four]
            hi = (zm[four] > lev) == (za[four] > lev)  # centre like corner a: cut corners b, d
            pairs_a = ((0, 1), (2, 3))
            pairs_b = ((0, 3), (1, 2))
            for (e0, e1), (f0, f1) in zip(pairs_a, pairs_b):
                i0 = np.where(hi, e0, f0)
                i1 = np.where(hi, e1, f1)
                cols = np.arange(pxs.shape[1])
                s = np.stack([np.stack([pxs[i0, cols], pys[i0, cols]], 1),
                              np.stack([pxs[i1, cols], pys[i1, cols]], 1)], 1)
                segs.append(s)
                which.append(np.full(len(s), li))
    if not segs:
        return np.zeros((0, 2, 2)), np.zeros(0, np.int64)
    return np.concatenate(segs), np.concatenate(which)


# ----------------------------------------------------------------------------------------------
# ticks
# ----------------------------------------------------------------------------------------------
def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round (1, 2, 5 x 10^k) values inside ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([lo])
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    best = None
    for m in (0.5, 1, 2, 2.5, 5, 10):
        step = m * mag
        first = math.ceil(lo / step - 1e-9) * step
        count = int(math.floor((hi - first) / step + 1e-9)) + 1
        if best is None or abs(count - n) < abs(best[0] - n):
            best = (count, step, first)
    _, step, first = best
    ticks = first + step * np.arange(best[0], dtype=float)
    return ticks[(ticks >= lo - step * 1e-9) & (ticks <= hi + step * 1e-9)]


def log_ticks(mapping: "ViewMapping", min_gap: float = 0.09) -> list[tuple[float, float]]:
    """Ticks for a log-compressed height: round raw values (1, 2, 5 x 10^k), spaced at least
    ``min_gap`` apart in normalised height, plus the minimum.  ``[(fraction, value), ...]``."""
    lo, hi = mapping.zmin, mapping.zmax
    out = [(0.0, lo)]
    top = max(abs(lo), abs(hi), 1e-300)
    k_hi = math.ceil(math.log10(top)) + 1
    k_lo = k_hi - 18
    cands = sorted({m * 10.0 ** k for k in range(k_lo, k_hi + 1) for m in (1, 2, 5)}
                   | {-m * 10.0 ** k for k in range(k_lo, k_hi + 1) for m in (1, 2, 5)} | {0.0})
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

"""Compiled (numba) loss of a network on a plane of weights θ = o + α·d1 + β·d2: the loss
landscapes' inner loop. Imported only when numba is installed (see ``mlp._plane_kernel``).

Where numpy spends the time on a landscape: ``np.tanh`` (glibc's, about 35 ns a value on the
2-core test machine, no SIMD for float64), called on every (point, data row, hidden unit), and
one pass over memory per operation. Here one loop per grid point keeps the network's
activations in cache, and tanh is computed by :func:`_tanh`, a branch-free formula that the
compiler vectorises (about 5 ns a value):

    tanh|x| = m / (m + 2),   m = expm1(2|x|) = 2^k·expm1(r) + (2^k − 1),
    2|x| = k·ln 2 + r, |r| ≤ ln2/2 (Cody–Waite, ln 2 in two parts),

expm1(r) by its Taylor series to r¹³/13! (truncation below 10⁻¹⁷ relative), 2^k built from
its bits. Measured against numpy's tanh on 11 million arguments from 10⁻³⁰⁰ to ±25, ±inf and
NaN: at most 4 units in the last place apart (≤ 2.3·10⁻¹⁶ absolute), two thirds bit-identical.
Sigmoid is ½(1 + tanh(z/2)) as in mlp.py; ReLU is exact. The losses use libm's exp and log1p.

The first layer is linear in (α, β): X·W1(α, β) + b1(α, β) = Z0 + α·U + β·V, with Z0, U, V
computed once per call (``MLPObjective._plane_full_value``), and the hidden units whose
incoming weights do not move (a slice over two weights moves at most two) are activated once.
The later layers use θ itself, with the data points along the fast axis of every array (a
unit's row is one vectorised loop). Every point is evaluated on its own, whatever the block
or thread it falls in, so a value does not depend on how a grid is split.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["plane_values", "tanh_array", "warm"]

_OPTS = dict(cache=True, error_model="numpy", fastmath={"contract"})


@intrinsic
def _bits(typingctx, x):
    """The bits of a float64 as an int64 (a bitcast: no instruction)."""
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, i):
    """The float64 whose bits are the int64 ``i``."""
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


_SHIFT = 6755399441055744.0           # 1.5·2⁵²: adding it rounds to an integer held in the low bits
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 = HI + LO, HI with trailing zero bits (k·HI exact)
_LN2_LO = 1.90821492927058770002e-10
(_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13) = [
    1.0 / math.factorial(n) for n in range(2, 14)]


@numba.njit(**_OPTS)
def _tanh(x):
    ax = abs(x)
    y = 2.0 * (ax if ax < 20.0 else 20.0)     # tanh(20) rounds to 1
    t = y * _LOG2E + _SHIFT
    k = t - _SHIFT                             # round(y / ln 2)
    r = (y - k * _LN2_HI) - k * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q = (r + r2 * (_E2 + _E3 * r)) + r4 * ((_E4 + _E5 * r) + r2 * (_E6 + _E7 * r)) \
        + r8 * (((_E8 + _E9 * r) + r2 * (_E10 + _E11 * r)) + r4 * (_E12 + _E13 * r))
    p2 = _float((_bits(t) + 1023) << 52)      # 2^k
    em = p2 * q + (p2 - 1.0)                   # expm1(y)
    th = em / (em + 2.0)
    th = -th if x < 0.0 else th
    return th if x == x else x                 # NaN stays NaN


@numba.njit(**_OPTS)
def _activate(Z, n, act):
    """σ in place on Z[:n]: 0 tanh, 1 sigmoid, 2 relu."""
    if act == 0:
        for i in range(n):
            Z[i] = _tanh(Z[i])
    elif act == 1:
        for i in range(n):
            Z[i] = 0.5 * (1.0 + _tanh(0.5 * Z[i]))
    else:
        for i in range(n):
            z = Z[i]
            Z[i] = 0.0 if z <= 0.0 else z       # NaN stays NaN, as np.maximum


@numba.njit(nogil=True, **_OPTS)
def tanh_array(x, out):
    """out[i] = tanh(x[i]) by :func:`_tanh` (1-D arrays); for the tests."""
    for i in range(x.size):
        out[i] = _tanh(x[i])


@numba.njit(**_OPTS)
def _layer(src, W, bias, dst, m):
    """dst (fo, m) = Wᵀ·src + bias for src (fi, m), W (fi, fo): data points along the fast
    axis; two units at a time, four inputs per pass over their rows (an input row is read
    once for both)."""
    fi, fo = W.shape
    for j in range(0, fo - 1, 2):
        d0 = dst[j]
        d1 = dst[j + 1]
        b0 = bias[j]
        b1 = bias[j + 1]
        for r in range(m):
            d0[r] = b0
            d1[r] = b1
        i = 0
        while i + 4 <= fi:
            s0 = src[i]
            s1 = src[i + 1]
            s2 = src[i + 2]
            s3 = src[i + 3]
            a0, a1, a2, a3 = W[i, j], W[i + 1, j], W[i + 2, j], W[i + 3, j]
            c0, c1, c2, c3 = W[i, j + 1], W[i + 1, j + 1], W[i + 2, j + 1], W[i + 3, j + 1]
            for r in range(m):
                x0 = s0[r]
                x1 = s1[r]
                x2 = s2[r]
                x3 = s3[r]
                d0[r] += (a0 * x0 + a1 * x1) + (a2 * x2 + a3 * x3)
                d1[r] += (c0 * x0 + c1 * x1) + (c2 * x2 + c3 * x3)
            i += 4
        while i < fi:
            s0 = src[i]
            a0 = W[i, j]
            c0 = W[i, j + 1]
            for r in range(m):
                d0[r] += a0 * s0[r]
                d1[r] += c0 * s0[r]
            i += 1
    if fo % 2 == 1:                             # the last unit of an odd layer on its own
        j = fo - 1
        d0 = dst[j]
        b0 = bias[j]
        for r in range(m):
            d0[r] = b0
        i = 0
        while i + 4 <= fi:
            s0 = src[i]
            s1 = src[i + 1]
            s2 = src[i + 2]
            s3 = src[i + 3]
            a0, a1, a2, a3 = W[i, j], W[i + 1, j], W[i + 2, j], W[i + 3, j]
            for r in range(m):
                d0[r] += (a0 * s0[r] + a1 * s1[r]) + (a2 * s2[r] + a3 * s3[r])
            i += 4
        while i < fi:
            s0 = src[i]
            a0 = W[i, j]
            for r in range(m):
                d0[r] += a0 * s0[r]
            i += 1


@numba.njit(**_OPTS)
def _layer_rows(src, W, rows, base, dst, m):
    """dst (fo, m) = base + Σ over i in ``rows`` of W[i]ᵀ·src[i]: a layer whose weights are
    fixed and whose inputs outside ``rows`` are too (their part is in ``base``)."""
    fo = W.shape[1]
    for j in range(fo):
        row = dst[j]
        b = base[j]
        for r in range(m):
            row[r] = b[r]
        for q in range(rows.size):
            w = W[rows[q], j]
            s0 = src[rows[q]]
            for r in range(m):
                row[r] += w * s0[r]


@numba.njit(nogil=True, **_OPTS)
def plane_values(pts, i0, i1, out, origin, D, Yt, sizes, woff, boff, Z0, U, V, cols, A1, Z2,
                 act, regression):
    """out[p] = the loss at θ = origin + pts[p, 0]·D[0] + pts[p, 1]·D[1] for p in [i0, i1).

    Arrays hold one unit per row and the m data points along it. ``sizes`` (L+1,) the layer
    widths, ``woff``/``boff`` (L,) where each layer's W (row-major (fan_in, fan_out)) and b
    start in θ; Yt (k, m) the targets. First layer: the units ``cols`` (c,) that move have
    pre-activation Z0 + α·U + β·V (each (c, m)); ``A1`` (h1, m) holds the others' activations
    (with no hidden layer: unused). When the second layer's weights do not move and some
    first-layer units do not, ``Z2`` (h2, m) is their fixed part of its pre-activation
    (b2 + the sum over those units), else it has no rows. ``act`` 0 tanh, 1 sigmoid, 2 relu;
    ``regression`` MSE, else cross-entropy on the one logit."""
    L = sizes.size - 1
    m = Yt.shape[1]
    k_out = sizes[L]
    h1 = sizes[1]
    c = cols.size
    wmax = 1
    for l in range(2, L + 1):
        wmax = max(wmax, sizes[l])
    d = origin.size
    th = np.empty(d)
    H = np.empty((h1, m))                       # the first layer's output
    A = np.empty(wmax * m)                      # the later layers' outputs, in turn
    B = np.empty(wmax * m)
    if L > 1 and c < h1:                        # the units that do not move, once
        H[:, :] = A1
    for p in range(i0, i1):
        a = pts[p, 0]
        b = pts[p, 1]
        for q in range(d):
            th[q] = origin[q] + (a * D[0, q] + b * D[1, q])
        for q in range(c):
            row = H[cols[q]]
            z0 = Z0[q]
            u = U[q]
            v = V[q]
            for r in range(m):
                row[r] = z0[r] + a * u[r] + b * v[r]
            if L > 1:
                _activate(row, m, act)
        src = H
        for l in range(1, L):
            fi = sizes[l]
            fo = sizes[l + 1]
            buf = A if l % 2 == 1 else B
            dst = buf[:fo * m].reshape(fo, m)
            W = th[woff[l]:woff[l] + fi * fo].reshape(fi, fo)
            if l == 1 and Z2.shape[0] == fo:
                _layer_rows(src, W, cols, Z2, dst, m)
            else:
                _layer(src, W, th[boff[l]:boff[l] + fo], dst, m)
            if l < L - 1:
                _activate(buf, fo * m, act)
            src = dst
        s = 0.0
        if regression:
            for k in range(k_out):
                o = src[k]
                y = Yt[k]
                for r in range(m):
                    e = o[r] - y[r]
                    s += e * e
        else:
            o = src[0]
            y = Yt[0]
            for r in range(m):
                z = o[r]
                s += (max(z, 0.0) + math.log1p(math.exp(-abs(z)))) - y[r] * z
        out[p] = s / m


def warm() -> None:
    """Compile (or load from numba's disk cache) the one signature ``MLPObjective`` calls
    :func:`plane_values` with, on a 2-2-1 network, one data point and one plane point; the
    window has this done in a separate process first (core/fused.py ``load_compiled``)."""
    z = np.zeros
    i = np.int64
    plane_values(z((1, 2)), 0, 1, z(1), z(9), z((2, 9)), z((1, 1)), np.array([2, 2, 1], i), np.array([0, 6], i),
                 np.array([4, 8], i), z((2, 1)), z((2, 1)), z((2, 1)), np.arange(2, dtype=i), z((2, 1)), z((0, 1)),
                 0, False)

"""Small helpers shared by the data-fitting objectives."""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

import numpy as np

from ..objective import Domain


def box_domain(
    center: Sequence[float],
    points: Iterable[Sequence[float]] = (),
    margin: float = 1.25,
    min_half: Optional[Sequence[float] | float] = None,
) -> Domain:
    """A box centred on ``center`` that contains every point of ``points`` with a margin:
    the half-width on each axis is ``margin`` × the largest distance from the centre along
    that axis, and at least ``min_half`` (default: 10 % of |centre|, or 1 where that and the
    distances are all 0)."""
    c = np.asarray(center, float)
    half = np.zeros_like(c)
    for p in points:
        p = np.asarray(p, float)
        if np.all(np.isfinite(p)):
            half = np.maximum(half, np.abs(p - c))
    half = margin * half
    if min_half is None:
        half = np.maximum(half, 0.1 * np.abs(c))
        half = np.where(half > 0, half, 1.0)
    else:
        half = np.maximum(half, np.broadcast_to(np.asarray(min_half, float), c.shape))
    return tuple((float(ci - h), float(ci + h)) for ci, h in zip(c, half))


def zscore(v: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(v - mean) / std with the population std (ddof = 0); a constant column keeps
    std = 1 so it is only centred."""
    v = np.asarray(v, float)
    m = float(v.mean())
    s = float(v.std())
    if not np.isfinite(s) or s == 0.0:
        s = 1.0
    return (v - m) / s, m, s


def check_scale(scale: str) -> str:
    s = str(scale).strip().lower()
    if s not in ("none", "standard"):
        raise ValueError(f"unknown scaling '{scale}'; choose 'none' or 'standard'")
    return s


def check_xy(x, y, *, two_d_x: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Float copies of the data, refusing mismatched lengths, too few points and
    non-finite values with one clear sentence."""
    x = np.array(x, dtype=float)
    y = np.array(y, dtype=float)
    if two_d_x:
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if x.ndim != 2:
            raise ValueError(f"the inputs must be an (n, k) array; got shape {x.shape}")
    elif x.ndim != 1:
        x = x.reshape(-1) if x.ndim == 2 and 1 in x.shape else x
        if x.ndim != 1:
            raise ValueError(f"x must be one column of numbers; got shape {x.shape}")
    if y.ndim == 2 and y.shape[1] == 1 and not two_d_x:
        y = y[:, 0]
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x has {x.shape[0]} values but y has {y.shape[0]}")
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 data points; got {x.shape[0]}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("the data contain missing or non-finite values")
    return x, y


def check_batch_size(batch_size, n: int):
    """None (full batch) or an int in [1, n); a batch of n or more is the full batch."""
    if batch_size is None:
        return None
    b = int(batch_size)
    if b < 1:
        raise ValueError(f"the batch size must be at least 1; got {batch_size}")
    return None if b >= n else b


def minibatch_indices(n: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """The data points step ``step`` uses: each epoch is a fresh permutation seeded by
    (seed, epoch), cut into consecutive batches, so a run is reproducible."""
    per_epoch = -(-n // batch_size)
    epoch, k = divmod(int(step), per_epoch)
    perm = np.random.default_rng([int(seed), epoch]).permutation(n)
    return np.sort(perm[k * batch_size:(k + 1) * batch_size])


class FittedData:
    """Mixin for costs of a model on (x, y): keeps the raw data, the data the cost is
    computed on (z-scored when ``scale == "standard"``), and the names and units."""

    def _set_data(self, x, y, x_name, y_name, x_unit, y_unit) -> None:
        self.x_raw, self.y_raw = x, y
        self.x_name, self.y_name = str(x_name), str(y_name)
        self.x_unit, self.y_unit = str(x_unit or ""), str(y_unit or "")
        if self.scale == "standard":
            xs, self.x_mean, self.x_std = zscore(x)
            ys, self.y_mean, self.y_std = zscore(y)
        else:
            xs, ys = x, y
            self.x_mean, self.x_std, self.y_mean, self.y_std = 0.0, 1.0, 0.0, 1.0
        #: the data the cost is computed on (standardised when scale="standard")
        self.x, self.y = xs, ys
        self.n = xs.size

"""Start points: explicit, uniform random (seeded), a regular grid, and low-discrepancy
samples (scrambled Sobol or Halton, from scipy.stats.qmc) for evenly spread starts."""

from __future__ import annotations

import warnings

import numpy as np

from .objective import Domain

SAMPLERS = ("uniform", "grid", "sobol", "halton")

#: the most start points one call makes (checked before anything is allocated: a million
#: runs already take about a gigabyte once they step)
MAX_STARTS = 1_000_000


def _bounds(domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([a for a, _ in domain], float)
    hi = np.array([b for _, b in domain], float)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(hi > lo)):
        raise ValueError(f"invalid domain {domain}: each range needs finite min < max")
    with np.errstate(over="ignore"):
        if not np.all(np.isfinite(hi - lo)):
            raise ValueError(
                f"invalid domain {domain}: each range's width (max − min) must be a finite "
                "number; this one overflows"
            )
    return lo, hi


def _check_n(n: int) -> int:
    n = int(n)
    if n < 1:
        raise ValueError("the number of start points must be at least 1")
    if n > MAX_STARTS:
        raise ValueError(
            f"at most {MAX_STARTS:,} start points can be made at once; {n:,} were asked for"
        )
    return n


def uniform_starts(n: int, domain: Domain, seed: int | None = 0) -> np.ndarray:
    lo, hi = _bounds(domain)
    rng = np.random.default_rng(seed)
    return lo + (hi - lo) * rng.random((_check_n(n), lo.size))


def grid_starts(n: int, domain: Domain) -> np.ndarray:
    """About ``n`` points on a regular grid: ⌈n^(1/d)⌉ per axis, cell-centred so no start
    lies on the domain's edge."""
    lo, hi = _bounds(domain)
    d = lo.size
    per_axis = max(1, int(np.ceil(_check_n(n) ** (1.0 / d) - 1e-9)))
    axes = [lo[k] + (hi[k] - lo[k]) * (np.arange(per_axis) + 0.5) / per_axis for k in range(d)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _qmc(kind: str, n: int, domain: Domain, seed):
    from scipy.stats import qmc

    lo, hi = _bounds(domain)
    engine = qmc.Sobol(lo.size, scramble=True, seed=seed) if kind == "sobol" else qmc.Halton(lo.size, scramble=True, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol prefers powers of two; any n is fine here
        u = engine.random(_check_n(n))
    return lo + (hi - lo) * u


def sobol_starts(n: int, domain: Domain, seed: int | None = 0) -> np.ndarray:
    return _qmc("sobol", n, domain, seed)


def halton_starts(n: int, domain: Domain, seed: int | None = 0) -> np.ndarray:
    return _qmc("halton", n, domain, seed)


def make_starts(kind: str, n: int, domain: Domain, seed: int | None = 0) -> np.ndarray:
    if kind == "uniform":
        return uniform_starts(n, domain, seed)
    if kind == "grid":
        return grid_starts(n, domain)
    if kind == "sobol":
        return sobol_starts(n, domain, seed)
    if kind == "halton":
        return halton_starts(n, domain, seed)
    raise ValueError(f"unknown start sampler {kind!r}; choose one of {', '.join(SAMPLERS)}")

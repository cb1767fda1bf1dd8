"""Colours shared by every view (RGBA floats 0..1), so a run, its start, its basin and its
critical point have the same colour in the map, the 3D view, the curves and the table."""

from __future__ import annotations

import numpy as np

# Colours mean one thing each: the critical-point kinds (minimum red, saddle amber, maximum
# violet, degenerate tan) are never used for runs, basins or optimizers, so a run that ends on
# a saddle is never drawn in the minimum's colour. The run colours keep to the hues left over
# (blue, cyan, green, lime, pink) and white, bright enough to read on the dark viridis floor.
_RUNS = [
    (0.30, 0.60, 1.00), (0.15, 0.90, 0.90), (0.35, 0.90, 0.35), (1.00, 0.45, 0.80),
    (0.80, 1.00, 0.25), (0.95, 0.95, 0.95), (0.60, 0.80, 1.00), (0.10, 0.65, 0.55),
    (0.55, 1.00, 0.75), (1.00, 0.72, 0.90),
]
# basins: the same hues in an order that keeps neighbouring basins far apart
_BASIN = [
    (0.15, 0.90, 0.90), (1.00, 0.45, 0.80), (0.80, 1.00, 0.25), (0.30, 0.60, 1.00),
    (0.95, 0.95, 0.95), (0.35, 0.90, 0.35), (0.60, 0.80, 1.00), (1.00, 0.72, 0.90),
    (0.10, 0.65, 0.55), (0.55, 1.00, 0.75),
]
#: runs that reach no critical point (diverged, still running)
GREY = (0.62, 0.64, 0.70, 0.9)
OPTIMIZER_COLORS = {
    "gd": (0.30, 0.60, 1.00, 1.0), "momentum": (0.15, 0.90, 0.90, 1.0),
    "nesterov": (0.35, 0.90, 0.35, 1.0), "adagrad": (0.80, 1.00, 0.25, 1.0),
    "rmsprop": (1.00, 0.45, 0.80, 1.0), "adam": (0.95, 0.95, 0.95, 1.0),
}
KIND_COLORS = {
    "minimum": (0.90, 0.10, 0.10, 1.0), "saddle": (1.00, 0.75, 0.00, 1.0),
    "maximum": (0.70, 0.30, 1.00, 1.0), "degenerate": (0.78, 0.55, 0.32, 1.0),
}
#: marker symbol of each critical-point kind (pyqtgraph names) in the 2-D views
KIND_SYMBOLS = {"minimum": "o", "saddle": "x", "maximum": "t", "degenerate": "d", "unknown": "d"}


def series(i: int) -> tuple:
    return (*_RUNS[i % len(_RUNS)], 1.0)


def basin(k: int) -> tuple:
    if k < 0:
        return GREY
    return (*_BASIN[k % len(_BASIN)], 1.0)


_RUNS_RGBA = np.array([(*c, 1.0) for c in _RUNS])
_BASIN_RGBA = np.array([(*c, 1.0) for c in _BASIN])


def series_array(i) -> np.ndarray:
    """(N, 4) :func:`series` of every index in ``i`` at once (a frame colours 1,000s of runs)."""
    return _RUNS_RGBA[np.asarray(i, np.int64) % len(_RUNS)]


def basin_array(k) -> np.ndarray:
    """(N, 4) :func:`basin` of every basin index in ``k`` at once."""
    k = np.asarray(k, np.int64)
    out = _BASIN_RGBA[k % len(_BASIN)]
    out[k < 0] = GREY
    return out


#: coordinate systems compared side by side: Cartesian blue, the metric polar path cyan
#: (close to blue: it follows the Cartesian one), the naive one pink (it departs)
SYSTEM_COLORS = {"cartesian": (0.30, 0.60, 1.00, 1.0), "polar:metric": (0.15, 0.90, 0.90, 1.0),
                 "polar:naive": (1.00, 0.45, 0.80, 1.0)}


def system(name: str) -> tuple:
    return SYSTEM_COLORS.get(name, GREY)


def optimizer(name: str) -> tuple:
    return OPTIMIZER_COLORS.get(name, GREY)


def kind_color(kind: str) -> tuple:
    return KIND_COLORS.get(kind, GREY)

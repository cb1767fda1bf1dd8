"""Colours shared by every view (RGBA floats 0..1), so a run, its start, its basin and its
critical point have the same colour in the map, the 3D view, the curves and the table."""

from __future__ import annotations

_TAB = [
    (0.122, 0.467, 0.706), (1.000, 0.498, 0.055), (0.173, 0.627, 0.173), (0.839, 0.153, 0.157),
    (0.580, 0.404, 0.741), (0.549, 0.337, 0.294), (0.890, 0.467, 0.761), (0.498, 0.498, 0.498),
    (0.737, 0.741, 0.133), (0.090, 0.745, 0.812),
]
# bright, distinct colours for basins (readable on the dark viridis floor and in 3D)
_BASIN = [
    (0.95, 0.25, 0.25), (0.25, 0.85, 1.00), (1.00, 0.80, 0.20), (0.85, 0.45, 1.00),
    (0.35, 1.00, 0.45), (1.00, 0.55, 0.10), (1.00, 0.45, 0.75), (0.60, 0.75, 1.00),
    (0.80, 1.00, 0.35), (0.55, 0.35, 0.20), (0.20, 0.55, 0.50), (0.95, 0.95, 0.95),
]
GREY = (0.75, 0.75, 0.75, 0.9)
OPTIMIZER_COLORS = {
    "gd": (0.95, 0.30, 0.30, 1.0), "momentum": (0.30, 0.80, 1.00, 1.0),
    "nesterov": (0.40, 1.00, 0.45, 1.0), "adagrad": (1.00, 0.80, 0.20, 1.0),
    "rmsprop": (0.90, 0.50, 1.00, 1.0), "adam": (1.00, 0.55, 0.10, 1.0),
}
KIND_COLORS = {
    "minimum": (0.90, 0.10, 0.10, 1.0), "saddle": (1.00, 0.75, 0.00, 1.0),
    "maximum": (0.70, 0.30, 1.00, 1.0), "degenerate": (0.60, 0.60, 0.60, 1.0),
}
#: marker symbol of each critical-point kind (pyqtgraph names) in the 2-D views
KIND_SYMBOLS = {"minimum": "o", "saddle": "x", "maximum": "t", "degenerate": "d", "unknown": "d"}


def series(i: int) -> tuple:
    r, g, b = _TAB[i % len(_TAB)]
    # brighter than matplotlib's tab10 so lines read on the dark map
    return (min(1.0, r * 1.25 + 0.1), min(1.0, g * 1.25 + 0.1), min(1.0, b * 1.25 + 0.1), 1.0)


def basin(k: int) -> tuple:
    if k < 0:
        return GREY
    return (*_BASIN[k % len(_BASIN)], 1.0)


def optimizer(name: str) -> tuple:
    return OPTIMIZER_COLORS.get(name, GREY)


def kind_color(kind: str) -> tuple:
    return KIND_COLORS.get(kind, GREY)

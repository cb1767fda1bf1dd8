"""The convergence map: a sweep over two axes laid out as a grid of cells, for the studio's
Sweep panel (Qt-free, so it is tested with plain pytest).

An axis is a hyper-parameter (``lr``, ``momentum``, ``beta1``, ``beta2``, ``alpha``, ``eps``)
with numeric values, or ``optimizer`` with names (a categorical axis). Cell (i, j) runs the
x-axis value i with the y-axis value j; every other setting comes from the studio. A cell
whose optimizer does not take an axis's hyper-parameter is not run (it stays empty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .sweep import HYPER_AXES, Setting, SweepError, SweepSpec

__all__ = ["COLOR_BY", "MAP_AXES", "MapLayout", "cell_text", "layout_map", "theory_boundary"]

MAP_AXES = ("lr", *HYPER_AXES, "optimizer")
#: what a cell's colour shows: label -> (column, whether smaller is better)
COLOR_BY = {
    "convergence rate": "rate",
    "final value": "median_value",
    "steps to converge": "median_steps_to_converge",
}
#: axes drawn on a log scale
LOG_MAP_AXES = ("lr", "eps")


@dataclass
class MapLayout:
    """The sweep behind a map: its spec, and for each setting its cell (i, j)."""

    spec: SweepSpec
    cells: list
    x_axis: str
    x_values: list
    y_axis: str
    y_values: list

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.x_values), len(self.y_values)

    def grid(self, rows: Sequence[Optional[dict]], column: str) -> np.ndarray:
        """(nx, ny) values of ``column`` (nan where a cell has no result yet or none at all;
        the median value of a setting whose runs all diverged is inf)."""
        Z = np.full(self.shape, np.nan)
        for (i, j), row in zip(self.cells, rows):
            if row is not None and row.get(column) is not None:
                Z[i, j] = float(row[column])
        return Z

    def diverged(self, rows: Sequence[Optional[dict]]) -> np.ndarray:
        """(nx, ny) True where at least half of a cell's runs diverged."""
        D = np.zeros(self.shape, bool)
        for (i, j), row in zip(self.cells, rows):
            if row is not None and row["diverged"] * 2 >= row["runs"]:
                D[i, j] = True
        return D

    def coordinate(self, axis: str, values: list) -> np.ndarray:
        """Where cells sit along an axis: log10 of a log axis's values, the values of a linear
        axis, 0, 1, 2… for optimizers."""
        if axis == "optimizer":
            return np.arange(len(values), dtype=float)
        v = np.asarray(values, float)
        return np.log10(v) if axis in LOG_MAP_AXES else v


def layout_map(objective, starts, domain, x_axis: str, x_values: list, y_axis: str,
               y_values: list, optimizer: str, lr: float, hyper: dict, steps: int,
               tol: float) -> MapLayout:
    """The settings of every cell. ``hyper`` is the studio's {optimizer: {name: value}} for
    the settings that are not axes."""
    from ..core.optimizers import HYPER_DEFAULTS, OPTIMIZERS, make_optimizer, validate_lr

    if x_axis == y_axis:
        raise SweepError("choose two different axes")
    for axis in (x_axis, y_axis):
        if axis not in MAP_AXES:
            raise SweepError(f"unknown axis {axis!r}; choose from {', '.join(MAP_AXES)}")
    for axis, vals in ((x_axis, x_values), (y_axis, y_values)):
        if not vals:
            raise SweepError(f"the {axis} axis has no values")
        if axis == "optimizer":
            bad = [v for v in vals if v not in OPTIMIZERS]
            if bad:
                raise SweepError(f"unknown optimizer {bad[0]!r}")
    settings, cells = [], []
    for i, xv in enumerate(x_values):
        for j, yv in enumerate(y_values):
            cell = {x_axis: xv, y_axis: yv}
            opt = cell.get("optimizer", optimizer)
            takes = HYPER_DEFAULTS[opt]
            if any(a not in takes for a in cell if a not in ("optimizer", "lr")):
                continue  # e.g. momentum on an Adam row: nothing to run
            h = {k: float(hyper.get(opt, {}).get(k, d)) for k, d in takes.items()}
            h.update({k: float(v) for k, v in cell.items() if k in takes})
            rate = float(cell.get("lr", lr))
            try:
                validate_lr(rate)
                make_optimizer(opt, **h)
            except ValueError as err:
                raise SweepError(str(err)) from None
            settings.append(Setting(0, opt, rate, tuple(h.items())))
            cells.append((i, j))
    if not settings:
        raise SweepError(f"{optimizer} takes neither {x_axis} nor {y_axis}; choose other axes")
    P = np.ascontiguousarray(np.atleast_2d(np.asarray(starts, float)))
    spec = SweepSpec([objective], [P], [tuple(domain)], settings, int(steps), float(tol),
                     axes={x_axis: list(x_values), y_axis: list(y_values)})
    return MapLayout(spec, cells, x_axis, list(x_values), y_axis, list(y_values))


def theory_boundary(objective, layout: MapLayout, optimizer: str) -> Optional[np.ndarray]:
    """For a quadratic objective on an (lr, momentum) map of gd, momentum or nesterov: the
    boundary of convergence lr = limit(μ)/λmax as (k, 2) points in map coordinates
    (x, y as :meth:`MapLayout.coordinate`), else None."""
    from .sweep_theory import THEORY_OPTIMIZERS, constant_hessian_eigenvalues, stable_lr_limit

    axes = {layout.x_axis, layout.y_axis}
    if optimizer not in THEORY_OPTIMIZERS or not axes <= {"lr", "momentum"} or "lr" not in axes:
        return None
    lam = constant_hessian_eigenvalues(objective)
    if lam is None:
        return None
    mvals = layout.y_values if layout.y_axis == "momentum" else layout.x_values
    if layout.y_axis != "momentum" and layout.x_axis != "momentum":
        mvals = [0.0]
    mus = np.linspace(min(mvals), max(mvals), 200) if len(mvals) > 1 else np.array([0.0, 0.0])
    lr = stable_lr_limit(optimizer, float(lam.max()), 0.0 if optimizer == "gd" else mus)
    lr = np.broadcast_to(lr, mus.shape)
    lrc = np.log10(lr)
    if layout.x_axis == "lr":
        return np.column_stack([lrc, mus])
    return np.column_stack([mus, lrc])


def cell_text(layout: MapLayout, row: Optional[dict], i: int, j: int) -> str:
    """The hover text of cell (i, j)."""
    def val(axis, v):
        return v if axis == "optimizer" else f"{v:.4g}"

    head = (f"{layout.x_axis} {val(layout.x_axis, layout.x_values[i])}, "
            f"{layout.y_axis} {val(layout.y_axis, layout.y_values[j])}")
    if row is None:
        return f"{head}: not run" if (i, j) not in layout.cells else f"{head}: waiting"

    def num(v, fmt=".4g"):
        return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)

    return (f"{head}: {row['converged']}/{row['runs']} converged, {row['diverged']} diverged, "
            f"{row['max_steps']} ran out of steps · median value {num(row['median_value'])} · "
            f"median steps {num(row['median_steps_to_converge'], '.0f')} · rate {num(row['rate'], '.5f')}")

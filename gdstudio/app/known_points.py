"""What the maps mark before any run: a preset's known critical points, and how the points the
runs found compare with them (no Qt).

A preset carries its critical points from the literature (``core/presets.py``): global
minima, local minima, saddles, maxima and degenerate points. The views draw them from the
start, each kind with its own symbol, so a person sees where the global minimum is before a
run ends anywhere. What the runs found is then marked *against* them:

* the lowest minimum found (and every minimum whose value agrees with it to the function's
  rounding, ``core.critical.mark_best``) is "lowest found", never drawn as the global
  minimum: only the known global minima get that symbol;
* for a preset, a found minimum says whether it is one of the known global minima
  (``CriticalPoint.global_minimum``); :func:`found_label` names it so.

Equal known minima (Himmelblau's four) are all global minima: the preset lists each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

__all__ = ["KnownMarker", "KNOWN_GROUPS", "KNOWN_LABELS", "known_points", "found_label", "lowest_found",
           "snap_point"]

#: the groups the views draw, in legend order
KNOWN_GROUPS = ("global", "local", "saddle", "maximum", "degenerate")
#: legend text of each group
KNOWN_LABELS = {"global": "global min (known)", "local": "local min (known)",
                "saddle": "saddle (known)", "maximum": "maximum (known)", "degenerate": "degenerate (known)"}
_GROUP_OF_KIND = {"global minimum": "global", "local minimum": "local", "saddle": "saddle", "maximum": "maximum",
                  "degenerate": "degenerate"}


@dataclass(frozen=True)
class KnownMarker:
    """One known critical point: where, its value, its kind as the preset states it, the
    group the views draw it in (``global``, ``local``, ``saddle``, ``maximum``,
    ``degenerate``) and the literature's note."""

    x: float
    y: float
    value: float
    kind: str
    group: str
    note: str = ""

    @property
    def point(self) -> tuple[float, float]:
        return (self.x, self.y)

    def describe(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return f"{self.kind} at ({self.x:.6g}, {self.y:.6g}), f = {self.value:.6g}{note}"


def known_points(objective, domain=None) -> tuple[KnownMarker, ...]:
    """The known critical points of ``objective`` inside ``domain`` (default: the preset's),
    or () when the objective is not a preset (a typed function, a model)."""
    preset = getattr(objective, "preset", None)
    if preset is None:
        return ()
    (xa, xb), (ya, yb) = domain if domain is not None else preset.domain
    # a point on the edge of the domain still shows (the map pads its range slightly)
    ex, ey = 1e-9 * (1 + abs(xb - xa)), 1e-9 * (1 + abs(yb - ya))
    out = []
    for p in preset.points:
        if xa - ex <= p.x <= xb + ex and ya - ey <= p.y <= yb + ey:
            out.append(KnownMarker(float(p.x), float(p.y), float(p.value), p.kind,
                                   _GROUP_OF_KIND.get(p.kind, "degenerate"), p.note))
    return tuple(out)


def found_label(point) -> str:
    """What a found critical point is, honestly: for a preset's minimum, whether it is a known
    global minimum; the lowest minimum found is "lowest found" (not "the global minimum")
    when nothing is known about the function."""
    kind = point.kind
    if kind != "minimum":
        return kind
    g = getattr(point, "global_minimum", None)
    if g is True:
        return "global minimum"
    if g is False:
        return "local minimum"
    return "lowest minimum found" if point.best else "minimum"


def lowest_found(points: Sequence) -> list[int]:
    """Indices of the lowest minimum found and its equals (values that agree to the
    function's rounding are all marked, never one of them picked by rounding noise)."""
    return [k for k, c in enumerate(points) if getattr(c, "best", False)]


def snap_point(x: float, y: float, domain, known: Sequence[KnownMarker] = (), radius: float = 0.03,
               grid: Optional[float] = None) -> tuple[float, float]:
    """Where a dragged start lands while the snap modifier is held, on the map and in 3D: on
    a known critical point (``known``: markers, or their (x, y, ...) points) within ``radius``
    × the domain's larger side, else on round numbers (a step of a twentieth of the larger
    side, rounded to 1, 2 or 5 × 10^k; ``grid`` overrides it), each coordinate rounded to the
    step's decimals so (1, 0) is exactly (1.0, 0.0)."""
    (xa, xb), (ya, yb) = domain
    span = max(xb - xa, yb - ya)
    if len(known):
        K = np.array([getattr(k, "point", None) or tuple(k)[:2] for k in known], float).reshape(-1, 2)
        d = np.hypot(K[:, 0] - x, K[:, 1] - y)
        i = int(np.argmin(d))
        if d[i] <= radius * span:
            return float(K[i, 0]), float(K[i, 1])
    if grid is None:
        raw = span / 20.0
        mag = 10.0 ** np.floor(np.log10(raw))
        grid = float(next(m * mag for m in (1.0, 2.0, 5.0, 10.0) if m * mag >= raw))
    decimals = max(0, int(-np.floor(np.log10(grid))) + 1)
    sx, sy = round(round(x / grid) * grid, decimals), round(round(y / grid) * grid, decimals)
    return float(sx) + 0.0, float(sy) + 0.0  # + 0.0: never -0.0

"""The known critical points of a preset on the contour map (see app/known_points.py): drawn
from the start, before any run, as outlined symbols under the points the runs find.

* global minimum: a gold star outline; local minimum: a red ring; saddle: an amber ×;
  maximum: a violet triangle outline; degenerate: a tan diamond outline.
* The "lowest found" marker (the lowest minimum the runs reached and its equals) is a white
  ring, never the star: only a known global minimum is drawn as one.
"""

from __future__ import annotations

import pyqtgraph as pg

from .. import palette
from .points_item import Scatter
from ...app.known_points import KNOWN_GROUPS, KNOWN_LABELS

GOLD = (1.00, 0.80, 0.10, 1.0)
#: symbol, size and colour of each known group
STYLE = {
    "global": ("star", 26, GOLD),
    "local": ("o", 19, palette.kind_color("minimum")),
    "saddle": ("x", 17, palette.kind_color("saddle")),
    "maximum": ("t", 18, palette.kind_color("maximum")),
    "degenerate": ("d", 18, palette.kind_color("degenerate")),
}


class KnownPointsLayer:
    """Scatter items for a preset's known points on a PlotItem; ``set_points(markers)``."""

    def __init__(self, plot_item):
        self.items = {}
        self.markers = ()
        for g in KNOWN_GROUPS:
            symbol, size, col = STYLE[g]
            it = Scatter(size=size, symbol=symbol, pxMode=True, pen=self._pen(g),
                         brush=pg.mkBrush(palette.qcolor(col, 0.18 if g != "saddle" else 0.5)))
            it.setZValue(13)  # under the found points (14) and the lowest-found ring (15)
            it.setToolTip("")
            plot_item.addItem(it)
            self.items[g] = it

    @staticmethod
    def _pen(group):
        col = STYLE[group][2]
        if group == "global":
            return pg.mkPen(palette.qcolor(col), width=2.2)
        if group == "saddle":
            return pg.mkPen(palette.qcolor(col), width=1.0)
        return pg.mkPen(palette.qcolor(col), width=2.0)

    def set_points(self, markers) -> None:
        self.markers = tuple(markers)
        for g, it in self.items.items():
            pts = [m for m in self.markers if m.group == g]
            it.setData([m.x for m in pts], [m.y for m in pts], data=[m.describe() for m in pts])

    def groups(self) -> list[str]:
        """The groups present, in legend order."""
        have = {m.group for m in self.markers}
        return [g for g in KNOWN_GROUPS if g in have]

    def legend_entries(self):
        """(sample item, text) for the map's legend."""
        out = []
        for g in self.groups():
            symbol, _size, col = STYLE[g]
            out.append((pg.ScatterPlotItem(symbol=symbol, size=12, pen=self._pen(g),
                                           brush=pg.mkBrush(palette.qcolor(col, 0.18))), KNOWN_LABELS[g]))
        return out

    def points_of(self, group: str) -> list[tuple[float, float]]:
        """(x, y) of the drawn points of a group (tests and tools)."""
        it = self.items[group]
        xs, ys = it.getData()
        return [(float(a), float(b)) for a, b in zip(xs, ys)]


def show_known_points(problem, contour, surface) -> tuple:
    """Send the problem's known critical points to the map and the 3D view (the window calls
    this for every new problem); returns them."""
    import numpy as np

    from ...app.known_points import known_points

    known = known_points(problem.objective, problem.domain)
    contour.set_known_points(known)
    P = np.array([[m.x, m.y, m.value] for m in known], float).reshape(-1, 3)
    surface.set_known_points(P, [m.group for m in known])
    return known

"""Inside the optimizer, drawn on the contour map at the selected run's current point
(app/internals_view.py computes the numbers; core/internals.py says what they are):

* −∇f: an orange arrow (direction; its length is a fixed share of the map);
* the next step: a yellow arrow of its true length (drawn at least ``MIN_FRAC`` of the map
  long, with a note of the magnification, so a tiny step stays readable);
* momentum / Nesterov: the velocity b, a dashed light-blue arrow (direction, scaled like −∇f relative to
  ‖∇f‖, so a velocity larger than the gradient is drawn longer);
* AdaGrad, RMSprop, Adam: the effective per-coordinate step sizes lr/(√v + ε) as two magenta
  bars along x and y (along r̂ and θ̂ for a polar run; the larger one a fixed share of the
  map), the ratio readable at once.

A polar run's internals arrive in x, y already (core/internals.py).

The legend entries are added to the map's legend row; the numbers are in the inspector.
"""

from __future__ import annotations

import pyqtgraph as pg

from ...app.internals_view import INTERNALS_COLORS as COLORS
from ...app.internals_view import INTERNALS_DASHED as DASHED
from ...app.internals_view import INTERNALS_LABELS as LABELS
from ...app.internals_view import internals_segments

# the look and the geometry (arrow lengths, the step's magnification) are
# app/internals_view.py's, shared with the 3D view (gui/surface/internals_layer.py)


class InternalsOverlay:
    def __init__(self, plot_item):
        self.items = {}
        for key, col in COLORS.items():
            it = pg.PlotDataItem(connect="pairs", pen=self._pen(key))
            it.setZValue(16)
            plot_item.addItem(it, ignoreBounds=True)
            self.items[key] = it
        self.note = pg.TextItem("", color=(255, 214, 40), anchor=(0, 1))
        self.note.setZValue(17)
        plot_item.addItem(self.note, ignoreBounds=True)
        self.shown: dict = {}

    @staticmethod
    def _pen(key, width=2.5):
        from PySide6.QtCore import Qt

        style = Qt.PenStyle.DashLine if key in DASHED else Qt.PenStyle.SolidLine
        return pg.mkPen(COLORS[key], width=width, style=style)

    def clear(self) -> None:
        for key in self.shown:
            self.items[key].setData([], [])
        self._set_note("")
        self.shown = {}

    def _set_note(self, text: str) -> None:
        if text != self.note.toPlainText():  # (a TextItem lays its text out again on every set)
            self.note.setText(text)

    def show(self, point, carried, domain) -> None:
        """Draw ``carried`` (list of core.internals.Carried) at ``point`` on a map of ``domain``."""
        segs, note = internals_segments(point, carried, domain)
        for key, it in self.items.items():
            s = segs.get(key)
            if s is not None:
                it.setData(s[:, 0], s[:, 1])
            elif key in self.shown:  # (an empty PlotDataItem's setData still costs ~0.4 ms)
                it.setData([], [])
        self._set_note(note)
        self.note.setPos(float(point[0]), float(point[1]))
        self.shown = segs

    def legend_entries(self):
        return [(pg.PlotDataItem(pen=self._pen(k, 3)), LABELS[k]) for k in COLORS if k in self.shown]

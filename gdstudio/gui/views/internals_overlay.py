"""Inside the optimizer, drawn on the contour map at the selected run's current point
(app/internals_view.py computes the numbers; core/internals.py says what they are):

* −∇f: an orange arrow (direction; its length is a fixed share of the map);
* the next step: a yellow arrow of its true length (drawn at least ``MIN_FRAC`` of the map
  long, with a note of the magnification, so a tiny step stays readable);
* momentum / Nesterov: the velocity b, a dashed light-blue arrow (direction, scaled like −∇f relative to
  ‖∇f‖, so a velocity larger than the gradient is drawn longer);
* AdaGrad, RMSprop, Adam: the effective per-coordinate step sizes lr/(√v + ε) as two magenta
  bars along x and y (the larger one a fixed share of the map), the ratio readable at once.

The legend entries are added to the map's legend row; the numbers are in the inspector.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

# orange and yellow are no run's colour; the velocity and m̂ are dashed so they never read as a
# run's path (runs are blue, cyan, green, lime, pink, white)
COLORS = {"neg_grad": (255, 130, 50), "step": (255, 214, 40), "velocity": (150, 200, 255),
          "effective_lr": (255, 90, 220), "m_hat": (150, 255, 120)}
DASHED = ("velocity", "m_hat")
LABELS = {"neg_grad": "−∇f", "step": "next step", "velocity": "velocity b", "effective_lr": "step size per axis",
          "m_hat": "m̂ (Adam)"}
#: arrows of directions are this share of the map's larger side
ARROW_FRAC = 0.12
MIN_FRAC = 0.04
#: a next step shorter than MIN_FRAC / MAX_MAGNIFY of the map is not drawn (the run has arrived)
MAX_MAGNIFY = 1000.0


def _arrow(p, v, head_frac=0.28):
    """Segments (pairs of points, NaN-free) of an arrow from p along v."""
    p = np.asarray(p, float)
    v = np.asarray(v, float)
    L = float(np.hypot(*v))
    if not (L > 0 and math.isfinite(L)):
        return np.empty((0, 2))
    q = p + v
    u = v / L
    h = head_frac * L
    c, s = math.cos(math.radians(25)), math.sin(math.radians(25))
    w1 = np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]])
    w2 = np.array([c * u[0] + s * u[1], -s * u[0] + c * u[1]])
    return np.array([p, q, q, q - h * w1, q, q - h * w2])


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
        for it in self.items.values():
            it.setData([], [])
        self.note.setText("")
        self.shown = {}

    def show(self, point, carried, domain) -> None:
        """Draw ``carried`` (list of core.internals.Carried) at ``point`` on a map of ``domain``."""
        (xa, xb), (ya, yb) = domain
        span = max(xb - xa, yb - ya)
        by = {c.key: np.asarray(c.value, float) for c in carried}
        segs: dict = {}
        g = by.get("neg_grad")
        gn = float(np.hypot(*g)) if g is not None else 0.0
        if g is not None and gn > 0 and math.isfinite(gn):
            segs["neg_grad"] = _arrow(point, g / gn * ARROW_FRAC * span)
        step = by.get("step")
        note = ""
        if step is not None and np.all(np.isfinite(step)):
            L = float(np.hypot(*step))
            k = MIN_FRAC * span / L if 0 < L < MIN_FRAC * span else 1.0
            if 0 < L and k <= MAX_MAGNIFY:  # a step a thousand times too short to see is ~0
                if k > 1.0:
                    note = f"next step ×{k:.3g}"
                segs["step"] = _arrow(point, step * k)
        b = by.get("velocity")
        if b is not None and np.all(np.isfinite(b)) and gn > 0:
            segs["velocity"] = _arrow(point, b / gn * ARROW_FRAC * span)
        m = by.get("m_hat")
        if m is not None and np.all(np.isfinite(m)):
            mn = float(np.hypot(*m))
            if mn > 0:
                segs["m_hat"] = _arrow(point, -m / mn * 0.7 * ARROW_FRAC * span)  # the step goes against m̂
        e = by.get("effective_lr")
        if e is not None and np.all(np.isfinite(e)) and float(np.max(e)) > 0:
            lx, ly = e / float(np.max(e)) * 0.5 * ARROW_FRAC * span
            x, y = point
            segs["effective_lr"] = np.array([[x - lx, y], [x + lx, y], [x, y - ly], [x, y + ly]])
        for key, it in self.items.items():
            s = segs.get(key)
            if s is None or not len(s):
                it.setData([], [])
            else:
                it.setData(s[:, 0], s[:, 1])
        self.note.setText(note)
        self.note.setPos(float(point[0]), float(point[1]))
        self.shown = segs

    def legend_entries(self):
        return [(pg.PlotDataItem(pen=self._pen(k, 3)), LABELS[k]) for k in COLORS if k in self.shown]

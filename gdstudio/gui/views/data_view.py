"""The data view (objectName ``dataView``): the data a model is fitted to, and the model's
current fit, redrawn as descent runs.

* Line fits and typed models: the scatter of the target against the feature (e.g. SalePrice
  against LotArea, axes labelled with units) and the curve ŷ = m(x; θ) of the selected run's
  current parameters (``problem.predict``).
* Networks: the fitted curve for 1-D regression (sine); for 2-D classification the decision
  region (an image of the predicted probability of class 1 on a grid) under the points
  coloured by class, with the 0.5 boundary.

It draws only when told (``show_point``), which the model features call from the
controller's frames (at most 30 a second), and skips a redraw when the point did not move.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from ..text import fmt, html_text, with_unit

CLASS_COLORS = ((70, 150, 255), (255, 120, 60))
#: decision-region grid (per axis)
REGION_N = 90
CURVE_N = 240


#: the largest coordinate a view range holds: pyqtgraph refuses a range whose width
#: overflows ("Cannot set range [-inf, inf]" for data near ±1e308)
_VIEW_LIMIT = 1e300


def _span(v) -> tuple[float, float]:
    """Finite (min, max) of the finite values, clipped so the width cannot overflow."""
    v = np.asarray(v, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    lo = float(np.clip(np.min(v), -_VIEW_LIMIT, _VIEW_LIMIT))
    hi = float(np.clip(np.max(v), -_VIEW_LIMIT, _VIEW_LIMIT))
    return lo, hi


class DataView(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("dataView")
        self.setBackground("#1e1e24")
        self.setMinimumSize(260, 200)
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.showGrid(True, True, alpha=0.15)
        self.region = pg.ImageItem(axisOrder="col-major")
        cmap = pg.ColorMap([0.0, 0.5, 1.0], [(40, 80, 150), (40, 40, 48), (150, 70, 30)])
        self.region.setLookupTable(cmap.getLookupTable(0.0, 1.0, 256))
        self.region.setLevels((0.0, 1.0))
        self.region.setZValue(-10)
        pi.addItem(self.region)
        self.boundary = pg.IsocurveItem(level=0.5, pen=pg.mkPen((240, 240, 240, 200), width=1.5))
        self.boundary.setParentItem(self.region)
        self.scatter = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(120, 200, 255, 130),
                                          pxMode=True)
        pi.addItem(self.scatter)
        self.curve = pg.PlotDataItem(pen=pg.mkPen((255, 200, 40), width=2.5))
        self.curve.setZValue(5)
        pi.addItem(self.curve)
        self.best_curve = pg.PlotDataItem(pen=pg.mkPen((255, 255, 255, 150), width=1.2,
                                                       style=pg.QtCore.Qt.PenStyle.DashLine))
        self.best_curve.setZValue(4)
        pi.addItem(self.best_curve)
        self.legend = pi.addLegend(offset=(8, 8), labelTextSize="8pt", brush=pg.mkBrush(20, 20, 26, 190))
        self.placeholder = pg.TextItem("", color=(170, 170, 170), anchor=(0.5, 0.5))
        self.placeholder.setParentItem(pi.vb)
        pi.vb.sigResized.connect(self._place_placeholder)  # centred and wrapped in the plot
        self.shown = None
        self._last: Optional[np.ndarray] = None
        self._grid = None
        self.redraws = 0
        self.clear_model()

    def _place_placeholder(self, *_):
        r = self.getPlotItem().vb.boundingRect()
        self.placeholder.setTextWidth(max(120.0, r.width() - 24.0))
        self.placeholder.setPos(r.center())

    # -- problem -------------------------------------------------------------------------
    def clear_model(self, text: str = "Choose a model in the Data & model panel to see its data here") -> None:
        self.shown = None
        self._last = None
        self.scatter.setData([], [])
        self.curve.setData([], [])
        self.best_curve.setData([], [])
        self.region.clear()
        self.region.setVisible(False)
        self.boundary.setData(None)
        self.legend.clear()
        self.legend.setVisible(False)
        pi = self.getPlotItem()
        pi.setTitle("")
        self.placeholder.setText(text)
        self._place_placeholder()
        self.placeholder.setVisible(True)
        pi.setLabel("bottom", "")
        pi.setLabel("left", "")
        # no axes left at the previous model's scale (a function lesson after the housing one
        # showed an empty chart up to 800,000)
        pi.vb.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.0)

    def set_shown(self, shown) -> None:
        """Show the data of a model problem (a :class:`~.model_panel.Shown`)."""
        self.shown = shown
        self._last = None
        self.placeholder.setVisible(False)
        prob = shown.problem
        pi = self.getPlotItem()
        X = np.asarray(prob.x_data, float)
        y = np.asarray(prob.y_data, float).ravel()
        units = getattr(prob, "units", {}) or {}
        self.legend.clear()
        self.best_curve.setData([], [])
        two_d = X.ndim == 2 and X.shape[1] == 2 and prob.task == "classification"
        self._classify = two_d
        if two_d:
            self._setup_region(X, y)
            pi.setLabel("bottom", html_text(prob.x_names[0]) if prob.x_names else "x₁")
            pi.setLabel("left", html_text(prob.x_names[1]) if len(prob.x_names) > 1 else "x₂")
            pi.setTitle("")
            self.curve.setData([], [])
            self.legend.setVisible(True)
            for c, col in enumerate(CLASS_COLORS):
                self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=8, brush=pg.mkBrush(*col), pen=None),
                                    f"class {c}")
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen((240, 240, 240), width=1.5)), "p = 0.5 boundary")
        else:
            xv = X[:, 0] if X.ndim == 2 else X
            self.region.clear()
            self.region.setVisible(False)
            self.boundary.setData(None)
            big = y.size > 500
            self.scatter.setData(xv, y, size=3 if big else 5, pen=None,
                                 brush=pg.mkBrush(120, 200, 255, 110 if big else 180))
            lo, hi = _span(xv)
            pad = 0.02 * (hi - lo or 1.0)
            self._xs = np.linspace(lo - pad, hi + pad, CURVE_N)
            xname = prob.x_names[0] if prob.x_names else prob.x_name
            pi.setLabel("bottom", html_text(with_unit(xname, units.get("x", ""))))
            pi.setLabel("left", html_text(with_unit(prob.y_name, units.get("y", ""))))
            pi.setTitle("")
            cf = getattr(prob, "closed_form", None)
            self.legend.setVisible(True)
            self.legend.addItem(self.scatter, f"data ({y.size} points)")
            self.legend.addItem(self.curve, "selected run now")
            if shown.kind in ("linreg", "typed") and cf is not None and shown.closed_form is not None:
                with np.errstate(all="ignore"):
                    self.best_curve.setData(self._xs, np.asarray(prob.predict(np.asarray(cf, float), self._xs)))
                self.legend.addItem(self.best_curve, "least squares")
            self.getPlotItem().enableAutoRange()
            ylo, yhi = _span(y)
            ypad = 0.08 * (yhi - ylo or 1.0)
            self.getPlotItem().vb.setRange(xRange=(lo - pad, hi + pad), yRange=(ylo - ypad, yhi + ypad),
                                           padding=0)
            self.getPlotItem().vb.disableAutoRange()

    def _setup_region(self, X, y) -> None:
        lo = X.min(axis=0)
        hi = X.max(axis=0)
        pad = 0.1 * (hi - lo)
        lo, hi = lo - pad, hi + pad
        gx = np.linspace(lo[0], hi[0], REGION_N)
        gy = np.linspace(lo[1], hi[1], REGION_N)
        A, B = np.meshgrid(gx, gy, indexing="ij")
        self._grid = np.column_stack([A.ravel(), B.ravel()])
        dx, dy = gx[1] - gx[0], gy[1] - gy[0]
        self.region.setVisible(True)
        self.region.setImage(np.full((REGION_N, REGION_N), 0.5), levels=(0.0, 1.0), autoLevels=False)
        self.region.setRect(QRectF(gx[0] - dx / 2, gy[0] - dy / 2, gx[-1] - gx[0] + dx, gy[-1] - gy[0] + dy))
        brushes = [pg.mkBrush(*CLASS_COLORS[int(c > 0.5)]) for c in y]
        self.scatter.setData(X[:, 0], X[:, 1], size=6, brush=brushes, pen=pg.mkPen((0, 0, 0, 160), width=0.5))
        self.getPlotItem().vb.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0)

    # -- live ----------------------------------------------------------------------------------
    def show_point(self, p2) -> None:
        """Redraw the fit for the 2-D point ``p2`` of the views (skipped if unchanged)."""
        sh = self.shown
        if sh is None or p2 is None:
            return
        p2 = np.asarray(p2, float).ravel()
        if not np.all(np.isfinite(p2)):
            return
        if self._last is not None and np.array_equal(p2, self._last):
            return
        self._last = p2.copy()
        theta = sh.theta(p2)
        prob = sh.problem
        self.redraws += 1
        with np.errstate(all="ignore"):
            if self._classify:
                P = np.asarray(prob.predict(theta, self._grid), float).reshape(REGION_N, REGION_N)
                self.region.setImage(P, levels=(0.0, 1.0), autoLevels=False)
                self.boundary.setData(P)
            else:
                yhat = np.asarray(prob.predict(theta, self._xs), float).ravel()
                ok = np.isfinite(yhat)
                self.curve.setData(self._xs[ok], yhat[ok])

    def fit_text(self) -> str:
        """The current fit as text (for the title's tooltip and tests)."""
        if self._last is None or self.shown is None:
            return ""
        return ", ".join(f"{n} = {fmt(v)}" for n, v in zip(self.shown.objective.names, self._last))

    def n_points(self) -> int:
        x, _ = self.scatter.getData()
        return 0 if x is None else int(len(x))

"""The cross-section of f along the current step, beside the 3D view in its side view
(objectName ``stepSection``; app/step_section.py computes it): f along the step's line, the
first-order prediction (dashed), the start and the landing point, and the step as an arrow.
The step runs left to right, as in the side view."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ..text import html_text


class StepSectionPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("stepSection")
        self.setBackground("#1e1e24")
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.setTitle("f along the step", color="#dddddd", size="9pt")
        pi.setLabel("bottom", "distance along −∇f")
        pi.setLabel("left", html_text("f"))
        for side in ("bottom", "left"):
            pi.getAxis(side).enableAutoSIPrefix(False)
        self.curve = pg.PlotDataItem(pen=pg.mkPen((120, 200, 255), width=2))
        self.tangent = pg.PlotDataItem(pen=pg.mkPen((200, 200, 200), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.step = pg.PlotDataItem(pen=pg.mkPen((255, 255, 255, 140), width=1.5, style=pg.QtCore.Qt.PenStyle.DotLine))
        self.ends = pg.ScatterPlotItem(size=9, pen=pg.mkPen("k"), brush=pg.mkBrush(255, 255, 255))
        for it in (self.curve, self.tangent, self.step, self.ends):
            pi.addItem(it)
        self.setToolTip("The cross-section of f along the step's direction: the curve is f, the dashed "
                        "line its first-order prediction f(p) − s·‖∇f‖; the white dot is the start, the yellow "
                        "one where the step lands")
        self.section = None
        self.setMinimumWidth(200)

    def show_section(self, sec) -> None:
        self.section = sec
        if sec is None:
            for it in (self.curve, self.tangent, self.step):
                it.setData([], [])
            self.ends.setData([], [])
            return
        ok = np.isfinite(sec.f)
        self.curve.setData(sec.s[ok], sec.f[ok])
        self.tangent.setData(sec.s, sec.tangent)
        L, fa, fb = sec.length, sec.f_start, sec.f_end
        # the step: from the start (white) to where it lands (yellow), on the curve
        self.step.setData([0.0, L], [fa, fb])
        self.ends.setData([0.0, L], [fa, fb], brush=[pg.mkBrush(255, 255, 255), pg.mkBrush(255, 214, 40)])
        lo = float(np.nanmin(sec.f[ok])) if ok.any() else min(fa, fb)
        hi = float(np.nanmax(sec.f[ok])) if ok.any() else max(fa, fb)
        pad = 0.08 * (hi - lo or 1.0)
        self.getPlotItem().getViewBox().setRange(xRange=(sec.s[0], sec.s[-1]), yRange=(lo - pad, hi + pad),
                                                 padding=0.0)

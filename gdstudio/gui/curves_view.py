"""Value and gradient norm against step for every run (objectName ``lossPlot``).

Both axes are logarithmic in y. When some value is ≤ 0 (a function whose minimum is
negative or zero), the value plot shows f − m + ε, where m is the lowest value known (the
grid's or any run's) and ε = 1e-12·max(1, |m|); the axis label says so. At most 50 runs are
drawn as lines (plus the selected run, highlighted); with more runs the min / median / max
over all batch runs are drawn as an envelope.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from . import palette
from .geometry import nan_joined


class CurvesView(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setBackground("#1e1e24")
        self.value_plot = self.addPlot(row=0, col=0)
        self.grad_plot = self.addPlot(row=1, col=0)
        for p in (self.value_plot, self.grad_plot):
            p.setLogMode(False, True)
            p.showGrid(True, True, alpha=0.15)
            p.setMenuEnabled(False)
            p.hideButtons()
        self.grad_plot.setXLink(self.value_plot)
        self.grad_plot.setLabel("bottom", "step")
        self.grad_plot.setLabel("left", "‖∇f‖ (log)")
        self.value_plot.setLabel("left", "f (log)")
        self._items = {self.value_plot: {}, self.grad_plot: {}}
        self._sel = {}
        self._env = {}
        for p in (self.value_plot, self.grad_plot):
            halo = pg.PlotDataItem(pen=pg.mkPen((255, 255, 255, 220), width=4))
            line = pg.PlotDataItem(pen=pg.mkPen("w", width=2))
            halo.setZValue(10)
            line.setZValue(11)
            p.addItem(halo)
            p.addItem(line)
            self._sel[p] = (halo, line)
            lo = pg.PlotDataItem(pen=pg.mkPen((150, 200, 255, 120)))
            hi = pg.PlotDataItem(pen=pg.mkPen((150, 200, 255, 120)))
            fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(120, 170, 255, 50))
            med = pg.PlotDataItem(pen=pg.mkPen((170, 210, 255), width=2))
            for it in (fill, lo, hi, med):
                p.addItem(it)
            self._env[p] = (lo, hi, med, fill)
        self.env_legend = pg.LegendItem(offset=(-8, 8), labelTextColor=(230, 230, 230),
                                        brush=pg.mkBrush(20, 20, 26, 180), labelTextSize="8pt")
        self.env_legend.setParentItem(self.value_plot.vb)
        self.env_legend.addItem(self._env[self.value_plot][2], "median of all runs")
        self.env_legend.addItem(pg.PlotDataItem(pen=pg.mkPen((120, 170, 255, 160), width=8)), "min … max")
        self.env_legend.setVisible(False)
        self.floor = None  # grid minimum of the problem
        self.shift = None  # m used for f − m + ε, None when plotting f itself

    def set_problem(self, problem) -> None:
        Z = problem.grid.Z
        finite = Z[np.isfinite(Z)]
        self.floor = float(finite.min()) if finite.size else 0.0
        self.shift = None
        self._update_label()
        for p in (self.value_plot, self.grad_plot):
            for it in self._items[p].values():
                it.setData([], [])

    def _update_label(self) -> None:
        if self.shift is None:
            self.value_plot.setLabel("left", "f (log)")
            self.value_plot.setTitle("value f per step (log scale)", size="9pt")
        else:
            self.value_plot.setLabel("left", "f − min f + ε (log)")
            self.value_plot.setTitle(f"values ≤ 0 occur, so f − min f + ε is shown (min f = {self.shift:.4g}, "
                                     f"ε = {1e-12 * max(1.0, abs(self.shift)):.1g})", size="9pt")

    def _value_transform(self, frame):
        mins = [self.floor if self.floor is not None else np.inf]
        for _, v, _ in frame.curves:
            f = v[np.isfinite(v)]
            if f.size:
                mins.append(float(f.min()))
        if frame.envelope is not None:
            f = frame.envelope[1][np.isfinite(frame.envelope[1])]
            if f.size:
                mins.append(float(f.min()))
        m = min(mins)
        if m > 0:
            if self.shift is not None:
                self.shift = None
                self._update_label()
            return lambda v: v
        if self.shift is None or m < self.shift:
            self.shift = m
            self._update_label()
        shift = self.shift
        eps = 1e-12 * max(1.0, abs(shift))
        return lambda v: v - shift + eps

    def show_frame(self, frame) -> None:
        tf = self._value_transform(frame)
        gfloor = 1e-300
        for p, which in ((self.value_plot, 1), (self.grad_plot, 2)):
            groups: dict = {}
            sel = None
            for curve, run, color in zip(frame.curves, frame.path_runs, frame.path_colors):
                x = curve[0]
                y = tf(curve[1]) if which == 1 else np.maximum(curve[2], gfloor)
                xy = np.column_stack([x, y])
                if run == frame.selected:
                    sel = (xy, color)
                groups.setdefault(tuple(np.round(color, 3)), []).append(xy)
            items = self._items[p]
            for key in list(items):
                if key not in groups:
                    items[key].setData([], [])
            many = len(frame.curves) > 10
            for key, parts in groups.items():
                it = items.get(key)
                if it is None:
                    it = pg.PlotDataItem(connect="finite")
                    p.addItem(it)
                    items[key] = it
                it.setPen(pg.mkPen(palette.qcolor(key, 0.45 if many else 1.0), width=1 if many else 2))
                xy = nan_joined(parts)
                it.setData(xy[:, 0], xy[:, 1], connect="finite")
            halo, line = self._sel[p]
            if sel is not None:
                halo.setData(sel[0][:, 0], sel[0][:, 1])
                line.setPen(pg.mkPen(palette.qcolor(sel[1]), width=2))
                line.setData(sel[0][:, 0], sel[0][:, 1])
            else:
                halo.setData([], [])
                line.setData([], [])
            lo, hi, med, fill = self._env[p]
            env = frame.envelope
            if env is not None and env[0].size:
                steps = env[0]
                if which == 1:
                    a, b, c = tf(env[1]), tf(env[2]), tf(env[3])
                else:
                    a, b, c = (np.maximum(e, gfloor) for e in env[4])
                lo.setData(steps, a)
                med.setData(steps, b)
                hi.setData(steps, c)
                fill.setVisible(True)
            else:
                for it in (lo, hi, med):
                    it.setData([], [])
                fill.setVisible(False)
        self.env_legend.setVisible(frame.envelope is not None)

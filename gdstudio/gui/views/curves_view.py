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
from PySide6.QtGui import QImage, QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from .. import palette
from ..geometry import finite_path


#: pixels for the y axes' tick labels (1e-300 to 1e+300) and title
AXIS_WIDTH = 62
#: a plot narrower than this (pixels right of the axis) gets the short titles
NARROW_PLOT = 170


class CurvesView(pg.GraphicsLayoutWidget):
    #: the short titles are shown (a narrow view); None until the labels exist
    _narrow = None

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setBackground("#1e1e24")
        self.value_plot = self.addPlot(row=0, col=0)
        self.grad_plot = self.addPlot(row=1, col=0)
        for p in (self.value_plot, self.grad_plot):
            p.setLogMode(False, True)
            for side in ("left", "bottom"):
                p.getAxis(side).enableAutoSIPrefix(False)  # no "(x1e+24)" on log axes
            # a fixed width: a tick label of another width re-laid the whole plot out (a
            # repaint of up to 22 ms instead of 6, measured while 1,000 runs ran)
            p.getAxis("left").setWidth(AXIS_WIDTH)
            # no grid: pyqtgraph's grid costs ~10 ms per repaint (measured)
            p.setMenuEnabled(False)
            p.hideButtons()
        self.grad_plot.setXLink(self.value_plot)
        # one step axis, under both plots: the value plot's own repeated it, and every change
        # of the step range regenerated its ticks too (~3 ms of pyqtgraph per axis)
        self.value_plot.hideAxis("bottom")
        self.grad_plot.setLabel("bottom", "step")
        self.grad_plot.setLabel("left", "‖∇f‖ (log)")
        self.grad_plot.setTitle("gradient norm", size="9pt")
        self.value_plot.setLabel("left", "f (log)")
        self._items = {self.value_plot: {}, self.grad_plot: {}}
        self._sel = {}
        self._env = {}
        for p in (self.value_plot, self.grad_plot):
            # plain path items (palette.fast_lines): a PlotDataItem rebuilt its path and bounds
            # in every repaint after new data, ~5 ms of each curves repaint while runs ran
            halo = palette.fast_lines((1.0, 1.0, 1.0), 220 / 255, 4.0)
            line = palette.fast_lines((1.0, 1.0, 1.0), 1.0, 2.0)
            halo.setZValue(10)
            line.setZValue(11)
            p.addItem(halo)
            p.addItem(line)
            self._sel[p] = (halo, line)
            lo = palette.fast_lines((0.6, 0.78, 1.0), 0.5)
            hi = palette.fast_lines((0.6, 0.78, 1.0), 0.5)
            # the band between min and max: one polygon in the plot's (log) coordinates;
            # pyqtgraph's FillBetweenItem rebuilds it from both curves on every change (slow)
            fill = QGraphicsPathItem()
            fill.setBrush(pg.mkBrush(120, 170, 255, 50))
            fill.setPen(pg.mkPen(None))
            med = palette.fast_lines((0.67, 0.82, 1.0), 1.0, 2.0)
            for it in (fill, lo, hi, med):
                p.addItem(it)
            self._env[p] = (lo, hi, med, fill)
        # with many runs the band and line summarise all of them; the titles say so (a legend
        # would cover the curves in this narrow panel)
        self._envelope_shown = False
        for p in (self.value_plot, self.grad_plot):
            p.vb.disableAutoRange()
        self._set_x = None
        self._set_y = {}
        self._image = None  # a 1-pixel target for _prepare_axes
        self.floor = None  # grid minimum of the problem
        self.shift = None  # m used for f − m + ε, None when plotting f itself
        self._narrow = False

    def set_problem(self, problem) -> None:
        Z = problem.grid.Z
        finite = Z[np.isfinite(Z)]
        self.floor = float(finite.min()) if finite.size else 0.0
        self.shift = None
        self._update_label()
        for p in (self.value_plot, self.grad_plot):
            for it in self._items[p].values():
                it.setPath(QPainterPath())

    def resizeEvent(self, ev):  # noqa: N802 (Qt's name)
        super().resizeEvent(ev)
        narrow = self.width() - AXIS_WIDTH < NARROW_PLOT
        if self._narrow is not None and narrow != self._narrow:
            self._narrow = narrow
            self._update_label()

    def _update_label(self) -> None:
        # in a narrow dock the long titles ran past the plot's right edge
        if self._envelope_shown:
            every = "  (band)" if self._narrow else "  (band: all runs)"
        else:
            every = ""
        if self.shift is None:
            self.value_plot.setLabel("left", "f (log)")
            self.value_plot.setTitle("value f" + every, size="9pt")
            self.value_plot.setToolTip("")
        else:
            self.value_plot.setLabel("left", "f − m + ε (log)")
            self.value_plot.setTitle("f − m + ε" + every, size="9pt")
            self.value_plot.setToolTip(
                f"f takes values ≤ 0, which a log axis cannot show: plotted is f − m + ε with "
                f"m = {self.shift:.6g} (the lowest value on the map) and "
                f"ε = {1e-12 * max(1.0, abs(self.shift)):.0e}")
        self.grad_plot.setTitle(("‖∇f‖" if self._narrow else "gradient norm") + every, size="9pt")
        self.setToolTip("With many runs, the band spans the lowest to the highest value of all "
                        "runs at each step and the line is their median; the selected run is white."
                        if self._envelope_shown else "")

    def _value_transform(self, frame):
        mins = [np.inf]
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
        m = min(m, self.floor if self.floor is not None else m)  # the grid's lowest value
        if self.shift is None or m < self.shift:
            self.shift = m
            self._update_label()
        shift = self.shift
        eps = 1e-12 * max(1.0, abs(shift))
        return lambda v: v - shift + eps

    def show_frame(self, frame) -> None:
        tf = self._value_transform(frame)
        gfloor = 1e-300
        xmax = 1.0
        curves = frame.curves or ()
        # every curve at once (one array op per plot, not one per curve: 1,000 runs draw 51
        # curves 30 times a second), NaN between curves so each colour is one path
        lens = np.array([c[0].size for c in curves], np.int64)
        if lens.sum():
            xmax = max(xmax, max(float(c[0][-1]) for c in curves if c[0].size))
        keys = [tuple(np.round(color, 3)) for color in frame.path_colors]
        owner = np.repeat(np.arange(len(curves)), lens + 1)  # the curve of each element
        X = _joined([c[0] for c in curves])
        for p, which in ((self.value_plot, 1), (self.grad_plot, 2)):
            raw = _joined([c[1] if which == 1 else c[2] for c in curves])
            Y = tf(raw) if which == 1 else np.maximum(raw, gfloor)
            Y[np.isnan(raw)] = np.nan  # the separators stay breaks
            ylo, yhi = _extend(np.inf, -np.inf, Y)
            L = _log(Y)
            groups: dict = {}
            for i, key in enumerate(keys[:len(curves)]):
                groups.setdefault(key, []).append(i)
            items = self._items[p]
            for key in list(items):
                if key not in groups:
                    items[key].setPath(QPainterPath())
            many = len(curves) > 10
            for key, runs in groups.items():
                it = items.get(key)
                if it is None:
                    it = palette.fast_lines()
                    p.addItem(it)
                    items[key] = it
                palette.set_line_style(it, key, 0.45 if many else 1.0, 1.0 if many else 2.0)
                mask = np.isin(owner, runs) if len(groups) > 1 else slice(None)
                it.setPath(finite_path(X[mask], L[mask]))
            halo, line = self._sel[p]
            if frame.selected in frame.path_runs[:len(curves)]:
                i = frame.path_runs.index(frame.selected)
                a = int(lens[:i].sum()) + i
                sel = finite_path(X[a:a + lens[i]], L[a:a + lens[i]])
                halo.setPath(sel)
                palette.set_line_style(line, frame.path_colors[i], 1.0, 2.0)
                line.setPath(sel)
            else:
                halo.setPath(QPainterPath())
                line.setPath(QPainterPath())
            lo, hi, med, fill = self._env[p]
            env = frame.envelope
            if env is not None and env[0].size:
                steps = env[0]
                if which == 1:
                    a, b, c = tf(env[1]), tf(env[2]), tf(env[3])
                else:
                    a, b, c = (np.maximum(e, gfloor) for e in env[4])
                xmax = max(xmax, float(steps[-1]))
                ylo, yhi = _extend(ylo, yhi, a)
                ylo, yhi = _extend(ylo, yhi, c)
                lo.setPath(finite_path(steps, _log(a)))
                med.setPath(finite_path(steps, _log(b)))
                hi.setPath(finite_path(steps, _log(c)))
                fill.setPath(_band(steps, a, c))
                fill.setVisible(True)
            else:
                for it in (lo, hi, med):
                    it.setPath(QPainterPath())
                fill.setVisible(False)
            self._fit_y(p, ylo, yhi)
        self._fit_x(xmax)
        if (frame.envelope is not None) != self._envelope_shown:
            self._envelope_shown = frame.envelope is not None
            self._update_label()
        self._prepare_axes()

    def _prepare_axes(self) -> None:
        """Lay out the tick labels of axes whose range changed now, in this pass, rather than
        in the next repaint: pyqtgraph builds them on paint (~4 ms an axis), which made a
        repaint after a range change three times as long as the others."""
        if self._image is None:
            self._image = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(self._image)
        try:
            for p in (self.value_plot, self.grad_plot):
                for side in ("left", "bottom"):
                    axis = p.getAxis(side)
                    if axis.isVisible() and axis.picture is None:
                        axis.paint(painter, None, None)  # builds its picture (and draws it, clipped away)
        finally:
            painter.end()

    # Ranges are set by hand with hysteresis: auto-ranging on every frame re-lays out the
    # axes (tick text) each time, which doubles the cost of a repaint.
    def _fit_x(self, xmax: float) -> None:
        vb = self.value_plot.vb
        if not vb.state["autoRange"][0] and self._user_moved(vb):
            return
        x0, x1 = vb.viewRange()[0]
        if xmax > x1 or xmax < 0.4 * x1 or x0 != 0:
            # room to grow: each change re-lays the axes out (~5 ms), a long run's x grows all the time
            hi = _nice_up(max(xmax, 1.0) * 1.6)
            vb.setXRange(0, hi, padding=0.0)
            self._set_x = (0, hi)

    def _fit_y(self, plot, lo: float, hi: float) -> None:
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return
        vb = plot.vb
        if self._user_moved(vb):
            return
        y0, y1 = vb.viewRange()[1]
        span = max(hi - lo, 0.5)
        if lo < y0 or hi > y1 or (y1 - y0) > 3 * span + 4:
            # a decade of room below: f and ‖∇f‖ fall while runs converge (each change re-lays the axes out)
            a, b = np.floor(lo - 0.1 * span) - 1, np.ceil(hi + 0.1 * span)
            if b - a < 4:  # at least four decades: whole-decade ticks, no crowded minor labels
                mid = (a + b) / 2
                a, b = np.floor(mid - 2), np.floor(mid - 2) + 4
            vb.setYRange(a, b, padding=0.0)
            self._set_y[id(plot)] = (a, b)

    def _user_moved(self, vb) -> bool:
        return False



def _joined(arrays) -> np.ndarray:
    """The 1-D arrays end to end, each followed by a NaN."""
    out = np.empty(sum(a.size + 1 for a in arrays))
    i = 0
    for a in arrays:
        out[i:i + a.size] = a
        out[i + a.size] = np.nan
        i += a.size + 1
    return out


def _band(x, lo, hi) -> QPainterPath:
    """The closed region between two positive curves, in log10 y (the plots' log mode)."""
    with np.errstate(all="ignore"):
        ok = np.isfinite(x) & np.isfinite(lo) & np.isfinite(hi) & (lo > 0) & (hi > 0)
        x, a, b = x[ok], np.log10(lo[ok]), np.log10(hi[ok])
    if x.size < 2:
        return QPainterPath()
    xs = np.r_[x, x[::-1]]
    ys = np.r_[b, a[::-1]]
    path = pg.arrayToQPath(xs, ys, connect="all")
    path.closeSubpath()
    return path


def _extend(lo: float, hi: float, y) -> tuple[float, float]:
    """Grow (lo, hi) by the log10 range of the positive finite values of y."""
    y = np.asarray(y, float)
    with np.errstate(all="ignore"):
        good = y[np.isfinite(y) & (y > 0)]
    if good.size:
        lo = min(lo, float(np.log10(good.min())))
        hi = max(hi, float(np.log10(good.max())))
    return lo, hi


def _nice_up(v: float) -> float:
    """The next round number (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above v."""
    k = np.floor(np.log10(v))
    for m in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * 10**k >= v:
            return float(m * 10**k)
    return float(10 ** (k + 1))


def _log(y):
    """log10 for the plots' log mode (our path items get view coordinates directly)."""
    with np.errstate(all="ignore"):
        return np.log10(np.where(np.asarray(y, float) > 0, y, np.nan))

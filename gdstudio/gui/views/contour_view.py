"""The contour map (objectName ``contourView``): filled colours, isolines, the negative
gradient field, trajectories, start markers (click to add, drag to move), current and end
points, critical points with a legend, and a colour bar.

Signals:

* ``sig_clicked(float, float)``              a left click on empty map: add a start there
* ``sig_start_dragged(int, float, float)``   a start marker is being dragged (every move);
  with Ctrl held it snaps to a known critical point or to round numbers
* ``sig_start_drag_finished(int, float, float)``
* ``sig_point_hovered(float, float)``        the mouse is over this data point
* ``sig_run_picked(int)``                    a click on a run's current/end point
* ``sig_focus_click()``                      a click that only gave the map the keyboard

``data_to_widget(x, y)`` maps data coordinates to viewport pixels (for tests and tools).

One unit of x is one unit of y on screen by default (a round bowl looks round and −∇f
arrows look perpendicular to the isolines); the ``equalAxesButton`` ("1:1", top left, also
``set_equal_axes(bool)``) frees the aspect for domains whose ranges differ wildly.

A click adds a start only when the map already has the keyboard: the first click on the
map while another control has it just takes the keyboard (so Space, → and R work) and says
so (``sig_focus_click``); the map shows a thin blue frame while it has the keyboard.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QToolButton

from .. import palette
from ...app.geometry import arrow_segments, nan_joined
from ..geometry import finite_path
from ..text import html_text
from .internals_overlay import InternalsOverlay
from .known_points import KnownPointsLayer
from .points_item import PointsItem, Scatter
from .polyline import Polyline

#: how close (pixels) a press must be to a start marker to drag it
PICK_RADIUS_PX = 10


class _MapViewBox(pg.ViewBox):
    """Left click adds a start, left drag on a start moves it; other drags pan/zoom."""

    def __init__(self, owner: "ContourView"):
        super().__init__()
        self._owner = owner
        self._dragging: Optional[int] = None
        self.setMouseMode(pg.ViewBox.PanMode)

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner._clicked(ev.scenePos())
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        if ev.isStart():
            self._dragging = self._owner._start_at(ev.buttonDownScenePos())
        if self._dragging is None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        x, y = float(p.x()), float(p.y())
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            x, y = self._owner.snap(x, y)  # Ctrl: onto a known point or round numbers
        idx = self._dragging
        if ev.isFinish():
            self._dragging = None
            self._owner.sig_start_drag_finished.emit(idx, x, y)
        else:
            self._owner._move_start_marker(idx, x, y)
            self._owner.sig_start_dragged.emit(idx, x, y)


class ContourView(pg.PlotWidget):
    sig_clicked = Signal(float, float)
    sig_start_dragged = Signal(int, float, float)
    sig_start_drag_finished = Signal(int, float, float)
    sig_point_hovered = Signal(float, float)
    sig_run_picked = Signal(int)
    sig_focus_click = Signal()

    def __init__(self, parent=None):
        self._vb = _MapViewBox(self)
        super().__init__(parent, viewBox=self._vb)
        self.setObjectName("contourView")
        self.setBackground("#1e1e24")
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.showGrid(False, False)
        self.cmap = pg.colormap.get("viridis")
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setColorMap(self.cmap)
        self.image.setZValue(-100)
        pi.addItem(self.image)
        self.cbar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False, width=14,
                                    colorMapMenu=False)
        self.cbar.setImageItem(self.image, insert_in=pi)
        self.isolines = pg.PlotDataItem(connect="pairs", pen=pg.mkPen((255, 255, 255, 80), width=1))
        self.arrows = pg.PlotDataItem(connect="pairs", pen=pg.mkPen((235, 235, 235, 120), width=1))
        for it in (self.isolines, self.arrows):
            it.setZValue(-50)
            pi.addItem(it)
        # the background never changes while runs move: paint it once into a pixmap cache
        for it in (self.image, self.isolines.curve, self.arrows.curve):
            it.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._path_items: dict = {}
        self.selected_halo = Polyline((1.0, 1.0, 1.0), 230 / 255, 4.0)
        self.selected_path = Polyline((1.0, 1.0, 1.0), 1.0, 2.5)
        self.selected_halo.setZValue(5)
        self.selected_path.setZValue(6)
        pi.addItem(self.selected_halo)
        pi.addItem(self.selected_path)
        self.positions = PointsItem(fill=(255, 255, 255, 230), edge=(0, 0, 0, 200), size=7)
        self.positions.setZValue(10)
        pi.addItem(self.positions)
        self._start_items: list = []
        self._many_start_items: list = []
        self._start_colors: list = []
        self.critical_items = {}
        for kind in ("minimum", "saddle", "maximum", "degenerate"):
            it = Scatter(size=11, symbol=palette.KIND_SYMBOLS[kind], pxMode=True)
            it.setZValue(14)
            pi.addItem(it)
            self.critical_items[kind] = it
        # the lowest minimum found (and its equals): a white ring, never the known global
        # minimum's star (known_points.py)
        self.best = Scatter(size=22, symbol="o", pxMode=True,
                                       pen=pg.mkPen("w", width=2.5), brush=pg.mkBrush(0, 0, 0, 0))
        self.best.setZValue(15)
        pi.addItem(self.best)
        self.known = KnownPointsLayer(pi)
        self.internals = InternalsOverlay(pi)  # inside the optimizer, at the selected run's point
        # the legend sits in a row under the map, never over the data
        self.legend = pg.LegendItem(offset=None, labelTextColor=(240, 240, 240), colCount=2,
                                    labelTextSize="8pt", verSpacing=-6)
        pi.layout.addItem(self.legend, 4, 1)
        pi.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend.setVisible(False)
        self.legend.setMaximumHeight(0)
        self._legend_height = 0.0  # the legend row's height: it only grows while a problem is shown
        self._legend_key = None
        self._title = ""
        self._focus_click = False
        self.nan_text = pg.TextItem("", color=(255, 150, 150), anchor=(0.5, 0.5))
        self.nan_text.setZValue(30)
        pi.addItem(self.nan_text, ignoreBounds=True)
        self.nan_text.hide()
        self.equal_button = QToolButton(self)
        self.equal_button.setObjectName("equalAxesButton")
        self.equal_button.setText("1:1")
        self.equal_button.setCheckable(True)
        self.equal_button.setChecked(True)
        self.equal_button.setAutoRaise(True)
        self.equal_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.equal_button.setToolTip("Equal axes: one unit of x is as long as one unit of y on the map "
                                     "(turn off for domains whose ranges differ wildly)")
        self.equal_button.toggled.connect(self.set_equal_axes)
        self.equal_button.move(4, 4)
        self.setStyleSheet("ContourView { border: 1px solid transparent; }"
                           "ContourView:focus { border: 1px solid #3d7bd9; }")
        self._vb.setAspectLocked(True, 1.0)
        self._starts_key = None
        self._start_points = np.empty((0, 2))
        self._scale = None
        self.scene().sigMouseMoved.connect(self._hover)

    # -- problem ---------------------------------------------------------------------
    def set_problem(self, problem) -> None:
        self._legend_height = 0.0
        g = problem.grid
        T = g.scale.apply(g.Z)
        finite = T[np.isfinite(T)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        self.image.setImage(np.where(np.isfinite(T), T, lo), levels=(lo, hi), autoLevels=False)
        dx = (g.xs[-1] - g.xs[0]) / max(1, g.xs.size - 1)
        dy = (g.ys[-1] - g.ys[0]) / max(1, g.ys.size - 1)
        self.image.setRect(QRectF(g.xs[0] - dx / 2, g.ys[0] - dy / 2, g.xs[-1] - g.xs[0] + dx,
                                  g.ys[-1] - g.ys[0] + dy))
        self.cbar.setLevels((lo, hi))
        self._set_cbar_label(g.scale.label)
        self.isolines.setData(g.contours[:, 0], g.contours[:, 1]) if g.contours.size else self.isolines.setData([], [])
        (xa, xb), (ya, yb) = problem.domain
        length = 0.8 * min((xb - xa) / max(1, g.gxs.size), (yb - ya) / max(1, g.gys.size))
        GX, GY = np.meshgrid(g.gxs, g.gys, indexing="ij")
        # equal lengths on the map (min_frac=1): the arrows show the downhill direction only
        segs, _ = arrow_segments(GX, GY, g.U, g.V, length, head=0.35, head_angle_deg=28.0, min_frac=1.0)
        self.arrows.setData(segs[:, 0], segs[:, 1]) if segs.size else self.arrows.setData([], [])
        names = problem.names
        pi = self.getPlotItem()
        pi.setLabel("bottom", html_text(names[0]))
        pi.setLabel("left", html_text(names[1]))
        self.set_title(problem.description)
        # the limits leave room for an equal-axes view of a long, thin domain
        span = max(xb - xa, yb - ya)
        self._vb.setLimits(xMin=xa - 2 * span, xMax=xb + 2 * span, yMin=ya - 2 * span, yMax=yb + 2 * span)
        self._domain = ((xa, xb), (ya, yb))
        self._vb.setRange(xRange=(xa, xb), yRange=(ya, yb), padding=0.02)
        self._scale = g.scale
        if finite.size:
            self.nan_text.hide()
        else:
            self.nan_text.setText("f is not a number anywhere on this domain")
            self.nan_text.setPos((xa + xb) / 2, (ya + yb) / 2)
            self.nan_text.show()

    def set_known_points(self, markers) -> None:
        """A preset's known critical points (app/known_points.py), drawn before any run."""
        self.known.set_points(markers)
        self._legend_key = None
        self._set_legend(getattr(self, "_last_frame", None))

    def show_internals(self, point, carried) -> None:
        """What the optimizer carries at the selected run's ``point`` (None: nothing)."""
        if point is None or not carried or getattr(self, "_domain", None) is None:
            self.internals.clear()
        else:
            self.internals.show(point, carried, self._domain)
        self._set_legend(getattr(self, "_last_frame", None))

    def snap(self, x: float, y: float) -> tuple[float, float]:
        """Where a start dragged with Ctrl held lands: on a known critical point near it,
        else on round numbers (app/known_points.py: snap_point)."""
        from ...app.known_points import snap_point

        dom = getattr(self, "_domain", None)
        if dom is None:
            return x, y
        return snap_point(x, y, dom, self.known.markers)

    def set_equal_axes(self, on: bool) -> None:
        """Lock the aspect (one unit of x as long as one unit of y) or free it."""
        on = bool(on)
        if self.equal_button.isChecked() != on:
            self.equal_button.setChecked(on)  # comes back here through toggled
            return
        self._vb.setAspectLocked(on, 1.0)
        dom = getattr(self, "_domain", None)
        if dom is not None:
            self._vb.setRange(xRange=dom[0], yRange=dom[1], padding=0.02)

    def equal_axes(self) -> bool:
        return self.equal_button.isChecked()

    def set_title(self, text: str) -> None:
        """The title, elided to the map's width (a long one must never widen the layout);
        the full text is the title's tooltip."""
        self._title = text or ""
        self._show_title()

    def _show_title(self) -> None:
        pi = self.getPlotItem()
        font = QFont()
        font.setPointSize(10)
        room = max(40, self.width() - 140)  # axis, colour bar and the 1:1 button
        shown = QFontMetrics(font).elidedText(self._title, Qt.TextElideMode.ElideRight, room)
        pi.setTitle(shown.replace("&", "&amp;").replace("<", "&lt;"), color="#dddddd", size="10pt")
        pi.titleLabel.setMinimumWidth(0)
        pi.titleLabel.setToolTip(self._title if shown != self._title else "")

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if getattr(self, "_title", None) is not None:
            self._show_title()
        if getattr(self, "legend", None) is not None and self.legend.items \
                and self._legend_columns() != self.legend.columnCount:
            self._legend_key = None  # a narrow map: one column, so no entry is cut off
            self._set_legend(getattr(self, "_last_frame", None))

    def _legend_columns(self) -> int:
        """Two columns when two fit under the map, else one."""
        widths = [sample.boundingRect().width() + label.item.boundingRect().width() + 12
                  for sample, label in self.legend.items]
        room = self.width() - 90  # the left axis and the colour bar beside the map
        return 2 if widths and 2 * max(widths) <= room else 1

    # -- keyboard focus -----------------------------------------------------------------
    def focusInEvent(self, ev):
        # a press that moves the keyboard here from another control only takes the keyboard
        self._focus_click = ev.reason() == Qt.FocusReason.MouseFocusReason
        super().focusInEvent(ev)

    def mouseReleaseEvent(self, ev):
        super().mouseReleaseEvent(ev)
        self._focus_click = False

    def _set_cbar_label(self, text: str) -> None:
        try:
            self.cbar.axis.setLabel(text)
        except AttributeError:
            pass

    # -- frames ----------------------------------------------------------------------
    def show_frame(self, frame) -> None:
        # trajectories grouped by colour: one item per colour, NaN between runs
        groups: dict = {}
        sel_path = None
        for path, run, color in zip(frame.paths, frame.path_runs, frame.path_colors):
            if run == frame.selected:
                sel_path = (path, color)
            groups.setdefault(tuple(np.round(color, 3)), []).append(path[:, :2])
        # wide pens cost ~20x more to paint than 1-pixel cosmetic ones: wide only for a few
        # short paths (the controller thins each path to a vertex budget)
        total = sum(len(p) for p in frame.paths)
        width = 2.0 if len(frame.paths) <= 10 and total <= 8000 else 1.0
        alpha = 1.0 if len(frame.paths) <= 10 else 0.75
        for key in list(self._path_items):
            if key not in groups:
                self._path_items[key].setPath(QPainterPath())
        for key, paths in groups.items():
            item = self._path_items.get(key)
            if item is None:
                item = palette.fast_lines()
                item.setZValue(4)
                self.getPlotItem().addItem(item)
                self._path_items[key] = item
            palette.set_line_style(item, key, alpha, width)
            xy = nan_joined(paths)
            item.setPath(finite_path(xy[:, 0], xy[:, 1]))
        if sel_path is not None:
            xy = sel_path[0]
            self.selected_halo.setData(xy[:, 0], xy[:, 1])
            palette.set_line_style(self.selected_path, sel_path[1], 1.0, 2.5)
            self.selected_path.setData(xy[:, 0], xy[:, 1])
        else:
            self.selected_halo.setData([], [])
            self.selected_path.setData([], [])
        P = frame.positions
        self.positions.setData(P[:, 0], P[:, 1], size=7 if frame.n_runs <= 200 else 4)
        self._set_starts(frame)
        self._set_critical(frame)
        self._last_frame = frame
        self._set_legend(frame)

    def _set_starts(self, frame) -> None:
        S = frame.starts
        key = (S.shape, S.tobytes(), frame.start_colors.tobytes())
        if key == self._starts_key:
            return
        self._starts_key = key
        self._start_points = S.copy()
        self._start_colors = [tuple(c) for c in frame.start_colors.tolist()]
        self._draw_starts()

    def _draw_starts(self) -> None:
        """Starts grouped by colour: one item per colour (a brush per point costs ~50 ms for
        1,000 points in pyqtgraph). Many starts are small squares stamped by one
        :class:`PointsItem` per colour; a few are ringed circles."""
        S = self._start_points
        colors = self._start_colors
        many = S.shape[0] > 60
        groups: dict = {}
        for i, col in enumerate(colors[: S.shape[0]]):
            groups.setdefault(tuple(col), []).append(i)
        items = self._start_items if not many else self._many_start_items
        unused = self._many_start_items if not many else self._start_items
        for it in unused:
            it.setData([], [])
        while len(items) < len(groups):
            it = Scatter(pxMode=True) if not many else \
                PointsItem(edge=None, size=6, symbol="s")
            if many:  # the starts stand still while runs run: one cached pixmap, not 1,000 stamps
                it.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            it.setZValue(12)
            self.getPlotItem().addItem(it)
            items.append(it)
        for it, (col, idx) in zip(items, groups.items()):
            P = S[idx]
            if many:
                it.set_fill(palette.qcolor(col).getRgb())
                it.setData(P[:, 0], P[:, 1])
            else:
                it.setData(P[:, 0], P[:, 1], size=13, symbol="o", pen=pg.mkPen("w", width=2),
                           brush=pg.mkBrush(palette.qcolor(col)))
        for it in items[len(groups):]:
            it.setData([], [])

    def _set_critical(self, frame) -> None:
        key = tuple((c.point, c.kind, c.best) for c in frame.critical) + tuple(map(tuple, frame.critical_colors))
        if key == getattr(self, "_crit_key", None):
            return
        self._crit_key = key
        by_kind = {k: ([], [], []) for k in self.critical_items}
        best = []  # the lowest minimum found and its equals (to rounding): each gets a star
        for c, color in zip(frame.critical, frame.critical_colors):
            kind = c.kind if c.kind in by_kind else "degenerate"
            xs, ys, br = by_kind[kind]
            xs.append(c.point[0])
            ys.append(c.point[1])
            br.append(pg.mkBrush(palette.qcolor(color)))
            if c.best:
                best.append((c.point, color))
        for kind, (xs, ys, br) in by_kind.items():
            pen = pg.mkPen("w", width=1.2) if kind != "saddle" else pg.mkPen(palette.qcolor(palette.kind_color("saddle")), width=3)
            self.critical_items[kind].setData(xs, ys, brush=br or None, pen=pen)
        self.best.setData([p[0] for p, _ in best], [p[1] for p, _ in best])

    def _set_legend(self, frame) -> None:
        critical = frame.critical if frame is not None else []
        kinds = sorted({c.kind for c in critical})
        key = (tuple(kinds), tuple(l for l, _ in (frame.legend if frame is not None else ())),
               any(c.best for c in critical), tuple(self.known.groups()), tuple(self.internals.shown))
        if key == self._legend_key:
            return
        self._legend_key = key
        self.legend.clear()
        for label, color in (frame.legend if frame is not None else ()):
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(palette.qcolor(color), width=3)), label)
        for sample, text in self.known.legend_entries() + self.internals.legend_entries():
            self.legend.addItem(sample, text)
        if key[2]:
            self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=13, brush=pg.mkBrush(0, 0, 0, 0),
                                                   pen=pg.mkPen("w", width=2)), "lowest found")
        known = bool(key[3])
        names = {"minimum": "min found" if known else "minimum", "saddle": "saddle found" if known else "saddle point",
                 "maximum": "max found" if known else "maximum",
                 "degenerate": "degenerate found" if known else "degenerate point"}
        for kind in ("minimum", "saddle", "maximum", "degenerate"):
            if kind in kinds:
                self.legend.addItem(pg.ScatterPlotItem(symbol=palette.KIND_SYMBOLS[kind], size=10,
                                                       brush=pg.mkBrush(palette.qcolor(palette.kind_color(kind))),
                                                       pen=pg.mkPen("w")), names[kind])
        shown = bool(self.legend.items)
        self.legend.setVisible(shown)
        self.legend.setColumnCount(self._legend_columns())
        need = self.legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).height() if shown else 0.0
        self.legend.setMaximumHeight(need)
        # the row under the map keeps the height of the tallest legend of this problem: entries
        # that come and go (the optimizer's arrows, points found) neither move the map nor lay it
        # out again (with 1,000 runs in flight that took a frame slice of ~35 ms and a repaint of ~25)
        self._legend_height = max(self._legend_height, need)
        layout = self.getPlotItem().layout
        layout.setRowFixedHeight(4, self._legend_height)
        # lay the row out now: a legend rebuilt between frames (the optimizer's arrows came or
        # went) must not sit at the scene's origin, over the map, until the next layout pass
        layout.activate()

    # -- mouse -----------------------------------------------------------------------
    def data_to_widget(self, x: float, y: float):
        """Viewport pixel (QPoint) of the data point (x, y)."""
        scene = self._vb.mapViewToScene(QPointF(float(x), float(y)))
        return self.mapFromScene(scene)

    def _start_at(self, scene_pos) -> Optional[int]:
        S = self._start_points
        if S.shape[0] == 0:
            return None
        pts = [self._vb.mapViewToScene(QPointF(float(a), float(b))) for a, b in S] if S.shape[0] <= 200 else None
        if pts is None:
            return None  # thousands of random starts are not draggable
        d = np.array([np.hypot(p.x() - scene_pos.x(), p.y() - scene_pos.y()) for p in pts])
        k = int(np.argmin(d))
        return k if d[k] <= PICK_RADIUS_PX else None

    def _move_start_marker(self, idx: int, x: float, y: float) -> None:
        if 0 <= idx < self._start_points.shape[0]:
            self._start_points[idx] = (x, y)
            self._draw_starts()
            self._starts_key = None

    def _clicked(self, scene_pos) -> None:
        if self._focus_click:
            self._focus_click = False
            self.sig_focus_click.emit()
            return
        if self._start_at(scene_pos) is not None:
            return
        p = self._vb.mapSceneToView(scene_pos)
        self.sig_clicked.emit(float(p.x()), float(p.y()))

    def _hover(self, scene_pos) -> None:
        if not self._vb.sceneBoundingRect().contains(scene_pos):
            return
        p = self._vb.mapSceneToView(scene_pos)
        self.sig_point_hovered.emit(float(p.x()), float(p.y()))

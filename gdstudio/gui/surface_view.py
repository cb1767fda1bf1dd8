"""The 3D view: gradient descent on a height-coloured surface.

:class:`SurfaceView` is a QWidget holding a pyqtgraph.opengl ``GLViewWidget``, a toolbar
(camera presets, "Move start points", "Log height", floor arrows, contours) and a side panel
with the colour bar and the marker legend.  Public API (the main window codes against it):

* ``sig_start_dragged(int, float, float)`` -- start index, x, y while a start is dragged
  (at most about 60 per second); ``sig_start_drag_finished(int, float, float)`` on release;
  ``sig_point_hovered(float, float)`` -- x, y on the surface under the mouse.
* ``set_surface(xs, ys, Z)``, ``set_gradient_field(xs, ys, U, V)``,
  ``set_trajectories(paths, colors)``, ``set_positions(P, colors)``, ``set_starts(S)``,
  ``set_critical_points(P, kinds, best_index)``, ``highlight_run(index)``,
  ``set_camera(preset)``, ``set_step_arrow(p0, p1)``, ``set_axis_labels(names)``,
  ``grab_image() -> QImage``.
* Extras: ``set_log_height(bool | None)``, ``screen_position(x, y, f)``,
  ``surface_point_at(QPointF)``, ``camera()``, ``mapping``, ``gl_view``.

All grids use ``indexing='ij'``: ``Z[i, j] = f(xs[i], ys[j])``.  Raw values go through one
:class:`~gdstudio.gui.gl_items.ViewMapping` (x, y to [-1, 1], f to [0, 1], linear or log), so
everything drawn sits on the same surface.  Needs an OpenGL context: set
``Qt.AA_ShareOpenGLContexts`` before the QApplication exists.
"""

from __future__ import annotations

import math
import time
from typing import Optional, Sequence

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from OpenGL import GL
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QToolBar, QVBoxLayout, QWidget)

from .gl_items import (ViewMapping, arrow_segments, bilinear, contour_segments, fill_nonfinite,
                       format_value, log_ticks, nice_ticks, ray_height_field_intersection,
                       trajectory_segments)

try:  # shared colours of the 2-D views, when present
    from .palette import KIND_COLORS as _SHARED_KIND_COLORS
except ImportError:  # pragma: no cover - the palette module is optional for this view
    _SHARED_KIND_COLORS = {}

__all__ = ["SurfaceView", "KIND_COLORS", "CAMERA_PRESETS", "ray_height_field_intersection"]

# -- look ---------------------------------------------------------------------------------------
BACKGROUND = (22, 24, 30)
TEXT_COLOR = (215, 218, 226)
COLORMAP = "viridis"
FLOOR_Z = -0.32  # visual height of the floor plane (the surface spans 0..1)
NAN_COLOR = (0.55, 0.55, 0.55, 1.0)
KIND_COLORS = {
    "minimum": (0.92, 0.12, 0.12, 1.0),
    "saddle": (1.00, 0.62, 0.08, 1.0),
    "maximum": (0.30, 0.55, 1.00, 1.0),
    "degenerate": (0.72, 0.72, 0.72, 1.0),
}
KIND_COLORS.update({k: tuple(v) for k, v in _SHARED_KIND_COLORS.items() if k in KIND_COLORS})
BEST_COLOR = (1.00, 0.80, 0.10, 1.0)  # gold ring of the best minimum
START_COLOR = (1.0, 1.0, 1.0, 1.0)
STEP_COLOR = (1.0, 1.0, 1.0, 1.0)
ARROW_COLOR = (0.90, 0.92, 0.97)
CAMERA_PRESETS = ("top", "perspective", "side")
ARROWS_DRAPE_ELEVATION = 62.0  # degrees: above this the gradient arrows move onto the surface
PICK_RADIUS_PX = 10.0  # how near (screen pixels, beyond the marker's own radius) grabs a start
DRAG_EMIT_INTERVAL = 1.0 / 60.0
HINT = ("Drag a white start point to slide it on the surface · Shift+drag: nearest start · "
        "drag elsewhere: rotate · wheel: zoom · Ctrl+drag: pan")

# lifts above the surface (visual units) so lines and markers never z-fight with it
LIFT_LINES = 0.006
LIFT_MARKERS = 0.02

_DEPTH = {GL.GL_DEPTH_TEST: True, GL.GL_CULL_FACE: False, "glDepthFunc": (GL.GL_LEQUAL,),
          "glDepthMask": (GL.GL_TRUE,)}
GL_OPAQUE = {**_DEPTH, GL.GL_BLEND: False}
GL_SURFACE = {**GL_OPAQUE, GL.GL_POLYGON_OFFSET_FILL: True, "glPolygonOffset": (1.0, 1.0)}
GL_TRANSLUCENT = {**_DEPTH, GL.GL_BLEND: True,
                  "glBlendFuncSeparate": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA,
                                          GL.GL_ONE, GL.GL_ONE_MINUS_SRC_ALPHA)}
GL_OVERLAY = {**GL_TRANSLUCENT, GL.GL_DEPTH_TEST: False}


def _rgba_array(colors, n: int, name: str = "colors") -> np.ndarray:
    """``colors`` (list of RGBA/RGB tuples, an (n, 3|4) array, or one colour) -> (n, 4) float32."""
    c = np.asarray(colors, dtype=np.float32)
    if c.ndim == 1 and c.size in (3, 4):
        c = np.broadcast_to(c, (n, c.size))
    if c.ndim != 2 or c.shape[1] not in (3, 4):
        if n == 0 and c.size == 0:
            return np.zeros((0, 4), np.float32)
        raise ValueError(f"{name} must be RGBA tuples (one per item), got shape {c.shape}")
    if len(c) == 1 and n != 1:
        c = np.broadcast_to(c, (n, c.shape[1]))
    if len(c) != n:
        raise ValueError(f"{name}: {len(c)} colours for {n} items")
    if c.shape[1] == 3:
        c = np.concatenate([c, np.ones((n, 1), np.float32)], 1)
    return np.ascontiguousarray(np.clip(c, 0.0, 1.0), dtype=np.float32)


def _marker_sizes(n: int, big: float) -> tuple[float, float]:
    """(core, halo) pixel sizes: full size for a few markers, smaller for hundreds."""
    core = big if n <= 50 else (0.7 * big if n <= 300 else 0.45 * big)
    return core, core + max(2.0, 0.4 * core)


def _points3(P, name: str) -> np.ndarray:
    P = np.asarray(P, dtype=float)
    if P.size == 0:
        return np.zeros((0, 3))
    if P.ndim != 2 or P.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, 3) (x, y, f), got {P.shape}")
    return P


class _GLView(gl.GLViewWidget):
    """GLViewWidget whose mouse handling asks the SurfaceView first (start-point dragging)."""

    def __init__(self, owner: "SurfaceView"):
        super().__init__()
        self._owner = owner
        self.setMouseTracking(True)
        self.setMinimumSize(200, 160)

    def paintGL(self):
        self._owner._before_paint()
        super().paintGL()

    def mousePressEvent(self, ev):
        super().mousePressEvent(ev)  # only records the position (for rotation)
        self._owner._press(ev)

    def mouseMoveEvent(self, ev):
        if self._owner._drag_index is not None:
            self.mousePos = ev.position()
            self._owner._drag_move(ev.position())
            ev.accept()
            return
        if ev.buttons() == Qt.MouseButton.NoButton:
            self._owner._hover(ev.position())
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev):
        if self._owner._drag_index is not None and ev.button() == Qt.MouseButton.LeftButton:
            self._owner._drag_end()
            ev.accept()
            return
        super().mouseReleaseEvent(ev)

    def leaveEvent(self, ev):
        self._owner._hover(None)
        super().leaveEvent(ev)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._owner._refit_camera()


class _ColorBar(QWidget):
    """Vertical colour bar with raw-value ticks (uneven when the height is log-compressed)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cmap = pg.colormap.get(COLORMAP)
        self._mapping: Optional[ViewMapping] = None
        self._title = "f"
        self.setMinimumWidth(96)
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    def sizeHint(self):
        return QSize(104, 260)

    def set_mapping(self, mapping: Optional[ViewMapping], title: str):
        self._mapping = mapping
        self._title = title
        self.update()

    def ticks(self) -> list[tuple[float, float]]:
        """(fraction 0..1, raw value) of each tick."""
        m = self._mapping
        if m is None:
            return []
        if m.log:
            return log_ticks(m)
        vals = nice_ticks(m.zmin, m.zmax, 6)
        fr = np.asarray(m.frac(vals), float)
        return [(float(t), float(v)) for t, v in zip(fr, vals) if -1e-9 <= t <= 1 + 1e-9]

    def paintEvent(self, ev):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(*BACKGROUND))
        fm = p.fontMetrics()
        top = fm.height() + 10
        bottom = self.height() - 10
        bar = QRectF(8, top, 16, max(bottom - top, 10))
        grad = QLinearGradient(bar.bottomLeft(), bar.topLeft())
        for t in np.linspace(0, 1, 17):
            r, g, b, a = self._cmap.map([t], mode="float")[0]
            grad.setColorAt(float(t), QColor.fromRgbF(float(r), float(g), float(b), 1.0))
        p.fillRect(bar, grad)
        p.setPen(QPen(QColor(*TEXT_COLOR), 1))
        p.drawRect(bar)
        p.drawText(QRectF(2, 2, self.width() - 4, fm.height() + 4),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._title)
        for t, v in self.ticks():
            y = bar.bottom() - t * bar.height()
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 5, y))
            p.drawText(QRectF(bar.right() + 8, y - fm.height() / 2, self.width() - bar.right() - 8,
                              fm.height()), Qt.AlignmentFlag.AlignVCenter, format_value(v))
        p.end()


class _Legend(QWidget):
    """Marker legend: critical-point kinds, best minimum, start points, arrows, step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._rows = [
            ("dot", KIND_COLORS["minimum"], None, "minimum"),
            ("dot", KIND_COLORS["minimum"], BEST_COLOR, "best minimum"),
            ("dot", KIND_COLORS["saddle"], None, "saddle"),
            ("dot", KIND_COLORS["maximum"], None, "maximum"),
            ("dot", KIND_COLORS["degenerate"], None, "degenerate"),
            ("dot", START_COLOR, None, "start (drag)"),
            ("arrow", ARROW_COLOR + (1.0,), None, "−∇f (downhill)"),
            ("line", STEP_COLOR, None, "one step"),
        ]
        fm = self.fontMetrics()
        self._row_h = max(fm.height() + 3, 16)
        self.setFixedSize(max(104, 30 + max(fm.horizontalAdvance(r[3]) for r in self._rows)),
                          self._row_h * len(self._rows) + 8)

    def paintEvent(self, ev):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(*BACKGROUND))
        for k, (shape, col, ring, text) in enumerate(self._rows):
            cy = 4 + k * self._row_h + self._row_h / 2
            c = QColor.fromRgbF(*col)
            if shape == "dot":
                if ring is not None:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(QColor.fromRgbF(*ring))
                    p.drawEllipse(QPointF(12, cy), 7.5, 7.5)
                p.setPen(QPen(QColor(10, 10, 10), 1.5))
                p.setBrush(c)
                p.drawEllipse(QPointF(12, cy), 4.5, 4.5)
            elif shape == "arrow":
                p.setPen(QPen(c, 1.6))
                p.drawLine(QPointF(4, cy), QPointF(20, cy))
                p.drawLine(QPointF(20, cy), QPointF(15, cy - 4))
                p.drawLine(QPointF(20, cy), QPointF(15, cy + 4))
            else:
                p.setPen(QPen(QColor(0, 0, 0), 5))
                p.drawLine(QPointF(4, cy), QPointF(20, cy))
                p.setPen(QPen(c, 2.5))
                p.drawLine(QPointF(4, cy), QPointF(20, cy))
            p.setPen(QColor(*TEXT_COLOR))
            p.drawText(QRectF(26, cy - self._row_h / 2, self.width() - 26, self._row_h),
                       Qt.AlignmentFlag.AlignVCenter, text)
        p.end()


class SurfaceView(QWidget):
    """3D surface with trajectories, markers, gradient field and draggable start points."""

    sig_start_dragged = Signal(int, float, float)
    """Start index, x, y while a start point is dragged (rate-limited to about 60 Hz)."""
    sig_start_drag_finished = Signal(int, float, float)
    """Start index, x, y when the drag ends (mouse released)."""
    sig_point_hovered = Signal(float, float)
    """x, y of the surface point under the mouse; not emitted when the mouse is off-surface."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cmap = pg.colormap.get(COLORMAP)
        self._names = ("x", "y")
        self._log_override: Optional[bool] = None
        self._map = ViewMapping()
        self._xs = self._ys = self._Z = None  # raw grid (Z with non-finite values filled)
        self._Zbad = None
        self._xsv = np.linspace(-1, 1, 2)
        self._ysv = np.linspace(-1, 1, 2)
        self._Zv = None
        self._field = None
        self._paths: list = []
        self._path_colors = np.zeros((0, 4), np.float32)
        self._highlight = -1
        self._positions = np.zeros((0, 3))
        self._position_colors = np.zeros((0, 4), np.float32)
        self._starts = np.zeros((0, 3))
        self._crit = (np.zeros((0, 3)), [], -1)
        self._step = None
        self._hover_start = -1
        # drag state
        self._drag_index: Optional[int] = None
        self._drag_xy = None
        self._last_emit = 0.0
        self._pending = None
        self._emit_timer = QTimer(self)
        self._emit_timer.setSingleShot(True)
        self._emit_timer.timeout.connect(self._flush_drag_emit)

        self._build_ui()
        self._build_items()
        self.set_camera("perspective")

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------
    def _build_ui(self):
        self._view = _GLView(self)
        self._view.setBackgroundColor(BACKGROUND)
        self._view.setToolTip("")

        tb = QToolBar("3D view", self)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._toolbar = tb
        self.action_top = tb.addAction("Top", lambda: self.set_camera("top"))
        self.action_top.setToolTip("Look straight down, like a contour map")
        self.action_perspective = tb.addAction("3D", lambda: self.set_camera("perspective"))
        self.action_perspective.setToolTip("Default 3D view")
        self.action_side = tb.addAction("Side", lambda: self.set_camera("side"))
        self.action_side.setToolTip("Low side view; across the current step when one is shown")
        tb.addSeparator()
        self.action_move_starts = tb.addAction("Move start points")
        self.action_move_starts.setCheckable(True)
        self.action_move_starts.setChecked(True)
        self.action_move_starts.setToolTip(
            "On: press on a white start point and drag to slide it along the surface;\n"
            "press anywhere else to rotate.  Off: every drag rotates.\n"
            "Shift+drag always moves the nearest start point.")
        self.action_move_starts.toggled.connect(self._update_hint)
        self.action_log = tb.addAction("Log height")
        self.action_log.setCheckable(True)
        self.action_log.setToolTip("Compress heights logarithmically (chosen automatically when\n"
                                   "the range is huge, e.g. Rosenbrock, Goldstein–Price)")
        self.action_log.toggled.connect(self.set_log_height)
        self.action_arrows = tb.addAction("Arrows")
        self.action_arrows.setCheckable(True)
        self.action_arrows.setChecked(True)
        self.action_arrows.setToolTip("Show the downhill direction −∇f as arrows on the floor")
        self.action_arrows.toggled.connect(self._apply_visibility)
        self.action_contours = tb.addAction("Contours")
        self.action_contours.setCheckable(True)
        self.action_contours.setChecked(True)
        self.action_contours.setToolTip("Iso-lines on the surface and on the floor")
        self.action_contours.toggled.connect(self._apply_visibility)

        self._colorbar = _ColorBar(self)
        self._legend = _Legend(self)
        side = QWidget(self)
        side.setAutoFillBackground(True)
        pal = side.palette()
        pal.setColor(side.backgroundRole(), QColor(*BACKGROUND))
        side.setPalette(pal)
        sl = QVBoxLayout(side)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.setSpacing(8)
        sl.addWidget(self._colorbar, 1)
        sl.addWidget(self._legend, 0)

        self._hint = QLabel(self)
        self._hint.setWordWrap(True)
        self._hint.setToolTip(HINT.replace(" · ", "\n"))
        self._hint.setStyleSheet("color: #8a8f9c; font-size: 11px;")
        self._readout = QLabel(self)
        self._readout.setStyleSheet("color: #c8ccd6; font-family: monospace;")
        self._readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._view, 1)
        row.addWidget(side, 0)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 0, 6, 2)
        bottom.addWidget(self._hint, 1)
        bottom.addWidget(self._readout, 0)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(tb)
        lay.addLayout(row, 1)
        lay.addLayout(bottom)
        self._update_hint()

    def _build_items(self):
        v = self._view
        self._surface = gl.GLSurfacePlotItem(computeNormals=False, smooth=True,
                                             glOptions=GL_SURFACE)
        self._surface.setDepthValue(0)
        self._iso = gl.GLLinePlotItem(mode="lines", width=1.0, glOptions=GL_TRANSLUCENT)
        self._iso.setDepthValue(1)
        self._floor = gl.GLLinePlotItem(mode="lines", width=1.0, glOptions=GL_TRANSLUCENT)
        self._floor.setDepthValue(-3)
        self._floor_iso = gl.GLLinePlotItem(mode="lines", width=1.0, glOptions=GL_TRANSLUCENT)
        self._floor_iso.setDepthValue(-2)
        self._arrows = gl.GLLinePlotItem(mode="lines", width=1.4, antialias=True,
                                         glOptions=GL_TRANSLUCENT)
        self._arrows.setDepthValue(-1)
        self._traj = gl.GLLinePlotItem(mode="lines", width=1.6, glOptions=GL_TRANSLUCENT)
        self._traj.setDepthValue(2)
        self._traj_hi_under = gl.GLLinePlotItem(mode="lines", width=6.0, glOptions=GL_TRANSLUCENT)
        self._traj_hi_under.setDepthValue(3)
        self._traj_hi = gl.GLLinePlotItem(mode="lines", width=3.5, glOptions=GL_TRANSLUCENT)
        self._traj_hi.setDepthValue(4)
        self._crit_drop = gl.GLLinePlotItem(mode="lines", width=1.0, glOptions=GL_TRANSLUCENT)
        self._crit_drop.setDepthValue(5)
        self._crit_floor = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_TRANSLUCENT)
        self._crit_floor.setDepthValue(5)
        self._crit_halo = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_TRANSLUCENT)
        self._crit_halo.setDepthValue(6)
        self._crit_core = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_TRANSLUCENT)
        self._crit_core.setDepthValue(7)
        self._pos_halo = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_TRANSLUCENT)
        self._pos_halo.setDepthValue(8)
        self._pos_core = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_TRANSLUCENT)
        self._pos_core.setDepthValue(9)
        self._start_halo = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_TRANSLUCENT)
        self._start_halo.setDepthValue(10)
        self._start_core = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_TRANSLUCENT)
        self._start_core.setDepthValue(11)
        # the step is the focus when shown: drawn over everything (a hill in front of it in
        # the side view must not hide it)
        self._step_profile = gl.GLLinePlotItem(mode="line_strip", width=2.0,
                                               glOptions=GL_OVERLAY)
        self._step_profile.setDepthValue(12)
        self._step_under = gl.GLLinePlotItem(mode="lines", width=6.0, glOptions=GL_OVERLAY)
        self._step_under.setDepthValue(13)
        self._step_line = gl.GLLinePlotItem(mode="lines", width=3.0, glOptions=GL_OVERLAY)
        self._step_line.setDepthValue(14)
        self._step_dots = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_OVERLAY)
        self._step_dots.setDepthValue(15)
        self._items = [self._surface, self._iso, self._floor, self._floor_iso, self._arrows,
                       self._traj, self._traj_hi_under, self._traj_hi, self._crit_drop,
                       self._crit_floor, self._crit_halo, self._crit_core, self._pos_halo,
                       self._pos_core, self._start_halo, self._start_core, self._step_profile,
                       self._step_under, self._step_line, self._step_dots]
        for it in self._items:
            it.setVisible(False)
            v.addItem(it)
        font = QFont()
        font.setPointSize(9)
        bold = QFont(font)
        bold.setPointSize(11)
        bold.setBold(True)
        self._font, self._bold = font, bold
        self._labels = []  # pool of text items: axis names and tick values on the floor
        for k in range(24):
            t = gl.GLTextItem(text="", color=QColor(*TEXT_COLOR), font=font)
            t.setDepthValue(20 + k)
            v.addItem(t)
            self._labels.append(t)
        self._frame_floor()

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------
    @property
    def gl_view(self) -> gl.GLViewWidget:
        """The pyqtgraph GLViewWidget (for tests and screenshots)."""
        return self._view

    @property
    def mapping(self) -> ViewMapping:
        """The current raw -> visual mapping."""
        return self._map

    def set_surface(self, xs, ys, Z) -> None:
        """Show ``Z[i, j] = f(xs[i], ys[j])`` (``indexing='ij'``), coloured by height.

        Non-finite values are filled (NaN/+inf with the maximum, -inf with the minimum) and
        drawn grey.  Everything else already shown is re-mapped to the new height scale.
        """
        xs = np.asarray(xs, float).ravel()
        ys = np.asarray(ys, float).ravel()
        Z = np.asarray(Z, float)
        if Z.shape != (len(xs), len(ys)):
            raise ValueError(f"Z must have shape (len(xs), len(ys)) = ({len(xs)}, {len(ys)}) "
                             f"with indexing='ij', got {Z.shape}")
        if len(xs) < 2 or len(ys) < 2:
            raise ValueError("the surface grid needs at least 2 x 2 points")
        ox, oy = np.argsort(xs, kind="stable"), np.argsort(ys, kind="stable")
        xs, ys, Z = xs[ox], ys[oy], Z[np.ix_(ox, oy)]
        Zf, bad = fill_nonfinite(Z)
        self._xs, self._ys, self._Z, self._Zbad = xs, ys, Zf, bad
        self._map = ViewMapping.for_surface(xs, ys, Z, log=self._log_override)
        self._sync_log_action()
        self._remap()

    def set_log_height(self, on: Optional[bool]) -> None:
        """Force log-compressed heights on/off; ``None`` lets each surface decide."""
        self._log_override = None if on is None else bool(on)
        if self._Z is None:
            self._sync_log_action()
            return
        if on is None:
            self._map = ViewMapping.for_surface(self._xs, self._ys, self._Z, log=None)
        elif bool(on) != self._map.log:
            self._map = self._map.with_log(bool(on))
        else:
            return
        self._sync_log_action()
        self._remap()

    def set_gradient_field(self, xs, ys, U, V) -> None:
        """Arrows of the downhill direction ``(U, V) = -grad f`` on the floor under the surface.

        ``U[i, j], V[i, j]`` at ``(xs[i], ys[j])`` (coarse grid, ``indexing='ij'``).  Lengths are
        normalised (the steepest arrow is about one grid cell, flat regions still show a
        direction); brightness grows with the slope.
        """
        xs = np.asarray(xs, float).ravel()
        ys = np.asarray(ys, float).ravel()
        U = np.asarray(U, float)
        V = np.asarray(V, float)
        if U.shape != (len(xs), len(ys)) or V.shape != U.shape:
            raise ValueError("U and V must have shape (len(xs), len(ys)) with indexing='ij'")
        self._field = (xs, ys, U, V)
        self._draw_field()

    def set_trajectories(self, paths: Sequence[np.ndarray], colors) -> None:
        """Draw every path (``(T_i, 3)`` raw x, y, f) on the surface, as ONE line item.

        ``colors``: one RGBA (0..1) per path.  Parts outside the domain box are clipped away.
        """
        paths = list(paths)
        self._path_colors = _rgba_array(colors, len(paths), "colors")
        self._paths = paths
        self._draw_trajectories()

    def set_positions(self, P, colors) -> None:
        """Current positions ``(N, 3)`` (raw x, y, f) as markers; ``colors`` one RGBA each."""
        P = _points3(P, "P")
        self._position_colors = _rgba_array(colors, len(P), "colors")
        self._positions = P
        self._draw_positions()

    def set_starts(self, S) -> None:
        """Start points ``(M, 3)`` (raw x, y, f), drawn white and draggable."""
        S = _points3(S, "S").copy()
        if self._drag_index is not None and self._drag_index >= len(S):
            self._drag_index = None
            self._view.unsetCursor()
        if self._drag_index is not None and self._drag_xy is not None:
            # keep the point under the mouse where the user is dragging it
            S[self._drag_index, :2] = self._drag_xy
            S[self._drag_index, 2] = self._height_at(*self._drag_xy)
        self._starts = S
        self._draw_starts()

    def set_critical_points(self, P, kinds: Sequence[str], best_index: int) -> None:
        """Critical points ``(K, 3)``: minima red, the best minimum with a gold ring, saddles
        orange, maxima blue, degenerate grey; a thin drop line marks each on the floor."""
        P = _points3(P, "P")
        kinds = list(kinds)
        if len(kinds) != len(P):
            raise ValueError(f"{len(kinds)} kinds for {len(P)} critical points")
        for k in kinds:
            if k not in KIND_COLORS:
                raise ValueError(f"unknown critical-point kind {k!r}; expected one of "
                                 f"{sorted(KIND_COLORS)}")
        self._crit = (P, kinds, int(best_index) if best_index is not None else -1)
        self._draw_critical()

    def highlight_run(self, index: int) -> None:
        """Emphasise trajectory ``index`` (thicker, brighter; the others dim); -1: none."""
        index = int(index) if index is not None else -1
        if index == self._highlight:
            return  # the main window calls this on every frame
        self._highlight = index
        self._draw_trajectories()

    def set_camera(self, preset: str) -> None:
        """``"top"`` (straight down, like a contour map), ``"perspective"`` (default) or
        ``"side"`` (low, horizontal; looks across the step arrow when one is shown)."""
        if preset not in CAMERA_PRESETS:
            raise ValueError(f"unknown camera preset {preset!r}; expected one of {CAMERA_PRESETS}")
        v = self._view
        H = self._map.height
        w, h = max(v.width(), 1), max(v.height(), 1)
        if preset == "top":
            fov = 20.0
            vhalf = self._half_fov(fov, w, h)
            d = H + 1.12 / math.tan(vhalf)
            v.setCameraParams(fov=fov)
            v.setCameraPosition(pos=pg.Vector(0, 0, 0.5 * H), distance=d - 0.5 * H,
                                elevation=90.0, azimuth=-90.0)
        elif preset == "perspective":
            fov = 45.0
            vhalf = self._half_fov(fov, w, h)
            R = math.sqrt(2.0 + (0.5 * (H - FLOOR_Z)) ** 2)
            v.setCameraParams(fov=fov)
            v.setCameraPosition(pos=pg.Vector(0, 0, 0.5 * (H + FLOOR_Z) - 0.05),
                                distance=0.82 * R / math.sin(vhalf), elevation=28.0,
                                azimuth=-62.0)
        else:
            fov = 40.0
            azim, cx, cy, cz = -90.0, 0.0, 0.0, 0.5 * (H + FLOOR_Z)
            vhalf = self._half_fov(fov, w, h)
            hhalf = math.radians(fov / 2)
            d = max(1.5 / math.tan(hhalf), 0.75 * (H - FLOOR_Z) / math.tan(vhalf)) + 1.5
            if self._step is not None:
                # look across the step (it runs left to right), centred on it, framed so it
                # spans about a quarter of the width but the neighbourhood stays in view
                a, b = self._step_visual()
                dx, dy = b[0] - a[0], b[1] - a[1]
                if math.hypot(dx, dy) > 1e-9:
                    azim = math.degrees(math.atan2(dy, dx)) - 90.0
                cx, cy = 0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])
                cz = 0.5 * (a[2] + b[2])
                span = min(max(4.0 * math.hypot(dx, dy), 1.2), 3.0)
                d = min(d, 0.5 * span / math.tan(hhalf) + 1.0)
            v.setCameraParams(fov=fov)
            v.setCameraPosition(pos=pg.Vector(cx, cy, cz), distance=d, elevation=8.0,
                                azimuth=azim)
        self._camera_preset = preset
        self._preset_camera = self.camera()
        v.update()

    def _refit_camera(self):
        """After a resize, re-frame the current preset unless the user moved the camera."""
        preset = getattr(self, "_camera_preset", None)
        if preset is not None and self.camera() == getattr(self, "_preset_camera", None):
            self.set_camera(preset)

    def set_step_arrow(self, p0, p1) -> None:
        """One descent step from ``p0`` to ``p1`` (each raw ``(x, y, f)``), drawn as a white
        arrow over the surface with the surface profile under it; ``None`` clears."""
        if p0 is None or p1 is None:
            self._step = None
        else:
            a = np.asarray(p0, float).reshape(3)
            b = np.asarray(p1, float).reshape(3)
            self._step = (a, b)
        self._draw_step()

    def set_axis_labels(self, names) -> None:
        """Names of the two inputs, e.g. ``("x", "y")`` or ``("a", "b")``."""
        names = tuple(str(n) for n in names)
        if len(names) != 2:
            raise ValueError("set_axis_labels needs two names")
        self._names = names
        self._frame_floor()
        self._colorbar.set_mapping(self._map if self._Z is not None else None, self._bar_title())

    def grab_image(self) -> QImage:
        """The GL framebuffer as a QImage (renders the current frame)."""
        return self._view.grabFramebuffer()

    # extras -----------------------------------------------------------------------------------
    def camera(self) -> dict:
        """Current camera: distance, elevation, azimuth, fov, center (x, y, z) in visual units."""
        o = self._view.opts
        c = o["center"]
        return {"distance": float(o["distance"]), "elevation": float(o["elevation"]),
                "azimuth": float(o["azimuth"]), "fov": float(o["fov"]),
                "center": (float(c.x()), float(c.y()), float(c.z()))}

    def screen_position(self, x: float, y: float, f: Optional[float] = None,
                        lift: float = 0.0) -> Optional[QPointF]:
        """Where the raw point ``(x, y, f)`` appears in the GL widget (logical pixels).

        ``f=None`` uses the surface height there.  ``None`` if behind the camera.
        """
        if f is None:
            z = self._surface_vis_z(self._map.vx(x), self._map.vy(y))
        else:
            z = float(self._map.vz(f))
        pts = self._project(np.array([[float(self._map.vx(x)), float(self._map.vy(y)), z + lift]]))
        if pts is None or not np.isfinite(pts[0]).all():
            return None
        return QPointF(float(pts[0, 0]), float(pts[0, 1]))

    def surface_point_at(self, pos: QPointF) -> Optional[tuple[float, float]]:
        """Raw ``(x, y)`` of the surface under widget position ``pos`` of the GL view, or None."""
        if self._Zv is None:
            return None
        o, d = self._ray(pos)
        hit = ray_height_field_intersection(o, d, self._xsv, self._ysv, self._Zv)
        if hit is None:
            return None
        return float(self._map.rx(hit[0])), float(self._map.ry(hit[1]))

    # ------------------------------------------------------------------------------------------
    # camera maths
    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _half_fov(fov_deg: float, w: int, h: int) -> float:
        """Smaller half-angle of the view (pyqtgraph's fov is horizontal)."""
        hh = math.radians(fov_deg / 2)
        vh = math.atan(math.tan(hh) * h / w)
        return min(hh, vh)

    def _mvp(self) -> np.ndarray:
        v = self._view
        w, h = max(v.width(), 1), max(v.height(), 1)
        P = v.projectionMatrix((0, 0, w, h), (0, 0, w, h))
        M = P * v.viewMatrix()
        return np.array(M.data(), dtype=float).reshape(4, 4).T  # column-major -> row-major

    def _project(self, pts_vis: np.ndarray) -> Optional[np.ndarray]:
        """(N, 3) visual points -> (N, 2) widget pixels (NaN where behind the camera)."""
        v = self._view
        w, h = max(v.width(), 1), max(v.height(), 1)
        M = self._mvp()
        hom = np.c_[pts_vis, np.ones(len(pts_vis))] @ M.T
        with np.errstate(divide="ignore", invalid="ignore"):
            ndc = hom[:, :3] / hom[:, 3:4]
        out = np.c_[(ndc[:, 0] + 1) * 0.5 * w, (1 - ndc[:, 1]) * 0.5 * h]
        out[hom[:, 3] <= 0] = np.nan
        return out

    def _ray(self, pos: QPointF):
        """Camera ray (origin, direction) through widget position ``pos``, visual coordinates."""
        v = self._view
        w, h = max(v.width(), 1), max(v.height(), 1)
        inv = np.linalg.inv(self._mvp())
        nx = 2.0 * pos.x() / w - 1.0
        ny = 1.0 - 2.0 * pos.y() / h
        a = inv @ np.array([nx, ny, -1.0, 1.0])
        b = inv @ np.array([nx, ny, 0.0, 1.0])
        a = a[:3] / a[3]
        b = b[:3] / b[3]
        cam = v.cameraPosition()
        origin = np.array([cam.x(), cam.y(), cam.z()], float)
        return origin, b - a

    # ------------------------------------------------------------------------------------------
    # mouse: dragging starts, hover readout
    # ------------------------------------------------------------------------------------------
    def _start_screen_positions(self) -> np.ndarray:
        if not len(self._starts):
            return np.zeros((0, 2))
        return self._project(self._starts_visual())

    def _pick_start(self, pos: QPointF, any_distance: bool) -> int:
        sp = self._start_screen_positions()
        if not len(sp):
            return -1
        d = np.hypot(sp[:, 0] - pos.x(), sp[:, 1] - pos.y())
        d = np.where(np.isfinite(d), d, np.inf)
        i = int(np.argmin(d))
        if not np.isfinite(d[i]):
            return -1
        if any_distance or d[i] <= PICK_RADIUS_PX + 6.0:
            return i
        return -1

    def _press(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton or self._Zv is None:
            return
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if not (shift or self.action_move_starts.isChecked()):
            return
        i = self._pick_start(ev.position(), any_distance=shift)
        if i < 0:
            return
        self._drag_index = i
        self._drag_xy = None
        self._last_emit = 0.0
        self._pending = None
        self._view.setCursor(Qt.CursorShape.ClosedHandCursor)
        ev.accept()
        if shift:
            self._drag_move(ev.position())

    def _drag_move(self, pos: QPointF):
        i = self._drag_index
        if i is None or i >= len(self._starts):
            return
        hit = self.surface_point_at(pos)
        if hit is None:
            # off the surface: slide along the plane at the marker's height, kept in the box
            o, d = self._ray(pos)
            zv = self._starts_visual()[i, 2]
            if abs(d[2]) < 1e-12:
                return
            t = (zv - o[2]) / d[2]
            if t <= 0:
                return
            px, py = o[0] + t * d[0], o[1] + t * d[1]
            px, py = float(np.clip(px, -1, 1)), float(np.clip(py, -1, 1))
            hit = (float(self._map.rx(px)), float(self._map.ry(py)))
        x, y = hit
        self._drag_xy = (x, y)
        self._starts[i] = (x, y, self._height_at(x, y))
        self._draw_starts()
        self._readout.setText(self._readout_text(x, y))
        now = time.monotonic()
        if now - self._last_emit >= DRAG_EMIT_INTERVAL:
            self._emit_timer.stop()
            self._pending = None
            self._last_emit = now
            self.sig_start_dragged.emit(i, x, y)
        else:
            self._pending = (i, x, y)
            if not self._emit_timer.isActive():
                wait = DRAG_EMIT_INTERVAL - (now - self._last_emit)
                self._emit_timer.start(max(1, int(math.ceil(wait * 1000))))

    def _flush_drag_emit(self):
        if self._pending is not None:
            i, x, y = self._pending
            self._pending = None
            self._last_emit = time.monotonic()
            self.sig_start_dragged.emit(i, x, y)

    def _drag_end(self):
        i = self._drag_index
        self._drag_index = None
        self._emit_timer.stop()
        self._flush_drag_emit()
        self._view.unsetCursor()
        if i is not None and i < len(self._starts):
            x, y = float(self._starts[i, 0]), float(self._starts[i, 1])
            self._drag_xy = None
            self.sig_start_drag_finished.emit(i, x, y)
        self._drag_xy = None

    def _hover(self, pos: Optional[QPointF]):
        if pos is None or self._Zv is None:
            self._set_hover_start(-1)
            self._readout.setText("")
            return
        near = -1
        if self.action_move_starts.isChecked():
            near = self._pick_start(pos, any_distance=False)
        self._set_hover_start(near)
        hit = self.surface_point_at(pos)
        if hit is None:
            self._readout.setText("")
            return
        self._readout.setText(self._readout_text(*hit))
        self.sig_point_hovered.emit(float(hit[0]), float(hit[1]))

    def _set_hover_start(self, i: int):
        if i == self._hover_start:
            return
        self._hover_start = i
        if i >= 0:
            self._view.setCursor(Qt.CursorShape.OpenHandCursor)
        elif self._drag_index is None:
            self._view.unsetCursor()
        self._draw_starts()

    def _readout_text(self, x: float, y: float) -> str:
        f = self._height_at(x, y)
        a, b = self._names
        return f"{a} = {format_value(x)}   {b} = {format_value(y)}   f ≈ {format_value(f)}"

    def _update_hint(self, *_):
        if self.action_move_starts.isChecked():
            self._hint.setText(HINT)
        else:
            self._hint.setText("Drag: rotate · Shift+drag: move the nearest start point · "
                               "wheel: zoom · Ctrl+drag: pan · (turn on “Move start points” "
                               "to grab a start by pressing on it)")

    # ------------------------------------------------------------------------------------------
    # mapping helpers
    # ------------------------------------------------------------------------------------------
    def _height_at(self, x: float, y: float) -> float:
        """Raw f at (x, y) by bilinear interpolation of the surface grid."""
        if self._Z is None:
            return float("nan")
        return float(bilinear(self._xs, self._ys, self._Z, x, y))

    def _surface_vis_z(self, vx, vy):
        if self._Zv is None:
            return 0.0
        return float(bilinear(self._xsv, self._ysv, self._Zv, vx, vy))

    def _starts_visual(self) -> np.ndarray:
        Sv = self._map.to_visual(self._starts)
        Sv[:, 2] += LIFT_MARKERS
        return Sv

    def _bar_title(self) -> str:
        a, b = self._names
        t = f"f({a}, {b})"
        return t + " (log)" if self._map.log else t

    def _sync_log_action(self):
        self.action_log.blockSignals(True)
        self.action_log.setChecked(self._map.log)
        self.action_log.blockSignals(False)

    def _remap(self):
        """Re-draw everything after the surface or its height mapping changed."""
        self._draw_surface()
        self._frame_floor()
        self._draw_field()
        self._draw_trajectories()
        self._draw_positions()
        self._draw_starts()
        self._draw_critical()
        self._draw_step()
        self._colorbar.set_mapping(self._map, self._bar_title())

    # ------------------------------------------------------------------------------------------
    # drawing
    # ------------------------------------------------------------------------------------------
    def _draw_surface(self):
        m = self._map
        self._xsv = m.vx(self._xs)
        self._ysv = m.vy(self._ys)
        frac = np.clip(m.frac(self._Z), 0.0, 1.0)
        Zv = frac * m.height
        self._Zv = Zv
        rgba = self._cmap.map(frac.ravel(), mode="float").astype(np.float32)
        # gentle Lambert shading from the upper left so the shape reads in 3D; colours stay
        # close to the colour bar (between 78 % and 100 % brightness)
        gx, gy = np.gradient(Zv, self._xsv, self._ysv)
        n = np.stack([-gx, -gy, np.ones_like(gx)], -1)
        n /= np.linalg.norm(n, axis=-1, keepdims=True)
        light = np.array([-0.45, -0.35, 0.82])
        light /= np.linalg.norm(light)
        lam = np.clip(n @ light, 0.0, 1.0).ravel()
        shade = 0.78 + 0.22 * lam
        rgba[:, :3] *= shade[:, None].astype(np.float32)
        if self._Zbad is not None and self._Zbad.any():
            rgba[self._Zbad.ravel()] = NAN_COLOR
        self._surface.setData(x=self._xsv.astype(np.float32), y=self._ysv.astype(np.float32),
                              z=Zv.astype(np.float32), colors=rgba)
        self._surface.setVisible(True)
        # iso-lines at the colour bar ticks' heights, on the surface and on the floor
        levels = np.linspace(0, m.height, 13)[1:-1]
        seg, which = contour_segments(self._xsv, self._ysv, Zv, levels)
        if len(seg):
            pos = np.empty((2 * len(seg), 3), np.float32)
            pos[:, :2] = seg.reshape(-1, 2)
            pos[:, 2] = np.repeat(levels[which], 2) + LIFT_LINES
            self._iso.setData(pos=pos, color=(0.0, 0.0, 0.0, 0.35))
            fpos = pos.copy()
            fpos[:, 2] = FLOOR_Z + 0.001
            col = self._cmap.map(np.repeat(levels[which] / m.height, 2), mode="float")
            col = col.astype(np.float32)
            col[:, 3] = 0.55
            self._floor_iso.setData(pos=fpos, color=col)
            self._has_contours = True
        else:
            self._has_contours = False
        self._apply_visibility()

    def _apply_visibility(self, *_):
        show_c = self.action_contours.isChecked() and getattr(self, "_has_contours", False)
        self._iso.setVisible(show_c)
        self._floor_iso.setVisible(show_c)
        self._arrows.setVisible(self.action_arrows.isChecked() and self._field is not None)

    def _frame_floor(self):
        """Floor rectangle, grid lines at round values, and axis names/ticks as text."""
        m = self._map
        z = FLOOR_Z
        segs = [((-1, -1), (1, -1)), ((1, -1), (1, 1)), ((1, 1), (-1, 1)), ((-1, 1), (-1, -1))]
        xt = nice_ticks(m.x0, m.x1, 5) if self._Z is not None else np.array([])
        yt = nice_ticks(m.y0, m.y1, 5) if self._Z is not None else np.array([])
        for t in xt:
            vx = float(m.vx(t))
            segs.append(((vx, -1), (vx, 1)))
        for t in yt:
            vy = float(m.vy(t))
            segs.append(((-1, vy), (1, vy)))
        pos = np.array([[p[0], p[1], z] for s in segs for p in s], np.float32)
        col = np.full((len(pos), 4), (0.55, 0.58, 0.65, 0.22), np.float32)
        col[:8] = (0.70, 0.73, 0.80, 0.8)
        self._floor.setData(pos=pos, color=col)
        self._floor.setVisible(True)
        # labels
        for t in self._labels:
            t.setData(text="")
        k = 0

        def put(text, p, font=None, color=TEXT_COLOR):
            nonlocal k
            if k >= len(self._labels):
                return
            self._labels[k].setData(text=text, pos=np.asarray(p, float), font=font or self._font,
                                    color=QColor(*color))
            k += 1

        if self._Z is None:
            return
        a, b = self._names
        put(a, (0.0, -1.28, z), self._bold)
        put(b, (1.22, 0.0, z), self._bold)
        for t in xt:
            put(format_value(t), (float(m.vx(t)) - 0.03, -1.12, z), None, (160, 165, 178))
        for t in yt:
            put(format_value(t), (1.06, float(m.vy(t)), z), None, (160, 165, 178))

    def _draw_field(self):
        if self._field is None:
            self._arrows.setVisible(False)
            return
        xs, ys, U, V = self._field
        m = self._map
        X, Y = np.meshgrid(m.vx(xs), m.vy(ys), indexing="ij")
        Uv = U * (2.0 / (m.x1 - m.x0))
        Vv = V * (2.0 / (m.y1 - m.y0))
        inside = (np.abs(X) <= 1 + 1e-9) & (np.abs(Y) <= 1 + 1e-9)
        Uv = np.where(inside, Uv, 0.0)
        Vv = np.where(inside, Vv, 0.0)
        cx = np.min(np.diff(np.unique(X))) if len(xs) > 1 else 0.2
        cy = np.min(np.diff(np.unique(Y))) if len(ys) > 1 else 0.2
        cell = float(min(cx, cy, 0.5))
        pos, strength = arrow_segments(X, Y, Uv, Vv, 0.9 * cell, z=FLOOR_Z + 0.004)
        col = np.empty((len(pos), 4), np.float32)
        col[:, :3] = ARROW_COLOR
        col[:, 3] = np.repeat(0.45 + 0.55 * np.sqrt(strength), 6)
        draped = pos.copy()
        dcol = col.copy()
        if self._Zv is not None:
            zs = bilinear(self._xsv, self._ysv, self._Zv, pos[:, 0], pos[:, 1])
            draped[:, 2] = zs + 2 * LIFT_LINES
            # on the bright (yellow/green) part of the colormap a light arrow vanishes: dark
            # arrows there, light ones on the dark part
            centre = zs.reshape(-1, 6)[:, 1] / self._map.height  # at each arrow's tip
            rgb = self._cmap.map(np.clip(centre, 0, 1), mode="float")[:, :3]
            lum = rgb @ np.array([0.2126, 0.7152, 0.0722])
            dark = np.repeat(lum > 0.45, 6)
            dcol[dark, :3] = (0.06, 0.06, 0.09)
        self._arrow_geometry = {"floor": (pos, col), "surface": (draped, dcol)}
        self._arrow_place = self._wanted_arrow_place()
        p, c = self._arrow_geometry[self._arrow_place]
        self._arrows.setData(pos=p, color=c)
        self._apply_visibility()

    def _wanted_arrow_place(self) -> str:
        """Arrows live on the floor, but from high above (top view) the surface hides the
        floor completely, so there they are draped over the surface instead."""
        return "surface" if self._view.opts["elevation"] > ARROWS_DRAPE_ELEVATION else "floor"

    def _before_paint(self):
        geo = getattr(self, "_arrow_geometry", None)
        if geo is None:
            return
        want = self._wanted_arrow_place()
        if want != self._arrow_place:
            self._arrow_place = want
            p, c = geo[want]
            self._arrows.setData(pos=p, color=c)

    def _draw_trajectories(self):
        paths = self._paths
        if not paths:
            self._traj.setVisible(False)
            self._traj_hi.setVisible(False)
            self._traj_hi_under.setVisible(False)
            return
        surf = (self._xsv, self._ysv, self._Zv) if self._Zv is not None else None
        pos, run, visible = trajectory_segments(paths, self._map, LIFT_LINES, surf)
        if not len(pos):
            self._traj.setVisible(False)
        else:
            # per-vertex colours: run of each vertex (cached on the path lengths)
            if getattr(self, "_run_ref", None) is not run:  # `run` is cached per lengths
                self._run_v = np.repeat(run, 2)
                self._run_ref = run
            col = np.take(self._path_colors, self._run_v, axis=0)
            h = self._highlight
            if 0 <= h < len(paths):
                col[:, 3] *= np.where(self._run_v == h, 0.0, 0.35)  # the highlight item draws h
            if not visible.all():
                col.reshape(-1, 2, 4)[~visible, :, 3] = 0.0
            self._traj.setData(pos=pos, color=col)
            self._traj.setVisible(True)
        h = self._highlight
        if 0 <= h < len(paths) and len(paths[h]) > 1:
            hp, _, hv = trajectory_segments([paths[h]], self._map, LIFT_LINES * 1.5, surf)
            c = self._path_colors[h].astype(float)
            bright = np.clip(0.55 * c[:3] + 0.45, 0, 1)
            hc = np.repeat(np.where(hv[:, None], np.r_[bright, 1.0][None, :], 0.0), 2, 0)
            uc = np.repeat(np.where(hv[:, None], np.array([[0.0, 0.0, 0.0, 0.85]]), 0.0), 2, 0)
            self._traj_hi.setData(pos=hp, color=hc.astype(np.float32))
            self._traj_hi_under.setData(pos=hp, color=uc.astype(np.float32))
            self._traj_hi.setVisible(True)
            self._traj_hi_under.setVisible(True)
        else:
            self._traj_hi.setVisible(False)
            self._traj_hi_under.setVisible(False)

    def _marker_visual(self, P: np.ndarray):
        """(visual (N, 3) float32, shown mask) for raw points; outside/non-finite hidden."""
        Pv = self._map.to_visual(P)
        ok = self._map.inside(P[:, 0], P[:, 1])
        Pv[:, 2] += LIFT_MARKERS
        Pv[~ok] = 0.0
        return np.ascontiguousarray(Pv, np.float32), ok

    def _marker_layout(self, P, base_size: float, core_item, halo_item):
        """Positions and sizes of a core+halo marker set (zero size outside the box), or
        None after hiding both items when there are no markers."""
        if not len(P):
            core_item.setVisible(False)
            halo_item.setVisible(False)
            return None
        Pv, ok = self._marker_visual(P)
        c, h = _marker_sizes(len(P), base_size)
        core = np.where(ok, c, 0.0).astype(np.float32)
        halo = np.where(ok, h, 0.0).astype(np.float32)
        return Pv, ok, core, halo

    @staticmethod
    def _show_markers(core_item, halo_item, Pv, core, halo, core_colors, halo_colors):
        halo_item.setData(pos=Pv, size=halo, color=halo_colors)
        core_item.setData(pos=Pv, size=core, color=core_colors)
        core_item.setVisible(True)
        halo_item.setVisible(True)

    def _draw_positions(self):
        layout = self._marker_layout(self._positions, 9.0, self._pos_core, self._pos_halo)
        if layout is None:
            return
        Pv, _ok, core, halo = layout
        hc = np.zeros((len(Pv), 4), np.float32)
        hc[:, 3] = 0.9
        self._show_markers(self._pos_core, self._pos_halo, Pv, core, halo, self._position_colors, hc)

    def _draw_starts(self):
        layout = self._marker_layout(self._starts, 10.0, self._start_core, self._start_halo)
        if layout is None:
            return
        Sv, ok, core, halo = layout
        n = len(Sv)
        hot = self._drag_index if self._drag_index is not None else self._hover_start
        if 0 <= hot < n and ok[hot]:
            core[hot], halo[hot] = 14.0, 19.0
        cc = np.tile(np.array(START_COLOR, np.float32), (n, 1))
        hc = np.tile(np.array((0.05, 0.05, 0.08, 0.95), np.float32), (n, 1))
        if 0 <= hot < n:
            hc[hot] = (1.0, 0.80, 0.10, 1.0)
        self._show_markers(self._start_core, self._start_halo, Sv, core, halo, cc, hc)

    def _draw_critical(self):
        P, kinds, best = self._crit
        items = (self._crit_core, self._crit_halo, self._crit_drop, self._crit_floor)
        if not len(P):
            for it in items:
                it.setVisible(False)
            return
        Pv, ok = self._marker_visual(P)
        n = len(P)
        cc = np.array([KIND_COLORS[k] for k in kinds], np.float32)
        core = np.where(ok, 10.0, 0.0).astype(np.float32)
        halo = np.where(ok, 14.0, 0.0).astype(np.float32)
        hc = np.tile(np.array((0.05, 0.05, 0.08, 0.95), np.float32), (n, 1))
        if 0 <= best < n and ok[best]:
            core[best], halo[best] = 13.0, 24.0
            hc[best] = BEST_COLOR
        self._crit_halo.setData(pos=Pv, size=halo, color=hc)
        self._crit_core.setData(pos=Pv, size=core, color=cc)
        drop = np.repeat(Pv, 2, axis=0)
        drop[1::2, 2] = FLOOR_Z + 0.004
        dc = np.repeat(cc, 2, axis=0)
        dc[:, 3] = np.repeat(np.where(ok, 0.55, 0.0), 2)
        self._crit_drop.setData(pos=drop, color=dc)
        fl = Pv.copy()
        fl[:, 2] = FLOOR_Z + 0.004
        fc = cc.copy()
        fc[:, 3] = 0.9
        self._crit_floor.setData(pos=fl, size=np.where(ok, 7.0, 0.0).astype(np.float32),
                                 color=fc)
        for it in items:
            it.setVisible(True)

    def _step_visual(self):
        a, b = self._step
        av = self._map.to_visual(a[None, :])[0]
        bv = self._map.to_visual(b[None, :])[0]
        # clip the end into the box (a divergent step must not draw to infinity)
        for p in (av, bv):
            p[:2] = np.clip(np.nan_to_num(p[:2], nan=0.0), -1.0, 1.0)
        return av, bv

    def _draw_step(self):
        items = (self._step_line, self._step_under, self._step_profile, self._step_dots)
        if self._step is None:
            for it in items:
                it.setVisible(False)
            return
        a, b = self._step_visual()
        a[2] += LIFT_MARKERS
        b[2] += LIFT_MARKERS
        d = b - a
        L = float(np.linalg.norm(d))
        segs = [a, b]
        if L > 1e-9:
            u = d / L
            up = np.array([0.0, 0.0, 1.0])
            hz = np.cross(u, up)
            if np.linalg.norm(hz) < 1e-6:
                hz = np.array([1.0, 0.0, 0.0])
            hz /= np.linalg.norm(hz)
            vt = np.cross(hz, u)
            head = min(0.3 * L, 0.08)
            c, s = math.cos(math.radians(24)), math.sin(math.radians(24))
            for w in (hz, -hz, vt, -vt):  # four wings: readable from the side and from above
                segs += [b, b - head * (c * u - s * w)]
        pos = np.array(segs, np.float32)
        self._step_line.setData(pos=pos, color=STEP_COLOR)
        self._step_under.setData(pos=pos, color=(0.0, 0.0, 0.0, 0.9))
        if self._Zv is not None:
            t = np.linspace(0, 1, 80)
            px = a[0] + t * (b[0] - a[0])
            py = a[1] + t * (b[1] - a[1])
            pz = bilinear(self._xsv, self._ysv, self._Zv, px, py) + LIFT_LINES * 2
            self._step_profile.setData(pos=np.c_[px, py, pz].astype(np.float32),
                                       color=(1.0, 1.0, 1.0, 0.55))
            self._step_profile.setVisible(True)
        else:
            self._step_profile.setVisible(False)
        self._step_dots.setData(pos=np.array([a, b], np.float32),
                                size=np.array([9.0, 6.0], np.float32),
                                color=np.array([STEP_COLOR, STEP_COLOR], np.float32))
        for it in (self._step_line, self._step_under, self._step_dots):
            it.setVisible(True)

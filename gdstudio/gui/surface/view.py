"""The 3D view: gradient descent on a height-coloured surface.

:class:`SurfaceView` is a QWidget holding the GL canvas (pyqtgraph's GL view in a native
window, :mod:`.widgets`), a toolbar (camera presets, "Move starts", "Log height", floor arrows,
contours, "Key") and a one-line hint below. The canvas paints the colour bar, the marker key and
the hover read-out over the scene (:mod:`.overlays`); nothing changes size when the mouse moves.
Public API (the main window codes against it):

* ``sig_start_dragged(int, float, float)`` -- start index, x, y while a start is dragged
  (at most about 60 per second); ``sig_start_drag_finished(int, float, float)`` on release;
  ``sig_point_hovered(float, float)`` -- x, y on the surface under the mouse.
* ``set_surface(xs, ys, Z)``, ``set_gradient_field(xs, ys, U, V)``,
  ``set_trajectories(paths, colors)``, ``set_positions(P, colors)``, ``set_starts(S)``,
  ``set_critical_points(P, kinds, best_index)``, ``highlight_run(index)``,
  ``set_camera(preset)``, ``set_step_arrow(p0, p1)``, ``show_internals(point, carried)``,
  ``set_axis_labels(names)``, ``grab_image() -> QImage``, ``draw_canvas_into(picture, widget)``.
* Extras: ``set_log_height(bool | None)``, ``screen_position(x, y, f)``,
  ``surface_point_at(QPointF)``, ``camera()``, ``mapping``, ``gl_view``, ``canvas_widget``,
  ``readout_text``.

All grids use ``indexing='ij'``: ``Z[i, j] = f(xs[i], ys[j])``.  Raw values go through one
:class:`~.mapping.ViewMapping` (x, y to [-1, 1], f to [0, 1], linear or log), so
everything drawn sits on the same surface.  Needs an OpenGL context: set
``Qt.AA_ShareOpenGLContexts`` before the QApplication exists.

The drawing is in :mod:`.layers`, the camera in :mod:`.camera`, the canvas and the hint line
in :mod:`.widgets`, what floats over the canvas in :mod:`.overlays`; this module is the public API and the mouse (dragging starts, hover).
"""

from __future__ import annotations

import math
import time
from typing import Optional, Sequence

import numpy as np
from PySide6.QtCore import QObject, QPoint, QPointF, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QHBoxLayout, QToolBar, QVBoxLayout, QWidget

from .camera import Camera
from .layers import Layers
from .mapping import ViewMapping, fill_nonfinite, ray_height_field_intersection
from .segments import format_value
from .style import (BACKGROUND, CAMERA_PRESETS, DRAG_EMIT_INTERVAL, HINT, KIND_COLORS, PICK_RADIUS_PX,
                    points3, rgba_array)
from .overlays import MARGIN, ColorBar, Legend, Readout
from .widgets import GLCanvas, HintLine

__all__ = ["SurfaceView", "KIND_COLORS", "CAMERA_PRESETS", "ray_height_field_intersection"]


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
        self._log_override: Optional[bool] = None
        # drag state
        self._drag_index: Optional[int] = None
        self._drag_xy = None
        self._hover_start = -1
        self._last_emit = 0.0
        self._pending = None
        self._emit_timer = QTimer(self)
        self._emit_timer.setSingleShot(True)
        self._emit_timer.timeout.connect(self._flush_drag_emit)
        self._camera: Optional[Camera] = None

        self._build_ui()
        self._layers = Layers(self._view)
        self._camera = Camera(self._view, self._layers)
        self.set_camera("perspective")

    # ------------------------------------------------------------------------------------------
    def _build_ui(self):
        self._view = GLCanvas(self)
        self._view.setBackgroundColor(BACKGROUND)
        self._canvas_box = QWidget.createWindowContainer(self._view, self)
        QObject.setParent(self._view, self._view.parent())  # the container owns it now, not Python
        self._canvas_box.setObjectName("surfaceCanvas")
        self._canvas_box.setMinimumSize(200, 160)
        self._canvas_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

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
        self.action_move_starts = tb.addAction("Move starts")
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
        self.action_arrows.toggled.connect(self._visibility_changed)
        self.action_contours = tb.addAction("Contours")
        self.action_contours.setCheckable(True)
        self.action_contours.setChecked(True)
        self.action_contours.setToolTip("Iso-lines on the surface and on the floor")
        self.action_contours.toggled.connect(self._visibility_changed)
        self.action_legend = tb.addAction("Key")
        self.action_legend.setCheckable(True)
        self.action_legend.setChecked(False)
        self.action_legend.setToolTip("Show the key to the markers and lines (minimum, saddle, start, "
                                      "−∇f, step) over the view")
        self.action_legend.toggled.connect(self._place_overlays)
        for a in tb.actions():
            w = tb.widgetForAction(a)
            if w is not None:
                w.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        # drawn over the scene by the canvas (translucent, not in any layout): the colour bar,
        # the key (folds away: toolbar "Key") and what the mouse points at (top left)
        self._colorbar, self._legend, self._readout = ColorBar(), Legend(), Readout()
        self._legend.visible = False
        self._view.overlays = [self._colorbar, self._legend, self._readout]
        self._hint = HintLine(self)
        self._hint.setObjectName("surfaceHint")

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(tb)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self._canvas_box, 3)
        # the side view's companion: f along the step's direction (shown with the side camera
        # while a step is drawn)
        from .section import StepSectionPlot

        self.section_plot = StepSectionPlot(self)
        self.section_plot.hide()
        row.addWidget(self.section_plot, 2)
        lay.addLayout(row, 1)
        lay.addWidget(self._hint)
        self._update_hint()
        # the toolbar never overflows: the view is at least as wide as its buttons
        self.setMinimumWidth(tb.sizeHint().width() + 4)

    # ------------------------------------------------------------------------------------------
    @property
    def gl_view(self) -> GLCanvas:
        """The GL canvas, pyqtgraph's GL view in a native window (for tests and screenshots)."""
        return self._view

    @property
    def canvas_widget(self) -> QWidget:
        """The widget that holds the canvas in the layout (its window container)."""
        return self._canvas_box

    @property
    def mapping(self) -> ViewMapping:
        """The current raw -> visual mapping."""
        return self._layers.map

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
        self._layers.xs, self._layers.ys, self._layers.Z, self._layers.Zbad = xs, ys, Zf, bad
        self._layers.map = ViewMapping.for_surface(xs, ys, Z, log=self._log_override)
        self._sync_log_action()
        self._remap()

    def set_log_height(self, on: Optional[bool]) -> None:
        """Force log-compressed heights on/off; ``None`` lets each surface decide."""
        self._log_override = None if on is None else bool(on)
        if self._layers.Z is None:
            self._sync_log_action()
            return
        if on is None:
            self._layers.map = ViewMapping.for_surface(self._layers.xs, self._layers.ys, self._layers.Z, log=None)
        elif bool(on) != self._layers.map.log:
            self._layers.map = self._layers.map.with_log(bool(on))
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
        self._layers.field = (xs, ys, U, V)
        self._layers.draw_field()

    def set_trajectories(self, paths: Sequence[np.ndarray], colors) -> None:
        """Draw every path (``(T_i, 3)`` raw x, y, f) on the surface, as ONE line item.

        ``colors``: one RGBA (0..1) per path.  Parts outside the domain box are clipped away.
        """
        paths = list(paths)
        self._layers.path_colors = rgba_array(colors, len(paths), "colors")
        self._layers.paths = paths
        self._layers.draw_trajectories()

    def set_positions(self, P, colors) -> None:
        """Current positions ``(N, 3)`` (raw x, y, f) as markers; ``colors`` one RGBA each."""
        P = points3(P, "P")
        self._layers.position_colors = rgba_array(colors, len(P), "colors")
        self._layers.positions = P
        self._layers.draw_positions()

    def set_starts(self, S) -> None:
        """Start points ``(M, 3)`` (raw x, y, f), drawn white and draggable."""
        S = points3(S, "S").copy()
        if self._drag_index is not None and self._drag_index >= len(S):
            self._drag_index = None
            self._view.unsetCursor()
        if self._drag_index is not None and self._drag_xy is not None:
            # keep the point under the mouse where the user is dragging it
            S[self._drag_index, :2] = self._drag_xy
            S[self._drag_index, 2] = self._layers.height_at(*self._drag_xy)
        self._layers.starts = S
        self._draw_starts()

    def set_critical_points(self, P, kinds: Sequence[str], best_index) -> None:
        """Critical points ``(K, 3)`` the runs found: minima red, saddles amber, maxima violet,
        degenerate tan; the lowest minimum found and its equals (``best_index``: an index or a
        sequence of indices, -1 none) with a white ring; a thin drop line marks each on the floor."""
        P = points3(P, "P")
        kinds = list(kinds)
        if len(kinds) != len(P):
            raise ValueError(f"{len(kinds)} kinds for {len(P)} critical points")
        for k in kinds:
            if k not in KIND_COLORS:
                raise ValueError(f"unknown critical-point kind {k!r}; expected one of "
                                 f"{sorted(KIND_COLORS)}")
        if best_index is None:
            best = ()
        elif np.ndim(best_index) == 0:
            best = (int(best_index),) if int(best_index) >= 0 else ()
        else:
            best = tuple(int(b) for b in best_index)
        self._layers.crit = (P, kinds, best)
        self._layers.draw_critical()

    def set_known_points(self, P, groups: Sequence[str]) -> None:
        """A preset's known critical points ``(K, 3)`` (raw x, y, f), drawn before any run with
        a hollow look: ``groups`` one of global, local, saddle, maximum, degenerate each (a
        global minimum is a solid gold disc; see app/known_points.py)."""
        P = points3(P, "P")
        groups = list(groups)
        if len(groups) != len(P):
            raise ValueError(f"{len(groups)} groups for {len(P)} known points")
        self._layers.known = (P, groups)
        self._layers.draw_critical()

    def highlight_run(self, index: int) -> None:
        """Emphasise trajectory ``index`` (thicker, brighter; the others dim); -1: none."""
        index = int(index) if index is not None else -1
        if index == self._layers.highlight:
            return  # the main window calls this on every frame
        self._layers.highlight = index
        self._layers.draw_trajectories()

    def set_camera(self, preset: str) -> None:
        """``"top"`` (straight down, like a contour map), ``"perspective"`` (default) or
        ``"side"`` (low, horizontal; looks across the step arrow when one is shown)."""
        self._camera.set_preset(preset)
        self._show_section()

    @property
    def camera_preset(self):
        """The camera preset in use while the person has not moved the camera, else None."""
        cam = self._camera
        return cam.preset if cam.preset is not None and cam.state() == cam._preset_state else None

    def set_step_section(self, section) -> None:
        """The cross-section of f along the current step (app/step_section.py), drawn beside
        the view while the side camera looks at the step; None: no step."""
        self.section_plot.show_section(section)
        self._show_section()

    def _show_section(self) -> None:
        on = self.section_plot.section is not None and self._camera.preset == "side"
        if on != self.section_plot.isVisible():
            self.section_plot.setVisible(on)

    def _refit_camera(self):
        """After a resize, re-frame the current preset unless the user moved the camera."""
        if self._camera is not None:  # the canvas resizes once before the camera exists
            self._camera.refit()

    def set_step_arrow(self, p0, p1) -> None:
        """One descent step from ``p0`` to ``p1`` (each raw ``(x, y, f)``), drawn as a white
        arrow over the surface with the surface profile under it; ``None`` clears."""
        if p0 is None or p1 is None:
            self._layers.step = None
        else:
            a = np.asarray(p0, float).reshape(3)
            b = np.asarray(p1, float).reshape(3)
            self._layers.step = (a, b)
        self._layers.draw_step()

    def show_internals(self, point, carried) -> None:
        """What the optimizer carries at the selected run's ``point`` (raw x, y; a list of
        core.internals.Carried, in x, y), drawn on the surface as on the map; None clears."""
        L = self._layers
        if point is None or not carried or L.xs is None:
            L.internals.show({})
            return
        from ...app.internals_view import internals_segments

        domain = ((float(L.xs[0]), float(L.xs[-1])), (float(L.ys[0]), float(L.ys[-1])))
        L.internals.show(internals_segments(point, carried, domain)[0])

    def set_axis_labels(self, names) -> None:
        """Names of the two inputs, e.g. ``("x", "y")`` or ``("a", "b")``."""
        names = tuple(str(n) for n in names)
        if len(names) != 2:
            raise ValueError("set_axis_labels needs two names")
        self._layers.names = names
        self._layers.frame_floor()
        self._colorbar.set_mapping(self._layers.map if self._layers.Z is not None else None, self._bar_title())
        self._place_overlays()

    def held(self):
        """``with view.held():`` -- the changes inside are drawn in one paint, at its end."""
        return self._view.held()

    def deferred(self):
        """``with view.deferred():`` -- the changes inside wait for the next paint."""
        return self._view.deferred()

    def grab_image(self) -> QImage:
        """The canvas as a QImage, overlays included (renders the current frame)."""
        return self._view.render_image()

    def draw_canvas_into(self, picture, widget: QWidget) -> None:
        """Draw the canvas into ``picture``, a ``widget.grab()`` of this view or of a widget
        holding it (a grab does not see the native GL window)."""
        box = self._canvas_box
        if not box.isVisible() or not (widget is box or widget.isAncestorOf(box)):
            return
        image = self.grab_image()
        if image.isNull():
            return
        p = QPainter(picture)
        p.drawImage(QRect(box.mapTo(widget, QPoint(0, 0)), box.size()), image)
        p.end()

    # extras -----------------------------------------------------------------------------------
    def camera(self) -> dict:
        """Current camera: distance, elevation, azimuth, fov, center (x, y, z) in visual units."""
        return self._camera.state()

    def screen_position(self, x: float, y: float, f: Optional[float] = None,
                        lift: float = 0.0) -> Optional[QPointF]:
        """Where the raw point ``(x, y, f)`` appears in the GL widget (logical pixels).

        ``f=None`` uses the surface height there.  ``None`` if behind the camera.
        """
        if f is None:
            z = self._layers.surface_vis_z(self._layers.map.vx(x), self._layers.map.vy(y))
        else:
            z = float(self._layers.map.vz(f))
        pts = self._camera.project(np.array([[float(self._layers.map.vx(x)), float(self._layers.map.vy(y)), z + lift]]))
        if pts is None or not np.isfinite(pts[0]).all():
            return None
        return QPointF(float(pts[0, 0]), float(pts[0, 1]))

    def surface_point_at(self, pos: QPointF) -> Optional[tuple[float, float]]:
        """Raw ``(x, y)`` of the surface under widget position ``pos`` of the GL view, or None."""
        if self._layers.Zv is None:
            return None
        o, d = self._camera.ray(pos)
        hit = ray_height_field_intersection(o, d, self._layers.xsv, self._layers.ysv, self._layers.Zv)
        if hit is None:
            return None
        return float(self._layers.map.rx(hit[0])), float(self._layers.map.ry(hit[1]))

    # ------------------------------------------------------------------------------------------
    # camera maths
    # ------------------------------------------------------------------------------------------
    def _pick_start(self, pos: QPointF, any_distance: bool) -> int:
        L = self._layers
        if not len(L.starts):
            return -1
        return self._camera.nearest(L.starts_visual(), pos, None if any_distance else PICK_RADIUS_PX + 6.0)

    def _press(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton or self._layers.Zv is None:
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
            self._drag_move(ev.position(), bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier))

    def snap(self, x: float, y: float) -> tuple[float, float]:
        """Where a start dragged with Ctrl held lands: on a preset's known critical point near
        it, else on round numbers: the map's rule (app/known_points.py: snap_point)."""
        from ...app.known_points import snap_point

        L = self._layers
        if L.xs is None:
            return x, y
        domain = ((float(L.xs[0]), float(L.xs[-1])), (float(L.ys[0]), float(L.ys[-1])))
        return snap_point(x, y, domain, L.known[0])

    def _drag_move(self, pos: QPointF, snap: bool = False):
        i = self._drag_index
        if i is None or i >= len(self._layers.starts):
            return
        hit = self.surface_point_at(pos)
        if hit is None:  # off the surface: slide along the plane at the marker's height
            on = self._camera.on_plane(pos, self._layers.starts_visual()[i, 2])
            if on is None:
                return
            hit = (float(self._layers.map.rx(on[0])), float(self._layers.map.ry(on[1])))
        x, y = hit
        if snap:  # Ctrl: onto a known point or round numbers, as on the map
            x, y = self.snap(x, y)
        self._drag_xy = (x, y)
        self._layers.starts[i] = (x, y, self._layers.height_at(x, y))
        self._draw_starts()
        self._show_readout(self._readout_text(x, y))
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
        if i is not None and i < len(self._layers.starts):
            x, y = float(self._layers.starts[i, 0]), float(self._layers.starts[i, 1])
            self._drag_xy = None
            self.sig_start_drag_finished.emit(i, x, y)
        self._drag_xy = None

    def _hover(self, pos: Optional[QPointF]):
        if pos is None or self._layers.Zv is None:
            self._set_hover_start(-1)
            self._show_readout("")
            return
        near = -1
        if self.action_move_starts.isChecked():
            near = self._pick_start(pos, any_distance=False)
        self._set_hover_start(near)
        hit = self.surface_point_at(pos)
        if hit is None:
            self._show_readout("")
            return
        self._show_readout(self._readout_text(*hit))
        self.sig_point_hovered.emit(float(hit[0]), float(hit[1]))

    def _show_readout(self, text: str) -> None:
        if self._readout.set_text(text):
            self._view.update()

    @property
    def readout_text(self) -> str:
        """What the hover read-out over the canvas shows ("" when hidden)."""
        return self._readout.text if self._readout.visible else ""

    def _place_overlays(self, *_):
        """Colour bar at the top right of the canvas, the key (when shown) at the bottom
        right; both sized to fit a small canvas."""
        if not hasattr(self, "action_legend"):
            return  # still being built
        v = self._view
        W, H = v.width(), v.height()
        cb = self._colorbar
        bar_w = cb.needed_width()
        cb.rect = QRect(W - bar_w - MARGIN, MARGIN, bar_w, int(min(260, max(90, 0.5 * H))))
        if self._camera is not None and self._camera.reserve_right_px != bar_w + 8:
            self._camera.reserve_right_px = bar_w + 8  # presets frame the surface beside it
            self._refit_camera()
        lg = self._legend
        lg.visible = self.action_legend.isChecked()
        lg.rect.moveTo(W - lg.rect.width() - MARGIN, max(MARGIN, H - lg.rect.height() - MARGIN))
        v.update()

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
        f = self._layers.height_at(x, y)
        a, b = self._layers.names
        return f"{a} = {format_value(x)}   {b} = {format_value(y)}   f ≈ {format_value(f)}"

    def _update_hint(self, *_):
        self._hint.set_hint(HINT if self.action_move_starts.isChecked() else (
            "Drag: rotate · Shift+drag: move the nearest start point · wheel: zoom · "
            "Ctrl+drag: pan · (turn on “Move starts” to grab a start by pressing on it)"))

    # ------------------------------------------------------------------------------------------
    # mapping helpers
    def _bar_title(self) -> str:
        a, b = self._layers.names
        t = f"f({a}, {b})"
        return t + " (log)" if self._layers.map.log else t

    def _sync_log_action(self):
        self.action_log.blockSignals(True)
        self.action_log.setChecked(self._layers.map.log)
        self.action_log.blockSignals(False)

    def _remap(self):
        """Re-draw everything after the surface or its height mapping changed."""
        self._layers.remap()
        self._colorbar.set_mapping(self._layers.map, self._bar_title())
        self._place_overlays()

    def _visibility_changed(self, *_):
        self._layers.show_arrows = self.action_arrows.isChecked()
        self._layers.show_contours = self.action_contours.isChecked()
        self._layers.apply_visibility()

    def _draw_starts(self):
        self._layers.hot_start = self._drag_index if self._drag_index is not None else self._hover_start
        self._layers.draw_starts()

    def _before_paint(self):
        self._layers.before_paint()

"""The drawn layers of the 3D view: every GL item (surface, iso-lines, floor, arrows,
trajectories, markers, critical points, the step) and the scene they show, in visual
coordinates through one :class:`~.mapping.ViewMapping`.

:class:`Layers` holds what is drawn; the :class:`~.view.SurfaceView` sets its fields and calls
the ``draw_*`` method of the layer that changed.  No mouse handling here.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtGui import QColor, QFont

from .internals_layer import InternalsLayer
from .labels import GLLabels
from .mapping import ViewMapping, bilinear, ray_height_field_intersection
from .segments import (arrow_segments, contour_segments, format_value, nice_ticks, step_arrow_segments,
                       trajectory_segments)
from .style import (ARROW_COLOR, BEST_COLOR, COLORMAP, FLOOR_Z, GL_OVERLAY, GL_SURFACE, GL_TRANSLUCENT,
                    KIND_COLORS, LIFT_LINES, LIFT_MARKERS, ARROWS_DRAPE_ELEVATION, NAN_COLOR, START_COLOR, STEP_COLOR, TEXT_COLOR,
                    marker_sizes)


class Layers:
    """The GL items of one canvas and the scene they draw (raw data and its visual form)."""

    def __init__(self, canvas: gl.GLViewWidget):
        self.canvas = canvas
        self.cmap = pg.colormap.get(COLORMAP)
        self.names = ("x", "y")
        self.map = ViewMapping()
        self.xs = self.ys = self.Z = None  # raw grid (Z with non-finite values filled)
        self.Zbad = None
        self.xsv = np.linspace(-1, 1, 2)
        self.ysv = np.linspace(-1, 1, 2)
        self.Zv = None
        self.field = None
        self.paths: list = []
        self.path_colors = np.zeros((0, 4), np.float32)
        self.highlight = -1
        self.positions = np.zeros((0, 3))
        self.position_colors = np.zeros((0, 4), np.float32)
        self.starts = np.zeros((0, 3))
        self.crit = (np.zeros((0, 3)), [], ())  # found points: (P, kinds, lowest-found indices)
        self.known = (np.zeros((0, 3)), [])  # a preset's known points: (P, groups), known_points.py
        self.step = None
        self.hot_start = -1  # the start under the mouse or being dragged (drawn larger, gold)
        self.show_contours = True
        self.show_arrows = True
        self._has_contours = False
        self._arrow_geometry = None
        self._arrow_place = "floor"
        self._run_ref = None
        self._marker_camera = None  # the camera the markers were last placed for
        self.slope = None
        self.build_items()

    def build_items(self):
        v = self.canvas
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
        # a few starts are drawn without the depth test, so the surface around them never
        # cuts into the disc (the depth-tested pair above draws hundreds of random starts)
        self._start_halo_top = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_OVERLAY)
        self._start_halo_top.setDepthValue(16)
        self._start_core_top = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_OVERLAY)
        self._start_core_top.setDepthValue(17)
        # the step is the focus when shown: drawn over everything (a hill in front of it in
        # the side view must not hide it)
        self._step_profile = gl.GLLinePlotItem(mode="line_strip", width=2.0,
                                               glOptions=GL_OVERLAY)
        # ... and over the start markers (16, 17): at an ordinary rate the step is short on
        # screen and the start's disc would cover it
        self._step_profile.setDepthValue(18)
        self._step_under = gl.GLLinePlotItem(mode="lines", width=6.0, glOptions=GL_OVERLAY)
        self._step_under.setDepthValue(19)
        self._step_line = gl.GLLinePlotItem(mode="lines", width=3.0, glOptions=GL_OVERLAY)
        self._step_line.setDepthValue(20)
        self._step_dots = gl.GLScatterPlotItem(pxMode=True, glOptions=GL_OVERLAY)
        self._step_dots.setDepthValue(21)
        self._items = [self._surface, self._iso, self._floor, self._floor_iso, self._arrows,
                       self._traj, self._traj_hi_under, self._traj_hi, self._crit_drop,
                       self._crit_floor, self._crit_halo, self._crit_core, self._pos_halo,
                       self._pos_core, self._start_halo, self._start_core, self._start_halo_top,
                       self._start_core_top, self._step_profile,
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
        # drawn once per look while runs move (static_cache.py)
        v.static_cache.register(self._surface, self._iso, self._floor, self._floor_iso, self._arrows)
        self._labels = GLLabels()  # axis names and tick values on the floor
        self._labels.setDepthValue(20)
        v.addItem(self._labels)
        self.frame_floor()
        self.internals = InternalsLayer(self)  # inside the optimizer, at the selected run's point

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------
    def height_at(self, x: float, y: float) -> float:
        """Raw f at (x, y) by bilinear interpolation of the surface grid."""
        if self.Z is None:
            return float("nan")
        return float(bilinear(self.xs, self.ys, self.Z, x, y))

    def surface_vis_z(self, vx, vy):
        if self.Zv is None:
            return 0.0
        return float(bilinear(self.xsv, self.ysv, self.Zv, vx, vy))

    def surface_vis_z_many(self, vx, vy) -> np.ndarray:
        """Visual surface heights at visual points (arrays)."""
        if self.Zv is None:
            return np.zeros(np.shape(vx))
        return np.asarray(bilinear(self.xsv, self.ysv, self.Zv, np.asarray(vx, float), np.asarray(vy, float)))

    def starts_visual(self) -> np.ndarray:
        Sv = self.map.to_visual(self.starts)
        Sv[:, 2] += LIFT_MARKERS
        return Sv

    def remap(self):
        """Re-draw everything after the surface or its height mapping changed."""
        self.draw_surface()
        self.frame_floor()
        self.draw_field()
        self.draw_trajectories()
        self.draw_positions()
        self.draw_starts()
        self.draw_critical()
        self.draw_step()
        self.internals.redraw()

    # ------------------------------------------------------------------------------------------
    # drawing
    # ------------------------------------------------------------------------------------------
    def draw_surface(self):
        m = self.map
        self.xsv = m.vx(self.xs)
        self.ysv = m.vy(self.ys)
        frac = np.clip(m.frac(self.Z), 0.0, 1.0)
        Zv = frac * m.height
        self.Zv = Zv
        rgba = self.cmap.map(frac.ravel(), mode="float").astype(np.float32)
        # gentle Lambert shading from the upper left so the shape reads in 3D; colours stay
        # close to the colour bar (between 78 % and 100 % brightness)
        gx, gy = np.gradient(Zv, self.xsv, self.ysv)
        self.slope = np.hypot(gx, gy)  # how steep the drawn surface is (markers keep clear of it)
        n = np.stack([-gx, -gy, np.ones_like(gx)], -1)
        n /= np.linalg.norm(n, axis=-1, keepdims=True)
        light = np.array([-0.45, -0.35, 0.82])
        light /= np.linalg.norm(light)
        lam = np.clip(n @ light, 0.0, 1.0).ravel()
        shade = 0.78 + 0.22 * lam
        rgba[:, :3] *= shade[:, None].astype(np.float32)
        if self.Zbad is not None and self.Zbad.any():
            rgba[self.Zbad.ravel()] = NAN_COLOR
        self._surface.setData(x=self.xsv.astype(np.float32), y=self.ysv.astype(np.float32),
                              z=Zv.astype(np.float32), colors=rgba)
        self._surface.setVisible(True)
        # iso-lines at the colour bar ticks' heights, on the surface and on the floor
        levels = np.linspace(0, m.height, 13)[1:-1]
        seg, which = contour_segments(self.xsv, self.ysv, Zv, levels)
        if len(seg):
            pos = np.empty((2 * len(seg), 3), np.float32)
            pos[:, :2] = seg.reshape(-1, 2)
            pos[:, 2] = np.repeat(levels[which], 2) + LIFT_LINES
            self._iso.setData(pos=pos, color=(0.0, 0.0, 0.0, 0.35))
            fpos = pos.copy()
            fpos[:, 2] = FLOOR_Z + 0.001
            col = self.cmap.map(np.repeat(levels[which] / m.height, 2), mode="float")
            col = col.astype(np.float32)
            col[:, 3] = 0.55
            self._floor_iso.setData(pos=fpos, color=col)
            self._has_contours = True
        else:
            self._has_contours = False
        self.apply_visibility()

    def apply_visibility(self, *_):
        show_c = self.show_contours and self._has_contours
        self._iso.setVisible(show_c)
        self._floor_iso.setVisible(show_c)
        self._arrows.setVisible(self.show_arrows and self.field is not None)

    def frame_floor(self):
        """Floor rectangle, grid lines at round values, and axis names/ticks as text."""
        m = self.map
        z = FLOOR_Z
        segs = [((-1, -1), (1, -1)), ((1, -1), (1, 1)), ((1, 1), (-1, 1)), ((-1, 1), (-1, -1))]
        xt = nice_ticks(m.x0, m.x1, 5) if self.Z is not None else np.array([])
        yt = nice_ticks(m.y0, m.y1, 5) if self.Z is not None else np.array([])
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
        if self.Z is None:
            self._labels.set_labels([])
            return
        a, b = self.names
        ticks = QColor(160, 165, 178)
        self._labels.set_labels(
            [(a, (0.0, -1.28, z), self._bold, QColor(*TEXT_COLOR)), (b, (1.22, 0.0, z), self._bold, QColor(*TEXT_COLOR))]
            + [(format_value(t), (float(m.vx(t)) - 0.03, -1.12, z), self._font, ticks) for t in xt]
            + [(format_value(t), (1.06, float(m.vy(t)), z), self._font, ticks) for t in yt])

    def draw_field(self):
        if self.field is None:
            self._arrows.setVisible(False)
            return
        xs, ys, U, V = self.field
        m = self.map
        X, Y = np.meshgrid(m.vx(xs), m.vy(ys), indexing="ij")
        Uv = U * (2.0 / (m.x1 - m.x0))
        Vv = V * (2.0 / (m.y1 - m.y0))
        inside = (np.abs(X) <= 1 + 1e-9) & (np.abs(Y) <= 1 + 1e-9)
        Uv = np.where(inside, Uv, 0.0)
        Vv = np.where(inside, Vv, 0.0)
        # with a domain near ±1e308 the visual coordinates collapse (the width overflows),
        # and np.min of no differences would raise inside the paint
        dx, dy = np.diff(np.unique(X)), np.diff(np.unique(Y))
        cx = float(np.min(dx)) if dx.size else 0.2
        cy = float(np.min(dy)) if dy.size else 0.2
        cell = float(min(cx, cy, 0.5))
        if not np.isfinite(cell) or cell <= 0:
            cell = 0.2
        pos, strength = arrow_segments(X, Y, Uv, Vv, 0.9 * cell, z=FLOOR_Z + 0.004)
        col = np.empty((len(pos), 4), np.float32)
        col[:, :3] = ARROW_COLOR
        col[:, 3] = np.repeat(0.45 + 0.55 * np.sqrt(strength), 6)
        draped = pos.copy()
        dcol = col.copy()
        if self.Zv is not None:
            zs = bilinear(self.xsv, self.ysv, self.Zv, pos[:, 0], pos[:, 1])
            draped[:, 2] = zs + 2 * LIFT_LINES
            # on the bright (yellow/green) part of the colormap a light arrow vanishes: dark
            # arrows there, light ones on the dark part
            centre = zs.reshape(-1, 6)[:, 1] / self.map.height  # at each arrow's tip
            rgb = self.cmap.map(np.clip(centre, 0, 1), mode="float")[:, :3]
            lum = rgb @ np.array([0.2126, 0.7152, 0.0722])
            dark = np.repeat(lum > 0.45, 6)
            dcol[dark, :3] = (0.06, 0.06, 0.09)
        self._arrow_geometry = {"floor": (pos, col), "surface": (draped, dcol)}
        self._arrow_place = self.wanted_arrow_place()
        p, c = self._arrow_geometry[self._arrow_place]
        self._arrows.setData(pos=p, color=c)
        self.apply_visibility()

    def wanted_arrow_place(self) -> str:
        """Arrows live on the floor, but from high above (top view) the surface hides the
        floor completely, so there they are draped over the surface instead."""
        return "surface" if self.canvas.opts["elevation"] > ARROWS_DRAPE_ELEVATION else "floor"

    def before_paint(self):
        key = self.camera_key()
        if self._marker_camera != key:
            # the camera moved: the markers' offsets toward it follow. The key is kept here,
            # once every marker layer is redrawn, not by each layer: a layer drawn after a
            # camera change must not mark the others (placed for the old camera) as current,
            # or they stay off their pixels (the side view's start disc sat 90 px below the
            # step arrow it starts)
            self._marker_camera = key
            self.draw_positions()
            self.draw_starts()
            self.draw_critical()
        geo = self._arrow_geometry
        if geo is None:
            return
        want = self.wanted_arrow_place()
        if want != self._arrow_place:
            self._arrow_place = want
            p, c = geo[want]
            self._arrows.setData(pos=p, color=c)

    def draw_trajectories(self):
        paths = self.paths
        if not paths:
            self._traj.setVisible(False)
            self._traj_hi.setVisible(False)
            self._traj_hi_under.setVisible(False)
            return
        surf = (self.xsv, self.ysv, self.Zv) if self.Zv is not None else None
        pos, run, visible = trajectory_segments(paths, self.map, LIFT_LINES, surf)
        if not len(pos):
            self._traj.setVisible(False)
        else:
            # per-vertex colours: run of each vertex (cached on the path lengths)
            if self._run_ref is not run:  # `run` is cached per lengths
                self._run_v = np.repeat(run, 2)
                self._run_ref = run
            col = np.take(self.path_colors, self._run_v, axis=0)
            h = self.highlight
            if 0 <= h < len(paths):
                col[:, 3] *= np.where(self._run_v == h, 0.0, 0.35)  # the highlight item draws h
            if not visible.all():
                col.reshape(-1, 2, 4)[~visible, :, 3] = 0.0
            self._traj.setData(pos=pos, color=col)
            self._traj.setVisible(True)
        h = self.highlight
        if 0 <= h < len(paths) and len(paths[h]) > 1:
            hp, _, hv = trajectory_segments([paths[h]], self.map, LIFT_LINES * 1.5, surf)
            c = self.path_colors[h].astype(float)
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

    def marker_visual(self, P: np.ndarray, size_px: float = 14.0):
        """(visual (N, 3) float32, shown mask) for raw points; outside/non-finite hidden.

        A marker is a flat disc drawn at its centre's depth, so a surface rising toward the
        camera within its radius would hide part of it. Each marker is moved toward the
        camera along its own line of sight, by about its radius at that distance: it stays
        on the same pixel (picking is unchanged) and is drawn whole, while a hill really in
        front of it still hides it."""
        Pv = self.map.to_visual(P)
        ok = self.map.inside(P[:, 0], P[:, 1])
        Pv[:, 2] += LIFT_MARKERS
        Pv[~ok] = 0.0
        Pv = self.toward_camera(Pv, size_px)
        return np.ascontiguousarray(Pv, np.float32), ok

    def camera_key(self):
        o = self.canvas.opts
        c = o["center"]
        return (o["distance"], o["elevation"], o["azimuth"], o["fov"], c.x(), c.y(), c.z(),
                self.canvas.width(), self.canvas.height())

    def toward_camera(self, Pv: np.ndarray, size_px: float) -> np.ndarray:
        if not len(Pv):
            return Pv
        eye = self._eye()
        d = eye[None, :] - Pv
        dist = np.maximum(np.linalg.norm(d, axis=1), 1e-9)
        return Pv + d * (self._forward(Pv, dist, size_px) / dist)[:, None]

    def _eye(self) -> np.ndarray:
        cam = self.canvas.cameraPosition()
        return np.array([cam.x(), cam.y(), cam.z()], float)

    def _forward(self, Pv: np.ndarray, dist: np.ndarray, size_px: float) -> np.ndarray:
        """How far a marker moves toward the camera: about its radius at that distance (world
        units per pixel from pyqtgraph's horizontal fov), more on steep slopes, where the
        surface just above it on screen is nearer than its centre."""
        wpp = 2.0 * dist * math.tan(math.radians(self.canvas.opts["fov"]) / 2) / max(self.canvas.width(), 1)
        steep = 0.0
        if self.slope is not None:
            steep = bilinear(self.xsv, self.ysv, self.slope, Pv[:, 0], Pv[:, 1])
        return np.minimum(0.5 * dist, (0.5 * size_px + 2.0) * wpp * (2.5 + 2.0 * steep))

    def marker_layout(self, P, base_size: float, core_item, halo_item):
        """Positions and sizes of a core+halo marker set (zero size outside the box), or
        None after hiding both items when there are no markers."""
        if not len(P):
            core_item.setVisible(False)
            halo_item.setVisible(False)
            return None
        c, h = marker_sizes(len(P), base_size)
        Pv, ok = self.marker_visual(P, max(h, 19.0 if core_item is self._start_core else h))
        core = np.where(ok, c, 0.0).astype(np.float32)
        halo = np.where(ok, h, 0.0).astype(np.float32)
        return Pv, ok, core, halo

    @staticmethod
    def show_markers(core_item, halo_item, Pv, core, halo, core_colors, halo_colors):
        halo_item.setData(pos=Pv, size=halo, color=halo_colors)
        core_item.setData(pos=Pv, size=core, color=core_colors)
        core_item.setVisible(True)
        halo_item.setVisible(True)

    def draw_positions(self):
        layout = self.marker_layout(self.positions, 9.0, self._pos_core, self._pos_halo)
        if layout is None:
            return
        Pv, _ok, core, halo = layout
        hc = np.zeros((len(Pv), 4), np.float32)
        hc[:, 3] = 0.9
        self.show_markers(self._pos_core, self._pos_halo, Pv, core, halo, self.position_colors, hc)

    def draw_starts(self):
        layout = self.marker_layout(self.starts, 10.0, self._start_core, self._start_halo)
        if layout is None:
            self._start_core_top.setVisible(False)
            self._start_halo_top.setVisible(False)
            return
        Sv, ok, core, halo = layout
        n = len(Sv)
        hot = self.hot_start
        if 0 <= hot < n and ok[hot]:
            core[hot], halo[hot] = 14.0, 19.0
        cc = np.tile(np.array(START_COLOR, np.float32), (n, 1))
        hc = np.tile(np.array((0.05, 0.05, 0.08, 0.95), np.float32), (n, 1))
        if 0 <= hot < n:
            hc[hot] = (1.0, 0.80, 0.10, 1.0)
        if n > 50:  # many random starts: depth-tested like the positions
            self._start_core_top.setVisible(False)
            self._start_halo_top.setVisible(False)
            self.show_markers(self._start_core, self._start_halo, Sv, core, halo, cc, hc)
            return
        # a few starts are drawn over the surface (never cut into); one behind a hill is
        # drawn faint, so it can still be found and grabbed
        seen = self.in_plain_sight(self.starts)
        cc[~seen, 3] = 0.35
        hc[~seen, 3] = 0.3
        self._start_core.setVisible(False)
        self._start_halo.setVisible(False)
        self.show_markers(self._start_core_top, self._start_halo_top, Sv, core, halo, cc, hc)

    def in_plain_sight(self, P: np.ndarray) -> np.ndarray:
        """Whether the line from the camera to each raw point (on the surface, lifted like a
        marker) reaches it before the surface: a ray cast per point, for the few starts."""
        out = np.zeros(len(P), bool)
        if self.Zv is None or not len(P):
            return out
        V = self.map.to_visual(P)
        V[:, 2] += LIFT_MARKERS
        eye = self._eye()
        dist = np.maximum(np.linalg.norm(V - eye[None, :], axis=1), 1e-9)
        # a surface crossing within the marker's own forward move does not hide it
        tol = self._forward(V, dist, 19.0) + 0.04
        for k, p in enumerate(V):
            if not np.all(np.isfinite(p)):
                continue
            d = p - eye
            hit = ray_height_field_intersection(eye, d, self.xsv, self.ysv, self.Zv)
            if hit is None:
                out[k] = True
                continue
            # the hit's share of the way to the point, from its horizontal position
            axis = 0 if abs(d[0]) >= abs(d[1]) else 1
            t = (hit[axis] - eye[axis]) / d[axis] if abs(d[axis]) > 1e-12 else 1.0
            out[k] = (1.0 - t) * dist[k] <= tol[k]
        return out

    def draw_critical(self):
        """The known points of a preset (a gold disc for a global minimum, the others hollow) and the
        points the runs found (filled; the lowest found and its equals with a white ring)."""
        Pf, kinds, best = self.crit
        Pk, groups = self.known
        items = (self._crit_core, self._crit_halo, self._crit_drop, self._crit_floor)
        P = np.concatenate([np.asarray(Pk, float).reshape(-1, 3), np.asarray(Pf, float).reshape(-1, 3)])
        if not len(P):
            for it in items:
                it.setVisible(False)
            return
        Pv, ok = self.marker_visual(P, 24.0)
        n, nk = len(P), len(Pk)
        kind_of_group = {"global": "minimum", "local": "minimum"}
        all_kinds = [kind_of_group.get(g, g) for g in groups] + list(kinds)
        cc = np.array([KIND_COLORS[k] for k in all_kinds], np.float32)
        core = np.where(ok, 10.0, 0.0).astype(np.float32)
        halo = np.where(ok, 14.0, 0.0).astype(np.float32)
        hc = np.tile(np.array((0.05, 0.05, 0.08, 0.95), np.float32), (n, 1))
        for k, g in enumerate(groups):
            if g == "global":  # a solid gold disc in a dark ring: nothing else looks like it
                cc[k] = BEST_COLOR
                core[k], halo[k] = 15.0, 20.0
            else:  # known, not global: a thin ring of the kind's colour round a dark core
                hc[k] = cc[k]
                cc[k] = (0.05, 0.05, 0.08, 0.95)
                core[k], halo[k] = 8.0, 12.0
        for b in best:
            k = nk + int(b)
            if 0 <= k < n:
                core[k], halo[k] = 12.0, 22.0
                hc[k] = (1.0, 1.0, 1.0, 1.0)
        core[~ok] = 0.0
        halo[~ok] = 0.0
        self._crit_halo.setData(pos=Pv, size=halo, color=hc)
        self._crit_core.setData(pos=Pv, size=core, color=cc)
        P0 = self.map.to_visual(P)  # the drop line and the floor mark stand at the true x, y
        P0[:, 2] += LIFT_MARKERS
        P0[~ok] = 0.0
        P0 = P0.astype(np.float32)
        drop = np.repeat(P0, 2, axis=0)
        drop[1::2, 2] = FLOOR_Z + 0.004
        lc = np.array([KIND_COLORS[k] for k in all_kinds], np.float32)
        dc = np.repeat(lc, 2, axis=0)
        dc[:, 3] = np.repeat(np.where(ok, 0.55, 0.0), 2)
        self._crit_drop.setData(pos=drop, color=dc)
        fl = P0.copy()
        fl[:, 2] = FLOOR_Z + 0.004
        fc = lc.copy()
        fc[:, 3] = 0.9
        self._crit_floor.setData(pos=fl, size=np.where(ok, 7.0, 0.0).astype(np.float32),
                                 color=fc)
        for it in items:
            it.setVisible(True)

    def step_visual(self):
        a, b = self.step
        av = self.map.to_visual(a[None, :])[0]
        bv = self.map.to_visual(b[None, :])[0]
        # clip the end into the box (a divergent step must not draw to infinity)
        for p in (av, bv):
            p[:2] = np.clip(np.nan_to_num(p[:2], nan=0.0), -1.0, 1.0)
        return av, bv

    def draw_step(self):
        items = (self._step_line, self._step_under, self._step_profile, self._step_dots)
        if self.step is None:
            for it in items:
                it.setVisible(False)
            return
        a, b = self.step_visual()
        a[2] += LIFT_MARKERS
        b[2] += LIFT_MARKERS
        pos = step_arrow_segments(a, b).astype(np.float32)
        self._step_line.setData(pos=pos, color=STEP_COLOR)
        self._step_under.setData(pos=pos, color=(0.0, 0.0, 0.0, 0.9))
        if self.Zv is not None:
            t = np.linspace(0, 1, 80)
            px = a[0] + t * (b[0] - a[0])
            py = a[1] + t * (b[1] - a[1])
            pz = bilinear(self.xsv, self.ysv, self.Zv, px, py) + LIFT_LINES * 2
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

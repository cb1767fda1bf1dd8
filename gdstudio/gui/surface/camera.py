"""The 3D view's camera: presets framed to the widget's shape, and the projection maths
(visual point -> pixel, pixel -> ray) that picking and dragging use."""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtCore import QPointF

from .style import CAMERA_PRESETS, FLOOR_Z

#: the side view's elevation (degrees): low, looking across the surface
SIDE_ELEVATION = 8.0


class Camera:
    """Camera of one canvas; ``layers`` gives the surface height and the step to frame."""

    def __init__(self, canvas: gl.GLViewWidget, layers):
        self.canvas = canvas
        self.layers = layers
        self.preset: Optional[str] = None
        self._preset_state: Optional[dict] = None
        #: pixels on the right the presets keep clear (the colour bar floats there)
        self.reserve_right_px = 0.0

    def set_preset(self, preset: str) -> None:
        """``"top"`` (straight down, like a contour map), ``"perspective"`` (default) or
        ``"side"`` (low, horizontal; looks across the step arrow when one is shown)."""
        if preset not in CAMERA_PRESETS:
            raise ValueError(f"unknown camera preset {preset!r}; expected one of {CAMERA_PRESETS}")
        v = self.canvas
        H = self.layers.map.height
        mid = 0.5 * (H + FLOOR_Z)
        if preset == "top":
            v.setCameraParams(fov=20.0)
            v.setCameraPosition(pos=pg.Vector(0, 0, mid), distance=10.0, elevation=90.0, azimuth=-90.0)
            self.fit()
        elif preset == "perspective":
            v.setCameraParams(fov=45.0)
            v.setCameraPosition(pos=pg.Vector(0, 0, mid), distance=5.0, elevation=28.0, azimuth=-62.0)
            self.fit()
        else:
            fov = 40.0
            azim, cx, cy, cz = -90.0, 0.0, 0.0, mid
            v.setCameraParams(fov=fov)
            v.setCameraPosition(pos=pg.Vector(cx, cy, cz), distance=5.0, elevation=SIDE_ELEVATION, azimuth=azim)
            self.fit()
            if self.layers.step is not None:
                # look across the step, centred on it and zoomed so it spans about a fifth of
                # the width, with the neighbourhood in view, from just high enough that the
                # surface in front (the near wall of a bowl) does not hide it. The camera stands on the side from
                # which x (or, for a step along y, y) runs left to right: the line of the step
                # is taken in the direction of increasing x, whichever way the step goes
                hhalf = math.radians(fov / 2)
                a, b = self.layers.step_visual()
                dx, dy = b[0] - a[0], b[1] - a[1]
                if dx < -1e-12 or (abs(dx) <= 1e-12 and dy < 0):
                    dx, dy = -dx, -dy
                if math.hypot(dx, dy) > 1e-9:
                    azim = math.degrees(math.atan2(dy, dx)) - 90.0
                cx, cy = 0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])
                cz = 0.5 * (a[2] + b[2])
                span = min(max(5.0 * math.hypot(dx, dy, b[2] - a[2]), 0.8), 3.0)
                d = 0.5 * span / math.tan(hhalf)
                elevation = self.clear_elevation((a, b), azim)
                v.setCameraPosition(pos=pg.Vector(cx, cy, cz), distance=d, elevation=elevation, azimuth=azim)
        self.preset = preset
        self._preset_state = self.state()
        v.update()

    def clear_elevation(self, points, azim: float, low: float = SIDE_ELEVATION, high: float = 50.0) -> float:
        """The lowest camera elevation (degrees, at least ``low``) from which the surface
        between the camera and each of ``points`` (visual) does not hide them: a side view
        looks across the step, not into the wall of the bowl in front of it (with 4° to
        spare; at most ``high``)."""
        if self.layers.Zv is None:
            return low
        u = np.array([math.cos(math.radians(azim)), math.sin(math.radians(azim))])  # towards the camera
        t = np.linspace(0.02, 2.9, 120)
        need = low
        for p in points:
            xy = p[:2] + t[:, None] * u
            inside = np.all(np.abs(xy) <= 1.0, axis=1)
            if not inside.any():
                continue
            zs = self.layers.surface_vis_z_many(xy[inside, 0], xy[inside, 1])
            ang = np.degrees(np.arctan2(zs - p[2], t[inside]))
            need = max(need, float(np.max(ang)) + 4.0)
        return float(min(need, high))

    def frame_points(self) -> np.ndarray:
        """What a preset must show whole: the box of the surface (floor to top) and the axis
        names and tick labels around the floor (text runs to the right of its anchor)."""
        H = self.layers.map.height
        box = [(x, y, z) for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (FLOOR_Z, H)]
        labels = [(0.0, -1.3, FLOOR_Z), (-1.03, -1.12, FLOOR_Z), (1.0, -1.12, FLOOR_Z),
                  (1.3, 0.0, FLOOR_Z), (1.15, -1.0, FLOOR_Z), (1.15, 1.0, FLOOR_Z)]
        return np.array(box + labels, float)

    def bounds(self, margin: float = 0.04):
        """Where the picture may go, in normalised device coordinates: ``margin`` (a fraction
        of the half-size) from every edge, and clear of the colour bar on the right
        (``reserve_right_px``)."""
        w = max(self.canvas.width(), 1)
        r = 2.0 * min(self.reserve_right_px, 0.3 * w) / w
        return -1.0 + margin, 1.0 - margin - r, -1.0 + margin, 1.0 - margin

    def fit_distance(self) -> float:
        """The nearest camera distance (keeping the direction and centre) at which every
        frame point projects inside :meth:`bounds`; found by bisection on the projection
        actually used to draw."""
        v = self.canvas
        pts = self.frame_points()
        x0, x1, y0, y1 = self.bounds()
        lo, hi = 0.3, 200.0

        def fits(d):
            v.opts["distance"] = d
            hom = np.c_[pts, np.ones(len(pts))] @ self.mvp().T
            if np.any(hom[:, 3] <= 1e-6):
                return False
            ndc = hom[:, :2] / hom[:, 3:4]
            return bool(np.all((ndc[:, 0] >= x0) & (ndc[:, 0] <= x1) & (ndc[:, 1] >= y0) & (ndc[:, 1] <= y1)))

        if not fits(hi):
            d = hi
        else:
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if fits(mid):
                    hi = mid
                else:
                    lo = mid
            d = hi
        v.opts["distance"] = d
        v.update()
        return d

    def fit(self, rounds: int = 5) -> None:
        """Frame the whole surface as large as it fits: the nearest distance, with the look-at
        point moved so the picture is centred (a box seen from above and aside does not
        project symmetrically about its centre)."""
        v = self.canvas
        pts = self.frame_points()
        x0, x1, y0, y1 = self.bounds()
        for _ in range(rounds):
            d = self.fit_distance()
            hom = np.c_[pts, np.ones(len(pts))] @ self.mvp().T
            ndc = hom[:, :2] / hom[:, 3:4]
            cx = 0.5 * (ndc[:, 0].max() + ndc[:, 0].min()) - 0.5 * (x0 + x1)
            cy = 0.5 * (ndc[:, 1].max() + ndc[:, 1].min()) - 0.5 * (y0 + y1)
            if abs(cx) < 0.01 and abs(cy) < 0.01:
                break
            view = np.array(v.viewMatrix().data(), float).reshape(4, 4).T
            right, up = view[0, :3], view[1, :3]
            w, h = max(v.width(), 1), max(v.height(), 1)
            half_w = d * math.tan(math.radians(v.opts["fov"]) / 2)
            half_h = half_w * h / w
            shift = cx * half_w * right + cy * half_h * up
            c = v.opts["center"]
            v.opts["center"] = pg.Vector(c.x() + shift[0], c.y() + shift[1], c.z() + shift[2])
        self.fit_distance()

    def refit(self):
        """After a resize, re-frame the current preset unless the user moved the camera."""
        preset = self.preset
        if preset is not None and self.state() == self._preset_state:
            self.set_preset(preset)

    def state(self) -> dict:
        """Current camera: distance, elevation, azimuth, fov, center (x, y, z) in visual units."""
        o = self.canvas.opts
        c = o["center"]
        return {"distance": float(o["distance"]), "elevation": float(o["elevation"]),
                "azimuth": float(o["azimuth"]), "fov": float(o["fov"]),
                "center": (float(c.x()), float(c.y()), float(c.z()))}

    @staticmethod
    def half_fov(fov_deg: float, w: int, h: int) -> float:
        """Smaller half-angle of the view (pyqtgraph's fov is horizontal)."""
        hh = math.radians(fov_deg / 2)
        vh = math.atan(math.tan(hh) * h / w)
        return min(hh, vh)

    def mvp(self) -> np.ndarray:
        v = self.canvas
        w, h = max(v.width(), 1), max(v.height(), 1)
        P = v.projectionMatrix((0, 0, w, h), (0, 0, w, h))
        M = P * v.viewMatrix()
        return np.array(M.data(), dtype=float).reshape(4, 4).T  # column-major -> row-major

    def project(self, pts_vis: np.ndarray) -> Optional[np.ndarray]:
        """(N, 3) visual points -> (N, 2) widget pixels (NaN where behind the camera)."""
        v = self.canvas
        w, h = max(v.width(), 1), max(v.height(), 1)
        M = self.mvp()
        hom = np.c_[pts_vis, np.ones(len(pts_vis))] @ M.T
        with np.errstate(divide="ignore", invalid="ignore"):
            ndc = hom[:, :3] / hom[:, 3:4]
        out = np.c_[(ndc[:, 0] + 1) * 0.5 * w, (1 - ndc[:, 1]) * 0.5 * h]
        out[hom[:, 3] <= 0] = np.nan
        return out

    def ray(self, pos: QPointF):
        """Camera ray (origin, direction) through widget position ``pos``, visual coordinates."""
        v = self.canvas
        w, h = max(v.width(), 1), max(v.height(), 1)
        inv = np.linalg.inv(self.mvp())
        nx = 2.0 * pos.x() / w - 1.0
        ny = 1.0 - 2.0 * pos.y() / h
        a = inv @ np.array([nx, ny, -1.0, 1.0])
        b = inv @ np.array([nx, ny, 0.0, 1.0])
        a = a[:3] / a[3]
        b = b[:3] / b[3]
        cam = v.cameraPosition()
        origin = np.array([cam.x(), cam.y(), cam.z()], float)
        return origin, b - a

    def nearest(self, pts_vis: np.ndarray, pos: QPointF, radius: Optional[float]) -> int:
        """Index of the visual point drawn nearest to widget position ``pos``, if within
        ``radius`` pixels (None: at any distance); -1 when none is."""
        if not len(pts_vis):
            return -1
        sp = self.project(pts_vis)
        d = np.hypot(sp[:, 0] - pos.x(), sp[:, 1] - pos.y())
        d = np.where(np.isfinite(d), d, np.inf)
        i = int(np.argmin(d))
        if not np.isfinite(d[i]) or (radius is not None and d[i] > radius):
            return -1
        return i

    def on_plane(self, pos: QPointF, z: float) -> Optional[tuple[float, float]]:
        """Where the ray through ``pos`` meets the level plane at visual height ``z``, kept
        in the box [-1, 1]²; None when the plane is behind the camera or parallel to the ray."""
        o, d = self.ray(pos)
        if abs(d[2]) < 1e-12:
            return None
        t = (z - o[2]) / d[2]
        if t <= 0:
            return None
        return float(np.clip(o[0] + t * d[0], -1, 1)), float(np.clip(o[1] + t * d[1], -1, 1))

    # ------------------------------------------------------------------------------------------
    # mouse: dragging starts, hover readout

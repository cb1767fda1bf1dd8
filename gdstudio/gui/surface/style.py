"""The look of the 3D view: colours, sizes, lifts, OpenGL states and small input checks."""

from __future__ import annotations

import numpy as np
from OpenGL import GL

from ..palette import KIND_COLORS as _SHARED_KIND_COLORS

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
BEST_COLOR = (1.00, 0.80, 0.10, 1.0)  # gold: a known global minimum (never a point merely found)
START_COLOR = (1.0, 1.0, 1.0, 1.0)
STEP_COLOR = (1.0, 1.0, 1.0, 1.0)
ARROW_COLOR = (0.90, 0.92, 0.97)
CAMERA_PRESETS = ("top", "perspective", "side")
ARROWS_DRAPE_ELEVATION = 62.0  # degrees: above this the gradient arrows move onto the surface
PICK_RADIUS_PX = 10.0  # how near (screen pixels, beyond the marker's own radius) grabs a start
DRAG_EMIT_INTERVAL = 1.0 / 60.0
HINT = ("Drag a white start point to slide it on the surface · Shift+drag: nearest start · "
        "hold Ctrl while dragging a start: snap · drag elsewhere: rotate · wheel: zoom · Ctrl+drag: pan")

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


def rgba_array(colors, n: int, name: str = "colors") -> np.ndarray:
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


def marker_sizes(n: int, big: float) -> tuple[float, float]:
    """(core, halo) pixel sizes: full size for a few markers, smaller for hundreds."""
    core = big if n <= 50 else (0.7 * big if n <= 300 else 0.45 * big)
    return core, core + max(2.0, 0.4 * core)


def points3(P, name: str) -> np.ndarray:
    P = np.asarray(P, dtype=float)
    if P.size == 0:
        return np.zeros((0, 3))
    if P.ndim != 2 or P.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, 3) (x, y, f), got {P.shape}")
    return P

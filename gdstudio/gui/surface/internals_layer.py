"""Inside the optimizer in 3D: the selected run's −∇f, next step, velocity, m̂ and per-axis
step sizes (the same segments the contour map draws, app/internals_view.py) draped over the
surface at the run's point, in the map's colours.

Each segment is cut into short pieces that follow the surface (lifted a little above it), so
an arrow reads as lying on the surface whichever way the camera looks; the items are drawn
over the surface (no depth test), so a hill in front never hides them, and under the start
markers.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl

from ...app.internals_view import INTERNALS_COLORS
from .mapping import bilinear
from .style import GL_OVERLAY, LIFT_MARKERS

#: pieces per segment: enough for a drape to follow a curved surface at the arrows' length
PIECES = 12


class InternalsLayer:
    """Two GL line items, a dark outline under every quantity's lines and the lines in their
    colours (one item each: under software GL every item drawn costs ~0.3 ms a frame, and the
    runs' frames redraw them); :meth:`show` with segments from
    :func:`~gdstudio.app.internals_view.internals_segments` (raw x, y pairs), :meth:`redraw`
    after the surface or its height mapping changed."""

    def __init__(self, layers):
        self.layers = layers
        self.segs: dict = {}
        self._drawn: list = []
        # drawn after the surface and the positions, before the start markers (16, 17): at
        # step 0 the run's point is its start, whose disc must stay whole
        self.under = gl.GLLinePlotItem(mode="lines", width=5.0, glOptions=GL_OVERLAY)
        self.under.setDepthValue(12)
        self.line = gl.GLLinePlotItem(mode="lines", width=2.5, antialias=True, glOptions=GL_OVERLAY)
        self.line.setDepthValue(12.5)
        for it in (self.under, self.line):
            it.setVisible(False)
            layers.canvas.addItem(it)

    def drawn(self) -> set:
        """The quantities drawn now."""
        return set(self._drawn) if self.line.visible() else set()

    def show(self, segs: dict) -> None:
        self.segs = {k: np.asarray(v, float) for k, v in (segs or {}).items() if k in INTERNALS_COLORS}
        self.redraw()

    def visual(self, pairs: np.ndarray) -> np.ndarray:
        """(2k, 2) raw x, y pairs -> (2k·PIECES, 3) visual segments draped on the surface."""
        L = self.layers
        a, b = pairs[0::2], pairs[1::2]
        t = np.linspace(0.0, 1.0, PIECES + 1)
        pts = a[:, None, :] + t[None, :, None] * (b - a)[:, None, :]  # (k, PIECES+1, 2)
        vx, vy = L.map.vx(pts[..., 0]), L.map.vy(pts[..., 1])
        if L.Zv is not None:
            vz = bilinear(L.xsv, L.ysv, L.Zv, vx.ravel(), vy.ravel()).reshape(vx.shape)
        else:
            vz = np.zeros_like(vx)
        P = np.stack([vx, vy, vz + LIFT_MARKERS], axis=-1)
        return np.stack([P[:, :-1], P[:, 1:]], axis=2).reshape(-1, 3)

    def redraw(self) -> None:
        pos, colors, self._drawn = [], [], []
        for key in INTERNALS_COLORS:  # in the map's order
            s = self.segs.get(key)
            if s is None or not len(s) or not np.all(np.isfinite(s)):
                continue
            p = self.visual(s).astype(np.float32)
            rgba = (*(np.asarray(INTERNALS_COLORS[key], np.float32) / 255.0), 1.0)
            pos.append(p)
            colors.append(np.broadcast_to(np.asarray(rgba, np.float32), (len(p), 4)))
            self._drawn.append(key)
        if not pos:
            self.under.setVisible(False)
            self.line.setVisible(False)
            return
        P = np.concatenate(pos)
        self.line.setData(pos=P, color=np.concatenate(colors))
        self.under.setData(pos=P, color=(0.0, 0.0, 0.0, 0.75))
        self.under.setVisible(True)
        self.line.setVisible(True)

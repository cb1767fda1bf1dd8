"""Qt drawing helpers for the 2-D views. The geometry itself (contours, arrows, ticks, grids)
is :mod:`gdstudio.app.geometry`, shared with the 3D view."""

from __future__ import annotations

import numpy as np


def finite_path(x, y):
    """A QPainterPath through (x, y), broken at NaN (for FastLines)."""
    import pyqtgraph as pg
    from PySide6.QtGui import QPainterPath

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.size < 2:
        return QPainterPath()
    return pg.arrayToQPath(x, y, connect="finite")

"""One polyline drawn as a plain path item that keeps its vertices (``setData(x, y)``, broken
at NaN, and ``getData()``, as pyqtgraph's items). A pyqtgraph ``PlotDataItem`` rebuilds its path
and its bounds in the first repaint after every ``setData``; for a line that changes with
every frame (the selected run's path) that cost ~1 ms of each repaint while runs ran."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QPainterPath

from .. import palette
from ..geometry import finite_path


class Polyline(palette.PathItem):
    def __init__(self, rgba=(1.0, 1.0, 1.0), alpha=None, width: float = 1.0):
        super().__init__()
        palette.set_line_style(self, rgba, alpha, width)
        self._xy = (np.empty(0), np.empty(0))

    def setData(self, x, y) -> None:  # noqa: N802 (pyqtgraph's name)
        self._xy = (np.asarray(x, float), np.asarray(y, float))
        self.setPath(finite_path(*self._xy) if self._xy[0].size else QPainterPath())

    def getData(self):  # noqa: N802 (pyqtgraph's name)
        return self._xy

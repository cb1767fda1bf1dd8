"""Many dots that all look the same (the runs' current points on the map).

pyqtgraph's ScatterPlotItem builds a Python record and a symbol-atlas key per point on every
``setData``: about 10 ms of the GUI thread per frame for 1,000 runs (cProfile of
benchmarks/bench_responsiveness.py). Dots of one look need none of that: ``setData`` keeps the
array, and painting stamps one pre-rendered dot at every point with a single
``drawPixmapFragments`` call (antialiased ``drawPoints`` with a wide pen took 9 ms a paint)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap


def _pen(rgba, width: float) -> QPen:
    pen = QPen(QColor(*rgba))
    pen.setCosmetic(True)  # the width is in pixels whatever the zoom
    pen.setWidthF(width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


class PointsItem(pg.GraphicsObject):
    """``setData(x, y, size)`` dots of ``size`` pixels, filled ``fill`` with a 1-pixel ``edge``
    (None: none); ``symbol`` "o" (round) or "s" (square)."""

    def __init__(self, fill=(255, 255, 255, 230), edge=(0, 0, 0, 200), size: float = 7.0, symbol: str = "o"):
        super().__init__()
        self._fill, self._edge, self._symbol = fill, edge, symbol
        self._size = float(size)
        self._rect = QRectF()
        self._xy = np.empty((0, 2))
        self._frags = internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        self._stamp_key = None
        self._stamp = QPixmap()

    def set_fill(self, rgba) -> None:
        if tuple(rgba) != tuple(self._fill):
            self._fill = tuple(rgba)
            self._stamp_key = None
            self.update()

    def setData(self, x, y, size: float | None = None) -> None:  # noqa: N802 (pyqtgraph's name)
        xy = np.column_stack([np.asarray(x, float).ravel(), np.asarray(y, float).ravel()])
        xy = xy[np.isfinite(xy).all(axis=1)]
        self.prepareGeometryChange()
        if size is not None:
            self._size = float(size)
        self._xy = xy
        if len(xy):
            lo, hi = xy.min(axis=0), xy.max(axis=0)
            self._rect = QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        else:
            self._rect = QRectF()
        self.update()

    def getData(self):  # noqa: N802 (pyqtgraph's name)
        return self._xy[:, 0].copy(), self._xy[:, 1].copy()

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph's names)
        if not len(self._xy):
            return (None, None)
        return (float(self._xy[:, ax].min()), float(self._xy[:, ax].max()))

    def pixelPadding(self):  # noqa: N802 (pyqtgraph's name)
        return self._size / 2 + 1

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name)
        self.prepareGeometryChange()  # the pixel padding below is in data units

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        if not len(self._xy):
            return QRectF()
        # the dots reach a few pixels past their centres
        vx, vy = self.pixelVectors()
        pad = self.pixelPadding()
        px = vx.length() * pad if vx is not None else 0.0
        py = vy.length() * pad if vy is not None else 0.0
        return self._rect.adjusted(-px, -py, px, py)

    def _dot(self, dpr: float) -> tuple[QPixmap, int]:
        """The pre-rendered dot at device pixel ratio ``dpr`` and its side in device pixels."""
        side = int(np.ceil((self._size + 3) * dpr))
        key = (self._size, dpr, self._fill, self._edge, self._symbol)
        if key != self._stamp_key:
            pm = QPixmap(side, side)
            pm.fill(Qt.GlobalColor.transparent)
            q = QPainter(pm)
            q.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            q.scale(dpr, dpr)
            c = side / dpr / 2
            layers = ((self._edge, self._size + 2), (self._fill, self._size)) if self._edge else \
                ((self._fill, self._size),)
            for rgba, width in layers:
                pen = _pen(rgba, width)
                pen.setCosmetic(False)
                if self._symbol == "s":
                    pen.setCapStyle(Qt.PenCapStyle.SquareCap)
                    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
                q.setPen(pen)
                q.drawPoint(pg.QtCore.QPointF(c, c))
            q.end()
            self._stamp, self._stamp_key = pm, key
        return self._stamp, side

    def paint(self, p: QPainter, option=None, widget=None) -> None:
        if not len(self._xy):
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        pm, side = self._dot(dpr)
        pts = pg.functions.transformCoordinates(p.transform(), self._xy.T)
        pts = np.clip(pts, -2.0**30, 2.0**30)
        p.save()
        p.resetTransform()
        self._frags.resize(pts.shape[1])
        frags = self._frags.ndarray()
        frags[:, 0:2] = pts.T  # the centre of each stamp
        frags[:, 2:6] = (0, 0, side, side)
        frags[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)
        p.drawPixmapFragments(*self._frags.drawargs(), pm)
        p.restore()


class Scatter(pg.ScatterPlotItem):
    """A ScatterPlotItem that takes no part in a repaint while it has no points. pyqtgraph's
    gives an empty item a padded box around (0, 0) and paints it (transforming, culling) on
    every repaint of the map: about half a millisecond for each of the map's many marker
    layers that are usually empty (critical points of each kind, the lowest found, ...)."""

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        if not len(self.data):
            return QRectF()
        return super().boundingRect()

    def paint(self, p, *args) -> None:
        if len(self.data):
            super().paint(p, *args)

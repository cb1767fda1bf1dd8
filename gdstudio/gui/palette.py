"""Colours shared by every view: the tables and rules are :mod:`gdstudio.app.colors` (no Qt);
this module adds the Qt helpers that apply them."""

from __future__ import annotations

from ..app.colors import (  # noqa: F401 (the views read the colours through this module)
    GREY,
    KIND_COLORS,
    KIND_SYMBOLS,
    OPTIMIZER_COLORS,
    basin,
    kind_color,
    optimizer,
    series,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem


def qcolor(rgba, alpha: float | None = None) -> QColor:
    r, g, b, a = (tuple(rgba) + (1.0,))[:4]
    return QColor.fromRgbF(r, g, b, a if alpha is None else alpha)


def fast_lines(rgba=None, alpha=None, width: float = 1.0):
    """A path item for many polylines at once (``item.setPath(finite_path(x, y))``).
    pyqtgraph's PlotDataItem recomputes bounds and rebuilds its path on every repaint after
    setData (~0.5 ms per item and frame, measured); a plain path item does neither. The pen
    is cosmetic (constant pixel width, the fast raster path)."""
    item = PathItem()
    set_line_style(item, rgba or (1, 1, 1, 1), alpha, width)
    return item


def set_line_style(item, rgba, alpha=None, width: float = 1.0) -> None:
    item.set_style(qcolor(rgba, alpha), width)


class PathItem(QGraphicsPathItem):
    """A QGraphicsPathItem whose bounds are its path's control points. Qt's own item computes
    the bounds of a pen wider than 0 by stroking the whole path in data units (an atan2 and a
    hypot per vertex, on every ``setPath``): about 12 % of the GUI thread while 1,000 runs ran
    (perf). This item keeps a 0-width pen, whose bounds are the control points, and paints
    with the real one: a cosmetic pen of a few pixels reaches at most 2 pixels past them,
    which the scene's antialiasing margin repaints."""

    def __init__(self):
        super().__init__()
        self._draw_pen = QPen()
        self.setBrush(Qt.BrushStyle.NoBrush)

    def set_style(self, color, width: float) -> None:
        pen = QPen(color)
        pen.setCosmetic(True)
        pen.setWidthF(width)
        if pen == self._draw_pen:
            return
        self._draw_pen = pen
        bounds = QPen(color)
        bounds.setWidthF(0.0)
        self.setPen(bounds)  # (and repaints)

    def pen(self) -> QPen:  # the pen it draws with
        return QPen(self._draw_pen)

    def paint(self, painter, option, widget=None) -> None:
        painter.setPen(self._draw_pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())

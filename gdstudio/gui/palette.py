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


def qcolor(rgba, alpha: float | None = None):
    from PySide6.QtGui import QColor

    r, g, b, a = (tuple(rgba) + (1.0,))[:4]
    return QColor.fromRgbF(r, g, b, a if alpha is None else alpha)


def fast_lines(rgba=None, alpha=None, width: float = 1.0):
    """A QGraphicsPathItem for many polylines at once (``item.setPath(finite_path(x, y))``).
    pyqtgraph's PlotDataItem recomputes bounds and rebuilds its path on every repaint after
    setData (~0.5 ms per item and frame, measured); a plain path item does neither. The pen
    is cosmetic (constant pixel width, the fast raster path)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPen
    from PySide6.QtWidgets import QGraphicsPathItem

    item = QGraphicsPathItem()
    pen = QPen(qcolor(rgba or (1, 1, 1, 1), alpha))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    item.setPen(pen)
    item.setBrush(Qt.BrushStyle.NoBrush)
    return item


def set_line_style(item, rgba, alpha=None, width: float = 1.0) -> None:
    pen = item.pen()
    pen.setColor(qcolor(rgba, alpha))
    pen.setWidthF(width)
    item.setPen(pen)

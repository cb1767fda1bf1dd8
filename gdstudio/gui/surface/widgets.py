"""The 3D view's Qt widgets: the GL canvas that forwards the mouse to its owner, the colour
bar and the marker legend. The colour bar and the legend are overlays on the canvas
(translucent, transparent to the mouse), so the surface gets the whole width."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from .mapping import ViewMapping
from .segments import format_value, log_ticks, nice_ticks
from .static_cache import StaticCache

#: opacity of the overlays' background (the surface shows through a little)
OVERLAY_ALPHA = 200
from .style import (ARROW_COLOR, BACKGROUND, BEST_COLOR, COLORMAP, KIND_COLORS, START_COLOR, STEP_COLOR,
                    TEXT_COLOR)


class GLCanvas(gl.GLViewWidget):
    """GLViewWidget whose mouse handling asks the SurfaceView first (start-point dragging)."""

    def __init__(self, owner):
        super().__init__()
        self._owner = owner
        self.setMouseTracking(True)
        self.setMinimumSize(200, 160)
        self.static_cache = StaticCache(self)  # the standing layers, drawn once per look

    def paintGL(self):
        self._owner._before_paint()
        if not self.static_cache.paint():
            super().paintGL()

    def mousePressEvent(self, ev):
        super().mousePressEvent(ev)  # only records the position (for rotation)
        self._owner._press(ev)

    def mouseMoveEvent(self, ev):
        if self._owner._drag_index is not None:
            self.mousePos = ev.position()
            self._owner._drag_move(ev.position(), bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier))
            ev.accept()
            return
        if ev.buttons() == Qt.MouseButton.NoButton:
            self._owner._hover(ev.position())
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev):
        if self._owner._drag_index is not None and ev.button() == Qt.MouseButton.LeftButton:
            self._owner._drag_end()
            ev.accept()
            return
        super().mouseReleaseEvent(ev)

    def leaveEvent(self, ev):
        self._owner._hover(None)
        super().leaveEvent(ev)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._owner._place_overlays()
        self._owner._refit_camera()


class _Overlay(QWidget):
    """An overlay on the GL canvas drawn once per look (``_draw(device)``) and then copied: it
    repaints with every 3D frame beneath it, and drawing it (gradient, ticks, text) took ~2 ms
    a time. ``_cache_key = None`` asks for a new drawing."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._cache = QPixmap()
        self._cache_key = None

    def paintEvent(self, ev):
        dpr = self.devicePixelRatioF()
        key = (self.width(), self.height(), dpr)
        if key != self._cache_key:
            pix = QPixmap(int(self.width() * dpr), int(self.height() * dpr))
            pix.setDevicePixelRatio(dpr)
            pix.fill(Qt.GlobalColor.transparent)
            self._draw(pix)
            self._cache, self._cache_key = pix, key
        p = QPainter(self)
        p.drawPixmap(0, 0, self._cache)
        p.end()

    def _draw(self, device) -> None:
        raise NotImplementedError


class ColorBar(_Overlay):
    """Vertical colour bar with raw-value ticks (uneven when the height is log-compressed)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cmap = pg.colormap.get(COLORMAP)
        self._mapping: Optional[ViewMapping] = None
        self._title = "f"
        self.setMinimumHeight(90)

    def sizeHint(self):
        fm = self.fontMetrics()
        labels = [format_value(v) for _, v in self.ticks()] or ["0"]
        w = max(fm.horizontalAdvance(self._title) + 8, 36 + max(fm.horizontalAdvance(t) for t in labels) + 6)
        return QSize(w, 240)

    def set_mapping(self, mapping: Optional[ViewMapping], title: str):
        self._mapping = mapping
        self._title = title
        self._cache_key = None
        self.resize(self.sizeHint().width(), self.height())
        self.update()

    def ticks(self) -> list[tuple[float, float]]:
        """(fraction 0..1, raw value) of each tick."""
        m = self._mapping
        if m is None:
            return []
        if m.log:
            return log_ticks(m)
        vals = nice_ticks(m.zmin, m.zmax, 6)
        fr = np.asarray(m.frac(vals), float)
        return [(float(t), float(v)) for t, v in zip(fr, vals) if -1e-9 <= t <= 1 + 1e-9]

    def _draw(self, device) -> None:
        p = QPainter(device)
        p.setFont(self.font())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(*BACKGROUND, OVERLAY_ALPHA))
        fm = p.fontMetrics()
        top = fm.height() + 10
        bottom = self.height() - 10
        bar = QRectF(8, top, 16, max(bottom - top, 10))
        grad = QLinearGradient(bar.bottomLeft(), bar.topLeft())
        for t in np.linspace(0, 1, 17):
            r, g, b, a = self._cmap.map([t], mode="float")[0]
            grad.setColorAt(float(t), QColor.fromRgbF(float(r), float(g), float(b), 1.0))
        p.fillRect(bar, grad)
        p.setPen(QPen(QColor(*TEXT_COLOR), 1))
        p.drawRect(bar)
        p.drawText(QRectF(2, 2, self.width() - 4, fm.height() + 4),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._title)
        for t, v in self.ticks():
            y = bar.bottom() - t * bar.height()
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 5, y))
            p.drawText(QRectF(bar.right() + 8, y - fm.height() / 2, self.width() - bar.right() - 8,
                              fm.height()), Qt.AlignmentFlag.AlignVCenter, format_value(v))
        p.end()


class Legend(_Overlay):
    """Marker legend: known and found critical points, start points, arrows, step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._rows = [
            ("dot", BEST_COLOR, None, "global min (known)"),
            ("dot", (0.05, 0.05, 0.08, 0.95), KIND_COLORS["minimum"], "local min (known)"),
            ("dot", (0.05, 0.05, 0.08, 0.95), KIND_COLORS["saddle"], "saddle (known)"),
            ("dot", KIND_COLORS["minimum"], None, "minimum found"),
            ("dot", KIND_COLORS["minimum"], (1.0, 1.0, 1.0, 1.0), "lowest found"),
            ("dot", KIND_COLORS["saddle"], None, "saddle found"),
            ("dot", KIND_COLORS["maximum"], None, "maximum found"),
            ("dot", KIND_COLORS["degenerate"], None, "degenerate found"),
            ("dot", START_COLOR, None, "start (drag)"),
            ("arrow", ARROW_COLOR + (1.0,), None, "−∇f (downhill)"),
            ("line", STEP_COLOR, None, "one step"),
        ]
        fm = self.fontMetrics()
        self._row_h = max(fm.height() + 3, 16)
        self.setFixedSize(max(104, 30 + max(fm.horizontalAdvance(r[3]) for r in self._rows)),
                          self._row_h * len(self._rows) + 8)

    def _draw(self, device) -> None:
        p = QPainter(device)
        p.setFont(self.font())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(*BACKGROUND, OVERLAY_ALPHA))
        for k, (shape, col, ring, text) in enumerate(self._rows):
            cy = 4 + k * self._row_h + self._row_h / 2
            c = QColor.fromRgbF(*col)
            if shape == "dot":
                if ring is not None:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(QColor.fromRgbF(*ring))
                    p.drawEllipse(QPointF(12, cy), 7.5, 7.5)
                p.setPen(QPen(QColor(10, 10, 10), 1.5))
                p.setBrush(c)
                p.drawEllipse(QPointF(12, cy), 4.5, 4.5)
            elif shape == "arrow":
                p.setPen(QPen(c, 1.6))
                p.drawLine(QPointF(4, cy), QPointF(20, cy))
                p.drawLine(QPointF(20, cy), QPointF(15, cy - 4))
                p.drawLine(QPointF(20, cy), QPointF(15, cy + 4))
            else:
                p.setPen(QPen(QColor(0, 0, 0), 5))
                p.drawLine(QPointF(4, cy), QPointF(20, cy))
                p.setPen(QPen(c, 2.5))
                p.drawLine(QPointF(4, cy), QPointF(20, cy))
            p.setPen(QColor(*TEXT_COLOR))
            p.drawText(QRectF(26, cy - self._row_h / 2, self.width() - 26, self._row_h),
                       Qt.AlignmentFlag.AlignVCenter, text)
        p.end()

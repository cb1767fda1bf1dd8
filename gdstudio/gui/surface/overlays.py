"""What floats over the 3D canvas: the colour bar, the marker key and the hover read-out.

The canvas is a native OpenGL window of its own (:class:`.widgets.GLCanvas`), so that its
frames are not composed with the whole main window (under Mesa's software renderer that
composition cost about 16 ms a frame). A widget cannot float over a native window, so these
are not widgets: the canvas paints them after the scene, in the same QPainter pass as the
floor's labels. Each is drawn once per look into a pixmap (``_draw``) and copied every frame;
drawing the colour bar's gradient, ticks and text took about 2 ms a time.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QFontMetrics, QGuiApplication, QImage,
                           QLinearGradient, QPainter, QPen, QPixmap)

from .mapping import ViewMapping
from .segments import format_value, log_ticks, nice_ticks
from .style import (ARROW_COLOR, BACKGROUND, BEST_COLOR, COLORMAP, KIND_COLORS, START_COLOR, STEP_COLOR,
                    TEXT_COLOR)

#: opacity of the overlays' background (the surface shows through a little)
OVERLAY_ALPHA = 200
#: gap between an overlay and the canvas's edge (logical pixels)
MARGIN = 6


class Overlay:
    """A picture at ``rect`` (logical pixels of the canvas), shown while ``visible``.
    ``_content`` names what the picture shows: a new value asks for a new drawing."""

    def __init__(self):
        self.visible = True
        self.rect = QRect()
        self.font = QFont(QGuiApplication.font())
        self._cache = QPixmap()
        self._cache_key = None

    def _content(self) -> tuple:
        return ()

    def _draw(self, p: QPainter, w: int, h: int) -> None:
        raise NotImplementedError

    def pixmap(self, dpr: float = 1.0) -> QPixmap:
        """The overlay as drawn at its size (drawn again only when size or content changed)."""
        w, h = max(1, self.rect.width()), max(1, self.rect.height())
        key = (w, h, dpr, self._content())
        if key != self._cache_key:
            pix = QPixmap(int(round(w * dpr)), int(round(h * dpr)))
            pix.setDevicePixelRatio(dpr)
            pix.fill(Qt.GlobalColor.transparent)
            p = QPainter(pix)
            try:
                p.setFont(self.font)
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                self._draw(p, w, h)
            finally:
                p.end()
            self._cache, self._cache_key = pix, key
        return self._cache

    def image(self) -> QImage:
        """The overlay alone, at one device pixel per logical pixel (tests)."""
        return self.pixmap(1.0).toImage()

    def paint(self, painter: QPainter, dpr: float) -> None:
        if self.visible and not self.rect.isEmpty():
            painter.drawPixmap(self.rect.topLeft(), self.pixmap(dpr))


class ColorBar(Overlay):
    """Vertical colour bar with raw-value ticks (uneven when the height is log-compressed)."""

    def __init__(self):
        super().__init__()
        self._cmap = pg.colormap.get(COLORMAP)
        self._mapping: Optional[ViewMapping] = None
        self.title = "f"
        self.rect = QRect(0, 0, self.needed_width(), 240)

    def needed_width(self) -> int:
        """Wide enough for the title and the widest tick label."""
        fm = QFontMetrics(self.font)
        labels = [format_value(v) for _, v in self.ticks()] or ["0"]
        return max(fm.horizontalAdvance(self.title) + 8, 36 + max(fm.horizontalAdvance(t) for t in labels) + 6)

    def set_mapping(self, mapping: Optional[ViewMapping], title: str) -> None:
        self._mapping = mapping
        self.title = title

    def _content(self) -> tuple:
        m = self._mapping
        return (self.title, None if m is None else (m.zmin, m.zmax, m.log))

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

    def _draw(self, p: QPainter, w: int, h: int) -> None:
        p.fillRect(QRect(0, 0, w, h), QColor(*BACKGROUND, OVERLAY_ALPHA))
        fm = p.fontMetrics()
        top = fm.height() + 10
        bottom = h - 10
        bar = QRectF(8, top, 16, max(bottom - top, 10))
        grad = QLinearGradient(bar.bottomLeft(), bar.topLeft())
        for t in np.linspace(0, 1, 17):
            r, g, b, a = self._cmap.map([t], mode="float")[0]
            grad.setColorAt(float(t), QColor.fromRgbF(float(r), float(g), float(b), 1.0))
        p.fillRect(bar, grad)
        p.setPen(QPen(QColor(*TEXT_COLOR), 1))
        p.drawRect(bar)
        p.drawText(QRectF(2, 2, w - 4, fm.height() + 4),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        for t, v in self.ticks():
            y = bar.bottom() - t * bar.height()
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 5, y))
            p.drawText(QRectF(bar.right() + 8, y - fm.height() / 2, w - bar.right() - 8, fm.height()),
                       Qt.AlignmentFlag.AlignVCenter, format_value(v))


class Legend(Overlay):
    """Marker key: known and found critical points, start points, arrows, step."""

    ROWS = (
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
    )

    def __init__(self):
        super().__init__()
        fm = QFontMetrics(self.font)
        self._row_h = max(fm.height() + 3, 16)
        self.rect = QRect(0, 0, max(104, 30 + max(fm.horizontalAdvance(r[3]) for r in self.ROWS)),
                          self._row_h * len(self.ROWS) + 8)

    def _draw(self, p: QPainter, w: int, h: int) -> None:
        p.fillRect(QRect(0, 0, w, h), QColor(*BACKGROUND, OVERLAY_ALPHA))
        for k, (shape, col, ring, text) in enumerate(self.ROWS):
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
            p.drawText(QRectF(26, cy - self._row_h / 2, w - 26, self._row_h), Qt.AlignmentFlag.AlignVCenter, text)


class Readout(Overlay):
    """What the mouse points at (``x = …  y = …  f ≈ …``), over the canvas's top-left corner.
    Its text changes on every move; it takes part in no layout, so nothing changes size."""

    PAD = QSize(4, 2)

    def __init__(self):
        super().__init__()
        self.font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.text = ""
        self.visible = False

    def set_text(self, text: str) -> bool:
        """Show ``text`` ("" hides); True when what is shown changed."""
        text = str(text)
        if text == self.text and self.visible == bool(text):
            return False
        self.text, self.visible = text, bool(text)
        if text:
            fm = QFontMetrics(self.font)
            self.rect = QRect(QPoint(MARGIN, MARGIN),
                              QSize(fm.horizontalAdvance(text) + 2 * self.PAD.width(),
                                    fm.height() + 2 * self.PAD.height()))
        return True

    def _content(self) -> tuple:
        return (self.text,)

    def _draw(self, p: QPainter, w: int, h: int) -> None:
        p.fillRect(QRect(0, 0, w, h), QColor(*BACKGROUND, OVERLAY_ALPHA))
        p.setPen(QColor(226, 229, 238))
        p.drawText(QRect(self.PAD.width(), self.PAD.height(), w - 2 * self.PAD.width(), h - 2 * self.PAD.height()),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.text)

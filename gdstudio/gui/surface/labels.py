"""Text at points of the 3D scene (the floor's axis names and tick values), all drawn in the
canvas's one painter pass of the frame (``GLCanvas.paint_with_painter``). pyqtgraph's GLTextItem
opens a QPainter on the GL widget for each text; with Mesa's software renderer that cost 2-3 ms
a label, about 6 ms of every 3D frame for the 16 labels of the floor (measured under Xvfb)."""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QMatrix4x4, QPainter, QVector3D


class GLLabels(gl.GLGraphicsItem.GLGraphicsItem):
    """``set_labels([(text, (x, y, z), QFont, QColor), ...])``: each text starts at its point,
    on its baseline (GLTextItem's default alignment)."""

    def __init__(self):
        super().__init__()
        self._labels: list[tuple[str, QVector3D, QFont, QColor]] = []

    def set_labels(self, labels) -> None:
        self._labels = [(str(t), QVector3D(*map(float, p)), QFont(f), QColor(c)) for t, p, f, c in labels if t]
        self.update()

    def texts(self) -> list[str]:
        return [t for t, *_ in self._labels]

    def paint(self) -> None:
        if not self._labels:
            return
        view = self.view()
        rect = QRectF(view.rect())
        to_pixels = QMatrix4x4()
        to_pixels.viewport(rect.left(), rect.bottom(), rect.width(), -rect.height())
        project = to_pixels * self.mvpMatrix()  # the matrices of this frame, read now
        labels = self._labels
        view.paint_with_painter(lambda painter: self._draw(painter, project, labels))

    @staticmethod
    def _draw(painter: QPainter, project: QMatrix4x4, labels) -> None:
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        for text, p, font, color in labels:
            at = project.map(p).toPointF()
            if np.isfinite(at.x()) and np.isfinite(at.y()):
                painter.setPen(color)
                painter.setFont(font)
                painter.drawText(at, text)

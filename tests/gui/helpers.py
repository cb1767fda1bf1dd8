"""Helpers for driving the real window with real mouse and key events."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gdstudio.gui import MainWindow

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.MouseButton.NoButton


def make_window(qtbot, function="x**2 + 3*y**2", speed=None, max_steps=1000, lr=0.05, **settings):
    w = MainWindow(function=function)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.link.settings(dict(speed=speed, max_steps=max_steps, lr=lr, **settings))  # the session's document
    w.params.set_speed(speed)
    qtbot.wait(50)  # first layout pass: the map's view box gets its size
    return w


def map_point(view, x: float, y: float) -> QPoint:
    """Viewport pixel of data point (x, y) on the contour map."""
    return view.data_to_widget(x, y)


def mouse(widget, kind, pos: QPoint, button=LEFT, buttons=LEFT):
    types = {"press": QEvent.Type.MouseButtonPress, "move": QEvent.Type.MouseMove,
             "release": QEvent.Type.MouseButtonRelease}
    p = QPointF(pos)
    ev = QMouseEvent(types[kind], p, QPointF(widget.mapToGlobal(pos)), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def click(widget, pos: QPoint):
    mouse(widget, "press", pos)
    mouse(widget, "release", pos, LEFT, NONE)


def wait_done(qtbot, w, timeout=10_000):
    qtbot.waitUntil(lambda: w.c.state == "done", timeout=timeout)
    qtbot.wait(60)  # one redraw tick


def near(a, b, tol):
    return bool(np.all(np.abs(np.asarray(a, float) - np.asarray(b, float)) <= tol))

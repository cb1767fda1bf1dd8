"""The 3D view's stand-in when OpenGL is missing: the same signals and setters, which draw
nothing, and one sentence saying why. The window codes against one interface either way."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class NullSurfaceView(QWidget):
    """Shows ``reason``; accepts every call of :class:`~.view.SurfaceView` and ignores it."""

    sig_start_dragged = Signal(int, float, float)
    sig_start_drag_finished = Signal(int, float, float)
    sig_point_hovered = Signal(float, float)

    def __init__(self, reason: str, parent=None):
        super().__init__(parent)
        self.reason = reason
        label = QLabel(reason, self)
        label.setObjectName("surfaceUnavailable")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(label)

    def set_surface(self, xs, ys, Z) -> None:
        pass

    def set_gradient_field(self, xs, ys, U, V) -> None:
        pass

    def set_axis_labels(self, names) -> None:
        pass

    def set_trajectories(self, paths, colors) -> None:
        pass

    def set_positions(self, P, colors) -> None:
        pass

    def set_starts(self, S) -> None:
        pass

    def set_critical_points(self, P, kinds, best_index) -> None:
        pass

    def set_known_points(self, P, groups) -> None:
        pass

    def highlight_run(self, index) -> None:
        pass

    def set_step_arrow(self, p0, p1) -> None:
        pass

    def set_step_section(self, section) -> None:
        pass

    def show_internals(self, point, carried) -> None:
        pass

    def set_camera(self, preset: str) -> None:
        pass

    def set_log_height(self, on) -> None:
        pass

    def camera(self) -> dict:
        return {}

    def grab_image(self) -> QImage:
        return self.grab().toImage()

    def draw_canvas_into(self, picture, widget) -> None:
        pass  # no GL window: a grab already shows the whole stand-in

    def held(self):
        return contextlib.nullcontext()

    def deferred(self):
        return contextlib.nullcontext()

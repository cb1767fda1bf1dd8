"""The 3D view's canvas: a native OpenGL window (pyqtgraph's GL view on a ``QOpenGLWindow``)
that asks its owner about the mouse first (start points are dragged), draws the standing layers
from a cache and paints the overlays over the scene.

Why a window, not pyqtgraph's ``GLViewWidget`` (a ``QOpenGLWidget``): a window holding a
``QOpenGLWidget`` is composed as a whole through OpenGL on every frame. With Mesa's software
renderer (machines without a GPU, Xvfb) that composition of the 1600×1000 window cost about
16 ms per 3D frame on top of the scene's 9 ms. Embedded with ``QWidget.createWindowContainer``,
the canvas swaps only its own pixels and the rest of the window flushes as plain raster.
The price: nothing can float over it as a widget, so the colour bar, the key and the hover
read-out are drawn by the canvas (:mod:`.overlays`), and ``QWidget.grab`` does not see it
(``render_image`` does; the image export composes the two).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Optional

from OpenGL import GL
from PySide6.QtCore import QEvent, QRect, Qt, QTimer
from PySide6.QtGui import QImage, QOffscreenSurface, QOpenGLContext, QPainter, QSurfaceFormat
from PySide6.QtOpenGL import QOpenGLWindow
from PySide6.QtWidgets import QLabel, QSizePolicy
from pyqtgraph.opengl.GLViewWidget import GLViewMixin

from .static_cache import StaticCache

_PAINTING = (QEvent.Type.Expose, QEvent.Type.UpdateRequest, QEvent.Type.Paint)


_opengl_usable: Optional[bool] = None


def opengl_usable() -> bool:
    """Whether this platform makes OpenGL contexts (Qt's offscreen platform without a display
    does not; a QOpenGLWindow asked to paint there crashes instead of failing)."""
    global _opengl_usable
    if _opengl_usable is None:
        ctx, surface = QOpenGLContext(), QOffscreenSurface()
        surface.create()
        _opengl_usable = bool(ctx.create() and ctx.makeCurrent(surface) and GL.glGetString(GL.GL_VERSION))
        if _opengl_usable:
            ctx.doneCurrent()
    return _opengl_usable


class GLCanvas(GLViewMixin, QOpenGLWindow):
    """pyqtgraph's GL view in a native window; mouse handling asks the SurfaceView first."""

    def __init__(self, owner):
        super().__init__()
        # the depth a QOpenGLWidget's framebuffer had: the static cache copies its depth here
        # (a copy needs equal formats), and the lifts that keep lines on the surface assume it
        fmt = QSurfaceFormat.defaultFormat()
        fmt.setDepthBufferSize(24)
        fmt.setStencilBufferSize(8)
        self.setFormat(fmt)
        self._owner = owner
        self.static_cache = StaticCache(self)  # the standing layers, drawn once per look
        #: painted over the scene in this order (.overlays.Overlay)
        self.overlays: list = []
        self._painter_work: list[Callable[[QPainter], None]] = []
        self._held = 0
        self._pending = False
        #: frames drawn so far (diagnostics, benchmarks)
        self.paints = 0
        self._paint_timer = QTimer(self)
        self._paint_timer.setSingleShot(True)
        self._paint_timer.timeout.connect(self._paint_now)

    # what pyqtgraph's GL view and our layers ask of a widget
    def devicePixelRatioF(self) -> float:
        return float(self.devicePixelRatio())

    def rect(self) -> QRect:
        return QRect(0, 0, self.width(), self.height())

    def update(self):
        """Ask for a repaint (pyqtgraph's items ask on every ``setData``); while updates are
        held (:meth:`held`) the asks are gathered into one paint."""
        if getattr(self, "_held", 0):  # (pyqtgraph asks while the canvas is being built)
            self._pending = True
        else:
            super().update()

    @contextmanager
    def held(self):
        """Changes made inside are drawn in one paint, in the event loop's next pass: not in
        the same pass (setting the data and drawing took 15-18 ms together under software
        GL), nor left to Qt's update timer, whose paint came ~5 ms later and landed back to
        back with the next views' slices (one pass then took 25-30 ms)."""
        try:
            with self.deferred():
                yield
        finally:
            if not self._held and self._pending:
                self._pending = False
                self._paint_timer.start(0)

    @contextmanager
    def deferred(self):
        """Changes made inside wait for the next paint asked for (they ask for none)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def _paint_now(self) -> None:
        """Draw and show the frame now: what the window's paint event does, without its
        update timer (which, asked as well, painted the frame a second time)."""
        if not (self.isValid() and self.isExposed()):
            super().update()  # not shown or not initialised yet: the ordinary way
            return
        self.makeCurrent()
        self.paintGL()
        self.context().swapBuffers(self)

    def paint_with_painter(self, work: Callable[[QPainter], None]) -> None:
        """Run ``work(painter)`` in this frame's one QPainter pass, after the scene: opening a
        QPainter on the GL surface costs 2-3 ms under Mesa, once per frame is enough."""
        self._painter_work.append(work)

    def paintGL(self):
        self.paints += 1
        self._owner._before_paint()
        self._painter_work = []
        dpr = self.devicePixelRatioF()
        GL.glViewport(0, 0, max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)))
        if not self.static_cache.paint():
            super().paintGL()
        overlays = [o for o in self.overlays if o.visible]
        if self._painter_work or overlays:
            painter = QPainter(self)
            try:
                for work in self._painter_work:
                    work(painter)
                for overlay in overlays:
                    overlay.paint(painter, dpr)
            finally:
                painter.end()

    def render_image(self) -> QImage:
        """The canvas as drawn now (scene and overlays), rendered afresh into its back buffer
        and read back (``grabFramebuffer`` of a window only reads the buffer, which after a
        swap holds nothing defined). A null image before the canvas was first shown."""
        if not self.isValid():
            return QImage()
        self.makeCurrent()
        try:
            self.paintGL()
            GL.glFinish()
            return self.grabFramebuffer()
        finally:
            self.doneCurrent()

    # the mouse
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

    def event(self, ev):
        kind = ev.type()
        if kind == QEvent.Type.Leave:  # a QWindow has no leaveEvent
            self._owner._hover(None)
        elif kind in _PAINTING and not opengl_usable():
            return True  # nothing can be drawn here (the 2-D views still work)
        return super().event(ev)

    def resizeEvent(self, ev):
        if opengl_usable():
            super().resizeEvent(ev)
        self._owner._place_overlays()
        self._owner._refit_camera()


class HintLine(QLabel):
    """The hint under the canvas: one line, elided to the width, the full text in its tooltip.
    A hint that re-wrapped would change the canvas's height under the mouse."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setStyleSheet("color: #8a8f9c;")
        small = self.font()
        small.setPixelSize(11)
        self.setFont(small)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 4)
        self.hint = ""

    def set_hint(self, text: str) -> None:
        self.hint = text
        self.setToolTip(text.replace(" · ", "\n"))
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.hint, Qt.TextElideMode.ElideRight, max(20, self.width() - 4)))

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._elide()

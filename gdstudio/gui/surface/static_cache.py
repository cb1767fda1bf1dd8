"""The 3D scene's standing layers drawn once and reused while runs move.

While runs run, the 3D view is redrawn about 10 times a second, but the surface, its iso-lines,
the floor and the gradient field only change when the problem, the camera or the view's
options do. With Mesa's software renderer (a machine without a GPU, Xvfb) they took about
two thirds of each 3D frame. :class:`StaticCache` draws them into an off-screen framebuffer
(colour and depth) when they or the camera change; every frame then copies it and draws the
moving layers on top, depth-tested against the cached surface exactly as before.

Only a prefix of the scene's drawing order is cached: the depth-sorted visible items up to the
first one that is not registered as standing (``register``). Everything after is drawn live in
order, so what lies over what is unchanged. A registered item marks the cache stale whenever it
changes (its ``update``, which pyqtgraph calls on every ``setData`` and ``setVisible``).
"""

from __future__ import annotations

from OpenGL import GL
from PySide6.QtCore import QRect, QSize
from PySide6.QtOpenGL import QOpenGLFramebufferObject, QOpenGLFramebufferObjectFormat


class StaticCache:
    def __init__(self, canvas):
        self.canvas = canvas
        self._standing: set[int] = set()
        self._version = 0
        self._fbo = None
        self._key = None
        #: how many times the standing layers were drawn (tests, diagnostics)
        self.renders = 0

    def register(self, *items) -> None:
        """``items`` change only with the problem, the camera or the view's options."""
        for item in items:
            self._standing.add(id(item))
            original = item.update

            def update(*args, _original=original):
                self._version += 1
                return _original(*args)

            item.update = update
        self._version += 1

    def _split(self):
        c = self.canvas
        items = sorted((x for x in c.items if x.parentItem() is None and x.visible()),
                       key=lambda a: a.depthValue())
        k = 0
        while k < len(items) and id(items[k]) in self._standing:
            k += 1
        return items[:k], items[k:]

    def _draw(self, items) -> None:
        c = self.canvas
        for item in items:
            c._modelViewStack.append(c.currentModelView() * item.transform())
            try:
                c.drawItemTree(item)
            finally:
                c._modelViewStack.pop()

    def paint(self) -> bool:
        """Draw the scene (inside the canvas's paintGL); False when it cannot (the caller then
        draws it the ordinary way)."""
        c = self.canvas
        standing, moving = self._split()
        if not standing:
            return False
        dpr = c.devicePixelRatioF()
        size = QSize(max(1, int(round(c.width() * dpr))), max(1, int(round(c.height() * dpr))))
        region = c.getViewport()
        key = (size.width(), size.height(), self._version, tuple(id(i) for i in standing),
               tuple(c.viewMatrix().data()), c.opts["distance"], c.opts["fov"], tuple(c.opts["bgcolor"]))
        c.setProjection(region, region)
        c.setModelview()
        if self._fbo is None or self._fbo.size() != size:
            fmt = QOpenGLFramebufferObjectFormat()
            fmt.setAttachment(QOpenGLFramebufferObject.Attachment.CombinedDepthStencil)
            self._fbo = QOpenGLFramebufferObject(size, fmt)
            self._key = None
        if not self._fbo.isValid():
            return False
        if key != self._key:
            self._fbo.bind()
            GL.glViewport(0, 0, size.width(), size.height())
            GL.glClearColor(*c.opts["bgcolor"])
            GL.glClear(GL.GL_DEPTH_BUFFER_BIT | GL.GL_COLOR_BUFFER_BIT)
            self._draw(standing)
            self._fbo.release()  # back to the widget's own framebuffer
            self._key = key
            self.renders += 1
        GL.glViewport(0, 0, size.width(), size.height())
        rect = QRect(0, 0, size.width(), size.height())
        QOpenGLFramebufferObject.blitFramebuffer(None, rect, self._fbo, rect,
                                                 GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT,
                                                 GL.GL_NEAREST)
        self._draw(moving)
        return True

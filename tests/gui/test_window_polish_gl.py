"""The 3D view in the window, under a real OpenGL context (Xvfb; CI's ``-m gl`` pass): nothing
changes size when the mouse enters it, a real drag that starts on a start point's projected
position moves that start (at both window sizes), Shift+drag lands under the cursor, every
toolbar button shows, and start markers are drawn whole. These tests fail (never skip)
without OpenGL."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton

from gdstudio.gui.surface.style import LIFT_MARKERS
from gdstudio.gui.window_fit import fit_to_screen

pytestmark = pytest.mark.gl

SIZES = [(1600, 1000), (1280, 800)]


def _need_gl():
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        pytest.fail("these tests need OpenGL: run them under Xvfb (xvfb-run -a ... pytest -m gl)")


def _window(qtbot, size, function="himmelblau"):
    from gdstudio.gui import MainWindow

    _need_gl()
    w = MainWindow(function=function)
    qtbot.addWidget(w)
    fit_to_screen(w, QRect(0, 0, *size))
    w.show()
    qtbot.waitExposed(w)
    w.c.update_settings(speed=None)
    qtbot.waitUntil(lambda: len(w.surface._layers.starts) >= 1, timeout=5000)
    _settle(qtbot, w)
    return w


def _settle(qtbot, w):
    """Docks and splitters finish their layout a little after the window shows."""
    size = None
    for _ in range(30):
        qtbot.wait(100)
        now = (w.surface.gl_view.size(), w.contour.size())
        if now == size:
            return
        size = now


def _pt(p: QPointF) -> QPoint:
    return QPoint(round(p.x()), round(p.y()))


def _drag(qtbot, gv, a: QPoint, b: QPoint, mods=Qt.KeyboardModifier.NoModifier, steps=12):
    QTest.mouseMove(gv, a)  # the mouse enters first, as a hand would
    qtbot.wait(30)
    QTest.mousePress(gv, Qt.MouseButton.LeftButton, mods, a)
    for k in range(1, steps + 1):
        t = k / steps
        QTest.mouseMove(gv, QPoint(round(a.x() + t * (b.x() - a.x())), round(a.y() + t * (b.y() - a.y()))))
        qtbot.wait(8)
    QTest.mouseRelease(gv, Qt.MouseButton.LeftButton, mods, b)
    qtbot.wait(50)


@pytest.mark.parametrize("size", SIZES)
def test_nothing_changes_size_when_the_mouse_enters_the_3d_view(qtbot, size):
    w = _window(qtbot, size)
    gv = w.surface.gl_view
    before = (gv.size(), w.contour.size(), w.surface.size(), w.surface.camera())
    for p in (QPoint(gv.width() // 2, gv.height() // 2), QPoint(30, 30),
              QPoint(gv.width() - 20, gv.height() - 20)):
        QTest.mouseMove(gv, p)
        qtbot.wait(80)
        assert (gv.size(), w.contour.size(), w.surface.size(), w.surface.camera()) == before
    QTest.mouseMove(w.contour.viewport(), QPoint(20, 20))  # and when it leaves
    qtbot.wait(80)
    assert (gv.size(), w.contour.size(), w.surface.size(), w.surface.camera()) == before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("offset", [(0, 0), (4, -3)])
def test_a_drag_from_a_drawn_start_moves_that_start(qtbot, size, offset):
    w = _window(qtbot, size)
    v = w.surface
    x0, y0 = (float(c) for c in w.c.starts[0])
    f0 = v._layers.height_at(x0, y0)
    cam0 = v.camera()
    a = v.screen_position(x0, y0, f0, lift=LIFT_MARKERS) + QPointF(*offset)
    target = (-1.0, 2.0)
    b = v.screen_position(*target)
    _drag(qtbot, v.gl_view, _pt(a), _pt(b))
    qtbot.waitUntil(lambda: abs(w.c.starts[0][0] - x0) > 0.5, timeout=3000)
    got = w.c.starts[0]
    # under the cursor: within about a pixel's worth of the surface
    assert got[0] == pytest.approx(target[0], abs=0.15) and got[1] == pytest.approx(target[1], abs=0.15)
    assert v.camera() == cam0  # the camera did not rotate
    # the run restarted from there
    assert np.allclose(w.c.store.starts[0], got)


@pytest.mark.parametrize("size", SIZES)
def test_shift_drag_lands_under_the_cursor(qtbot, size):
    w = _window(qtbot, size)
    v = w.surface
    v.action_move_starts.setChecked(False)
    a = v.screen_position(-3.0, -3.0)  # not on the start: Shift takes the nearest one anyway
    target = (2.0, 2.5)
    b = v.screen_position(*target)
    _drag(qtbot, v.gl_view, _pt(a), _pt(b), mods=Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: abs(w.c.starts[0][1] - 2.5) < 0.3, timeout=3000)
    got = w.c.starts[0]
    assert got[0] == pytest.approx(target[0], abs=0.15) and got[1] == pytest.approx(target[1], abs=0.15)
    assert v.surface_point_at(QPointF(_pt(b))) == pytest.approx(tuple(got), abs=0.05)


@pytest.mark.parametrize("size", SIZES)
def test_every_3d_toolbar_button_is_visible(qtbot, size):
    w = _window(qtbot, size)
    tb = w.surface._toolbar
    ext = tb.findChild(QToolButton, "qt_toolbar_ext_button")
    assert ext is None or not ext.isVisible()
    for a in tb.actions():
        if a.isSeparator():
            continue
        b = tb.widgetForAction(a)
        assert b is not None and b.isVisible(), a.text()
        assert QRect(QPoint(0, 0), tb.size()).contains(b.geometry()), a.text()
    # the colour bar floats over the canvas: the surface has the whole width
    assert w.surface.gl_view.width() >= w.surface.width() - 2


@pytest.mark.parametrize("preset", ["perspective", "top", "side"])
def test_camera_presets_frame_the_whole_surface(qtbot, preset):
    w = _window(qtbot, (1280, 800))
    v = w.surface
    v.set_camera(preset)
    cam = v._camera
    pts = cam.project(cam.frame_points())
    gv = v.gl_view
    assert np.all(pts[:, 0] >= 0) and np.all(pts[:, 0] <= gv.width())
    assert np.all(pts[:, 1] >= 0) and np.all(pts[:, 1] <= gv.height())
    # and generously: the surface's box spans most of the smaller dimension
    box = pts[:8]
    span = max(np.ptp(box[:, 0]) / gv.width(), np.ptp(box[:, 1]) / gv.height())
    assert span > 0.7


def _pixels(img: QImage) -> np.ndarray:
    conv = img.convertToFormat(QImage.Format.Format_RGB32)  # keep a reference while reading
    buf = np.frombuffer(conv.constBits(), np.uint8, count=conv.sizeInBytes())
    return buf.reshape(conv.height(), conv.bytesPerLine())[:, : conv.width() * 4].reshape(
        conv.height(), conv.width(), 4)[:, :, :3].copy()


@pytest.mark.parametrize("where", [(1.5, -1.5), (-3.6, -3.9), (3.5, 4.2)])
def test_start_markers_are_drawn_whole(qtbot, where):
    w = _window(qtbot, (1600, 1000))
    v = w.surface
    w.c.set_starts(np.array([where]))
    qtbot.waitUntil(lambda: np.allclose(v._layers.starts[0, :2], where), timeout=3000)
    qtbot.wait(200)
    x, y = where
    c = v.screen_position(x, y, v._layers.height_at(x, y), lift=LIFT_MARKERS)
    img = _pixels(v.grab_image())
    dpr = img.shape[1] / v.gl_view.width()
    cx, cy = c.x() * dpr, c.y() * dpr
    r = 4.0 * dpr  # the white core is 10 px across
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    white = np.all(img > 215, axis=2)
    assert white[disc].mean() > 0.9, f"only {white[disc].mean():.0%} of the marker's core is drawn"


def test_space_runs_and_pauses_while_the_3d_canvas_has_the_keyboard(qtbot):
    """The canvas is a native window of its own: while it has the keyboard (a click gives it
    with a window manager), the window's shortcuts (Space run/pause) must still reach the window."""
    w = _window(qtbot, SIZES[0])
    w.c.update_settings(max_steps=10_000_000, tol=0.0, speed=200)
    w.activateWindow()
    qtbot.waitActive(w)
    gv = w.surface.gl_view
    gv.requestActivate()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is gv, timeout=3000)
    QTest.keyClick(gv, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.c.state == "running", timeout=3000)
    QTest.keyClick(gv, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.c.state == "paused", timeout=3000)


def test_with_many_runs_running_every_view_keeps_moving_and_a_3d_frame_is_one_paint(qtbot):
    """With hundreds of runs the views after the map take turns, one a frame: each must
    still move (the 3D view, the loss curves, the table, the selected run's internals), and
    each 3D frame is drawn once, not once for the data and again for Qt's update timer."""
    w = _window(qtbot, SIZES[0], function="x + 2*y")  # a slope without a minimum: every run keeps moving
    w.c.update_settings(optimizer="momentum", lr=1e-5, max_steps=10_000_000, tol=0.0, speed=None)
    w.c.random_starts(300, "uniform", 0, run=True)
    qtbot.waitUntil(lambda: w.c.state == "running" and w.c.store.n == 300, timeout=5000)
    r = 0
    w.c.select_run(r)
    gv = w.surface.gl_view
    model = w.table.model()

    def seen():
        path = w.curves._sel[w.curves.value_plot][1].path()  # the selected run's loss curve
        last = path.elementAt(path.elementCount() - 1).x if path.elementCount() else 0.0
        return (gv.paints, model.index(w.table.model_.row_of(r), 4).data(), last,
                w.inspector.fields["point"].toolTip())

    qtbot.wait(600)
    before = seen()
    qtbot.wait(1500)
    after = seen()
    assert w.c.state == "running"
    assert after[0] >= before[0] + 4  # the 3D view: several frames (7 a second here)
    assert after[1] != before[1]  # the table's step count for it moved
    assert after[2] > before[2]  # the selected run's loss curve grew
    assert after[3] != before[3]  # the inspector follows the selected run
    # one feed of the 3D view, one paint, in the event loop's next pass
    w.c.pause()
    qtbot.waitUntil(lambda: w.c.state == "paused", timeout=3000)
    qtbot.wait(300)
    n = gv.paints
    w.frame_link.stage_surface()
    assert gv.paints == n  # not in the same pass
    qtbot.wait(100)
    assert gv.paints == n + 1

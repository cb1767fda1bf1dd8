"""The studio window under a real OpenGL context (Xvfb + Mesa llvmpipe; CI's ``-m gl`` pass):
the 3D view in the window draws the runs, and the image export contains it. These tests fail
(never skip) without OpenGL."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication, QImage

from .helpers import make_window, wait_done

pytestmark = pytest.mark.gl


def _need_gl():
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        pytest.fail("these tests need OpenGL: run them under Xvfb (xvfb-run -a ... pytest -m gl)")


def _pixels(img: QImage) -> np.ndarray:
    conv = img.convertToFormat(QImage.Format.Format_RGB32)  # keep a reference while reading
    buf = np.frombuffer(conv.constBits(), np.uint8, count=conv.sizeInBytes())
    return buf.reshape(conv.height(), conv.bytesPerLine())[:, : conv.width() * 4].reshape(
        conv.height(), conv.width(), 4)[:, :, :3].copy()


def _settled_size(qtbot, w):
    """Docks finish their layout a little after the window shows: wait until the 3D view
    keeps its size, so two grabs compare the same pixels."""
    size = None
    for _ in range(20):
        qtbot.wait(150)
        if w.surface.size() == size:
            return
        size = w.surface.size()


def test_3d_view_in_the_window_draws_the_runs(qtbot):
    _need_gl()
    w = make_window(qtbot, function="x**2 + 3*y**2", lr=0.05)
    _settled_size(qtbot, w)
    before = _pixels(w.surface.grab_image())
    assert len(np.unique(before.reshape(-1, 3), axis=0)) > 100  # a shaded surface, not blank
    w.c.random_starts(40, "sobol", 0)
    wait_done(qtbot, w)
    qtbot.wait(300)
    after = _pixels(w.surface.grab_image())
    assert after.shape == before.shape
    changed = np.any(np.abs(after.astype(int) - before.astype(int)) > 40, axis=2)
    assert changed.mean() > 0.002  # trajectories, markers and critical points appeared


def test_image_export_contains_the_3d_view(qtbot, tmp_path):
    _need_gl()
    w = make_window(qtbot, function="x**2 + 3*y**2")
    w.c.run()
    wait_done(qtbot, w)
    qtbot.wait(300)
    p = tmp_path / "views.png"
    assert w.export_image(str(p))
    img = _pixels(QImage(str(p)))
    o = w.surface.mapTo(w.views, QPoint(0, 0))
    h, wd = w.surface.height(), w.surface.width()
    region = img[o.y() + 40: o.y() + h - 40, o.x() + 20: o.x() + wd - 20]
    assert len(np.unique(region.reshape(-1, 3), axis=0)) > 100


def test_the_3d_view_alone_exports_as_an_image(qtbot, tmp_path):
    _need_gl()
    w = make_window(qtbot)
    w.c.add_start(1.0, 1.0)
    w.c.run()
    wait_done(qtbot, w)
    qtbot.wait(300)
    p = tmp_path / "surface.png"
    assert w.export_image(str(p), "surface")
    img = _pixels(QImage(str(p)))
    dpr = img.shape[1] / w.surface.width()
    assert abs(img.shape[0] - w.surface.height() * dpr) <= 1  # the 3D view, not the whole views area
    inner = img[40:-40, 20:-20]
    assert len(np.unique(inner.reshape(-1, 3), axis=0)) > 100  # the surface is drawn, not blank


def test_the_view_settings_are_saved_and_restored_with_the_session(qtbot, tmp_path):
    """Camera (a preset, then turned by hand), arrows, log height and speed go into the
    session file and come back in a fresh window."""
    _need_gl()
    w = make_window(qtbot, function="rosenbrock", speed=50.0)
    s = w.surface
    s.action_top.trigger()
    s.gl_view.setCameraPosition(elevation=61.0, azimuth=-30.0)  # turned by hand
    s.action_arrows.trigger()  # off
    if s.action_log.isChecked():
        s.action_log.trigger()  # Rosenbrock arrives with log height: the person turns it off
    assert not s.action_arrows.isChecked() and not s.action_log.isChecked()
    path = tmp_path / "look.gdsession"
    assert w.save_session(str(path))
    v = w.session.view_settings
    assert v.camera == "top" and v.arrows is False and v.log_height is False and v.speed == 50.0
    assert v.camera_angles[:2] == (61.0, -30.0)

    w2 = make_window(qtbot, function="x**2 + y**2", speed=None)
    assert w2.open_session(str(path))
    s2 = w2.surface
    cam = s2.camera()
    assert abs(cam["elevation"] - 61.0) < 1e-6 and abs(cam["azimuth"] + 30.0) < 1e-6
    assert not s2.action_arrows.isChecked() and not s2.action_log.isChecked()
    assert w2.c.settings.speed == 50.0

"""Inside the optimizer in 3D (marker gl, under Xvfb): the selected run's −∇f, next step and
velocity are drawn on the surface, from the same numbers as the map, and the pixels change
where the arrows are."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication

from .helpers import make_window
from .test_surface_view import as_array

pytestmark = pytest.mark.gl


def _paused_after(qtbot, w, steps):
    w.c.select_run(0)
    w.c.step(steps)
    qtbot.waitUntil(lambda: int(w.c.store.steps[0]) == steps and w.c.state == "paused", timeout=5000)
    w.frame_link.stage_internals()
    w.frame_link.stage_surface()
    qtbot.wait(150)


def test_the_selected_runs_internals_are_drawn_on_the_surface_where_the_map_draws_them(qtbot):
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        pytest.fail("this test needs OpenGL: run it under Xvfb (xvfb-run -a ... pytest -m gl)")
    w = make_window(qtbot, function="elongated", lr=0.02, max_steps=500, optimizer="momentum")
    w.session.set_starts([(-3.0, 1.5)])
    w.surface.set_camera("top")
    _paused_after(qtbot, w, 7)
    s = w.surface
    layer = s._layers.internals
    on_map = w.contour.internals.shown
    assert {"neg_grad", "step", "velocity"} <= set(layer.segs)
    for key, segs in on_map.items():  # the same segments as the map's, in x, y
        np.testing.assert_allclose(layer.segs[key], segs)
    a, b = layer.segs["neg_grad"][0], layer.segs["neg_grad"][1]
    with_arrows = as_array(s.grab_image()).astype(int)
    s.show_internals(None, None)
    qtbot.wait(50)
    without = as_array(s.grab_image()).astype(int)
    changed = np.abs(with_arrows[..., :3] - without[..., :3]).sum(axis=-1) > 60
    # along the −∇f arrow (from the run's point, a share of the map long) the pixels are its colour
    hits = 0
    for t in (0.4, 0.55, 0.7):
        x, y = a + t * (b - a)
        p = s.screen_position(x, y)
        i, j = int(round(p.y())), int(round(p.x()))
        win = changed[i - 3:i + 4, j - 3:j + 4]
        rgb = with_arrows[i - 3:i + 4, j - 3:j + 4, :3].reshape(-1, 3)
        orange = (rgb[:, 0] > 180) & (rgb[:, 1] > 80) & (rgb[:, 1] < 190) & (rgb[:, 2] < 110)
        hits += bool(win.any() and orange.any())
    assert hits == 3
    assert changed.sum() < 0.05 * changed.size  # only the arrows changed, not the whole view
    # a polar run's internals are drawn too, in x, y
    w.link.settings({"coordinates": "polar", "gradient": "naive"})
    _paused_after(qtbot, w, 5)
    assert {"neg_grad", "step"} <= set(layer.segs) and "step" in layer.drawn()


def test_a_start_dragged_on_the_surface_with_ctrl_snaps_as_on_the_map(qtbot):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        pytest.fail("this test needs OpenGL: run it under Xvfb (xvfb-run -a ... pytest -m gl)")
    w = make_window(qtbot, function="saddle", lr=0.1, max_steps=300)
    w.session.set_starts([(1.3, 0.7)])
    s = w.surface
    s.set_camera("top")
    w.frame_link.stage_surface()
    qtbot.wait(200)
    s.action_move_starts.setChecked(True)
    canvas = s.gl_view
    ctrl = Qt.KeyboardModifier.ControlModifier
    L, N = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, pos, button, buttons):
        ev = QMouseEvent(kind, QPointF(pos), QPointF(canvas.mapToGlobal(pos.toPoint())), button, buttons, ctrl)
        QApplication.sendEvent(canvas, ev)

    def settled():  # the camera has framed the surface: screen positions map back to the points
        for p in ((1.3, 0.7), (1.013, 0.0123)):
            q = s.surface_point_at(s.screen_position(*p))
            if q is None or abs(q[0] - p[0]) > 1e-3 or abs(q[1] - p[1]) > 1e-3:
                return False
        return True

    qtbot.waitUntil(settled, timeout=3000)
    qtbot.wait(100)
    assert settled()
    a, b = s.screen_position(1.3, 0.7), s.screen_position(1.013, 0.0123)
    send(QEvent.Type.MouseButtonPress, a, L, L)
    assert s._drag_index == 0  # the start was picked
    for k in range(1, 7):
        send(QEvent.Type.MouseMove, a + (b - a) * (k / 6), N, L)
    send(QEvent.Type.MouseButtonRelease, b, L, N)
    qtbot.waitUntil(lambda: tuple(w.session.starts[0]) == (1.0, 0.0), timeout=3000)  # the round numbers
    assert s.snap(0.03, -0.02) == w.contour.snap(0.03, -0.02) == (0.0, 0.0)  # the known saddle
    assert s.snap(-0.61, 1.19) == w.contour.snap(-0.61, 1.19) == (-0.6, 1.2)

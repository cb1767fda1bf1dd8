"""The side-view lesson under a real OpenGL context (marker gl, under Xvfb): the camera looks
across the step with x running left to right and frames it, the arrow is drawn over the start
marker, and the cross-section of f along the step is shown beside the view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication

from .helpers import make_window, wait_done
from .test_surface_view import as_array

pytestmark = pytest.mark.gl


def test_the_side_view_lesson_frames_the_step_left_to_right_with_its_cross_section(qtbot):
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        pytest.fail("this test needs OpenGL: run it under Xvfb (xvfb-run -a ... pytest -m gl)")
    w = make_window(qtbot, function="x**2")
    assert w.open_lesson("side-view")
    w.c.select_run(0)
    w.c.run()
    wait_done(qtbot, w)
    w.frame_link.stage_surface()
    qtbot.wait(200)
    s = w.surface
    a, b = w.c.step_arrow()
    assert np.allclose(a[:2], (1.0, 0.0)) and np.allclose(b[:2], (0.6, 0.0))
    assert s.camera_preset == "side"
    pa, pb = s.screen_position(*a), s.screen_position(*b)
    assert pb.x() < pa.x()  # the step goes to smaller x, which is to the left: x runs left to right
    # framed: the step spans a good part of the view's width, not a few pixels
    assert abs(pa.x() - pb.x()) > 0.15 * s.gl_view.width()
    # the arrow is drawn over the start marker: white pixels along its middle
    img = as_array(s.grab_image()).astype(int)
    x0, x1 = int(pb.x()) + 8, int(pa.x()) - 8  # between the ends, clear of the dots
    y0 = int(min(pa.y(), pb.y())) - 40
    band = img[max(0, y0):int(max(pa.y(), pb.y())) + 40, x0:x1, :3]
    white_cols = ((band > 225).all(axis=-1)).any(axis=0)
    assert white_cols.mean() > 0.8  # the white arrow runs the whole way between them
    sec = s.section_plot
    assert sec.isVisible() and sec.objectName() == "stepSection"
    assert sec.section.length == pytest.approx(0.4) and sec.section.f_end == pytest.approx(0.36)
    s.set_camera("top")
    assert not sec.isVisible()  # the section goes with the side view


def test_the_side_view_sees_over_the_bowl_and_its_markers_stay_on_their_points(qtbot):
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        pytest.fail("this test needs OpenGL: run it under Xvfb (xvfb-run -a ... pytest -m gl)")
    w = make_window(qtbot, function="x**2")
    assert w.open_lesson("side-view")  # a step inside a round bowl: its near wall is in front
    w.c.select_run(0)
    w.c.run()
    wait_done(qtbot, w)
    w.frame_link.stage_surface()
    qtbot.wait(300)
    s = w.surface
    L = s._layers
    elevation = s.camera()["elevation"]
    assert 8.0 < elevation <= 50.0  # raised just enough to look over the wall, still from the side
    # no surface point between the camera and the step's start rises above the line of sight
    a, _ = L.step_visual()
    u = np.array([0.0, -1.0])  # azimuth -90: the camera stands towards −y
    t = np.linspace(0.02, 1.0, 50)
    xy = a[:2] + t[:, None] * u
    zs = L.surface_vis_z_many(xy[:, 0], xy[:, 1])
    assert np.all(zs <= a[2] + t * np.tan(np.radians(elevation)))
    # the start's disc is drawn where the start is, after the camera moved (it was placed for
    # the camera before and stayed 90 px off)
    s.gl_view.update()
    qtbot.wait(200)
    drawn = s._camera.project(np.asarray(L._start_core_top.pos, float))[0]
    want = s.screen_position(*L.starts[0])
    assert abs(drawn[0] - want.x()) < 2.0 and abs(drawn[1] - want.y()) < 8.0

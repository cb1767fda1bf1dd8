"""Tests of the 3D surface view.

* Pure geometry (ray casting, clipping, arrows, mapping): no display needed.
* Everything marked ``gl`` reads real OpenGL pixels and needs a display with OpenGL (Xvfb +
  Mesa llvmpipe):

      xvfb-run -a -s "-screen 0 1280x1024x24" \
          .venv/bin/python -m pytest tests/gui/test_surface_view.py

  Without one these tests FAIL with a clear message; set ``GDSTUDIO_ALLOW_NO_GL=1`` to skip
  them instead (never silently).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QPoint, QPointF, Qt
from PySide6.QtWidgets import QLabel

# pyqtgraph's shader programs are shared between GL widgets only with this attribute, and it
# must be set before the QApplication exists (tests/conftest.py does it too; harmless twice).
if QCoreApplication.instance() is None:
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

from gdstudio.gui.surface.mapping import (  # noqa: E402
    ViewMapping, auto_log_height, bilinear, fill_nonfinite, ray_height_field_intersection)
from gdstudio.gui.surface.segments import (  # noqa: E402
    arrow_segments, contour_segments, log_ticks, nice_ticks, trajectory_segments)


# ----------------------------------------------------------------------------------------------
# pure geometry (no GL)
# ----------------------------------------------------------------------------------------------
def grid(n=101, lo=-2.0, hi=2.0, m=None):
    xs = np.linspace(lo, hi, n)
    ys = np.linspace(lo, hi, m or n)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    return xs, ys, X, Y


def test_ray_hits_plane_straight_down():
    xs, ys, X, Y = grid()
    Z = np.full(X.shape, 0.7)
    hit = ray_height_field_intersection((0.3, -1.2, 5.0), (0, 0, -1), xs, ys, Z)
    assert hit == pytest.approx((0.3, -1.2), abs=1e-9)


def test_ray_hits_plane_obliquely():
    xs, ys, X, Y = grid()
    Z = np.full(X.shape, 0.5)
    # origin (0, 0, 2) + t (1, 0.5, -1): z = 0.5 at t = 1.5
    hit = ray_height_field_intersection((0, 0, 2), (1, 0.5, -1), xs, ys, Z)
    assert hit == pytest.approx((1.5, 0.75), abs=1e-6)
    # direction need not be normalised
    hit2 = ray_height_field_intersection((0, 0, 2), (10, 5, -10), xs, ys, Z)
    assert hit2 == pytest.approx((1.5, 0.75), abs=1e-6)


def test_ray_hits_bowl_at_analytic_point():
    xs, ys, X, Y = grid(201, m=181)
    Z = X**2 + Y**2
    o = np.array([-1.5, -1.0, 4.0])
    d = np.array([0.6, 0.4, -1.0])
    # (ox + t dx)^2 + (oy + t dy)^2 = oz + t dz  -> quadratic in t, smallest positive root
    a = d[0] ** 2 + d[1] ** 2
    b = 2 * (o[0] * d[0] + o[1] * d[1]) - d[2]
    c = o[0] ** 2 + o[1] ** 2 - o[2]
    roots = (-b + np.array([-1.0, 1.0]) * np.sqrt(b * b - 4 * a * c)) / (2 * a)
    t = roots[roots > 0].min()
    expect = o + t * d
    assert expect[2] < o[2] and np.all(np.abs(expect[:2]) < 2)
    hit = ray_height_field_intersection(o, d, xs, ys, Z)
    assert hit is not None
    assert hit == pytest.approx((expect[0], expect[1]), abs=2e-3)


def test_ray_takes_the_first_hit_not_a_later_one():
    xs, ys, X, Y = grid(161)
    Z = np.where(np.abs(X) < 0.3, 1.0, 0.0)  # a wall across the middle, ground elsewhere
    Z = Z + 0.0 * Y
    hit = ray_height_field_intersection((-1.8, 0.0, 1.5), (1.0, 0.0, -0.35), xs, ys, Z)
    assert hit is not None
    # the ray comes down to z = 1 around x = -0.37 and meets the wall face before the ground
    assert -0.45 < hit[0] < -0.25


def test_ray_misses():
    xs, ys, X, Y = grid()
    Z = X**2 + Y**2
    assert ray_height_field_intersection((0, 0, 10), (0, 0, 1), xs, ys, Z) is None  # upwards
    assert ray_height_field_intersection((5, 5, 10), (0, 0, -1), xs, ys, Z) is None  # outside
    assert ray_height_field_intersection((0, 0, 10), (0, 0, 0), xs, ys, Z) is None  # no dir
    assert ray_height_field_intersection((-3, 0, 9), (1, 0, 0), xs, ys, Z) is None  # above


def test_ray_from_below_hits_the_underside_and_tolerates_nan():
    xs, ys, X, Y = grid()
    Z = np.full(X.shape, 1.0)
    Z[0, 0] = np.nan
    hit = ray_height_field_intersection((0.5, 0.5, -3), (0, 0, 1), xs, ys, Z)
    assert hit == pytest.approx((0.5, 0.5), abs=1e-9)


def test_ray_rejects_wrong_grid_shape():
    xs, ys, X, Y = grid(11, m=7)
    with pytest.raises(ValueError):
        ray_height_field_intersection((0, 0, 1), (0, 0, -1), xs, ys, (X + Y).T)


def test_bilinear_is_exact_on_bilinear_functions_and_ij_ordered():
    xs = np.linspace(0, 3, 4)
    ys = np.linspace(-1, 1, 9)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    Z = 2 * X - 3 * Y + X * Y
    x = np.array([0.25, 1.7, 2.9])
    y = np.array([-0.9, 0.1, 0.77])
    assert bilinear(xs, ys, Z, x, y) == pytest.approx(2 * x - 3 * y + x * y)


def test_mapping_linear_log_and_nonfinite():
    xs, ys, X, Y = grid(51, lo=-5, hi=5)
    Z = X**2 + Y**2
    m = ViewMapping.for_surface(xs, ys, Z)
    assert not m.log
    assert m.vx(-5) == pytest.approx(-1) and m.vy(5) == pytest.approx(1)
    assert m.vz([0, 50]) == pytest.approx([0, m.height])
    assert m.vz([np.inf, np.nan, 1e300])[0] == pytest.approx(m.vz(1e300))
    assert m.rx(m.vx(1.234)) == pytest.approx(1.234)
    # Goldstein-Price-like range: log height by itself, monotone, inverse consistent
    G = 3 + 1e6 * ((X / 5) ** 2 + (Y / 5) ** 2) ** 6
    mg = ViewMapping.for_surface(xs, ys, G)
    assert mg.log and auto_log_height(G)
    v = np.array([3, 10, 1e3, 1e5, 1e6])
    t = mg.frac(v)
    assert np.all(np.diff(t) > 0) and t[0] == pytest.approx(0) and t[-1] <= 1 + 1e-9
    assert mg.inv_frac(t) == pytest.approx(v, rel=1e-9)
    ticks = log_ticks(mg)
    assert len(ticks) >= 4 and all(0 <= f <= 1 for f, _ in ticks)
    Zn = Z.copy()
    Zn[3, 4] = np.nan
    Zn[5, 6] = -np.inf
    Zf, bad = fill_nonfinite(Zn)
    assert np.isfinite(Zf).all() and bad.sum() == 2


def test_trajectory_segments_clip_divergent_runs_to_the_box():
    xs, ys, X, Y = grid(41, lo=-1, hi=1)
    m = ViewMapping.for_surface(xs, ys, X**2 + Y**2)
    ok = np.array([[-0.5, 0, 0.25], [0, 0, 0], [0.5, 0.1, 0.26]])
    diverge = np.array([[0.2, 0.2, 0.08], [0.9, 0.9, 1.6], [30, 40, 1e6], [1e200, -1e200, np.inf],
                        [np.nan, np.nan, np.nan], [0.1, 0.1, 0.02]])
    single = np.array([[0.0, 0.0, 0.0]])
    pos, run, vis = trajectory_segments([ok, diverge, single], m, lift=0.0)
    assert pos.shape == (2 * (2 + 5), 3) and run.tolist() == [0, 0, 1, 1, 1, 1, 1]
    assert np.isfinite(pos).all()
    assert np.abs(pos[:, :2]).max() <= 1 + 1e-6
    assert pos[:, 2].max() <= m.height * 1.15 + 1e-6
    # (0.9,0.9) -> (30,40) is cut at the box edge; the segments beyond are hidden
    assert vis.tolist() == [True, True, True, True, False, False, False]
    cut = pos[2 * 3 + 1]
    assert max(abs(cut[0]), abs(cut[1])) == pytest.approx(1.0, abs=1e-6)


def test_arrow_segments_point_along_the_field_and_are_normalised():
    X = np.array([0.0, 1.0, 2.0])
    Y = np.zeros(3)
    U = np.array([1.0, 0.0, 1e-9])
    V = np.array([0.0, -100.0, 0.0])
    pos, strength = arrow_segments(X, Y, U, V, length=0.5)
    a = pos.reshape(3, 6, 3)
    shaft = a[:, 1, :2] - a[:, 0, :2]
    assert shaft[0] @ np.array([1, 0]) > 0 and abs(shaft[0, 1]) < 1e-9  # +x
    assert shaft[1] @ np.array([0, -1]) > 0  # -y
    lengths = np.hypot(*shaft.T)
    assert lengths[1] == pytest.approx(0.5)  # steepest = full length
    assert lengths[2] >= 0.5 * 0.2 and lengths[0] < lengths[1]  # flat still readable
    assert strength[1] == pytest.approx(1.0)


def test_contour_segments_lie_on_the_level():
    xs, ys, X, Y = grid(81, lo=-1, hi=1)
    seg, which = contour_segments(xs, ys, X**2 + Y**2, [0.25, 0.5])
    r = np.hypot(seg[..., 0], seg[..., 1])
    assert np.abs(r[which == 0] - 0.5).max() < 2e-3
    assert np.abs(r[which == 1] - np.sqrt(0.5)).max() < 2e-3


def test_nice_ticks():
    assert nice_ticks(0, 2500).tolist() == [0, 500, 1000, 1500, 2000, 2500]
    t = nice_ticks(-3.2, 17)
    assert t[0] >= -3.2 and t[-1] <= 17 and 3 <= len(t) <= 7


# ----------------------------------------------------------------------------------------------
# GL: real pixels
# ----------------------------------------------------------------------------------------------
NO_GL_HELP = (" The 3D view needs OpenGL: run under Xvfb, e.g. `xvfb-run -a -s \"-screen 0 "
              "1280x1024x24\" .venv/bin/python -m pytest tests/gui/test_surface_view.py` with "
              "QT_QPA_PLATFORM unset, or set GDSTUDIO_ALLOW_NO_GL=1 to skip these tests.")


def _no_gl(reason: str):
    if os.environ.get("GDSTUDIO_ALLOW_NO_GL") == "1":
        pytest.skip(f"no usable OpenGL ({reason}); GDSTUDIO_ALLOW_NO_GL=1")
    pytest.fail(f"no usable OpenGL: {reason}.{NO_GL_HELP}", pytrace=False)


def as_array(img) -> np.ndarray:
    """QImage -> (h, w, 4) uint8 RGBA copy (keeps the converted image alive while reading)."""
    from PySide6.QtGui import QImage

    conv = img.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w, bpl = conv.height(), conv.width(), conv.bytesPerLine()
    buf = np.frombuffer(conv.constBits(), np.uint8, count=conv.sizeInBytes())
    out = buf.reshape(h, bpl)[:, : 4 * w].reshape(h, w, 4).copy()
    del buf
    return out


W, H = 640, 480


def himmelblau(X, Y):
    return (X**2 + Y - 11) ** 2 + (X + Y**2 - 7) ** 2


@pytest.fixture
def view(qtbot):
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        _no_gl("no DISPLAY")
    from PySide6.QtGui import QGuiApplication

    platform = QGuiApplication.platformName()
    if platform in ("offscreen", "minimal", "vnc"):
        _no_gl(f"Qt platform {platform!r} cannot do QOpenGLWidget")
    if not QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts):
        pytest.fail("Qt.AA_ShareOpenGLContexts was not set before the QApplication was created "
                    "(pyqtgraph's shared shaders then draw nothing in a second GL widget)")
    from gdstudio.gui.surface import SurfaceView

    w = SurfaceView()
    qtbot.addWidget(w)
    w.canvas_widget.setFixedSize(W, H)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(w.gl_view.isValid, timeout=5000)  # the canvas's context exists once it is shown
    ctx = w.gl_view.context()
    img = w.grab_image()
    if ctx is None or not ctx.isValid() or img.isNull() or img.width() == 0:
        _no_gl(f"GL context {'missing' if ctx is None else 'invalid'} or empty framebuffer on "
               f"platform {platform!r}")
    return w


def background_fraction(a: np.ndarray) -> float:
    from gdstudio.gui.surface.style import BACKGROUND

    bg = np.array(BACKGROUND)
    return float((np.abs(a[..., :3].astype(int) - bg).max(-1) <= 6).mean())


def setup_himmelblau(w, cam="top"):
    xs = np.linspace(-5, 5, 101)
    ys = np.linspace(-5, 5, 91)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    w.set_surface(xs, ys, himmelblau(X, Y))
    w.set_camera(cam)
    return xs, ys


@pytest.mark.gl
def test_surface_is_drawn_with_many_colours(view):
    empty = as_array(view.grab_image())
    assert background_fraction(empty) > 0.9  # only the floor frame before a surface
    setup_himmelblau(view, "perspective")
    a = as_array(view.grab_image())
    fg = background_fraction(a)
    assert fg < 0.8, "the surface should cover a good part of the view"
    q = (a[..., :3].astype(int) // 16).reshape(-1, 3)
    distinct = len(np.unique(q[:, 0] * 256 + q[:, 1] * 16 + q[:, 2]))
    assert distinct > 25, f"only {distinct} colours: the surface is not height-coloured"


@pytest.mark.gl
def test_axis_order_is_ij_from_the_top(view):
    """Z = f(x) only, rising with x: from the top, left must be dark (viridis low) and right
    bright (viridis high).  A transposed grid would give a top/bottom gradient instead."""
    xs = np.linspace(-1, 1, 60)
    ys = np.linspace(-1, 1, 40)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    view.set_surface(xs, ys, X + 0.0 * Y)
    view.set_camera("top")
    a = as_array(view.grab_image()).astype(int)
    lum = a[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    left = view.screen_position(-0.7, 0.0)
    right = view.screen_position(0.7, 0.0)
    low = view.screen_position(0.0, -0.7)
    high = view.screen_position(0.0, 0.7)
    assert left.x() < right.x() and high.y() < low.y()  # +x right, +y up on screen

    def at(p):
        return lum[int(p.y()) - 2:int(p.y()) + 3, int(p.x()) - 2:int(p.x()) + 3].mean()

    assert at(right) > at(left) + 60
    assert abs(at(high) - at(low)) < 25


@pytest.mark.gl
def test_trajectory_pixels_appear_along_the_path(view):
    setup_himmelblau(view, "top")
    before = as_array(view.grab_image()).astype(int)
    t = np.linspace(0, 1, 60)
    x = -3.5 + 7 * t
    y = -2.5 + 5 * t
    path = np.c_[x, y, himmelblau(x, y)]
    n0 = len(view.gl_view.items)
    view.set_trajectories([path], [(1.0, 0.0, 1.0, 1.0)])
    assert len(view.gl_view.items) == n0
    after = as_array(view.grab_image()).astype(int)
    changed = np.abs(after[..., :3] - before[..., :3]).max(-1) > 40
    ys_, xs_ = np.nonzero(changed)
    assert len(xs_) > 150, f"only {len(xs_)} pixels changed"
    # changed pixels hug the projected path
    pts = np.array([[p.x(), p.y()] for p in (view.screen_position(a, b, c) for a, b, c in path)])
    seg_a, seg_b = pts[:-1], pts[1:]
    P = np.c_[xs_, ys_].astype(float)
    d = seg_b - seg_a
    tt = np.clip(((P[:, None, :] - seg_a[None]) * d[None]).sum(-1) / (d * d).sum(-1)[None], 0, 1)
    near = np.linalg.norm(P[:, None, :] - (seg_a[None] + tt[..., None] * d[None]), axis=-1).min(1)
    assert np.mean(near < 5) > 0.9
    # and they are magenta-ish
    c = after[ys_, xs_, :3].mean(0)
    assert c[0] > c[1] + 60 and c[2] > c[1] + 60


@pytest.mark.gl
def test_camera_presets_change_the_image(view):
    setup_himmelblau(view, "perspective")
    imgs = {}
    for preset in ("top", "perspective", "side"):
        view.set_camera(preset)
        imgs[preset] = as_array(view.grab_image()).astype(int)
    assert view.camera()["elevation"] < 15
    view.set_camera("top")
    assert view.camera()["elevation"] == pytest.approx(90)
    for a, b in (("top", "perspective"), ("top", "side"), ("perspective", "side")):
        diff = (np.abs(imgs[a] - imgs[b]).max(-1) > 30).mean()
        assert diff > 0.1, f"{a} and {b} look the same ({diff:.3f} of pixels differ)"
    with pytest.raises(ValueError):
        view.set_camera("isometric")


@pytest.mark.gl
def test_known_global_minimum_is_gold_and_the_lowest_found_has_a_white_ring(view):
    setup_himmelblau(view, "top")
    view.set_known_points(np.array([[3.0, 2.0, 0.0]]), ["global"])
    P = np.array([[-2.805118, 3.131312, 0.0], [-0.270845, -0.923039, 181.6], [0.086677, 2.884254, 67.0]])
    view.set_critical_points(P, ["minimum", "maximum", "saddle"], [0])
    a = as_array(view.grab_image()).astype(int)

    def patch(x, y, f):
        p = view.screen_position(x, y, f)
        return a[int(p.y()) - 14:int(p.y()) + 15, int(p.x()) - 14:int(p.x()) + 15, :3]

    known = patch(3.0, 2.0, 0.0)
    gold = (known[..., 0] > 200) & (known[..., 1] > 150) & (known[..., 2] < 90)
    assert gold.sum() > 30  # the known global minimum: drawn before any run reaches it
    found = patch(-2.805118, 3.131312, 0.0)
    white = (found[..., 0] > 220) & (found[..., 1] > 220) & (found[..., 2] > 220)
    red = (found[..., 0] > 180) & (found[..., 1] < 80) & (found[..., 2] < 80)
    gold2 = (found[..., 0] > 200) & (found[..., 1] > 150) & (found[..., 2] < 90)
    assert white.sum() > 20 and red.sum() > 20
    assert gold2.sum() < 5  # the lowest *found* minimum is never drawn as the global one
    with pytest.raises(ValueError):
        view.set_critical_points(P[:1], ["bowl"], 0)
    with pytest.raises(ValueError):
        view.set_known_points(P[:1], [])


def _press_move_release(qtbot, w, start: QPointF, end: QPointF, steps=12, mods=None):
    from PySide6.QtTest import QTest

    mods = mods if mods is not None else Qt.KeyboardModifier.NoModifier
    gv = w.gl_view
    p0 = QPoint(round(start.x()), round(start.y()))
    QTest.mouseMove(gv, p0)
    QTest.mousePress(gv, Qt.MouseButton.LeftButton, mods, p0)
    for k in range(1, steps + 1):
        t = k / steps
        p = QPoint(round(start.x() + t * (end.x() - start.x())),
                   round(start.y() + t * (end.y() - start.y())))
        QTest.mouseMove(gv, p)
        qtbot.wait(5)
    QTest.mouseRelease(gv, Qt.MouseButton.LeftButton, mods,
                       QPoint(round(end.x()), round(end.y())))


@pytest.mark.gl
def test_dragging_a_start_point_slides_it_and_keeps_the_camera(view, qtbot):
    from gdstudio.gui.surface.style import LIFT_MARKERS

    setup_himmelblau(view, "top")
    s = np.array([[-2.0, -1.0, himmelblau(-2.0, -1.0)], [2.5, -3.0, himmelblau(2.5, -3.0)]])
    view.set_starts(s)
    cam0 = view.camera()
    moved, finished = [], []
    view.sig_start_dragged.connect(lambda i, x, y: moved.append((i, x, y)))
    view.sig_start_drag_finished.connect(lambda i, x, y: finished.append((i, x, y)))
    start = view.screen_position(-2.0, -1.0, s[0, 2], lift=LIFT_MARKERS)
    tx, ty = 1.5, 2.0
    end = view.screen_position(tx, ty)
    # a few pixels off the marker's centre still grabs it
    _press_move_release(qtbot, view, start + QPointF(3, -2), end)
    assert moved, "sig_start_dragged never fired"
    assert {i for i, _, _ in moved} == {0}
    assert len(finished) == 1 and finished[0][0] == 0
    _, fx, fy = finished[0]
    assert fx == pytest.approx(tx, abs=0.15) and fy == pytest.approx(ty, abs=0.15)
    assert moved[-1][1:] == pytest.approx((fx, fy))
    cam1 = view.camera()
    for k in ("azimuth", "elevation", "distance"):
        assert cam1[k] == pytest.approx(cam0[k]), f"camera {k} changed during a start drag"
    assert cam1["center"] == pytest.approx(cam0["center"])


@pytest.mark.gl
def test_a_start_dragged_off_the_surface_stops_at_the_domains_edge(view, qtbot):
    """Past the surface's edge the start slides along the level plane at its height and is
    kept in the domain: released beyond the corner, it ends on the corner."""
    from gdstudio.gui.surface.style import LIFT_MARKERS

    setup_himmelblau(view, "top")
    s = np.array([[3.0, 3.0, himmelblau(3.0, 3.0)]])
    view.set_starts(s)
    finished = []
    view.sig_start_drag_finished.connect(lambda i, x, y: finished.append((i, x, y)))
    start = view.screen_position(3.0, 3.0, s[0, 2], lift=LIFT_MARKERS)
    corner = view.screen_position(5.0, 5.0)
    beyond = corner + (corner - start) * 0.5  # past the corner, off the surface
    assert view.surface_point_at(beyond) is None
    _press_move_release(qtbot, view, start, beyond)
    assert len(finished) == 1 and finished[0][0] == 0
    assert finished[0][1:] == pytest.approx((5.0, 5.0), abs=1e-9)


@pytest.mark.gl
def test_plain_drag_rotates_without_emitting(view, qtbot):
    setup_himmelblau(view, "perspective")
    view.set_starts(np.array([[-2.0, -1.0, himmelblau(-2.0, -1.0)]]))
    emitted = []
    view.sig_start_dragged.connect(lambda *a: emitted.append(a))
    view.sig_start_drag_finished.connect(lambda *a: emitted.append(a))
    az0 = view.camera()["azimuth"]
    _press_move_release(qtbot, view, QPointF(40, 40), QPointF(140, 40))
    assert view.camera()["azimuth"] != pytest.approx(az0, abs=5)
    assert emitted == []


@pytest.mark.gl
def test_shift_drag_moves_the_nearest_start_even_with_move_mode_off(view, qtbot):
    setup_himmelblau(view, "top")
    view.action_move_starts.setChecked(False)
    view.set_starts(np.array([[-2.0, -1.0, 0.0], [3.0, 3.0, 0.0]]))
    finished = []
    view.sig_start_drag_finished.connect(lambda *a: finished.append(a))
    az0 = view.camera()["azimuth"]
    a = view.screen_position(2.0, 2.0)  # nearer to start 1, not on it
    b = view.screen_position(1.0, 0.5)
    _press_move_release(qtbot, view, a, b, mods=Qt.KeyboardModifier.ShiftModifier)
    assert len(finished) == 1 and finished[0][0] == 1
    assert finished[0][1:] == pytest.approx((1.0, 0.5), abs=0.15)
    assert view.camera()["azimuth"] == pytest.approx(az0)
    # without Shift, with the mode off, pressing on a start rotates instead
    emitted = []
    view.sig_start_dragged.connect(lambda *a: emitted.append(a))
    p = view.screen_position(-2.0, -1.0)
    _press_move_release(qtbot, view, p, p + QPointF(60, 0))
    assert emitted == [] and view.camera()["azimuth"] != pytest.approx(az0, abs=5)


@pytest.mark.gl
def test_drag_signal_is_rate_limited(view, qtbot):
    from PySide6.QtTest import QTest

    setup_himmelblau(view, "top")
    view.set_starts(np.array([[0.0, 0.0, himmelblau(0.0, 0.0)]]))
    moved = []
    view.sig_start_dragged.connect(lambda *a: moved.append(time.monotonic()))
    gv = view.gl_view
    p = view.screen_position(0.0, 0.0)
    p0 = QPoint(round(p.x()), round(p.y()))
    QTest.mousePress(gv, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p0)
    t0 = time.monotonic()
    for k in range(60):  # as fast as possible
        QTest.mouseMove(gv, p0 + QPoint(k % 40, k // 3))
    elapsed = time.monotonic() - t0
    during = list(moved)
    QTest.mouseRelease(gv, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       p0 + QPoint(19, 19))
    assert 1 <= len(during) <= elapsed * 60 + 2, f"{len(during)} emits in {elapsed:.3f} s"
    assert (np.diff(during) >= 1 / 60 - 2e-3).all()
    assert len(moved) >= len(during)  # the release delivers the last position if pending


@pytest.mark.gl
def test_hover_reports_the_surface_point(view, qtbot):
    from PySide6.QtTest import QTest

    setup_himmelblau(view, "top")
    got = []
    view.sig_point_hovered.connect(lambda x, y: got.append((x, y)))
    p = view.screen_position(1.0, -2.0)
    QTest.mouseMove(view.gl_view, QPoint(round(p.x()), round(p.y())))
    qtbot.waitUntil(lambda: bool(got), timeout=2000)
    assert got[-1] == pytest.approx((1.0, -2.0), abs=0.12)
    # the read-out, painted by the canvas over its top-left corner, says where the mouse is
    assert view.readout_text.startswith("x = ") and "y = " in view.readout_text and "f ≈ " in view.readout_text
    corner = as_array(view.grab_image())[6:24, 6:120, :3].astype(int)
    assert (np.abs(corner - (226, 229, 238)).max(-1) < 60).sum() > 30  # light text on the box
    got.clear()
    QTest.mouseMove(view.gl_view, QPoint(3, 3))  # the dark corner: off the surface
    qtbot.wait(20)
    assert got == [] and view.readout_text == ""
    corner = as_array(view.grab_image())[6:24, 6:120, :3].astype(int)
    assert (np.abs(corner - (226, 229, 238)).max(-1) < 60).sum() == 0  # and it is gone


@pytest.mark.gl
def test_thousand_runs_one_item_and_divergent_values(view):
    setup_himmelblau(view, "perspective")
    rng = np.random.default_rng(0)
    n, T = 1000, 60
    paths = []
    for i in range(n):
        p = np.cumsum(rng.normal(0, 0.1, (T, 2)), 0) + rng.uniform(-4, 4, 2)
        paths.append(np.c_[p, himmelblau(p[:, 0], p[:, 1])])
    paths[7][30:] = [[1e200, -1e200, np.inf]]
    paths[8][10:] = np.nan
    colors = [(0.9, 0.5, 0.1, 0.8)] * n
    n0 = len(view.gl_view.items)
    t0 = time.perf_counter()
    for _ in range(5):
        view.set_trajectories(paths, colors)
        view.set_positions(np.array([p[-1] for p in paths]), colors)
    per_call = (time.perf_counter() - t0) / 5
    assert len(view.gl_view.items) == n0
    assert per_call < 0.25, f"{per_call * 1e3:.0f} ms per update for 1000 runs"
    view.highlight_run(3)
    view.set_step_arrow(paths[3][0], paths[3][1])
    view.set_camera("side")
    a = as_array(view.grab_image())
    assert background_fraction(a) < 0.95
    view.highlight_run(-1)
    view.set_step_arrow(None, None)
    view.set_trajectories([], [])
    view.set_positions(np.zeros((0, 3)), [])


@pytest.mark.gl
def test_nan_surface_huge_range_and_log_toggle(view):
    xs = np.linspace(-2, 2, 80)
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    Z = 3 + 1e6 * ((X / 2) ** 2 + (Y / 2) ** 2) ** 6
    Z[10:14, 20:30] = np.nan
    Z[40, 40] = np.inf
    view.set_surface(xs, xs, Z)
    assert view.mapping.log and view.action_log.isChecked()
    a = as_array(view.grab_image()).astype(int)
    view.action_log.setChecked(False)
    assert not view.mapping.log
    b = as_array(view.grab_image()).astype(int)
    assert (np.abs(a - b).max(-1) > 30).mean() > 0.02
    with pytest.raises(ValueError):
        view.set_surface(xs, xs[:-1], Z)


def test_null_view_accepts_every_call_the_window_makes(qtbot):
    """Without OpenGL the window gets NullSurfaceView: it must offer every public method and
    signal of SurfaceView (the window never probes with hasattr), and says why in one line."""
    from gdstudio.gui.surface import NullSurfaceView
    from gdstudio.gui.surface.view import SurfaceView

    public = {n for n in vars(SurfaceView) if not n.startswith("_")
              and (n.startswith(("set_", "sig_")) or n in ("highlight_run", "camera", "grab_image"))}
    w = NullSurfaceView("The 3D view is unavailable: no OpenGL.")
    qtbot.addWidget(w)
    missing = sorted(n for n in public if not hasattr(w, n))
    assert not missing, missing
    w.set_surface([0, 1], [0, 1], np.zeros((2, 2)))
    w.set_trajectories([np.zeros((3, 3))], [(1, 0, 0, 1)])
    assert w.findChild(QLabel, "surfaceUnavailable").text().startswith("The 3D view is unavailable")


@pytest.mark.gl
def test_the_floor_names_its_axes_and_labels_round_ticks(view):
    """The axis names and the tick values stand on the floor, drawn in one painter pass."""
    setup_himmelblau(view, "perspective")
    view.set_axis_labels(("a", "b"))
    labels = view._layers._labels
    texts = labels.texts()
    assert texts[:2] == ["a", "b"]
    assert {"-4", "-2", "0", "2", "4"} <= set(texts[2:])
    with_text = as_array(view.grab_image())
    kept = list(labels._labels)
    labels.set_labels([])
    without = as_array(view.grab_image())
    changed = (np.abs(with_text[..., :3].astype(int) - without[..., :3]).max(-1) > 40)
    assert changed.sum() > 150, "the labels drew nothing"
    # one label alone is one small glyph, not text smeared over the view
    labels.set_labels([(t, (p.x(), p.y(), p.z()), f, c) for t, p, f, c in kept[:1]])
    only_a = as_array(view.grab_image())
    ys, xs = np.nonzero(np.abs(only_a[..., :3].astype(int) - without[..., :3]).max(-1) > 40)
    assert xs.size > 10 and ys.max() - ys.min() < 30 and xs.max() - xs.min() < 30


@pytest.mark.gl
def test_the_standing_layers_are_drawn_once_per_look_and_look_the_same(view):
    """While runs move, the surface, its lines, the floor and the field come from a cache drawn
    when they or the camera change; the picture is the one drawn without the cache (up to a
    few pixels of anti-aliased edges)."""
    cache = view.gl_view.static_cache
    setup_himmelblau(view, "perspective")
    xs = np.linspace(-5, 5, 15)
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    view.set_gradient_field(xs, xs, -(4 * X * (X**2 + Y - 11) + 2 * (X + Y**2 - 7)),
                            -(2 * (X**2 + Y - 11) + 4 * Y * (X + Y**2 - 7)))

    def uncached():
        original = cache.paint
        cache.paint = lambda: False
        try:
            return as_array(view.grab_image())
        finally:
            cache.paint = original

    def same(a, b) -> bool:
        # the canvas's own framebuffer and the cache's rasterise a thin line a pixel apart in
        # places, and decide depth ties of arrows lying on the surface differently: a pixel
        # matches when the other picture has its colour, within 8 levels, at most one pixel
        # away, and at most 250 may not (measured: 153 at most)
        a, b = a[..., :3].astype(int), np.pad(b[..., :3].astype(int), ((1, 1), (1, 1), (0, 0)), mode="edge")
        h, w = a.shape[:2]
        nearest = np.min([np.abs(a - b[dy:dy + h, dx:dx + w]).max(-1) for dy in range(3) for dx in range(3)], axis=0)
        return int((nearest > 8).sum()) <= 250

    def path(k):
        t = np.linspace(0, 1, 50)
        x, y = -4 + 6 * t, -3 + 5 * t + 0.1 * k
        return np.c_[x, y, himmelblau(x, y)]

    cached = as_array(view.grab_image())
    assert same(cached, uncached())
    renders = cache.renders
    for k in range(4):  # runs move: the standing layers are not drawn again
        view.set_trajectories([path(k)], [(1.0, 0.5, 0.1, 1.0)])
        moved = as_array(view.grab_image())
    assert cache.renders == renders
    assert (np.abs(moved[..., :3].astype(int) - cached[..., :3]).max(-1) > 8).sum() > 200  # the path is there (328)
    assert same(moved, uncached())
    view.set_camera("top")  # a new look: drawn again, and right
    assert same(as_array(view.grab_image()), uncached()) and cache.renders == renders + 1
    xs2, ys2 = np.linspace(-5, 5, 101), np.linspace(-5, 5, 91)
    view.set_surface(xs2, ys2, np.sqrt(himmelblau(*np.meshgrid(xs2, ys2, indexing="ij"))))  # a new surface
    assert same(as_array(view.grab_image()), uncached()) and cache.renders > renders + 1


def test_the_key_and_the_colour_bar_draw_their_contents_and_follow_a_new_title(qtbot):
    """The overlays on the 3D canvas are drawn once per look and copied: the key shows its
    markers and words, the colour bar its gradient, and a new title is drawn, not the old copy."""
    from PySide6.QtCore import QRect

    from gdstudio.gui.surface.overlays import ColorBar, Legend

    key = Legend()
    img = as_array(key.image())
    assert len(np.unique(img[..., :3].reshape(-1, 3), axis=0)) > 20  # markers and text, not a blank box
    bar = ColorBar()
    bar.rect = QRect(0, 0, 90, 240)
    bar.set_mapping(None, "f")
    first = as_array(bar.image())
    column = first[40:220, 16, :3]
    assert len(np.unique(column, axis=0)) > 30  # the viridis gradient
    assert np.array_equal(as_array(bar.image()), first)
    bar.set_mapping(None, "log₁₀ loss")
    assert not np.array_equal(as_array(bar.image())[:20], first[:20])  # the title row changed

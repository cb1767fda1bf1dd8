"""Animation export without Qt: the contour-map renderer (gdstudio.app.animation) and the
GIF/MP4 writer (gdstudio.io.animation), with real files in tmp_path."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gdstudio.app.animation import (AnimationOptions, MapAnimation, PathRecorder, RecordedPaths,
                                    nice_ticks, viridis)
from gdstudio.core.presets import get_objective
from gdstudio.core.runner import BatchDescent
from gdstudio.core.schedules import parse_schedule
from gdstudio.io import animation as io_anim
from gdstudio.io.animation import check_animation_target, gif_delays, write_animation
from gdstudio.io.trajectories import ExportError


def _run(function="x^2 + 3*y^2", starts=((2.0, 2.5), (-2.5, 1.0), (1.0, -2.0)), steps=120, lr=0.02,
         optimizer="gd"):
    obj = get_objective(function)
    dom = obj.domain()
    run = BatchDescent(obj, np.array(starts, float), optimizer, lr, parse_schedule("constant", steps), steps,
                       0.0, dom)
    rec = PathRecorder(steps)
    rec.add(run.initial_chunk())
    while not run.done:
        rec.add(run.advance(50))
    return obj, dom, run, rec.finish(run)


def _frames(path):
    im = Image.open(path)
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(np.asarray(im.convert("RGB")))
    return out, im


def test_gif_round_trip_has_the_requested_frames_size_and_timing(tmp_path):
    obj, dom, run, paths = _run()
    opts = AnimationOptions(fps=12, duration=2.5, width=400, height=300)
    assert opts.frames == 30
    anim = MapAnimation(obj, dom, paths, opts)
    rendered = [np.asarray(f.convert("RGB")) for f in anim.frames()]
    target = tmp_path / "runs.gif"
    write_animation(target, MapAnimation(obj, dom, paths, opts).frames(), opts.frames, opts.fps)
    frames, im = _frames(target)
    assert len(frames) == 30 and im.size == (400, 300)
    # the file holds exactly the frames that were rendered, pixel for pixel
    assert all(np.array_equal(a, b) for a, b in zip(frames, rendered))
    # the runs move: consecutive frames differ, and the last is far from the first
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))
    assert (frames[0] != frames[-1]).any(axis=2).sum() > 500
    delays = []
    for i in range(im.n_frames):
        im.seek(i)
        delays.append(im.info["duration"])
    assert sum(delays) == 2500 and all(d % 10 == 0 for d in delays)
    assert im.info.get("loop") == 0


def test_gif_delays_keep_the_total_duration_exact():
    d = gif_delays(90, 30.0)  # 33.3 ms a frame: GIF can only say 30 or 40
    assert set(d) <= {30, 40} and sum(d) == 3000
    assert gif_delays(4, 20.0) == [50, 50, 50, 50]


def test_the_frames_follow_the_runs_step_by_step():
    obj, dom, run, paths = _run()
    opts = AnimationOptions(fps=10, duration=1.1, width=480, height=400)
    anim = MapAnimation(obj, dom, paths, opts)
    steps = anim.frame_steps()
    assert steps[0] == 0 and steps[-1] == run.step == 120 and np.all(np.diff(steps) > 0)
    frames = [np.asarray(f.convert("RGB")) for f in anim.frames()]
    # each run's current position is a white dot at its projected pixel; frame 0 at the starts
    for frame, step in ((frames[0], 0), (frames[-1], 120)):
        row = int(np.searchsorted(paths.steps, step, side="right")) - 1
        for x, y in anim.to_pixels(paths.points[row]):
            assert tuple(frame[int(round(y)), int(round(x))]) == (255, 255, 255)
    # a trail in the run's colour is drawn by the end, not at the start: halfway along run 0
    mid = anim.to_pixels(paths.points[len(paths.steps) // 3, 0])
    color = np.array(anim.colors[0])
    near = lambda f: np.abs(f[int(mid[1]) - 2:int(mid[1]) + 3, int(mid[0]) - 2:int(mid[0]) + 3] - color).sum(axis=2)
    assert near(frames[-1].astype(int)).min() == 0
    assert near(frames[0].astype(int)).min() > 0


def test_the_map_has_equal_axes_and_dark_valleys():
    obj = get_objective("x^2 + y^2")
    dom = ((-4.0, 4.0), (-1.0, 1.0))  # 4:1 ranges: one unit of x is still one unit of y
    paths = RecordedPaths([0], [[[3.0, 0.5]]])
    anim = MapAnimation(obj, dom, paths, AnimationOptions(width=600, height=400, equal_aspect=True))
    left, top, pw, ph = anim.rect
    assert abs(pw / 8.0 - ph / 2.0) <= 1.0
    frame = np.asarray(next(anim.frames()).convert("RGB")).astype(int)
    cx, cy = anim.to_pixels(np.array([0.3, 0.3]))
    ex, ey = anim.to_pixels(np.array([-3.8, -0.9]))
    assert frame[int(cy), int(cx)].sum() < frame[int(ey), int(ex)].sum()  # low values are dark
    # wildly different ranges fall back to filling the frame unless told otherwise
    wide = MapAnimation(obj, ((-100.0, 100.0), (-1.0, 1.0)), paths, AnimationOptions(width=600, height=400))
    assert not wide.equal_aspect


def test_viridis_matches_the_windows_colour_map():
    pg = pytest.importorskip("pyqtgraph")
    t = np.linspace(0, 1, 101)
    ref = np.round(pg.colormap.get("viridis").map(t, mode="float")[:, :3] * 255)
    assert np.abs(viridis(t).astype(float) - ref).max() <= 6


def test_path_recorder_keeps_long_runs_small_and_exact_where_it_keeps():
    obj = get_objective("x^2 + 3*y^2")
    run = BatchDescent(obj, np.array([[2.0, 1.0], [-1.0, 2.0]]), "gd", 1e-4, parse_schedule("constant", 9000),
                       9000, 0.0, obj.domain())
    rec = PathRecorder(9000, max_rows=1000)
    rec.add(run.initial_chunk())
    chunks = []
    while not run.done:
        c = run.advance(700)
        chunks.append(c)
        rec.add(c)
    paths = rec.finish(run)
    assert len(paths.steps) <= 1002 and paths.steps[0] == 0 and paths.last_step == 9000
    allpts = np.concatenate([c.points for c in chunks])  # row k is step k + 1
    for s, p in list(zip(paths.steps, paths.points))[1::97]:
        assert np.array_equal(p, allpts[s - 1])


def test_from_trajectories_pads_stopped_runs():
    p = RecordedPaths.from_trajectories([np.array([[0, 0], [1, 1], [2, 2.0]]), np.array([[5, 5.0]])])
    assert p.last_step == 2 and p.points.shape == (3, 2, 2)
    assert np.array_equal(p.points[:, 1], [[5, 5]] * 3)


def test_nice_ticks():
    assert np.allclose(nice_ticks(-3, 3), [-3, -2, -1, 0, 1, 2, 3])
    assert np.allclose(nice_ticks(-5, 5), [-4, -2, 0, 2, 4])
    assert np.allclose(nice_ticks(0, 1e5, 4), [0, 2e4, 4e4, 6e4, 8e4, 1e5])
    assert np.allclose(nice_ticks(0.1, 0.95, 4), [0.2, 0.4, 0.6, 0.8])


def _counting(frames, seen):
    for f in frames:
        seen.append(1)
        yield f


def test_a_cancelled_export_leaves_the_existing_file_untouched(tmp_path):
    obj, dom, run, paths = _run()
    target = tmp_path / "keep.gif"
    target.write_bytes(b"the old animation")
    opts = AnimationOptions(fps=10, duration=3, width=320, height=240)
    fractions = []
    with pytest.raises(ExportError, match="cancelled"):
        write_animation(target, MapAnimation(obj, dom, paths, opts).frames(), opts.frames, opts.fps,
                        progress=fractions.append, cancel=lambda: len(fractions) >= 4)
    assert target.read_bytes() == b"the old animation"
    assert fractions == [1 / 30, 2 / 30, 3 / 30, 4 / 30]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gif"]  # no temporary left


def test_a_failed_export_leaves_the_existing_file_untouched(tmp_path):
    obj, dom, run, paths = _run()
    opts = AnimationOptions(fps=10, duration=2, width=320, height=240)

    def broken():
        for i, f in enumerate(MapAnimation(obj, dom, paths, opts).frames()):
            if i == 5:
                raise RuntimeError("renderer failed")
            yield f

    for name in ("keep.gif", "keep.mp4"):
        target = tmp_path / name
        target.write_bytes(b"old")
        with pytest.raises(RuntimeError):
            write_animation(target, broken(), opts.frames, opts.fps)
        assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gif", "keep.mp4"]


def test_mp4_has_the_requested_frames_and_size(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")  # the test extra installs it
    obj, dom, run, paths = _run()
    opts = AnimationOptions(fps=15, duration=2, width=401, height=300)  # odd: padded to even
    target = tmp_path / "runs.mp4"
    write_animation(target, MapAnimation(obj, dom, paths, opts).frames(), opts.frames, opts.fps)
    reader = imageio_ffmpeg.read_frames(str(target))
    meta = reader.__next__()
    frames = list(reader)
    assert meta["size"] == (402, 300) and abs(meta["fps"] - 15) < 1e-6
    assert len(frames) == 30
    assert frames[0] != frames[-1]


def test_bad_targets_are_refused_in_one_sentence(tmp_path, monkeypatch):
    with pytest.raises(ExportError, match="is a .gif or .mp4 file"):
        check_animation_target(tmp_path / "a.png")
    with pytest.raises(ExportError, match="does not exist"):
        check_animation_target(tmp_path / "nowhere" / "a.gif")
    (tmp_path / "d.gif").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        check_animation_target(tmp_path / "d.gif")
    monkeypatch.setattr(io_anim, "mp4_available", lambda: False)
    with pytest.raises(ExportError, match=r"gdstudio\[video\]"):
        check_animation_target(tmp_path / "a.mp4")


def test_options_are_checked():
    assert AnimationOptions().problems() == []
    assert "frames per second" in AnimationOptions(fps=0).problems()[0]
    assert "duration" in AnimationOptions(duration=-1).problems()[0]
    assert "width" in AnimationOptions(width=50).problems()[0]
    with pytest.raises(ValueError, match="two variables"):
        MapAnimation(type("O", (), {"dim": 3})(), ((0, 1),) * 3, RecordedPaths([0], [[[0, 0]]]))


def test_rendering_never_imports_qt():
    code = (
        "import sys, numpy as np\n"
        "from gdstudio.core.presets import get_objective\n"
        "from gdstudio.app.animation import MapAnimation, RecordedPaths, AnimationOptions\n"
        "o = get_objective('rosenbrock')\n"
        "a = MapAnimation(o, o.domain(), RecordedPaths([0, 1], [[[0, 0]], [[0.5, 0.5]]]), AnimationOptions())\n"
        "list(a.frames())\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
        "assert not bad, bad\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def test_from_runs_aligns_runs_kept_at_different_strides():
    a = (np.array([0, 4, 8, 10]), np.array([[0, 0], [4, 4], [8, 8], [10, 10.0]]))
    b = (np.array([0, 1, 2, 3]), np.array([[0, 1], [1, 1], [2, 1], [3, 1.0]]))
    p = RecordedPaths.from_runs([a, b])
    assert p.steps.tolist() == [0, 1, 2, 3, 4, 8, 10]
    assert p.points[:, 0].tolist() == [[0, 0], [0, 0], [0, 0], [0, 0], [4, 4], [8, 8], [10, 10]]
    assert p.points[:, 1].tolist() == [[0, 1], [1, 1], [2, 1], [3, 1]] + [[3, 1]] * 3
    thin = RecordedPaths.from_runs([(np.arange(10_001), np.zeros((10_001, 2)))], max_rows=500)
    assert len(thin.steps) <= 500 and thin.steps[0] == 0 and thin.last_step == 10_000

"""The studio window driven like a person would: typing, clicking, dragging, keys."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QPushButton, QSpinBox

from gdstudio.core.status import CONVERGED
from gdstudio.gui.views.runs_table import VALUE as VALUE_COLUMN

from .helpers import click, make_window, map_point, mouse, near, wait_done, NONE, LEFT


def test_automation_hooks_exist(qtbot):
    w = make_window(qtbot)
    for name in ("functionEdit", "presetCombo", "optimizerCombo", "learningRateEdit", "stepsEdit",
                 "randomStartsCount", "runButton", "pauseButton", "stepButton", "resetButton",
                 "randomStartsButton", "surfaceView", "contourView", "lossPlot", "runsTable"):
        assert w.findChild(object, name) is not None, name
    from PySide6.QtGui import QAction

    assert w.findChild(QAction, "actionExportTrajectories") is not None
    assert w.windowTitle().endswith("Gradient Descent Studio")


def test_type_function_run_and_finish(qtbot):
    w = make_window(qtbot, function="x**2 + y**2")
    edit = w.findChild(QLineEdit, "functionEdit")
    edit.clear()
    qtbot.keyClicks(edit, "(x-1)**2 + 3*(y+0.5)**2")
    qtbot.waitUntil(lambda: w.c.problem.objective.label.replace(" ", "") == "(x-1)**2+3*(y+0.5)**2", timeout=3000)
    # the contour image now shows the new function: minimum of the grid near (1, -0.5)
    g = w.c.problem.grid
    i, j = np.unravel_index(np.nanargmin(g.Z), g.Z.shape)
    assert near((g.xs[i], g.ys[j]), (1, -0.5), 0.05)
    qtbot.mouseClick(w.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
    assert w.c.state == "running"
    wait_done(qtbot, w)
    st = w.c.store
    assert st.status[0] == CONVERGED
    assert near(st.pos[0], (1, -0.5), 1e-4)
    assert st.steps[0] > 5
    model = w.table.model()
    assert model.rowCount() == 1
    assert model.index(0, 1).data() == "converged"
    assert model.index(0, 2).data() == "minimum"
    # the path drawn on the map goes from the start to the minimum
    xy = w.contour.selected_path.getData()
    assert near((xy[0][0], xy[1][0]), st.starts[0], 1e-6)
    assert near((xy[0][-1], xy[1][-1]), (1, -0.5), 1e-3)
    # status bar: step and best value
    assert "step" in w.stat_labels["step"].text()
    assert "best f" in w.stat_labels["best"].text()


def test_the_selected_runs_loss_curves_are_drawn_over_its_steps_in_log_scale(qtbot):
    """The selected run's value and gradient-norm curves (white halo, the run's colour on
    top) go from step 0 at log10 f(start) to its last step, in both plots."""
    w = make_window(qtbot)
    w.c.add_start(2.0, 1.0)
    w.c.run()
    wait_done(qtbot, w)
    st = w.c.store
    r = int(np.argmax(np.all(st.starts[:st.n] == (2.0, 1.0), axis=1)))
    assert tuple(st.starts[r]) == (2.0, 1.0)
    w.c.select_run(r)
    qtbot.wait(100)
    f0 = 2.0**2 + 3 * 1.0**2
    g0 = float(np.hypot(2 * 2.0, 6 * 1.0))
    for plot, first in ((w.curves.value_plot, f0), (w.curves.grad_plot, g0)):
        halo, line = w.curves._sel[plot]
        path = line.path()
        assert path.elementCount() > 5 and halo.path().elementCount() == path.elementCount()
        p0, p1 = path.elementAt(0), path.elementAt(path.elementCount() - 1)
        assert (p0.x, p0.y) == pytest.approx((0.0, np.log10(first)), abs=1e-6)
        assert p1.x == pytest.approx(float(st.steps[r]), rel=0.02)
        assert line.pen().widthF() == 2.0 and halo.pen().widthF() == 4.0


def test_click_on_map_adds_a_start_and_runs_from_there(qtbot):
    w = make_window(qtbot)
    n0 = w.c.store.n
    target = (1.2, -1.7)
    pos = map_point(w.contour, *target)
    click(w.contour.viewport(), pos)
    qtbot.waitUntil(lambda: w.c.store.n == n0 + 1, timeout=2000)
    r = n0
    px = (w.c.problem.domain[0][1] - w.c.problem.domain[0][0]) / w.contour.width() * 2
    assert near(w.c.store.starts[r], target, px)
    assert near(w.c.starts[-1], target, px)
    path = w.c.store.path(r)
    assert near(path[0, :2], w.c.store.starts[r], 1e-9)
    assert w.c.store.steps[r] > 0 and w.c.store.status[r] == CONVERGED
    assert near(path[-1, :2], (0, 0), 1e-3)
    assert w.c.selected == r
    qtbot.wait(60)
    assert w.table.model().rowCount() == n0 + 1


def test_drag_start_recomputes_during_the_move(qtbot):
    w = make_window(qtbot)
    c = w.c
    w.link.add_start(-2.0, 2.0)  # a click's intent
    s = c.starts.shape[0] - 1
    r = c.runs_of_start(s)[0]
    qtbot.wait(60)  # the frame puts the marker on the map
    old_path = c.store.path(r).copy()
    vp = w.contour.viewport()
    p0 = map_point(w.contour, -2.0, 2.0)
    dest = (1.5, 1.0)
    mouse(vp, "press", p0)
    before = getattr(c, "drag_computations", 0)
    seen_starts = []
    for t in np.linspace(0.1, 1.0, 8):
        x = -2.0 + t * (dest[0] + 2.0)
        y = 2.0 + t * (dest[1] - 2.0)
        mouse(vp, "move", map_point(w.contour, x, y), NONE, LEFT)
        qtbot.wait(15)
        seen_starts.append(c.store.path(r)[0, :2].copy())
    # recomputed during the move, before any release
    assert getattr(c, "drag_computations", 0) - before >= 3
    mid = seen_starts[3]
    assert not near(mid, (-2.0, 2.0), 0.2) and not near(mid, dest, 0.2)
    mouse(vp, "release", map_point(w.contour, *dest), LEFT, NONE)
    qtbot.wait(30)
    px = 4 * 6.0 / w.contour.width()
    assert near(c.starts[s], dest, px)
    new_path = c.store.path(r)
    assert near(new_path[0, :2], c.starts[s], 1e-9)
    assert not near(new_path[0, :2], old_path[0, :2], 0.5)
    assert not np.any(np.all(np.abs(c.starts - (-2.0, 2.0)) < 1e-6, axis=1))
    assert near(new_path[-1, :2], (0, 0), 1e-3)


def test_random_starts_fill_the_table_and_colour_basins(qtbot):
    """The button reaches the session and the runs reach the views (the basins, their colours
    and the equal minima are app tests: tests/app/test_frames_export.py)."""
    w = make_window(qtbot, function="(x**2 + y - 11)**2 + (x + y**2 - 7)**2", lr=0.01, max_steps=300)
    w.c.set_domain(((-5, 5), (-5, 5)))
    w.findChild(QSpinBox, "randomStartsCount").setValue(300)
    qtbot.mouseClick(w.findChild(QPushButton, "randomStartsButton"), Qt.MouseButton.LeftButton)
    wait_done(qtbot, w, 20_000)
    c = w.c
    assert w.session.starts.shape == (300, 2) and w.session.basin_mode
    assert np.array_equal(c.starts, w.session.starts)
    assert w.table.model().rowCount() == 300
    frame = c.build_frame()
    assert c.critical and any(int(k) >= 0 for k in c.run_critical)
    k = next(int(v) for v in c.run_critical if v >= 0)
    i = int(np.argmax(c.run_critical == k))
    assert tuple(frame.start_colors[i]) == tuple(frame.critical_colors[k])  # the window colours basins
    # the envelope is drawn in the curves for this many runs
    assert frame.envelope is not None
    assert w.curves._env[w.curves.value_plot][2].path().elementCount() > 10  # the median line


def test_bad_expression_shows_column_and_keeps_the_last_surface(qtbot):
    w = make_window(qtbot)
    before = w.c.problem
    img_before = w.contour.image.image.copy()
    edit = w.findChild(QLineEdit, "functionEdit")
    edit.clear()
    qtbot.keyClicks(edit, "x**2 + z")
    edit.returnPressed.emit()
    qtbot.waitUntil(lambda: w.editor.error_text.isVisible(), timeout=2000)
    assert "column 8" in w.editor.error_text.text()
    assert w.editor.error.isVisible() and w.editor.error.text() == "^"
    assert w.c.problem is before
    assert np.array_equal(w.contour.image.image, img_before)
    # fixing it clears the message
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, "y")
    edit.returnPressed.emit()
    qtbot.waitUntil(lambda: not w.editor.error_text.isVisible(), timeout=2000)
    assert w.c.problem is not before


def test_keys_space_right_r_and_typing_is_not_stolen(qtbot):
    w = make_window(qtbot, speed=20.0, max_steps=100000, lr=0.001, tol=0.0)
    w.contour.setFocus()
    qtbot.keyClick(w.contour, Qt.Key.Key_Space)
    assert w.c.state == "running"
    qtbot.wait(200)
    qtbot.keyClick(w.contour, Qt.Key.Key_Space)
    assert w.c.state == "paused"
    qtbot.wait(100)
    s0 = w.c.store.batch_step
    qtbot.keyClick(w.contour, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.c.store.batch_step == s0 + 1, timeout=2000)
    qtbot.wait(100)
    assert w.c.store.batch_step == s0 + 1 and w.c.state == "paused"
    a, b = w.c.step_arrow()  # the 3D view shows this last step as an arrow
    assert near(b[:2], w.c.store.pos[0], 0) and not near(a[:2], b[:2], 0)
    qtbot.keyClick(w.contour, Qt.Key.Key_R)
    assert w.c.state == "idle" and w.c.store.steps.max() == 0
    # in the function field the same keys type text
    edit = w.findChild(QLineEdit, "functionEdit")
    edit.setFocus()
    edit.setText("x**2")
    qtbot.keyClick(edit, Qt.Key.Key_Space)
    qtbot.keyClicks(edit, "r")
    assert edit.text() == "x**2 r"
    assert w.c.state == "idle"
    qtbot.keyClick(edit, Qt.Key.Key_Left)
    qtbot.keyClick(edit, Qt.Key.Key_Right)
    assert w.c.state == "idle" and w.c.store.steps.max() == 0


def test_export_then_read_back(qtbot, tmp_path):
    w = make_window(qtbot)
    w.c.add_start(1.0, 1.0)
    w.c.run()
    wait_done(qtbot, w)
    c = w.c
    path = tmp_path / "runs.csv"
    rows = w.export_trajectories(str(path))
    lines = path.read_text().splitlines()
    assert lines[0] == "run,step,x,y,value,grad_x,grad_y"
    assert rows == len(lines) - 1 == int(c.store.steps.sum() + c.store.n)
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    for r in range(c.store.n):
        mine = data[data[:, 0] == r]
        mine = mine[np.argsort(mine[:, 1])]
        assert near(mine[0, 2:4], c.store.starts[r], 0)
        assert near(mine[-1, 2:4], c.store.pos[r], 0)
        assert mine[-1, 1] == c.store.steps[r]
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["columns"][:4] == ["run", "step", "x", "y"]
    # selected runs only
    p2 = tmp_path / "one.csv"
    w.export_trajectories(str(p2), runs=[1])
    d2 = np.loadtxt(p2, delimiter=",", skiprows=1, ndmin=2)
    assert set(d2[:, 0].astype(int)) == {1}
    # writing into a missing folder: a status-bar message, no dialog, no exception
    assert w.export_trajectories(str(tmp_path / "missing" / "x.csv")) is None
    assert "Export failed" in w.message.text()


def test_export_replays_when_chunks_exceed_the_budget(qtbot, tmp_path):
    w = make_window(qtbot, speed=1000.0, max_steps=400, lr=0.01, tol=0.0)
    c = w.c
    c.random_starts(20, "sobol", 3, run=False)
    c.store.full_budget = 10_000  # a few chunks only: the export must replay
    c.run()
    qtbot.waitUntil(lambda: c.store.batch_step > 40, timeout=3000)
    c.update_settings(lr=0.02)  # a live change the replay must re-apply
    c.update_settings(speed=None)
    wait_done(qtbot, w)
    assert not c.store.full_complete
    assert any(name == "lr" for _, name, _ in c._changes)
    p = tmp_path / "replayed.csv"
    w.export_trajectories(str(p))
    data = np.loadtxt(p, delimiter=",", skiprows=1, ndmin=2)
    last = data[data[:, 1] == 400]
    last = last[np.argsort(last[:, 0])]
    assert last.shape[0] == 20
    assert np.array_equal(last[:, 2:4], c.store.pos)
    side = json.loads(p.with_suffix(".json").read_text())
    assert side["source_of_batch_rows"] == "deterministic replay"


def test_image_export_and_about(qtbot, tmp_path):
    w = make_window(qtbot)
    p = tmp_path / "views.png"
    assert w.export_image(str(p))
    assert p.stat().st_size > 10_000
    box = w.show_about()
    assert "De Cock" in box.text() and "Kaggle" in box.text() and "Assessor" in box.text()
    box.close()


def test_close_during_a_long_run_stops_the_worker_promptly(qtbot):
    w = make_window(qtbot, speed=None, max_steps=10_000_000, tol=0.0, lr=1e-4)
    w.c.random_starts(1000, "uniform", 1)
    qtbot.waitUntil(lambda: w.c.store.batch_step > 50, timeout=5000)
    thread = w.c.wt.thread
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 2.0
    assert thread.finished


def test_worker_error_becomes_a_status_message(qtbot):
    from gdstudio.core.objective import Objective

    class Breaks(Objective):
        names = ("x", "y")
        label = "breaks after 30 evaluations"
        default_domain = ((-2, 2), (-2, 2))
        calls = 0

        def value_and_grad_T(self, X):
            import threading

            if threading.current_thread() is not threading.main_thread():  # the worker
                Breaks.calls += 1
                if Breaks.calls > 40:
                    raise RuntimeError("boom")
            x, y = X
            return x * x + y * y, np.stack([2 * x, 2 * y])

        def hess(self, P):
            return np.tile(np.eye(2) * 2, (len(P), 1, 1))

    w = make_window(qtbot, speed=None, max_steps=10_000, tol=0.0, lr=1e-4)
    w.c.set_objective(Breaks(), description="breaks")
    Breaks.calls = 0
    w.c.random_starts(10, run=True)
    qtbot.waitUntil(lambda: "boom" in w.message.text(), timeout=5000)
    assert w.c.state == "done"
    assert w.isVisible()


def test_compare_optimizers_side_by_side(qtbot):
    w = make_window(qtbot, lr=0.01)
    w.compare.set_checked(("gd", "momentum", "adam"))
    c = w.c
    assert [sp.optimizer for sp in c.specs] == ["gd", "momentum", "adam"]
    assert len({sp.start for sp in c.specs}) == 1
    c.run()
    wait_done(qtbot, w)
    frame = c.build_frame()
    assert [label for label, _ in frame.legend] == ["gd", "momentum", "adam"]
    assert len({tuple(col) for col in frame.path_colors}) == 3
    # the three ran with their own optimizers (different step counts)
    assert len(set(c.store.steps.tolist())) > 1
    assert len(w.contour.legend.items) >= 3


def test_selecting_a_row_highlights_the_run(qtbot):
    w = make_window(qtbot)
    w.c.random_starts(20, "sobol", 0)
    wait_done(qtbot, w)
    t = w.table
    idx = t.model().index(7, 0)
    t.selectionModel().setCurrentIndex(idx, t.selectionModel().SelectionFlag.ClearAndSelect
                                       | t.selectionModel().SelectionFlag.Rows)
    r = t.model_.run_at(idx.row())
    assert w.c.selected == r
    qtbot.wait(80)
    xy = w.contour.selected_path.getData()
    assert near((xy[0][0], xy[1][0]), w.c.store.starts[r], 1e-6)
    assert w.inspector.report["where"].startswith(f"run {r}")
    assert w.inspector.report["eig"] is not None
    assert abs(w.inspector.report["lr_max"] - 2 / 6) < 1e-9  # Hessian diag(2, 6)


def test_the_runs_table_sorts_on_a_header_click_and_shows_fresh_rows_when_scrolled(qtbot):
    """300 runs: a click on "value" puts the lowest value first (and selecting that row
    selects that run), a second click reverses; a row scrolled into view shows its run's
    current values, and the selection made on the map brings its row into view."""
    w = make_window(qtbot, function="(x**2 + y - 11)**2 + (x + y**2 - 7)**2", lr=0.01, max_steps=300)
    w.c.set_domain(((-5, 5), (-5, 5)))
    w.c.random_starts(300, "uniform", 0, run=True)
    wait_done(qtbot, w, 20_000)
    t = w.table
    m = t.model()
    st = w.c.store
    header = t.horizontalHeader()
    x = header.sectionViewportPosition(VALUE_COLUMN) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    vals = np.asarray(st.val[:300], float)
    best = int(np.argmin(vals))
    assert m.index(0, 0).data() == str(best)
    assert m.index(0, VALUE_COLUMN).data() == f"{vals[best]:.4g}"
    first_rows = [float(m.index(i, VALUE_COLUMN).data()) for i in range(5)]
    assert first_rows == sorted(first_rows)
    t.selectionModel().setCurrentIndex(m.index(0, 0), t.selectionModel().SelectionFlag.ClearAndSelect
                                       | t.selectionModel().SelectionFlag.Rows)
    assert w.c.selected == best and t.selected_runs() == [best]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert m.index(0, 0).data() == str(int(np.argmax(vals)))
    # the last rows, scrolled into view, show their runs as they are now
    t.scrollToBottom()
    qtbot.wait(20)
    last = m.rowCount() - 1
    r = t.model_.run_at(last)
    assert m.index(last, 0).data() == str(r) and m.index(last, 4).data() == f"{int(st.steps[r]):,}"
    # selecting a run elsewhere scrolls the table to it
    w.c.select_run(best)
    qtbot.wait(20)
    row = t.model_.row_of(best)
    first, end = t.visible_rows()
    assert first <= row <= end and m.index(row, 0).data() == str(best)


def test_live_learning_rate_change_reaches_the_running_batch(qtbot):
    w = make_window(qtbot, speed=200.0, max_steps=100_000, lr=1e-3, tol=0.0)
    w.c.run()
    qtbot.waitUntil(lambda: w.c.store.batch_step > 5, timeout=3000)
    gen = w.c.generation
    w.params.set_lr(0.0123)
    qtbot.waitUntil(lambda: any(n == "lr" for _, n, _ in w.c._changes), timeout=3000)
    assert w.c.generation == gen  # live: not restarted
    assert [v for _, n, v in w.c._changes if n == "lr"][-1] == 0.0123
    assert w.findChild(QLineEdit, "learningRateEdit").text() == "0.0123"


def test_hover_on_the_map_inspects_the_point_under_the_mouse(qtbot):
    w = make_window(qtbot)  # x**2 + 3*y**2: Hessian diag(2, 6) everywhere
    pos = map_point(w.contour, 1.0, -0.5)
    mouse(w.contour.viewport(), "move", pos, NONE, NONE)
    qtbot.waitUntil(lambda: (w.inspector.report or {}).get("where") == "mouse", timeout=2000)
    rep = w.inspector.report
    assert near(rep["point"], (1.0, -0.5), 0.05)
    x, y = rep["point"]
    assert abs(rep["value"] - (x * x + 3 * y * y)) < 1e-9
    assert near(rep["grad"], (2 * x, 6 * y), 1e-9)
    assert near(rep["eig"], (2, 6), 1e-9) and abs(rep["cond"] - 3) < 1e-9
    assert abs(rep["lr_max"] - 1 / 3) < 1e-12
    assert w.inspector.fields["lr_max"].text() == "0.3333"


def test_export_action_remembers_the_folder_in_test_settings(qtbot, tmp_path, monkeypatch, settings_dir):
    from PySide6.QtWidgets import QFileDialog

    from gdstudio.gui.main_window import settings_store

    w = make_window(qtbot)
    w.c.run()
    wait_done(qtbot, w)
    target = tmp_path / "sub" / "runs.csv"
    target.parent.mkdir()
    seen = {}

    def fake_dialog(parent, title, start, filt):
        seen["start"] = start
        return str(target), filt

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    w.findChild(QAction, "actionExportTrajectories").trigger()
    assert target.exists() and target.with_suffix(".json").exists()
    st = settings_store()
    assert st.value("export/last_dir") == str(target.parent)
    assert st.fileName().startswith(settings_dir)  # never ~/.config in tests
    w.findChild(QAction, "actionExportTrajectories").trigger()
    assert seen["start"].startswith(str(target.parent))


def test_background_export_reports_progress_and_writes_the_file(qtbot, tmp_path):
    w = make_window(qtbot, max_steps=500, tol=0.0, lr=1e-3)
    w.c.random_starts(200, "sobol", 0)
    wait_done(qtbot, w)
    p = tmp_path / "big.csv"
    task = w.export_in_background(str(p))
    progress = []
    task.sig_progress.connect(progress.append)
    assert w.cancel_export.isVisibleTo(w)
    qtbot.waitUntil(lambda: "Wrote" in w.message.text(), timeout=20_000)
    assert not w.cancel_export.isVisibleTo(w)
    assert sum(1 for _ in open(p)) - 1 == 200 * 501
    # cancelled: no file
    p2 = tmp_path / "cancelled.csv"
    task = w.export_in_background(str(p2))
    task.cancel()
    qtbot.waitUntil(lambda: w.exports.task is None, timeout=20_000)
    assert not p2.exists() and ("cancelled" in w.message.text() or "Wrote" in w.message.text())


def test_only_the_hyper_parameters_of_the_chosen_optimizer_are_shown(qtbot):
    from PySide6.QtWidgets import QComboBox

    w = make_window(qtbot)
    combo = w.findChild(QComboBox, "optimizerCombo")
    form = w.params.form
    shown = lambda: {k for k, e in w.params.hyper_edits.items() if form.isRowVisible(e)}  # noqa: E731
    expected = {"gd": set(), "momentum": {"momentum"}, "nesterov": {"momentum"}, "adagrad": {"eps"},
                "rmsprop": {"alpha", "eps"}, "adam": {"beta1", "beta2", "eps"}}
    for name, keys in expected.items():
        combo.setCurrentIndex(combo.findData(name))
        assert shown() == keys, name
        assert w.c.settings.optimizer == name
    e = w.findChild(QLineEdit, "beta1Edit")
    e.setText("0.8")
    e.editingFinished.emit()
    assert w.c.settings.hyper_for("adam")["beta1"] == 0.8
    assert w.c.settings.hyper_for("adam")["beta2"] == 0.999


def test_step_from_idle_takes_exactly_one_step(qtbot):
    w = make_window(qtbot, speed=None)
    qtbot.mouseClick(w.findChild(QPushButton, "stepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.c.store.batch_step == 1, timeout=2000)
    qtbot.wait(100)
    assert w.c.state == "paused" and w.c.store.steps[0] == 1
    qtbot.mouseClick(w.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
    wait_done(qtbot, w)
    assert w.c.store.status[0] == CONVERGED


def test_choosing_a_preset_sets_function_and_domain(qtbot):
    presets = pytest.importorskip("gdstudio.core.presets")
    from PySide6.QtWidgets import QComboBox

    w = make_window(qtbot)
    combo = w.findChild(QComboBox, "presetCombo")
    name = next(iter(presets.PRESETS))
    combo.setCurrentIndex(combo.findData(name))
    p = presets.PRESETS[name]
    qtbot.waitUntil(lambda: w.c.problem.domain == tuple(tuple(map(float, r)) for r in p.domain), timeout=5000)
    assert w.findChild(QLineEdit, "functionEdit").text() == p.formula


def test_a_click_with_ten_million_max_steps_is_bounded_and_continues_in_the_worker(qtbot):
    """abs(x)+abs(y) never converges (the gradient never vanishes): a click used to compute all
    10,000,000 steps on the GUI thread (35 s, 3.8 GB). Now the click draws INSTANT_STEPS at
    once and the worker continues."""
    from gdstudio.app.instant_paths import INSTANT_STEPS

    w = make_window(qtbot, function="abs(x) + abs(y)", speed=1000, max_steps=10_000_000, tol=0.0, lr=1e-3)
    w.c.clear_starts()
    t0 = time.perf_counter()
    w.c.add_start(1.3, -0.7)
    took = time.perf_counter() - t0
    assert took < 5.0  # ~40 ms on an idle machine; the bound is what matters
    assert f"first {INSTANT_STEPS:,} steps" in w.message.text()
    qtbot.waitUntil(lambda: w.c.state == "running", timeout=5000)
    assert "continue" in w.message.text()
    w.c.pause()


def test_a_slow_compile_runs_in_the_background_and_a_newer_edit_supersedes_it(qtbot, monkeypatch):
    """The compile runs on a job: the window stays responsive with a busy indicator, the last
    valid surface stays, and an edit made meanwhile wins over the slow one."""
    import threading

    import gdstudio.gui.session_link as link

    w = make_window(qtbot)
    before = w.c.problem
    release = threading.Event()
    real = link.function_view

    def slow(text, domain=None):
        if text == "x**2 + y**4":
            release.wait(10)  # a compile that takes long
        return real(text, domain)

    monkeypatch.setattr(link, "function_view", slow)
    edit = w.findChild(QLineEdit, "functionEdit")
    edit.setText("x**2 + y**4")
    edit.returnPressed.emit()
    qtbot.waitUntil(lambda: w.editor.busy.isVisibleTo(w), timeout=2000)
    assert w.c.problem is before  # the last valid surface stays while it compiles
    qtbot.wait(100)  # the GUI thread is free meanwhile: timers and events run
    edit.setText("(x - 1)**2 + y**2")
    edit.returnPressed.emit()
    qtbot.waitUntil(lambda: w.c.problem.objective.label.replace(" ", "") == "(x-1)**2+y**2", timeout=5000)
    release.set()  # the slow compile ends now: its result must not replace the newer one
    qtbot.wait(300)
    assert w.c.problem.objective.label.replace(" ", "") == "(x-1)**2+y**2"
    assert not w.editor.busy.isVisibleTo(w)


def test_a_staged_frame_is_a_snapshot_clearing_the_starts_meanwhile_is_harmless(qtbot):
    w = make_window(qtbot, max_steps=200)
    w.c.random_starts(300, "sobol", 0)
    wait_done(qtbot, w)
    link = w.frame_link
    qtbot.waitUntil(lambda: link.latest is not None, timeout=2000)
    staged = link.latest
    paths = [p.copy() for p in staged.paths]
    w.c.clear_starts()  # the store now holds one run; the staged frame still 300
    for stage in (link.stage_map, link.stage_surface, link.stage_curves, link.stage_table, link.stage_internals):
        stage()  # draws the staged frame: must not raise
    assert staged.n_runs == 300 and len(staged.paths) == len(paths)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(paths, staged.paths))


def test_text_set_by_code_is_what_return_applies_not_the_preset(qtbot):
    from PySide6.QtWidgets import QComboBox

    w = make_window(qtbot)
    combo = w.findChild(QComboBox, "presetCombo")
    combo.setCurrentIndex(combo.findData("rosenbrock"))
    qtbot.waitUntil(lambda: "rosenbrock" in w.c.problem.objective.label.lower()
                    or "100" in w.c.problem.objective.label, timeout=5000)
    edit = w.findChild(QLineEdit, "functionEdit")
    edit.setText("x**2 + 5*y**2")  # by code: no keystroke
    edit.returnPressed.emit()
    qtbot.waitUntil(lambda: w.c.problem.objective.label.replace(" ", "") == "x**2+5*y**2", timeout=5000)
    assert combo.currentData() is None  # "Custom": the field and the preset agree


def test_the_export_sidecar_records_the_settings_the_runs_used(qtbot, tmp_path):
    """A learning rate and an optimizer chosen before the first run, and a live learning-rate
    change during it, are what the sidecar records; replaying the sidecar gives the CSV."""
    import json

    from gdstudio.io.trajectories import read_trajectories_csv

    w = make_window(qtbot, function="x**2 + 3*y**2", speed=2000.0, max_steps=3000, tol=0.0, lr=0.01)
    w.link.settings({"lr": 0.05})  # before the first run
    w.link.settings({"optimizer": "momentum"})
    w.c.run()
    qtbot.waitUntil(lambda: w.c.store.batch_step > 200, timeout=10_000)
    w.link.settings({"lr": 0.02})  # live
    at = w.c.store.batch_step
    # chunks stepped before the change may still be on their way: wait for the one after it
    qtbot.waitUntil(lambda: any(name == "lr" for _s, name, _v in w.c._changes), timeout=10_000)
    qtbot.waitUntil(lambda: w.c.store.batch_step > at + 50, timeout=10_000)
    w.c.pause()
    path = tmp_path / "runs.csv"
    assert w.export_trajectories(str(path))
    meta = json.loads(path.with_suffix(".json").read_text())
    assert {r["lr"] for r in meta["runs"]} == {0.05} and {r["optimizer"] for r in meta["runs"]} == {"momentum"}
    live = [c for c in meta["live_changes"] if c["name"] == "lr"]
    assert len(live) == 1 and live[0]["value"] == 0.02 and live[0]["step"] >= at
    # the first step of the CSV is a momentum step at lr 0.05 from the start
    assert read_trajectories_csv(str(path)) is not None
    x0, y0 = w.c.starts[0]
    g = np.array([2 * x0, 6 * y0])
    expected = np.array([x0, y0]) - 0.05 * g  # momentum's first step equals gd's (v = g)
    rows = [ln.split(",") for ln in path.read_text().splitlines()[1:3]]
    assert int(rows[1][1]) == 1
    assert np.allclose([float(rows[1][2]), float(rows[1][3])], expected, rtol=1e-9, atol=1e-12)


def test_the_window_exports_parquet_with_the_same_rows_as_csv(qtbot, tmp_path):
    import pyarrow.parquet as pq  # the test extra installs pyarrow
    w = make_window(qtbot, function="x**2 + 3*y**2", max_steps=200, lr=0.05)
    w.c.random_starts(5, "sobol", 0)
    wait_done(qtbot, w)
    n_csv = w.export_trajectories(str(tmp_path / "runs.csv"))
    n_pq = w.export_trajectories(str(tmp_path / "runs.parquet"))
    assert n_csv and n_pq == n_csv
    table = pq.read_table(tmp_path / "runs.parquet")
    assert table.num_rows == n_csv and table.column_names[:4] == ["run", "step", "x", "y"]

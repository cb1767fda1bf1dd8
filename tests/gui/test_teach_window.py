"""The window teaches (issue 8): known critical points from the start, divergence announced,
typed start points, lessons in one click."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMenu, QPushButton, QTableWidget

from gdstudio.core.presets import PRESETS
from gdstudio.core.status import DIVERGED

from .helpers import make_window, map_point, wait_done


def _near(points, target, tol=1e-9):
    return any(abs(x - target[0]) <= tol and abs(y - target[1]) <= tol for x, y in points)


def test_two_minima_preset_shows_both_known_minima_before_any_run(qtbot):
    w = make_window(qtbot, function="two_minima")
    assert w.c.state == "idle" and w.c.critical == []  # nothing has run
    known = w.contour.known
    deep, shallow, ridge = PRESETS["two_minima"].points
    assert _near(known.points_of("global"), (deep.x, deep.y))
    assert _near(known.points_of("local"), (shallow.x, shallow.y))
    assert _near(known.points_of("saddle"), (ridge.x, ridge.y))
    labels = [lab.text for _, lab in w.contour.legend.items]
    assert "global min (known)" in labels and "local min (known)" in labels
    # the 3D view has them too, the global one apart from the local one
    P, groups = w.surface._layers.known
    assert sorted(groups) == ["global", "local", "saddle"]
    assert np.allclose(P[groups.index("global")], (deep.x, deep.y, deep.value))
    # a typed function has no known points
    w.link.function("x**2 + y**2")
    qtbot.waitUntil(lambda: w.c.problem.objective.preset is None, timeout=10_000)
    assert w.contour.known.markers == () and len(w.surface._layers.known[1]) == 0


def test_the_lowest_found_minimum_is_not_drawn_as_the_global_one(qtbot):
    w = make_window(qtbot, function="two_minima", lr=0.02, max_steps=3000)
    w.session.set_starts([(1.6, 0.0)])
    w.c.run()
    wait_done(qtbot, w)
    (found,) = w.c.critical
    assert found.kind == "minimum" and found.best and found.global_minimum is False
    ring = list(zip(*w.contour.best.getData()))
    assert len(ring) == 1 and abs(ring[0][0] - 0.96015) < 1e-3  # "lowest found": a ring there
    star = w.contour.known.points_of("global")
    assert _near(star, (-1.0355787140888537, 0.0))  # the star stays on the known global minimum
    labels = [lab.text for _, lab in w.contour.legend.items]
    assert "lowest found" in labels and "best minimum" not in labels


def test_equal_minima_found_are_all_marked_in_both_views(qtbot):
    w = make_window(qtbot, function="himmelblau", lr=0.005, max_steps=4000)
    w.session.set_starts([(2.5, 2.5), (-2.5, 2.5), (-3.0, -3.0), (3.5, -1.5)])
    w.c.run()
    wait_done(qtbot, w, timeout=20_000)
    best = [cp for cp in w.c.critical if cp.best]
    assert len(best) == 4 and all(cp.global_minimum for cp in best)
    assert len(w.contour.best.getData()[0]) == 4
    w.frame_link.stage_surface()
    assert len(w.surface._layers.crit[2]) == 4  # each equal minimum has its ring in 3D too


def test_a_diverged_run_changes_the_state_label_and_offers_a_stable_rate(qtbot):
    w = make_window(qtbot, function="x**2 + 3*y**2", lr=0.5, max_steps=500)  # 2/λmax = 1/3
    w.session.set_starts([(1.0, 1.0)])
    w.c.run()
    wait_done(qtbot, w)
    label = w.findChild(QLabel, "stateLabel")
    qtbot.waitUntil(lambda: label.text() == "diverged", timeout=3000)
    assert int(w.c.store.status[0]) == DIVERGED
    assert w.findChild(QLabel, "status_best").text() == "best f = —"  # never the diverged value
    assert "2/λmax = 0.333" in w.message.text()
    button = w.findChild(QPushButton, "applyStableLrButton")
    assert button.isVisible() and button.text() == "Use lr 0.3"
    undo_before = w.session.undo_text
    button.click()
    assert w.session.settings.lr == 0.3 and w.session.undo_text != undo_before  # an undo step
    wait_done(qtbot, w)
    qtbot.waitUntil(lambda: label.text() == "finished", timeout=3000)
    assert not button.isVisible()


def test_some_runs_diverged_says_how_many(qtbot):
    w = make_window(qtbot, function="x**2 + 3*y**2", lr=0.1, max_steps=400)
    w.session.set_starts([(1.0, 1.0), (-1.0, 0.5)])
    w.session.set_compare(lrs=[0.1, 0.5])
    w.c.run()
    wait_done(qtbot, w)
    label = w.findChild(QLabel, "stateLabel")
    qtbot.waitUntil(lambda: label.text() == "2 of 4 runs diverged", timeout=3000)
    best = w.findChild(QLabel, "status_best").text()
    assert best.startswith("best f = ") and "e+" not in best  # the converged runs' value


def test_a_typed_start_runs_from_exactly_that_point(qtbot):
    w = make_window(qtbot, function="saddle", lr=0.1, max_steps=500)
    table = w.findChild(QTableWidget, "startList")
    assert table.rowCount() == w.session.starts.shape[0] >= 1
    before = tuple(w.session.starts[0])
    n_undo = len(w.session._undo)
    table.item(0, 0).setText("1")
    table.item(0, 1).setText("0")
    assert tuple(w.session.starts[0]) == (1.0, 0.0) and len(w.session._undo) == n_undo + 2
    w.c.run()
    wait_done(qtbot, w)
    st = w.c.store
    assert tuple(st.starts[0]) == (1.0, 0.0)
    assert st.pos[0, 1] == 0.0 and abs(st.pos[0, 0]) < 1e-5  # stayed on y = 0, ends on the saddle
    assert w.c.run_kind(0) == "saddle"
    w.session.undo()  # the y edit
    assert tuple(w.session.starts[0]) == (1.0, before[1])
    assert table.item(0, 1).text() == repr(float(before[1]))  # the list follows the session


def test_start_list_adds_and_removes_and_the_runs_table_start_cell_is_editable(qtbot):
    w = make_window(qtbot, function="x**2 + y**2")
    sl = w.start_list
    n = w.session.starts.shape[0]
    sl.new_x.setText("0.5")
    sl.new_y.setText("-1.25")
    sl.add_button.click()
    assert w.session.starts.shape[0] == n + 1 and tuple(w.session.starts[-1]) == (0.5, -1.25)
    assert sl.table.rowCount() == n + 1
    sl.new_x.setText("oops")
    sl.add_button.click()  # one sentence, nothing added
    assert w.session.starts.shape[0] == n + 1 and "type a number" in w.message.text()
    model = w.table.model_
    qtbot.waitUntil(lambda: model.rowCount() == n + 1, timeout=3000)
    idx = model.index(n, 5)
    assert model.flags(idx) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(idx, "(2, -0.5)")
    assert tuple(w.session.starts[n]) == (2.0, -0.5)
    assert not model.setData(idx, "2")  # not a point: refused, said why
    assert "two numbers" in w.message.text()
    sl.table.selectRow(n)
    sl.remove_button.click()
    assert w.session.starts.shape[0] == n
    w.session.undo()
    assert w.session.starts.shape[0] == n + 1


def _ctrl_drag(view, a: QPoint, b: QPoint, steps=6):
    vp = view.viewport()
    ctrl = Qt.KeyboardModifier.ControlModifier
    L, N = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, pos, button, buttons):
        ev = QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons, ctrl)
        QApplication.sendEvent(vp, ev)

    from PySide6.QtCore import QEvent

    send(QEvent.Type.MouseButtonPress, a, L, L)
    for k in range(1, steps + 1):
        p = QPoint(a.x() + (b.x() - a.x()) * k // steps, a.y() + (b.y() - a.y()) * k // steps)
        send(QEvent.Type.MouseMove, p, N, L)
    send(QEvent.Type.MouseButtonRelease, b, L, N)


def test_a_start_dragged_with_ctrl_snaps_to_known_points_and_round_numbers(qtbot):
    w = make_window(qtbot, function="saddle", lr=0.1, max_steps=300)
    w.session.set_starts([(1.3, 0.7)])
    qtbot.wait(100)
    _ctrl_drag(w.contour, map_point(w.contour, 1.3, 0.7), map_point(w.contour, 1.013, 0.0123))
    qtbot.waitUntil(lambda: tuple(w.session.starts[0]) == (1.0, 0.0), timeout=3000)
    assert w.contour.snap(0.03, -0.02) == (0.0, 0.0)  # onto the known saddle
    assert w.contour.snap(-0.61, 1.19) == (-0.6, 1.2)  # round numbers (a 0.2 grid on this domain)


def test_lessons_menu_opens_a_lesson_with_its_narrative(qtbot, tmp_path):
    w = make_window(qtbot, function="x**2 + y**2")
    menu = w.findChild(QMenu, "menuLessons")
    names = [a.objectName() for a in menu.actions()]
    assert "actionLesson_two-minima" in names and len(names) >= 13
    w.findChild(QAction, "actionLesson_two-minima").trigger()
    dock = w.findChild(QDockWidget, "lessonDock")
    assert dock.isVisible()
    assert w.c.problem.objective.preset.name == "two_minima" and w.session.path is None
    assert "Two minima" in w.findChild(QLabel, "lessonTitle").text()
    assert "tilted double well" in w.findChild(QLabel, "lessonText").text()
    assert w.findChild(QLabel, "lessonFormula").text().startswith("f(x, y)")
    step = w.findChild(QPushButton, "lessonStep1")
    assert step.text() == "Many starts"
    step.click()
    assert w.session.starts.shape[0] == 30 and w.session.undo_text == "Many starts"
    wait_done(qtbot, w, timeout=20_000)
    assert {cp.global_minimum for cp in w.c.critical if cp.kind == "minimum"} == {True, False}
    w.findChild(QPushButton, "lessonNextButton").click()
    assert w.c.problem.objective.preset.name == "two_minima"  # worse-minimum: the same function
    assert "worse minimum" in w.findChild(QLabel, "lessonTitle").text()
    assert not w.open_lesson("no-such-lesson") and "there is no lesson" in w.message.text()


def test_a_lesson_file_opened_like_any_session_shows_its_narrative(qtbot):
    from gdstudio.app.lessons import load_lesson

    w = make_window(qtbot, function="x**2 + y**2")
    path = load_lesson("saddle").path
    assert w.open_session(path)
    assert w.findChild(QDockWidget, "lessonDock").isVisible()
    assert "saddle" in w.findChild(QLabel, "lessonTitle").text().lower()
    assert w.session.path == path


def test_the_coordinates_choice_runs_polar_descents_drawn_on_the_xy_map(qtbot):
    from PySide6.QtWidgets import QComboBox

    from gdstudio import descend

    f = "(x - 1)**2 + 2*(y - 0.5)**2"
    w = make_window(qtbot, function=f, lr=0.05, max_steps=200)
    w.session.set_starts([(2.0, 1.5)])
    combo = w.findChild(QComboBox, "coordinatesCombo")
    assert combo.isEnabled() and combo.currentData() == "cartesian"
    combo.setCurrentIndex(combo.findData("polar:naive"))
    assert (w.session.settings.coordinates, w.session.settings.gradient) == ("polar", "naive")
    assert w.session.undo_text == "Coordinates"
    w.c.run()
    wait_done(qtbot, w)
    ref = descend(f, [[2.0, 1.5]], lr=0.05, steps=200, coordinates="polar", gradient="naive")
    assert np.allclose(w.c.store.pos[0], ref.final_points[0], atol=1e-12)  # in x, y
    cart = descend(f, [[2.0, 1.5]], lr=0.05, steps=5, record=True).trajectories[0]
    naive = descend(f, [[2.0, 1.5]], lr=0.05, steps=5, record=True, coordinates="polar",
                    gradient="naive").trajectories[0]
    path = w.c.store.path(0, 2048)
    assert np.allclose(path[:6, :2], naive[:6], atol=1e-6) and not np.allclose(naive[:6], cart[:6], atol=1e-3)
    w.session.undo()
    assert combo.currentData() == "cartesian" and w.c.settings.coordinates == "cartesian"


def test_inside_the_optimizer_is_drawn_at_the_selected_runs_point(qtbot):
    from gdstudio.core.internals import run_internals
    from gdstudio.core.runner import BatchDescent

    w = make_window(qtbot, function="elongated", lr=0.02, max_steps=500, optimizer="momentum")
    w.session.set_starts([(-3.0, 1.5)])
    w.c.select_run(0)
    w.c.step(7)
    qtbot.waitUntil(lambda: int(w.c.store.steps[0]) == 7 and w.c.state == "paused", timeout=5000)
    w.frame_link.stage_internals()
    shown = w.contour.internals.shown
    assert {"neg_grad", "step", "velocity"} <= set(shown)
    b = BatchDescent(w.c.problem.objective, [[-3.0, 1.5]], "momentum", 0.02, max_steps=500, use_fused=False,
                     momentum=0.9)
    b.advance(7, record=False)
    ref = {c.key: c.value for c in run_internals(b, 0)}
    p = w.internals.carried[0]
    assert np.allclose(p, w.c.store.pos[0], rtol=0, atol=1e-12)  # drawn at the run's current point
    assert np.allclose(shown["step"][0], p) and np.allclose(shown["step"][1] - p, ref["step"], rtol=1e-9) \
        or "×" in w.contour.internals.note.toPlainText()
    text = w.findChild(QLabel, "optimizerInternals").text()
    vx, vy = ref["velocity"]
    assert "velocity" in text and f"{vx:.4g}" in text and f"{vy:.4g}" in text
    labels = [lab.text for _, lab in w.contour.legend.items]
    assert "velocity b" in labels and "−∇f" in labels
    # adam: the per-coordinate step sizes as bars
    w.session.set_optimizer("adam")
    w.c.step(3)
    qtbot.waitUntil(lambda: int(w.c.store.steps[0]) == 3 and w.c.state == "paused", timeout=5000)
    w.frame_link.stage_internals()
    assert w.c.specs[0].optimizer == "adam"  # a new optimizer while paused: the restart uses it
    assert "effective_lr" in w.contour.internals.shown and "velocity" not in w.contour.internals.shown
    assert "lr/(√v̂ + ε)" in w.findChild(QLabel, "optimizerInternals").text()


def _reference_internals(w, start, optimizer, lr, steps, **hyper):
    from gdstudio.core.internals import run_internals
    from gdstudio.core.runner import BatchDescent

    b = BatchDescent(w.c.problem.objective, [start], optimizer, lr, max_steps=10**9, tol=0.0,
                     use_fused=False, **hyper)
    b.advance(steps, record=False)
    return b.points[0].copy(), {c.key: c.value for c in run_internals(b, 0)}


def test_internals_of_a_running_run_come_live_from_the_worker(qtbot):
    """While the runs run, the selected run's internals arrive with the worker's chunks: exact
    at the step the run is at, however far along (no replay on the GUI thread)."""
    w = make_window(qtbot, function="elongated", lr=0.001, max_steps=10**7, optimizer="adam")
    w.c.update_settings(tol=0.0)
    w.session.set_starts([(-3.0, 1.5), (2.0, -1.0)])
    w.c.select_run(1)
    w.c.run()
    qtbot.waitUntil(lambda: w.c.state == "running" and int(w.c.store.steps[1]) > 3000, timeout=20_000)
    w.c.pause()
    qtbot.waitUntil(lambda: w.c.state == "paused", timeout=5000)
    live = w.c.live_internals
    assert live is not None and live.run == 1 and live.steps == int(w.c.store.steps[1]) > 3000
    w.frame_link.stage_internals()
    p, carried = w.internals.carried
    ref_p, ref = _reference_internals(w, (2.0, -1.0), "adam", 0.001, live.steps)
    assert np.array_equal(p, ref_p)  # the same run, bit for bit
    got = {c.key: c.value for c in carried}
    for k in ("neg_grad", "step", "m_hat", "v_hat", "effective_lr"):
        assert np.array_equal(got[k], ref[k]), k
    assert w.internals._job is None  # nothing was replayed


def test_internals_of_a_stopped_run_are_replayed_off_the_gui_thread(qtbot):
    w = make_window(qtbot, function="elongated", lr=0.02, max_steps=40, optimizer="momentum")
    w.session.set_starts([(-3.0, 1.5)])
    w.c.select_run(0)
    w.c.run()
    wait_done(qtbot, w)
    assert int(w.c.store.steps[0]) == 40  # stopped at max steps: the batch's state moved on
    w.frame_link.stage_internals()
    qtbot.waitUntil(lambda: w.internals.carried is not None, timeout=10_000)
    assert w.internals._key[0] == "replay" and w.internals._job is None  # a finished background job
    p, carried = w.internals.carried
    ref_p, ref = _reference_internals(w, (-3.0, 1.5), "momentum", 0.02, 40, momentum=0.9)
    assert np.array_equal(p, ref_p)
    assert np.array_equal({c.key: c.value for c in carried}["velocity"], ref["velocity"])

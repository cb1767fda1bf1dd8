"""The Sweep dock in the real window: the map is computed from the studio's function, starts
and settings, and clicking a cell runs that cell's setting in the studio (one undo step), so
the person sees the path behind the number: the same runs, with the same step counts."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from .helpers import make_window


@pytest.fixture
def win(qtbot):
    w = make_window(qtbot, function="elongated", speed=None, max_steps=400)
    w.session.set_starts(np.array([[1.5, 1.0], [-2.0, 0.5]]))
    w.sweep_dock.show()
    w.sweep_dock.raise_()
    qtbot.waitUntil(lambda: w.c.starts.shape == (2, 2), timeout=5000)
    yield w
    w.sweep.cancel()


def test_a_cell_click_runs_its_setting_in_the_studio(win, qtbot):
    p = win.sweep
    assert win.sweep_dock.objectName() == "sweepDock" and win.sweep_dock.widget().widget() is p
    ctx = p.context()
    assert ctx.objective is win.c.problem.objective
    assert ctx.starts.tolist() == [[1.5, 1.0], [-2.0, 0.5]]
    p.x_range.setText("0.01,0.05")
    p.y_range.setText("0.5,0.9")
    p.steps.setValue(400)
    p.run_button.click()
    qtbot.waitUntil(lambda: p._job is None, timeout=60_000)
    assert all(r is not None for r in p.rows)
    before = win.session.settings
    # a real click on cell (1, 0): lr 0.05, momentum 0.5
    L = p.layout_
    scene = p.plot.getViewBox().mapViewToScene(QPointF(L.coordinate("lr", L.x_values)[1],
                                                       L.coordinate("momentum", L.y_values)[0]))
    qtbot.mouseClick(p.plot.viewport(), Qt.MouseButton.LeftButton, pos=p.plot.mapFromScene(scene))
    qtbot.waitUntil(lambda: win.c.settings.lr == 0.05, timeout=5000)
    s = win.c.settings
    assert (s.optimizer, s.lr, s.hyper_for("momentum")["momentum"]) == ("momentum", 0.05, 0.5)
    assert s.compare_optimizers == () and s.compare_lrs == ()
    assert win.session.settings.optimizer == "momentum"  # the document changed, not only the view
    qtbot.waitUntil(lambda: win.c.state == "done", timeout=30_000)
    row = p.row_at(1, 0)
    steps = np.asarray(win.c.store.steps)
    assert row["converged"] == 2 and float(np.median(steps)) == row["median_steps_to_converge"]
    assert not p.load_cell(9, 9)  # outside the map: nothing happens
    assert win.session.undo() and win.session.settings == before  # one undo step


def test_closing_the_window_stops_a_running_sweep(win, qtbot):
    p = win.sweep
    p.x_range.setText("1e-4:1e-3:30")
    p.y_range.setText("0:0.5:20")
    p.steps.setValue(3000)
    p.run_button.click()
    qtbot.waitUntil(lambda: p._done >= 1, timeout=60_000)
    job = p._job
    win.close()
    assert job.cancelled()

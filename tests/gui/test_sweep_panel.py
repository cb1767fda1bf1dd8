"""The Sweep panel (the convergence map) as a real widget with a real job pool: the map fills
in from a background job, hover shows a cell's numbers, a click sends the cell's settings,
Cancel keeps what finished while the GUI thread keeps running, the theory's boundary is drawn
on the elongated bowl, bad ranges get one sentence."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QTimer

from gdstudio.app.sweep_theory import stable_lr_limit
from gdstudio.core.presets import get_objective
from gdstudio.gui.panels.sweep_panel import SweepContext, SweepPanel
from gdstudio.worker.jobs import JobPool


@pytest.fixture
def panel(qtbot):
    obj = get_objective("elongated")
    starts = np.array([[1.5, 1.0], [-2.0, 0.5]])
    jobs = JobPool()
    p = SweepPanel(lambda: SweepContext(obj, obj.domain(), starts, "momentum", 0.01, {}, 1e-6), jobs)
    qtbot.addWidget(p)
    p.resize(520, 640)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.cancel()
    jobs.shutdown(5000)


def _configure(p, x="0.005:0.1:5", y="0:0.9:4", steps=600):
    p.x_range.setText(x)
    p.y_range.setText(y)
    p.steps.setValue(steps)


def test_the_map_fills_in_and_matches_theory(panel, qtbot):
    p = panel
    assert p.objectName() == "sweepPanel"
    assert (p.x_axis.currentData(), p.y_axis.currentData()) == ("lr", "momentum")
    _configure(p)
    p.run_button.click()
    assert p._job is not None and not p.run_button.isEnabled() and p.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: p._job is None, timeout=60_000)
    assert p.progress.value() == 1000 and "Done: 20 settings" in p.hover.text()
    L = p.layout_
    rates = L.grid(p.rows, "rate")
    assert rates.shape == (5, 4) and all(r is not None for r in p.rows)
    # the map colours exactly what was measured; diverged cells are crossed out
    assert np.array_equal(np.isnan(p.image.image), np.isnan(rates))
    D = L.diverged(p.rows)
    assert D.any() and not D.all() and len(p.crosses.data) == int(D.sum())
    # theory: momentum converges for lr < 2(1 + μ)/λmax with λmax = 25 (the elongated bowl)
    for (i, j), row in zip(L.cells, p.rows):
        lr, mu = L.x_values[i], L.y_values[j]
        assert (row["diverged"] == 2) == (lr > stable_lr_limit("momentum", 25.0, mu))
    bx, by = p.boundary.getData()
    assert bx is not None and len(bx) > 10
    assert np.allclose(10 ** bx, 2 * (1 + by) / 25.0)
    # colouring by another column redraws the same cells with other numbers
    p.color.setCurrentIndex(p.color.findData("median_steps_to_converge"))
    steps = L.grid(p.rows, "median_steps_to_converge")
    assert np.array_equal(np.isnan(p.image.image), np.isnan(steps))


def test_hover_shows_the_numbers_and_a_click_sends_the_cells_settings(panel, qtbot):
    p = panel
    _configure(p, x="0.01,0.05", y="0.5,0.9", steps=400)
    p.run_button.click()
    qtbot.waitUntil(lambda: p._job is None, timeout=60_000)
    L = p.layout_
    vb = p.plot.getViewBox()
    xs = L.coordinate("lr", L.x_values)
    ys = L.coordinate("momentum", L.y_values)
    scene = vb.mapViewToScene(QPointF(xs[1], ys[0]))
    assert p.cell_at(scene) == (1, 0)
    p._moved(scene)
    text = p.hover.text()
    assert text.startswith("lr 0.05, momentum 0.5:") and "converged" in text and "rate" in text
    with qtbot.waitSignal(p.sig_load_setting, timeout=2000) as sent:
        assert p.load_cell(1, 0)
    assert sent.args[0]["optimizer"] == "momentum" and sent.args[0]["lr"] == 0.05
    assert sent.args[0]["hyper"] == {"momentum": 0.5}
    assert p.row_at(1, 0)["converged"] == 2


def test_cancel_keeps_what_finished_and_the_window_responds(panel, qtbot):
    p = panel
    _configure(p, x="1e-4:1e-3:30", y="0:0.5:20", steps=3000)
    p.starts.setCurrentIndex(p.starts.findData("random"))
    p.n_starts.setValue(16)
    ticks = []
    t = QTimer()
    t.timeout.connect(lambda: ticks.append(1))
    t.start(10)
    p.run_button.click()
    qtbot.waitUntil(lambda: p._done >= 2, timeout=60_000)
    p.cancel_button.click()
    qtbot.waitUntil(lambda: p._job is None, timeout=30_000)
    t.stop()
    assert "Cancelled after" in p.hover.text() and p.run_button.isEnabled()
    done = sum(r is not None for r in p.rows)
    assert 2 <= done < 600
    assert len(ticks) > 10  # the GUI thread kept running its timers while the sweep ran


def test_bad_ranges_and_axes_say_one_sentence(panel, qtbot):
    p = panel
    _configure(p, x="0.1:0.01:3")
    p.run_button.click()
    assert p.error.isVisible() and "smaller end first" in p.error.text() and p._job is None
    p.y_axis.setCurrentIndex(p.y_axis.findData("lr"))
    p.x_range.setText("0.01,0.1")
    p.run_button.click()
    assert "two different axes" in p.error.text() and p._job is None


def test_optimizer_as_a_categorical_axis(panel, qtbot):
    p = panel
    p.x_axis.setCurrentIndex(p.x_axis.findData("optimizer"))
    p.x_range.setText("gd,momentum,adam")
    p.y_axis.setCurrentIndex(p.y_axis.findData("lr"))
    p.y_range.setText("0.01,0.03")
    p.steps.setValue(200)
    p.run_button.click()
    qtbot.waitUntil(lambda: p._job is None, timeout=60_000)
    assert p.layout_.shape == (3, 2) and len(p.rows) == 6
    ticks = p.plot.getPlotItem().getAxis("bottom")._tickLevels
    assert [t[1] for t in ticks[0]] == ["gd", "momentum", "adam"]
    assert p.boundary.getData()[0] is None or len(p.boundary.getData()[0]) == 0


def test_the_map_fills_in_while_the_sweep_runs(panel, qtbot):
    """Rows arrive over many events: the heatmap shows the finished cells, and only those,
    while the rest are still computing (coloured by final value: every finished cell has one)."""
    p = panel
    _configure(p, x="1e-4:1e-3:30", y="0:0.5:20", steps=3000)
    p.starts.setCurrentIndex(p.starts.findData("random"))
    p.n_starts.setValue(16)
    p.color.setCurrentIndex(p.color.findData("median_value"))
    p.run_button.click()

    def filled():
        img = p.image.image
        return 0 if img is None else int(np.isfinite(img).sum())

    qtbot.waitUntil(lambda: filled() >= 2, timeout=60_000)
    first = filled()
    assert p._job is not None and 0 < p.progress.value() < 1000
    qtbot.waitUntil(lambda: filled() > first, timeout=60_000)
    assert p._job is not None  # a later arrival, drawn while the sweep still runs
    img = p.image.image
    finished = np.zeros(p.layout_.shape, bool)
    for (i, j), row in zip(p.layout_.cells, list(p.rows)):
        finished[i, j] = row is not None
    drawn = np.isfinite(img)
    assert drawn.sum() < img.size and not (drawn & ~finished).any()
    p.cancel_button.click()
    qtbot.waitUntil(lambda: p._job is None, timeout=30_000)


def test_a_local_cluster_fills_the_same_map(panel, qtbot):
    from gdstudio.app.compute import ComputeTarget, SharedExecutor

    p = panel
    _configure(p, x="0.005:0.1:4", y="0:0.9:3", steps=300)
    p.run_button.click()
    qtbot.waitUntil(lambda: p._job is None, timeout=60_000)
    here = repr(p.rows)  # repr round-trips floats: equal text is equal bits
    assert "on a local" not in p.hover.text()
    p.compute = SharedExecutor(ComputeTarget("local", 1))
    try:
        p.run_button.click()
        qtbot.waitUntil(lambda: p._job is None, timeout=90_000)
        assert not p.error.isVisible(), p.error.text()
        assert "Done: 12 settings on a local Dask cluster of 1 worker process." in p.hover.text()
        assert repr(p.rows) == here
    finally:
        p.compute.close()

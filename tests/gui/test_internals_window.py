"""Inside the optimizer for polar runs (issue 8): drawn at the run's point on the map in x, y,
with the per-coordinate numbers listed in (r, θ) in the inspector."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel

from gdstudio.core.coordinates import PolarDescent
from gdstudio.core.internals import run_internals

from .helpers import make_window, wait_done


def test_a_polar_runs_internals_are_drawn_at_its_point_in_x_y(qtbot):
    w = make_window(qtbot, function="elongated", lr=0.01, max_steps=500, optimizer="adam")
    w.session.set_starts([(-3.0, 1.5)])
    w.link.settings({"coordinates": "polar", "gradient": "naive"})
    w.c.select_run(0)
    w.c.step(6)
    qtbot.waitUntil(lambda: int(w.c.store.steps[0]) == 6 and w.c.state == "paused", timeout=5000)
    w.frame_link.stage_internals()
    shown = w.contour.internals.shown
    assert {"neg_grad", "step", "m_hat", "effective_lr"} <= set(shown)
    ref = PolarDescent(w.c.problem.objective, [[-3.0, 1.5]], "adam", 0.01, max_steps=500, gradient="naive")
    ref.advance(6, record=False)
    p = w.internals.carried[0]
    assert np.allclose(p, w.c.store.pos[0], rtol=0, atol=1e-12) and np.allclose(p, ref.points[0], atol=1e-12)
    carried = {c.key: c.value for c in run_internals(ref, 0)}
    np.testing.assert_allclose(carried["neg_grad"], -w.c.store.grad[0], rtol=1e-9)
    assert np.allclose(shown["neg_grad"][0], p)  # drawn from the run's point
    # the per-axis step sizes lie along r̂ and θ̂, not x and y
    bars = shown["effective_lr"]
    r_hat = p / np.hypot(*p)
    along = (bars[1] - bars[0]) / np.linalg.norm(bars[1] - bars[0])
    assert abs(abs(along @ r_hat) - 1) < 1e-9
    text = w.findChild(QLabel, "optimizerInternals").text()
    assert "in (r, θ)" in text and "naive gradient" in text and "−∇f" in text


def test_compare_coordinates_draws_one_path_per_system_with_a_legend(qtbot):
    from PySide6.QtWidgets import QCheckBox, QComboBox

    from gdstudio.app import colors

    w = make_window(qtbot, function="elongated", lr=0.01, max_steps=300, tol=0.0)
    w.session.set_starts([(3.0, 1.0)])
    check = w.findChild(QCheckBox, "compareCoordinatesCheck")
    check.setChecked(True)
    assert w.session.settings.compare_coordinates == ("cartesian", "polar:metric", "polar:naive")
    assert [sp.system for sp in w.c.specs] == ["cartesian", "polar:metric", "polar:naive"]
    assert not w.findChild(QComboBox, "coordinatesCombo").isEnabled()
    w.c.run()
    qtbot.waitUntil(lambda: w.c.state == "done", timeout=20_000)
    qtbot.wait(100)
    cart, metric, naive = (w.c.store.path(i, 4096)[:, :2] for i in range(3))
    assert np.abs(metric - cart).max() < 0.05 and np.abs(naive - cart).max() > 1.0
    labels = [lab.text for _, lab in w.contour.legend.items]
    assert {"Cartesian", "polar, metric", "polar, naive"} <= set(labels)
    frame = w.frame_link.latest
    assert tuple(frame.run_colors[2]) == colors.system("polar:naive") != tuple(frame.run_colors[0])
    assert w.c.specs[2].label == "polar, naive"
    # the selected naive run's internals are its own: a polar descent's, in x, y
    w.c.select_run(2)
    w.frame_link.stage_internals()  # a finished run's internals are replayed on a background job
    label = w.findChild(QLabel, "optimizerInternals")
    qtbot.waitUntil(lambda: "naive gradient" in label.text(), timeout=5000)
    w.session.undo()  # one undo step
    assert not check.isChecked() and len(w.c.specs) == 1 and w.findChild(QComboBox, "coordinatesCombo").isEnabled()


def test_legend_entries_that_come_and_go_leave_the_map_where_it_is(qtbot):
    """The optimizer's arrows join the legend under the map when a run is selected and leave
    it when none is: the map keeps its place and size (it neither jumps nor is laid out again);
    a new problem gives the legend row back."""
    w = make_window(qtbot, function="himmelblau", lr=0.01, max_steps=500, optimizer="adam")
    w.session.set_starts([(1.0, 1.0)])
    w.c.select_run(0)
    w.c.step(3)
    qtbot.waitUntil(lambda: int(w.c.store.steps[0]) == 3 and w.c.state == "paused", timeout=5000)
    vb = w.contour.getPlotItem().vb
    legend = w.contour.legend
    w.frame_link.stage_internals()
    assert {"m_hat", "effective_lr"} <= set(w.contour.internals.shown)
    rows_with_arrows = legend.layout.rowCount()
    place = vb.sceneBoundingRect()
    w.c.select_run(-1)
    w.frame_link.stage_internals()
    assert not w.contour.internals.shown and legend.layout.rowCount() < rows_with_arrows
    assert vb.sceneBoundingRect() == place
    w.link.function("x**2 + 3*y**2")  # no known points, no internals: no legend
    qtbot.waitUntil(lambda: w.c.problem.objective.source == "x**2 + 3*y**2", timeout=10_000)
    qtbot.waitUntil(lambda: vb.sceneBoundingRect().height() > place.height(), timeout=5000)


def test_a_narrow_map_folds_its_legend_into_one_column_so_no_entry_is_cut_off(qtbot):
    """At 1280×800 with a side dock open the map is narrow: two columns of legend entries
    would run past its right edge. The legend folds to one column, and back when wide."""
    w = make_window(qtbot, function="himmelblau", lr=0.01, max_steps=500, optimizer="adam")
    w.session.set_starts([(1.0, 1.0)])
    w.c.run()
    wait_done(qtbot, w)
    legend = w.contour.legend
    qtbot.waitUntil(lambda: len(legend.items) >= 4, timeout=5000)  # known points and what was found

    def inside() -> bool:
        view = w.contour.viewport().rect()
        for _, label in legend.items:
            box = w.contour.mapFromScene(label.item.sceneBoundingRect()).boundingRect()  # the text
            if not view.contains(box):
                return False
        return True

    w.contour.setFixedWidth(260)
    qtbot.wait(100)
    assert inside() and legend.columnCount == 1
    w.contour.setFixedWidth(700)
    qtbot.wait(100)
    assert inside() and legend.columnCount == 2

"""Inside the optimizer for polar runs (issue 8): drawn at the run's point on the map in x, y,
with the per-coordinate numbers listed in (r, θ) in the inspector."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel

from gdstudio.core.coordinates import PolarDescent
from gdstudio.core.internals import run_internals

from .helpers import make_window


def test_a_polar_runs_internals_are_drawn_at_its_point_in_x_y(qtbot):
    w = make_window(qtbot, function="elongated", lr=0.01, max_steps=500, optimizer="adam")
    w.session.set_starts([(-3.0, 1.5)])
    w.link.settings({"coordinates": "polar", "gradient": "naive"})
    w.c.select_run(0)
    w.c.step(6)
    qtbot.waitUntil(lambda: int(w.c.store.steps[0]) == 6 and w.c.state == "paused", timeout=5000)
    w._stage_table()
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

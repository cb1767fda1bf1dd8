"""What the views draw for the optimizer's internals (app/internals_view.py, no Qt)."""

from __future__ import annotations

import numpy as np

from gdstudio.app.internals_view import internals_segments
from gdstudio.core.internals import optimizer_internals
from gdstudio.core.optimizers import make_optimizer

DOMAIN = ((-2.0, 2.0), (-2.0, 2.0))


def _carried(p, g, m, v, t=50, lr=0.01):
    return optimizer_internals(make_optimizer("adam"), p, g, [np.asarray(m, float), np.asarray(v, float)], lr, t)


def test_a_run_on_its_way_shows_its_gradient_step_and_moment():
    p = np.array([1.0, 0.5])
    segs, _ = internals_segments(p, _carried(p, [2.0, -1.0], [1.5, -0.8], [4.0, 1.0]), DOMAIN)
    assert {"neg_grad", "step", "m_hat", "effective_lr"} <= set(segs)
    head = segs["neg_grad"][1]  # −∇f points against the gradient
    assert head[0] < p[0] and head[1] > p[1]


def test_a_run_that_has_arrived_draws_no_arbitrary_directions():
    """At a minimum the gradient and Adam's moments are rounding noise: no −∇f, velocity or
    m̂ arrow at full length pointing anywhere (the step is not drawn either)."""
    p = np.array([1.0, 1.0])
    segs, _ = internals_segments(p, _carried(p, [1e-13, -3e-14], [1e-13, 2e-14], [1e-26, 1e-27], t=5000), DOMAIN)
    assert not {"neg_grad", "step", "m_hat", "velocity"} & set(segs)

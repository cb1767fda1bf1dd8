"""Inside the optimizer: the numbers shown for a run are exactly what its next step does."""

import numpy as np
import pytest

from gdstudio.core.internals import run_internals
from gdstudio.core.optimizers import OPTIMIZERS
from gdstudio.core.presets import get_objective
from gdstudio.core.runner import BatchDescent


def _batch(optimizer, lr=0.01, **hyper):
    f = get_objective("elongated")
    return BatchDescent(f, [(3.0, 1.0), (-2.0, 0.5)], optimizer, lr, max_steps=100, tol=0, **hyper)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_reported_next_step_is_the_step_the_run_takes(name):
    b = _batch(name)
    b.advance(7, record=False)
    shown = {c.key: c for c in run_internals(b, 1)}
    before = b.points[1].copy()
    np.testing.assert_array_equal(shown["neg_grad"].value, -b.grads[1])
    b.advance(1, record=False)
    np.testing.assert_array_equal(before + shown["step"].value, b.points[1])


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
def test_momentum_shows_its_velocity_and_the_part_of_the_step_it_carries(name):
    b = _batch(name, momentum=0.8)
    b.advance(5, record=False)
    shown = {c.key: c for c in run_internals(b, 0)}
    lr, g = 0.01, b.grads[0]
    velocity = b.groups[0].state[0][:, 0]
    np.testing.assert_array_equal(shown["velocity"].value, velocity)
    # the step is the gradient's part plus the buffer's part (up to rounding)
    gradient_part = -lr * g * (1.8 if name == "nesterov" else 1.0)
    np.testing.assert_allclose(shown["carried"].value + gradient_part, shown["step"].value, rtol=1e-12)
    assert np.linalg.norm(shown["carried"].value) > 0.1 * np.linalg.norm(shown["step"].value)


def test_adaptive_optimizers_show_their_per_coordinate_step_sizes():
    b = _batch("adam", lr=0.05)
    b.advance(20, record=False)
    shown = {c.key: c for c in run_internals(b, 0)}
    np.testing.assert_allclose(-shown["effective_lr"].value * shown["m_hat"].value, shown["step"].value,
                               rtol=1e-9)
    assert shown["effective_lr"].draw == "bars" and np.all(shown["effective_lr"].value > 0)
    # the steep coordinate (y, curvature 25) gets the smaller step size
    rms = _batch("rmsprop", lr=0.01)
    rms.advance(20, record=False)
    eff = {c.key: c for c in run_internals(rms, 0)}["effective_lr"].value
    assert eff[1] < eff[0]
    ada = _batch("adagrad", lr=0.1)
    ada.advance(3, record=False)
    shown = {c.key: c for c in run_internals(ada, 0)}
    np.testing.assert_allclose(shown["step"].value, shown["effective_lr"].value * -ada.grads[0], rtol=1e-12)


def test_runs_of_a_mixed_batch_report_their_own_optimizer():
    f = get_objective("elongated")
    b = BatchDescent(f, [(3.0, 1.0), (-2.0, 0.5)], ["gd", "adam"], [0.01, 0.02], max_steps=50, tol=0)
    b.advance(4, record=False)
    assert {c.key for c in run_internals(b, 0)} == {"neg_grad", "step"}
    assert "m_hat" in {c.key for c in run_internals(b, 1)}
    with pytest.raises(IndexError, match="there is no run 2"):
        run_internals(b, 2)

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


# == polar runs: their internals in x, y =========================================================
def _polar(optimizer, gradient, lr=0.01, **hyper):
    from gdstudio.core.coordinates import PolarDescent

    f = get_objective("elongated")
    return PolarDescent(f, [(3.0, 1.0), (-2.0, 0.5)], optimizer, lr, max_steps=100, tol=0, gradient=gradient,
                        **hyper)


@pytest.mark.parametrize("gradient", ["naive", "metric"])
@pytest.mark.parametrize("name", ["gd", "momentum", "adam"])
def test_a_polar_runs_next_step_is_shown_in_x_y_and_is_the_step_it_takes(name, gradient):
    b = _polar(name, gradient)
    b.advance(6, record=False)
    shown = {c.key: c for c in run_internals(b, 1)}
    before = b.points[1].copy()
    np.testing.assert_array_equal(shown["neg_grad"].value, -b.grads[1])  # the true −∇f, Cartesian
    b.advance(1, record=False)
    np.testing.assert_allclose(before + shown["step"].value, b.points[1], rtol=0, atol=1e-12)


def test_the_metric_polar_step_follows_minus_grad_f_and_the_naive_one_leaves_it():
    lr = 0.002
    angle = {}
    for gradient in ("naive", "metric"):
        shown = {c.key: c for c in run_internals(_polar("gd", gradient, lr), 0)}
        g, step = shown["neg_grad"].value, shown["step"].value
        angle[gradient] = np.degrees(np.arccos(g @ step / np.linalg.norm(g) / np.linalg.norm(step)))
        assert "in (r, θ)" in shown["polar_grad"].label and shown["polar_grad"].draw == "components"
    assert angle["metric"] < 0.5 and angle["naive"] > 10  # r = √10: the θ-part 10× too large


def test_a_polar_runs_velocity_is_mapped_by_the_jacobian_and_step_sizes_lie_along_r_and_theta():
    b = _polar("momentum", "metric", momentum=0.9)
    b.advance(4, record=False)
    r, t = b.coords[0]
    buf = b.inner.groups[0].state[0][:, 0]
    J = np.array([[np.cos(t), -r * np.sin(t)], [np.sin(t), r * np.cos(t)]])
    shown = {c.key: c for c in run_internals(b, 0)}
    np.testing.assert_allclose(shown["velocity"].value, J @ buf, rtol=1e-12)
    assert shown["velocity"].label.endswith("in x, y")
    a = _polar("adam", "naive")
    a.advance(3, record=False)
    r, t = a.coords[0]
    e = {c.key: c for c in run_internals(a, 0)}["effective_lr"]
    assert e.label.endswith("in (r, θ)")
    np.testing.assert_allclose(e.axes, [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])

"""Problem views: what the maps show for a function, a line fit, a typed model's slice, a
network's slice, and the plane of a trained network (training is a cancellable generator)."""

import numpy as np
import pytest

from gdstudio.app.problem_views import (
    ModelSpec,
    Training,
    function_view,
    model_view,
    plane_view,
    run_training,
    train_landscape,
)


def test_function_view_of_a_preset_and_of_text():
    v = function_view("himmelblau")
    assert v.kind == "function" and v.title == "Himmelblau" and v.domain == ((-5.0, 5.0), (-5.0, 5.0))
    assert v.extra["preset"] == "himmelblau" and v.default_starts.shape == (1, 2)
    t = function_view("x^2 + 3*y^2", domain=((-1, 1), (-2, 2)))
    assert t.domain == ((-1.0, 1.0), (-2.0, 2.0)) and t.description == "f(x, y) = x^2 + 3*y^2"
    g = t.grid(n=21, arrows=5)
    assert g.Z.shape == (21, 21) and g.Z[0, 0] == pytest.approx(1 + 12)


def test_line_fit_view_has_units_and_the_closed_form():
    v = model_view(ModelSpec("linreg", "housing", scale="standard"))
    assert v.kind == "linreg" and v.names == ("a", "b") and v.closed_form.shape == (2,)
    assert "SalePrice" in v.title
    f, G = v.objective.value_and_grad(v.closed_form[None])
    assert np.linalg.norm(G) < 1e-6


def test_typed_model_with_three_parameters_shows_a_slice_and_embeds_back():
    v = model_view(ModelSpec("a*x**2 + b*x + c", "sine", pair=(0, 2)))
    assert v.kind == "typed-slice" and v.names == ("a", "c")
    theta = v.theta((0.5, -0.25))
    assert theta.shape == (3,) and theta[0] == 0.5 and theta[2] == -0.25
    full = v.problem.objective
    assert v.objective.value(np.array([[0.5, -0.25]]))[0] == pytest.approx(full.value(theta[None])[0])


def test_network_slice_over_two_weights():
    v = model_view(ModelSpec("mlp", "moons", hidden="4", seed=2, pair=(1, 3)))
    assert v.kind == "mlp-slice" and v.names == (v.problem.objective.names[1], v.problem.objective.names[3])
    assert v.default_starts.shape == (1, 2)


def test_training_is_a_cancellable_generator_and_gives_a_plane():
    spec = ModelSpec("mlp", "moons", hidden="4", seed=1)
    gen = train_landscape(spec, optimizer="adam", lr=0.05, steps=200, inits=2)
    fractions = []
    for item in gen:
        if isinstance(item, Training):
            break
        fractions.append(item)
        if len(fractions) == 3:
            gen.close()  # cancel: nothing more is computed
            break
    assert fractions[:2] == [0.0, pytest.approx(20 / 200)]
    progress = []
    tr = run_training(spec, progress.append, optimizer="adam", lr=0.05, steps=200, inits=2)
    assert isinstance(tr, Training) and progress[-1] == 1.0 and tr.final.shape[0] == 2
    assert tr.final_loss[tr.best] <= tr.final_loss.max()
    v = plane_view(tr, method="pca")
    assert v.kind == "mlp-plane" and v.path.shape[1] == 3
    # the path ends at the plane's origin: the final weights
    np.testing.assert_allclose(v.path[-1, :2], 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="unknown plane"):
        plane_view(tr, method="diagonal")

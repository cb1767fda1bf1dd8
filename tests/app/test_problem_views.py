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


def test_mini_batch_line_fit_is_noisy_and_seeded():
    """The line fit with a mini-batch of 32 houses: the runner draws seeded batches."""
    from gdstudio import descend

    spec = ModelSpec("linreg", "housing", x="LotArea", y="SalePrice", scale="standard", batch_size=32)
    obj = model_view(spec).objective
    assert obj.batch_size == 32 and hasattr(obj, "on_step")
    a = descend(obj, [(0.0, 0.0)], optimizer="gd", lr=0.1, steps=50, tol=0).trajectories[0]
    b = descend(obj, [(0.0, 0.0)], optimizer="gd", lr=0.1, steps=50, tol=0).trajectories[0]
    np.testing.assert_array_equal(a, b)
    from dataclasses import replace

    full = model_view(replace(spec, batch_size=None)).objective
    c = descend(full, [(0.0, 0.0)], optimizer="gd", lr=0.1, steps=50, tol=0).trajectories[0]
    assert np.abs(a - c).max() > 1e-3


def test_network_slice_keeps_its_weights_by_name_and_says_where_the_others_are_frozen():
    small = model_view(ModelSpec("mlp", "moons", hidden="4"), weights=("W1[0,1]", "W1[1,0]"))
    names = small.problem.objective.names
    assert small.names == ("W1[0,1]", "W1[1,0]") and small.extra["pair"] == (names.index("W1[0,1]"),
                                                                               names.index("W1[1,0]"))
    assert "initial values (seed 0)" in small.description
    # another layout: the same two weights by name; a name it lacks falls back to the first weights
    wide = model_view(ModelSpec("mlp", "moons", hidden="8,8"), weights=("W1[0,1]", "W1[1,0]"))
    assert wide.names == ("W1[0,1]", "W1[1,0]")
    gone = model_view(ModelSpec("mlp", "moons", hidden="4"), weights=("nope", "nope"))
    assert gone.extra["pair"] == (0, 1)
    base = np.full(len(names), 0.25)
    frozen = model_view(ModelSpec("mlp", "moons", hidden="4"), base=base, base_from="the trained weights of init 2")
    assert "frozen at the trained weights of init 2" in frozen.description
    np.testing.assert_array_equal(frozen.theta((0.0, 0.0))[2:], base[2:])


def test_training_records_every_steps_loss_and_knows_its_network():
    from dataclasses import replace

    spec = ModelSpec("mlp", "moons", hidden="4", seed=1)
    tr = run_training(spec, optimizer="adam", lr=0.05, steps=60, inits=2)
    assert tr.values.shape == (61, 2) and np.isfinite(tr.values).all()
    # row 0 is the full-data loss at the start; training lowers it
    P0 = tr.trajectories[0]
    np.testing.assert_allclose(tr.values[0], tr.problem.objective.full_value(P0))
    assert (tr.values[-1] < tr.values[0]).all()
    assert tr.trained(replace(spec, pair=(2, 3))) and not tr.trained(replace(spec, hidden="5"))

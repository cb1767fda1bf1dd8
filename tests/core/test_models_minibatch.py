"""Mini-batch descent for a line and a typed model: seeded, noisy, and it still fits."""

import numpy as np

from gdstudio import descend
from gdstudio.app.problems import build_problem
from gdstudio.core.models.linreg import LinearRegressionObjective
from gdstudio.core.models.typed import TypedModelObjective


def _data():
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, 200)
    return x, 1.5 * x - 0.5 + rng.normal(0, 0.3, 200)


def test_minibatch_gradient_is_the_gradient_of_the_batch():
    x, y = _data()
    for obj in (LinearRegressionObjective(x, y, batch_size=16, seed=4),
                TypedModelObjective("a*x + b", x, y, batch_size=16, seed=4)):
        obj.on_step(7)
        from gdstudio.core.models._common import minibatch_indices

        idx = minibatch_indices(200, 16, 4, 7)
        full = LinearRegressionObjective(x[idx], y[idx])
        P = np.array([[0.3, -1.0], [2.0, 0.5]])
        f, G = obj.value_and_grad(P)
        np.testing.assert_allclose(f, full.value(P), rtol=1e-10)
        np.testing.assert_allclose(G, full.grad(P), rtol=1e-10, atol=1e-12)


def test_minibatch_paths_are_noisy_reproducible_and_still_fit():
    x, y = _data()
    full = LinearRegressionObjective(x, y)
    paths = []
    for seed in (1, 1, 2):
        obj = TypedModelObjective("a*x + b", x, y, batch_size=10, seed=seed)
        r = descend(obj, [(0.0, 0.0)], optimizer="gd", lr=0.05, steps=600, tol=0)
        paths.append(r.trajectories[0])
    np.testing.assert_array_equal(paths[0], paths[1])  # seeded shuffling
    assert not np.array_equal(paths[0], paths[2])
    assert np.linalg.norm(paths[0][-1] - full.closed_form()) < 0.15
    exact = descend(full, [(0.0, 0.0)], optimizer="gd", lr=0.05, steps=600, tol=0).trajectories[0]
    # the noisy path wanders: its steps are not those of full-batch descent
    assert np.abs(np.diff(paths[0], axis=0) - np.diff(exact, axis=0)).max() > 1e-3


def test_build_problem_passes_the_batch_size():
    p = build_problem("linreg", "housing", scale="standard", batch_size=64, seed=2)
    assert p.objective.batch_size == 64 and hasattr(p.objective, "on_step")
    assert not hasattr(build_problem("linreg", "housing").objective, "on_step")

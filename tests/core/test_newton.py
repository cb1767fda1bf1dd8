"""Newton's method, the seventh optimizer: descent in the metric of the exact Hessian."""

import json

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.cli import main
from gdstudio.core.optimizers import OPTIMIZERS, spec


def test_newton_is_the_seventh_optimizer_with_its_formula():
    assert OPTIMIZERS[-1] == "newton" and len(OPTIMIZERS) == 7
    rec = spec("newton")
    assert "(H + λI)⁻¹·g" in rec.formula and "|H|" in rec.formula and not rec.per_coordinate
    assert rec.default_lr == 1.0 and rec.hyper_defaults == {"damping": 0.0}


def test_one_newton_step_solves_a_quadratic():
    r = descend("elongated", [(3.0, 1.0), (-2.0, -1.5)], optimizer="newton", steps=5)
    assert r.status == ["converged", "converged"] and r.steps == [1, 1]
    np.testing.assert_allclose(r.final_points, 0, atol=1e-14)


def test_newton_crosses_rosenbrocks_valley_in_a_few_steps():
    r = descend("rosenbrock", [(-1.2, 1.0)], optimizer="newton", steps=100)
    assert r.status == ["converged"] and r.steps[0] < 20
    np.testing.assert_allclose(r.final_points[0], (1, 1), atol=1e-8)


def test_at_an_indefinite_hessian_newton_escapes_instead_of_jumping_to_the_saddle():
    # plain Newton on x² − y² would land on the saddle (0, 0) in one step; with |H| the step
    # is (x, −y): x goes to 0 and y doubles, downhill
    r = descend("saddle", [(1.0, 0.5)], optimizer="newton", steps=3, tol=0)
    np.testing.assert_allclose(r.trajectories[0], [[1, 0.5], [0, 1], [0, 2], [0, 4]], atol=1e-15)
    assert np.all(np.diff(r.trajectory_values[0]) < 0)  # every step descends


def test_damping_blends_newton_into_gradient_descent():
    # with H = diag(1, 25) and λ = 1000, the step is nearly lr/λ·g: gradient descent at lr/λ
    p0 = np.array([3.0, 1.0])
    r = descend("elongated", [p0], optimizer="newton", lr=1.0, damping=1000.0, steps=1, tol=0)
    step = r.trajectories[0][1] - p0
    g = np.array([3.0, 25.0])
    np.testing.assert_allclose(step, -g / (np.array([1.0, 25.0]) + 1000), rtol=1e-12)
    with pytest.raises(ValueError, match="damping"):
        descend("bowl", [(1, 1)], optimizer="newton", damping=-1)


def test_cli_runs_newton(capsys):
    assert main(["run", "--function", "rosenbrock", "--optimizer", "newton", "--start", "-1.2,1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["runs"][0]["status"] == "converged" and out["runs"][0]["steps"] < 20

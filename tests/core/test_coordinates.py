"""Descent in polar coordinates: the metric gradient follows the Cartesian path, the naive
one does not; r = 0 stops a run with a clear status; results and CSV stay in x, y."""

import json

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.cli import main
from gdstudio.core.coordinates import PolarObjective, to_cartesian, to_polar
from gdstudio.core.presets import get_objective
from gdstudio.io.trajectories import read_trajectories_csv


def test_the_metric_polar_path_tracks_the_cartesian_one_and_the_naive_one_departs():
    lr, n, start = 0.01, 300, [(3.0, 1.0)]
    cart = descend("elongated", start, lr=lr, steps=n, tol=0)
    metric = descend("elongated", start, lr=lr, steps=n, tol=0, coordinates="polar", gradient="metric")
    naive = descend("elongated", start, lr=lr, steps=n, tol=0, coordinates="polar", gradient="naive")
    T, M, V = cart.trajectories[0], metric.trajectories[0], naive.trajectories[0]
    assert len(T) == len(M) == len(V) == n + 1
    # one step's disagreement is at most 1.5·lr²·‖∇f‖²/r (the chart's curvature); along a
    # contracting path the disagreements add up at worst
    g = np.linalg.norm(cart.trajectory_grads[0], axis=1)
    r = np.linalg.norm(T, axis=1)
    bound = np.concatenate([[0.0], np.cumsum(1.5 * lr**2 * g**2 / r)[:-1]])
    gap = np.linalg.norm(M - T, axis=1)
    assert np.all(gap <= bound + 1e-12)
    assert gap.max() < 0.05
    assert np.linalg.norm(V - T, axis=1).max() > 1.0  # the naive path bends far away
    # results are Cartesian; the (r, θ) path is the same path
    np.testing.assert_allclose(to_cartesian(metric.coordinate_trajectories[0]), M, atol=1e-12)
    assert metric.coordinate_names == ("r", "theta") and cart.coordinate_trajectories is None
    assert metric.settings["coordinates"] == "polar" and metric.settings["gradient"] == "metric"


def test_polar_derivatives_are_the_exact_chain_rule():
    f = get_objective("x^3*y + sin(x) - y^2")
    Q = np.array([[1.3, 0.4], [0.7, -2.0], [2.1, 3.0]])
    h = 1e-6
    for gradient, scale in (("naive", 1.0), ("metric", 1.0 / Q[:, 0] ** 2)):
        F = PolarObjective(f, gradient)
        _, G = F.value_and_grad_T(Q.T.copy())
        for k in range(2):
            e = np.zeros(2)
            e[k] = h
            fd = (f.value(to_cartesian(Q + e)) - f.value(to_cartesian(Q - e))) / (2 * h)
            np.testing.assert_allclose(G[k], fd * (scale if k == 1 else 1.0), rtol=1e-6, atol=1e-8)


def test_reaching_r_zero_stops_with_the_status_singular_and_no_nan():
    # on x² + y² from (1, 0) with lr 0.5 the first step lands exactly on the origin; with
    # tol 0 nothing counts as converged, so the chart's singularity is what stops the run
    r = descend("bowl", [(1.0, 0.0), (0.5, 0.5)], lr=0.5, steps=10, tol=0, coordinates="polar")
    assert r.status == ["singular", "singular"]
    assert np.all(np.isfinite(r.final_points)) and np.all(np.isfinite(r.values))
    assert all(np.isfinite(t).all() for t in r.trajectories + r.coordinate_trajectories)
    np.testing.assert_allclose(r.final_points, 0, atol=1e-12)
    # a run that converges at the origin is simply converged
    r = descend("x^2 + 3*y^2", [(1.0, 0.0)], lr=0.5, steps=10, coordinates="polar")
    assert r.status == ["converged"]


def test_a_path_may_pass_through_negative_r():
    # from (−1, 0) the minimum at (1, 0) is reached through the origin: r becomes −1 at θ = π
    r = descend("(x - 1)^2 + y^2", [(-1.0, 0.0)], lr=0.1, steps=1000, coordinates="polar")
    assert r.status == ["converged"] and r.critical == ["minimum"]
    np.testing.assert_allclose(r.final_points[0], (1, 0), atol=1e-5)
    assert r.coordinate_trajectories[0][-1, 0] == pytest.approx(-1, abs=1e-5)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_any_optimizer_descends_in_polar_coordinates(optimizer):
    r = descend("two_minima", [(1.6, 0.8), (-1.6, 0.8)], optimizer=optimizer, lr=0.01, steps=5000,
                tol=1e-6, coordinates="polar")
    assert r.status == ["converged", "converged"] and r.critical == ["minimum", "minimum"]
    # converged means what it means everywhere: the Cartesian ‖∇f‖ is within the tolerance
    assert np.linalg.norm(r.final_grads, axis=1).max() <= 1e-6
    assert np.linalg.norm(r.trajectory_grads[0][-2]) > 1e-6  # and not one step earlier
    known = np.array([[-1.0355787, 0.0], [0.9601496, 0.0]])
    assert np.linalg.norm(r.final_points[:, None] - known[None], axis=2).min(axis=1).max() < 1e-4


def test_bad_coordinates_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown coordinates 'spherical'"):
        descend("bowl", [(1, 1)], coordinates="spherical")
    with pytest.raises(ValueError, match="choose naive or metric"):
        descend("bowl", [(1, 1)], coordinates="polar", gradient="riemann")
    with pytest.raises(ValueError, match="two variables, this one has 3"):
        descend(get_objective("x^2 + y^2 + z^2", ("x", "y", "z")), [(1, 1, 1)], coordinates="polar")


def test_to_polar_and_back():
    P = np.array([[1.0, 0.0], [-2.0, 3.0], [0.0, -1.5]])
    np.testing.assert_allclose(to_cartesian(to_polar(P)), P, atol=1e-15)


def test_cli_polar_csv_keeps_x_y_and_adds_r_theta(tmp_path, capsys):
    out = tmp_path / "polar.csv"
    assert main(["run", "--function", "elongated", "--start", "3,1", "--lr", "0.01", "--steps", "50",
                 "--coordinates", "polar", "--gradient", "naive", "--out", str(out), "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["coordinates"] == "polar" and meta["gradient"] == "naive"
    header, data = read_trajectories_csv(out)
    assert header == ["run", "step", "x", "y", "value", "grad_x", "grad_y", "r", "theta"]
    assert len(data) == 51
    np.testing.assert_allclose(data[:, 2:4], to_cartesian(data[:, 7:9]), atol=1e-12)
    assert json.loads(out.with_suffix(".json").read_text())["columns"][-2:] == ["r", "theta"]
    # the same run from Python gives the same rows
    r = descend("elongated", [(3, 1)], lr=0.01, steps=50, tol=1e-6, coordinates="polar", gradient="naive")
    np.testing.assert_array_equal(data[:, 2:4], r.trajectories[0])


def test_cli_refuses_polar_for_a_model_with_more_parameters(capsys):
    code = main(["run", "--model", "mlp", "--data", "xor", "--hidden", "2", "--steps", "1",
                 "--coordinates", "polar"])
    assert code == 2
    assert "polar coordinates need a function of two variables" in capsys.readouterr().err


# == coordinate systems side by side ==============================================================
def test_systems_side_by_side_give_the_same_paths_as_each_system_alone():
    from gdstudio import descend
    from gdstudio.core.config import DescentConfig

    P = [(3.0, 1.0), (3.0, 1.0), (-2.0, 0.5), (3.0, 1.0)]
    systems = ["cartesian", "polar:metric", "polar:naive", "polar"]  # "polar" takes gradient=
    both = descend("elongated", P, lr=0.01, steps=200, tol=0.0, coordinates=systems, gradient="naive")
    for i, system in enumerate(systems):
        c, _, g = system.partition(":")
        alone = descend("elongated", [P[i]], lr=0.01, steps=200, tol=0.0, coordinates=c, gradient=g or "naive")
        np.testing.assert_array_equal(both.trajectories[i], alone.trajectories[0])
        assert both.status[i] == alone.status[0]
    cfg = DescentConfig.from_dict(both.config.to_dict())
    assert cfg.coordinates == ("cartesian", "polar:metric", "polar:naive", "polar:naive")
    again = cfg.make_descent(both.objective)
    while not again.done:
        again.advance(64, record=False)
    np.testing.assert_array_equal(again.points, both.final_points)


def test_a_mixed_batch_changes_rates_per_run_and_reports_each_runs_internals():
    from gdstudio.core.internals import run_internals
    from gdstudio.core.mixed_coordinates import MixedCoordinatesDescent
    from gdstudio.core.runner import BatchDescent

    f = get_objective("elongated")
    b = MixedCoordinatesDescent(f, [(3.0, 1.0)] * 3, ["polar:naive", "cartesian", "polar:metric"], "momentum",
                                [0.01, 0.02, 0.03], max_steps=50, tol=0.0, momentum=0.5)
    b.advance(3)
    b.set_lr([0.001, 0.002, 0.003])
    assert np.allclose(b.base_lr, [0.001, 0.002, 0.003])
    part, j = b.part_of(1)
    assert isinstance(part, BatchDescent) and j == 0
    for r in range(3):
        shown = {c.key: c.value for c in run_internals(b, r)}
        np.testing.assert_array_equal(shown["neg_grad"], -b.grads[r])
    with pytest.raises(ValueError, match="unknown coordinate system"):
        MixedCoordinatesDescent(f, [(1.0, 1.0)], ["spherical"])

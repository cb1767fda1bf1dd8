"""The batch runner: statuses, frozen runs, divergence, per-run settings, critical points."""

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.core.objective import Objective
from gdstudio.core.runner import CONVERGED, DIVERGED, MAX_STEPS, RUNNING, BatchDescent
from gdstudio.core.schedules import Schedule, parse_schedule
from gdstudio.core.starts import grid_starts, halton_starts, make_starts, sobol_starts, uniform_starts

from ._bowl import Bowl, Saddle


class Log(Objective):
    """f = x·log(x) + y²: undefined (NaN) for x < 0, so a long step produces NaN."""

    names = ("x", "y")
    default_domain = ((0.01, 3.0), (-1.0, 1.0))

    def value_and_grad_T(self, X):
        x, y = X
        return x * np.log(x) + y * y, np.stack([np.log(x) + 1, 2 * y])

    def hess(self, P):
        H = np.zeros((len(P), 2, 2))
        H[:, 0, 0], H[:, 1, 1] = 1 / P[:, 0], 2.0
        return H


def test_converged_runs_stop_and_stay_frozen_while_others_go_on():
    run = BatchDescent(Bowl(), [(1e-4, 0.0), (1.5, 1.5)], "gd", lr=0.1, max_steps=500, tol=1e-3)
    assert run.status[0] == CONVERGED and run.steps[0] == 0  # already within tol at the start
    chunk = run.advance(50)
    assert run.status[1] == RUNNING or run.status[1] == CONVERGED
    np.testing.assert_array_equal(chunk.points[:, 0], np.tile([1e-4, 0.0], (chunk.n_steps, 1)))
    assert not np.allclose(chunk.points[0, 1], chunk.points[-1, 1])
    with pytest.raises(ValueError):
        chunk.points[0, 0, 0] = 1.0  # chunks are immutable


def test_status_of_every_kind():
    r = descend(Bowl(), [(1, 1), (1, 1)], optimizer="gd", lr=[0.1, 0.5], steps=200, tol=1e-8)
    assert r.status == ["converged", "diverged"]
    r = descend(Bowl(), [(1, 1)], optimizer="gd", lr=0.001, steps=10, tol=1e-8)
    assert r.status == ["max_steps"] and r.steps == [10]


def test_too_high_learning_rate_diverges_and_keeps_its_finite_trajectory():
    # plain GD on f = x² + 3y² is stable iff lr < 2/λmax = 1/3
    below = descend(Bowl(), [(1, 1)], lr=0.33, steps=3000, tol=1e-6)
    above = descend(Bowl(), [(1, 1)], lr=0.34, steps=3000, tol=1e-6)
    assert below.status == ["converged"]
    assert above.status == ["diverged"]
    traj = above.trajectories[0]
    assert np.all(np.isfinite(traj)) and np.all(np.isfinite(above.final_points))
    assert np.abs(traj[-1, 1]) > 100 * np.abs(traj[0, 1])  # it really blew up
    assert above.critical == ["none"]


def test_a_nan_step_is_rejected_and_the_run_ends_at_the_last_finite_point():
    for starts in ([(0.5, 0.0)], [(0.5, 0.0)] * 6):  # scalar path and batch path
        r = descend(Log(), starts, lr=2.0, steps=100, tol=1e-9)
        assert r.status[0] == "diverged"
        assert np.all(np.isfinite(r.trajectories[0]))
        assert np.isfinite(r.values[0])
        assert len(r.trajectories[0]) == r.steps[0] + 1


def test_saddle_stops_at_the_saddle_from_1_0():
    r = descend(Saddle(), [(1.0, 0.0)], lr=0.1, steps=1000, tol=1e-8)
    assert r.status == ["converged"]
    np.testing.assert_allclose(r.final_points[0], (0, 0), atol=1e-8)
    assert r.critical == ["saddle"]
    assert [c.kind for c in r.critical_points] == ["saddle"]


def test_per_run_learning_rates_and_optimizers_side_by_side():
    start = (1.2, -0.8)
    names = ["gd", "momentum", "adam"]
    mixed = descend(Bowl(), [start] * 3, optimizer=names, lr=[0.05, 0.02, 0.1], steps=40, tol=0)
    for i, (name, lr) in enumerate(zip(names, [0.05, 0.02, 0.1])):
        alone = descend(Bowl(), [start], optimizer=name, lr=lr, steps=40, tol=0)
        np.testing.assert_allclose(mixed.trajectories[i], alone.trajectories[0], rtol=1e-13)


def test_live_learning_rate_change_takes_effect_at_the_next_step():
    run = BatchDescent(Bowl(), [(1.0, 0.0)], "gd", lr=0.1, max_steps=10, tol=0)
    run.advance(1)
    run.set_lr(0.25)
    chunk = run.advance(1)
    np.testing.assert_allclose(chunk.points[0, 0, 0], 0.8 - 0.25 * 1.6)


def test_critical_points_are_grouped_and_the_best_minimum_marked():
    class TwoWells(Objective):
        # (x² − 1)² + 0.3x + y²: minima near x = −1 (lower) and x = +1
        names = ("x", "y")
        default_domain = ((-2.0, 2.0), (-1.0, 1.0))

        def value_and_grad_T(self, X):
            x, y = X
            return (x * x - 1) ** 2 + 0.3 * x + y * y, np.stack([4 * x * (x * x - 1) + 0.3, 2 * y])

        def hess(self, P):
            x = P[:, 0]
            H = np.zeros((len(P), 2, 2))
            H[:, 0, 0], H[:, 1, 1] = 12 * x * x - 4, 2.0
            return H

    starts = uniform_starts(200, TwoWells.default_domain, seed=1)
    r = descend(TwoWells(), starts, lr=0.02, steps=5000, tol=1e-9)
    minima = [c for c in r.critical_points if c.kind == "minimum"]
    assert len(minima) == 2
    best = r.best
    assert best.point[0] < 0 and best.value == min(c.value for c in minima)
    assert sum(len(c.runs) for c in r.critical_points) == r.status.count("converged")
    worse = next(c for c in minima if not c.best)
    assert len(worse.runs) > 10  # from some starts descent ends in the worse minimum


def test_schedules():
    s = Schedule("step", step_size=10, gamma=0.5)
    assert s.lr_at(1.0, 9) == 1.0 and s.lr_at(1.0, 10) == 0.5
    assert Schedule("exponential", gamma=0.9).lr_at(1.0, 2) == pytest.approx(0.81)
    c = Schedule("cosine", t_max=100, eta_min=0.1)
    assert c.lr_at(1.0, 0) == 1.0 and c.lr_at(1.0, 100) == pytest.approx(0.1)
    assert c.lr_at(1.0, 50) == pytest.approx(0.55)
    assert parse_schedule("step:5:0.1") == Schedule("step", step_size=5, gamma=0.1)
    with pytest.raises(ValueError, match="bad schedule"):
        parse_schedule("wiggly")
    r = descend(Bowl(), [(1, 0)], lr=0.1, steps=3, tol=0, schedule=Schedule("step", step_size=1, gamma=0.5))
    np.testing.assert_allclose(r.trajectories[0][:, 0], [1, 0.8, 0.8 - 0.05 * 1.6, 0.72 * (1 - 0.05)])


def test_start_samplers_stay_inside_the_domain_and_are_seeded():
    dom = ((-1.0, 2.0), (10.0, 11.0))
    for kind in ("uniform", "sobol", "halton"):
        a, b = make_starts(kind, 64, dom, seed=3), make_starts(kind, 64, dom, seed=3)
        np.testing.assert_array_equal(a, b)
        assert a.shape == (64, 2)
        assert a[:, 0].min() >= -1 and a[:, 0].max() <= 2 and a[:, 1].min() >= 10 and a[:, 1].max() <= 11
        assert not np.array_equal(a, make_starts(kind, 64, dom, seed=4))
    g = grid_starts(9, dom)
    assert g.shape == (9, 2) and len(np.unique(g[:, 0])) == 3
    # low-discrepancy: every one of the 16 cells of a 4×4 split gets a Sobol point of 16
    s = sobol_starts(16, ((0, 1), (0, 1)), seed=0)
    cells = {(int(x * 4), int(y * 4)) for x, y in s}
    assert len(cells) >= 12
    assert halton_starts(5, dom, seed=0).shape == (5, 2)
    with pytest.raises(ValueError, match="invalid domain"):
        uniform_starts(3, ((1, 0), (0, 1)))


def test_bad_starts_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        descend(Bowl(), [(1, 2, 3)])
    with pytest.raises(ValueError, match="finite"):
        descend(Bowl(), [(np.nan, 1)])


def test_result_shapes():
    r = descend(Bowl(), np.array([[1.0, 1.0], [0.5, -0.5], [2, 2], [0, 1], [1, 0]]), lr=0.1)
    assert r.final_points.shape == (5, 2)
    assert len(r.status) == len(r.steps) == len(r.trajectories) == 5
    assert all(t.shape == (s + 1, 2) for t, s in zip(r.trajectories, r.steps))
    assert all(isinstance(s, int) for s in r.steps)
    r = descend(Bowl(), [(1, 1)], lr=0.1, record=False)
    assert r.trajectories is None and r.status == ["converged"]


def test_max_steps_can_be_raised_on_a_running_batch():
    run = BatchDescent(Bowl(), [(1.0, 1.0)], "adam", lr=0.01, max_steps=5, tol=0)
    run.advance(100)
    assert run.status[0] == MAX_STEPS and run.steps[0] == 5
    run.set_max_steps(8)
    run.advance(100)
    assert run.steps[0] == 8
    straight = descend(Bowl(), [(1.0, 1.0)], optimizer="adam", lr=0.01, steps=8, tol=0)
    np.testing.assert_array_equal(run.points[0], straight.final_points[0])
    assert DIVERGED not in run.status


def test_the_callers_start_array_is_never_modified():
    for shape in ((1, 2), (3, 2)):
        starts = np.full(shape, 0.75)
        run = BatchDescent(Bowl(), starts, "adam", lr=0.1, max_steps=20, tol=0)
        run.advance(20)
        assert np.all(starts == 0.75)
        np.testing.assert_array_equal(run.initial_points, starts)

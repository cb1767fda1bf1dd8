import numpy as np

from gdstudio.core.bruteforce import ShiftedBowl, dimension_sweep, grid_search


def test_grid_search_finds_the_best_grid_point():
    f = ShiftedBowl(2)
    g = grid_search(f, f.default_domain, 41)
    assert g.evaluations == 41**2
    assert np.linalg.norm(g.best_point - f.s) < 2 / 41


def test_grid_cost_explodes_with_dimension_while_descent_does_not():
    rows = dimension_sweep(dims=range(1, 7), accuracy=0.05)
    evals = [r.grid_evaluations for r in rows]
    assert all(b > 10 * a for a, b in zip(evals, evals[1:]))  # exponential in d
    assert all(r.grid_error <= 0.05 + 1e-12 for r in rows if r.grid_measured)
    steps = [r.gd_steps for r in rows]
    assert max(steps) <= 3 * min(steps)  # roughly flat in d
    assert all(r.gd_error <= 0.05 for r in rows)
    assert not rows[-1].grid_measured or rows[-1].grid_evaluations > 1e5

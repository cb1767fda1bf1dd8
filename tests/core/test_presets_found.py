"""Every preset: exact derivatives against finite differences, its literature points really
are critical points of the stated kind, and multi-start descent finds its known minima."""

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.core.critical import classify_points
from gdstudio.core.presets import PRESETS, format_presets_table, get_objective
from gdstudio.core.starts import sobol_starts

REQUIRED = {"bowl", "elongated", "two_minima", "saddle", "monkey_saddle", "rosenbrock",
            "himmelblau", "beale", "booth", "matyas", "six_hump_camel", "goldstein_price",
            "rastrigin", "ackley"}


def test_all_required_presets_exist_and_are_listed():
    assert REQUIRED <= set(PRESETS)
    text = format_presets_table()
    for name in REQUIRED:
        assert name in text
    assert "source:" in text


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_gradient_and_hessian_match_finite_differences(name):
    p = PRESETS[name]
    f = get_objective(name)
    (x0, x1), (y0, y1) = p.domain
    rng = np.random.default_rng(0)
    P = np.column_stack([rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)])
    h = 1e-6
    G, H = f.grad(P), f.hess(P)
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        fd_g = (f.value(P + e) - f.value(P - e)) / (2 * h)
        fd_h = (f.grad(P + e) - f.grad(P - e)) / (2 * h)
        scale = 1 + np.abs(f.value(P))
        np.testing.assert_allclose(G[:, k], fd_g, atol=1e-5 * scale.max(), rtol=1e-5)
        np.testing.assert_allclose(H[:, :, k], fd_h, atol=1e-4 * scale.max(), rtol=1e-4)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_known_points_are_critical_points_of_the_stated_kind(name):
    p = PRESETS[name]
    f = get_objective(name)
    P = np.array([[k.x, k.y] for k in p.points])
    np.testing.assert_allclose(f.value(P), [k.value for k in p.points], atol=1e-9, rtol=1e-9)
    if name != "ackley":  # a cone tip: no gradient exactly there
        g = np.linalg.norm(f.grad(P), axis=1)
        assert np.all(g < 1e-8 * (1 + np.abs(f.value(P)))), g
        kinds = classify_points(f, P)
        expected = [k.kind.replace("global ", "").replace("local ", "") for k in p.points]
        assert kinds == expected


SETTINGS = {  # optimizer, lr, steps for multi-start runs on each preset
    "bowl": ("gd", 0.1, 2000), "elongated": ("gd", 0.07, 3000), "two_minima": ("gd", 0.05, 3000),
    "rosenbrock": ("adam", 0.02, 30000), "himmelblau": ("gd", 0.005, 5000),
    "beale": ("adam", 0.02, 20000), "booth": ("gd", 0.05, 3000), "matyas": ("gd", 0.5, 20000),
    "six_hump_camel": ("gd", 0.01, 10000), "goldstein_price": ("adam", 0.01, 20000),
    "rastrigin": ("gd", 0.002, 5000),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_multi_start_descent_finds_the_known_minima(name):
    p = PRESETS[name]
    opt, lr, steps = SETTINGS[name]
    starts = sobol_starts(256, p.domain, seed=1)
    r = descend(name, starts, optimizer=opt, lr=lr, steps=steps, tol=1e-7, record=False)
    found = [c for c in r.critical_points if c.kind == "minimum"]
    assert found, r.status[:5]
    for k in p.minima:
        if name == "rastrigin" and k.kind != "global minimum":
            continue
        d = [np.hypot(c.point[0] - k.x, c.point[1] - k.y) for c in found]
        assert min(d) < 1e-3, f"{name}: no run found the {k.kind} at ({k.x}, {k.y})"
    best = r.best
    glob = min(k.value for k in p.minima)
    assert best.value == pytest.approx(glob, abs=1e-6)


def test_ackley_descent_reaches_the_central_funnel():
    r = descend("ackley", sobol_starts(64, ((-1.5, 1.5), (-1.5, 1.5)), seed=0), optimizer="adam",
                lr=0.01, steps=3000, tol=1e-7, record=False)
    assert np.min(np.hypot(*r.final_points.T)) < 0.05


def test_gd_from_1_0_stops_on_the_saddle_and_says_so():
    r = descend("saddle", [(1.0, 0.0)], lr=0.1, steps=2000, tol=1e-9)
    assert r.status == ["converged"] and r.critical == ["saddle"]


def test_monkey_saddle_end_point_is_degenerate():
    r = descend("monkey_saddle", [(0.8, 0.0)], lr=0.05, steps=200_000, tol=1e-6)
    assert r.status == ["converged"] and r.critical == ["degenerate"]


def test_two_minima_some_starts_end_in_the_worse_minimum():
    starts = sobol_starts(128, PRESETS["two_minima"].domain, seed=3)
    r = descend("two_minima", starts, lr=0.05, steps=3000, tol=1e-8, record=False)
    minima = sorted((c for c in r.critical_points if c.kind == "minimum"), key=lambda c: c.value)
    assert len(minima) == 2 and minima[0].best and not minima[1].best
    assert len(minima[1].runs) > 10 and len(minima[0].runs) > 10


def test_a_preset_name_and_its_formula_are_the_same_function():
    f, g = get_objective("Rosenbrock"), get_objective(PRESETS["rosenbrock"].formula)
    P = np.random.default_rng(1).uniform(-2, 2, (10, 2))
    np.testing.assert_array_equal(f.value(P), g.value(P))
    assert f.default_domain == PRESETS["rosenbrock"].domain and g.default_domain is None

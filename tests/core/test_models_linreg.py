"""Straight-line fit on the Ames housing data: exact cost, gradient, Hessian, closed form,
scaling, the 2/λmax stability limit."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.core.models.linreg import LinearRegressionObjective
from gdstudio.io.datasets import load_housing, select_xy


@pytest.fixture(scope="module")
def housing():
    return select_xy(load_housing(), "LotArea", "SalePrice")


def lstsq(x, y):
    A = np.column_stack([x, np.ones_like(x)])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def brute_cost(x, y, P):
    P = np.atleast_2d(P)
    r = y[None, :] - (P[:, :1] * x[None, :] + P[:, 1:2])
    return (r * r).mean(axis=1)


def gd(obj, start, lr, steps):
    p = np.array(start, float)
    for _ in range(steps):
        p = p - lr * obj.grad(p[None])[0]
        if not np.all(np.isfinite(p)) or np.abs(p).max() > 1e30:
            break
    return p


@pytest.mark.parametrize("scale", ["none", "standard"])
def test_value_grad_hess_exact(housing, scale):
    x, y = housing
    o = LinearRegressionObjective(x, y, scale=scale)
    rng = np.random.default_rng(1)
    sol = o.closed_form()
    P = sol + rng.normal(size=(7, 2)) * np.array([3.0, 1e5 if scale == "none" else 1.0])
    np.testing.assert_allclose(o.value(P), brute_cost(o.x, o.y, P), rtol=1e-10)
    # the documented formula with raw sums
    n = o.n
    a, b = P[:, 0], P[:, 1]
    ga = 2 / n * (a * o.Sxx + b * o.Sx - o.Sxy)
    gb = 2 / n * (a * o.Sx + b * n - o.Sy)
    np.testing.assert_allclose(o.grad(P), np.column_stack([ga, gb]), rtol=1e-7, atol=1e-9 * np.abs(ga).max())
    # finite differences of the value (tests only)
    h = np.array([1e-4, 1e-2 if scale == "none" else 1e-6])
    for k in range(2):
        e = np.zeros(2)
        e[k] = h[k]
        fd = (o.value(P + e) - o.value(P - e)) / (2 * h[k])
        np.testing.assert_allclose(o.grad(P)[:, k], fd, rtol=1e-5)
    H = o.hess(P)
    assert H.shape == (7, 2, 2)
    np.testing.assert_allclose(H[3], 2 / n * np.array([[o.Sxx, o.Sx], [o.Sx, n]]))
    f, G = o.value_and_grad_T(np.ascontiguousarray(P.T))
    np.testing.assert_allclose(G.T, o.grad(P))
    # scalar fast path
    fs, gs = o.scalar_value_and_grad(float(P[0, 0]), float(P[0, 1]))
    assert fs == pytest.approx(f[0], rel=1e-12)
    np.testing.assert_allclose(gs, G[:, 0], rtol=1e-10)


def test_closed_form_is_least_squares(housing):
    x, y = housing
    raw = LinearRegressionObjective(x, y)
    np.testing.assert_allclose(raw.closed_form(), lstsq(x, y), rtol=1e-9)
    assert raw.closed_form()[0] == pytest.approx(2.09997, rel=1e-5)   # $ per sq ft of lot
    std = LinearRegressionObjective(x, y, scale="standard")
    xs = (x - x.mean()) / x.std()
    ys = (y - y.mean()) / y.std()
    np.testing.assert_allclose(std.closed_form(), lstsq(xs, ys), atol=1e-12)
    # the standardised slope is the correlation coefficient
    assert std.closed_form()[0] == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    np.testing.assert_allclose(std.to_original_units(*std.closed_form()), lstsq(x, y), rtol=1e-9)
    assert raw.min_value() == pytest.approx(brute_cost(x, y, raw.closed_form())[0], rel=1e-12)
    assert raw.value(raw.closed_form()[None])[0] >= 0


def test_unit_conversion_round_trip(housing):
    x, y = housing
    o = LinearRegressionObjective(x, y, scale="standard", x_name="LotArea", y_name="SalePrice",
                                  x_unit="sq ft", y_unit="$")
    a = np.array([0.1, -2.0, 3.5])
    b = np.array([0.0, 1.0, -0.5])
    a0, b0 = o.to_original_units(a, b)
    back = o.from_original_units(a0, b0)
    np.testing.assert_allclose(back, (a, b), atol=1e-12)
    # same line: predictions agree in both unit systems
    xs = (x[:5] - x.mean()) / x.std()
    np.testing.assert_allclose(y.mean() + y.std() * (a[1] * xs + b[1]), a0[1] * x[:5] + b0[1])
    np.testing.assert_allclose(o.predict([a[1], b[1]], x[:5]), a0[1] * x[:5] + b0[1])
    assert o.predict(np.column_stack([a, b]), x[:5]).shape == (3, 5)
    assert o.param_units(original=True) == {"a": "$ per sq ft", "b": "$"}
    raw = LinearRegressionObjective(x, y, x_name="LotArea", y_name="SalePrice")
    assert raw.to_original_units(1.5, 2.5) == (1.5, 2.5)
    assert raw.label == "MSE of SalePrice ~ a*LotArea + b"


def test_standardised_descent_reaches_least_squares(housing):
    x, y = housing
    o = LinearRegressionObjective(x, y, scale="standard")
    assert o.max_stable_lr() == pytest.approx(1.0)     # H = 2·I after z-scoring
    p = gd(o, (0, 0), lr=0.1, steps=300)
    np.testing.assert_allclose(p, o.closed_form(), atol=1e-8)
    np.testing.assert_allclose(o.to_original_units(*p), lstsq(x, y), rtol=1e-6)


def test_raw_descent_stability_limit(housing):
    x, y = housing
    o = LinearRegressionObjective(x, y)
    lam = o.hessian_eigenvalues()
    assert o.condition_number() > 1e8                 # an extremely narrow valley
    assert o.max_stable_lr() == pytest.approx(2 / lam[-1])
    below = gd(o, (0, 0), lr=0.98 * o.max_stable_lr(), steps=400)
    above = gd(o, (0, 0), lr=1.02 * o.max_stable_lr(), steps=400)
    assert np.all(np.isfinite(below))
    f0 = o.value(np.zeros((1, 2)))[0]
    assert o.value(below[None])[0] < f0               # went down into the valley
    # the fast direction has converged: the gradient is orthogonal to it
    v = np.linalg.eigh(o.hessian())[1][:, -1]
    g = o.grad(below[None])[0]
    assert abs(g @ v) < 1e-3 * abs(o.grad(np.zeros((1, 2)))[0] @ v)
    np.testing.assert_allclose(below, o.valley_point(below[1]), rtol=1e-3)
    assert not np.all(np.isfinite(above)) or o.value(above[None])[0] > 1e6 * f0   # blew up


def test_raw_descent_with_runner_reaches_solution_slowly_but_newton_exactly(housing):
    """On raw data plain GD crawls along the valley (κ ≈ 4·10⁸); one Newton step with the
    exact Hessian lands on the least-squares solution, which confirms the derivatives."""
    x, y = housing
    o = LinearRegressionObjective(x, y)
    p0 = np.zeros(2)
    p1 = p0 - np.linalg.solve(o.hess(p0[None])[0], o.grad(p0[None])[0])
    np.testing.assert_allclose(p1, lstsq(x, y), rtol=1e-8)
    # a preconditioned descent (GD in standardised coordinates) reaches it too
    s = LinearRegressionObjective(x, y, scale="standard")
    ps = gd(s, s.from_original_units(0.0, 0.0), lr=0.25, steps=200)
    np.testing.assert_allclose(s.to_original_units(*ps), lstsq(x, y), rtol=1e-6)


def test_descend_front_door_if_available(housing):
    gds = pytest.importorskip("gdstudio")
    if not hasattr(gds, "descend"):
        pytest.skip("descend() not available")
    x, y = housing
    o = LinearRegressionObjective(x, y, scale="standard")
    r = gds.descend(o, [(0.0, 0.0), (1.0, -1.0)], optimizer="gd", lr=0.2, steps=500, tol=1e-10)
    np.testing.assert_allclose(r.final_points, np.tile(o.closed_form(), (2, 1)), atol=1e-9)
    assert r.critical == ["minimum", "minimum"]
    raw = LinearRegressionObjective(x, y)
    ok = gds.descend(raw, [(0.0, 0.0)], lr=0.98 * raw.max_stable_lr(), steps=200, tol=0)
    bad = gds.descend(raw, [(0.0, 0.0)], lr=1.02 * raw.max_stable_lr(), steps=2000, tol=0)
    assert ok.status == ["max_steps"] and bad.status == ["diverged"]


def test_default_domain_shows_start_solution_and_valley(housing):
    x, y = housing
    for scale in ("none", "standard"):
        o = LinearRegressionObjective(x, y, scale=scale)
        (a0, a1), (b0, b1) = o.domain()
        for a, b in (o.closed_form(), (0.0, 0.0), o.valley_point(0.0)):
            assert a0 < a < a1 and b0 < b < b1
        c = o.closed_form()
        assert (a0 + a1) / 2 == pytest.approx(c[0]) and (b0 + b1) / 2 == pytest.approx(c[1], abs=1e-9)


def test_bad_inputs():
    with pytest.raises(ValueError, match="every value of x is the same"):
        LinearRegressionObjective([1, 1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="unknown scaling 'minmax'"):
        LinearRegressionObjective([1, 2, 3], [1, 2, 3], scale="minmax")
    with pytest.raises(ValueError, match="x has 3 values but y has 2"):
        LinearRegressionObjective([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 2"):
        LinearRegressionObjective([1], [1])


def test_exact_fit_has_zero_cost():
    x = np.linspace(0, 1e4, 50)
    o = LinearRegressionObjective(x, 3 * x + 7)
    np.testing.assert_allclose(o.closed_form(), [3, 7])
    assert 0 <= o.value(np.array([[3.0, 7.0]]))[0] < 1e-12


def test_raw_descent_with_tuned_momentum_reaches_least_squares(housing):
    """Plain GD on the raw data crawls (κ ≈ 4·10⁸), but it is still gradient descent that gets
    there: heavy-ball momentum (torch's SGD momentum) with the optimal settings for a quadratic,
    lr = 4/(√L + √m)², μ = ((√L − √m)/(√L + √m))², converges at rate about 1 − 2/√κ per step
    once its long transient has passed (400,000 steps, under a second on the scalar path)."""
    from gdstudio import descend

    x, y = housing
    o = LinearRegressionObjective(x, y)
    m, L = o.hessian_eigenvalues()
    lr = 4 / (np.sqrt(L) + np.sqrt(m)) ** 2
    mu = ((np.sqrt(L) - np.sqrt(m)) / (np.sqrt(L) + np.sqrt(m))) ** 2
    r = descend(o, [(0.0, 0.0)], optimizer="momentum", lr=lr, momentum=mu, steps=400_000, tol=0,
                record=False, domain=((-1e3, 1e3), (-1e6, 1e6)))  # room for the transient
    np.testing.assert_allclose(r.final_points[0], lstsq(x, y), rtol=1e-6)

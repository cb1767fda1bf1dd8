"""A model the person types: symbolic derivatives, MSE/MAE/Huber costs and their exact
Hessians, identity with the straight-line objective for a*x + b."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gdstudio.core.expression")

from gdstudio.core.models.linreg import LinearRegressionObjective  # noqa: E402
from gdstudio.core.models.typed import TypedModelObjective  # noqa: E402
from gdstudio.io.datasets import load_housing, select_xy  # noqa: E402


@pytest.fixture(scope="module")
def housing():
    return select_xy(load_housing(), "LotArea", "SalePrice")


@pytest.fixture(scope="module")
def curve():
    rng = np.random.default_rng(0)
    x = np.linspace(-2, 2, 60)
    return x, 1.5 * np.exp(0.7 * x) + 0.2 * rng.normal(size=x.size)


def fd(obj, P, fn, h):
    out = []
    for k in range(obj.dim):
        e = np.zeros(obj.dim)
        e[k] = h
        out.append((fn(P + e) - fn(P - e)) / (2 * h))
    return np.stack(out, axis=-1)


@pytest.mark.parametrize("scale", ["none", "standard"])
def test_line_equals_linear_regression(housing, scale):
    x, y = housing
    lin = LinearRegressionObjective(x, y, scale=scale)
    typ = TypedModelObjective("a*x + b", x, y, scale=scale)
    assert typ.names == ("a", "b")
    rng = np.random.default_rng(4)
    P = lin.closed_form() + rng.normal(size=(6, 2)) * ([3.0, 1e5] if scale == "none" else [1.0, 1.0])
    np.testing.assert_allclose(typ.value(P), lin.value(P), rtol=1e-10)
    np.testing.assert_allclose(typ.grad(P), lin.grad(P), rtol=1e-8, atol=1e-10 * np.abs(lin.grad(P)).max())
    np.testing.assert_allclose(typ.hess(P), lin.hess(P), rtol=1e-10)
    np.testing.assert_allclose(typ.closed_form(), lin.closed_form(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(typ.predict(lin.closed_form(), x[:4]), lin.predict(lin.closed_form(), x[:4]))
    assert typ.linear_in_parameters
    f, G = typ.value_and_grad_T(np.ascontiguousarray(P.T))
    np.testing.assert_allclose(G.T, typ.grad(P))


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
@pytest.mark.parametrize("model", ["a*exp(b*x)", "a*sin(b*x) + c", "a*x**2 + b*x", "k/(1 + exp(-r*x))"])
def test_derivatives_match_finite_differences(curve, loss, model):
    x, y = curve
    obj = TypedModelObjective(model, x, y, loss=loss, huber_delta=0.5)
    rng = np.random.default_rng(1)
    P = 0.5 + 0.3 * rng.normal(size=(4, obj.dim))
    G = obj.grad(P)
    np.testing.assert_allclose(G, fd(obj, P, obj.value, 1e-6), rtol=1e-5, atol=1e-7)
    H = obj.hess(P)
    assert H.shape == (4, obj.dim, obj.dim)
    np.testing.assert_allclose(H, fd(obj, P, obj.grad, 1e-6), rtol=1e-4, atol=1e-6)


def test_loss_conventions(curve):
    x, y = curve
    P = np.array([[1.2, 0.5]])
    m = 1.2 * np.exp(0.5 * x)
    r = y - m
    mse = TypedModelObjective("a*exp(b*x)", x, y)
    mae = TypedModelObjective("a*exp(b*x)", x, y, loss="mae")
    hub = TypedModelObjective("a*exp(b*x)", x, y, loss="huber", huber_delta=0.3)
    assert mse.value(P)[0] == pytest.approx(np.mean(r ** 2))
    assert mae.value(P)[0] == pytest.approx(np.mean(np.abs(r)))
    h = np.where(np.abs(r) <= 0.3, 0.5 * r ** 2, 0.3 * (np.abs(r) - 0.15))
    assert hub.value(P)[0] == pytest.approx(np.mean(h))
    # MAE subgradient: mean(sign(r)·(−∂m/∂a))
    assert mae.grad(P)[0, 0] == pytest.approx(np.mean(-np.sign(r) * np.exp(0.5 * x)))
    # MAE Hessian has only the −sign(r)·∂²m term: ∂²m/∂a² = 0
    assert mae.hess(P)[0, 0, 0] == 0.0
    assert "MAE" in mae.label and "Huber(δ=0.3)" in hub.label


def test_no_parameters_and_bad_text(curve):
    x, y = curve
    with pytest.raises(ValueError) as e:
        TypedModelObjective("x**2", x, y)
    assert str(e.value) == "the model 'x**2' has no parameters to fit; use names other than x, e.g. a*x + b"
    from gdstudio.core.expression import ExpressionError

    with pytest.raises(ExpressionError) as e:
        TypedModelObjective("a*x +", x, y)
    assert isinstance(e.value, ValueError) and "\n" not in str(e.value)
    with pytest.raises(ValueError, match="unknown loss 'l4'"):
        TypedModelObjective("a*x", x, y, loss="l4")
    with pytest.raises(ValueError, match="Huber threshold must be a positive number"):
        TypedModelObjective("a*x", x, y, loss="huber", huber_delta=0)


def test_default_starts_avoid_degenerate_points(curve):
    x, y = curve
    assert TypedModelObjective("a*exp(b*x)", x, y).default_start.tolist() == [1.0, 0.0]
    assert TypedModelObjective("a*sin(b*x)", x, y).default_start.tolist() == [1.0, 1.0]
    assert TypedModelObjective("a*x**2 + b*x", x, y).default_start.tolist() == [0.0, 0.0]
    assert TypedModelObjective("a*x + b", x, y).default_start.tolist() == [0.0, 0.0]


def test_reference_fit_and_domain(curve):
    x, y = curve
    obj = TypedModelObjective("a*exp(b*x)", x, y)
    fit = obj.reference_fit()
    np.testing.assert_allclose(fit, [1.5, 0.7], rtol=0.05)
    assert np.linalg.norm(obj.grad(fit[None])[0]) < 1e-6
    (a0, a1), (b0, b1) = obj.domain()
    for a, b in (fit, obj.default_start):
        assert a0 < a < a1 and b0 < b < b1
    assert obj.closed_form() is None
    lin = TypedModelObjective("a*x**2 + b*x + c", x, y)
    A = np.column_stack([x ** 2, x, np.ones_like(x)])
    np.testing.assert_allclose(lin.closed_form(), np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-9)


def test_descent_on_typed_model_reaches_least_squares(housing):
    x, y = housing
    obj = TypedModelObjective("a*x + b", x, y, scale="standard")
    p = obj.default_start.copy()
    for _ in range(300):
        p = p - 0.1 * obj.grad(p[None])[0]
    np.testing.assert_allclose(p, obj.closed_form(), atol=1e-8)
    A = np.column_stack([x, np.ones_like(x)])
    a_raw, b_raw = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(obj.predict(p, [0.0, 1000.0]), [b_raw, b_raw + 1000 * a_raw], rtol=1e-6)


def test_kinked_models_have_zero_second_derivative_of_steps(curve):
    x, y = curve
    obj = TypedModelObjective("max(a*x, b)", x, y)
    P = np.array([[0.7, 0.2]])
    assert np.all(np.isfinite(obj.hess(P)))
    np.testing.assert_allclose(obj.grad(P), fd(obj, P, obj.value, 1e-7), rtol=1e-5)


def test_many_runs_are_chunked(curve, monkeypatch):
    import gdstudio.core.models.typed as typed

    x, y = curve
    obj = TypedModelObjective("a*exp(b*x)", x, y)
    P = np.random.default_rng(0).normal(size=(50, 2))
    f, G = obj.value_and_grad(P)
    monkeypatch.setattr(typed, "_BUDGET", 100)
    f2, G2 = obj.value_and_grad(P)
    np.testing.assert_allclose(f2, f)
    np.testing.assert_allclose(G2, G)
    np.testing.assert_allclose(obj.value(P), f)


def test_reference_fit_of_the_logistic_model_converges():
    # the hand-written Levenberg-Marquardt this replaced returned nothing here (a price-sized
    # k: its damping never recovered from the first rejected steps)
    rng = np.random.default_rng(3)
    x = np.linspace(-6, 6, 80)
    y = 2e5 / (1 + np.exp(-1.3 * x)) + 1e3 * rng.normal(size=x.size)
    obj = TypedModelObjective("k/(1 + exp(-r*x))", x, y)
    fit = obj.reference_fit()
    assert fit is not None
    k, r = (fit[obj.names.index(n)] for n in ("k", "r"))
    assert k == pytest.approx(2e5, rel=0.02) and r == pytest.approx(1.3, rel=0.05)
    g = obj.grad(fit[None])[0]
    assert abs(g[obj.names.index("r")]) < 1e-6 * 2e5 ** 2 and abs(g[obj.names.index("k")]) < 1e-6 * 2e5
    (k0, k1), (r0, r1) = (obj.domain()[obj.names.index(n)] for n in ("k", "r"))
    assert k0 < k < k1 and r0 < r < r1

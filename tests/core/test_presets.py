"""Presets: formulas parse, exact derivatives match finite differences, every stored point is
an exact critical point (refined: a Newton step does not move it) of the stated kind."""

import dataclasses

import numpy as np
import pytest

from gdstudio.core.compiled import ExpressionObjective
from gdstudio.core.expression import ExpressionError
from gdstudio.core.presets import PRESETS, KnownPoint, Preset, format_presets_table, get_objective

NAMES = list(PRESETS)
KINDS = {"global minimum", "local minimum", "saddle", "maximum", "degenerate"}


def test_the_required_presets_in_display_order():
    assert NAMES[:6] == ["bowl", "elongated", "two_minima", "saddle", "monkey_saddle", "rosenbrock"]
    assert {"himmelblau", "beale", "booth", "matyas", "six_hump_camel", "goldstein_price",
            "rastrigin", "ackley"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_preset_is_well_formed(name):
    p = PRESETS[name]
    assert isinstance(p, Preset) and p.name == name and p.title and p.reference
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "other"  # type: ignore[misc]
    (x0, x1), (y0, y1) = p.domain
    assert x0 < x1 and y0 < y1
    assert p.points and all(isinstance(k, KnownPoint) for k in p.points)
    assert any(k.kind == "global minimum" for k in p.points) or name in ("saddle", "monkey_saddle")
    for k in p.points:
        assert k.kind in KINDS
        assert x0 <= k.x <= x1 and y0 <= k.y <= y1, f"{k} outside the domain"
    assert set(p.minima) | set(p.saddles) == set(p.points)
    # the global minima are exactly the lowest of the stored minima
    if p.minima:
        low = min(k.value for k in p.minima)
        for k in p.minima:
            assert (k.kind == "global minimum") == (k.value <= low + 1e-12 * (1 + abs(low)))


@pytest.mark.parametrize("name", NAMES)
def test_get_objective_for_a_preset(name):
    p = PRESETS[name]
    f = get_objective(name)
    assert isinstance(f, ExpressionObjective)
    assert f.label == p.title and f.source == name
    assert f.default_domain == p.domain and f.domain() == p.domain
    assert f.preset is p
    assert f.names == ("x", "y")


def test_names_are_forgiving_and_other_text_is_an_expression():
    assert get_objective("Six-Hump Camel").preset is PRESETS["six_hump_camel"]
    assert get_objective(" ROSENBROCK ").preset is PRESETS["rosenbrock"]
    assert get_objective("two minima").preset is PRESETS["two_minima"]
    f = get_objective("x^2 + 3*y")
    assert f.default_domain is None and f.preset is None
    assert f.source == "x^2 + 3*y"
    with pytest.raises(ExpressionError, match="unknown name 'rosenbrok'"):
        get_objective("rosenbrok")
    # two objectives of the same preset are independent
    a, b = get_objective("bowl"), get_objective("bowl")
    a.default_domain = ((0.0, 1.0), (0.0, 1.0))
    assert b.default_domain == PRESETS["bowl"].domain


@pytest.mark.parametrize("name", NAMES)
def test_exact_gradient_and_hessian_match_finite_differences(name):
    p = PRESETS[name]
    f = get_objective(name)
    (x0, x1), (y0, y1) = p.domain
    rng = np.random.default_rng(sum(map(ord, name)))
    P = np.column_stack([rng.uniform(x0, x1, 25), rng.uniform(y0, y1, 25)])
    h = 1e-6 * max(x1 - x0, y1 - y0)
    G, H = f.grad(P), f.hess(P)
    fd_g = np.empty_like(G)
    fd_h = np.empty_like(H)
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        fd_g[:, k] = (f.value(P + e) - f.value(P - e)) / (2 * h)
        fd_h[:, :, k] = (f.grad(P + e) - f.grad(P - e)) / (2 * h)
    scale_g = 1 + np.abs(G).max()
    scale_h = 1 + np.abs(H).max()
    assert np.abs(G - fd_g).max() < 1e-6 * scale_g
    assert np.abs(H - fd_h).max() < 1e-6 * scale_h
    # the scalar fast path agrees with the vectorised one
    for q, fv, gv in zip(P[:5], f.value(P[:5]), G[:5]):
        sf, sg = f.scalar_value_and_grad(*map(float, q))
        assert sf == pytest.approx(fv, rel=1e-12, abs=1e-12)
        assert sg == pytest.approx(tuple(gv), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "ackley"])
def test_stored_points_are_refined_critical_points_of_the_stated_kind(name):
    f = get_objective(name)
    for k in PRESETS[name].points:
        P = np.array([[k.x, k.y]])
        value = f.value(P)[0]
        g = f.grad(P)[0]
        H = f.hess(P)[0]
        lam = np.linalg.eigvalsh(H)
        scale = 1 + np.abs(lam).max()
        assert value == pytest.approx(k.value, rel=1e-12, abs=1e-12), k
        assert np.linalg.norm(g) < 1e-9 * scale, (k, g)
        if k.kind.endswith("minimum"):
            assert lam.min() > 1e-6 * scale, (k, lam)
        elif k.kind == "maximum":
            assert lam.max() < -1e-6 * scale, (k, lam)
        elif k.kind == "saddle":
            assert lam.min() < -1e-6 * scale < 1e-6 * scale < lam.max(), (k, lam)
        else:  # degenerate: the monkey saddle's Hessian is zero
            assert np.abs(H).max() < 1e-12, (k, H)
            continue
        # refined: one Newton step on the exact derivatives does not move the point
        step = np.linalg.solve(H, g)
        assert np.abs(step).max() < 1e-12 * (1 + abs(k.x) + abs(k.y)), (k, step)


def test_the_two_minima_preset_traps_some_starts():
    """Plain gradient descent from either side of the ridge ends in different minima."""
    p = PRESETS["two_minima"]
    f = get_objective("two_minima")
    ridge = next(k for k in p.points if k.kind == "saddle").x
    glob = next(k for k in p.points if k.kind == "global minimum")
    worse = next(k for k in p.points if k.kind == "local minimum")
    X = np.array([[ridge - 0.2, ridge + 0.2], [0.5, -0.5]])
    for _ in range(2000):
        _, G = f.value_and_grad_T(X)
        X = X - 0.05 * G
    assert X[:, 0] == pytest.approx([glob.x, 0.0], abs=1e-6)
    assert X[:, 1] == pytest.approx([worse.x, 0.0], abs=1e-6)
    assert worse.value > glob.value


def test_ackley_minimum_is_a_cone_tip():
    p = PRESETS["ackley"]
    (k,) = p.points
    f = get_objective("ackley")
    assert f.value(np.array([[k.x, k.y]]))[0] == pytest.approx(0.0, abs=1e-14)
    # f grows linearly away from the tip, in every direction: |grad| tends to
    # 20*0.2*sqrt(0.5) (the cosine part contributes 2*e*pi^2*r) as the tip is approached
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    for r in (1e-5, 1e-8):
        P = r * np.column_stack([np.cos(angles), np.sin(angles)])
        assert np.all(f.value(P) > 0)
        g = np.linalg.norm(f.grad(P), axis=1)
        assert g == pytest.approx(np.full(8, 4 * np.sqrt(0.5)), rel=1e-3)


def test_elongated_condition_number_is_as_documented():
    f = get_objective("elongated")
    lam = np.linalg.eigvalsh(f.hess(np.zeros((1, 2)))[0])
    assert lam.max() / lam.min() == pytest.approx(25.0)
    assert "25" in PRESETS["elongated"].reference + PRESETS["elongated"].points[0].note


def test_presets_table_fits_100_columns_and_lists_everything():
    text = format_presets_table()
    assert max(len(line) for line in text.splitlines()) <= 100
    for p in PRESETS.values():
        assert p.name in text and p.title in text
        assert "domain  x in" in text
    assert text.count("source:") == len(PRESETS)
    assert "Rosenbrock, The Computer Journal" in text


def test_docs_list_every_preset_with_its_formula():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "presets.md"
    text = doc.read_text(encoding="utf-8")
    for p in PRESETS.values():
        assert f"`{p.name}`" in text and f"`{p.formula}`" in text, p.name
        for k in p.points:
            assert f"{k.value:.10g}" in text, (p.name, k)

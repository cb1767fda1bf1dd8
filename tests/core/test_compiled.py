"""Compiled typed expressions: exact gradient and Hessian (checked against central finite
differences, the only place they are used), shapes, broadcasting and the scalar path."""

import math
import pickle
import time
import warnings

import numpy as np
import pytest
import sympy

from gdstudio.core.compiled import ExpressionObjective, compile_function, compile_numpy
from gdstudio.core.expression import ExpressionError, make_symbol, parse_expression
from gdstudio.core.objective import Objective

EXPRESSIONS = [
    "(1 - x)^2 + 100*(y - x^2)^2",
    "sin(x)*exp(y) + x^3*y",
    "x^4/4 - x^2/2 + 0.15*x + y^2/2",
    "abs(x)*y + max(x, y)^2 + sign(y)*x",
    "cbrt(x + 3) + sqrt(y + 3) + log(x + 4)",
    "cot(x + 3) + sec(y) + csc(x + 3)",
    "sigmoid(x)*log10(y + 3) - log2(x + 4)",
    "hypot(x, y) + atan2(y, x + 3)*tanh(x*y)",
    "(x + 2)^y + pow(y + 2, x)",
    "exp(-(x^2 + y^2)/2)*cos(3*x) + cosh(x)*sinh(y)",
    "asin(x/2) + acos(y/2) + atan(x*y) + asinh(x) + acosh(y + 3) + atanh(y/2)",
    "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
    "*".join(f"(x + {k}*y/100)" for k in range(1, 120)),  # large: forward-mode program
]


def fd_grad(obj, P, h=1e-6):
    d = P.shape[1]
    return np.stack(
        [(obj.value(P + h * np.eye(d)[k]) - obj.value(P - h * np.eye(d)[k])) / (2 * h)
         for k in range(d)],
        axis=1,
    )


def fd_hess(obj, P, h=1e-6):
    d = P.shape[1]
    return np.stack(
        [(obj.grad(P + h * np.eye(d)[k]) - obj.grad(P - h * np.eye(d)[k])) / (2 * h)
         for k in range(d)],
        axis=2,
    )


def close(a, b, tol):
    return np.all(np.abs(a - b) <= tol * (1 + np.abs(b)))


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_gradient_and_hessian_match_finite_differences(text):
    obj = compile_function(text)
    rng = np.random.default_rng(7)
    # away from kinks (abs, max, sign) so that finite differences are meaningful
    P = rng.uniform(0.2, 0.9, size=(12, 2)) * rng.choice([-1, 1], size=(12, 1))
    P[:, 1] += 0.05
    f, G = obj.value_and_grad(P)
    H = obj.hess(P)
    assert f.shape == (12,) and G.shape == (12, 2) and H.shape == (12, 2, 2)
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(G)) and np.all(np.isfinite(H))
    assert close(G, fd_grad(obj, P), 1e-5)
    assert close(H, fd_hess(obj, P), 1e-5)
    assert np.allclose(H, np.transpose(H, (0, 2, 1)))


def test_gradient_against_sympy_on_a_grid():
    obj = compile_function("sin(x*y) + x^3 - 2*y")
    x, y = make_symbol("x"), make_symbol("y")
    for px, py in [(0.1, 0.2), (-1.5, 2.0), (3.0, -0.5)]:
        g = obj.grad(np.array([[px, py]]))[0]
        assert g[0] == pytest.approx(float(py * math.cos(px * py) + 3 * px**2))
        assert g[1] == pytest.approx(float(px * math.cos(px * py) - 2))
    assert obj.gradient_exprs == (y * sympy.cos(x * y) + 3 * x**2, x * sympy.cos(x * y) - 2)


def test_asymmetric_function_gradient_order_matches_variable_order():
    obj = compile_function("x^3 + 5*y")  # df/dx = 3x^2, df/dy = 5
    f, G = obj.value_and_grad_T(np.array([[2.0], [7.0]]))
    assert f[0] == 43.0
    assert G[:, 0].tolist() == [12.0, 5.0]
    assert obj.scalar_value_and_grad(2.0, 7.0) == (43.0, (12.0, 5.0))
    # other variable names and order
    obj = compile_function("a^3 + 5*b", variables=("b", "a"))
    assert obj.names == ("b", "a")
    f, G = obj.value_and_grad_T(np.array([[7.0], [2.0]]))
    assert G[:, 0].tolist() == [5.0, 12.0]
    assert obj.scalar_value_and_grad(7.0, 2.0) == (43.0, (5.0, 12.0))
    H = obj.hess(np.array([[7.0, 2.0]]))[0]
    assert H.tolist() == [[0.0, 0.0], [0.0, 12.0]]


def test_dN_and_Nd_agree():
    obj = compile_function(EXPRESSIONS[1])
    P = np.random.default_rng(0).normal(size=(50, 2))
    X = np.ascontiguousarray(P.T)
    f, G = obj.value_and_grad_T(X)
    assert f.shape == (50,) and G.shape == (2, 50)
    assert f.dtype == np.float64 and G.dtype == np.float64
    assert G.flags.c_contiguous
    f2, G2 = obj.value_and_grad(P)
    assert np.array_equal(f, f2) and np.array_equal(G.T, G2)
    assert np.array_equal(obj.value(P), f)
    assert np.array_equal(obj.grad(P), G.T)


def test_constant_components_are_broadcast():
    for N in (1, 5):
        X = np.arange(2.0 * N).reshape(2, N)
        f, G = compile_function("x + y").value_and_grad_T(X)
        assert f.shape == (N,) and G.shape == (2, N)
        assert np.all(G == 1.0)
        f, G = compile_function("3").value_and_grad_T(X)
        assert f.shape == (N,) and np.all(f == 3.0) and np.all(G == 0.0)
        f, G = compile_function("x").value_and_grad_T(X)
        assert np.array_equal(f, X[0]) and G[:, 0].tolist() == [1.0, 0.0]
        H = compile_function("x*y + x").hess(X.T)
        assert H.shape == (N, 2, 2)
        assert np.all(H == np.array([[0.0, 1.0], [1.0, 0.0]]))
        assert compile_function("x^2 + 7").value(X.T).shape == (N,)


def test_results_do_not_alias_the_input():
    obj = compile_function("x")
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    f, _ = obj.value_and_grad_T(X)
    X[0] = 99.0
    assert f.tolist() == [1.0, 2.0]


def test_one_variable_and_three_variables():
    obj = compile_function("x^2", variables=("x",))
    f, G = obj.value_and_grad_T(np.array([[1.0, 2.0, 3.0]]))
    assert f.tolist() == [1.0, 4.0, 9.0] and G.tolist() == [[2.0, 4.0, 6.0]]
    assert obj.scalar_value_and_grad(3.0) == (9.0, (6.0,))
    assert obj.hess(np.array([[1.0]])).tolist() == [[[2.0]]]
    obj = compile_function("x*y*z", variables=("x", "y", "z"))
    assert obj.dim == 3
    P = np.array([[1.0, 2.0, 3.0]])
    assert obj.grad(P).tolist() == [[6.0, 3.0, 2.0]]
    assert obj.hess(P)[0].tolist() == [[0, 3, 2], [3, 0, 1], [2, 1, 0]]
    assert obj.scalar_value_and_grad(1.0, 2.0, 3.0) == (6.0, (6.0, 3.0, 2.0))


@pytest.mark.parametrize("text", EXPRESSIONS[:-1])
def test_scalar_path_equals_vector_path(text):
    obj = compile_function(text)
    assert obj.scalar_value_and_grad is not None
    P = np.random.default_rng(3).uniform(-0.9, 0.9, size=(20, 2))
    f, G = obj.value_and_grad(P)
    for p, fv, gv in zip(P, f, G):
        sf, sg = obj.scalar_value_and_grad(float(p[0]), float(p[1]))
        assert type(sf) is float and all(type(g) is float for g in sg)
        assert sf == pytest.approx(fv, rel=1e-12, abs=1e-12)
        assert sg == pytest.approx(tuple(gv), rel=1e-12, abs=1e-12)


def test_scalar_path_returns_nan_instead_of_raising():
    obj = compile_function("log(x) + sqrt(y) + 1/x")
    assert all(math.isnan(v) for v in _flat(obj.scalar_value_and_grad(-1.0, 2.0)))
    assert all(math.isnan(v) for v in _flat(obj.scalar_value_and_grad(0.0, 2.0)))
    obj = compile_function("exp(x) + y")
    assert math.isnan(obj.scalar_value_and_grad(1000.0, 1.0)[0])
    obj = compile_function("x^(1/3) + y")  # math.pow, not a complex result
    assert math.isnan(obj.scalar_value_and_grad(-8.0, 1.0)[0])


def _flat(result):
    f, g = result
    return (f,) + tuple(g)


def test_numpy_path_never_warns_or_raises():
    obj = compile_function("log(x) + sqrt(y) + 1/x + exp(1000*x)")
    X = np.array([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            f, G = obj.value_and_grad_T(X)
            obj.value(X.T)
            obj.hess(X.T)
        # the caller's floating-point settings are restored afterwards
        with np.errstate(all="raise"):
            with pytest.raises(FloatingPointError):
                np.log(np.array([-1.0]))
    assert np.isnan(f[0]) and np.isinf(f[2])


def test_objective_attributes_and_display():
    obj = compile_function("x^2 + 3*y^2", label="Bowl")
    assert isinstance(obj, ExpressionObjective) and isinstance(obj, Objective)
    assert obj.names == ("x", "y")
    assert obj.label == "Bowl"
    assert obj.source == "x^2 + 3*y^2"
    assert obj.default_domain is None
    assert obj.domain() == ((-3.0, 3.0), (-3.0, 3.0))
    x, y = make_symbol("x"), make_symbol("y")
    assert obj.expr == x**2 + 3 * y**2
    assert obj.gradient_exprs == (2 * x, 6 * y)
    assert obj.hessian_exprs == ((2, 0), (0, 6))
    assert obj.latex() == "x^{2} + 3 y^{2}"
    assert obj.pretty == "x**2 + 3*y**2"
    assert compile_function(" x^2 ").label == "x^2"


def test_compile_is_cached_but_objectives_are_independent():
    text = "sin(x)^2 + cos(y)^3 + x*y/7"
    start = time.perf_counter()
    a = compile_function(text)
    b = compile_function(text)
    assert a is not b and a._core is b._core
    assert time.perf_counter() - start < 5
    start = time.perf_counter()
    compile_function(text)
    assert time.perf_counter() - start < 0.05
    a.default_domain = ((0.0, 1.0), (0.0, 1.0))
    a.label = "changed"
    assert b.default_domain is None and b.label != "changed"


def test_parsed_expression_accepted_and_errors_propagate():
    p = parse_expression("x*y")
    obj = compile_function(p)
    assert obj.grad(np.array([[2.0, 3.0]])).tolist() == [[3.0, 2.0]]
    with pytest.raises(ExpressionError, match="unknown name 'z' at column 3"):
        compile_function("x+z")
    with pytest.raises(ExpressionError, match="unknown name 'a'"):
        compile_function(parse_expression("a*x", allow_parameters=True))


def test_pickle_and_copy():
    obj = compile_function("x^2 + y", label="L")
    obj.default_domain = ((-1.0, 1.0), (-2.0, 2.0))
    back = pickle.loads(pickle.dumps(obj))
    assert back.label == "L" and back.default_domain == obj.default_domain
    P = np.array([[1.0, 2.0]])
    assert np.array_equal(back.value_and_grad(P)[1], obj.value_and_grad(P)[1])


def test_kinks_give_subgradients_not_errors():
    obj = compile_function("abs(x) + max(x, y)")
    X = np.zeros((2, 3))
    f, G = obj.value_and_grad_T(X)
    assert np.all(np.isfinite(G))
    assert np.all(obj.hess(X.T) == 0.0)


def test_compile_numpy():
    a, b, x = make_symbol("a"), make_symbol("b"), make_symbol("x")
    model = a * x + b
    fn = compile_numpy([model, sympy.diff(model, a), sympy.diff(model, b), sympy.Integer(3)],
                       [a, b, x])
    xs = np.array([1.0, 2.0, 3.0])
    out = fn(2.0, 0.5, xs)
    assert [o.shape for o in out] == [(3,)] * 4
    assert out[0].tolist() == [2.5, 4.5, 6.5]
    assert out[1].tolist() == [1.0, 2.0, 3.0]
    assert out[2].tolist() == [1.0, 1.0, 1.0]
    assert out[3].tolist() == [3.0, 3.0, 3.0]
    # broadcasting between inputs; names instead of symbols
    fn = compile_numpy([model], ["a", "b", "x"])
    grid = fn(np.array([[1.0], [2.0]]), 0.0, xs)[0]
    assert grid.shape == (2, 3) and grid.tolist() == [[1, 2, 3], [2, 4, 6]]
    out[1][0] = 42.0  # results are writable, not views of the inputs
    assert xs[0] == 1.0
    with pytest.raises(ValueError, match="not arguments"):
        compile_numpy([a * x], [x])


def test_large_expression_compiles_in_reasonable_time():
    text = "*".join(f"(x + {k}*y/100)" for k in range(1, 150))
    start = time.process_time()  # CPU time: the work done, not the shared machine's load
    obj = compile_function(text)
    obj.hess(np.array([[0.1, 0.2]]))
    assert time.process_time() - start < 8


def _random_expression(rng, depth):
    leaves = ["x", "y", "x", "y", "2", "3", "0.5", "1/3", "pi", "e"]
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(leaves)
    k = rng.random()
    if k < 0.45:
        op = rng.choice(["+", "-", "*", "/", "^"])
        a = _random_expression(rng, depth - 1)
        b = _random_expression(rng, depth - 1)
        if op == "^":
            b = rng.choice(["2", "3", "-1", "-2", "0.5", "1/3", "x", "y", "4"])
        return f"({a}){op}({b})"
    if k < 0.55:
        return f"-({_random_expression(rng, depth - 1)})"
    if k < 0.85:
        f = rng.choice(["sin", "cos", "tan", "exp", "log", "sqrt", "cbrt", "abs", "sign",
                        "tanh", "atan", "asinh", "sigmoid", "cot", "sec", "csc", "cosh"])
        return f"{f}({_random_expression(rng, depth - 1)})"
    f = rng.choice(["atan2", "min", "max", "hypot", "pow"])
    return f"{f}({_random_expression(rng, depth - 1)}, {_random_expression(rng, depth - 1)})"


def test_random_expressions_agree_with_sympy_lambdify():
    """Our printers (numpy and math) against sympy's own lambdify of the same derivative
    expressions, on random expressions: catches precedence and printing mistakes."""
    import random

    rng = random.Random(20240611)
    x, y = make_symbol("x"), make_symbol("y")
    P = np.array([[0.3, 0.7], [-0.4, 1.3], [1.7, -0.6]])
    checked = 0
    for _ in range(80):
        text = _random_expression(rng, 3)
        try:
            obj = compile_function(text)
        except ExpressionError:
            continue
        try:
            ref = sympy.lambdify((x, y), [obj.expr, *obj.gradient_exprs], "numpy")
        except Exception:  # sympy's own printer cannot do it: nothing to compare with
            continue
        f, G = obj.value_and_grad(P)
        for j, (px, py) in enumerate(P):
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    expected = [complex(v) for v in ref(px, py)]
                except Exception:
                    continue
            if not np.isfinite(f[j]) or any(abs(v.imag) > 0 for v in expected):
                continue
            ours = [f[j], *G[j]]
            scalar = obj.scalar_value_and_grad(float(px), float(py))
            for a, s, b in zip(ours, [scalar[0], *scalar[1]], expected):
                if np.isfinite(b.real):
                    assert a == pytest.approx(b.real, rel=1e-8, abs=1e-8), text
                    assert s == pytest.approx(b.real, rel=1e-8, abs=1e-8), text
            checked += 1
    assert checked > 60

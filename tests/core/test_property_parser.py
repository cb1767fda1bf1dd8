"""Property tests (hypothesis) of the parser and the compiler: any text either compiles or
is refused with ExpressionError (nothing else is ever raised), and what compiles is exact:
the numpy and plain-float paths agree, and smooth expressions' gradients agree with
central finite differences (used here only to check)."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdstudio.core.compiled import compile_function
from gdstudio.core.expression import ExpressionError

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

_leaves = st.sampled_from(["x", "y", "1", "2", "0.5", "3", "pi", "e", "1e-3"])


def _smooth(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "atan", "sigmoid"]), children).map(
            lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda c: f"sqrt(1 + ({c})^2)"),
        children.map(lambda c: f"exp(-({c})^2)"),
        st.tuples(children, st.integers(2, 4)).map(lambda t: f"({t[0]})^{t[1]}"),
    )


smooth_texts = st.recursive(_leaves, _smooth, max_leaves=12)

_tokens = st.sampled_from(
    ["x", "y", "+", "-", "*", "/", "^", "**", "(", ")", ",", "1", "2.5", "1e308", "e", "pi",
     "sin", "log", "min", "max", "abs", "exp", "sqrt", "9", "0", " ", "z", "__", ".", "'",
     "[", "]", "lambda", ":", "import", "os", "1e-400", "99999999999999999999"]
)
any_texts = st.lists(_tokens, max_size=25).map("".join)


@SETTINGS
@given(any_texts)
def test_any_text_compiles_or_is_refused_with_expression_error(text):
    try:
        obj = compile_function(text)
    except ExpressionError as err:
        assert str(err) and "\n" not in str(err)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the numpy path never warns
        f, g = obj.value_and_grad(np.array([[0.3, -0.7], [1.5, 2.0]]))
    assert f.shape == (2,) and g.shape == (2, 2)


def _fd(obj, p, h=1e-6):
    out = []
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        out.append((obj.value(np.array([p + e]))[0] - obj.value(np.array([p - e]))[0]) / (2 * h))
    return np.array(out)


@SETTINGS
@given(smooth_texts, st.floats(-2, 2), st.floats(-2, 2))
def test_smooth_expressions_are_differentiated_exactly(text, px, py):
    try:
        obj = compile_function(text)
    except ExpressionError:
        return  # e.g. a constant too large: refused, which is allowed
    p = np.array([px, py])
    f, g = obj.value_and_grad(p[None, :])
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(g))) or np.max(np.abs(g)) > 1e6:
        return
    if obj.scalar_value_and_grad is not None:
        sf, sg = obj.scalar_value_and_grad(px, py)
        assert sf == pytest.approx(f[0], rel=1e-12, abs=1e-12)
        assert sg == pytest.approx(tuple(g[0]), rel=1e-9, abs=1e-9)
    scale = max(1.0, float(np.max(np.abs(g))), abs(float(f[0])))
    assert g[0] == pytest.approx(_fd(obj, p), abs=1e-4 * scale)
    assert math.isfinite(float(obj.value(p[None, :])[0]))

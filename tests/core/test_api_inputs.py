"""What descend() accepts as the function: text, a preset, a sympy expression, an Objective;
a Python function gets one sentence saying why not."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import gdstudio
from gdstudio.core.expression import ExpressionError


def test_a_sympy_expression_is_accepted_with_exact_derivatives():
    x, y = sympy.symbols("x y")
    expr = (x - 1) ** 2 + 3 * sympy.Abs(y) ** 2 + sympy.Max(x, -5)
    r = gdstudio.descend(expr, [(2.0, 1.0)], lr=0.05, steps=2000)
    text = gdstudio.descend("(x - 1)^2 + 3*abs(y)^2 + max(x, -5)", [(2.0, 1.0)], lr=0.05, steps=2000)
    np.testing.assert_array_equal(r.final_points, text.final_points)
    assert list(r.status) == ["converged"]
    np.testing.assert_allclose(r.final_points[0], [0.5, 0.0], atol=1e-6)
    # real-valued symbols, as a person may declare them, work the same
    xr, yr = sympy.symbols("x y", real=True)
    r2 = gdstudio.descend(xr**2 + yr**2, [(1.0, 1.0)], lr=0.1)
    assert r2.critical[0] == "minimum"


def test_a_sympy_expression_in_other_names_is_refused_clearly():
    a, x = sympy.symbols("a x")
    with pytest.raises(ExpressionError, match="must be a function of x and y; this one also has a"):
        gdstudio.descend(a * x**2, [(1.0, 1.0)])


def test_a_python_function_gets_one_sentence():
    with pytest.raises(TypeError) as err:
        gdstudio.descend(lambda x, y: x**2 + y**2, [(1.0, 1.0)])
    msg = str(err.value)
    assert "\n" not in msg and "not a Python function" in msg and "exactly" in msg
    with pytest.raises(TypeError, match="not int"):
        gdstudio.descend(3, [(1.0, 1.0)])

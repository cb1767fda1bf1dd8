"""build_problem: the front door for the command line and the window."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.app.problems import Problem, build_problem
from gdstudio.io.datasets import AMES_CREDIT


def test_linreg_on_housing_defaults():
    p = build_problem("linreg", None)
    assert isinstance(p, Problem) and p.kind == "linreg"
    assert (p.x_name, p.y_name) == ("LotArea", "SalePrice")
    assert p.objective.names == ("a", "b")
    np.testing.assert_array_equal(p.default_starts, [[0.0, 0.0]])
    assert p.units == {"x": "sq ft", "y": "$", "a": "$ per sq ft", "b": "$"}
    A = np.column_stack([p.x_data, np.ones_like(p.x_data)])
    np.testing.assert_allclose(p.closed_form, np.linalg.lstsq(A, p.y_data, rcond=None)[0], rtol=1e-9)
    np.testing.assert_allclose(p.predict(p.closed_form, [0.0, 1.0]),
                               [p.closed_form[1], p.closed_form.sum()])
    assert p.credit == AMES_CREDIT and "(1/n)" in p.description
    assert p.data_name == "housing"


def test_linreg_standardised_predicts_in_dollars():
    p = build_problem("linreg", "housing", x="GrLivArea", y="SalePrice", scale="standard")
    assert p.units["a"].startswith("SD of SalePrice")
    a, b = p.objective.closed_form()
    line = p.predict([a, b], [1000.0, 2000.0])
    A = np.column_stack([p.x_data, np.ones_like(p.x_data)])
    a0, b0 = np.linalg.lstsq(A, p.y_data, rcond=None)[0]
    np.testing.assert_allclose(line, [a0 * 1000 + b0, a0 * 2000 + b0], rtol=1e-8)


def test_typed_model_on_housing_and_on_csv(tmp_path):
    p = build_problem("a*x + b", "housing", scale="standard")
    assert p.kind == "typed" and p.objective.names == ("a", "b")
    lin = build_problem("linreg", "housing", scale="standard")
    np.testing.assert_allclose(p.closed_form, lin.closed_form, atol=1e-12)
    csv = tmp_path / "growth.csv"
    t = np.linspace(0, 2, 30)
    rows = "\n".join(f"{a:.6f},{2 * np.exp(0.8 * a):.6f}" for a in t)
    csv.write_text("t,count\n" + rows + "\n")
    q = build_problem("a*exp(b*x)", str(csv), loss="huber")
    assert (q.x_name, q.y_name) == ("t", "count")
    np.testing.assert_array_equal(q.default_starts, [[1.0, 0.0]])
    np.testing.assert_allclose(q.objective.reference_fit(), [2.0, 0.8], rtol=1e-4)
    assert "Huber" in q.description and q.closed_form is None


def test_mlp_toy_and_csv(tmp_path):
    p = build_problem("mlp", "moons", hidden="4,3", activation="relu", seed=3, n_points=50)
    assert p.kind == "mlp" and p.task == "classification"
    assert p.x_data.shape == (50, 2) and p.default_starts.shape == (1, p.objective.dim)
    np.testing.assert_array_equal(p.default_starts, p.objective.init_params(1, 3))
    grid = np.array([[0.0, 0.0], [1.0, 0.5]])
    prob = p.predict(p.default_starts[0], grid)
    assert prob.shape == (2,) and np.all((prob > 0) & (prob < 1))
    s = build_problem("mlp", "sine", hidden=(5,), batch_size=10)
    assert s.task == "regression" and s.objective.batch_size == 10 and s.x_names == ("x",)
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,name,label\n1,2,u,0\n2,1,v,1\n3,3,w,0\n4,0,z,1\n")
    c = build_problem("mlp", str(csv), y="label", hidden=(2,))
    assert c.x_names == ("a", "b") and c.task == "classification"
    assert c.objective.scale == "standard"
    h = build_problem("mlp", "housing", x="LotArea, GrLivArea", hidden=(3,), n_starts=4)
    assert h.x_data.shape == (1460, 2) and h.default_starts.shape == (4, h.objective.dim)
    assert h.task == "regression" and h.y_name == "SalePrice"


def test_errors_are_one_clear_sentence(tmp_path):
    text = tmp_path / "t.csv"
    text.write_text("name,town\nann,ames\nbob,boone\n")
    mixed = tmp_path / "m.csv"
    mixed.write_text("a,b,c\n1,2,3\n4,5,6\n")
    cases = [
        (dict(model="x**2"), "the model 'x**2' has no parameters to fit; use names other than x, e.g. a*x + b"),
        (dict(model="linreg", data="moon"), "unknown data set 'moon'; use housing, sine, xor, moons, circles, spirals or the path of a CSV file"),
        (dict(model="linreg", x="Foo"), "no column 'Foo' in ames_housing.csv; columns are: "),
        (dict(model="linreg", data=str(text)), "t.csv has no numeric columns (columns: name, town)"),
        (dict(model="linreg", data=str(tmp_path / "none.csv")), f"no such file: {tmp_path / 'none.csv'}"),
        (dict(model="linreg", data=str(mixed)), "choose the x and y columns of m.csv; its numeric columns are: a, b, c"),
        (dict(model="mlp", activation="softmax"), "unknown activation 'softmax'; choose one of: sigmoid, tanh, relu"),
        (dict(model="mlp", hidden="8,-1"), "bad hidden-layer sizes '8,-1'"),
        (dict(model="linreg", data="xor"), "the data set 'xor' is for classification"),
        (dict(model="linreg", scale="minmax"), "unknown scaling 'minmax'"),
        (dict(model="a*x", loss="l3"), "unknown loss 'l3'"),
        (dict(model=" "), "no model given"),
        (dict(model="mlp", data="housing", x="SalePrice"), "the column 'SalePrice' cannot be both an input and the target"),
    ]
    for kwargs, start in cases:
        with pytest.raises(ValueError) as e:
            build_problem(**kwargs)
        msg = str(e.value)
        assert msg.startswith(start), (kwargs, msg)
        assert "\n" not in msg


def test_descend_on_problems_if_available():
    gds = pytest.importorskip("gdstudio")
    if not hasattr(gds, "descend"):
        pytest.skip("descend() not available")
    p = build_problem("linreg", scale="standard")
    r = gds.descend(p.objective, p.default_starts, lr=0.2, steps=300, tol=1e-9)
    np.testing.assert_allclose(r.final_points[0], p.objective.closed_form(), atol=1e-8)
    assert r.critical == ["minimum"]
    m = build_problem("mlp", "xor", hidden=(4,), n_points=40, batch_size=8)
    r = gds.descend(m.objective, m.default_starts, optimizer="adam", lr=0.05, steps=60, tol=0)
    assert r.status == ["max_steps"] and np.isfinite(r.values[0])

"""One front door for models fitted to data, used by the command line and the window.

    prob = build_problem("linreg")                                   # SalePrice ~ a*LotArea + b
    prob = build_problem("a*exp(b*x)", "my.csv", x="t", y="count", loss="huber")
    prob = build_problem("mlp", "moons", hidden="16,16", activation="relu")

Every error a person can cause (unknown data set or column, a CSV that cannot be used, a
formula without parameters or that does not parse, a bad activation or hidden-layer spec) is
a ``ValueError`` subclass whose ``str`` is one clear sentence; the command line prints it and
exits with status 2.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..io.datasets import (
    AMES_CREDIT,
    COLUMN_UNITS,
    TOY_DATASETS,
    DataError,
    Table,
    load_csv_columns,
    load_housing,
    make_toy,
    select_columns,
)
from ..core.objective import Objective

__all__ = ["DATA_SETS", "MODEL_KINDS", "Problem", "build_problem"]

MODEL_KINDS = ("linreg", "typed", "mlp")
#: names accepted for ``data`` besides a CSV path
DATA_SETS = ("housing", *TOY_DATASETS)

HOUSING_X, HOUSING_Y = "LotArea", "SalePrice"


@dataclass
class Problem:
    """A model, its data and how to show it.

    ``objective``: the cost to descend on; ``default_starts`` (N, d); ``x_data`` the raw inputs
    ((n,) for a line or typed model, (n, k) for a network), ``y_data`` the raw targets (n,);
    ``x_name`` (comma-separated for several inputs), ``y_name``; ``units``: unit of "x", "y"
    and of each parameter where meaningful (e.g. {"x": "sq ft", "y": "$", "a": "$ per sq ft",
    "b": "$"}); ``kind`` linreg | typed | mlp; ``description`` one or two sentences for the
    window; ``closed_form`` the exact minimiser when known (line fits); ``task`` regression |
    classification; ``data_name`` "housing", a toy set's name or the CSV path; ``credit``
    the data's credit (the Ames paragraph for the housing data), else ""."""

    objective: Objective
    default_starts: np.ndarray
    x_data: np.ndarray
    y_data: np.ndarray
    x_name: str
    y_name: str
    units: dict
    kind: str
    description: str
    closed_form: Optional[np.ndarray] = None
    task: str = "regression"
    data_name: str = ""
    credit: str = ""
    x_names: tuple = field(default_factory=tuple)

    def predict(self, theta, xs) -> np.ndarray:
        """The model's output for parameters θ ((d,) or (N, d)) at raw inputs ``xs``: the
        fitted line/curve in the data's units for linreg/typed models ((m,) x values), the
        network's prediction (regression) or probability of class 1 (classification) for
        (m, k) inputs, e.g. a grid to draw a decision region."""
        return self.objective.predict(theta, xs)


def _is_toy(name: str) -> bool:
    return name.strip().lower() in TOY_DATASETS


def _load_table(data: str) -> tuple[Table, str]:
    key = data.strip()
    if key.lower() == "housing":
        return load_housing(), "housing"
    p = Path(os.path.expanduser(key))
    if not p.exists() and os.sep not in key and "/" not in key and p.suffix.lower() != ".csv":
        raise DataError(
            f"unknown data set '{data}'; use {', '.join(DATA_SETS)} or the path of a CSV file"
        )
    return load_csv_columns(p), str(data)


def _units_of(table_name: str, column: str) -> str:
    return COLUMN_UNITS.get(column, "") if table_name == "housing" else ""


def _pick_xy_1d(table: Table, data_name: str, x, y) -> tuple[str, str]:
    if x is None and y is None and data_name == "housing":
        return HOUSING_X, HOUSING_Y
    if data_name == "housing":
        return table.resolve(x or HOUSING_X), table.resolve(y or HOUSING_Y)
    num = table.numeric_columns
    if x is None and y is None:
        if len(num) == 2:
            return num[0], num[1]
        raise DataError(
            f"choose the x and y columns of {table.name}; its numeric columns are: "
            f"{', '.join(num)}"
        )
    if x is None or y is None:
        given = x if x is not None else y
        others = [c for c in num if c != table.resolve(given)]
        if len(others) == 1:
            return (table.resolve(given), others[0]) if x is not None else (others[0], table.resolve(given))
        missing = "x" if x is None else "y"
        raise DataError(
            f"choose the {missing} column of {table.name} too; its numeric columns are: "
            f"{', '.join(num)}"
        )
    return table.resolve(x), table.resolve(y)


def _split_names(x) -> list[str]:
    if isinstance(x, str):
        return [s.strip() for s in x.split(",") if s.strip()]
    return [str(s).strip() for s in x]


def build_problem(
    model: str,
    data: Optional[str] = None,
    x: Optional[Union[str, list]] = None,
    y: Optional[str] = None,
    scale: Optional[str] = None,
    loss: str = "mse",
    hidden=(8, 8),
    activation: str = "tanh",
    seed: int = 0,
    batch_size: Optional[int] = None,
    n_points: Optional[int] = None,
    huber_delta: float = 1.0,
    task: Optional[str] = None,
    n_starts: int = 1,
) -> Problem:
    """Build the objective, data and defaults for a model fitted to data.

    ``model``: ``"linreg"`` (y = a·x + b, MSE), ``"mlp"`` (feed-forward network) or a typed
    model in x (``"a*exp(b*x)"``; other names are parameters). ``data``: ``"housing"`` (the
    shipped Ames data; the default for linreg and typed models), a toy set ``"sine"``,
    ``"xor"``, ``"moons"`` (the default for mlp), ``"circles"``, ``"spirals"``, or a CSV path.
    ``x``/``y``: column names (housing defaults LotArea and SalePrice; a CSV with exactly two
    numeric columns needs none); for mlp ``x`` may be a comma-separated list of input columns
    (default: every other numeric column). ``scale``: ``"none"`` | ``"standard"``; None means
    "none" for lines and typed models and for the toy sets, "standard" for a network on
    housing or CSV data (raw house prices saturate tanh units). ``loss`` (typed models):
    mse | mae | huber (``huber_delta``). ``hidden``, ``activation``, ``batch_size``, ``task``
    (None: classification when y holds only 0 and 1 or the toy set is a classification set)
    apply to mlp; ``seed`` seeds toy data, initial weights and mini-batches; ``n_points`` sets
    a toy set's size; ``n_starts`` how many initialisations a network gets in
    ``default_starts``.
    """
    text = (model or "").strip()
    if not text:
        raise ValueError("no model given; use linreg, mlp or a typed model such as a*x + b")
    key = text.lower()
    kind = "linreg" if key in ("linreg", "line", "linear") else "mlp" if key == "mlp" else "typed"
    if scale is not None:
        s = str(scale).strip().lower()
        if s not in ("none", "standard"):
            raise ValueError(f"unknown scaling '{scale}'; choose 'none' or 'standard'")
        scale = s
    if data is None or not str(data).strip():
        data = "moons" if kind == "mlp" else "housing"
    data = str(data)
    if kind == "mlp":
        return _build_mlp(data, x, y, scale, hidden, activation, seed, batch_size, n_points,
                          task, n_starts)
    return _build_curve(kind, text, data, x, y, scale or "none", loss, huber_delta, seed, n_points,
                        batch_size)


# -- lines and typed models -------------------------------------------------------------
def _build_curve(kind, text, data, x, y, scale, loss, huber_delta, seed, n_points,
                 batch_size=None) -> Problem:
    from ..core.models.linreg import LinearRegressionObjective
    from ..core.models.typed import TypedModelObjective

    credit = ""
    if _is_toy(data):
        name = data.strip().lower()
        if TOY_DATASETS[name][1] != "regression":
            raise DataError(
                f"the data set '{name}' is for classification (two classes in the plane); "
                f"fit it with the mlp model, or use housing, sine or a CSV file"
            )
        if x is not None or y is not None:
            raise DataError(f"the toy data set '{name}' has no columns to choose; it is x and y")
        X, yy, _ = make_toy(name, n_points, seed)
        xv, yv = X[:, 0], yy
        x_name, y_name, xu, yu = "x", "y", "", ""
        data_name = name
        where = f"{xv.size} points of the noisy sine toy set"
    else:
        table, data_name = _load_table(data)
        xc, yc = _pick_xy_1d(table, data_name, x, y)
        xv, yv = table.column(xc), table.column(yc)
        x_name, y_name = xc, yc
        xu, yu = _units_of(data_name, xc), _units_of(data_name, yc)
        if data_name == "housing":
            credit = AMES_CREDIT
            where = f"{xv.size} house sales in Ames, Iowa"
        else:
            where = f"{xv.size} rows of {table.name}"

    std = ", both standardised (z-scores)," if scale == "standard" else ""
    if kind == "linreg":
        obj = LinearRegressionObjective(xv, yv, scale=scale, x_name=x_name, y_name=y_name,
                                        x_unit=xu, y_unit=yu, batch_size=batch_size, seed=seed)
        units = {"x": xu, "y": yu, **obj.param_units()}
        desc = (
            f"Fit the straight line {y_name} ≈ a·{x_name} + b to {where}{std} by minimising "
            f"the mean squared error J(a, b) = (1/n)·Σ(y − (a·x + b))²; the least-squares "
            f"solution is a = {obj.closed_form()[0]:.6g}, b = {obj.closed_form()[1]:.6g}, and "
            f"plain gradient descent is stable for learning rates below "
            f"2/λmax = {obj.max_stable_lr():.3g}."
        )
        starts = obj.default_start[None, :].copy()
        closed = obj.closed_form()
    else:
        obj = TypedModelObjective(text, xv, yv, loss=loss, huber_delta=huber_delta, scale=scale,
                                  x_name=x_name, y_name=y_name, x_unit=xu, y_unit=yu,
                                  batch_size=batch_size, seed=seed)
        units = {"x": xu, "y": yu}
        lname = {"mse": "mean squared error", "mae": "mean absolute error",
                 "huber": f"Huber loss (δ = {obj.huber_delta:g})"}[obj.loss]
        xdesc = "" if x_name == "x" else f" with x = {x_name}"
        desc = (
            f"Fit {y_name} ≈ {obj.model_text}{xdesc} to {where}{std} by minimising the "
            f"{lname} over the parameters {', '.join(obj.names)}."
        )
        starts = obj.default_start[None, :].copy()
        closed = obj.closed_form()
    return Problem(
        objective=obj, default_starts=starts, x_data=xv, y_data=yv, x_name=x_name,
        y_name=y_name, units=units, kind=kind, description=desc, closed_form=closed,
        task="regression", data_name=data_name, credit=credit, x_names=(x_name,),
    )


# -- networks ---------------------------------------------------------------------------
def _build_mlp(data, x, y, scale, hidden, activation, seed, batch_size, n_points, task,
               n_starts) -> Problem:
    from ..core.models.mlp import MLPObjective

    credit = ""
    if _is_toy(data):
        name = data.strip().lower()
        if x is not None or y is not None:
            raise DataError(f"the toy data set '{name}' has no columns to choose")
        X, yv, toy_task = make_toy(name, n_points, seed)
        task = task or toy_task
        x_names = tuple(f"x{i + 1}" for i in range(X.shape[1])) if X.shape[1] > 1 else ("x",)
        y_name = "class" if toy_task == "classification" else "y"
        data_name = name
        scale = scale or "none"
        where = f"the {X.shape[0]} points of the '{name}' toy set"
        xu = yu = ""
    else:
        table, data_name = _load_table(data)
        num = table.numeric_columns
        if y is None:
            if data_name == "housing":
                y = HOUSING_Y
            elif x is None and len(num) == 2:
                y = num[1]
            else:
                raise DataError(
                    f"choose the target column (y) of {table.name}; its numeric columns are: "
                    f"{', '.join(num)}"
                )
        y_name = table.resolve(y)
        if x is None:
            if data_name == "housing":
                names = [HOUSING_X]
            else:
                names = [c for c in num if c != y_name]
        else:
            names = [table.resolve(c) for c in _split_names(x)]
        if not names:
            raise DataError(f"{table.name} has no numeric column to use as input besides {y_name}")
        if y_name in names:
            raise DataError(f"the column '{y_name}' cannot be both an input and the target")
        X = select_columns(table, names)
        yv = table.column(y_name)
        x_names = tuple(names)
        scale = scale or "standard"
        if data_name == "housing":
            credit = AMES_CREDIT
            where = f"{X.shape[0]} house sales in Ames, Iowa"
        else:
            where = f"{X.shape[0]} rows of {table.name}"
        if task is None:
            task = "classification" if np.all((yv == 0) | (yv == 1)) else "regression"
        xu = _units_of(data_name, names[0]) if len(names) == 1 else ""
        yu = _units_of(data_name, y_name)
    obj = MLPObjective(X, yv, hidden=hidden, activation=activation, task=task,
                       batch_size=batch_size, seed=seed, scale=scale, x_names=x_names,
                       y_name=y_name)
    arch = "-".join(str(s) for s in obj.sizes)
    what = ("classifying" if obj.task == "classification" else "predicting")
    lossname = "binary cross-entropy" if obj.task == "classification" else "mean squared error"
    batch = (f", mini-batches of {obj.batch_size}" if obj.batch_size else ", full batch")
    std = ", inputs standardised" if obj.scale == "standard" else ""
    desc = (
        f"A {arch} {obj.activation} network ({obj.dim} weights) {what} {y_name} from "
        f"{', '.join(x_names)} on {where}{std}, minimising the {lossname}{batch}; gradients "
        f"by backpropagation."
    )
    n_starts = max(1, int(n_starts))
    return Problem(
        objective=obj, default_starts=obj.init_params(n_starts, seed), x_data=X,
        y_data=yv, x_name=",".join(x_names), y_name=y_name, units={"x": xu, "y": yu}, kind="mlp",
        description=desc, closed_form=None, task=obj.task, data_name=data_name, credit=credit,
        x_names=x_names,
    )

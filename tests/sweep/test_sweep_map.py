"""The convergence map's layout (Qt-free): which cells run which setting, the theory's
boundary, the hover text."""

import numpy as np
import pytest

from gdstudio.app.sweep import SweepError, run_spec
from gdstudio.app.sweep_map import cell_text, layout_map, theory_boundary
from gdstudio.core.presets import get_objective

ELONGATED = get_objective("elongated")
STARTS = np.array([[1.5, 1.0], [-2.0, 0.5]])


def _layout(x_axis="lr", x_values=(0.01, 0.05), y_axis="momentum", y_values=(0.5, 0.9),
            optimizer="momentum", obj=ELONGATED, hyper=None):
    return layout_map(obj, STARTS, obj.domain(), x_axis, list(x_values), y_axis, list(y_values),
                      optimizer, 0.02, hyper or {}, 300, 1e-6)


def test_every_cell_is_one_setting_with_the_studios_other_settings():
    L = _layout(hyper={"momentum": {"momentum": 0.3}})
    assert L.shape == (2, 2) and L.cells == [(0, 0), (0, 1), (1, 0), (1, 1)]
    s = L.spec.settings[2]
    assert (s.optimizer, s.lr, s.hyper_dict()) == ("momentum", 0.05, {"momentum": 0.5})
    # an axis that is not lr keeps the studio's rate; a hyper-parameter not swept keeps its value
    L = _layout(x_axis="beta1", x_values=(0.8, 0.9), y_axis="beta2", y_values=(0.99, 0.999),
                optimizer="adam", hyper={"adam": {"eps": 1e-6}})
    s = L.spec.settings[0]
    assert s.lr == 0.02 and s.hyper_dict() == {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}


def test_cells_whose_optimizer_does_not_take_the_axis_are_not_run():
    L = _layout(x_axis="optimizer", x_values=("gd", "momentum"), y_axis="momentum",
                y_values=(0.0, 0.9))
    assert L.cells == [(1, 0), (1, 1)]  # gd takes no momentum
    rows = run_spec(L.spec).rows
    runs = L.grid(rows, "runs")
    assert np.isnan(runs[0]).all() and runs[1].tolist() == [2.0, 2.0]
    assert cell_text(L, None, 0, 0).endswith("not run")
    assert "converged" in cell_text(L, rows[0], 1, 0)


@pytest.mark.parametrize("kwargs, words", [
    ({"y_axis": "lr"}, "two different axes"),
    ({"x_axis": "zeta"}, "unknown axis 'zeta'"),
    ({"x_axis": "optimizer", "x_values": ("gd", "sgdx")}, "unknown optimizer 'sgdx'"),
    ({"y_values": ()}, "the momentum axis has no values"),
    ({"y_values": (0.5, 1.5)}, "momentum"),
    ({"optimizer": "adam", "x_axis": "momentum", "x_values": (0.5,), "y_axis": "alpha",
      "y_values": (0.9,)}, "adam takes neither momentum nor alpha"),
])
def test_bad_layouts_are_one_sentence(kwargs, words):
    with pytest.raises(SweepError, match=words):
        _layout(**kwargs)


def test_theory_boundary_on_a_quadratic_only():
    L = _layout(x_values=(0.01, 0.1), y_values=(0.0, 0.9))
    pts = theory_boundary(ELONGATED, L, "momentum")
    assert pts.shape[1] == 2 and np.allclose(10 ** pts[:, 0], 2 * (1 + pts[:, 1]) / 25.0)
    assert theory_boundary(get_objective("rosenbrock"), _layout(obj=get_objective("rosenbrock")),
                           "momentum") is None
    assert theory_boundary(ELONGATED, _layout(optimizer="adam", y_axis="beta1"), "adam") is None

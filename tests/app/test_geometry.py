"""The one geometry module: contours on their level, arrows along the field, ticks."""

import numpy as np
import pytest

from gdstudio.app.geometry import (
    arrow_segments,
    choose_scale,
    compute_grid,
    contour_segments,
    format_value,
    nice_ticks,
)
from gdstudio.core.compiled import compile_function


def test_contours_lie_on_their_levels_and_skip_non_finite_cells():
    xs = ys = np.linspace(-1, 1, 81)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    Z = X**2 + Y**2
    seg, which = contour_segments(xs, ys, Z, [0.25, 0.5])
    r = np.hypot(seg[..., 0], seg[..., 1])
    assert np.abs(r[which == 0] - 0.5).max() < 2e-3 and np.abs(r[which == 1] - np.sqrt(0.5)).max() < 2e-3
    Z[X > 0] = np.nan
    seg, _ = contour_segments(xs, ys, Z, [0.25])
    assert np.isfinite(seg).all() and seg[..., 0].max() <= xs[41] + 1e-12


def test_a_saddle_cell_gives_two_segments():
    seg, _ = contour_segments([0, 1], [0, 1], np.array([[1.0, -1.0], [-1.0, 1.0]]), [0.0])
    assert seg.shape == (2, 2, 2)


def test_arrows_point_along_the_field():
    xy, strength = arrow_segments([0.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, -3.0], 0.5, min_frac=1.0)
    a = xy.reshape(2, 6, 2)
    shaft = a[:, 1] - a[:, 0]
    np.testing.assert_allclose(shaft, [[0.5, 0.0], [0.0, -0.5]], atol=1e-12)  # equal lengths
    assert strength.tolist() == pytest.approx([1 / 3, 1.0])


def test_grid_is_ij_ordered_and_log_scaled_for_rosenbrock():
    obj = compile_function("(1 - x)^2 + 100*(y - x^2)^2 + x")  # asymmetric in x and y
    g = compute_grid(obj, ((-2.0, 2.0), (-1.0, 3.0)), n=41, arrows=5)
    i, j = 7, 30
    assert g.Z[i, j] == pytest.approx(float(obj.value(np.array([[g.xs[i], g.ys[j]]]))[0]))
    assert g.scale.log and choose_scale(g.Z).log
    assert g.contours.ndim == 2 and g.contours.shape[1] == 2 and len(g.contours) % 2 == 0


def test_ticks_and_labels():
    assert nice_ticks(0, 2500).tolist() == [0, 500, 1000, 1500, 2000, 2500]
    assert format_value(0.000123) == "1.23e-4" and format_value(0.5) == "0.5" and format_value(0) == "0"

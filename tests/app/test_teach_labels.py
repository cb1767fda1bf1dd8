"""Honest labels without Qt: known points, found points against them, the state text, the
best value, the stable-rate suggestion, typed start points and snapping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.app.known_points import found_label, known_points, lowest_found, snap_point
from gdstudio.app.run_summary import stable_lr_suggestion, state_text, visible_step
from gdstudio.app.start_text import format_point, parse_point
from gdstudio.core.compiled import compile_function
from gdstudio.core.presets import PRESETS, get_objective
from gdstudio.core.status import CONVERGED, DIVERGED, RUNNING


def test_known_points_of_a_preset_and_none_for_a_typed_function():
    obj = get_objective("two_minima")
    known = known_points(obj)
    assert [k.group for k in known] == ["global", "local", "saddle"]
    assert known[0].point == (PRESETS["two_minima"].points[0].x, 0.0)
    assert known_points(obj, ((0.0, 2.0), (-1.0, 1.0)))[0].group == "local"  # the domain filters
    assert known_points(compile_function("x**2 + y**2")) == ()
    him = known_points(get_objective("himmelblau"))
    assert sum(k.group == "global" for k in him) == 4  # four equal minima, all global


def test_found_points_are_named_against_the_known_ones():
    r = descend("two_minima", [[1.6, 0.0], [-1.6, 0.0]], lr=0.02, steps=3000)
    by_x = sorted(r.critical_points, key=lambda c: c.point[0])
    assert [found_label(c) for c in by_x] == ["global minimum", "local minimum"]
    r = descend("two_minima", [[1.6, 0.0]], lr=0.02, steps=3000)
    (c,) = r.critical_points
    assert c.best and found_label(c) == "local minimum"  # lowest found, not the global minimum
    r = descend("(x**2 - 1)**2 + 0.3*x + y**2", [[1.6, 0.0]], lr=0.02, steps=3000)
    assert found_label(r.critical_points[0]) == "lowest minimum found"
    r = descend("himmelblau", [[2.5, 2.5], [-2.5, 2.5], [-3, -3], [3.5, -1.5]], lr=0.005, steps=4000)
    assert len(lowest_found(r.critical_points)) == 4  # equals, not one winner


def test_state_text_announces_divergence():
    assert state_text("done", np.array([CONVERGED, CONVERGED])) == "finished"
    assert state_text("done", np.array([DIVERGED])) == "diverged"
    status = np.array([DIVERGED] * 3 + [CONVERGED] * 7)
    assert state_text("done", status) == "3 of 10 runs diverged"
    assert state_text("running", np.array([DIVERGED, RUNNING])) == "running… · 1 of 2 diverged"
    assert state_text("idle", np.array([RUNNING])) == "ready"


def test_stable_rate_suggestion_uses_the_exact_hessian_at_the_start():
    obj = compile_function("x**2 + 3*y**2")  # λmax = 6 everywhere: 2/λmax = 1/3
    sug = stable_lr_suggestion(obj, np.array([[1.0, 1.0]]), np.array([DIVERGED]), 0.5)
    assert sug.limit == pytest.approx(1 / 3) and sug.lr == 0.3 and "2/λmax = 0.333" in sug.text
    r = descend(obj, [[1.0, 1.0]], lr=sug.lr, steps=2000)
    assert r.status == ["converged"]
    assert stable_lr_suggestion(obj, np.array([[1.0, 1.0]]), np.array([CONVERGED]), 0.5) is None
    # rosenbrock: the limit at the start, where the valley wall is steepest
    ros = get_objective("rosenbrock")
    sug = stable_lr_suggestion(ros, np.array([[-1.5, 2.0]]), np.array([DIVERGED]), 0.01)
    H = ros.hess(np.array([[-1.5, 2.0]]))[0]
    assert sug.limit == pytest.approx(2 / np.linalg.eigvalsh(H).max())
    # x² − y² from off the axis: λmax = 2 > 0 still gives a limit; −x² − y² has none
    assert stable_lr_suggestion(compile_function("-x**2 - y**2"), np.array([[1.0, 1.0]]),
                                np.array([DIVERGED]), 0.1) is None


def test_typed_points_parse_exactly_and_refuse_with_one_sentence():
    assert parse_point("1, 0") == (1.0, 0.0)
    assert parse_point("(−0.5; 2e-3)") == (-0.5, 0.002)
    assert parse_point(format_point(0.1, 1 / 3)) == (0.1, 1 / 3)
    for bad in ("1", "a, b", "1, 2, 3", "nan, 0"):
        with pytest.raises(ValueError):
            parse_point(bad)


def test_snap_goes_to_known_points_then_round_numbers():
    dom = ((-2.0, 2.0), (-2.0, 2.0))
    known = known_points(get_objective("saddle"))
    assert snap_point(0.05, -0.04, dom, known) == (0.0, 0.0)
    assert snap_point(1.013, 0.0123, dom, known) == (1.0, 0.0)
    assert snap_point(-0.61, 1.19, dom) == (-0.6, 1.2)
    x, y = snap_point(0.0001, -0.0001, ((-5, 5), (-5, 5)))
    assert (x, y) == (0.0, 0.0) and math.copysign(1, y) == 1.0  # never -0.0


def test_opening_a_file_without_starts_gives_the_default_start_as_load_does(tmp_path):
    from gdstudio.app.lessons import load_lesson
    from gdstudio.app.session import Session

    path = load_lesson("neural-net").path  # its session lists no start points
    opened = Session()
    opened.open(path, as_new=True)
    assert opened.path is None and not opened.modified
    assert np.array_equal(opened.starts, Session.load(path).starts) and opened.starts.shape == (1, 2)


def test_the_last_step_is_drawn_only_when_long_enough_to_see():
    dom = ((-2.0, 2.0), (-2.0, 2.0))
    long = (np.array([1.0, 0.0, 1.0]), np.array([0.6, 0.0, 0.36]))
    short = (np.array([1e-4, 0.0, 1e-8]), np.array([0.8e-4, 0.0, 0.6e-8]))
    assert visible_step(long, dom) is long and visible_step(short, dom) is None and visible_step(None, dom) is None

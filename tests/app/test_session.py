"""The session without Qt: its rules, undo/redo of every edit, runs equal to descend()."""

import sys

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.app import ModelSpec, Session
from gdstudio.core.expression import ExpressionError
from gdstudio.core.schedules import Schedule


HOSTILE_FUNCTIONS = [
    ("e**e**e**e**e**e", "too large"),
    ("exp(10**300)*x", "too large"),
    ("pi**pi**pi**pi", "too large"),
    ("log(x, 0)", "logarithm"),
    ("1" * 5000, "too large"),
    ("__import__('os').system('touch /tmp/gdstudio-owned')", "not allowed"),
    ("x" * 20_000, "too long"),
    ("(" * 500 + "x" + ")" * 500, "nested too deeply"),
]


def test_hostile_function_text_is_refused_quickly_and_leaves_the_session_untouched():
    import os
    import time

    s = Session()
    s.set_function("x**2 + y**2")
    state = s.state
    for text, fragment in HOSTILE_FUNCTIONS:
        start = time.perf_counter()
        with pytest.raises(ValueError, match=fragment):
            s.set_function(text)
        assert time.perf_counter() - start < 5.0
        assert s.state is state and not s.can_redo
    assert not os.path.exists("/tmp/gdstudio-owned")


def test_importing_the_session_loads_no_qt():
    import subprocess

    code = ("import sys, gdstudio.app; from gdstudio.app import Session; Session();"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'OpenGL')];"
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_a_new_session_has_one_start_inside_the_domain():
    s = Session()
    assert s.problem.text == "rosenbrock" and s.view.title == "Rosenbrock"
    (xa, xb), (ya, yb) = s.domain
    assert s.starts.shape == (1, 2) and xa <= s.starts[0, 0] <= xb and ya <= s.starts[0, 1] <= yb
    assert not s.can_undo and not s.modified


def test_run_returns_what_descend_returns():
    s = Session()
    s.set_function("x**2 + 3*y**2")
    s.set_starts([(1.0, 1.0), (-0.5, 2.0)])
    s.update_settings(optimizer="momentum", lr=0.05, max_steps=200, tol=1e-8, hyper={"momentum": {"momentum": 0.7}})
    r = s.run()
    ref = descend("x**2 + 3*y**2", [(1.0, 1.0), (-0.5, 2.0)], optimizer="momentum", lr=0.05, steps=200,
                  tol=1e-8, momentum=0.7, domain=s.domain)
    assert type(r) is type(ref)
    assert r.status == ref.status and r.steps == ref.steps
    for a, b in zip(r.trajectories, ref.trajectories):
        assert np.array_equal(a, b)
    assert r.config.hyper == {"momentum": {"momentum": 0.7}} and r.config.lr == 0.05
    assert [c.kind for c in r.critical_points] == ["minimum"]


def test_compare_optimizers_and_learning_rates_expand_the_runs():
    s = Session()
    s.set_starts([(1.0, 1.0), (0.0, 2.0)])
    s.set_compare(optimizers=["gd", "adam"], lrs=[0.001, 0.002])
    specs = s.run_specs()
    assert len(specs) == 8
    assert [(sp.start, sp.optimizer, sp.lr) for sp in specs[:4]] == [
        (0, "gd", 0.001), (0, "gd", 0.002), (0, "adam", 0.001), (0, "adam", 0.002)]
    assert specs[3].label == "adam lr 0.002"
    r = s.run(record=False)
    assert len(r) == 8
    one = descend(s.objective, [(0.0, 2.0)], optimizer="adam", lr=0.002, steps=1000, tol=1e-6, domain=s.domain)
    assert np.array_equal(r.final_points[7], one.final_points[0])


def test_bad_function_text_leaves_the_session_untouched():
    s = Session()
    before = s.state
    with pytest.raises(ExpressionError) as err:
        s.set_function("x**2 + z")
    assert err.value.column is not None
    assert s.state == before and not s.can_undo


def test_bad_settings_are_refused_with_one_sentence():
    s = Session()
    with pytest.raises(ValueError, match="invalid learning rate"):
        s.set_lr(-1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        s.set_optimizer("sgdx")
    with pytest.raises(ValueError, match="momentum"):
        s.set_hyper("momentum", momentum=1.5)
    assert not s.can_undo


def test_a_preset_brings_its_domain_and_the_text_is_what_is_applied():
    s = Session()
    s.set_preset("himmelblau")
    assert s.problem.text == "himmelblau" and s.problem.preset == "himmelblau"
    assert s.domain == s.view.domain and s.view.title == "Himmelblau"
    s.set_function("x**2 + y**2")
    assert s.problem.preset is None and s.view.description == "f(x, y) = x**2 + y**2"
    assert s.domain == ((-5.0, 5.0), (-5.0, 5.0))  # typing a function keeps the view
    s.undo()
    assert s.problem.text == "himmelblau" and s.state.domain is None


EDITS = [
    ("function", lambda s: s.set_function("x**2 + y**2")),
    ("preset", lambda s: s.set_preset("booth")),
    ("domain", lambda s: s.set_domain(((-1, 1), (-2, 2)))),
    ("add start", lambda s: s.add_start(0.5, 0.5)),
    ("remove start", lambda s: (s.add_start(0.5, 0.5), s.remove_start(0))),
    ("move start", lambda s: s.move_start(0, 0.25, 0.75)),
    ("random starts", lambda s: s.random_starts(12, "sobol", 3)),
    ("clear starts", lambda s: (s.random_starts(5), s.clear_starts())),
    ("optimizer", lambda s: s.set_optimizer("adam")),
    ("learning rate", lambda s: s.set_lr(0.2)),
    ("hyper", lambda s: s.set_hyper("adam", beta1=0.8)),
    ("schedule", lambda s: s.set_schedule(Schedule("exponential", gamma=0.9))),
    ("steps", lambda s: s.set_max_steps(50)),
    ("tol", lambda s: s.set_tol(1e-3)),
    ("compare", lambda s: s.set_compare(optimizers=["gd", "rmsprop"], lrs=[0.1])),
    ("compare coordinates", lambda s: s.set_compare(coordinates=["cartesian", "polar:naive"])),
]


@pytest.mark.parametrize("name, edit", EDITS, ids=[e[0] for e in EDITS])
def test_every_edit_undoes_and_redoes(name, edit):
    s = Session()
    start = s.state
    edit(s)
    after = s.state
    assert s.can_undo
    s.undo()
    assert s.state != after  # the last edit changed something
    s.redo()
    assert s.state == after
    while s.can_undo:
        s.undo()
    assert s.state == start
    while s.can_redo:
        s.redo()
    assert s.state == after


def test_model_choices_undo_and_redo():
    s = Session()
    s.set_model(ModelSpec("a*x**2 + b*x + c", "sine", pair=(0, 1)))
    assert s.view.kind == "typed-slice" and s.view.names == ("a", "b")
    s.set_model_pair(1, 2)
    assert s.view.names == ("b", "c")
    s.undo()
    assert s.view.names == ("a", "b")
    s.undo()
    assert s.problem.text == "rosenbrock" and s.view.kind == "function"
    s.redo()
    s.redo()
    assert s.view.names == ("b", "c")


def test_a_drag_is_one_undo_step():
    s = Session()
    s.set_starts([(0.0, 0.0), (1.0, 1.0)])
    moves = []
    s.sig_starts_changed.connect(lambda P: moves.append(P[1].tolist()))
    s.begin_drag(1)
    for k in range(1, 11):
        s.drag(1, 1.0 + 0.1 * k, 1.0)
    s.end_drag(1, 2.5, 1.5)
    assert moves[-1] == [2.5, 1.5] and len(moves) == 11  # the views follow every move
    assert s.undo_text == "Move start"
    s.undo()
    assert s.starts[1].tolist() == [1.0, 1.0]
    assert s.undo_text == "Set starts"
    s.redo()
    assert s.starts[1].tolist() == [2.5, 1.5]


def test_a_slider_gesture_is_one_undo_step():
    s = Session()
    s.begin_gesture("Learning rate")
    for v in (0.02, 0.03, 0.04):
        s.set_lr(v)
    s.end_gesture()
    s.undo()
    assert s.settings.lr == 0.01 and not s.can_undo


def test_a_new_edit_clears_redo():
    s = Session()
    s.set_lr(0.2)
    s.undo()
    assert s.can_redo
    s.set_lr(0.3)
    assert not s.can_redo


def test_events_follow_edits_undo_and_redo():
    s = Session()
    seen = []
    s.sig_problem_changed.connect(lambda v: seen.append(("problem", v.title)))
    s.sig_settings_changed.connect(lambda st: seen.append(("settings", st.lr)))
    s.sig_runs_changed.connect(lambda specs: seen.append(("runs", len(specs))))
    s.set_preset("booth")
    s.set_lr(0.5)
    s.undo()
    assert seen[0] == ("problem", "Booth") and ("settings", 0.5) in seen and seen[-2:] == [("settings", 0.05), ("runs", 1)]  # booth's recommended rate


def test_random_starts_are_redrawn_in_a_new_domain():
    s = Session()
    s.random_starts(20, "uniform", 4)
    assert s.basin_mode and s.starts.shape == (20, 2)
    s.set_domain(((10, 11), (10, 11)))
    P = s.starts
    assert P.shape == (20, 2) and P.min() >= 10 and P.max() <= 11


def test_view_settings_are_not_undo_steps():
    s = Session()
    s.set_view(arrows=False, log_height=True)
    assert not s.can_undo and s.view_settings.arrows is False
    s.set_lr(0.3)
    s.undo()
    assert s.view_settings.arrows is False  # undo does not bring back an old view


def test_critical_points_use_the_api_rule():
    s = Session()
    s.set_function("x**4 - 2*x**2 + y**2")
    s.set_starts([(0.5, 0.5), (-0.5, -0.5), (0.0, 1.0)])
    s.update_settings(lr=0.05, max_steps=3000, tol=1e-9)
    r = s.run()
    a = s.analyse(np.array([{"converged": 1, "diverged": 2, "max_steps": 3}[x] for x in r.status]),
                  r.final_points, r.final_grads, r.values)
    assert [(c.kind, len(c.runs)) for c in a.points] == [(c.kind, len(c.runs)) for c in r.critical_points]
    assert a.kind_of(0) == "minimum" and a.kind_of(2) == "saddle"


def test_selection_is_not_an_edit_and_follows_the_runs():
    s = Session()
    s.set_starts([(0.0, 0.0), (1.0, 1.0)])
    got = []
    s.sig_selection_changed.connect(got.append)
    s.select_run(1)
    assert s.selected == 1 and got == [1] and s.undo_text == "Set starts"
    s.remove_start(1)
    assert s.selected == -1 and got == [1, -1]


def test_compared_optimizers_record_each_ones_hyper_parameters_once():
    s = Session()
    s.set_compare(optimizers=["momentum", "adam"])
    s.set_hyper("adam", beta1=0.8)
    c = s.run(record=False).config
    assert c.optimizer == ("momentum", "adam")
    assert c.hyper == {"momentum": {"momentum": 0.9}, "adam": {"beta1": 0.8, "beta2": 0.999, "eps": 1e-8}}


def test_new_forgets_the_document_its_history_and_its_file(tmp_path):
    s = Session()
    s.set_function("x**2 + 3*y**2")
    s.add_start(1.0, 1.0)
    s.save(tmp_path / "a.gdsession")
    paths = []
    s.sig_path_changed.connect(paths.append)
    s.new()
    assert s.path is None and paths == [None]
    assert not s.can_undo and not s.can_redo and not s.modified
    fresh = Session()
    assert s.problem == fresh.problem
    np.testing.assert_array_equal(s.starts, fresh.starts)


def test_a_view_built_elsewhere_is_used_as_given():
    from gdstudio.app.problem_views import function_view

    s = Session()
    view = function_view("x**2 + y**2", ((-2, 2), (-1, 1)))
    s.set_function("x**2 + y**2", ((-2, 2), (-1, 1)), view=view)
    assert s.view is view and s.can_undo
    s.undo()
    assert s.view is not view


def test_the_windows_batch_makes_the_sessions_runs():
    """app.batches.batch_spec (what the window's runtime descends) gives the runs Session.run()
    gives, compared optimizers and rates included, in Cartesian and polar coordinates."""
    from gdstudio.app.batches import batch_spec, make_batch

    s = Session()
    s.set_function("x**2 + 3*y**2 + x*y")
    s.set_starts([(1.0, 1.0), (-0.5, 2.0)])
    s.update_settings(max_steps=150, hyper={"adam": {"beta1": 0.8}})
    s.set_compare(optimizers=["gd", "adam"], lrs=[0.01, 0.03])
    for coordinates in ("cartesian", "polar"):
        s.update_settings(coordinates=coordinates)
        spec = batch_spec(s.objective, s.domain, s.starts, s.run_specs(), s.settings)
        assert spec["use_fused"] is False and (spec.get("coordinates", "cartesian") == coordinates)
        assert list(spec["optimizer"]) == ["gd", "gd", "adam", "adam"] * 2
        np.testing.assert_array_equal(spec["lr"], [0.01, 0.03] * 4)
        batch = make_batch(spec)
        while not batch.done:
            batch.advance(50)
        ref = s.run(record=False)
        np.testing.assert_array_equal(batch.points, ref.final_points)
        assert list(batch.steps) == list(ref.steps)
def test_compared_coordinate_systems_expand_the_runs_and_are_saved(tmp_path):
    s = Session()
    s.set_compare(coordinates=["cartesian", "polar:metric", "polar:naive"])
    assert [(sp.system, sp.label) for sp in s.run_specs()] == [
        ("cartesian", "Cartesian"), ("polar:metric", "polar, metric"), ("polar:naive", "polar, naive")]
    assert s.descent_config().coordinates == ("cartesian", "polar:metric", "polar:naive")
    s.save(tmp_path / "c.gdsession")
    assert Session.load(tmp_path / "c.gdsession").settings.compare_coordinates == s.settings.compare_coordinates
    with pytest.raises(ValueError, match="unknown coordinate system"):
        s.set_compare(coordinates=["spherical"])

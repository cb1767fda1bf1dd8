"""The lessons: session files in the package's resources, each with its narrative, opened
through the same code as any session, and each headless run showing its claim."""

import json

import numpy as np
import pytest

from gdstudio.app.lessons import ACTIONS, LessonError, all_lessons, apply_step, find_step, load_lesson, open_lesson
from gdstudio.cli import main

NAMES = ["steepest-descent", "housing-line", "mse-surface", "learning-rate", "two-minima", "worse-minimum",
         "side-view", "saddle", "multi-start", "neural-net", "curse-of-dimensionality", "coordinates",
         "optimizers"]


def test_the_thirteen_lessons_in_the_order_of_the_path():
    assert [x.name for x in all_lessons()][: len(NAMES)] == NAMES
    for x in all_lessons():
        assert x.title and len(x.paragraphs) >= 2 and x.claim and x.steps, x.name
        assert x.path.parent.name == "lessons" and x.path.suffix == ".json"
        for step in x.steps:
            assert step.label and all(a["action"] in ACTIONS for a in step.actions)


def test_gdstudio_lessons_lists_name_and_title(capsys):
    assert main(["lessons"]) == 0
    out = capsys.readouterr().out
    for x in all_lessons():
        assert f"{x.name}" in out and x.title in out


def test_a_lesson_is_an_ordinary_session_file(tmp_path):
    from gdstudio.app.session import Session

    lesson = load_lesson("saddle")
    data = json.loads(lesson.path.read_text(encoding="utf-8"))
    assert data["format"] == "gdstudio-session" and data["version"] == 1
    s = Session.load(lesson.path)  # the same loader as File → Open
    assert s.problem.text == "saddle" and s.starts.tolist() == [[1.0, 0.0]]
    # saved and reopened it is the same session (the narrative belongs to the lesson file)
    s.save(tmp_path / "mine.json")
    assert Session.load(tmp_path / "mine.json").starts.tolist() == [[1.0, 0.0]]


def test_unknown_lessons_get_one_sentence(capsys):
    with pytest.raises(LessonError, match="there is no lesson 'nope'; the lessons are: coordinates"):
        load_lesson("nope")
    assert main(["run", "--lesson", "nope"]) == 2
    assert "there is no lesson 'nope'" in capsys.readouterr().err
    assert main(["run", "--lesson", "saddle", "--session", "x.json"]) == 2


@pytest.mark.parametrize("name", NAMES)
def test_every_try_this_step_applies_to_a_fresh_session(name):
    lesson, session = open_lesson(name)
    for step in lesson.steps:
        before = session.state
        apply_step(session, step)
        assert session.state != before or not [a for a in step.actions if a["action"] != "run"], step.label
        assert session.can_undo


@pytest.mark.parametrize("name", NAMES)
def test_every_lesson_as_opened_starts_and_stays_on_its_map(name):
    """Opened and run, a lesson's paths start inside the map and never leave it (only the
    learning-rate lesson has a run that diverges, on purpose). The line-fit bowl started off
    the map, and the network's slice was left behind after 40 of its 500 steps."""
    lesson, session = open_lesson(name)
    r = session.run()
    (xa, xb), (ya, yb) = session.domain
    for k, T in enumerate(r.trajectories):
        if name == "learning-rate" and str(r.status[k]) == "diverged":
            continue
        P = np.asarray(T)[:, :2]
        assert np.isfinite(P).all(), (name, k)
        inside = (P[:, 0] >= xa) & (P[:, 0] <= xb) & (P[:, 1] >= ya) & (P[:, 1] <= yb)
        assert inside.all(), (name, k, P[~inside][0])


def _run_json(capsys, name, *extra):
    assert main(["run", "--lesson", name, "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_worse_minimum_ends_at_the_local_minimum_reported_not_global(capsys):
    out = _run_json(capsys, "worse-minimum")
    (run,) = out["runs"]
    assert run["status"] == "converged" and run["end"][0] == pytest.approx(0.9601495555, abs=1e-5)
    (cp,) = out["critical_points"]
    assert cp["kind"] == "minimum" and cp["global"] is False
    # the lesson's other start finds the global one
    lesson, session = open_lesson("worse-minimum")
    apply_step(session, find_step(lesson, "Start on the other side"))
    (c,) = session.run(record=False).critical_points
    assert c.global_minimum is True and c.point[0] == pytest.approx(-1.0355787, abs=1e-5)


def test_saddle_ends_on_the_saddle_classified_saddle_and_a_nudge_escapes(capsys):
    out = _run_json(capsys, "saddle")
    (run,) = out["runs"]
    assert run["status"] == "converged" and run["critical"] == "saddle"
    assert np.linalg.norm(run["end"]) < 1e-5
    assert out["critical_points"][0]["kind"] == "saddle" and out["critical_points"][0]["global"] is False
    lesson, session = open_lesson("saddle")
    apply_step(session, find_step(lesson, "Nudge the start"))
    r = session.run(record=False)
    assert r.status != ["converged"] and abs(r.final_points[0, 1]) > 1


def test_learning_rate_crawls_converges_and_diverges(capsys):
    out = _run_json(capsys, "learning-rate")
    by_lr = {r: run["status"] for r, run in zip([0.005, 0.075, 0.085], out["runs"])}
    assert by_lr == {0.005: "max_steps", 0.075: "converged", 0.085: "diverged"}
    assert out["lr"] == [0.005, 0.075, 0.085]


def test_coordinates_metric_path_tracks_the_cartesian_one_and_the_naive_departs():
    lesson, session = open_lesson("coordinates")  # all three side by side from one start
    assert session.settings.compare_coordinates == ("cartesian", "polar:metric", "polar:naive")
    assert [sp.system for sp in session.run_specs()] == list(session.settings.compare_coordinates)
    both = session.run()
    T, M, V = both.trajectories
    lr = session.settings.lr
    # one system at a time (the lesson's buttons) gives the same paths
    for label, path in (("Naive polar update", V), ("Metric polar update", M), ("Cartesian", T)):
        apply_step(session, find_step(lesson, label))
        assert len(session.run_specs()) == 1
        np.testing.assert_allclose(session.run().trajectories[0], path, rtol=0, atol=1e-12)
    cart = session.run()
    steps = np.arange(len(T))
    g = np.linalg.norm(cart.trajectory_grads[0], axis=1).max()
    r = np.linalg.norm(T, axis=1).min()
    # within a small multiple of lr² per step (the chart's curvature ‖∇f‖²/r bounds the multiple)
    assert np.all(np.linalg.norm(M - T, axis=1) <= 1.5 * lr**2 * g**2 / r * steps + 1e-12)
    assert np.linalg.norm(M - T, axis=1).max() < 0.05
    assert np.linalg.norm(V - T, axis=1).max() > 1.0


def test_the_other_lessons_show_their_claims(capsys):
    # steepest descent reaches Booth's minimum from its random start
    out = _run_json(capsys, "steepest-descent")
    assert out["runs"][0]["status"] == "converged"
    assert np.allclose(out["runs"][0]["end"], (1, 3), atol=1e-5)
    # two minima: both found, the deeper one global, the other not
    out = _run_json(capsys, "two-minima")
    assert [c["global"] for c in out["critical_points"]] == [True, False]
    # side view: one step from (1, 0) lowers f from 1 to 0.36
    out = _run_json(capsys, "side-view")
    assert out["runs"][0]["steps"] == 1 and out["runs"][0]["value"] == pytest.approx(0.36)
    # optimizers: all three arrive, momentum in fewer steps than gd
    out = _run_json(capsys, "optimizers")
    steps = {o: run["steps"] for o, run in zip(out["optimizer"], out["runs"])}
    assert all(run["status"] == "converged" for run in out["runs"])
    assert steps["momentum"] < steps["gd"]
    # multi-start: 64 Sobol starts find both global minima of the camel
    lesson, session = open_lesson("multi-start")
    r = session.run(record=False)
    assert sum(1 for c in r.critical_points if c.global_minimum) == 2
    assert sum(1 for c in r.critical_points if c.kind == "minimum") == 6


def test_the_line_fit_lessons_reach_the_least_squares_line():
    for name in ("housing-line", "mse-surface"):
        lesson, session = open_lesson(name)
        r = session.run(record=False)
        assert r.status == ["converged"]
        (c,) = r.critical_points
        assert c.kind == "minimum"
        # on standardised data the least-squares line passes through (0, 0) with slope = correlation
        assert abs(r.final_points[0, 1]) < 1e-5 and 0 < r.final_points[0, 0] < 1


def test_the_network_lesson_lowers_the_loss():
    from gdstudio import descend

    lesson, session = open_lesson("neural-net")
    r = session.run()  # the slice over two weights the map shows
    assert r.trajectory_values[0][-1] < 0.9 * r.trajectory_values[0][0]
    problem = session.problem.build_problem()  # the whole network, all 105 weights
    assert problem.objective.dim == 105
    s = session.settings
    full = descend(problem.objective, problem.default_starts, optimizer=s.optimizer, lr=s.lr,
                   steps=s.max_steps, tol=s.tol, record=False)
    start = problem.objective.value(problem.default_starts)[0]
    assert start > 0.8 and full.values[0] < 0.01


def test_the_curse_of_dimensionality_lesson_descends_in_few_steps():
    from gdstudio.core.bruteforce import dimension_sweep

    lesson, session = open_lesson("curse-of-dimensionality")
    r = session.run(record=False)
    assert r.status == ["converged"] and r.steps[0] < 100
    rows = dimension_sweep(dims=(1, 2, 4))
    assert rows[-1].grid_evaluations > 100 * rows[0].grid_evaluations  # kᵈ explodes
    assert max(row.gd_steps for row in rows) <= 3 * min(row.gd_steps for row in rows)  # steps stay flat

"""The studio's runtime without Qt (app/runtime.py driven by app/inline_stepper.py): what a
person does in the window (type a function, click a start, drag it, Run, Step, change the rate
while runs run, export) and what they must see, checked with plain pytest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.app.chunks import ChunkMessage
from gdstudio.app.inline_stepper import headless_runtime
from gdstudio.app.run_store import RunStore
from gdstudio.core.runner import BatchDescent
from gdstudio.core.status import CONVERGED, DIVERGED, RUNNING
from gdstudio.io.trajectories import read_trajectories_csv, sidecar_path

HIMMELBLAU_MINIMA = np.array([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]])


def _runtime(text="himmelblau", **settings):
    rt = headless_runtime()
    seen = {"frame": [], "state_changed": [], "message": [], "expression_error": []}
    for name, got in seen.items():
        rt.events[name].connect(lambda *a, got=got: got.append(a[0] if len(a) == 1 else a))
    assert rt.set_function_text(text)
    if settings:
        rt.update_settings(**settings)
    return rt, seen


def test_a_click_draws_its_whole_path_at_once_without_run():
    rt, seen = _runtime(max_steps=400, lr=0.01)
    rt.clear_starts()
    rt.add_start(1.0, 1.0)
    assert rt.state == "idle"  # nothing was run
    path = rt.store.path(0)
    assert np.array_equal(path[0, :2], [1.0, 1.0])
    assert path.shape[0] > 10 and np.all(np.diff(path[:, 2]) <= 1e-12)  # downhill all the way
    ref = descend(rt.problem.objective, [[1.0, 1.0]], "gd", 0.01, steps=400, tol=rt.settings.tol)
    assert np.allclose(rt.store.pos[0], ref.final_points[0])
    rt.tick()
    frame = seen["frame"][-1]
    assert frame.n_runs == 1 and frame.selected == 0
    assert np.allclose(frame.paths[0][-1, :2], ref.final_points[0])


def test_run_reaches_every_minimum_and_classifies_them_as_the_api_does():
    rt, seen = _runtime(lr=0.01, max_steps=3000)
    rt.set_starts(HIMMELBLAU_MINIMA + 0.4)
    rt.run()
    assert rt.state == "done" and seen["state_changed"][-1] == "done"
    assert np.all(rt.store.status == CONVERGED)
    assert np.allclose(rt.store.pos, HIMMELBLAU_MINIMA, atol=1e-3)
    assert sorted(cp.kind for cp in rt.critical) == ["minimum"] * 4
    api = descend(rt.problem.objective, HIMMELBLAU_MINIMA + 0.4, "gd", 0.01, steps=3000, tol=rt.settings.tol)
    assert np.allclose(rt.store.pos, api.final_points)
    assert [rt.run_kind(r) for r in range(4)] == ["minimum"] * 4


def test_a_too_high_learning_rate_diverges_and_is_reported_as_such():
    rt, _ = _runtime(lr=0.5, max_steps=200)
    rt.set_starts([[1.0, 1.0]])
    rt.run()
    assert rt.state == "done"
    assert int(rt.store.status[0]) == DIVERGED
    assert rt.run_kind(0) == "none"


def test_the_sidecar_records_the_rate_set_before_the_first_run(tmp_path):
    """Setting the learning rate before pressing Run used to leave the old rate in the export's
    sidecar: it could not reproduce the run."""
    rt, _ = _runtime(max_steps=150)
    rt.set_starts([[1.0, 1.0], [-1.0, 0.5]])
    rt.update_settings(lr=0.005)
    rt.run()
    out = tmp_path / "runs.csv"
    rt.export_trajectories(out)
    meta = json.loads(sidecar_path(out).read_text())
    assert [r["lr"] for r in meta["runs"]] == [0.005, 0.005]
    _, rows = read_trajectories_csv(out)
    ref = descend(rt.problem.objective, [[1.0, 1.0], [-1.0, 0.5]], "gd", 0.005, steps=150, tol=rt.settings.tol)
    run0 = rows[rows[:, 0] == 0]
    assert np.allclose(run0[:, 2:4], ref.trajectories[0])


def _stepped_with_a_live_change(full_budget):
    rt, _ = _runtime(lr=0.002, max_steps=300, tol=0.0)
    rt.store = RunStore(full_budget=full_budget)
    rt.set_starts([[1.0, 1.0], [-1.0, 0.5], [0.0, -2.0]])
    rt.step(40)
    assert rt.state == "paused" and int(rt.store.batch_step) == 40
    rt.update_settings(lr=0.02)  # a live change of the paused batch: the next steps use it
    rt.run()
    assert rt.state == "done"
    return rt


def test_a_live_rate_change_is_recorded_and_an_export_replays_it_exactly(tmp_path):
    kept = _stepped_with_a_live_change(200 * 2**20)
    replayed = _stepped_with_a_live_change(1)  # the chunks are dropped: export replays
    assert kept.store.full_complete and not replayed.store.full_complete
    a, b = tmp_path / "kept.csv", tmp_path / "replayed.csv"
    kept.export_trajectories(a)
    replayed.export_trajectories(b)
    meta = json.loads(sidecar_path(b).read_text())
    assert meta["live_changes"] == [{"step": 40, "name": "lr", "value": 0.02}]
    assert meta["source_of_batch_rows"] == "deterministic replay"
    ha, ra = read_trajectories_csv(a)
    hb, rb = read_trajectories_csv(b)
    assert ha == hb and np.array_equal(ra, rb)
    # and the rate did change at step 40: the 41st step of plain GD is ~10 times the 40th
    run0 = ra[ra[:, 0] == 0]
    xy = run0[:, 2:4]
    assert np.array_equal(run0[:, 1], np.arange(301))
    step = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    assert 8 < step[40] / step[39] < 12


def test_a_late_chunk_of_a_cancelled_job_changes_nothing():
    rt, _ = _runtime(lr=0.01, max_steps=100)
    rt.set_starts([[1.0, 1.0]])
    rt.step(5)
    old = rt.generation
    stale = ChunkMessage(old, (), 0.0, 5, False)
    rt.reset()  # a new generation: back at the starts
    before = rt.store.version
    rt.on_chunk(stale)
    rt.on_finished(old)
    assert rt.store.version == before and rt.state == "idle"
    assert int(rt.store.steps[0]) == 0


def test_a_frame_is_a_snapshot_clearing_the_starts_later_leaves_it_whole():
    rt, seen = _runtime(lr=0.01, max_steps=50)
    rt.random_starts(30, "sobol", 0, run=True)
    rt.tick()
    frame = seen["frame"][-1]
    paths = [p.copy() for p in frame.paths]
    rt.clear_starts()
    assert frame.n_runs == 30 and len(frame.paths) == len(paths)
    assert all(np.array_equal(p, q) for p, q in zip(frame.paths, paths))
    with pytest.raises(ValueError):
        frame.positions[0, 0] = 1.0  # read-only


def test_dragging_a_start_recomputes_its_runs_and_the_release_continues_long_ones():
    rt, seen = _runtime(lr=0.001, max_steps=5000, tol=0.0)
    rt.clear_starts()
    rt.add_start(0.0, 0.0)
    for x in np.linspace(0.0, 2.0, 5):
        rt.drag_start(0, x, 1.0)
        assert np.array_equal(rt.store.path(0)[0, :2], [x, 1.0])
    before = rt.drag_computations
    rt.finish_drag(0, 2.5, 1.5)
    assert rt.drag_computations == before + 1
    assert np.array_equal(rt.starts[0], [2.5, 1.5])
    # 5,000 steps exceed what a drag computes at once: the runs continued, here to the end
    assert rt.state == "done" and int(rt.store.steps[0]) == 5000
    assert any("continue" in m[0] for m in seen["message"])


def test_a_wrong_function_keeps_the_previous_problem_and_says_where():
    rt, seen = _runtime()
    before = rt.problem
    assert not rt.set_function_text("x**2 + (y")
    assert rt.problem is before
    err = seen["expression_error"][-1]
    assert err.column == 8 and "column 8" in str(err)  # the "(" that is never closed


def test_pause_state_and_steps_follow_the_commands():
    rt, seen = _runtime(lr=0.01, max_steps=1000, tol=0.0)
    rt.set_starts([[1.0, 1.0], [2.0, -1.0]])
    rt.step(3)
    assert rt.state == "paused" and list(rt.store.steps) == [3, 3]
    assert np.all(rt.store.status == RUNNING)
    rt.step(7)
    assert list(rt.store.steps) == [10, 10]
    rt.run()
    assert rt.state == "done" and list(rt.store.steps) == [1000, 1000]
    assert seen["state_changed"] == ["paused", "running", "done"]


def _many_runs_stepped(full_budget, runs=300):
    rt, _ = _runtime(optimizer="adam", lr=0.01, max_steps=600, tol=0.0)
    rt.store = RunStore(full_budget=full_budget)
    rt.random_starts(runs, "uniform", 3, run=True)
    assert rt.state == "done" and int(rt.store.batch_step) == 600
    return rt


def test_a_big_batch_switches_to_the_fused_kernel_and_an_export_replays_the_switch_exactly(tmp_path, monkeypatch):
    """A batch of 256 runs or more steps on numpy first, then on the compiled kernel once it is
    ready (here after the first block of 256 steps). The kernel rounds differently from numpy,
    so the switch is recorded like a live change: an export replayed from the settings makes
    the same switch at the same step and writes the same numbers as the kept chunks."""
    pytest.importorskip("numba")
    monkeypatch.setenv("GDSTUDIO_CACHE", str(tmp_path / "kernels"))
    # (on some machines numpy and the kernel round alike: the switch itself is watched too)
    switched_at = []
    adopt = BatchDescent.adopt_kernel
    monkeypatch.setattr(BatchDescent, "adopt_kernel", lambda b, k: (switched_at.append(b.step), adopt(b, k))[1])
    kept = _many_runs_stepped(200 * 2**20)
    replayed = _many_runs_stepped(1)
    assert kept.stats()["fused_from"] == 256 and replayed.stats()["fused_from"] == 256
    assert kept.store.full_complete and not replayed.store.full_complete
    a, b = tmp_path / "kept.csv", tmp_path / "replayed.csv"
    kept.export_trajectories(a)
    replayed.export_trajectories(b)
    meta = json.loads(sidecar_path(b).read_text())
    assert meta["live_changes"] == [{"step": 256, "name": "engine", "value": "fused"}]
    ha, ra = read_trajectories_csv(a)
    hb, rb = read_trajectories_csv(b)
    assert ha == hb and np.array_equal(ra, rb)
    assert switched_at == [256, 256, 256]  # the two runs, then the replay of the export
    # the kernel's steps are the optimizer's: they agree with numpy's to rounding
    ref = descend(kept.problem.objective, kept.store.starts, "adam", 0.01, steps=600, tol=0.0)
    run7 = ra[ra[:, 0] == 7]
    np.testing.assert_allclose(run7[:, 2:4], ref.trajectories[7], rtol=1e-9, atol=1e-9)


def test_a_small_batch_stays_on_numpy():
    rt = _many_runs_stepped(200 * 2**20, runs=40)
    assert rt.stats()["fused_from"] is None

"""Frames are immutable snapshots; an export replays exactly the configured runs."""

import json

import numpy as np
import pytest

from gdstudio.app import Session
from gdstudio.app.export import export_replay
from gdstudio.app.frames import MAX_DRAWN_RUNS, build_frame
from gdstudio.app.run_store import RunStore
from gdstudio.core.runner import BatchDescent
from gdstudio.io.trajectories import ExportError, read_trajectories_csv


def _store_for(session: Session, steps: int = 0) -> RunStore:
    store = RunStore()
    P = session.run_starts()
    f, G = session.objective.value_and_grad(P)
    store.reset(P, f, G)
    if steps:
        batch = BatchDescent(session.objective, **session.descent_config().batch_kwargs())
        store.begin_batch(len(P), batch.values.copy(), batch.grads.copy())
        store.ingest(batch.advance(steps))
    return store


def test_a_frame_is_a_snapshot_with_no_back_reference():
    s = Session()
    s.set_function("x^2 + 3*y^2")
    s.set_starts([(1.0, 1.0), (-1.0, 0.5), (0.5, -2.0)])
    s.select_run(2)
    store = _store_for(s, steps=20)
    frame = build_frame(s, store)
    starts, pos = frame.starts.copy(), frame.positions.copy()
    s.clear_starts()  # what raised IndexError when a frame read the live controller
    store.reset(np.zeros((1, 2)), np.zeros(1), np.zeros((1, 2)))
    assert np.array_equal(frame.starts, starts) and np.array_equal(frame.positions, pos)
    assert frame.n_runs == 3 and frame.selected == 2 and len(frame.paths) == 3
    with pytest.raises(ValueError):
        frame.positions[0, 0] = 1.0  # read-only
    assert not any(v is s or v is store for v in vars(frame).values())


def test_colours_follow_the_comparison_and_the_drawn_runs_are_bounded():
    s = Session()
    s.random_starts(40, "sobol", 1)
    s.set_compare(optimizers=["gd", "adam"])
    frame = build_frame(s, _store_for(s), parts=())
    assert frame.n_runs == 80 and len(frame.path_runs) == MAX_DRAWN_RUNS and frame.paths is None
    assert [lab for lab, _ in frame.legend] == ["gd", "adam"]
    assert tuple(frame.run_colors[0]) != tuple(frame.run_colors[1])  # gd vs adam from one start


def test_export_replay_writes_the_settings_the_runs_used(tmp_path):
    s = Session()
    s.set_function("x^2 + 3*y^2")
    s.set_starts([(1.0, 1.0), (-1.0, 0.5)])
    s.set_lr(0.05)  # changed before the first run: the sidecar must say 0.05
    config = s.descent_config().with_live_change(30, "lr", 0.01)
    path = tmp_path / "runs.csv"
    rows = export_replay(path, s.objective, config, upto=100)
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["lr"] == 0.05 and side["live_changes"] == [{"step": 30, "name": "lr", "value": 0.01}]
    header, data = read_trajectories_csv(path)
    assert rows == len(data) and header[:4] == ["run", "step", "x", "y"]
    # the replay equals a batch that applies the change by hand
    b = BatchDescent(s.objective, **config.batch_kwargs())
    b.advance(30, record=False)
    b.set_lr(0.01)
    b.advance(70, record=False)
    last = data[data[:, 1] == data[data[:, 0] == 0][:, 1].max()]
    assert np.array_equal(last[last[:, 0] == 0][0, 2:4], b.points[0])


def test_a_cancelled_export_writes_nothing(tmp_path):
    s = Session()
    path = tmp_path / "x.csv"
    with pytest.raises(ExportError, match="cancelled"):
        export_replay(path, s.objective, s.descent_config(), cancel=lambda: True)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def _finished(session: Session):
    """The session's runs to the end in a store, with their critical points (the window's rule)."""
    store = _store_for(session, steps=session.settings.max_steps)
    analysis = session.analyse(store.status, store.pos, store.grad, store.val)
    return store, analysis


def test_random_starts_colour_their_basins_and_equal_minima_are_all_best():
    s = Session()
    s.set_function("(x**2 + y - 11)**2 + (x + y**2 - 7)**2")  # Himmelblau, typed
    s.set_domain(((-5, 5), (-5, 5)))
    s.update_settings(lr=0.01, max_steps=3000)
    s.random_starts(300, "uniform", 0)
    (xa, xb), (ya, yb) = s.domain
    P = s.starts
    assert P.shape == (300, 2) and s.basin_mode
    assert np.all((P[:, 0] >= xa) & (P[:, 0] <= xb) & (P[:, 1] >= ya) & (P[:, 1] <= yb))
    store, analysis = _finished(s)
    minima = [cp for cp in analysis.points if cp.kind == "minimum"]
    assert len(minima) == 4
    assert sum(cp.best for cp in analysis.points) == 4  # four equally deep minima are equals, not one "best"
    frame = build_frame(s, store, analysis)
    crit_color = dict(enumerate(frame.critical_colors))
    assert len({tuple(col) for col in crit_color.values()}) >= 4
    reached = 0
    for i in range(300):
        k = int(analysis.run_point[i])
        if k >= 0:
            reached += 1
            assert tuple(frame.start_colors[i]) == tuple(crit_color[k])
    assert reached > 250
    assert frame.envelope is not None  # many runs: the curves show their envelope


def _far(a, b, d=0.3):
    return float(np.linalg.norm(np.asarray(a[:3]) - np.asarray(b[:3]))) >= d


def test_colours_of_critical_point_kinds_are_never_used_for_runs():
    from gdstudio.app import colors

    kinds = list(colors.KIND_COLORS.values())
    runs = ([colors.series(i) for i in range(20)] + [colors.basin(k) for k in range(-1, 20)]
            + list(colors.OPTIMIZER_COLORS.values()))
    for k in kinds:
        for c in runs:
            assert _far(k, c), (k, c)


def test_a_run_ending_on_a_saddle_is_not_drawn_in_the_minimums_colour():
    from gdstudio.app import colors

    far = _far
    s = Session()
    s.set_function("x**2 - y**2 + y**4/4")  # saddle at 0, minima at y = ±√2
    s.set_starts([(1.0, 0.0), (0.5, 1.0)], basins=True)
    store, analysis = _finished(s)
    kinds = [analysis.points[int(k)].kind for k in analysis.run_point]
    assert kinds == ["saddle", "minimum"]
    frame = build_frame(s, store, analysis, parts=())
    for r in range(2):
        assert far(frame.run_colors[r], colors.KIND_COLORS["minimum"])
        assert far(frame.run_colors[r], colors.KIND_COLORS["saddle"])


def test_an_export_replays_a_polar_descent_in_polar_coordinates():
    """The replay behind an export builds the configured coordinates: a polar run (naive or
    metric) replayed as a Cartesian batch would write another path than the one shown."""
    from gdstudio import descend
    from gdstudio.app.export import replay
    from gdstudio.core.compiled import compile_function

    text = "(x - 1)**2 + 3*(y + 0.5)**2"
    starts = [[2.0, 1.0], [-1.0, 1.5]]
    cart = descend(text, starts, optimizer="gd", lr=0.05, steps=20, tol=0)
    for gradient in ("metric", "naive"):
        r = descend(text, starts, optimizer="gd", lr=0.05, steps=20, tol=0, coordinates="polar", gradient=gradient)
        chunks = list(replay(compile_function(text), r.config))
        assert np.array_equal(chunks[-1].points[-1], r.final_points)
    assert not np.allclose(r.final_points, cart.final_points)  # the naive path is another path

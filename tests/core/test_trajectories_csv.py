"""CSV export: header, one row per step per run, exact round trip, sidecar, atomicity."""

import json
import os

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.core.runner import BatchDescent
from gdstudio.io.trajectories import (
    ExportError,
    TrajectoryWriter,
    read_trajectories_csv,
    sidecar_path,
    stream_descent_csv,
    write_result_csv,
)

from ._bowl import Bowl


def test_round_trip_is_exact(tmp_path):
    r = descend(Bowl(), [(1.1, -0.3), (0.123456789, 1.987654321), (0.0, 0.0)],
                optimizer="adam", lr=0.05, steps=60, tol=1e-4)
    path = tmp_path / "runs.csv"
    rows = write_result_csv(path, r, {"seed": 7})
    header, data = read_trajectories_csv(path)
    assert header == ["run", "step", "x", "y", "value", "grad_x", "grad_y"]
    assert rows == len(data) == sum(s + 1 for s in r.steps)
    for i in range(3):
        mine = data[data[:, 0] == i]
        mine = mine[np.argsort(mine[:, 1])]
        np.testing.assert_array_equal(mine[:, 1], np.arange(r.steps[i] + 1))  # step 0 is the start
        np.testing.assert_array_equal(mine[:, 2:4], r.trajectories[i])  # bit-exact floats
        np.testing.assert_array_equal(mine[:, 4], r.trajectory_values[i])
        np.testing.assert_array_equal(mine[:, 5:7], r.trajectory_grads[i])
    meta = json.loads(sidecar_path(path).read_text())
    assert meta["optimizer"] == "adam" and meta["lr"] == 0.05 and meta["seed"] == 7
    assert meta["program_version"] and meta["columns"][2:4] == ["x", "y"]
    assert meta["starts"][1] == [0.123456789, 1.987654321]


def test_streaming_writer_equals_recorded_result(tmp_path):
    starts = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    stream_descent_csv(a, BatchDescent(Bowl(), starts, "momentum", lr=0.02, max_steps=300, tol=1e-5),
                       chunk_steps=7)
    write_result_csv(b, descend(Bowl(), starts, optimizer="momentum", lr=0.02, steps=300, tol=1e-5))
    _, da = read_trajectories_csv(a)
    _, db = read_trajectories_csv(b)
    key = lambda d: d[np.lexsort((d[:, 1], d[:, 0]))]
    np.testing.assert_array_equal(key(da), key(db))


def test_selected_runs_only(tmp_path):
    r = descend(Bowl(), [(1, 1), (2, 2), (0.5, 0.5)], lr=0.1, steps=20, tol=0)
    write_result_csv(tmp_path / "sel.csv", r, runs=[2, 0])
    _, data = read_trajectories_csv(tmp_path / "sel.csv")
    assert set(data[:, 0].astype(int)) == {0, 2} and len(data) == 42


def test_a_failed_export_leaves_an_existing_file_untouched(tmp_path):
    path = tmp_path / "keep.csv"
    path.write_text("precious\n")
    sidecar_path(path).write_text("{}")
    with pytest.raises(RuntimeError):
        with TrajectoryWriter(path, ("x", "y")) as w:
            w.write_arrays(0, np.zeros((1, 1, 2)), np.zeros((1, 1)), np.zeros((1, 1, 2)), [5])
            raise RuntimeError("the run failed half-way")
    assert path.read_text() == "precious\n"
    assert sidecar_path(path).read_text() == "{}"
    assert os.listdir(tmp_path) == sorted(["keep.csv", "keep.json"]) or set(os.listdir(tmp_path)) == {"keep.csv", "keep.json"}


def test_a_cancelled_stream_leaves_no_partial_file(tmp_path):
    path = tmp_path / "never.csv"
    run = BatchDescent(Bowl(), [(1.0, 1.0)] * 3, "gd", lr=1e-4, max_steps=10_000, tol=0)
    with pytest.raises(ExportError, match="cancelled"):
        stream_descent_csv(path, run, chunk_steps=10, cancel=lambda: run.step >= 50)
    assert os.listdir(tmp_path) == []


def test_unwritable_places_give_one_clear_sentence(tmp_path):
    run = BatchDescent(Bowl(), [(1.0, 1.0)], "gd", lr=0.1, max_steps=5)
    with pytest.raises(ExportError, match="does not exist"):
        stream_descent_csv(tmp_path / "no" / "such" / "dir.csv", run)
    with pytest.raises(ExportError, match="is a folder"):
        stream_descent_csv(tmp_path, run)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # root ignores permissions; then use a path under a file
            target = tmp_path / "afile.csv"
            target.write_text("x")
            bad = target / "inner.csv"
            with pytest.raises(ExportError, match="cannot write|does not exist"):
                stream_descent_csv(bad, run)
        else:
            with pytest.raises(ExportError, match="cannot write"):
                stream_descent_csv(ro / "x.csv", run)
    finally:
        ro.chmod(0o700)


def test_memory_stays_at_one_chunk_for_big_exports(tmp_path):
    """10,000 runs × 1,000 steps streams without holding the table: the writer only ever
    sees one chunk (checked by instrumenting the chunk size, not by timing)."""
    seen = []

    class Spy(BatchDescent):
        def advance(self, k, record=True):
            chunk = super().advance(k, record)
            seen.append(chunk.points.nbytes)
            return chunk

    run = Spy(Bowl(), np.random.default_rng(1).uniform(-1, 1, (2000, 2)), "gd", lr=1e-3, max_steps=200, tol=0)
    rows = stream_descent_csv(tmp_path / "big.csv", run, chunk_steps=16)
    assert rows == 2000 * 201
    assert max(seen) <= 16 * 2000 * 2 * 8


def test_exported_files_get_ordinary_permissions(tmp_path):
    path = tmp_path / "perm.csv"
    r = descend(Bowl(), [(1, 1)], lr=0.1, steps=3, tol=0)
    write_result_csv(path, r)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    path.chmod(0o640)
    write_result_csv(path, r)  # replacing a file keeps its mode
    assert path.stat().st_mode & 0o777 == 0o640

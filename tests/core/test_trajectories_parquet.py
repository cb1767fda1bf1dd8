"""Parquet export (--out FILE.parquet): the CSV's columns and rows, streamed in row groups,
written atomically with its sidecar; without pyarrow one sentence, exit 2, nothing written."""

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from gdstudio import descend
from gdstudio.core.coordinates import PolarDescent
from gdstudio.core.runner import BatchDescent
from gdstudio.io import parquet
from gdstudio.io.trajectories import (
    ExportError,
    TrajectoryWriter,
    read_trajectories_csv,
    sidecar_path,
    stream_descent_csv,
    write_result_csv,
)

from ._bowl import Bowl


def gd(*args, cwd, block_pyarrow=False):
    """The command line in a fresh process; ``block_pyarrow`` makes ``import pyarrow`` fail
    there, as on a machine without the parquet extra."""
    code = ("import sys\n"
            + ("sys.modules['pyarrow'] = None\nsys.modules['pyarrow.parquet'] = None\n" if block_pyarrow else "")
            + "from gdstudio.cli import main\nsys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def table_as_csv_data(path):
    """The Parquet file as (header, float array), the shape read_trajectories_csv gives."""
    t = pq.read_table(path)
    return t.column_names, np.column_stack([t[c].to_numpy().astype(float) for c in t.column_names])


def test_command_line_parquet_equals_its_csv(tmp_path):
    args = ("run", "--function", "himmelblau", "--random-starts", "40", "--seed", "3",
            "--optimizer", "adam", "--lr", "0.05", "--steps", "300", "--tol", "1e-6")
    a = gd(*args, "--out", "runs.csv", cwd=tmp_path)
    b = gd(*args, "--out", "runs.parquet", cwd=tmp_path)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert "Trajectories written to runs.parquet (settings in runs.json)" in b.stdout
    header, data = read_trajectories_csv(tmp_path / "runs.csv")
    t = pq.read_table(tmp_path / "runs.parquet")
    assert t.column_names == header == ["run", "step", "x", "y", "value", "grad_x", "grad_y"]
    assert str(t.schema.field("run").type) == str(t.schema.field("step").type) == "int64"
    assert all(str(t.schema.field(c).type) == "double" for c in header[2:])
    _, got = table_as_csv_data(tmp_path / "runs.parquet")
    np.testing.assert_array_equal(got, data)  # same rows, same order, bit-exact doubles
    meta = json.loads((tmp_path / "runs.json").read_text())  # the Parquet run's sidecar
    assert meta["parquet"] == "runs.parquet" and "csv" not in meta
    assert meta["rows"] == t.num_rows and meta["columns"] == header and meta["optimizer"] == "adam"


def test_polar_extra_columns_and_selected_runs_match_the_csv(tmp_path):
    starts = [(1.0, 0.5), (-0.7, 0.2), (0.3, -0.9)]

    def run():
        return PolarDescent(Bowl(), starts, "momentum", 0.02, None, 120, 1e-6, None, "metric")

    stream_descent_csv(tmp_path / "p.csv", run(), runs=[2, 0], chunk_steps=13)
    stream_descent_csv(tmp_path / "p.parquet", run(), runs=[2, 0], chunk_steps=13)
    header, data = read_trajectories_csv(tmp_path / "p.csv")
    assert header[-2:] == ["r", "theta"]
    got_header, got = table_as_csv_data(tmp_path / "p.parquet")
    assert got_header == header
    np.testing.assert_array_equal(got, data)
    assert set(got[:, 0].astype(int)) == {0, 2}


def test_a_recorded_result_writes_the_same_parquet_as_csv(tmp_path):
    r = descend(Bowl(), [(1.1, -0.3), (0.123456789, 1.987654321)], optimizer="adam", lr=0.05,
                steps=60, tol=1e-4)
    rows = write_result_csv(tmp_path / "r.parquet", r, {"seed": 7})
    write_result_csv(tmp_path / "r.csv", r, {"seed": 7})
    _, data = read_trajectories_csv(tmp_path / "r.csv")
    _, got = table_as_csv_data(tmp_path / "r.parquet")
    assert rows == len(got) == sum(s + 1 for s in r.steps)
    np.testing.assert_array_equal(got, data)


def test_large_exports_stream_in_bounded_row_groups(tmp_path, monkeypatch):
    """The writer holds at most one row group (plus one chunk) of rows: with a small group
    size, 2,000 runs x 200 steps come out as row groups of exactly that size."""
    monkeypatch.setattr(parquet, "CELLS_PER_GROUP", 7 * 20_000)
    run = BatchDescent(Bowl(), np.random.default_rng(1).uniform(-1, 1, (2000, 2)), "gd", lr=1e-3,
                       max_steps=200, tol=0)
    rows = stream_descent_csv(tmp_path / "big.parquet", run, chunk_steps=4)
    meta = pq.ParquetFile(tmp_path / "big.parquet").metadata
    assert rows == meta.num_rows == 2000 * 201
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [20_000] * 20 + [2000]


def test_a_failed_export_leaves_the_existing_pair_untouched(tmp_path):
    path = tmp_path / "keep.parquet"
    path.write_bytes(b"precious")
    sidecar_path(path).write_text("{}")
    with pytest.raises(RuntimeError):
        with TrajectoryWriter(path, ("x", "y")) as w:
            w.write_arrays(0, np.zeros((1, 1, 2)), np.zeros((1, 1)), np.zeros((1, 1, 2)), [5])
            raise RuntimeError("the run failed half-way")
    assert path.read_bytes() == b"precious" and sidecar_path(path).read_text() == "{}"
    assert set(os.listdir(tmp_path)) == {"keep.parquet", "keep.json"}


def test_a_sidecar_that_cannot_be_written_keeps_the_old_table(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"old table")
    (tmp_path / "t.json").mkdir()  # the sidecar's name is a folder
    with pytest.raises(ExportError, match="t.json: it is a folder"):
        stream_descent_csv(path, BatchDescent(Bowl(), [(1.0, 1.0)], "gd", lr=0.1, max_steps=5))
    assert path.read_bytes() == b"old table"
    assert sorted(os.listdir(tmp_path)) == ["t.json", "t.parquet"]


def test_a_cancelled_export_leaves_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "CELLS_PER_GROUP", 7 * 1024)
    run = BatchDescent(Bowl(), [(1.0, 1.0)] * 300, "gd", lr=1e-4, max_steps=10_000, tol=0)
    with pytest.raises(ExportError, match="cancelled"):
        stream_descent_csv(tmp_path / "never.parquet", run, chunk_steps=10, cancel=lambda: run.step >= 50)
    assert os.listdir(tmp_path) == []


def test_without_pyarrow_the_writer_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ExportError, match=r"pip install 'gdstudio\[parquet\]'"):
        stream_descent_csv(tmp_path / "t.parquet", BatchDescent(Bowl(), [(1.0, 1.0)], "gd", lr=0.1, max_steps=5))
    assert os.listdir(tmp_path) == []
    stream_descent_csv(tmp_path / "t.csv", BatchDescent(Bowl(), [(1.0, 1.0)], "gd", lr=0.1, max_steps=5))
    assert sorted(os.listdir(tmp_path)) == ["t.csv", "t.json"]  # CSV needs nothing more


def test_without_pyarrow_the_command_line_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "old.parquet").write_bytes(b"old")
    for target in ("new.parquet", "old.parquet"):
        p = gd("run", "--function", "rosenbrock", "--random-starts", "5", "--out", target,
               cwd=tmp_path, block_pyarrow=True)
        assert p.returncode == 2 and p.stdout == ""
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and "pip install 'gdstudio[parquet]'" in lines[0], p.stderr
        assert "Traceback" not in p.stderr
    assert os.listdir(tmp_path) == ["old.parquet"] and (tmp_path / "old.parquet").read_bytes() == b"old"
    ok = gd("run", "--function", "rosenbrock", "--random-starts", "5", "--out", "runs.csv", "--quiet",
            cwd=tmp_path, block_pyarrow=True)
    assert ok.returncode == 0, ok.stderr  # CSV stays the default and needs no pyarrow

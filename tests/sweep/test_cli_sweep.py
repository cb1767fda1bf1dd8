"""``gdstudio sweep``, ``gdstudio landscape`` and the comma lists of ``gdstudio run`` on the
command line: output, bad input (one sentence, exit 2, an existing file untouched), Ctrl+C."""

import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.console import ProgressBar


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


SMALL = ["sweep", "--function", "elongated", "--optimizer", "gd,momentum", "--lr", "0.01,0.05,0.1",
         "--momentum", "0.5,0.9", "--start", "1,1", "--start=-1,0.5", "--steps", "300"]


def test_sweep_prints_the_table_sorted_by_median_value_and_writes_the_csv(capsys, tmp_path):
    out = tmp_path / "s.csv"
    code, text, err = run(capsys, *SMALL, "--out", str(out))
    assert code == 0, err
    lines = text.splitlines()
    header = lines[0].split()
    assert header[:3] == ["optimizer", "lr", "momentum"] and header[-1] == "rate"
    start = lines[0].index("median_value")
    medians = [float(l[start:].split()[0]) for l in lines[2:2 + 9]]
    assert medians == sorted(medians) and len(set(medians)) > 3
    assert "Best setting: momentum" in text
    csv_lines = out.read_text().splitlines()
    assert csv_lines[0] == ("function,optimizer,lr,momentum,beta1,beta2,alpha,eps,schedule,runs,"
                            "converged,diverged,max_steps,best_value,median_value,"
                            "median_steps_to_converge,rate")
    assert len(csv_lines) == 1 + 3 + 6
    meta = json.loads((tmp_path / "s.json").read_text())
    assert meta["starts"] == [[[1.0, 1.0], [-1.0, 0.5]]] and meta["command"][0] == "gdstudio"


@pytest.mark.parametrize("args, words", [
    (["--lr", ""], "--lr: the lr range is empty"),
    (["--lr", "0.1:0.01:3"], "write the smaller end first"),
    (["--lr", "1e-3:1e-1:0"], "N ≥ 1"),
    (["--momentum", "0:0.9:-2"], "N ≥ 1"),
    (["--momentum", "0:1:3"], "invalid momentum"),
    (["--optimizer", "gd,,adam"], "empty item"),
    (["--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "not both"),
    (["--random-starts", "5000", "--lr", "1e-4:1e-1:20", "--steps", "100000"], "without --yes"),
    (["--function", "x +* y"], "column"),
    (["--schedule", "step:0"], "schedule"),
])
def test_bad_input_is_one_sentence_exit_2_and_the_file_stays(capsys, tmp_path, args, words):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    code, text, err = run(capsys, "sweep", "--function", "bowl", "--optimizer", "gd,momentum",
                          *args, "--out", str(out))
    assert code == 2
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert out.read_text() == "precious\n"


def test_without_dask_workers_get_one_sentence(capsys, monkeypatch):
    import gdstudio.app.executors as ex

    monkeypatch.setattr(ex, "dask_available", lambda: False)
    code, _, err = run(capsys, "sweep", "--function", "bowl", "--workers", "2", "--steps", "5")
    assert code == 2 and "pip install 'gdstudio[dask]'" in err
    code, text, _ = run(capsys, "sweep", "--function", "bowl", "--workers", "0", "--steps", "5")
    assert code == 0 and "gd" in text  # in-process needs no Dask


def test_ctrl_c_cancels_cleanly_and_leaves_the_file(tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("DISPLAY", None)
    p = subprocess.Popen([sys.executable, "-m", "gdstudio", "sweep", "--function", "rosenbrock",
                          "--lr", "1e-5:1e-4:40", "--random-starts", "64", "--steps", "200000",
                          "--tol", "0", "--yes", "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    line = ""
    while "settings" not in line and time.monotonic() < deadline:
        line = p.stderr.readline()  # "40 settings × 64 runs × ... on this process"
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert "cancelled" in err and "Traceback" not in err
    assert out.read_text() == "precious\n"
    assert [f.name for f in tmp_path.iterdir()] == ["keep.csv"]  # no partial files


def test_progress_bar_draws_on_a_terminal_only():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    s = Tty()
    bar = ProgressBar(4, stream=s, delay=0, unit="settings")
    for k in range(1, 5):
        bar._last = -1.0
        bar.update(k)
    text = s.getvalue()
    assert "\r[" in text and "4/4 settings" in text and "#" * 30 in text
    quiet = io.StringIO()
    bar = ProgressBar(4, stream=quiet, delay=0, unit="settings")
    bar.update(2)
    bar.close()
    assert quiet.getvalue() == ""


def test_landscape_writes_the_grid_the_path_and_the_explained_variance(capsys, tmp_path):
    out = tmp_path / "l.npz"
    code, text, err = run(capsys, "landscape", "--model", "mlp", "--data", "moons", "--hidden", "4",
                          "--steps", "40", "--grid", "21", "--plane", "pca", "--out", str(out))
    assert code == 0, err
    assert "explained variance of the path" in text
    d = np.load(out)
    assert d["loss"].shape == (21, 21) and d["path"].shape == (41, 2)
    assert 0.5 < d["explained"].sum() <= 1.0 and d["directions"].shape == (2, 17)
    meta = json.loads(str(d["metadata"]))
    assert meta["plane"] == "pca" and meta["grid"] == 21
    # the path's loss is the loss of the weights it projects from (the plane holds the path)
    code, _, _ = run(capsys, "landscape", "--model", "mlp", "--data", "moons", "--hidden", "4",
                     "--steps", "40", "--grid", "21", "--plane", "weights:W1[0,0],b1[1]",
                     "--out", str(out))
    assert code == 0
    d = np.load(out)
    assert list(d["axis_names"]) == ["W1[0,0]", "b1[1]"]


@pytest.mark.parametrize("args, words", [
    (["--model", "mlp", "--plane", "sideways"], "unknown plane"),
    (["--model", "mlp", "--plane", "weights:W9[0,0],W1[0,1]"], "no parameter named"),
    (["--model", "mlp", "--grid", "1"], "--grid must be at least 2"),
    ([], "give --model"),
])
def test_landscape_bad_input(capsys, tmp_path, args, words):
    out = tmp_path / "keep.npz"
    out.write_bytes(b"precious")
    code, _, err = run(capsys, "landscape", "--hidden", "3", "--steps", "5", "--grid", "5", *args,
                       "--out", str(out))
    assert code == 2 and words in err and "Traceback" not in err
    assert out.read_bytes() == b"precious"

"""The command line end to end, bad input included (run as a real subprocess)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gdstudio.io.trajectories import read_trajectories_csv


def gd(*args, cwd=None):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "gdstudio", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env)


def test_run_prints_a_table_and_the_critical_points():
    p = gd("run", "--function", "x^2 + 3*y^2", "--start", "1,1", "--start", "-1,2",
           "--optimizer", "momentum", "--lr", "0.05")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    header = next(l for l in lines if l.startswith("run"))
    for col in ("start", "end", "value", "steps", "status", "critical"):
        assert col in header
    assert sum(" converged " in l for l in lines) == 2
    assert "Distinct critical points found (1)" in p.stdout
    assert "minimum" in p.stdout and "(lowest found)" in p.stdout  # a typed function: no known global minimum


def test_run_json_has_the_documented_keys():
    p = gd("run", "--function", "x^2 - y^2", "--start", "1,0", "--lr", "0.1", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    (run,) = out["runs"]
    assert set(run) == {"run", "start", "end", "value", "steps", "status", "critical"}
    assert run["status"] == "converged" and run["critical"] == "saddle"
    assert run["start"] == [1.0, 0.0] and abs(run["end"][0]) < 1e-6
    assert out["critical_points"][0]["kind"] == "saddle"


def test_random_starts_with_a_seed_are_reproducible_and_inside_the_domain():
    args = ("run", "--function", "himmelblau", "--random-starts", "20", "--seed", "4",
            "--sampler", "sobol", "--domain=-5,5,-5,5", "--optimizer", "adam", "--lr", "0.05",
            "--steps", "3000", "--json")
    a, b = gd(*args), gd(*args)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    runs = json.loads(a.stdout)["runs"]
    assert len(runs) == 20 and all(-5 <= r["start"][0] <= 5 and -5 <= r["start"][1] <= 5 for r in runs)
    minima = [c for c in json.loads(a.stdout)["critical_points"] if c["kind"] == "minimum"]
    assert len(minima) >= 3  # Himmelblau has four minima of equal depth


def test_csv_output_and_sidecar(tmp_path):
    out = tmp_path / "runs.csv"
    p = gd("run", "--function", "x^2 + 3*y^2", "--start=-1,0.5", "--random-starts", "3",
           "--optimizer", "adam", "--lr", "0.1", "--betas", "0.8,0.99", "--steps", "50",
           "--tol", "0", "--out", str(out))
    assert p.returncode == 0, p.stderr
    header, data = read_trajectories_csv(out)
    assert header == ["run", "step", "x", "y", "value", "grad_x", "grad_y"]
    assert len(data) == 4 * 51
    first = data[(data[:, 0] == 0) & (data[:, 1] == 0)][0]
    np.testing.assert_array_equal(first[2:4], [-1.0, 0.5])
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["optimizer"] == "adam" and meta["hyper"]["adam"]["beta1"] == 0.8
    assert meta["function"] == "x^2 + 3*y^2" and meta["seed"] == 0 and meta["program_version"]
    assert meta["domain"] == [[-3.0, 3.0], [-3.0, 3.0]]


def test_linear_regression_on_housing_from_the_command_line(tmp_path):
    out = tmp_path / "fit.csv"
    p = gd("run", "--model", "linreg", "--data", "housing", "--x", "LotArea", "--y", "SalePrice",
           "--scale", "standard", "--lr", "0.1", "--steps", "500", "--out", str(out), "--json")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    (run,) = res["runs"]
    assert run["start"] == [0.0, 0.0] and run["status"] == "converged"
    header, _ = read_trajectories_csv(out)
    assert header == ["run", "step", "a", "b", "value", "grad_a", "grad_b"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("run", "--optimizer", "sgdx"), "unknown optimizer 'sgdx'"),
        (("run", "--lr", "fast"), "--lr: 'fast' is not a number"),
        (("run", "--lr=-1"), "invalid learning rate"),
        (("run", "--start", "1;2"), "--start expects X,Y"),
        (("run", "--function", "x + z"), "unknown name 'z' at column 5"),
        (("run", "--function", "__import__('os')"), "--function:"),
        (("run", "--betas", "0.9,1.5", "--optimizer", "adam"), "beta parameter 2"),
        (("run", "--optimizer", "gd", "--momentum", "0.9"), "gd has no hyper-parameter 'momentum'"),
        (("run", "--domain", "1,0,0,1"), "XMIN < XMAX"),
        (("run", "--steps", "ten"), "--steps: 'ten' is not a whole number"),
        (("run", "--schedule", "sometimes"), "bad schedule"),
        (("run", "--out", "/no/such/folder/x.csv"), "does not exist"),
        (("run", "--model", "a*exp(b*x)", "--data", "/no/such.csv"), "no such file"),
        (("run", "--model", "linreg", "--x", "Nope"), "Nope"),
        (("run", "--model", "x**2"), "no parameters"),
        (("nonsense",), "invalid choice"),
        (("x + z",), "is not a command (gui, "),
        (("missing-file.csv",), "no such file"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_status_2(args, fragment):
    p = gd(*args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert fragment in p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_a_failed_run_never_damages_an_existing_csv(tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    p = gd("run", "--function", "x + z", "--out", str(out))
    assert p.returncode == 2 and out.read_text() == "precious"


def test_presets_lists_the_built_in_functions():
    p = gd("presets")
    assert p.returncode == 0, p.stderr
    for name in ("rosenbrock", "himmelblau", "beale", "booth", "matyas", "rastrigin", "ackley",
                 "goldstein", "camel", "saddle", "monkey"):
        assert name in p.stdout.lower()


def test_import_gdstudio_never_imports_qt():
    code = ("import sys, gdstudio, gdstudio.cli, gdstudio.core.api, gdstudio.io.trajectories;"
            "import gdstudio.app.problems, gdstudio.app;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6')];"
            "print(bad); sys.exit(1 if bad else 0)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_python_api_descend_on_text_and_presets():
    from gdstudio import descend

    r = descend("x^2 + 3*y^2", [(1, 1), (0.5, -0.5)], optimizer="gd", lr=0.1, steps=500, tol=1e-8)
    assert r.final_points.shape == (2, 2) and r.status == ["converged", "converged"]
    assert [t.shape[1] for t in r.trajectories] == [2, 2]
    r = descend("rosenbrock", np.array([[-1.0, 1.0]]), optimizer="adam", lr=0.02, steps=20000, tol=1e-7)
    np.testing.assert_allclose(r.final_points[0], (1, 1), atol=1e-4)


def test_the_window_without_a_display_says_why_instead_of_aborting():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    p = subprocess.run([sys.executable, "-m", "gdstudio"], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 1
    assert "no display found" in p.stderr and "xvfb-run" in p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_gui_help_prints_help_and_a_target_without_a_display_says_why(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    p = subprocess.run([sys.executable, "-m", "gdstudio", "gui", "--help"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert p.returncode == 0 and "usage: gdstudio gui" in p.stdout and "session file" in p.stdout
    csv = tmp_path / "points.csv"
    csv.write_text("x,y\n1,2\n")
    for argv in (["gui", str(csv)], [str(csv)], ["x**2 + 3*y**2"], ["rosenbrock"]):
        p = subprocess.run([sys.executable, "-m", "gdstudio", *argv], capture_output=True, text=True, timeout=60,
                           env=env)
        assert p.returncode == 1, argv
        assert "no display found" in p.stderr and len(p.stderr.strip().splitlines()) == 1, argv


def test_typed_model_on_a_csv_and_a_non_numeric_csv(tmp_path):
    good = tmp_path / "decay.csv"
    t = np.linspace(0, 2, 40)
    good.write_text("t,y\n" + "".join(f"{float(a)!r},{float(2.0 * np.exp(-1.3 * a))!r}\n" for a in t))
    p = gd("run", "--model", "a*exp(b*x)", "--data", str(good), "--x", "t",
           "--y", "y", "--optimizer", "adam", "--lr", "0.05", "--steps", "4000", "--tol", "1e-9", "--json")
    assert p.returncode == 0, p.stderr
    (run,) = json.loads(p.stdout)["runs"]
    assert run["end"] == pytest.approx([2.0, -1.3], abs=1e-3)
    bad = tmp_path / "words.csv"
    bad.write_text("name,colour\nann,red\nbob,blue\n")
    p = gd("run", "--model", "a*x + b", "--data", str(bad))
    assert p.returncode == 2 and "numeric" in p.stderr and "Traceback" not in p.stderr


def test_mlp_from_the_command_line_with_mini_batches(tmp_path):
    out = tmp_path / "net.csv"
    p = gd("run", "--model", "mlp", "--data", "xor", "--hidden", "4", "--activation", "tanh",
           "--seed", "3", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.05",
           "--steps", "200", "--out", str(out), "--json")
    assert p.returncode == 0, p.stderr
    (run,) = json.loads(p.stdout)["runs"]
    assert run["steps"] == 200 and len(run["end"]) == 17  # 2-4-1: 8 + 4 + 4 + 1 weights
    header, data = read_trajectories_csv(out)
    assert header[2] == "W1[0,0]" and len(data) == 201


def test_run_animate_writes_the_requested_gif(tmp_path):
    from PIL import Image

    target = tmp_path / "runs.gif"
    p = gd("run", "--function", "himmelblau", "--random-starts", "6", "--steps", "300", "--lr", "0.005",
           "--animate", str(target), "--fps", "10", "--duration", "3", "--size", "400x300",
           "--out", str(tmp_path / "runs.csv"))
    assert p.returncode == 0, p.stderr
    assert f"Animation written to {target}" in p.stdout and (tmp_path / "runs.csv").exists()
    im = Image.open(target)
    assert im.n_frames == 30 and im.size == (400, 300)
    im.seek(0)
    first = np.asarray(im.convert("RGB"))
    im.seek(29)
    assert (np.asarray(im.convert("RGB")) != first).any()


def test_run_animate_json_stays_pure_json(tmp_path):
    p = gd("run", "--function", "x^2 + y^2", "--start", "1,1", "--lr", "0.1", "--json",
           "--animate", str(tmp_path / "a.gif"), "--duration", "1")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["runs"] and (tmp_path / "a.gif").stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (["--animate", "{tmp}/a.png"], "an animation is a .gif or .mp4 file"),
    (["--animate", "{tmp}/missing/a.gif"], "does not exist"),
    (["--animate", "{tmp}/a.gif", "--fps", "500"], "frames per second must be between 1 and 50"),
    (["--animate", "{tmp}/a.gif", "--duration", "nan"], "is not a finite number"),
    (["--animate", "{tmp}/a.gif", "--size", "big"], "--size expects WIDTHxHEIGHT"),
    (["--fps", "10"], "--fps applies to --animate"),
    (["--model", "mlp", "--data", "xor", "--animate", "{tmp}/a.gif"], "two parameters"),
])
def test_run_animate_bad_input_is_one_sentence(tmp_path, args, message):
    existing = tmp_path / "a.gif"
    existing.write_bytes(b"keep")
    p = gd("run", "--steps", "5", *[a.format(tmp=tmp_path) for a in args])
    assert p.returncode == 2 and message in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert existing.read_bytes() == b"keep"

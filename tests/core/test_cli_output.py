"""What `gdstudio run` prints for many runs (first rows and a summary, --all, --quiet), the
progress bar, a console that is not UTF-8, and a machine without the window's packages."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from gdstudio import cli, console


def gd(*args, env_extra=None, text=True):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("DISPLAY", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "gdstudio", *args], capture_output=True,
                          text=text, timeout=120, env=env)


MANY = ("run", "--function", "himmelblau", "--random-starts", "30", "--seed", "2",
        "--optimizer", "adam", "--lr", "0.05", "--steps", "3000")


def _run_rows(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("run  ")) + 2
    rows = []
    for l in lines[start:]:
        if not l or not l[0].isdigit():
            break
        rows.append(l)
    return rows


def test_many_runs_print_the_first_rows_and_a_summary():
    p = gd(*MANY)
    assert p.returncode == 0, p.stderr
    rows = _run_rows(p.stdout)
    assert [r.split()[0] for r in rows] == [str(i) for i in range(10)]
    assert "… 20 more runs (--all prints every run)" in p.stdout
    summary = p.stdout.split("more runs", 1)[1]
    assert "runs      30" in summary
    assert "status    30 converged" in summary
    assert "found     30 minimum" in summary
    assert "Distinct critical points found (4):" in summary  # Himmelblau's four minima
    assert p.stderr == ""  # no progress bar when stderr is not a terminal


def test_all_prints_every_run_and_quiet_prints_nothing(tmp_path):
    p = gd(*MANY, "--all")
    assert p.returncode == 0, p.stderr
    assert [r.split()[0] for r in _run_rows(p.stdout)] == [str(i) for i in range(30)]
    assert "more runs" not in p.stdout
    out = tmp_path / "q.csv"
    q = gd(*MANY, "--quiet", "--out", str(out))
    assert q.returncode == 0 and q.stdout == "" and q.stderr == ""
    assert out.is_file() and out.with_suffix(".json").is_file()
    bad = gd(*MANY, "--quiet", "--steps", "-3")
    assert bad.returncode == 2 and bad.stdout == "" and "--steps" in bad.stderr


def test_json_and_quiet_do_not_mix():
    p = gd(*MANY, "--json", "--quiet")
    assert p.returncode == 2 and "not allowed with" in p.stderr and "Traceback" not in p.stderr


def test_a_network_row_stays_readable():
    p = gd("run", "--model", "mlp", "--data", "moons", "--hidden", "8,8", "--optimizer", "adam",
           "--lr", "0.02", "--steps", "20")
    assert p.returncode == 0, p.stderr
    assert max(len(l) for l in p.stdout.splitlines()) < 200
    assert "… 105 values)" in p.stdout  # 2-8-8-1: 24 + 72 + 9 parameters


def test_progress_bar_on_a_terminal(monkeypatch, capsys):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(console.ProgressBar, "DELAY", 0.0)
    code = cli.main(["run", "--function", "rosenbrock", "--random-starts", "50", "--steps", "3000",
                     "--tol", "0", "--optimizer", "adam", "--lr", "0.01"])
    assert code == 0
    drawn = err.getvalue()
    assert "\r[" in drawn and "steps" in drawn and "/3000 steps" in drawn
    assert drawn.endswith("\r")  # erased, so the table starts on a clean line
    assert "Distinct critical points found" in capsys.readouterr().out


def test_progress_bar_waits_a_second_and_needs_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    quick = console.ProgressBar(100, stream=Tty())
    quick.update(50)
    assert quick.stream.getvalue() == ""  # the run has not taken a second yet
    pipe = console.ProgressBar(100, stream=io.StringIO(), delay=0)
    pipe.update(50)
    assert pipe.stream.getvalue() == ""


@pytest.mark.parametrize("args", [("presets",), ("run", "--function", "saddle", "--start", "1,0.5"),
                                  ("run", "--help"), ("run", "--tol=-1")])
def test_output_works_on_a_cp1252_console(args):
    p = gd(*args, env_extra={"PYTHONIOENCODING": "cp1252"}, text=False)
    assert b"Traceback" not in p.stderr, p.stderr.decode("cp1252", "replace")
    assert p.returncode in (0, 2)
    p.stdout.decode("cp1252")  # what reached the console is valid cp1252
    if args == ("presets",):
        text = p.stdout.decode("cp1252")
        assert "rosenbrock" in text and "f(x, y) = x^2 + y^2" in text
    if args[-1] == "--tol=-1":
        assert p.stderr.decode("cp1252").strip() == "gdstudio: error: --tol must be >= 0, got -1"


def test_without_the_window_packages_one_sentence(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'OpenGL'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Block())\n")
    p = gd(env_extra={"PYTHONPATH": str(tmp_path), "DISPLAY": ":0"})
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    msg = p.stderr.strip()
    assert "\n" not in msg and "pip install 'gdstudio[gui]'" in msg and "PySide6" in msg
    # the engine itself needs none of them
    q = gd("run", "--function", "bowl", "--start", "1,1", "--lr", "0.1", "--json",
           env_extra={"PYTHONPATH": str(tmp_path)})
    assert q.returncode == 0, q.stderr
    assert json.loads(q.stdout)["runs"][0]["status"] == "converged"

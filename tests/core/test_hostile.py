"""Hostile input against the Python API and the command line: every case is refused with one
sentence (exit status 2 on the command line) or does its work, within a time bound; nothing
hangs, nothing raises anything but the documented error, no file is damaged.

The command-line cases run ``gdstudio.cli.main`` in this process (one interpreter start
costs seconds on a loaded machine); the signal cases run a real subprocess."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gdstudio import cli
from gdstudio.core import expression
from gdstudio.core.compiled import compile_function
from gdstudio.core.expression import ExpressionError
from gdstudio.core.models.typed import TypedModelObjective

#: seconds any refusal may take (generous: the test machine is shared)
QUICK = 5.0


def _timed(fn, *args, **kw):
    start = time.perf_counter()
    try:
        return fn(*args, **kw), time.perf_counter() - start
    except BaseException as err:  # noqa: BLE001 - returned for the caller to check
        return err, time.perf_counter() - start


# -- the API ------------------------------------------------------------------------------

REFUSED = [
    ("e**e**e**e**e**e", "number too large"),
    ("e**e**e**e**e", "number too large"),
    ("exp(10**300)*x", "number too large"),
    ("pi**pi**pi**pi", "number too large"),
    ("cosh(1000) + x", "number too large"),
    ("2**(e**e**e**e) * x", "number too large"),
    ("9^9^9^9", "number too large"),
    ("log(x, 0)", "base of a logarithm"),
    ("log(x, 1)", "base of a logarithm"),
    ("log(x, -2) + y", "base of a logarithm"),
    ("1" * 5000, "number too large"),
    ("x + " + "7" * 5000 + "*y", "number too large"),
    ("", "empty"),
    ("   ", "empty"),
    ("__import__('os').system('true')", "not allowed"),
    ("x" * 20_000, "too long"),
]


@pytest.mark.parametrize("text,fragment", REFUSED)
def test_hostile_text_is_refused_quickly_with_one_sentence(text, fragment):
    err, seconds = _timed(compile_function, text)
    assert isinstance(err, ExpressionError), err
    assert fragment in str(err)
    assert "\n" not in str(err)
    assert seconds < QUICK


def test_constant_towers_that_fit_still_work():
    obj = compile_function("e**e**e * x + pi**pi**pi * y")
    f, g = obj.value_and_grad(np.array([[1.0, 1.0]]))
    assert g[0] == pytest.approx([math.e ** math.e ** math.e, math.pi ** math.pi ** math.pi])


def _fd_grad(obj, p, h=1e-6):
    p = np.asarray(p, float)
    out = []
    for k in range(p.size):
        e = np.zeros_like(p)
        e[k] = h
        out.append((obj.value(np.array([p + e]))[0] - obj.value(np.array([p - e]))[0]) / (2 * h))
    return np.array(out)


def test_min_and_max_of_many_arguments_compile_quickly_and_exactly():
    text = "min(" + ", ".join(f"sin(x + {k})" for k in range(40)) + ") + max(x, y, x*y, 1)"
    obj, seconds = _timed(compile_function, text)
    assert not isinstance(obj, BaseException), obj
    assert seconds < 30  # sympy's own Min.fdiff took minutes
    for p in ([0.3, 0.2], [-1.1, 2.5], [2.0, -0.7]):
        f, g = obj.value_and_grad(np.array([p]))
        assert g[0] == pytest.approx(_fd_grad(obj, p), rel=1e-5, abs=1e-7)
        scalar = obj.scalar_value_and_grad(*p)
        assert scalar[1] == pytest.approx(tuple(g[0]), rel=1e-12)


def test_a_typed_model_of_80_factors_is_differentiated_like_a_function():
    x = np.linspace(0.0, 1.0, 30)
    y = 1.0 + 2.0 * x
    text = "*".join(f"(a + {k}*b*x/100)" for k in range(1, 81))
    model, seconds = _timed(TypedModelObjective, text, x, y)
    assert not isinstance(model, BaseException), model
    assert seconds < 60  # naive differentiation raised RecursionError after 42 s
    p = np.array([1.0, 0.05])
    g = model.grad(p[None, :])[0]
    assert g == pytest.approx(_fd_grad(model, p), rel=1e-5)
    H = model.hess(p[None, :])[0]
    fd = np.array([(model.grad((p + e)[None, :])[0] - model.grad((p - e)[None, :])[0]) / 2e-6
                   for e in np.eye(2) * 1e-6])
    assert H == pytest.approx(fd, rel=1e-4)


def test_typed_models_refuse_what_functions_refuse():
    x = np.linspace(0, 1, 10)
    for text in ("a*e**e**e**e**e**e + x", "a*log(x, 0)", "a*exp(10**300)"):
        err, seconds = _timed(TypedModelObjective, text, x, x)
        assert isinstance(err, ExpressionError), (text, err)
        assert seconds < QUICK


def test_every_phase_has_a_time_budget(monkeypatch):
    for phase in ("parse", "differentiate", "compile"):
        monkeypatch.setitem(expression.BUDGET_SECONDS, phase, 0.0)
        text = "*".join(f"(x + {k}*y/7)" for k in range(1, 40)) + f" + {len(phase)}"
        err, _ = _timed(compile_function, text)
        assert isinstance(err, ExpressionError), (phase, err)
        assert f"too large to {phase} in reasonable time" in str(err)
        monkeypatch.setitem(expression.BUDGET_SECONDS, phase, 100.0)
    assert compile_function(text).value(np.array([[1.0, 1.0]])).shape == (1,)


def test_many_starts_are_refused_before_anything_is_allocated():
    from gdstudio.core.starts import make_starts

    for n in (100_000_000, 10**12):
        err, seconds = _timed(make_starts, "uniform", n, ((0, 1), (0, 1)))
        assert isinstance(err, ValueError) and "at most 1,000,000" in str(err)
        assert seconds < 1


# -- the command line ------------------------------------------------------------------------

def run_cli(capsys, *args):
    start = time.perf_counter()
    code = cli.main(list(args))
    seconds = time.perf_counter() - start
    out, err = capsys.readouterr()
    return code, out, err, seconds


CLI_REFUSED = [
    (("--function", ""), "expression is empty"),
    (("--function", "e**e**e**e**e**e"), "number too large"),
    (("--function", "exp(10**300)*x"), "number too large"),
    (("--function", "pi**pi**pi**pi"), "number too large"),
    (("--function", "log(x, 0)"), "base of a logarithm"),
    (("--function", "1" * 5000), "number too large"),
    (("--schedule", "cosine:inf"), "not a finite number"),
    (("--schedule", "step:inf"), "not a finite number"),
    (("--schedule", "cosine:10:nan"), "not a finite number"),
    (("--schedule", "exponential:nan"), "not a finite number"),
    (("--lr", "nan"), "not a finite number"),
    (("--optimizer", "adam", "--betas", "0.9,inf"), "not a finite number"),
    (("--random-starts", "1000000000000"), "at most 1,000,000"),
    (("--random-starts", "100000000"), "at most 1,000,000"),
    (("--domain", "-1e308,1e308,-1e308,1e308"), "must be finite numbers"),
    (("--model", "a*e**e**e**e**e**e + x*b", "--data", "sine"), "number too large"),
]


@pytest.mark.parametrize("args,fragment", CLI_REFUSED)
def test_command_line_refuses_with_one_sentence_and_exit_2(capsys, args, fragment):
    code, out, err, seconds = run_cli(capsys, "run", *args, "--steps", "5")
    assert code == 2, (out, err)
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert seconds < QUICK + 5


def test_files_that_are_not_files_are_refused(capsys, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to("/dev/zero")
    for data in (str(fifo), "/dev/zero", "/dev/urandom", "/dev/stdin", str(link)):
        code, out, err, seconds = run_cli(capsys, "run", "--model", "linreg", "--data", data)
        assert code == 2, (data, err)
        assert "not a regular file" in err, err
        assert seconds < QUICK
    for target in ("/dev/null", str(fifo)):
        code, out, err, seconds = run_cli(capsys, "run", "--start", "1,1", "--steps", "3",
                                          "--out", target)
        assert code == 2 and "not a regular file" in err, err
    assert fifo.exists() and os.path.exists("/dev/null")


def test_too_big_a_file_is_read_only_up_to_the_limit(tmp_path):
    from gdstudio.io.datasets import DataError, read_regular_file

    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 1000)
    with pytest.raises(DataError, match="limit"):
        read_regular_file(big, max_bytes=100)
    assert read_regular_file(big, max_bytes=10_000).startswith(b"a,b")


def _strict_json(text):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_json_output_and_sidecar_are_valid_json_when_runs_diverge(capsys, tmp_path):
    out_csv = tmp_path / "div.csv"
    code, out, err, _ = run_cli(capsys, "run", "--function", "x^4 + y^4", "--start", "3,3",
                                "--lr", "10", "--steps", "50", "--json", "--out", str(out_csv))
    assert code == 0, err
    doc = _strict_json(out)
    assert doc["runs"][0]["status"] == "diverged"
    _strict_json((tmp_path / "div.json").read_text())


# -- signals: a real process ---------------------------------------------------------------

def _long_export(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("DISPLAY", None)
    out = tmp_path / "big.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gdstudio", "run", "--function", "x^2 + y^2", "--optimizer",
         "adam", "--random-starts", "2000", "--steps", "1000000", "--tol", "0", "--out",
         str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # a background job's shell ignores SIGINT, and the child would inherit that: give it
        # the disposition a person's terminal gives it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(n.endswith(".part") and os.path.getsize(tmp_path / n) > 100_000
               for n in os.listdir(tmp_path)):
            return proc, out
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the export never started: {proc.communicate()}")


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                      (signal.SIGINT, 130)])
def test_a_signal_during_an_export_leaves_no_partial_file(tmp_path, sig, code):
    (tmp_path / "big.csv").write_text("precious\n")
    (tmp_path / "big.json").write_text("{}\n")
    proc, out = _long_export(tmp_path)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == code, err
    assert "cancelled" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(os.listdir(tmp_path)) == ["big.csv", "big.json"]
    assert out.read_text() == "precious\n"
    assert (tmp_path / "big.json").read_text() == "{}\n"


# -- ε of the adaptive optimizers --------------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop", "adam"])
def test_a_non_positive_epsilon_is_refused_on_every_path(capsys, optimizer):
    """ε = 0 made a zero gradient component 0/0: ZeroDivisionError on the scalar path (a few
    runs, the window's instant path), 'diverged' on the batch path. Refused everywhere, in
    one sentence naming the optimizer and the value."""
    import gdstudio
    from gdstudio.app import Session
    from gdstudio.core.runner import BatchDescent

    sentence = f"invalid epsilon for {optimizer}: 0 is not greater than 0"
    for n in (1, 10):  # the scalar path, then numpy's
        with pytest.raises(ValueError, match=sentence):
            gdstudio.descend("x^2 + y^4", [(1.0, 0.0)] * n, optimizer=optimizer, eps=0.0)
    with pytest.raises(ValueError, match=sentence):  # big enough for the fused kernel
        BatchDescent(compile_function("x^2 + y^2"), np.zeros((5000, 2)), optimizer, eps=0.0)
    with pytest.raises(ValueError, match=f"invalid epsilon for {optimizer}: -1e-300 is not greater than 0"):
        gdstudio.descend("x^2 + y^4", [(1.0, 0.0)] * 3, optimizer=optimizer, eps=[1e-8, -1e-300, 1.0])
    session = Session()  # what the window's fields go through
    with pytest.raises(ValueError, match=sentence):
        session.update_settings(optimizer=optimizer, hyper={optimizer: {"eps": 0.0}})
    assert session.settings.hyper_for(optimizer)["eps"] > 0  # the session is unchanged
    code, out, err, _ = run_cli(capsys, "run", "--optimizer", optimizer, "--eps", "0",
                                "--start", "1,0", "--steps", "5")
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip().splitlines() == [f"gdstudio: error: {sentence} (a zero gradient component would make 0/0)"]


@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop", "adam"])
def test_a_tiny_epsilon_and_a_zero_gradient_component_agree_on_every_path(optimizer):
    """The smallest positive ε is accepted, and the scalar, numpy and fused paths give the
    same finite trajectory where a gradient component stays zero (y = 0 on x² + y⁴)."""
    import gdstudio
    from gdstudio.core.runner import BatchDescent

    kw = dict(optimizer=optimizer, lr=0.01, steps=50, tol=0, eps=5e-324)
    one = gdstudio.descend("x^2 + y^4", [(1.0, 0.0)], **kw)
    many = gdstudio.descend("x^2 + y^4", [(1.0, 0.0)] * 10, **kw)
    batch = BatchDescent(compile_function("x^2 + y^4"), np.tile([1.0, 0.0], (5000, 1)), optimizer,
                         lr=0.01, max_steps=50, tol=0, eps=5e-324)
    batch.advance(50, record=False)
    assert list(one.status) == ["max_steps"] and set(many.status) == {"max_steps"}
    assert one.final_points[0][1] == 0.0 and np.isfinite(one.final_points).all()
    np.testing.assert_array_equal(many.final_points, np.repeat(one.final_points, 10, axis=0))
    assert batch._kernel is not None  # the fused path really ran
    np.testing.assert_array_equal(batch.points, np.repeat(one.final_points, 5000, axis=0))


def test_a_huge_gradient_prints_no_numpy_warning():
    """A finite gradient beyond ~1e154 overflowed numpy's norm: 'RuntimeWarning: overflow'
    went to the console. Its norm is inf (far from critical), silently."""
    import warnings

    import gdstudio

    for n in (1, 6):  # the scalar and the batch path
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            r = gdstudio.descend("1e200*x + y", [(1.0, 1.0)] * n, lr=1e-3, steps=3)
        assert list(r.status) == ["diverged"] * n and np.isfinite(r.final_grads).all()
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    env.pop("DISPLAY", None)
    p = subprocess.run([sys.executable, "-m", "gdstudio", "run", "--function", "1e200*x + y",
                        "--random-starts", "20", "--steps", "50"], capture_output=True, text=True,
                       timeout=120, env=env)
    assert p.returncode == 0 and p.stderr == "" and "diverged" in p.stdout


def test_descend_takes_a_schedule_as_text_and_refuses_bad_ones_in_a_sentence():
    import gdstudio
    from gdstudio.core.schedules import Schedule

    r = gdstudio.descend("x^2 + y^2", [(1.0, 1.0)], lr=0.1, steps=40, schedule="cosine")
    assert r.settings["schedule"] == Schedule("cosine", t_max=40).describe()
    same = gdstudio.descend("x^2 + y^2", [(1.0, 1.0)], lr=0.1, steps=40, schedule=Schedule("cosine", t_max=40))
    np.testing.assert_array_equal(r.trajectories[0], same.trajectories[0])
    with pytest.raises(ValueError, match="'inf' is not a finite number"):
        gdstudio.descend("x^2 + y^2", [(1.0, 1.0)], schedule="cosine:inf")
    with pytest.raises(TypeError, match="schedule must be a Schedule or its text"):
        gdstudio.descend("x^2 + y^2", [(1.0, 1.0)], schedule=3)

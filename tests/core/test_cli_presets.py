"""`gdstudio run --function PRESET` without optimizer or rate options uses the preset's
recommended settings; `gdstudio presets` shows them."""

import json

import pytest

from gdstudio.cli import main
from gdstudio.core.presets import PRESETS


def _run_json(capsys, *args):
    assert main(["run", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_preset_runs_at_its_recommended_settings(capsys):
    rec = PRESETS["two_minima"].recommended
    out = _run_json(capsys, "--function", "two_minima")
    assert (out["optimizer"], out["lr"], out["steps"], out["tol"]) == (rec.optimizer, rec.lr, rec.steps, rec.tol)
    assert [r["start"] for r in out["runs"]] == [list(p) for p in rec.starts]
    assert [r["status"] for r in out["runs"]] == ["converged", "converged"]


def test_the_saddle_preset_stops_on_its_saddle(capsys):
    out = _run_json(capsys, "--function", "saddle")
    (run,) = out["runs"]
    assert run["start"] == [1.0, 0.0] and run["status"] == "converged" and run["critical"] == "saddle"


def test_optimizer_or_rate_options_replace_the_recommended_ones(capsys):
    out = _run_json(capsys, "--function", "rosenbrock", "--optimizer", "adam")
    assert out["optimizer"] == "adam" and out["lr"] == pytest.approx(1e-3)  # torch's default
    out = _run_json(capsys, "--function", "rosenbrock", "--lr", "1e-4", "--steps", "5")
    assert out["optimizer"] == "gd" and out["lr"] == 1e-4 and out["steps"] == 5
    # steps, tolerance and starts still come from the preset unless given
    out = _run_json(capsys, "--function", "rosenbrock", "--optimizer", "gd", "--lr", "1e-4")
    rec = PRESETS["rosenbrock"].recommended
    assert out["steps"] == rec.steps and out["tol"] == rec.tol
    assert [r["start"] for r in out["runs"]] == [list(p) for p in rec.starts]
    # a typed function has no recommendation: plain gd at torch's default rate
    out = _run_json(capsys, "--function", "x^2 + y^2", "--start", "1,1", "--steps", "3")
    assert out["optimizer"] == "gd" and out["lr"] == pytest.approx(1e-3) and out["tol"] == 1e-6


def test_presets_lists_the_recommended_settings(capsys):
    assert main(["presets"]) == 0
    text = capsys.readouterr().out
    for p in PRESETS.values():
        rec = p.recommended
        assert f"recommended: {rec.optimizer}, lr {rec.lr:g}" in text, p.name
    assert "recommended: gd, lr 0.02, 2000 steps, tol 1e-06, from (1.6, 0.8) and (-1.6, 0.8)" in text

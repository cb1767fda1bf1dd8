"""``gdstudio run`` with comma lists: several settings side by side in one batch, each run
exactly as that setting alone."""

import json

import pytest

from gdstudio.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_combination_runs_side_by_side_and_equals_each_setting_alone(capsys):
    code, text, err = run(capsys, "run", "--function", "elongated", "--optimizer", "gd,momentum",
                          "--lr", "0.01,0.05", "--momentum", "0.5,0.9", "--start", "1,1",
                          "--start=-1,0.5", "--steps", "300", "--json")
    assert code == 0, err
    out = json.loads(text)
    runs = out["runs"]
    # gd: one row per rate (momentum does not apply); momentum: rates × momenta; × 2 starts
    assert len(runs) == (2 + 4) * 2 and out["runs_per_setting"] == 2
    settings = [(r["setting"], r["optimizer"], r["lr"], r.get("momentum")) for r in runs]
    assert settings[0] == (0, "gd", 0.01, None) and settings[1] == (0, "gd", 0.01, None)
    assert settings[-1] == (5, "momentum", 0.05, 0.9)
    assert [r["start"] for r in runs[:4]] == [[1.0, 1.0], [-1.0, 0.5]] * 2
    for r in (runs[2], runs[7], runs[11]):
        extra = ["--momentum", repr(r["momentum"])] if r.get("momentum") is not None else []
        code, alone, _ = run(capsys, "run", "--function", "elongated", "--optimizer", r["optimizer"],
                             "--lr", repr(r["lr"]), *extra, "--start", ",".join(map(repr, r["start"])),
                             "--steps", "300", "--json")
        one = json.loads(alone)["runs"][0]
        assert (one["end"], one["value"], one["steps"], one["status"]) == \
            (r["end"], r["value"], r["steps"], r["status"])


def test_the_table_has_a_legend_of_which_runs_are_which_setting(capsys):
    code, text, _ = run(capsys, "run", "--function", "bowl", "--optimizer", "adam",
                        "--lr", "0.1,0.2", "--beta1", "0.8,0.9", "--start", "1,1", "--steps", "50")
    assert code == 0
    assert "4 settings side by side" in text
    lines = text.splitlines()
    legend = lines[lines.index("Settings:") + 1:lines.index("Settings:") + 5]
    assert legend[0].split() == ["run", "0", "adam", "lr=0.1", "beta1=0.8", "beta2=0.999", "eps=1e-08"]
    assert legend[3].split()[:5] == ["run", "3", "adam", "lr=0.2", "beta1=0.9"]


def test_a_presets_recommended_settings_fill_what_the_lists_leave_out(capsys):
    # rosenbrock recommends momentum, lr 5e-4, 10000 steps, tol 1e-4 from (-1.5, 2)
    code, text, err = run(capsys, "run", "--function", "rosenbrock", "--momentum", "0.5,0.9",
                          "--steps", "20", "--json")
    assert code == 0, err
    out = json.loads(text)
    assert out["settings"] == [{"optimizer": "momentum", "lr": 5e-4, "momentum": 0.5},
                               {"optimizer": "momentum", "lr": 5e-4, "momentum": 0.9}]
    assert out["tol"] == 1e-4 and [r["start"] for r in out["runs"]] == [[-1.5, 2.0]] * 2


def test_the_sidecar_records_every_runs_setting(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    code, _, err = run(capsys, "run", "--function", "bowl", "--optimizer", "gd,adam", "--lr", "0.1",
                       "--start", "1,1", "--steps", "5", "--out", str(out), "--quiet")
    assert code == 0, err
    meta = json.loads((tmp_path / "runs.json").read_text())
    assert meta["optimizer"] == ["gd", "adam"] and meta["lr"] == [0.1, 0.1]
    assert meta["settings"][1]["optimizer"] == "adam" and meta["runs_per_setting"] == 1
    # the sidecar's settings rebuild the same batch: the same end points
    from gdstudio.core.config import DescentConfig
    from gdstudio.core.presets import get_objective
    from gdstudio.io.trajectories import read_trajectories_csv

    again = DescentConfig.from_dict(meta).make_descent(get_objective(meta["function"]))
    while not again.done:
        again.advance(100, record=False)
    _, rows = read_trajectories_csv(out)
    last = [rows[rows[:, 0] == k][-1, 2:4] for k in (0, 1)]
    assert [list(p) for p in last] == [list(p) for p in again.points]


def test_one_value_runs_as_before(capsys):
    code, text, _ = run(capsys, "run", "--function", "bowl", "--lr", "0.1:0.1:1", "--start", "1,1")
    assert code == 0 and "gd, lr 0.1" in text and "side by side" not in text


@pytest.mark.parametrize("args, words", [
    (["--optimizer", "gd,sgdx"], "unknown optimizer 'sgdx'"),
    (["--optimizer", "gd,gd"], "gives 'gd' twice"),
    (["--optimizer", "gd,adagrad", "--momentum", "0.5,0.9"], "none of the optimizers gd, adagrad takes momentum"),
    (["--lr", "0.1,0.1"], "gives 0.1 twice"),
    (["--lr", "0.1,fast"], "--lr: 'fast' is not a number"),
    (["--lr", "0.1:0.01:3"], "write the smaller end first"),
    (["--optimizer", "adam", "--betas", "0.9,0.99", "--beta1", "0.8,0.9"], "not both"),
    (["--lesson", "saddle", "--lr", "0.1,0.2"], "a session or lesson runs one setting"),
    (["--optimizer", "gd,adam", "--damping", "0.5"], "none of the optimizers gd,adam takes damping"),
])
def test_bad_lists_get_one_sentence_and_exit_2(capsys, args, words):
    code, _, err = run(capsys, "run", "--function", "bowl", "--start", "1,1", "--steps", "5", *args)
    assert code == 2 and words in err and err.count("\n") == 1, err

"""Session files: a round trip, every bad file refused in one sentence with the session
untouched, atomic saves, data paths relative to the session file."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from gdstudio.app import ModelSpec, Session, SessionFileError
from gdstudio.core.schedules import Schedule


def _edited_session() -> Session:
    s = Session()
    s.set_function("x**2 + 3*y**2 + x*y")
    s.set_domain(((-2, 2), (-1.5, 2.5)))
    s.set_starts([(1.0, 1.0), (-1.5, 2.0)])
    s.update_settings(optimizer="adam", lr=0.05, max_steps=300, tol=1e-7, hyper={"adam": {"beta1": 0.8}},
                      schedule=Schedule("step", step_size=50, gamma=0.5))
    s.set_compare(lrs=[0.05, 0.1])
    s.set_view(arrows=False, camera="top", log_height=True)
    return s


def test_round_trip(tmp_path):
    s = _edited_session()
    p = tmp_path / "mine.gdsession"
    s.save(p)
    data = json.loads(p.read_text())
    assert data["format"] == "gdstudio-session" and data["version"] == 1
    t = Session.load(p)
    assert t.state == s.state and not t.modified and t.path == p
    a, b = s.run(), t.run()
    assert a.steps == b.steps and all(np.array_equal(x, y) for x, y in zip(a.trajectories, b.trajectories))


def test_random_starts_are_stored_as_sampler_count_and_seed(tmp_path):
    s = Session()
    s.random_starts(30, "halton", 7)
    p = tmp_path / "basins.gdsession"
    s.save(p)
    assert json.loads(p.read_text())["starts"] == {"sampler": "halton", "count": 30, "seed": 7}
    t = Session.load(p)
    assert np.array_equal(t.starts, s.starts) and t.basin_mode


def _csv(path, n=30):
    x = np.linspace(0, 3, n)
    np.savetxt(path, np.column_stack([x, 2 * np.exp(0.3 * x)]), delimiter=",", header="t,count", comments="")


def test_a_model_on_a_csv_beside_the_session_file_moves_with_it(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    _csv(a / "growth.csv")
    s = Session()
    s.set_model(ModelSpec("p*exp(q*x)", str(a / "growth.csv"), x="t", y="count"))
    s.set_lr(0.001)
    s.save(a / "fit.gdsession")
    stored = json.loads((a / "fit.gdsession").read_text())["problem"]
    assert stored["data"] == "growth.csv" and len(stored["sha256"]) == 64
    b = tmp_path / "moved"
    shutil.copytree(a, b)
    shutil.rmtree(a)
    t = Session.load(b / "fit.gdsession")
    assert t.problem.data == str((b / "growth.csv").resolve())
    assert np.array_equal(t.run().final_points, Session.load(b / "fit.gdsession").run().final_points)


BAD = {
    "not json": ("{not json", "is not valid JSON"),
    "wrong format": (json.dumps({"format": "something-else", "version": 1}), "is not a gdstudio session file"),
    "newer version": (json.dumps({"format": "gdstudio-session", "version": 99, "problem": {}}), "newer gdstudio"),
    "bad version": (json.dumps({"format": "gdstudio-session", "version": "one"}), "no valid session version"),
    "missing part": (json.dumps({"format": "gdstudio-session", "version": 1, "problem": {"kind": "function",
                                                                                         "text": "x"}}),
                     "\"settings\" entry is missing"),
    "bad optimizer": (None, "unknown optimizer"),
    "bad function": (None, "cannot be opened"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_leave_the_current_session_untouched(tmp_path, case):
    text, message = BAD[case]
    p = tmp_path / "bad.gdsession"
    if text is None:
        good = Session()
        good.save(p)
        data = json.loads(p.read_text())
        if case == "bad optimizer":
            data["settings"]["optimizer"] = "sgdx"
        else:
            data["problem"]["text"] = "x +* y"
        text = json.dumps(data)
    p.write_text(text)
    s = _edited_session()
    before, undo = s.state, s.undo_text
    with pytest.raises(SessionFileError, match=message) as err:
        s.open(p)
    assert str(err.value).count(". ") == 0 and str(p) in str(err.value)  # one sentence, naming the file
    assert s.state == before and s.undo_text == undo and s.path is None
    with pytest.raises(SessionFileError):
        Session.load(p)


def test_a_missing_or_changed_data_file_is_refused(tmp_path):
    _csv(tmp_path / "d.csv")
    s = Session()
    s.set_model(ModelSpec("a*x + b", str(tmp_path / "d.csv"), x="t", y="count"))
    s.save(tmp_path / "m.gdsession")
    _csv(tmp_path / "d.csv", n=31)  # the data changed
    with pytest.raises(SessionFileError, match="has changed since .* was saved"):
        Session.load(tmp_path / "m.gdsession")
    os.remove(tmp_path / "d.csv")
    with pytest.raises(SessionFileError, match="does not exist"):
        Session.load(tmp_path / "m.gdsession")


def test_a_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    p = tmp_path / "keep.gdsession"
    Session().save(p)
    old = p.read_bytes()
    s = _edited_session()

    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(SessionFileError, match="No space left on device"):
        s.save(p)
    assert p.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["keep.gdsession"]  # no temporary file left behind
    assert s.path is None and s.modified


def test_saving_into_a_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(SessionFileError, match="does not exist"):
        Session().save(tmp_path / "nope" / "x.gdsession")


def _gd(*args):
    return subprocess.run([sys.executable, "-m", "gdstudio", *args], capture_output=True, text=True, timeout=300)


def test_run_session_replays_what_session_run_gives(tmp_path):
    s = _edited_session()
    p = tmp_path / "replay.gdsession"
    s.save(p)
    out = _gd("run", "--session", str(p), "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    ref = s.run(record=False)
    assert len(got["runs"]) == len(ref) == 4
    for run, end, steps, status in zip(got["runs"], ref.final_points, ref.steps, ref.status):
        assert run["end"] == end.tolist() and run["steps"] == steps and run["status"] == status
    assert got["lr"] == [0.05, 0.1, 0.05, 0.1] and got["hyper"]["adam"]["beta1"] == 0.8


def test_run_session_options_override_the_session(tmp_path):
    s = _edited_session()
    p = tmp_path / "o.gdsession"
    s.save(p)
    out = _gd("run", "--session", str(p), "--json", "--optimizer", "gd", "--steps", "7", "--start=0.5,0.5")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["optimizer"] == "gd" and got["steps"] == 7 and got["starts"] == [[0.5, 0.5]] * 2
    s.set_optimizer("gd")
    s.set_max_steps(7)
    s.set_starts([(0.5, 0.5)])
    assert [r["end"] for r in got["runs"]] == s.run(record=False).final_points.tolist()


def test_run_session_with_a_bad_file_is_one_sentence(tmp_path):
    p = tmp_path / "x.gdsession"
    p.write_text("[]")
    out = _gd("run", "--session", str(p))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "is not a gdstudio session file" in out.stderr and "Traceback" not in out.stderr

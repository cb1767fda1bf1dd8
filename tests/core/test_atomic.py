"""Atomic writes as a pair: the CSV and its sidecar (and session files, which use the same
writer) are replaced together or not at all; nothing is ever left half-written."""

import os

import pytest

from gdstudio.core.runner import BatchDescent
from gdstudio.io import atomic
from gdstudio.io.atomic import AtomicFiles, WriteError, remove_partial_files, write_files_atomically
from gdstudio.io.trajectories import ExportError, stream_descent_csv

from ._bowl import Bowl


def _keep(tmp_path):
    (tmp_path / "keep.csv").write_text("old csv\n")
    (tmp_path / "keep.json").write_text('{"old": true}\n')
    return tmp_path / "keep.csv"


def _intact(tmp_path):
    assert (tmp_path / "keep.csv").read_text() == "old csv\n"
    assert (tmp_path / "keep.json").read_text() == '{"old": true}\n'
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]


def _run():
    return BatchDescent(Bowl(), [(1.0, 1.0), (0.5, -1.0)], "gd", lr=0.1, max_steps=20, tol=0)


def test_a_sidecar_that_cannot_be_written_leaves_both_old_files(tmp_path):
    path = tmp_path / "keep.csv"
    path.write_text("old csv\n")
    (tmp_path / "keep.json").mkdir()  # the sidecar's name is a folder
    with pytest.raises(ExportError, match="keep.json: it is a folder"):
        stream_descent_csv(path, _run())
    assert path.read_text() == "old csv\n"
    assert sorted(os.listdir(tmp_path)) == ["keep.csv", "keep.json"]


def test_a_failed_second_rename_puts_the_first_file_back(tmp_path, monkeypatch):
    path = _keep(tmp_path)
    real = os.replace

    def failing(src, dst):
        if str(dst).endswith(".json") and ".old.part" not in str(src):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing)
    with pytest.raises(ExportError, match="No space left"):
        stream_descent_csv(path, _run())
    monkeypatch.setattr(atomic.os, "replace", real)
    _intact(tmp_path)


def test_a_failed_write_of_either_file_leaves_both_old_files(tmp_path):
    path = _keep(tmp_path)
    with pytest.raises(RuntimeError):
        with AtomicFiles([path, tmp_path / "keep.json"]) as (a, b):
            a.write("new csv\n")
            raise RuntimeError("the disk filled")
    _intact(tmp_path)


def test_both_files_appear_together(tmp_path):
    path = _keep(tmp_path)
    rows = stream_descent_csv(path, _run())
    assert rows == 2 * 21
    assert (tmp_path / "keep.csv").read_text().startswith("run,step,x,y")
    assert '"rows": 42' in (tmp_path / "keep.json").read_text()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]


def test_write_files_atomically_for_small_documents(tmp_path):
    a, b = tmp_path / "a.gdsession", tmp_path / "b.bin"
    write_files_atomically({a: "text\n", b: b"\x00\x01"})
    assert a.read_text() == "text\n" and b.read_bytes() == b"\x00\x01"
    with pytest.raises(WriteError, match="not a regular file"):
        write_files_atomically({a: "new\n", "/dev/null": "x"})
    assert a.read_text() == "text\n"
    assert sorted(os.listdir(tmp_path)) == ["a.gdsession", "b.bin"]


def test_partial_files_can_be_removed_from_a_signal_handler(tmp_path):
    files = AtomicFiles([tmp_path / "x.csv"])
    (f,) = files.__enter__()
    f.write("half")
    assert [n for n in os.listdir(tmp_path) if n.endswith(".part")]
    assert remove_partial_files() >= 1
    assert os.listdir(tmp_path) == []
    files.abort()

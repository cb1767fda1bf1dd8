"""The window as a view of its session: undo and redo through the Edit menu, session files
through the File menu, and the round trip window -> file -> fresh window and command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLineEdit

from gdstudio.gui import MainWindow

from .helpers import click, make_window, map_point, wait_done


def _action(w, name) -> QAction:
    a = w.findChild(QAction, name)
    assert a is not None, name
    return a


def _type_function(qtbot, w, text):
    edit = w.findChild(QLineEdit, "functionEdit")
    edit.clear()
    qtbot.keyClicks(edit, text)
    edit.returnPressed.emit()
    qtbot.waitUntil(lambda: w.c.problem.objective.label.replace(" ", "") == text.replace(" ", ""), timeout=10_000)


def test_undo_and_redo_through_the_edit_menu(qtbot):
    w = make_window(qtbot, function="x**2 + 3*y**2", max_steps=300)
    undo, redo = _action(w, "actionUndo"), _action(w, "actionRedo")
    assert undo.shortcut() == QKeySequence("Ctrl+Z") and redo.shortcut() == QKeySequence("Ctrl+Shift+Z")
    n0 = w.c.starts.shape[0]
    w.link.add_start(1.0, -1.0)
    assert w.c.starts.shape[0] == n0 + 1 and undo.isEnabled() and "Add start" in undo.text()
    combo = w.findChild(QComboBox, "optimizerCombo")
    combo.setCurrentIndex(combo.findData("adam"))
    assert w.c.settings.optimizer == "adam"
    _type_function(qtbot, w, "(x - 1)**2 + y**2")
    undo.trigger()  # the function
    assert w.c.problem.objective.label.replace(" ", "") == "x**2+3*y**2"
    assert w.findChild(QLineEdit, "functionEdit").text().replace(" ", "") == "x**2+3*y**2"
    undo.trigger()  # the optimizer: the panel shows it too
    assert w.c.settings.optimizer == "gd" and combo.currentData() == "gd"
    undo.trigger()  # the start
    assert w.c.starts.shape[0] == n0
    redo.trigger()
    redo.trigger()
    assert w.c.starts.shape[0] == n0 + 1 and w.c.settings.optimizer == "adam"
    # a drag is one undo step however many moves it has
    before = w.c.starts.copy()
    for k in range(5):
        w.link.drag(0, 0.1 * k, 0.2)
    w.link.end_drag(0, 0.5, 0.2)
    assert np.allclose(w.c.starts[0], (0.5, 0.2))
    undo.trigger()
    assert np.allclose(w.c.starts, before)


def test_round_trip_window_file_fresh_window_and_command_line(qtbot, tmp_path):
    w = make_window(qtbot, function="x**2 + y**2", speed=None, max_steps=400, lr=0.01, tol=1e-8)
    _type_function(qtbot, w, "(x - 1)**2 + 4*(y + 0.5)**2")
    w.link.clear_starts()
    click(w.contour.viewport(), map_point(w.contour, 2.0, 1.5))  # click a start
    qtbot.waitUntil(lambda: w.c.starts.shape[0] == 1, timeout=5000)
    w.params.set_lr(0.03)  # set a learning rate
    combo = w.findChild(QComboBox, "optimizerCombo")
    combo.setCurrentIndex(combo.findData("momentum"))  # choose an optimizer
    assert w.session.settings.lr == 0.03 and w.session.settings.optimizer == "momentum"
    w.c.run()
    wait_done(qtbot, w)
    ends = w.c.store.pos.copy()
    path = tmp_path / "study.json"
    assert w.save_session(str(path))
    assert json.loads(path.read_text())["format"] == "gdstudio-session"
    assert w.windowTitle().startswith("study.json")

    fresh = MainWindow()
    qtbot.addWidget(fresh)
    assert fresh.open_session(str(path))
    assert np.array_equal(fresh.c.starts, w.c.starts)
    assert fresh.c.settings.lr == 0.03 and fresh.c.settings.optimizer == "momentum"
    fresh.link.settings({"speed": None})
    fresh.c.run()
    wait_done(qtbot, fresh)
    assert np.allclose(fresh.c.store.pos, ends, rtol=0, atol=1e-12)

    out = subprocess.run([sys.executable, "-m", "gdstudio", "run", "--session", str(path), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    runs = json.loads(out.stdout)["runs"]
    assert len(runs) == ends.shape[0]
    assert np.allclose([r["end"] for r in runs], ends, rtol=0, atol=1e-12)
    assert [r["steps"] for r in runs] == [int(v) for v in w.c.store.steps]


def test_a_bad_session_file_is_one_sentence_and_the_session_is_untouched(qtbot, tmp_path):
    w = make_window(qtbot, function="x**2 + 3*y**2")
    w.link.add_start(0.5, 0.5)
    state, problem = w.session.state, w.c.problem
    bad = tmp_path / "notes.json"
    bad.write_text("this is not json")
    assert not w.open_session(str(bad))
    text = w.message.text()
    assert str(bad) in text and text.endswith(".") and text.count(". ") == 0
    assert w.session.state is state and w.c.problem is problem
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"format": "gdstudio-session", "version": 99}))
    assert not w.open_session(str(newer))
    assert "version" in w.message.text() and w.session.state is state


def test_file_menu_new_open_save_and_recent(qtbot, tmp_path, monkeypatch):
    w = make_window(qtbot, function="x**2 + 3*y**2")
    for name, keys in (("actionOpenSession", "Ctrl+O"), ("actionSaveSession", "Ctrl+S"),
                       ("actionSaveSessionAs", "Ctrl+Shift+S")):
        assert _action(w, name).shortcut() == QKeySequence(keys), name
    w.link.add_start(1.5, 1.5)
    paths = []
    for k in range(10):
        p = tmp_path / f"s{k}.json"
        assert w.save_session(str(p))
        paths.append(str(p.resolve()))
    assert w.files.recent() == paths[::-1][:8]  # the last 8, newest first
    recent = [a for a in w.files.recent_menu.actions()]
    assert len(recent) == 8 and recent[0].toolTip() == paths[-1]
    _action(w, "actionNewSession").trigger()
    assert w.session.path is None and not w.session.can_undo
    assert w.windowTitle().startswith("untitled")
    recent[0].trigger()  # File → Open recent → the newest
    assert str(w.session.path.resolve()) == paths[-1]
    assert any(np.allclose(p, (1.5, 1.5)) for p in w.c.starts)
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName",
                        staticmethod(lambda *a, **k: (paths[0], "")))
    _action(w, "actionOpenSession").trigger()
    assert str(w.session.path.resolve()) == paths[0]


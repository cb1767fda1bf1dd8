"""Choosing a preset in the window applies its recommended settings (issue 8): the widgets
show them, Run shows what the preset is there to show, and one Ctrl+Z brings back the
previous function and settings."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox, QTableWidget

from gdstudio.core.presets import PRESETS
from gdstudio.core.status import CONVERGED, DIVERGED

from .helpers import make_window, wait_done


def _pick(qtbot, w, name):
    combo = w.findChild(QComboBox, "presetCombo")
    combo.setCurrentIndex(combo.findData(name))
    qtbot.waitUntil(lambda: w.session.problem.text == name and w.c.problem.objective.preset is not None
                    and w.c.problem.objective.preset.name == name, timeout=15_000)


def _widgets(w):
    return (w.findChild(QComboBox, "optimizerCombo").currentData(),
            float(w.findChild(QLineEdit, "learningRateEdit").text()),
            w.findChild(QSpinBox, "stepsEdit").value(),
            float(w.findChild(QLineEdit, "toleranceEdit").text()))


def _start_rows(w):
    t = w.findChild(QTableWidget, "startList")
    return [(float(t.item(r, 0).text()), float(t.item(r, 1).text())) for r in range(t.rowCount())]


def test_picking_rosenbrock_applies_its_settings_runs_to_the_minimum_and_ctrl_z_restores(qtbot):
    w = make_window(qtbot, function="x**2 + 3*y**2", lr=0.2, max_steps=300, optimizer="adam")
    w.session.set_starts([(1.0, -1.0), (0.5, 0.5)])
    w.findChild(QLineEdit, "compareLrEdit").setText("0.1, 0.2")
    w.findChild(QLineEdit, "compareLrEdit").editingFinished.emit()
    assert w.session.settings.compare_lrs == (0.1, 0.2)
    before = w.session.state

    _pick(qtbot, w, "rosenbrock")
    rec = PRESETS["rosenbrock"].recommended
    assert _widgets(w) == ("momentum", 5e-4, 10000, 1e-4)
    assert float(w.findChild(QLineEdit, "momentumEdit").text()) == 0.9
    assert _start_rows(w) == [(-1.5, 2.0)] == [tuple(p) for p in rec.starts]
    assert w.findChild(QLineEdit, "compareLrEdit").text() == ""  # the comparison is off
    assert w.session.undo_text == "Preset"

    w.buttons["run"].click()
    wait_done(qtbot, w, timeout=30_000)
    st = w.c.store
    assert int(st.status[0]) == CONVERGED and np.allclose(st.pos[0], (1.0, 1.0), atol=1e-2)
    assert w.findChild(QLabel, "stateLabel").text() == "finished"

    w.findChild(QAction, "actionUndo").trigger()  # Ctrl+Z: one step back, all of it
    qtbot.waitUntil(lambda: w.c.problem.objective.preset is None, timeout=5000)
    assert w.session.state == before
    assert _widgets(w) == ("adam", 0.2, 300, w.session.settings.tol)
    assert _start_rows(w) == [(1.0, -1.0), (0.5, 0.5)]
    assert w.findChild(QComboBox, "presetCombo").currentData() is None
    assert w.findChild(QLineEdit, "compareLrEdit").text() == "0.1, 0.2"


def test_random_recommended_starts_show_in_the_starts_panel(qtbot):
    w = make_window(qtbot, function="x**2 + y**2")
    _pick(qtbot, w, "rastrigin")
    rec = PRESETS["rastrigin"].recommended
    assert w.findChild(QSpinBox, "randomStartsCount").value() == rec.random_starts
    assert w.findChild(QComboBox, "samplerCombo").currentData() == rec.sampler
    assert w.c.starts.shape == (rec.random_starts, 2) and w.c.basin_mode


#: a few steps are enough to catch a rate that is too large: it diverges within them (the
#: whole runs at the recommended steps are checked headless in tests/app/test_preset_settings.py)
STEPS = 150


@pytest.fixture(scope="module")
def window(qapp):
    """One window for every preset (picked one after the other, as a person would)."""
    from gdstudio.gui import MainWindow

    w = MainWindow(function="x**2 + y**2")
    w.resize(1400, 900)
    w.show()
    w.link.settings(dict(speed=None, lr=2.0))  # a rate that would diverge on every preset
    w.params.set_speed(None)
    yield w
    w.close()  # stops the worker and the jobs
    w.deleteLater()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_picked_in_the_window_runs_without_divergence(qtbot, window, name):
    w = window
    _pick(qtbot, w, name)
    rec = PRESETS[name].recommended
    assert _widgets(w) == (rec.optimizer, rec.lr, rec.steps, rec.tol)
    steps = w.findChild(QSpinBox, "stepsEdit")
    steps.setValue(STEPS)  # the person may change the settings after
    assert w.session.settings.max_steps == STEPS and w.session.settings.lr == rec.lr
    w.buttons["run"].click()
    wait_done(qtbot, w, timeout=20_000)
    status = np.asarray(w.c.store.status[: w.c.store.n])
    assert status.size == len(w.session.run_specs()) and DIVERGED not in status
    assert "diverged" not in w.findChild(QLabel, "stateLabel").text()


def test_a_preset_named_on_the_command_line_arrives_at_its_recommended_settings(qtbot):
    """`gdstudio rosenbrock` (gui/app.main) opens the window as if the preset had been chosen
    in it: Run converges instead of diverging at the default rate."""
    from gdstudio.gui import MainWindow

    w = MainWindow(function="rosenbrock", recommended=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.c.problem is not None and w.c.problem.objective.preset is not None, timeout=15_000)
    rec = PRESETS["rosenbrock"].recommended
    assert _widgets(w) == (rec.optimizer, rec.lr, rec.steps, rec.tol)
    assert _start_rows(w) == [tuple(p) for p in rec.starts]
    assert not w.session.can_undo  # the document it opened on, not an edit of the default
    w.buttons["run"].click()
    wait_done(qtbot, w, timeout=30_000)
    assert int(w.c.store.status[0]) == CONVERGED
    # without the flag (the tests' windows, a typed function) nothing is applied
    plain = MainWindow(function="rosenbrock")
    qtbot.addWidget(plain)
    assert plain.session.settings.optimizer != rec.optimizer or plain.session.settings.lr != rec.lr

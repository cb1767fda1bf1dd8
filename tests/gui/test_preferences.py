"""Edit → Preferences…: where landscapes and sweeps are computed, in the real window. The choice
is saved, reaches the network panel's landscape and the Sweep dock (a local cluster computes
the same grid and the same rows as this process), an unreachable scheduler is one sentence in
the panel, and without Dask the cluster choices say so and are disabled."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QLabel, QLineEdit, QPushButton, QRadioButton, QSpinBox,
                               QTableWidget)

from gdstudio.app import compute as compute_mod
from gdstudio.app.compute import ComputeTarget
from gdstudio.gui.dialogs import settings_store
from gdstudio.gui.preferences import KEY_WHERE, load_compute_target

from .helpers import make_window

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def _fresh_preferences():
    """Every window of the test session reads the same preferences: start and end with none."""
    st = settings_store()
    st.remove("compute")
    st.sync()
    yield
    st = settings_store()
    st.remove("compute")
    st.sync()


@pytest.fixture
def win(qtbot):
    w = make_window(qtbot)
    yield w
    w.compute.close()


def _find(w, cls, name):
    obj = w.findChild(cls, name)
    assert obj is not None, name
    return obj


def _open_preferences(w, qtbot) -> QDialog:
    action = _find(w, type(w.action_preferences), "actionPreferences")
    assert action in w.menuBar().actions()[1].menu().actions()  # in the Edit menu
    action.trigger()
    dlg = w.findChild(QDialog, "preferencesDialog")
    assert dlg is not None and dlg.isVisible()
    return dlg


def _choose(w, qtbot, kind, workers=1, address=""):
    dlg = _open_preferences(w, qtbot)
    radio = {"process": "computeProcessRadio", "local": "computeLocalRadio",
             "scheduler": "computeSchedulerRadio"}[kind]
    _click_radio(qtbot, dlg.findChild(QRadioButton, radio))
    dlg.findChild(QSpinBox, "computeWorkersSpin").setValue(workers)
    dlg.findChild(QLineEdit, "computeAddressEdit").setText(address)
    dlg.accept()
    assert not dlg.isVisible()


def _click_radio(qtbot, radio: QRadioButton) -> None:
    """A click on the button's circle (a radio button only takes clicks on its circle and text)."""
    qtbot.mouseClick(radio, LEFT, pos=QPoint(6, radio.height() // 2))
    assert radio.isChecked()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_choice_is_saved_and_an_incomplete_one_is_refused(win, qtbot):
    w = win
    dlg = _open_preferences(w, qtbot)
    assert dlg.findChild(QRadioButton, "computeProcessRadio").isChecked()  # the default
    assert not dlg.findChild(QSpinBox, "computeWorkersSpin").isEnabled()
    _click_radio(qtbot, dlg.findChild(QRadioButton, "computeSchedulerRadio"))
    assert dlg.findChild(QLineEdit, "computeAddressEdit").isEnabled()
    dlg.accept()  # no address: one sentence, the dialog stays
    err = dlg.findChild(QLabel, "preferencesError")
    assert dlg.isVisible() and err.isVisible() and "scheduler's address" in err.text()
    assert w.compute.target == ComputeTarget()
    dlg.reject()
    _choose(w, qtbot, "local", workers=3)
    assert w.compute.target == ComputeTarget("local", 3, "")
    assert settings_store().value(KEY_WHERE) == "local"
    assert load_compute_target() == ComputeTarget("local", 3, "")  # the next window starts with it
    dlg = _open_preferences(w, qtbot)
    assert dlg.findChild(QRadioButton, "computeLocalRadio").isChecked()
    assert dlg.findChild(QSpinBox, "computeWorkersSpin").value() == 3
    dlg.reject()


def test_without_dask_the_cluster_choices_say_so_and_are_disabled(win, qtbot, monkeypatch):
    import gdstudio.app.executors as executors

    monkeypatch.setattr(executors, "dask_available", lambda: False)
    dlg = _open_preferences(win, qtbot)
    note = dlg.findChild(QLabel, "computeDaskNote")
    assert note.isVisible() and "Dask is not installed" in note.text() and "gdstudio[dask]" in note.text()
    for name in ("computeLocalRadio", "computeSchedulerRadio"):
        assert not dlg.findChild(QRadioButton, name).isEnabled()
    assert dlg.findChild(QRadioButton, "computeProcessRadio").isChecked()
    dlg.reject()
    st = settings_store()
    st.setValue(KEY_WHERE, "local")
    assert load_compute_target().in_process  # a saved cluster choice without Dask: this process


def _train_network(w, qtbot):
    w.model_dock.raise_()
    _find(w, QLineEdit, "hiddenEdit").setText("3")
    _find(w, QSpinBox, "trainStepsSpin").setValue(40)
    _find(w, QSpinBox, "initsSpin").setValue(2)
    combo = _find(w, QComboBox, "modelCombo")
    combo.setCurrentIndex(combo.findData("mlp"))
    qtbot.waitUntil(lambda: w.c.problem is not None and w.c.problem.objective.dim == 2
                    and "W1" in w.c.problem.objective.names[0], timeout=15_000)
    qtbot.mouseClick(_find(w, QPushButton, "landscapeButton"), LEFT)


def test_a_local_cluster_computes_the_same_landscape_as_this_process(win, qtbot):
    w = win
    _choose(w, qtbot, "local", workers=1)
    _train_network(w, qtbot)
    desc = _find(w, QLabel, "modelDescription")
    qtbot.waitUntil(lambda: tuple(w.c.problem.objective.names) == ("PC1", "PC2"), timeout=90_000)
    assert "computed on a local Dask cluster of 1 worker process." in desc.text()
    shown = w.models.shown
    Z_cluster = np.array(shown.grid.Z)
    assert Z_cluster.shape == (161, 161) and np.isfinite(Z_cluster).all()
    # the same plane again, computed in this process (a click on the init's row)
    _choose(w, qtbot, "process")
    table = _find(w, QTableWidget, "initsTable")
    k = shown.extra["init"]
    table.cellClicked.emit(k, 0)
    phase = _find(w, QLabel, "landscapePhase")
    qtbot.waitUntil(lambda: phase.text().startswith("Done") and w.models.shown is not shown, timeout=60_000)
    qtbot.waitUntil(lambda: "computed on" not in desc.text(), timeout=5000)
    assert w.models.shown.extra.get("init") == k
    assert np.array_equal(np.array(w.models.shown.grid.Z), Z_cluster)  # bit for bit


def test_an_unreachable_scheduler_is_one_sentence_in_the_panels(win, qtbot, monkeypatch):
    w = win
    monkeypatch.setattr(compute_mod, "CONNECT_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    _choose(w, qtbot, "scheduler", address=address)
    # the Sweep dock
    p = w.sweep
    p.x_range.setText("0.01,0.05")
    p.y_range.setText("0.5")
    p.steps.setValue(50)
    p.run_button.click()
    qtbot.waitUntil(lambda: p._job is None, timeout=60_000)
    assert p.error.isVisible()
    text = p.error.text()
    assert text.startswith(f"Cannot reach the Dask scheduler at {address}") and "Preferences" in text
    assert text.count(". ") == 0 and p.run_button.isEnabled()
    # the network panel's landscape
    _train_network(w, qtbot)
    err = _find(w, QLabel, "networkError")
    qtbot.waitUntil(err.isVisible, timeout=90_000)
    assert f"Cannot reach the Dask scheduler at {address}" in err.text()
    assert _find(w, QPushButton, "landscapeButton").isEnabled()

"""The Preferences dialog (Edit → Preferences…): where landscapes and sweeps are computed.

"Compute landscapes and sweeps on": this process (the default), a local cluster of N worker
processes, or a Dask scheduler at an address. The choice is kept in the preferences
(QSettings ``compute/where``, ``compute/workers``, ``compute/address``) and handed to the
window's :class:`~gdstudio.app.compute.SharedExecutor`, which the network panel's landscape
and the Sweep dock compute on. Without Dask the two cluster choices say so and are disabled.

objectNames: ``preferencesDialog``, ``computeProcessRadio``, ``computeLocalRadio``,
``computeWorkersSpin``, ``computeSchedulerRadio``, ``computeAddressEdit``,
``computeDaskNote``, ``preferencesError``.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QRadioButton, QSpinBox, QVBoxLayout)

from ..app.compute import ComputeTarget
from .dialogs import settings_store
from .text import ERROR_STYLE, NOTE_STYLE, label

KEY_WHERE = "compute/where"
KEY_WORKERS = "compute/workers"
KEY_ADDRESS = "compute/address"
#: the most local worker processes the dialog offers
MAX_LOCAL_WORKERS = 64


def load_compute_target() -> ComputeTarget:
    """The saved choice; this process when nothing (or nothing usable) is saved, or when the
    saved choice needs Dask and Dask is not installed."""
    from ..app.executors import dask_available

    st = settings_store()
    where = str(st.value(KEY_WHERE, "process") or "process")
    try:
        workers = int(st.value(KEY_WORKERS, 2))
    except (TypeError, ValueError):
        workers = 2
    address = str(st.value(KEY_ADDRESS, "") or "")
    if where not in ("local", "scheduler") or not dask_available():
        where = "process"
    return ComputeTarget(where, max(1, min(MAX_LOCAL_WORKERS, workers)), address)


def save_compute_target(target: ComputeTarget) -> None:
    st = settings_store()
    st.setValue(KEY_WHERE, target.kind)
    st.setValue(KEY_WORKERS, int(target.workers))
    st.setValue(KEY_ADDRESS, target.address)
    st.sync()


class PreferencesDialog(QDialog):
    """Shown non-modal; OK saves the choice and calls ``apply(target)``."""

    def __init__(self, target: ComputeTarget, apply: Callable[[ComputeTarget], None], parent=None):
        from ..app.executors import DASK_MISSING, dask_available

        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self._apply = apply
        lay = QVBoxLayout(self)
        box = QGroupBox("Compute landscapes and sweeps on")
        bl = QVBoxLayout(box)
        self.process = QRadioButton("this process")
        self.process.setObjectName("computeProcessRadio")
        self.process.setToolTip("Compute in the studio's own process, in the background")
        bl.addWidget(self.process)
        lrow = QHBoxLayout()
        self.local = QRadioButton("a local cluster of")
        self.local.setObjectName("computeLocalRadio")
        self.local.setToolTip("Start Dask worker processes on this machine (once, when first needed)")
        self.workers = QSpinBox()
        self.workers.setObjectName("computeWorkersSpin")
        self.workers.setRange(1, MAX_LOCAL_WORKERS)
        self.workers.setValue(int(target.workers))
        lrow.addWidget(self.local)
        lrow.addWidget(self.workers)
        workers_label = QLabel("workers")
        lrow.addWidget(workers_label)
        lrow.addStretch(1)
        bl.addLayout(lrow)
        srow = QHBoxLayout()
        self.scheduler = QRadioButton("a Dask scheduler at")
        self.scheduler.setObjectName("computeSchedulerRadio")
        self.scheduler.setToolTip("A running Dask cluster (dask scheduler, dask worker) reached by address")
        self.address = QLineEdit(target.address)
        self.address.setObjectName("computeAddressEdit")
        self.address.setPlaceholderText("tcp://host:8786")
        srow.addWidget(self.scheduler)
        srow.addWidget(self.address, 1)
        bl.addLayout(srow)
        self.group = QButtonGroup(self)
        for b in (self.process, self.local, self.scheduler):
            self.group.addButton(b)
        self.dask_note = label("computeDaskNote", style=NOTE_STYLE)
        has_dask = dask_available()
        if not has_dask:
            self.dask_note.setText(DASK_MISSING.replace(", or run in-process with --workers 0", "") + ".")
            for w in (self.local, self.workers, workers_label, self.scheduler, self.address):
                w.setEnabled(False)
        self.dask_note.setVisible(not has_dask)
        bl.addWidget(self.dask_note)
        lay.addWidget(box)
        self.error = label("preferencesError", style=ERROR_STYLE, hidden=True)
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        {"local": self.local, "scheduler": self.scheduler}.get(
            target.kind if has_dask else "process", self.process).setChecked(True)
        self.local.toggled.connect(self._enable)
        self.scheduler.toggled.connect(self._enable)
        self._enable()

    def _enable(self, *_a) -> None:
        from ..app.executors import dask_available

        if dask_available():
            self.workers.setEnabled(self.local.isChecked())
            self.address.setEnabled(self.scheduler.isChecked())

    def target(self) -> Optional[ComputeTarget]:
        """The choice in the dialog; None (with one sentence shown) when it is incomplete."""
        if self.scheduler.isChecked():
            address = self.address.text().strip()
            if not address:
                self.error.setText("Type the Dask scheduler's address, e.g. tcp://10.0.0.5:8786.")
                self.error.show()
                return None
            return ComputeTarget("scheduler", int(self.workers.value()), address)
        kind = "local" if self.local.isChecked() else "process"
        return ComputeTarget(kind, int(self.workers.value()), self.address.text().strip())

    def accept(self) -> None:
        target = self.target()
        if target is None:
            return
        self.error.hide()
        save_compute_target(target)
        self._apply(target)
        super().accept()

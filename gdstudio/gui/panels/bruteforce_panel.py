"""Brute force against gradient descent (objectName ``bruteForcePanel``).

* A grid search on the problem the window shows now: k points per axis over its domain
  (``gridPointsSpin``, ``gridSearchButton``), k² evaluations, run in the background by
  ``gdstudio.core.bruteforce.grid_search``; its best point is marked on the map. The result
  (``gridResultLabel``) is set against the selected run of gradient descent
  (``gdResultLabel``: its steps and value, live).
* The curse of dimensionality (``sweepTable``): ``bruteforce.dimension_sweep(range(1, 9))``,
  the evaluations a grid needs to land within 0.05 of the minimiser of a d-dimensional bowl
  (kᵈ) against the steps gradient descent needs for the same accuracy.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..text import NOTE_STYLE, fmt

SWEEP_DIMS = range(1, 9)
#: the live line on gradient descent changes at most this often while runs run (ms)
GD_LABEL_MS = 250
EXPLANATION = ("The curse of dimensionality: to get within 0.05 of the minimum a grid needs k points on "
               "every axis, so kᵈ evaluations — it explodes with the dimension d — while gradient descent "
               "follows the slope and needs about the same number of steps in any dimension.")


class BruteForcePanel(QWidget):
    def __init__(self, features, parent=None):
        super().__init__(parent)
        self.f = features
        self.setObjectName("bruteForcePanel")
        self.setMinimumWidth(260)
        self.result = None  # the last GridResult
        self._gd_stale = False
        self._gd_written = 0.0
        self._gd_timer = QTimer(self)
        self._gd_timer.setSingleShot(True)
        self._gd_timer.timeout.connect(self._write_gd)
        self._job = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        intro = QLabel("Brute force evaluates the cost everywhere on a grid; gradient descent only "
                       "where it walks.")
        intro.setWordWrap(True)
        intro.setStyleSheet(NOTE_STYLE)
        lay.addWidget(intro)
        row = QHBoxLayout()
        row.addWidget(QLabel("Grid points per axis k"))
        self.k = QSpinBox()
        self.k.setObjectName("gridPointsSpin")
        self.k.setRange(2, 1000)
        self.k.setValue(30)
        row.addWidget(self.k)
        row.addStretch(1)
        lay.addLayout(row)
        self.button = QPushButton("Grid search the map (k × k evaluations)")
        self.button.setObjectName("gridSearchButton")
        lay.addWidget(self.button)
        self.grid_label = QLabel("Grid search: not run yet.")
        self.grid_label.setObjectName("gridResultLabel")
        self.grid_label.setWordWrap(True)
        self.grid_label.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.grid_label)
        self.gd_label = QLabel("")
        self.gd_label.setObjectName("gdResultLabel")
        self.gd_label.setWordWrap(True)
        self.gd_label.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.gd_label)
        title = QLabel("<b>Across dimensions</b> (a d-dimensional bowl on [−1, 1]ᵈ, accuracy 0.05)")
        title.setWordWrap(True)
        lay.addWidget(title)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("sweepTable")
        self.table.setHorizontalHeaderLabels(["d", "k", "grid evaluations kᵈ", "GD steps"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.table, 1)
        note = QLabel("* too many to run: the count kᵈ is the formula's")
        note.setStyleSheet(NOTE_STYLE)
        note.setWordWrap(True)
        lay.addWidget(note)
        self.explanation = QLabel(EXPLANATION)
        self.explanation.setObjectName("curseLabel")
        self.explanation.setWordWrap(True)
        lay.addWidget(self.explanation)
        self.button.clicked.connect(self.grid_search)
        self.rows = []

    # -- grid search on the current problem ------------------------------------------------------
    def grid_search(self) -> None:
        c = self.f.controller
        if c.problem is None:
            return
        from ...core.bruteforce import grid_search

        obj, dom, k = c.problem.objective, c.problem.domain, int(self.k.value())
        names = tuple(obj.names)
        self.button.setEnabled(False)
        self.grid_label.setText(f"Grid search: evaluating {k}×{k} = {k * k:,} points…")

        def work(job):
            return grid_search(obj, dom, k), names, k

        self._job = self.f.jobs.start(work, self._found, self._failed, name="gdstudio-grid")

    def _found(self, out) -> None:
        res, names, k = out
        self.button.setEnabled(True)
        self.result = res
        p = res.best_point
        self.grid_label.setText(
            f"Grid search {k}×{k}: <b>{res.evaluations:,} evaluations</b>, best value "
            f"{fmt(res.best_value)} at ({names[0]}, {names[1]}) = ({fmt(p[0])}, {fmt(p[1])}) "
            f"(✕ on the map); it can be no closer than half a cell to the minimum.")
        self.f.mark_grid_best(p)
        self.update_gd()

    def _failed(self, message, err) -> None:
        self.button.setEnabled(True)
        self.grid_label.setText(f"Grid search failed: {message}")

    def update_gd(self) -> None:
        """The selected run's steps and value against the grid's. While runs run, at most
        every ``GD_LABEL_MS`` and only while the panel shows: a new text re-lays the panel, its
        dock and the window out (~3 ms a frame), and a wrapped line more resized the map."""
        if self.f.controller.state == "running":
            if not self.isVisible():
                self._gd_stale = True
                return
            if self._gd_timer.isActive():
                return
            wait = GD_LABEL_MS - (time.monotonic() - self._gd_written) * 1000
            if wait > 0:
                self._gd_timer.start(int(wait) + 1)
                return
        self._write_gd()

    def showEvent(self, ev) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(ev)
        if self._gd_stale:
            self._write_gd()

    def _write_gd(self) -> None:
        self._gd_stale = False
        self._gd_written = time.monotonic()
        c = self.f.controller
        st = c.store
        r = c.selected if 0 <= c.selected < st.n else (0 if st.n else -1)
        if r < 0:
            self.gd_label.setText("Gradient descent: no run yet (press ▶ Run).")
            return
        steps = int(st.steps[r])
        v = float(st.val[r])
        if steps == 0:
            self.gd_label.setText(f"Gradient descent (run {r}): at its start, value {fmt(v)}; press ▶ Run.")
            return
        grads = 2 * steps  # one value-and-gradient per step (~ two evaluations' cost)
        cmp = ""
        if self.result is not None:
            better = "lower" if v < self.result.best_value else "higher"
            cmp = (f" — {better} than the grid's best with {steps:,} steps against "
                   f"{self.result.evaluations:,} evaluations")
        self.gd_label.setText(f"Gradient descent (run {r}): <b>{steps:,} steps</b> (each one gradient, "
                              f"about {grads:,} evaluations' work), value now {fmt(v)}{cmp}.")

    # -- the sweep -----------------------------------------------------------------------------
    def compute_sweep(self) -> None:
        from ...core.bruteforce import dimension_sweep

        def work(job):
            return dimension_sweep(SWEEP_DIMS)

        self.f.jobs.start(work, self._swept, lambda m, e: self.explanation.setText(f"Sweep failed: {m}"),
                          name="gdstudio-sweep")

    def _swept(self, rows) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            ev = f"{r.grid_evaluations:,}" if r.grid_evaluations < 1e7 else f"{r.grid_evaluations:.2e}"
            if not r.grid_measured:
                ev += " *"
            cells = [str(r.dim), str(r.grid_points_per_axis), ev, f"{r.gd_steps:,}"]
            for c, text in enumerate(cells):
                it = QTableWidgetItem(text)
                it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, it)
        self.table.resizeRowsToContents()

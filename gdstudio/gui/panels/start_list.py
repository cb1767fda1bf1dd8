"""The start list (in the Setup dock's Starts box): every start point as x and y, typed
exactly. objectNames: ``startList`` (the table: double-click or F2 a cell and type a number),
``addStartButton`` (one more start, typed in the x and y fields ``newStartX``/``newStartY``),
``removeStartButton`` (removes the selected starts).

The panel shows the session's start points (``set_points``) and sends edits out as signals;
the window sends them to the session, so each edit is one undo step and part of the saved
session. Random starts (hundreds) are listed too; the list shows the first
``MAX_LISTED`` of them.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from ...app.start_text import parse_point

MAX_LISTED = 200


def _num(text: str) -> float:
    v = float(str(text).strip().replace("−", "-"))
    if not math.isfinite(v):
        raise ValueError
    return v + 0.0


class StartList(QGroupBox):
    #: start i moved to (x, y)
    sig_move = Signal(int, float, float)
    #: a new start at (x, y)
    sig_add = Signal(float, float)
    #: remove these starts (indices, highest first)
    sig_remove = Signal(list)
    #: a sentence: what could not be read
    sig_error = Signal(str)

    def __init__(self, parent=None):
        super().__init__("Start points", parent)
        self.setObjectName("startListBox")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("startList")
        self.table.setHorizontalHeaderLabels(["x", "y"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setMaximumHeight(130)
        self.table.setToolTip("The start points, exactly: double-click a number (or select it and type) "
                              "to change it; Enter applies (an undo step)")
        self.table.itemChanged.connect(self._edited)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.new_x = QLineEdit()
        self.new_x.setObjectName("newStartX")
        self.new_x.setPlaceholderText("x")
        self.new_y = QLineEdit()
        self.new_y.setObjectName("newStartY")
        self.new_y.setPlaceholderText("y")
        for e in (self.new_x, self.new_y):
            e.setMaximumWidth(80)
            e.returnPressed.connect(self._add)
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("addStartButton")
        self.add_button.clicked.connect(self._add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeStartButton")
        self.remove_button.clicked.connect(self._remove)
        for w in (self.new_x, self.new_y, self.add_button, self.remove_button):
            row.addWidget(w)
        row.addStretch(1)
        lay.addLayout(row)
        self._points = np.empty((0, 2))
        self._filling = False

    def set_points(self, P) -> None:
        """Show the start points (M, 2) exactly (each cell's text is the float's repr)."""
        P = np.asarray(P, float).reshape(-1, 2)
        self._points = P.copy()
        self._filling = True
        try:
            shown = P[:MAX_LISTED]
            self.table.setRowCount(shown.shape[0])
            for i, (x, y) in enumerate(shown):
                for j, v in enumerate((x, y)):
                    item = self.table.item(i, j)
                    text = f"{float(v)!r}"
                    if item is None:
                        self.table.setItem(i, j, QTableWidgetItem(text))
                    elif item.text() != text:
                        item.setText(text)
            self.setTitle("Start points" if P.shape[0] <= MAX_LISTED
                          else f"Start points (first {MAX_LISTED} of {P.shape[0]:,})")
        finally:
            self._filling = False

    def points(self) -> np.ndarray:
        return self._points.copy()

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        i, j = item.row(), item.column()
        if i >= self._points.shape[0]:
            return
        try:
            v = _num(item.text())
        except ValueError:
            self.sig_error.emit(f"start {i + 1}: {'x' if j == 0 else 'y'} must be a number, not {item.text()!r}")
            self.set_points(self._points)  # back to what applies
            return
        x, y = self._points[i]
        x, y = (v, y) if j == 0 else (x, v)
        self.sig_move.emit(i, float(x), float(y))

    def _add(self) -> None:
        text = f"{self.new_x.text()}, {self.new_y.text()}"
        try:
            x, y = parse_point(text)
        except ValueError:
            self.sig_error.emit("type a number in both x and y to add a start (e.g. 1 and 0)")
            return
        self.new_x.clear()
        self.new_y.clear()
        self.sig_add.emit(x, y)

    def _remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()}
                      | {i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        if rows:
            self.sig_remove.emit(rows)

"""The runs table (objectName ``runsTable``): a QTableView over a QAbstractTableModel that
reads the controller's arrays lazily, so 10,000 rows cost nothing until they are visible.

Columns: run, optimizer, start, end, value, steps, status, critical point. Selecting a row
selects that run in every view; the table follows the selection made elsewhere. Sorting
(click a header) is done once, on demand (the proxy does not re-sort while runs advance).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from .. import palette

COLUMNS = ("run", "optimizer", "start", "end", "value", "steps", "status", "critical point")
from ...core.status import STATUS_LABELS as _STATUS
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def _pt(p) -> str:
    return f"({p[0]:.3g}, {p[1]:.3g})"


class RunsModel(QAbstractTableModel):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.c = controller
        self._rows = 0

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, col = index.row(), index.column()
        st = self.c.store
        if r >= st.n or r >= len(self.c.specs):
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return palette.qcolor(self.c.run_color(r))
        if role == SORT_ROLE:
            return self._sort_key(r, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col == 0:
            return str(r)
        if col == 1:
            return self.c.specs[r].label
        if col == 2:
            return _pt(st.starts[r])
        if col == 3:
            return _pt(st.pos[r])
        if col == 4:
            return f"{st.val[r]:.4g}"
        if col == 5:
            return f"{int(st.steps[r]):,}"
        if col == 6:
            if not st.owned[r] and r not in st.instant:
                return "not started"
            return _STATUS[int(st.status[r])]
        if col == 7:
            return self.c.run_kind(r)
        return None

    def _sort_key(self, r, col):
        st = self.c.store
        if col == 0:
            return r
        if col == 4:
            v = float(st.val[r])
            return v if np.isfinite(v) else float("inf")
        if col == 5:
            return int(st.steps[r])
        return self.data(self.index(r, col))

    def reset_rows(self) -> None:
        self.beginResetModel()
        self._rows = self.c.store.n
        self.endResetModel()

    def refresh(self) -> None:
        if self.c.store.n != self._rows:
            self.reset_rows()
        elif self._rows:
            self.dataChanged.emit(self.index(0, 2), self.index(self._rows - 1, len(COLUMNS) - 1),
                                  [Qt.ItemDataRole.DisplayRole])


class RunsTable(QTableView):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.setObjectName("runsTable")
        self.c = controller
        self.model_ = RunsModel(controller, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model_)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(False)
        self.setModel(self.proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        for col, w in enumerate((58, 62, 112, 112, 76, 52, 74, 96)):
            self.setColumnWidth(col, w)
        self._syncing = False
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        controller.sig_runs_reset.connect(self.model_.reset_rows)
        controller.sig_selection_changed.connect(self.show_run)
        self._ticks = 0

    def refresh(self) -> None:
        """New values (called by the window's redraw, about 10 times a second)."""
        self.model_.refresh()

    def _current_changed(self, current, previous) -> None:
        if self._syncing or not current.isValid():
            return
        r = self.proxy.mapToSource(current).row()
        self.c.select_run(r)

    def show_run(self, r: int) -> None:
        if r < 0:
            return
        src = self.model_.index(r, 0)
        idx = self.proxy.mapFromSource(src)
        if not idx.isValid():
            return
        cur = self.selectionModel().currentIndex()
        if cur.isValid() and cur.row() == idx.row():
            return
        self._syncing = True
        try:
            self.selectionModel().setCurrentIndex(
                idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.scrollTo(idx)
        finally:
            self._syncing = False

    def selected_runs(self) -> list[int]:
        rows = {self.proxy.mapToSource(i).row() for i in self.selectionModel().selectedRows()}
        return sorted(rows)

"""The runs table (objectName ``runsTable``): a QTableView over a QAbstractTableModel that
reads the controller's arrays lazily, so 10,000 rows cost nothing until they are visible.

Columns: run, status, critical point, value, steps, start (editable: double-click or F2 and type
``x, y``), end, optimizer (what matters
first: the table shows the first seven without scrolling at the window's first size; each
cell's tooltip holds its full value). Selecting a row
selects that run in every view; the table follows the selection made elsewhere. Sorting
(click a header) is done once, on demand (the proxy does not re-sort while runs advance).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from .. import palette
from ...app.frames import run_colors
from ..text import point

COLUMNS = ("run", "status", "critical point", "value", "steps", "start", "end", "optimizer")
RUN, STATUS, KIND, VALUE, STEPS, START, END, OPTIMIZER = range(len(COLUMNS))
#: the widest text each column shows (its width is measured from it, in the table's font)
_SAMPLES = ("999", "not started", "degenerate", "1.234e-07", "100,000", "(-2.81, -3.13)",
            "(-2.81, -3.13)", "nesterov")
from ...core.status import STATUS_LABELS as _STATUS  # noqa: E402
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_ROLES = {Qt.ItemDataRole.DisplayRole: "display", Qt.ItemDataRole.DecorationRole: "decoration",
          Qt.ItemDataRole.TextAlignmentRole: "align", SORT_ROLE: "sort", Qt.ItemDataRole.ToolTipRole: "tooltip",
          Qt.ItemDataRole.EditRole: "edit"}
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _span(controller) -> float:
    prob = getattr(controller, "problem", None)
    if prob is None:
        return 1.0
    (xa, xb), (ya, yb) = prob.domain
    return max(xb - xa, yb - ya)


class RunsModel(QAbstractTableModel):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.c = controller
        self._rows = 0
        #: called with (start index, x, y) when a start cell is edited (the window sends it to
        #: the session as an undo step); None: the start column is read-only
        self.on_start_edited = None
        #: called with a sentence when an edited start cannot be read
        self.on_error = None
        self._cache_key = None
        self._rows_cache: dict = {}
        self._colors = None

    def flags(self, index):
        f = super().flags(index)
        if index.isValid() and index.column() == START and self.on_start_edited is not None:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        """A typed start: ``x, y``; every run from that start starts there (an undo step)."""
        from ...app.start_text import parse_point

        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != START:
            return False
        r = index.row()
        if self.on_start_edited is None or r >= len(self.c.specs):
            return False
        try:
            x, y = parse_point(value)
        except ValueError as err:
            if self.on_error is not None:
                self.on_error(str(err))
            return False
        self.on_start_edited(self.c.specs[r].start, x, y)
        return True

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        # A view asks for ~10 roles of every visible cell on every repaint: roles the table
        # does not use return at once, and a row's texts are made once per store version
        # (a repaint of 30 rows cost 29 ms when each call formatted its own text).
        kind = _ROLES.get(role)
        if kind is None or not index.isValid():
            return None
        r, col = index.row(), index.column()
        if r >= self.c.store.n or r >= len(self.c.specs):
            return None
        if kind == "display":
            return self._texts(r)[col]
        if kind == "decoration":
            return self._color(r) if col == RUN else None
        if kind == "align":
            return _RIGHT if col in (RUN, VALUE, STEPS) else None
        if kind == "sort":
            return self._sort_key(r, col)
        if kind == "tooltip":
            return self._full(r, col)
        if kind == "edit" and col == START:
            from ...app.start_text import format_point

            return format_point(*self.c.store.starts[r])
        return None

    def _fresh(self) -> dict:
        c = self.c
        key = (c.store.version, id(c.specs), id(c.run_critical), c.basin_mode, c.generation)
        if key != self._cache_key:
            self._cache_key = key
            self._rows_cache = {}
            self._colors = None
        return self._rows_cache

    def _color(self, r: int):
        self._fresh()
        if self._colors is None:
            c = self.c
            n = min(len(c.specs), c.store.n)
            self._colors = run_colors(c.specs[:n], c.settings, c.basin_mode, c.run_critical[:n])
        return palette.qcolor(tuple(self._colors[r]))

    def _texts(self, r: int) -> tuple:
        rows = self._fresh()
        t = rows.get(r)
        if t is None:
            st = self.c.store
            span = _span(self.c)
            if not st.owned[r] and r not in st.instant:
                status = "not started"
            else:
                status = _STATUS[int(st.status[r])]
            t = rows[r] = (str(r), status, self.c.run_kind(r), f"{st.val[r]:.4g}", f"{int(st.steps[r]):,}",
                           point(st.starts[r], span), point(st.pos[r], span), self.c.specs[r].label)
        return t

    def _full(self, r, col) -> str:
        """The cell's value at full precision (the cell shows it rounded)."""
        st = self.c.store
        if col in (START, END):
            p = st.starts[r] if col == START else st.pos[r]
            return f"({float(p[0])!r}, {float(p[1])!r})"
        if col == VALUE:
            return repr(float(st.val[r]))
        if col == OPTIMIZER:
            sp = self.c.specs[r]
            return f"{sp.optimizer}, learning rate {sp.lr!r}"
        return self._texts(r)[col]

    def _sort_key(self, r, col):
        st = self.c.store
        if col == RUN:
            return r
        if col == VALUE:
            v = float(st.val[r])
            return v if np.isfinite(v) else float("inf")
        if col == STEPS:
            return int(st.steps[r])
        return self._texts(r)[col]

    def reset_rows(self) -> None:
        self.beginResetModel()
        self._rows = self.c.store.n
        self.endResetModel()

    def refresh(self) -> None:
        if self.c.store.n != self._rows:
            self.reset_rows()
        elif self._rows:
            self.dataChanged.emit(self.index(0, 1), self.index(self._rows - 1, len(COLUMNS) - 1),
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
        # the start cell is typed into (double-click or F2): an exact start point
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setMinimumSectionSize(24)
        fm = self.fontMetrics()
        hfm = self.horizontalHeader().fontMetrics()
        pad = 12  # cell margins
        for col, sample in enumerate(_SAMPLES):
            extra = 20 if col == RUN else 0  # the run's colour swatch
            self.setColumnWidth(col, max(fm.horizontalAdvance(sample), hfm.horizontalAdvance(COLUMNS[col]))
                                + pad + extra)
        self._syncing = False
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        controller.sig_runs_reset.connect(self.model_.reset_rows)
        controller.sig_selection_changed.connect(self.show_run)
        self._ticks = 0

    def natural_width(self, columns: int = OPTIMIZER) -> int:
        """Pixels that show the first ``columns`` columns whole (run … end), with the
        vertical scroll bar and the frame."""
        w = sum(self.columnWidth(c) for c in range(columns))
        return w + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth() + 2

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

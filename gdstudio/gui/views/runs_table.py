"""The runs table (objectName ``runsTable``): one row per run, its texts read from the
controller's arrays for the rows on screen only, so 10,000 rows cost nothing until they are
visible.

Columns: run, status, critical point, value, steps, start (editable: double-click or F2 and type
``x, y``), end, optimizer (what matters first: the table shows the first seven without
scrolling at the window's first size; each cell's tooltip holds its full value). Selecting a
row selects that run in every view; the table follows the selection made elsewhere. Sorting
(click a header) is done once, on demand: the rows do not jump while runs advance.

The cells live in a C++ ``QStandardItemModel`` and only the rows on screen are written, on
each refresh and when rows scroll into view. A Python model answering ``data()`` cost 10 ms
of calls into Python per repaint (about ten per cell: every role, ``flags``, ``rowCount``
through the sort proxy), 17 ms in all for a 15-row table, the longest single thing the
window did while runs advanced; the C++ model paints in about 2 ms.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyledItemDelegate, QTableView

from .. import palette
from ...app.frames import run_colors
from ...core.status import STATUS_LABELS as _STATUS
from ..text import point

COLUMNS = ("run", "status", "critical point", "value", "steps", "start", "end", "optimizer")
RUN, STATUS, KIND, VALUE, STEPS, START, END, OPTIMIZER = range(len(COLUMNS))
#: the widest text each column shows (its width is measured from it, in the table's font)
_SAMPLES = ("999", "not started", "degenerate", "1.234e-07", "100,000", "(-2.81, -3.13)",
            "(-2.81, -3.13)", "nesterov")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_EDIT = Qt.ItemDataRole.EditRole
_DECORATION = Qt.ItemDataRole.DecorationRole


def _span(controller) -> float:
    prob = getattr(controller, "problem", None)
    if prob is None:
        return 1.0
    (xa, xb), (ya, yb) = prob.domain
    return max(xb - xa, yb - ya)


class RunsModel(QStandardItemModel):
    """The table's cells. Row ``i`` shows run ``order[i]`` (the identity until a column is
    sorted). :meth:`fill` writes the texts of the rows asked for; :meth:`setData` is what
    an edited start cell commits (it goes to the session, never into the cell)."""

    def __init__(self, controller, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.c = controller
        self.order = np.zeros(0, dtype=np.int64)
        self._position = np.zeros(0, dtype=np.int64)
        self._sort = None  # (column, descending) after a header click
        self._colors = None
        self._colors_key = None
        self._filled: dict = {}  # row -> key of what it shows
        #: called with (start index, x, y) when a start cell is edited (the window sends it to
        #: the session as an undo step); None: the start column is read-only
        self.on_start_edited = None
        #: called with a sentence when an edited start cannot be read
        self.on_error = None

    # -- rows and their order -----------------------------------------------------------------
    @property
    def runs(self) -> int:
        return min(self.c.store.n, len(self.c.specs))

    def run_at(self, row: int) -> int:
        return int(self.order[row]) if 0 <= row < self.order.size else -1

    def row_of(self, run: int) -> int:
        return int(self._position[run]) if 0 <= run < self._position.size else -1

    def reset_rows(self) -> None:
        """New runs: one row each (rows on screen are written by :meth:`fill`)."""
        n = self.runs
        self.setRowCount(n)
        self.layoutAboutToBeChanged.emit()
        self._set_order(self._sorted_order(n))
        self.layoutChanged.emit()

    def _set_order(self, order: np.ndarray) -> None:
        self.order = np.asarray(order, dtype=np.int64)
        self._position = np.empty_like(self.order)
        self._position[self.order] = np.arange(self.order.size)
        self._filled = {}

    def sort_by(self, column: int, descending: bool) -> None:
        """Order the rows by ``column`` now (they keep that order while runs advance)."""
        self._sort = (column, descending)
        self.layoutAboutToBeChanged.emit()
        self._set_order(self._sorted_order(self.runs))
        self.layoutChanged.emit()

    def _sorted_order(self, n: int) -> np.ndarray:
        if self._sort is None or n == 0:
            return np.arange(n)
        column, descending = self._sort
        st = self.c.store
        if column == VALUE:
            v = np.asarray(st.val[:n], float)
            order = np.argsort(np.where(np.isfinite(v), v, np.inf), kind="stable")
        elif column == STEPS:
            order = np.argsort(np.asarray(st.steps[:n]), kind="stable")
        elif column in (STATUS, KIND, OPTIMIZER):
            order = np.argsort(np.array([self._texts(r)[column] for r in range(n)]), kind="stable")
        elif column in (START, END):
            p = np.asarray((st.starts if column == START else st.pos)[:n], float)
            order = np.lexsort((p[:, 1], p[:, 0]))  # by x, then y
        else:
            order = np.arange(n)
        return order[::-1].copy() if descending else order

    # -- cells ----------------------------------------------------------------------------------
    def _texts(self, r: int) -> tuple:
        st = self.c.store
        span = _span(self.c)
        if not st.owned[r] and r not in st.instant:
            status = "not started"
        else:
            status = _STATUS[int(st.status[r])]
        return (str(r), status, self.c.run_kind(r), f"{st.val[r]:.4g}", f"{int(st.steps[r]):,}",
                point(st.starts[r], span), point(st.pos[r], span), self.c.specs[r].label)

    def _tooltips(self, r: int, texts: tuple) -> tuple:
        """Each cell's value at full precision (the cell shows it rounded)."""
        st = self.c.store
        sp = self.c.specs[r]
        full = list(texts)
        full[START] = "({!r}, {!r})".format(*map(float, st.starts[r]))
        full[END] = "({!r}, {!r})".format(*map(float, st.pos[r]))
        full[VALUE] = repr(float(st.val[r]))
        full[OPTIMIZER] = f"{sp.optimizer}, learning rate {sp.lr!r}"
        return tuple(full)

    def _color(self, r: int):
        c = self.c
        key = (id(c.specs), id(c.run_critical), c.basin_mode, c.generation, self.runs)
        if key != self._colors_key:
            self._colors_key = key
            n = self.runs
            self._colors = run_colors(c.specs[:n], c.settings, c.basin_mode, c.run_critical[:n])
        return tuple(self._colors[r])

    def fill(self, first: int, last: int) -> None:
        """Write rows ``first``..``last`` (inclusive) from the runs' current state; a row
        whose run has not changed since it was written is left alone."""
        c = self.c
        st = c.store
        version = (st.version, id(c.specs), id(c.run_critical), c.basin_mode, c.generation)
        editable = self.on_start_edited is not None
        n = self.runs
        for row in range(max(0, first), min(last, self.order.size - 1) + 1):
            r = int(self.order[row])
            if r >= n:
                continue  # the runs changed under the rows (their reset is on its way)
            if self._filled.get(row) == (r, version, editable):
                continue
            self._filled[row] = (r, version, editable)
            texts = self._texts(r)
            tips = self._tooltips(r, texts)
            for col in range(len(COLUMNS)):
                item = self.item(row, col)
                if item is None:
                    item = QStandardItem()
                    if col in (RUN, VALUE, STEPS):
                        item.setTextAlignment(_RIGHT)
                    self.setItem(row, col, item)
                item.setEditable(col == START and editable)
                item.setText(texts[col])
                item.setToolTip(tips[col])
            self.item(row, RUN).setData(palette.qcolor(self._color(r)), _DECORATION)

    def setData(self, index, value, role=_EDIT):  # noqa: N802 (Qt's name)
        """A typed start: ``x, y``; every run from that start starts there (an undo step)."""
        from ...app.start_text import parse_point

        if role != _EDIT or not index.isValid() or index.column() != START:
            return False
        r = self.run_at(index.row())
        if self.on_start_edited is None or not 0 <= r < len(self.c.specs):
            return False
        try:
            x, y = parse_point(value)
        except ValueError as err:
            if self.on_error is not None:
                self.on_error(str(err))
            return False
        self.on_start_edited(self.c.specs[r].start, x, y)
        return True


class _StartEditor(QStyledItemDelegate):
    """The start cell opens with the exact start, not the rounded text it shows."""

    def __init__(self, model: RunsModel, parent=None):
        super().__init__(parent)
        self.runs = model

    def setEditorData(self, editor, index):  # noqa: N802 (Qt's name)
        from ...app.start_text import format_point

        r = self.runs.run_at(index.row())
        if 0 <= r < self.runs.c.store.n:
            editor.setText(format_point(*self.runs.c.store.starts[r]))
        else:
            super().setEditorData(editor, index)


class RunsTable(QTableView):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.setObjectName("runsTable")
        self.c = controller
        self.model_ = RunsModel(controller, self)
        self.setModel(self.model_)
        self.setItemDelegateForColumn(START, _StartEditor(self.model_, self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # the start cell is typed into (double-click or F2): an exact start point
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._sort)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setAlternatingRowColors(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(24)
        fm = self.fontMetrics()
        hfm = header.fontMetrics()
        pad = 12  # cell margins
        for col, sample in enumerate(_SAMPLES):
            extra = 20 if col == RUN else 0  # the run's colour swatch
            self.setColumnWidth(col, max(fm.horizontalAdvance(sample), hfm.horizontalAdvance(COLUMNS[col]))
                                + pad + extra)
        self._syncing = False
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.fill_visible())
        controller.sig_runs_reset.connect(self.reset_rows)
        controller.sig_selection_changed.connect(self.show_run)

    def natural_width(self, columns: int = OPTIMIZER) -> int:
        """Pixels that show the first ``columns`` columns whole (run … end), with the
        vertical scroll bar and the frame."""
        w = sum(self.columnWidth(c) for c in range(columns))
        return w + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth() + 2

    def visible_rows(self) -> tuple[int, int]:
        n = self.model_.rowCount()
        if n == 0:
            return 0, -1
        first = self.rowAt(0)
        last = self.rowAt(self.viewport().height() - 1)
        return max(first, 0), (n - 1 if last < 0 else last)

    def fill_visible(self) -> None:
        first, last = self.visible_rows()
        self.model_.fill(first, last + 1)  # one row beyond: a partly shown last row

    def reset_rows(self) -> None:
        self.model_.reset_rows()
        self.fill_visible()

    def refresh(self) -> None:
        """New values (called by the window's redraw, a few times a second)."""
        if self.model_.runs != self.model_.rowCount():
            self.reset_rows()
        else:
            self.fill_visible()

    def resizeEvent(self, ev):  # noqa: N802 (Qt's name)
        super().resizeEvent(ev)
        self.fill_visible()

    def showEvent(self, ev):  # noqa: N802 (Qt's name)
        super().showEvent(ev)
        self.fill_visible()

    def _sort(self, column: int, order) -> None:
        if column < 0:
            return
        selected = self.c.selected
        self.model_.sort_by(column, order == Qt.SortOrder.DescendingOrder)
        self.fill_visible()
        self.show_run(selected)

    def _current_changed(self, current, previous) -> None:
        if self._syncing or not current.isValid():
            return
        r = self.model_.run_at(current.row())
        if r >= 0:
            self.c.select_run(r)

    def show_run(self, r: int) -> None:
        row = self.model_.row_of(r)
        if row < 0:
            return
        cur = self.selectionModel().currentIndex()
        if cur.isValid() and cur.row() == row:
            return
        idx = self.model_.index(row, 0)
        self._syncing = True
        try:
            self.selectionModel().setCurrentIndex(
                idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.scrollTo(idx)
        finally:
            self._syncing = False
        self.fill_visible()

    def selected_runs(self) -> list[int]:
        rows = {self.model_.run_at(i.row()) for i in self.selectionModel().selectedRows()}
        return sorted(r for r in rows if r >= 0)

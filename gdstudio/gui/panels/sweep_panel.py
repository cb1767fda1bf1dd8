"""The Sweep panel: a convergence map over two axes (learning rate × momentum by default).

Choose the axes (any hyper-parameter, or optimizer as a categorical axis) and their ranges
(``A:B:N``, log-spaced for lr and ε, or a comma list), the starts (the studio's current starts
by default) and press Run: the sweep (:mod:`gdstudio.app.sweep`, laid out by
:mod:`gdstudio.app.sweep_map`) runs in a background job, and the heatmap fills in as settings
finish, coloured by convergence rate, final value or steps to converge, with diverged cells
crossed out. Hovering a cell shows its numbers; clicking it loads its settings into the studio
and runs them. On a quadratic, the theory's boundary of convergence is drawn over the map.

The panel knows nothing of the window's controller: ``context()`` returns a
:class:`SweepContext` (the studio's problem, starts and settings at the moment Run is pressed),
and a clicked cell is sent out as ``sig_load_setting``; the window connects both.

objectNames: ``sweepPanel``, ``sweepXAxisCombo``, ``sweepXRangeEdit``, ``sweepYAxisCombo``,
``sweepYRangeEdit``, ``sweepOptimizerCombo``, ``sweepStartsCombo``, ``sweepStartsSpin``,
``sweepStepsSpin``, ``sweepColorCombo``, ``sweepRunButton``, ``sweepCancelButton``,
``sweepProgress``, ``sweepMap``, ``sweepHoverLabel``, ``sweepError``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

#: default ranges per axis (A:B:N)
DEFAULT_RANGES = {
    "lr": "1e-3:1:25",
    "momentum": "0:0.99:20",
    "beta1": "0:0.99:12",
    "beta2": "0.9:0.9999:8",
    "alpha": "0.5:0.999:8",
    "eps": "1e-10:1e-2:9",
    "optimizer": "gd,momentum,nesterov,adagrad,rmsprop,adam",
}
#: how often the map redraws while a sweep runs
REDRAW_MS = 100


@dataclass
class SweepContext:
    """What a map is computed from, taken from the studio when Run is pressed: the objective
    and its domain, the current starts ((N, d); may be empty), and the settings of the axes
    that are not swept (``hyper`` is {optimizer: {name: value}})."""

    objective: object
    domain: tuple
    starts: np.ndarray
    optimizer: str = "momentum"
    lr: float = 0.01
    hyper: dict = field(default_factory=dict)
    tol: float = 1e-6


class SweepPanel(QWidget):
    """The map view and its controls. ``context()`` gives the studio's problem, starts and
    settings (a :class:`SweepContext`, or None when there is nothing to sweep); computation
    happens in ``jobs`` (the window's :class:`~gdstudio.worker.jobs.JobPool`).

    Signals: ``sig_load_setting(dict)`` with ``optimizer``, ``lr`` and ``hyper`` of a clicked
    cell; ``sig_finished()`` after a sweep completes."""

    sig_load_setting = Signal(dict)
    sig_finished = Signal()

    def __init__(self, context: Callable[[], Optional[SweepContext]], jobs, parent=None, compute=None):
        super().__init__(parent)
        from ...app.sweep_map import COLOR_BY, MAP_AXES
        from ...core.optimizers import OPTIMIZERS

        self.setObjectName("sweepPanel")
        self.context = context
        self.jobs = jobs
        #: where the cells are computed (the window's app.compute.SharedExecutor, set by the
        #: Preferences); None: in this process
        self.compute = compute
        self._objective = None
        self.layout_ = None
        self.rows: list = []
        self._lock = threading.Lock()
        self._pending: list = []
        self._job = None
        self._done = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        form = QFormLayout()
        form.setVerticalSpacing(4)
        self.x_axis, self.x_range = self._axis_row(form, "x axis", "sweepXAxisCombo", "sweepXRangeEdit",
                                                   MAP_AXES, "lr")
        self.y_axis, self.y_range = self._axis_row(form, "y axis", "sweepYAxisCombo", "sweepYRangeEdit",
                                                   MAP_AXES, "momentum")
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("sweepOptimizerCombo")
        for o in OPTIMIZERS:
            self.optimizer.addItem(o, o)
        self.optimizer.setCurrentIndex(list(OPTIMIZERS).index("momentum"))
        self.optimizer.setToolTip("The optimizer of every cell (unless optimizer is an axis)")
        form.addRow("optimizer", self.optimizer)
        srow = QHBoxLayout()
        self.starts = QComboBox()
        self.starts.setObjectName("sweepStartsCombo")
        self.starts.addItem("the current starts", "current")
        self.starts.addItem("random starts (seeded)", "random")
        self.n_starts = QSpinBox()
        self.n_starts.setObjectName("sweepStartsSpin")
        self.n_starts.setRange(1, 4096)
        self.n_starts.setValue(16)
        self.n_starts.setEnabled(False)
        self.starts.currentIndexChanged.connect(
            lambda _i: self.n_starts.setEnabled(self.starts.currentData() == "random"))
        self.starts.setToolTip("Run every cell from the studio's current starts, or from seeded "
                               "Sobol starts spread over the domain")
        self.n_starts.setToolTip("How many seeded Sobol starts each cell runs from")
        srow.addWidget(self.starts, 1)
        srow.addWidget(self.n_starts)
        form.addRow("starts", srow)
        self.steps = QSpinBox()
        self.steps.setObjectName("sweepStepsSpin")
        self.steps.setRange(1, 1_000_000)
        self.steps.setValue(1000)
        self.steps.setToolTip("The most steps each run of a cell takes; a run converges when its "
                              "gradient norm reaches the studio's tolerance")
        form.addRow("steps", self.steps)
        self.color = QComboBox()
        self.color.setObjectName("sweepColorCombo")
        for label in COLOR_BY:
            self.color.addItem(label, COLOR_BY[label])
        self.color.setToolTip("What a cell's colour shows: the measured convergence rate (below 1 "
                              "converges, smaller is faster), the median final value (log₁₀) or "
                              "the median steps to converge")
        self.color.currentIndexChanged.connect(lambda _i: self._redraw())
        form.addRow("colour by", self.color)
        lay.addLayout(form)
        brow = QHBoxLayout()
        self.run_button = QPushButton("Run sweep")
        self.run_button.setObjectName("sweepRunButton")
        self.run_button.setToolTip("Run every cell of the map in the background; the map fills in "
                                   "as cells finish")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("sweepCancelButton")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip("Stop the sweep; the cells already finished stay on the map")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("sweepProgress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        brow.addWidget(self.run_button)
        brow.addWidget(self.cancel_button)
        brow.addWidget(self.progress, 1)
        lay.addLayout(brow)
        self.error = QLabel("")
        self.error.setObjectName("sweepError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d9534f;")
        self.error.hide()
        lay.addWidget(self.error)

        self.plot = pg.PlotWidget()
        self.plot.setObjectName("sweepMap")
        self.plot.setMinimumHeight(180)
        self.plot.setMenuEnabled(False)
        self.plot.getViewBox().setMouseEnabled(False, False)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.crosses = pg.ScatterPlotItem(symbol="x", size=9, pen=pg.mkPen("#ff5a5a", width=1.5),
                                          brush=None)
        self.plot.addItem(self.crosses)
        self.boundary = pg.PlotDataItem(pen=pg.mkPen("#ffffff", width=2, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.boundary)
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        lay.addWidget(self.plot, 1)
        self.hover = QLabel("Run a sweep; then hover a cell for its numbers and click it to run it. "
                            "Crossed cells diverged; the dashed line is the theory's boundary of "
                            "convergence on a quadratic.")
        self.hover.setObjectName("sweepHoverLabel")
        self.hover.setWordWrap(True)
        self.hover.setMinimumHeight(self.hover.fontMetrics().lineSpacing() * 3)
        lay.addWidget(self.hover)
        self.plot.scene().sigMouseMoved.connect(self._moved)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._take_rows)

    def _axis_row(self, form, label, combo_name, edit_name, axes, default):
        row = QHBoxLayout()
        combo = QComboBox()
        combo.setObjectName(combo_name)
        for a in axes:
            combo.addItem(a, a)
        combo.setCurrentIndex(list(axes).index(default))
        combo.setToolTip(f"The map's {label}: a hyper-parameter, or optimizer (one column per optimizer)")
        edit = QLineEdit(DEFAULT_RANGES[default])
        edit.setObjectName(edit_name)
        edit.setToolTip("A:B:N (N values, log-spaced for lr and eps) or a comma list")
        combo.currentIndexChanged.connect(lambda _i: edit.setText(DEFAULT_RANGES[combo.currentData()]))
        row.addWidget(combo)
        row.addWidget(edit, 1)
        form.addRow(label, row)
        return combo, edit

    # -- running ---------------------------------------------------------------------------
    def _values(self, axis: str, text: str) -> list:
        from ...app.sweep import SweepError, check_distinct, parse_values

        if axis == "optimizer":
            names = [t.strip().lower() for t in text.split(",")]
            if any(not n for n in names):
                raise SweepError("the optimizer list has an empty item")
            return check_distinct(names, "optimizer")
        return parse_values(text, axis)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def run(self) -> None:
        """Lay out the map from the controls and start the sweep in the background."""
        from ...app.sweep import SweepError
        from ...app.sweep_map import layout_map
        from ...core.starts import make_starts

        if self._job is not None:  # one sweep at a time: Cancel first
            return
        ctx = self.context()
        if ctx is None:
            self._show_error("There is nothing to sweep yet: choose a function or a model first.")
            return
        try:
            xa, ya = self.x_axis.currentData(), self.y_axis.currentData()
            xv = self._values(xa, self.x_range.text())
            yv = self._values(ya, self.y_range.text())
            current = np.asarray(ctx.starts, float).reshape(-1, len(ctx.domain))
            if self.starts.currentData() == "random" or len(current) == 0:
                starts = make_starts("sobol", self.n_starts.value(), ctx.domain, 0)
            else:
                starts = current
            hyper = {k: dict(v) for k, v in ctx.hyper.items()}
            layout = layout_map(ctx.objective, starts, ctx.domain, xa, xv, ya, yv,
                                self.optimizer.currentData(), ctx.lr, hyper, self.steps.value(),
                                ctx.tol)
        except SweepError as err:
            self._show_error(str(err))
            return
        self._show_error("")
        self._objective = ctx.objective
        self.layout_ = layout
        self.rows = [None] * len(layout.spec.settings)
        self._done = 0
        with self._lock:
            self._pending = []
        self._setup_axes()
        self._redraw()
        self.progress.setValue(0)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._job = self.jobs.start(self._work, on_result=self._finished, on_failed=self._failed,
                                    on_cancelled=self._cancelled, name="gdstudio-sweep")
        self._timer.start()

    def _work(self, job):
        """The background job (the window's thread stays free): every cell's setting, in this
        process or on the cluster chosen in the preferences; each row is handed to the map as
        its setting (in-process) or its group of settings (on a cluster) finishes."""
        from ...app.compute import SharedExecutor
        from ...app.executors import Cancelled as SweepCancelled
        from ...app.sweep import run_spec
        from ...worker.jobs import Cancelled

        def progress(done, total, index, row):
            with self._lock:
                self._pending.append((index, row))
            job.progress(done / total)

        shared = self.compute if self.compute is not None else SharedExecutor()
        try:
            with shared.use() as ex:
                return run_spec(self.layout_.spec, ex, progress=progress, cancel=job.cancelled)
        except SweepCancelled:
            raise Cancelled() from None

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _take_rows(self) -> None:
        with self._lock:
            new, self._pending = self._pending, []
        for index, row in new:
            self.rows[index] = row
            self._done += 1
        if new:
            self.progress.setValue(int(1000 * self._done / max(1, len(self.rows))))
            self._redraw()

    def _end(self) -> None:
        self._timer.stop()
        self._take_rows()
        self._job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _finished(self, table) -> None:
        self._end()
        self.progress.setValue(1000)
        best = table.best
        if best is not None:
            where = table.meta.get("executor", "this process")
            on = "" if where == "this process" else f" on {where}"
            self.hover.setText(f"Done: {len(table)} settings{on}. Best: {best['optimizer']}, lr "
                               f"{best['lr']:.4g}, median value {best['median_value']:.4g}.")
        self.sig_finished.emit()

    def _failed(self, message: str, _err) -> None:
        self._end()
        self._show_error(message)

    def _cancelled(self) -> None:
        self._end()
        self.hover.setText(f"Cancelled after {self._done} of {len(self.rows)} settings.")

    # -- drawing ---------------------------------------------------------------------------
    def _edges(self, axis: str, values: list) -> tuple[float, float]:
        c = self.layout_.coordinate(axis, values)
        if len(c) == 1:
            return c[0] - 0.5, 1.0
        step = (c[-1] - c[0]) / (len(c) - 1)
        return c[0] - step / 2, step

    def _setup_axes(self) -> None:
        L = self.layout_
        names = {"lr": "learning rate (log₁₀)", "eps": "ε (log₁₀)"}
        pi = self.plot.getPlotItem()
        pi.setLabel("bottom", names.get(L.x_axis, L.x_axis))
        pi.setLabel("left", names.get(L.y_axis, L.y_axis))
        for side, axis, values in (("bottom", L.x_axis, L.x_values), ("left", L.y_axis, L.y_values)):
            ax = pi.getAxis(side)
            if axis == "optimizer":
                ax.setTicks([[(float(k), v) for k, v in enumerate(values)]])
            else:
                ax.setTicks(None)
        x0, dx = self._edges(L.x_axis, L.x_values)
        y0, dy = self._edges(L.y_axis, L.y_values)
        self.image.setRect(x0, y0, dx * len(L.x_values), dy * len(L.y_values))
        self.plot.setRange(xRange=(x0, x0 + dx * len(L.x_values)), yRange=(y0, y0 + dy * len(L.y_values)),
                           padding=0)
        from ...app.sweep_map import theory_boundary

        pts = theory_boundary(self._objective, L, self.optimizer.currentData()) \
            if "optimizer" not in (L.x_axis, L.y_axis) else None
        if pts is None:
            self.boundary.setData([], [])
            self.boundary.setToolTip("")
        else:
            self.boundary.setData(pts[:, 0], pts[:, 1])

    def _redraw(self) -> None:
        L = self.layout_
        if L is None:
            return
        column = self.color.currentData()
        Z = L.grid(self.rows, column)
        show = np.where(np.isfinite(Z), Z, np.nan)
        if column == "median_value":
            with np.errstate(all="ignore"):
                show = np.log10(np.where(show > 0, show, np.nan))
        finite = show[np.isfinite(show)]
        self.image.setImage(show, autoLevels=False)
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            if hi <= lo:
                hi = lo + 1e-12
            self.colorbar.setLevels((lo, hi))
        D = L.diverged(self.rows)
        xs = L.coordinate(L.x_axis, L.x_values)
        ys = L.coordinate(L.y_axis, L.y_values)
        ii, jj = np.nonzero(D)
        self.crosses.setData(xs[ii], ys[jj])

    # -- hover and click ---------------------------------------------------------------------
    def cell_at(self, scene_pos) -> Optional[tuple[int, int]]:
        L = self.layout_
        if L is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.getViewBox().mapSceneToView(scene_pos)
        x0, dx = self._edges(L.x_axis, L.x_values)
        y0, dy = self._edges(L.y_axis, L.y_values)
        i = int(np.floor((p.x() - x0) / dx))
        j = int(np.floor((p.y() - y0) / dy))
        if 0 <= i < len(L.x_values) and 0 <= j < len(L.y_values):
            return i, j
        return None

    def row_at(self, i: int, j: int) -> Optional[dict]:
        L = self.layout_
        try:
            k = L.cells.index((i, j))
        except ValueError:
            return None
        return self.rows[k]

    def _moved(self, pos) -> None:
        from ...app.sweep_map import cell_text

        cell = self.cell_at(pos)
        if cell is not None:
            self.hover.setText(cell_text(self.layout_, self.row_at(*cell), *cell))

    def _clicked(self, ev) -> None:
        cell = self.cell_at(ev.scenePos())
        if cell is not None:
            self.load_cell(*cell)

    def load_cell(self, i: int, j: int) -> bool:
        """Send cell (i, j)'s settings to the studio (``sig_load_setting``); False for a cell
        that was not run."""
        L = self.layout_
        if L is None or (i, j) not in L.cells:
            return False
        s = L.spec.settings[L.cells.index((i, j))]
        self.sig_load_setting.emit({"optimizer": s.optimizer, "lr": s.lr, "hyper": s.hyper_dict()})
        return True


# -- the window's side: what a map is computed from, and running a clicked cell -------------
def studio_context(controller) -> Optional[SweepContext]:
    """The studio's problem, current starts and settings (None before a problem exists)."""
    problem = getattr(controller, "problem", None)
    if problem is None:
        return None
    s = controller.settings
    return SweepContext(problem.objective, tuple(problem.domain),
                        np.asarray(controller.starts, float).reshape(-1, len(problem.domain)),
                        s.optimizer, float(s.lr), {k: dict(v) for k, v in s.hyper.items()},
                        float(s.tol))


def run_cell(apply_settings: Callable[[dict], None], controller, setting: dict,
             message: Optional[Callable[[str], None]] = None) -> None:
    """Run a clicked cell in the studio: ``apply_settings`` (the window's way of changing
    settings, one undo step) gets the cell's optimizer, rate and hyper-parameters with the
    comparisons off; then the runs start again from the current starts, so the paths behind
    the cell's numbers are on the map."""
    opt = setting["optimizer"]
    apply_settings({"optimizer": opt, "lr": float(setting["lr"]), "hyper": {opt: dict(setting["hyper"])},
                    "compare_optimizers": (), "compare_lrs": ()})
    controller.reset()
    controller.run()
    if message is not None:
        extra = "".join(f", {k} {v:.4g}" for k, v in setting["hyper"].items())
        message(f"Running the sweep's cell: {opt}, lr {setting['lr']:.4g}{extra}.")

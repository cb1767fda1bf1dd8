"""The neural-network part of the "Data & model" panel: a small feed-forward network on a
toy data set (or your CSV), and two ways to look at its loss, which lives in hundreds of
dimensions, in the window's two 2-D views.

* **Slice over two weights** (``sliceButton``): two chosen weights vary, every other weight
  is frozen (``SliceObjective``); descent then runs on just those two through the normal
  controller, so the 3D view, the contour map, the curves and the table work as for a typed
  function.
* **Train all weights & show landscape** (``landscapeButton``): full-dimensional descent
  (``BatchDescent`` on the ``MLPObjective``) from several seeded initialisations side by
  side, in a background thread with a progress bar and Cancel; then the loss on the plane
  through the final weights spanned by the two PCA directions of the trajectory (or two
  filter-normalised random directions), after Li et al. (2018), with the projected training
  path drawn on it and the share of the path's variance the plane explains.

objectNames: ``datasetCombo``, ``seedSpin``, ``hiddenEdit``, ``activationCombo``,
``batchSizeSpin`` (0 = full batch), ``networkError``, ``weightXCombo``, ``weightYCombo``,
``sliceButton``, ``sliceNote``, ``trainOptimizerCombo``, ``trainLrEdit``, ``trainStepsSpin``,
``initsSpin``, ``directionsCombo``, ``landscapeButton``, ``landscapeProgress``,
``landscapeCancelButton``, ``landscapePhase``, ``explainedLabel``, ``initsTable``,
``trainLossPlot``.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from .. import palette
from ...app.problem_views import ModelSpec, Training, train_landscape
from ..model_views import Shown, landscape_shown, shown_in_job
from ..text import ERROR_STYLE, NOTE_STYLE, fmt, label, sentence

TOY = ("sine", "xor", "moons", "circles", "spirals")
CSV_KEY = "csv"
#: share of the progress bar taken by training (the rest is the landscape)
TRAIN_SHARE = 0.6


def network_spec(s: dict, pair=(0, 1)) -> ModelSpec:
    """The network of the panel's settings ``s`` as the session records it. A trained
    network's weights are not part of it: a session file reopens the network untrained."""
    return ModelSpec("mlp", data=s["data"], x=s["x"], y=s["y"], hidden=s["hidden"], activation=s["activation"],
                     seed=s["seed"], batch_size=s["batch_size"], pair=tuple(int(v) for v in pair))


class LandscapePanel(QGroupBox):
    def __init__(self, features, parent=None):
        super().__init__("Neural network", parent)
        self.f = features
        #: the data and the description (model_panel.ModelPanel, which sets itself here): csv_table(),
        #: columns(), network_data_chosen(csv), say(text), set_shown(shown), say_shown()
        self.data = None
        self.training: Optional[Training] = None
        self._job = None
        self._names: tuple = ()
        self._shown: Optional[Shown] = None
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        form = QFormLayout()
        form.setVerticalSpacing(4)
        drow = QHBoxLayout()
        self.dataset = QComboBox()
        self.dataset.setObjectName("datasetCombo")
        for name in TOY:
            self.dataset.addItem(name, name)
        self.dataset.addItem("your CSV", CSV_KEY)
        self.dataset.setCurrentIndex(TOY.index("moons"))
        self.dataset.setToolTip("sine: regression; xor, moons, circles, spirals: two classes in the plane")
        drow.addWidget(self.dataset, 1)
        drow.addWidget(QLabel("seed"))
        self.seed = QSpinBox()
        self.seed.setObjectName("seedSpin")
        self.seed.setRange(0, 99_999)
        self.seed.setToolTip("Seeds the toy data, the initial weights and the mini-batch order")
        drow.addWidget(self.seed)
        form.addRow("Data", drow)
        arow = QHBoxLayout()
        self.hidden = QLineEdit("8,8")
        self.hidden.setObjectName("hiddenEdit")
        self.hidden.setToolTip("Widths of the hidden layers, e.g. 8,8 or 16 or 32,32,16")
        self.hidden.setMaximumWidth(90)
        arow.addWidget(self.hidden)
        self.activation = QComboBox()
        self.activation.setObjectName("activationCombo")
        for a in ("tanh", "relu", "sigmoid"):
            self.activation.addItem(a, a)
        arow.addWidget(self.activation, 1)
        form.addRow("Hidden layers", arow)
        self.batch = QSpinBox()
        self.batch.setObjectName("batchSizeSpin")
        self.batch.setRange(0, 100_000)
        self.batch.setSpecialValueText("full batch")
        self.batch.setToolTip("Mini-batch size (0 = full batch). Each step uses a different seeded "
                              "batch, so the path is noisy")
        form.addRow("Mini-batch", self.batch)
        lay.addLayout(form)
        self.error = label("networkError", style=ERROR_STYLE, hidden=True)
        lay.addWidget(self.error)

        # slice
        sbox = QGroupBox("Slice: two weights vary, the rest frozen")
        sl = QVBoxLayout(sbox)
        wrow = QHBoxLayout()
        self.wx = QComboBox()
        self.wx.setObjectName("weightXCombo")
        self.wy = QComboBox()
        self.wy.setObjectName("weightYCombo")
        for cb in (self.wx, self.wy):
            cb.setMaxVisibleItems(20)
        wrow.addWidget(self.wx, 1)
        wrow.addWidget(QLabel("×"))
        wrow.addWidget(self.wy, 1)
        sl.addLayout(wrow)
        self.slice_button = QPushButton("Show the slice over these two weights")
        self.slice_button.setObjectName("sliceButton")
        sl.addWidget(self.slice_button)
        self.slice_note = label("sliceNote", style=NOTE_STYLE)
        sl.addWidget(self.slice_note)
        lay.addWidget(sbox)

        # full training
        tbox = QGroupBox("All weights train")
        tl = QVBoxLayout(tbox)
        tform = QFormLayout()
        tform.setVerticalSpacing(4)
        orow = QHBoxLayout()
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("trainOptimizerCombo")
        from ...core.optimizers import OPTIMIZERS

        for o in OPTIMIZERS:
            self.optimizer.addItem(o, o)
        self.optimizer.setCurrentIndex(list(OPTIMIZERS).index("adam"))
        orow.addWidget(self.optimizer, 1)
        orow.addWidget(QLabel("lr"))
        self.lr = QLineEdit("0.01")
        self.lr.setObjectName("trainLrEdit")
        self.lr.setMaximumWidth(70)
        orow.addWidget(self.lr)
        tform.addRow("Optimizer", orow)
        srow = QHBoxLayout()
        self.steps = QSpinBox()
        self.steps.setObjectName("trainStepsSpin")
        self.steps.setRange(1, 100_000)
        self.steps.setValue(500)
        self.steps.setSingleStep(100)
        srow.addWidget(self.steps)
        srow.addWidget(QLabel("initialisations"))
        self.inits = QSpinBox()
        self.inits.setObjectName("initsSpin")
        self.inits.setRange(1, 8)
        self.inits.setValue(3)
        srow.addWidget(self.inits)
        tform.addRow("Steps", srow)
        self.directions = QComboBox()
        self.directions.setObjectName("directionsCombo")
        self.directions.addItem("PCA of the training path", "pca")
        self.directions.addItem("random, filter-normalised", "random")
        tform.addRow("Plane", self.directions)
        tl.addLayout(tform)
        self.train_button = QPushButton("Train all weights && show landscape")
        self.train_button.setObjectName("landscapeButton")
        tl.addWidget(self.train_button)
        prow = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("landscapeProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        prow.addWidget(self.progress, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("landscapeCancelButton")
        self.cancel_button.setEnabled(False)
        prow.addWidget(self.cancel_button)
        tl.addLayout(prow)
        self.phase = label("landscapePhase", style=NOTE_STYLE)
        tl.addWidget(self.phase)
        self.explained = label("explainedLabel")
        tl.addWidget(self.explained)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("initsTable")
        self.table.setHorizontalHeaderLabels(["init", "final loss", "steps", "status"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setToolTip("Different initialisations reach different minima; click one to see "
                              "the landscape around its final weights")
        self.table.setMaximumHeight(130)
        tl.addWidget(self.table)
        self.loss_plot = pg.PlotWidget()
        self.loss_plot.setObjectName("trainLossPlot")
        self.loss_plot.setBackground("#1e1e24")
        self.loss_plot.setMinimumHeight(140)
        self.loss_plot.setMaximumHeight(180)
        pi = self.loss_plot.getPlotItem()
        pi.setLogMode(False, True)
        pi.setLabel("bottom", "step")
        pi.setLabel("left", "loss (log)")
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.addLegend(offset=(-4, 4), labelTextSize="7pt")
        tl.addWidget(self.loss_plot)
        lay.addWidget(tbox)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.apply)
        self.dataset.currentIndexChanged.connect(self._dataset_chosen)
        self.seed.valueChanged.connect(lambda _v: self._debounce.start())
        self.hidden.textEdited.connect(lambda _t: self._debounce.start())
        self.hidden.returnPressed.connect(self.apply)
        self.activation.currentIndexChanged.connect(lambda _i: self.apply())
        self.batch.valueChanged.connect(lambda _v: self._debounce.start())
        self.slice_button.clicked.connect(self.show_slice)
        self.train_button.clicked.connect(self.train)
        self.cancel_button.clicked.connect(self.cancel)
        self.table.cellClicked.connect(lambda r, _c: self.show_landscape(r))

    # -- settings ----------------------------------------------------------------------------
    def uses_csv(self) -> bool:
        return self.dataset.currentData() == CSV_KEY

    def use_csv(self) -> None:
        with QSignalBlocker(self.dataset):
            self.dataset.setCurrentIndex(self.dataset.findData(CSV_KEY))

    def use_toy(self) -> None:
        if self.uses_csv():
            with QSignalBlocker(self.dataset):
                self.dataset.setCurrentIndex(TOY.index("moons"))

    def _dataset_chosen(self, _i: int) -> None:
        if not self.data.network_data_chosen(self.uses_csv()):
            self.error.setText("Open a CSV file first (Open CSV… or drop one on the window).")
            self.error.show()
            return
        self.apply()

    def settings(self) -> dict:
        """The network's settings, read in the GUI thread (jobs get plain values)."""
        table = self.data.csv_table() if self.uses_csv() else None
        data = table.path if table is not None else self.dataset.currentData()
        if data == CSV_KEY:
            data = "moons"
        x, y = self.data.columns() if table is not None else (None, None)
        return dict(data=data, x=x, y=y, hidden=self.hidden.text().strip(),
                    activation=self.activation.currentData(), seed=int(self.seed.value()),
                    batch_size=int(self.batch.value()) or None)

    # -- slice mode --------------------------------------------------------------------------
    def apply(self) -> None:
        """Rebuild the network with the current settings and show a slice."""
        self._debounce.stop()
        self.show_slice()

    def _pair(self) -> tuple:
        a, b = self.wx.currentData(), self.wy.currentData()
        return a, b

    def show_slice(self) -> None:
        """Build the network and its slice over the two chosen weights (app.problem_views'
        model_view) in a job; after training, the other weights are frozen at the best init's
        trained weights."""
        s = self.settings()
        spec = network_spec(s)
        tr = self.training if self.training is not None and self.training.trained(spec) else None
        base, base_from = None, None
        if tr is not None:
            k = tr.best
            base = np.asarray(tr.final[k], float).copy()
            base_from = f"the trained weights of init {k + 1} (loss {fmt(tr.final_loss[k])})"
        weights = self._pair()

        def build(job):
            return shown_in_job(spec, job, base=base, base_from=base_from, weights=weights)

        self.error.hide()
        self.data.say("Building the network and the slice…")
        self.f.request(build, self._slice_built, self._failed, label="mlp")

    def _slice_built(self, shown: Shown) -> None:
        self.error.hide()
        names = shown.extra["names"]
        i, j = shown.extra["pair"]
        if names != self._names:
            self._names = names
            with QSignalBlocker(self.wx), QSignalBlocker(self.wy):
                for cb in (self.wx, self.wy):
                    cb.clear()
                    for n in names:
                        cb.addItem(n, n)
        with QSignalBlocker(self.wx), QSignalBlocker(self.wy):
            self.wx.setCurrentIndex(i)
            self.wy.setCurrentIndex(j)
        self.slice_note.setText(f"{names[i]} and {names[j]} vary; the other {len(names) - 2} weights are "
                                f"frozen at {shown.extra['base_from']}. Press ▶ Run to descend on the two.")
        self._shown = shown
        self.data.set_shown(shown)
        self.f.show(shown)
        self.data.say(shown.description)

    def _failed(self, message: str, err) -> None:
        text = sentence(message)
        self.error.setText(text)
        self.error.show()
        self.data.say_shown()

    # -- full training ---------------------------------------------------------------------------
    def _lr_value(self) -> Optional[float]:
        try:
            v = float(self.lr.text())
        except ValueError:
            return None
        return v if np.isfinite(v) and v > 0 else None

    def train(self) -> None:
        """Train every weight from several initialisations in the background, then show the
        landscape around the best one's final weights."""
        from ...core.optimizers import HYPER_DEFAULTS

        lr = self._lr_value()
        if lr is None:
            self.error.setText("The training learning rate must be a positive number, e.g. 0.01.")
            self.error.show()
            return
        self.error.hide()
        s = self.settings()
        opt = self.optimizer.currentData()
        steps = int(self.steps.value())
        n = int(self.inits.value())
        method = self.directions.currentData()
        hyper = dict(HYPER_DEFAULTS.get(opt, {}))
        compute = self.f.compute

        def work(job):
            tr = None
            for item in train_landscape(network_spec(s), optimizer=opt, lr=lr, steps=steps, inits=n,
                                        tol=1e-7, **hyper):
                job.check()
                if isinstance(item, Training):
                    tr = item
                else:
                    job.progress(TRAIN_SHARE * item)
            shown = landscape_shown(tr, tr.best, method, s["seed"], job, (TRAIN_SHARE, 1.0), compute)
            shown.spec = network_spec(s)
            job.progress(1.0)
            return tr, shown

        self._start_job(work, "Training all weights…")

    def show_landscape(self, k: int) -> None:
        """The landscape around init ``k``'s final weights (after training)."""
        tr = self.training
        if tr is None or not 0 <= k < tr.final_loss.size or (self._job is not None and self._job.isRunning()):
            return
        method = self.directions.currentData()
        seed = int(self.seed.value())
        spec = network_spec(self.settings())
        compute = self.f.compute

        def work(job):
            shown = landscape_shown(tr, k, method, seed, job, (0.0, 1.0), compute)
            shown.spec = spec
            job.progress(1.0)
            return tr, shown

        self._start_job(work, f"Computing the landscape around init {k + 1}…")

    def _start_job(self, work, phase: str) -> None:
        if self._job is not None and self._job.isRunning():
            self._job.cancel()
        self.progress.setValue(0)
        self.phase.setText(phase)
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._job = self.f.jobs.start(work, self._trained, self._train_failed, self._progress,
                                      self._cancelled, name="gdstudio-training")

    def _progress(self, f: float) -> None:
        self.progress.setValue(int(round(1000 * f)))
        if f >= TRAIN_SHARE and self.phase.text().startswith("Training"):
            self.phase.setText("Computing the loss landscape…")

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.phase.setText("Cancelling…")

    def _cancelled(self) -> None:
        self._job = None
        self.progress.setValue(0)
        self.phase.setText("Cancelled; nothing changed.")
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _train_failed(self, message: str, err) -> None:
        self._job = None
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(0)
        self.phase.setText("")
        self._failed(message, err)

    def _trained(self, result) -> None:
        tr, shown = result
        self._job = None
        self.training = tr
        self.progress.setValue(self.progress.maximum())
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        k = shown.extra["init"]
        self.phase.setText(f"Done: {tr.final_loss.size} initialisations trained; showing init {k + 1}.")
        ex = shown.extra["explained"]
        if ex is not None:
            self.explained.setText(f"PCA plane explains {100 * float(np.sum(ex)):.1f}% of the trajectory's "
                                   f"variance (PC1 {100 * ex[0]:.1f}%, PC2 {100 * ex[1]:.1f}%).")
        else:
            self.explained.setText("Random filter-normalised plane: the training path mostly leaves it; "
                                   "its projection is drawn.")
        self._fill_table(tr, k)
        self._plot_losses(tr)
        self._shown = shown
        self.data.set_shown(shown)
        self.f.show(shown)
        self.data.say(shown.description)

    def _fill_table(self, tr: Training, current: int) -> None:
        n = tr.final_loss.size
        self.table.setRowCount(n)
        best = tr.best
        for r in range(n):
            cells = [f"{r + 1}" + (" (best)" if r == best else ""), fmt(tr.final_loss[r]),
                     f"{int(tr.steps[r]):,}", {"max_steps": "step limit"}.get(tr.status[r], tr.status[r])]
            for c, text in enumerate(cells):
                it = QTableWidgetItem(text)
                it.setForeground(palette.qcolor(palette.series(r)))
                self.table.setItem(r, c, it)
        with QSignalBlocker(self.table):
            self.table.selectRow(current)

    def _plot_losses(self, tr: Training) -> None:
        pi = self.loss_plot.getPlotItem()
        pi.clear()
        if pi.legend is not None:
            pi.legend.clear()
        T = tr.values.shape[0]
        for r in range(tr.values.shape[1]):
            n = min(T, int(tr.steps[r]) + 1)
            v = np.asarray(tr.values[:n, r], float)
            ok = np.isfinite(v) & (v > 0)
            steps = np.arange(n)[ok]
            pi.plot(steps, v[ok], pen=pg.mkPen(palette.qcolor(palette.series(r)), width=1.5),
                    name=f"init {r + 1}: {fmt(tr.final_loss[r])}")

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.cancel()

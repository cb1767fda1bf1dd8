"""The "Data & model" panel: fit a straight line to the Ames housing data, or your own model
to your own CSV, and watch gradient descent minimise the cost J over the model's parameters.

objectNames (stable, for tests and automation): ``modelCombo`` (Function / Linear regression
(housing) / Your model / Neural network), ``dataLabel``, ``openDataButton``,
``housingButton``, ``featureCombo``, ``targetCombo``, ``scaleCombo`` (none / standard),
``dataError``, ``conventionLabel``, ``hessianLabel``, ``lrWarning`` (orange banner),
``useStableLrButton``, ``closedFormLabel``, ``distanceLabel``, ``modelEdit``, ``modelCaret``,
``modelError``, ``lossCombo`` (mse / mae / huber), ``paramXCombo``, ``paramYCombo``,
``heldLabel``, ``modelDescription``. The network's widgets live in
:mod:`.landscape_panel`, embedded here.

Numbers come from the core (``gdstudio.core.models``); this module only arranges them.
Anything slow (building a model, evaluating its cost on the map's grid) runs in a
background :class:`Job`; see :func:`~..model_views.grid_in_job` for how the map's grid is computed off
the GUI thread. The sections' widgets are laid out in :mod:`.model_sections`.

Jobs are :mod:`gdstudio.worker.jobs`; the assembly of what the map shows is
:mod:`..model_views`; number formatting is :mod:`..text`.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...app.problem_views import ModelSpec
from ..model_views import Shown, linreg_notes, live_fit_text, load_two_columns, shown_in_job
from ..text import NOTE_STYLE, label, plain_text, sentence, with_unit
from .model_sections import build_sections

MODES = (("function", "Function"), ("linreg", "Linear regression (housing)"),
         ("typed", "Your model"), ("mlp", "Neural network"))


# ---------------------------------------------------------------------------------------
# the panel
# ---------------------------------------------------------------------------------------
class ModelPanel(QWidget):
    """See the module docstring. ``features`` is the :class:`~.model_features.ModelFeatures`
    that owns the jobs and talks to the controller."""

    def __init__(self, features, network, parent=None):
        super().__init__(parent)
        self.f = features
        #: the network part (landscape_panel.LandscapePanel, built by ModelFeatures): it reads
        #: the data through this panel's public methods (csv_table, columns, ...)
        self.network = network
        network.data = self
        self.setObjectName("modelPanel")
        self.tables: dict = {"housing": None, "csv": None}
        self.source = "housing"           # data of "Your model" (and the network on a CSV)
        self._choice: dict = {}           # source -> (x, y) last chosen
        self._scales: dict = {}           # model -> "none" | "standard" (each model its own)
        self._linreg = None               # LinearRegressionObjective shown now
        self._shown: Optional[Shown] = None
        self._caret_col: Optional[int] = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(6)

        row = QHBoxLayout()
        row.addWidget(QLabel("Model"))
        self.mode = QComboBox()
        self.mode.setObjectName("modelCombo")
        for key, title in MODES:
            self.mode.addItem(title, key)
        self.mode.setToolTip("What gradient descent minimises: a function you type, or the cost "
                             "of a model fitted to data")
        row.addWidget(self.mode, 1)
        lay.addLayout(row)
        self.description = QLabel("Choose a model to fit it to data: the map then shows the cost "
                                  "as a function of the model's parameters.")
        self.description.setObjectName("modelDescription")
        self.description.setWordWrap(True)
        self.description.setStyleSheet(NOTE_STYLE)
        lay.addWidget(self.description)

        build_sections(self, lay)  # data, straight line, your model (model_sections.py)
        self._show_params(False)

        # -- shared live fit -----------------------------------------------------------
        self.distance = label("distanceLabel", rich=True)
        lay.addWidget(self.distance)

        # -- network (the landscape panel) --------------------------------------------------
        lay.addWidget(self.network)
        lay.addStretch(1)

        plain_text(self.description, self.data_label, self.data_error, self.model_error,
                   self.held, self.warning)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.apply)
        self.mode.currentIndexChanged.connect(self._mode_chosen)
        self.feature.currentIndexChanged.connect(self._columns_chosen)
        self.target.currentIndexChanged.connect(self._columns_chosen)
        self.scale.currentIndexChanged.connect(self._scale_chosen)
        self.curve_batch.editingFinished.connect(self.apply)
        self.loss.currentIndexChanged.connect(
            lambda _i: (self.huber_delta.setEnabled(self.loss.currentData() == "huber"), self.apply()))
        self.huber_delta.editingFinished.connect(
            lambda: self.loss.currentData() == "huber" and self.apply())
        self.model_edit.textEdited.connect(lambda _t: self._debounce.start())
        self.model_edit.returnPressed.connect(self.apply)
        self.param_x.currentIndexChanged.connect(self._pair_chosen)
        self.param_y.currentIndexChanged.connect(self._pair_chosen)
        self.open_button.clicked.connect(self.open_dialog)
        self.housing_button.clicked.connect(self.use_housing)
        self.stable_button.clicked.connect(self._use_stable_lr)
        self._sections()

    # -- what the network part uses -------------------------------------------------------
    def csv_table(self):
        """The open CSV's table, or None."""
        return self.tables.get("csv")

    def columns(self) -> tuple:
        """The chosen (x, y) columns."""
        return self.feature.currentData(), self.target.currentData()

    def network_data_chosen(self, csv: bool) -> bool:
        """The network's data changed to a toy set or the CSV; False (the data section shown)
        when the CSV is asked for and none is open."""
        if csv and self.csv_table() is None:
            self._sections()
            self.data_box.setVisible(True)
            return False
        if csv:
            self.source = "csv"
        self._filled = None
        self._sections()
        return True

    def say(self, text: str) -> None:
        self.description.setText(text)

    def set_shown(self, shown: Shown) -> None:
        """What the map shows now (a model view built by the network part)."""
        self._shown = shown

    def say_shown(self) -> None:
        """Back to the description of what is shown, after a failed build."""
        self.description.setText(self._shown.description if self._shown is not None
                                 else "Nothing shown: fix the problem above.")

    # -- state -------------------------------------------------------------------------
    @property
    def mode_key(self) -> str:
        return self.mode.currentData()

    def set_mode(self, key: str, apply: bool = True) -> None:
        """Choose a mode as if picked in ``modelCombo`` (``apply=False``: only show it)."""
        i = self.mode.findData(key)
        if i < 0:
            return
        if apply:
            if self.mode.currentIndex() == i:
                self._mode_chosen(i)
            else:
                self.mode.setCurrentIndex(i)
        else:
            with QSignalBlocker(self.mode):
                self.mode.setCurrentIndex(i)
            self._sections()

    def _sections(self) -> None:
        m = self.mode_key
        net_csv = m == "mlp" and self.network.uses_csv()
        self.data_box.setVisible(m in ("linreg", "typed") or net_csv)
        self.line_box.setVisible(m == "linreg")
        self.typed_box.setVisible(m == "typed")
        self.network.setVisible(m == "mlp")
        self.distance.setVisible(m in ("linreg", "typed"))
        self.scale.setEnabled(m != "mlp")
        csv_ok = self.tables.get("csv") is not None
        self.housing_button.setVisible(m in ("typed", "mlp") and csv_ok and self.source == "csv")
        self.open_button.setVisible(m != "linreg")
        if m == "linreg":
            self._fill_columns("housing")
        elif m == "typed" or net_csv:
            self._fill_columns("csv" if (net_csv or self.source == "csv") and csv_ok else "housing")
        if m == "function":
            self.description.setText("Type a function f(x, y) in the Function box, or choose a model "
                                     "to fit it to data: the map then shows the cost as a function of "
                                     "the model's parameters.")

    # scaling is chosen per model: "Your model" never inherits the line fit's z-scores, and a
    # model seen for the first time (linear or not) starts on the raw numbers
    def _scale_key(self):
        m = self.mode_key
        return ("typed", self.model_edit.text().strip()) if m == "typed" else m

    def _scale_chosen(self, _i: int) -> None:
        self._scales[self._scale_key()] = self.scale.currentData()
        self.apply()

    def _show_scale(self) -> None:
        want = self._scales.get(self._scale_key(), "none")
        i = self.scale.findData(want)
        if i >= 0 and i != self.scale.currentIndex():
            with QSignalBlocker(self.scale):
                self.scale.setCurrentIndex(i)

    def _mode_chosen(self, _i: int) -> None:
        self._sections()
        self.apply()

    def data_name(self) -> str:
        if self.mode_key == "linreg":
            return "housing"
        if self.source == "csv" and self.tables.get("csv") is not None:
            return self.tables["csv"].path
        return "housing"

    def _housing(self):
        if self.tables["housing"] is None:
            from ...io.datasets import load_housing

            self.tables["housing"] = load_housing()
        return self.tables["housing"]

    def _fill_columns(self, source: str) -> None:
        table = self._housing() if source == "housing" else self.tables["csv"]
        if table is None:
            return
        cols = [c for c in table.numeric_columns]
        key = (source, table.path, tuple(cols))
        if getattr(self, "_filled", None) == key:
            return
        self._filled = key
        if source == "housing":
            x0, y0 = self._choice.get("housing", ("LotArea", "SalePrice"))
            xs = [c for c in cols if c != "Id"]
        else:
            default = (cols[0], cols[1] if len(cols) > 1 else cols[0])
            x0, y0 = self._choice.get(("csv", table.path), default)
            xs = cols
        from ...io.datasets import COLUMN_UNITS

        with QSignalBlocker(self.feature), QSignalBlocker(self.target):
            self.feature.clear()
            self.target.clear()
            for c in xs:
                u = COLUMN_UNITS.get(c, "") if source == "housing" else ""
                self.feature.addItem(with_unit(c, u), c)
                self.target.addItem(with_unit(c, u), c)
            self.feature.setCurrentIndex(max(0, self.feature.findData(x0)))
            self.target.setCurrentIndex(max(0, self.target.findData(y0)))
        if source == "housing":
            self.data_label.setText(f"Ames housing ({table.n_rows} sales)")
        else:
            self.data_label.setText(f"{table.name} ({table.n_rows} rows)")

    def _columns_chosen(self, _i: int) -> None:
        x, y = self.feature.currentData(), self.target.currentData()
        if x is None or y is None:
            return
        src = "housing" if self.data_name() == "housing" else ("csv", self.tables["csv"].path)
        self._choice[src] = (x, y)
        if self.mode_key == "mlp":
            self.network.apply()
        else:
            self.apply()

    def _pair_chosen(self, _i: int) -> None:
        i, j = self.param_x.currentIndex(), self.param_y.currentIndex()
        if i < 0 or j < 0:
            return
        if i == j:
            self.held.setText("Choose two different parameters to show.")
            return
        self.apply(pair=(i, j), base=self.f.current_theta())

    # -- apply -------------------------------------------------------------------------
    def apply(self, pair=None, base=None) -> None:
        """Build the chosen model in the background and show it in the window."""
        self._debounce.stop()
        m = self.mode_key
        if m == "function":
            self.f.show_function()
            return
        if m == "mlp":
            self.network.apply()
            return
        x, y = self.feature.currentData(), self.target.currentData()
        if x is None or y is None:
            return
        kind = m
        text = self.model_edit.text().strip()
        data = self.data_name()
        self._show_scale()
        scale = self.scale.currentData()
        loss = self.loss.currentData()
        if kind == "typed" and pair is None and self._shown is not None and self._shown.kind == "typed" \
                and "pair" in self._shown.extra and getattr(self._shown.problem.objective, "model_text", None) == text:
            pair = self._shown.extra["pair"]

        batch = self.curve_batch.value() or None
        delta = self.huber_delta.value()

        spec = ModelSpec("linreg" if kind == "linreg" else text, data=data, x=x, y=y, scale=scale, loss=loss,
                         huber_delta=delta, batch_size=batch, pair=tuple(pair) if pair is not None else (0, 1))

        def build(job):
            return shown_in_job(spec, job, base=base)

        self.description.setText("Building the model and its cost surface…")
        self.f.request(build, self._built, self._failed, label=kind)

    def _built(self, shown: Shown) -> None:
        self.data_error.hide()
        self.model_error.hide()
        self.caret.hide()
        self.model_edit.setStyleSheet("")
        self.f.show(shown)

    def _failed(self, message: str, err) -> None:
        col = getattr(err, "column", None)
        text = sentence(message)
        from ...io.datasets import DataError

        if isinstance(err, DataError) or self.mode_key == "linreg":
            self.data_error.setText(text)
            self.data_error.show()
        else:
            self.model_error.setText(text)
            self.model_error.show()
            self.model_edit.setStyleSheet("QLineEdit { border: 1px solid #ff6b6b; }")
            self._caret_at(col)
        if self._shown is not None:
            self.description.setText(self._shown.description)
        else:
            self.description.setText("Nothing shown: fix the problem above.")

    def _caret_at(self, col) -> None:
        if col is None:
            self.caret.hide()
            return
        e = self.model_edit
        keep = e.cursorPosition()
        e.setCursorPosition(max(0, int(col) - 1))
        x = e.cursorRect().center().x()
        e.setCursorPosition(keep)
        w = self.caret.fontMetrics().horizontalAdvance("^")
        self.caret.setContentsMargins(max(0, x - w // 2), 0, 0, 0)
        self.caret.setText("^")
        self.caret.show()

    # -- showing -------------------------------------------------------------------------
    def describe(self, shown: Shown) -> None:
        """The panel's notes on the model now shown (Hessian, least squares, parameters)."""
        self._shown = shown
        self.description.setText(shown.description)
        obj = shown.problem.objective
        if shown.kind == "linreg":
            self._linreg = obj
            hessian, closed = linreg_notes(obj)
            self.hessian.setText(hessian)
            self.closed.setTextFormat(Qt.TextFormat.RichText)
            self.closed.setText(closed)
            self.update_lr_warning()
        else:
            self._linreg = None
            self.warning.hide()
            self.stable_button.hide()
        if shown.kind == "typed":
            names = list(obj.names)
            many = len(names) > 2
            self._show_params(many)
            if many:
                i, j = shown.extra.get("pair", (0, 1))
                with QSignalBlocker(self.param_x), QSignalBlocker(self.param_y):
                    for cb in (self.param_x, self.param_y):
                        cb.clear()
                        cb.addItems(names)
                    self.param_x.setCurrentIndex(i)
                    self.param_y.setCurrentIndex(j)
                self.held.setText("The other parameters are held at their current values: "
                                  + ", ".join(shown.extra.get("held", [])) + ". Change the pair to "
                                  "re-slice at the selected run's current point.")
            else:
                self.held.setText(f"Parameters {', '.join(names)}: both views show the cost surface.")
            if shown.closed_form is not None:
                self.closed.setText("")
        self.update_live(None)

    def _show_params(self, on: bool) -> None:
        self.param_row.setVisible(on)
        self.param_label.setVisible(on)

    def clear_model(self) -> None:
        """The window shows something else (a typed function)."""
        self._shown = None
        self._linreg = None
        self.warning.hide()
        self.stable_button.hide()
        self.set_mode("function", apply=False)

    # -- live --------------------------------------------------------------------------
    def update_lr_warning(self) -> None:
        obj = self._linreg
        if obj is None or self.mode_key != "linreg":
            self.warning.hide()
            self.stable_button.hide()
            return
        s = self.f.controller.settings
        lim = obj.max_stable_lr()
        lr = float(s.lr)
        rates = [float(v) for v in getattr(s, "compare_lrs", ()) if v] or [lr]
        worst = max(rates)
        if worst > lim:
            extra = "" if s.optimizer == "gd" else (f" (the bound is for plain gradient descent; "
                                                     f"{s.optimizer} behaves differently)")
            self.warning.setText(
                f"⚠ Learning rate {worst:.3g} is above 2/λmax = {lim:.3g}: plain gradient descent "
                f"overshoots along the steepest direction and diverges{extra}. "
                + ("Standardise the data, or use a smaller rate." if obj.scale == "none"
                   else "Use a smaller rate."))
            if self.warning.isHidden():  # newly above the limit: say so where the person looks too
                self.f.message(f"Learning rate {worst:.3g} is above 2/λmax = {lim:.3g}: plain gradient "
                               f"descent diverges on this cost", "error")
            self.warning.show()
            self.stable_button.show()
        else:
            self.warning.hide()
            self.stable_button.hide()

    def _use_stable_lr(self) -> None:
        if self._linreg is None:
            return
        lr = float(f"{0.9 * self._linreg.max_stable_lr():.3g}")
        self.f.apply_settings(lr=lr)  # an edit of the document (undo step); the panels follow
        self.update_lr_warning()

    def update_live(self, point) -> None:
        """The selected run's current 2-D point (or None): current fit and distance to the
        least-squares solution."""
        self.distance.setText(live_fit_text(self._shown, point, self.f.controller_value()))

    # -- data files ------------------------------------------------------------------------
    def open_dialog(self) -> None:
        from PySide6.QtCore import QSettings

        st = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gdstudio", "studio")
        folder = st.value("data/last_dir", "")
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV file", str(folder or ""),
                                              "CSV files (*.csv *.txt);;All files (*)")
        if path:
            import os

            st.setValue("data/last_dir", os.path.dirname(path))
            self.open_csv(path)

    def open_csv(self, path: str) -> None:
        """Load ``path`` in the background; on success it becomes the data of "Your model"
        (or of the network), fitted with its first two numeric columns; on failure the
        one-sentence reason appears under the data and the previous problem stays."""
        path = str(path)
        mode = self.mode_key
        if mode in ("function", "linreg"):
            mode = "typed"
        self.data_error.hide()
        self.data_label.setText(f"Reading {path.rsplit('/', 1)[-1]}…")

        load = lambda job: load_two_columns(path)  # noqa: E731 (a job: no widgets)

        self.f.jobs.start(load, lambda t: self._csv_loaded(t, mode), self._csv_failed,
                          name="gdstudio-csv")

    def _csv_loaded(self, table, mode: str) -> None:
        self.tables["csv"] = table
        self.source = "csv"
        self._filled = None
        skipped = ", ".join(table.non_numeric)
        self.data_error.hide()
        if mode == "mlp":
            self.network.use_csv()
            self.set_mode("mlp", apply=False)
            self._sections()
            self.network.apply()
        else:
            self.set_mode("typed", apply=False)
            self._sections()
            self.apply()
        if skipped:
            self.f.message(f"Loaded {table.name}; skipped columns that are not numbers: {skipped}")
        else:
            self.f.message(f"Loaded {table.name}: {table.n_rows} rows")

    def _csv_failed(self, message: str, err) -> None:
        text = sentence(message)
        self.data_error.setText(text)
        self.data_error.show()
        self.data_box.setVisible(True)
        self._filled = None
        self._sections()
        self.data_box.setVisible(True)
        self.f.message(text, "error")

    def use_housing(self) -> None:
        self.source = "housing"
        self._filled = None
        if self.mode_key == "mlp":
            self.network.use_toy()
        self._sections()
        self.apply()

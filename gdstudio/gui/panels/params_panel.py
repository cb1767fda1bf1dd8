"""Descent parameters, random starts and comparison.

* ``ParamsPanel``: optimizer (``optimizerCombo``), learning rate on a log slider
  (``learningRateSlider``) with an exact field (``learningRateEdit``), only the
  hyper-parameters of the chosen optimizer, schedule, max steps (``stepsEdit``), tolerance
  (``toleranceEdit``) and animation speed (``speedSlider``).
  Signal ``sig_settings(dict)``: changed settings (keys of controller.Settings).
* ``StartsPanel``: N random starts (``randomStartsCount``), sampler, seed, the button
  (``randomStartsButton``); ``sig_random_starts(int, str, int)``; "Clear starts".
* ``ComparePanel``: checkable optimizers (``compareList``) and learning rates
  (``compareLrEdit``) to run side by side from every start; ``sig_settings(dict)``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QDoubleValidator, QPalette
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSlider, QSpinBox,
                               QVBoxLayout, QWidget)

from ...core.optimizers import HYPER_DEFAULTS, OPTIMIZERS
from ...core.schedules import SCHEDULES, Schedule

OPTIMIZER_TITLES = {
    "gd": "Gradient descent", "momentum": "Momentum", "nesterov": "Nesterov momentum",
    "adagrad": "AdaGrad", "rmsprop": "RMSprop", "adam": "Adam", "newton": "Newton's method",
}
HYPER_LABELS = {"momentum": "momentum μ", "alpha": "alpha α", "eps": "eps ε",
                "beta1": "beta₁", "beta2": "beta₂", "damping": "damping λ"}
LR_MIN, LR_MAX, LR_TICKS = 1e-5, 10.0, 600
SPEED_MIN, SPEED_MAX, SPEED_TICKS = 1.0, 100_000.0, 500


def _to_tick(v, lo, hi, ticks):
    v = min(max(v, lo), hi)
    return int(round((math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ticks))


def _from_tick(t, lo, hi, ticks):
    return 10 ** (math.log10(lo) + t / ticks * (math.log10(hi) - math.log10(lo)))


def _nice(v: float) -> float:
    """Round a slider value to 3 significant digits."""
    return float(f"{v:.3g}")


class _FloatEdit(QLineEdit):
    """A line edit holding an exact float (any notation Python accepts)."""

    def __init__(self, value: float, lo=None, hi=None):
        super().__init__(repr(float(value)) if value != 0 else "0")
        self.lo, self.hi = lo, hi
        v = QDoubleValidator(self)
        v.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.setValidator(v)

    def value(self):
        try:
            v = float(self.text())
        except ValueError:
            return None
        if not math.isfinite(v) or (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            return None
        return v

    def set_value(self, v: float) -> None:
        self.setText(f"{v:.6g}" if abs(v) >= 1e-4 else f"{v:.3g}")


class ParamsPanel(QGroupBox):
    sig_settings = Signal(dict)

    def __init__(self, settings, parent=None):
        super().__init__("Descent", parent)
        self._settings = settings
        form = QFormLayout(self)
        form.setVerticalSpacing(4)
        self.form = form
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizerCombo")
        for o in OPTIMIZERS:
            self.optimizer.addItem(OPTIMIZER_TITLES[o], o)
        self.optimizer.setCurrentIndex(OPTIMIZERS.index(settings.optimizer))
        form.addRow("Optimizer", self.optimizer)

        lr_row = QWidget()
        h = QHBoxLayout(lr_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setObjectName("learningRateSlider")
        self.lr_slider.setRange(0, LR_TICKS)
        self.lr_slider.setToolTip("Learning rate, logarithmic from 1e-5 to 10")
        self.lr_edit = _FloatEdit(settings.lr, lo=1e-300)
        self.lr_edit.setObjectName("learningRateEdit")
        self.lr_edit.setToolTip("The exact learning rate (press Enter)")
        self.lr_edit.setMaximumWidth(90)
        h.addWidget(self.lr_slider, 1)
        h.addWidget(self.lr_edit)
        form.addRow("Learning rate", lr_row)
        self.lr_slider.setValue(_to_tick(settings.lr, LR_MIN, LR_MAX, LR_TICKS))
        self.lr_edit.set_value(settings.lr)

        self.hyper_edits = {}
        for key in ("momentum", "alpha", "beta1", "beta2", "eps", "damping"):
            e = _FloatEdit(0.0, lo=0.0)
            e.setObjectName(f"{key}Edit")
            e.editingFinished.connect(lambda k=key: self._hyper_edited(k))
            form.addRow(HYPER_LABELS[key], e)
            self.hyper_edits[key] = e

        self.schedule = QComboBox()
        self.schedule.setObjectName("scheduleCombo")
        for s in SCHEDULES:
            self.schedule.addItem(s, s)
        form.addRow("Schedule", self.schedule)
        self.sched_edits = {
            "step_size": _FloatEdit(100, lo=1), "gamma": _FloatEdit(0.5, lo=0.0, hi=1.0),
            "t_max": _FloatEdit(1000, lo=1),
        }
        for k, label in (("step_size", "  every (steps)"), ("gamma", "  decay γ"), ("t_max", "  T_max")):
            e = self.sched_edits[k]
            e.setObjectName(f"schedule_{k}Edit")
            e.editingFinished.connect(self._schedule_edited)
            form.addRow(label, e)

        self.steps = QSpinBox()
        self.steps.setObjectName("stepsEdit")
        self.steps.setRange(1, 10_000_000)
        self.steps.setGroupSeparatorShown(True)
        self.steps.setValue(settings.max_steps)
        self.steps.setKeyboardTracking(False)
        form.addRow("Max steps", self.steps)
        self.tol = _FloatEdit(settings.tol, lo=0.0)
        self.tol.setObjectName("toleranceEdit")
        self.tol.setToolTip("Stop a run when ‖∇f‖ ≤ tolerance (0: never)")
        form.addRow("Tolerance ‖∇f‖", self.tol)

        sp_row = QWidget()
        h = QHBoxLayout(sp_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setObjectName("speedSlider")
        self.speed.setRange(0, SPEED_TICKS + 1)  # the last tick: as fast as possible
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(70)
        h.addWidget(self.speed, 1)
        h.addWidget(self.speed_label)
        form.addRow("Speed", sp_row)
        self.set_speed(settings.speed)

        self.optimizer.currentIndexChanged.connect(self._optimizer_changed)
        self.lr_slider.valueChanged.connect(self._lr_slid)
        self.lr_edit.editingFinished.connect(self._lr_typed)
        self.schedule.currentIndexChanged.connect(self._schedule_edited)
        self.steps.valueChanged.connect(lambda v: self.sig_settings.emit({"max_steps": int(v)}))
        self.tol.editingFinished.connect(self._tol_typed)
        self.speed.valueChanged.connect(self._speed_slid)
        self._show_hyper()
        self._show_schedule_fields()

    # -- helpers -------------------------------------------------------------------------
    def _row_visible(self, widget, visible: bool) -> None:
        self.form.setRowVisible(widget, visible)

    def _show_hyper(self) -> None:
        name = self.optimizer.currentData()
        values = self._settings.hyper_for(name)
        for key, e in self.hyper_edits.items():
            applies = key in HYPER_DEFAULTS[name]
            self._row_visible(e, applies)
            if applies:
                e.set_value(values[key])

    def _show_schedule_fields(self) -> None:
        kind = self.schedule.currentData()
        need = {"constant": (), "step": ("step_size", "gamma"), "exponential": ("gamma",), "cosine": ("t_max",)}[kind]
        for k, e in self.sched_edits.items():
            self._row_visible(e, k in need)

    def settings_changed(self, settings) -> None:
        """Show the controller's settings (they may change from code, e.g. a model panel
        setting a stable learning rate) without emitting anything back."""
        self._settings = settings
        blockers = [QSignalBlocker(w) for w in (self.optimizer, self.lr_slider, self.steps, self.speed,
                                                 self.schedule)]
        try:
            i = self.optimizer.findData(settings.optimizer)
            if i >= 0 and i != self.optimizer.currentIndex():
                self.optimizer.setCurrentIndex(i)
                self._show_hyper()
            if self.lr_edit.value() != settings.lr:
                self.lr_edit.set_value(settings.lr)
                self.lr_slider.setValue(_to_tick(settings.lr, LR_MIN, LR_MAX, LR_TICKS))
            if self.steps.value() != settings.max_steps:
                self.steps.setValue(int(settings.max_steps))
            if self.tol.value() != settings.tol:
                self.tol.set_value(settings.tol)
            self.set_speed(settings.speed)
        finally:
            del blockers

    # -- slots -----------------------------------------------------------------------------
    def _optimizer_changed(self, _i) -> None:
        self._show_hyper()
        self.sig_settings.emit({"optimizer": self.optimizer.currentData()})

    def _lr_slid(self, tick: int) -> None:
        lr = _nice(_from_tick(tick, LR_MIN, LR_MAX, LR_TICKS))
        self.lr_edit.set_value(lr)
        self.sig_settings.emit({"lr": lr})

    def _lr_typed(self) -> None:
        lr = self.lr_edit.value()
        if lr is None or lr <= 0:
            self.lr_edit.setStyleSheet("QLineEdit { border: 1px solid #ff6b6b; }")
            return
        self.lr_edit.setStyleSheet("")
        with QSignalBlocker(self.lr_slider):
            self.lr_slider.setValue(_to_tick(lr, LR_MIN, LR_MAX, LR_TICKS))
        if lr != self._settings.lr:
            self.sig_settings.emit({"lr": lr})

    def set_lr(self, lr: float) -> None:
        """Set the learning rate exactly (as if typed)."""
        self.lr_edit.setText(repr(float(lr)))
        self._lr_typed()

    def _hyper_edited(self, key: str) -> None:
        e = self.hyper_edits[key]
        v = e.value()
        if v is None:
            e.setStyleSheet("QLineEdit { border: 1px solid #ff6b6b; }")
            return
        e.setStyleSheet("")
        name = self.optimizer.currentData()
        if self._settings.hyper_for(name).get(key) != v:
            self.sig_settings.emit({"hyper": {name: {key: v}}})

    def _schedule_edited(self, *_a) -> None:
        self._show_schedule_fields()
        kind = self.schedule.currentData()
        vals = {k: e.value() for k, e in self.sched_edits.items()}
        try:
            sched = Schedule(kind, step_size=int(vals["step_size"] or 100), gamma=vals["gamma"] or 0.5,
                             t_max=int(vals["t_max"] or 1000))
        except ValueError:
            return
        if sched != self._settings.schedule:
            self.sig_settings.emit({"schedule": sched})

    def _tol_typed(self) -> None:
        v = self.tol.value()
        if v is None:
            self.tol.setStyleSheet("QLineEdit { border: 1px solid #ff6b6b; }")
            return
        self.tol.setStyleSheet("")
        if v != self._settings.tol:
            self.sig_settings.emit({"tol": v})

    def _speed_value(self, tick: int):
        if tick > SPEED_TICKS:
            return None
        return _nice(_from_tick(tick, SPEED_MIN, SPEED_MAX, SPEED_TICKS))

    def _speed_slid(self, tick: int) -> None:
        v = self._speed_value(tick)
        self.speed_label.setText("max" if v is None else f"{v:g} steps/s")
        self.sig_settings.emit({"speed": v})

    def set_speed(self, speed) -> None:
        with QSignalBlocker(self.speed):
            self.speed.setValue(SPEED_TICKS + 1 if speed is None else _to_tick(speed, SPEED_MIN, SPEED_MAX, SPEED_TICKS))
        self.speed_label.setText("max" if speed is None else f"{speed:g} steps/s")


class StartsPanel(QGroupBox):
    sig_random_starts = Signal(int, str, int)
    sig_clear = Signal()

    def __init__(self, parent=None):
        super().__init__("Starts", parent)
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        hint = QLabel("Click the contour map to add a start; drag a start to move it.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #aaaaaa;")
        lay.addWidget(hint)
        row = QHBoxLayout()
        self.count = QSpinBox()
        self.count.setObjectName("randomStartsCount")
        self.count.setRange(1, 20_000)
        self.count.setValue(1000)
        self.count.setGroupSeparatorShown(True)
        self.sampler = QComboBox()
        self.sampler.setObjectName("samplerCombo")
        for key, title in (("uniform", "uniform"), ("sobol", "Sobol"), ("halton", "Halton"), ("grid", "grid")):
            self.sampler.addItem(title, key)
        self.sampler.setToolTip("uniform random, or evenly spread low-discrepancy points")
        row.addWidget(self.count)
        row.addWidget(self.sampler)
        lay.addLayout(row)
        row = QHBoxLayout()
        self.seed = QSpinBox()
        self.seed.setObjectName("seedEdit")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setPrefix("seed ")
        self.seed.setMinimumWidth(self.seed.fontMetrics().horizontalAdvance("seed 0000000") + 30)
        self.button = QPushButton("Random starts")
        self.button.setObjectName("randomStartsButton")
        self.button.setToolTip("Throw N starts into the domain and colour each by the minimum it reaches")
        row.addWidget(self.seed)
        row.addWidget(self.button, 1)
        lay.addLayout(row)
        self.clear = QPushButton("Clear starts")
        self.clear.setObjectName("clearStartsButton")
        lay.addWidget(self.clear)
        self.button.clicked.connect(
            lambda: self.sig_random_starts.emit(self.count.value(), self.sampler.currentData(), self.seed.value()))
        self.clear.clicked.connect(self.sig_clear)

    def show_starts(self, starts) -> None:
        """Show the document's random starts (a :class:`~gdstudio.app.session.Starts` drawn by a
        sampler, e.g. a preset's recommended ones), so Random starts redraws the same kind;
        explicit starts leave the fields as they are."""
        if getattr(starts, "sampler", None) is None:
            return
        i = self.sampler.findData(starts.sampler)
        with QSignalBlocker(self.count), QSignalBlocker(self.sampler), QSignalBlocker(self.seed):
            self.count.setValue(int(starts.count))
            if i >= 0:
                self.sampler.setCurrentIndex(i)
            if starts.seed is not None:
                self.seed.setValue(int(starts.seed))


def visible_check_boxes(view) -> None:
    """Give an item view's unchecked boxes a border that stands out from its background.
    Fusion draws the border from the palette's Window colour (darkened), which on the dark
    theme is nearly the list's own background (contrast 1.02:1): the Window colour of this
    view alone becomes a mix of its text and background, so the border reads (about 4:1)."""
    pal = view.palette()
    base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
    t = 0.6
    mix = QColor(round(base.red() + t * (text.red() - base.red())),
                 round(base.green() + t * (text.green() - base.green())),
                 round(base.blue() + t * (text.blue() - base.blue())))
    pal.setColor(QPalette.ColorRole.Window, mix)
    view.setPalette(pal)


class ComparePanel(QGroupBox):
    sig_settings = Signal(dict)

    def __init__(self, parent=None):
        super().__init__("Compare side by side", parent)
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        self.list = QListWidget()
        self.list.setObjectName("compareList")
        for o in OPTIMIZERS:
            it = QListWidgetItem(OPTIMIZER_TITLES[o])
            it.setData(Qt.ItemDataRole.UserRole, o)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(it)
        self.list.setMaximumHeight(6 * 19 + 6)
        self.list.setToolTip("Check two or more: every start runs once per checked optimizer")
        visible_check_boxes(self.list)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(QLabel("learning rates"))
        self.lrs = QLineEdit()
        self.lrs.setObjectName("compareLrEdit")
        self.lrs.setPlaceholderText("e.g. 0.001, 0.01, 0.1")
        row.addWidget(self.lrs, 1)
        lay.addLayout(row)
        self.list.itemChanged.connect(self._emit)
        self.lrs.editingFinished.connect(self._emit)

    def show_settings(self, optimizers, lrs) -> None:
        """Show the document's comparisons (after an undo, a preset, a file) without emitting."""
        with QSignalBlocker(self.list):
            for i in range(self.list.count()):
                it = self.list.item(i)
                it.setCheckState(Qt.CheckState.Checked if it.data(Qt.ItemDataRole.UserRole) in optimizers
                                 else Qt.CheckState.Unchecked)
        shown = self.lr_values()
        if tuple(lrs) != (shown if len(shown) > 1 else ()):  # one rate typed compares nothing
            with QSignalBlocker(self.lrs):
                self.lrs.setText(", ".join(f"{v:g}" for v in lrs))

    def checked(self) -> tuple:
        out = []
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.checkState() == Qt.CheckState.Checked:
                out.append(it.data(Qt.ItemDataRole.UserRole))
        return tuple(out)

    def set_checked(self, names) -> None:
        with QSignalBlocker(self.list):
            for i in range(self.list.count()):
                it = self.list.item(i)
                it.setCheckState(Qt.CheckState.Checked if it.data(Qt.ItemDataRole.UserRole) in names
                                 else Qt.CheckState.Unchecked)
        self._emit()

    def lr_values(self) -> tuple:
        vals = []
        for part in self.lrs.text().replace(";", ",").split(","):
            try:
                v = float(part)
            except ValueError:
                continue
            if math.isfinite(v) and v > 0:
                vals.append(v)
        return tuple(dict.fromkeys(vals))

    def _emit(self, *_a) -> None:
        opts = self.checked()
        lrs = self.lr_values()
        self.sig_settings.emit({"compare_optimizers": opts if len(opts) > 1 else (),
                                "compare_lrs": lrs if len(lrs) > 1 else ()})

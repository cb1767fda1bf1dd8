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
background :class:`Job`; see :class:`PrecomputedGrid` for how the map's grid is computed off
the GUI thread.

Shared helpers used by the other model panels are defined here too: :class:`Job`,
:class:`JobPool`, :class:`Cancelled`, :class:`PrecomputedGrid`, :class:`Shown`.
"""

from __future__ import annotations

import hashlib
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QDoubleSpinBox, QLineEdit, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout,
                               QWidget)

from ..core.objective import Objective

MODES = (("function", "Function"), ("linreg", "Linear regression (housing)"),
         ("typed", "Your model"), ("mlp", "Neural network"))
CONVENTION = "J(a, b) = (1/n)·Σ(yᵢ − (a·xᵢ + b))²"
WARN_STYLE = ("QLabel { background: #b35c00; color: white; border-radius: 4px; padding: 6px; "
              "font-weight: bold; }")
ERROR_STYLE = "color: #ff6b6b;"
NOTE_STYLE = "color: #a8a8b3;"
#: value() calls with more rows than this are evaluated in blocks (progress, cancel)
BLOCK_ROWS = 4096


# ---------------------------------------------------------------------------------------
# background work
# ---------------------------------------------------------------------------------------
class Cancelled(Exception):
    """Raised inside a job's function when the job was cancelled."""


class Job(QThread):
    """Runs ``fn(job)`` in its own thread. ``fn`` may call ``job.progress(fraction)`` and
    ``job.check()`` (raises :class:`Cancelled` after :meth:`cancel`). Exactly one of
    ``sig_result(object)``, ``sig_failed(str, object)`` (one sentence and the exception) or
    ``sig_cancelled()`` is emitted, queued to the GUI thread."""

    sig_progress = Signal(float)
    sig_result = Signal(object)
    sig_failed = Signal(str, object)
    sig_cancelled = Signal()

    def __init__(self, fn: Callable, name: str = "gdstudio-model-job"):
        super().__init__()
        self.setObjectName(name)
        self._fn = fn
        self._cancel = threading.Event()
        self._last_progress = -1.0

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, fraction: float) -> None:
        f = float(min(1.0, max(0.0, fraction)))
        if f >= 1.0 or f - self._last_progress >= 0.005:
            self._last_progress = f
            self.sig_progress.emit(f)
            time.sleep(0)  # let the GUI thread take the GIL (QT-NOTES)

    def run(self) -> None:  # the worker thread
        try:
            out = self._fn(self)
        except Cancelled:
            self.sig_cancelled.emit()
            return
        except ValueError as err:  # DataError, ExpressionError, bad settings: one sentence
            self.sig_failed.emit(str(err), err)
            return
        except Exception as err:  # never take the window down
            traceback.print_exc()
            self.sig_failed.emit(f"{type(err).__name__}: {err}", err)
            return
        if self._cancel.is_set():
            self.sig_cancelled.emit()
        else:
            self.sig_result.emit(out)


class JobPool(QObject):
    """Keeps running jobs alive until they finish; cancels and joins them on shutdown."""

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._jobs: set = set()

    def start(self, fn: Callable, on_result=None, on_failed=None, on_progress=None,
              on_cancelled=None, name: str = "gdstudio-model-job") -> Job:
        job = Job(fn, name)
        if on_result is not None:
            job.sig_result.connect(on_result)
        if on_failed is not None:
            job.sig_failed.connect(on_failed)
        if on_progress is not None:
            job.sig_progress.connect(on_progress)
        if on_cancelled is not None:
            job.sig_cancelled.connect(on_cancelled)
        job.finished.connect(lambda j=job: self._done(j))
        self._jobs.add(job)
        job.start()
        return job

    def _done(self, job: Job) -> None:
        job.wait(1000)
        self._jobs.discard(job)

    @property
    def busy(self) -> bool:
        return any(j.isRunning() for j in self._jobs)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        ok = True
        for j in list(self._jobs):
            j.cancel()
        for j in list(self._jobs):
            ok = bool(j.wait(timeout_ms)) and ok
        return ok


class PrecomputedGrid(Objective):
    """A 2-D objective whose map grid is computed in a background thread.

    The controller evaluates a new objective on the map's grid (and its gradient on the arrow
    grid) in the GUI thread; for a model on data that takes up to a second. So the job first
    calls the same ``compute_grid`` on this wrapper: every ``value``/``value_and_grad`` call
    is evaluated (large ones in blocks, reporting progress and honouring cancel) and
    remembered by the exact bytes of its argument. When the controller then makes the same
    calls, they are answered from memory; :meth:`release` forgets them afterwards.

    ``value`` is the full-data value (``full_value``) when the objective has one, like
    :func:`gdstudio.core.models.landscape.compute_landscape`: the map shows the loss on all
    the data even when descent uses mini-batches. Everything else (the runner's hot path,
    Hessians, ``on_step``, ``embed``, ``predict``…) goes straight to the wrapped objective."""

    def __init__(self, inner: Objective):
        self.inner = inner
        self.names = tuple(inner.names)
        self.label = getattr(inner, "label", "")
        self.source = getattr(inner, "source", "")
        self.default_domain = getattr(inner, "default_domain", None)
        self.scalar_value_and_grad = getattr(inner, "scalar_value_and_grad", None)
        self._cache: dict = {}
        self._recording = True
        self._job: Optional[Job] = None
        self._span = (0.0, 1.0)

    def __getattr__(self, name):
        inner = self.__dict__.get("inner")
        if inner is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(inner, name)

    # -- recording ------------------------------------------------------------------------
    def attach(self, job: Optional[Job], span=(0.0, 1.0)) -> None:
        self._job, self._span = job, (float(span[0]), float(span[1]))

    def release(self) -> None:
        """Stop remembering (after the controller has taken the grid)."""
        self._recording = False
        self._cache.clear()
        self._job = None

    @staticmethod
    def _key(tag: str, P: np.ndarray):
        return tag, P.shape, hashlib.blake2b(P.tobytes(), digest_size=16).digest()

    def _value_fn(self):
        fv = getattr(self.inner, "full_value", None)
        return fv if callable(fv) else self.inner.value

    # -- Objective ------------------------------------------------------------------------
    def value(self, P):
        P = np.ascontiguousarray(np.atleast_2d(np.asarray(P, float)))
        key = self._key("v", P) if self._recording else None
        if key is not None and key in self._cache:
            return self._cache[key].copy()
        fn = self._value_fn()
        n = P.shape[0]
        job = self._job
        if job is not None and n > BLOCK_ROWS:
            out = np.empty(n)
            a, b = self._span
            block = int(getattr(self.inner, "max_batch_runs", BLOCK_ROWS) or BLOCK_ROWS)
            block = max(256, min(BLOCK_ROWS, block))
            with np.errstate(all="ignore"):
                for i in range(0, n, block):
                    job.check()
                    j = min(n, i + block)
                    out[i:j] = np.asarray(fn(P[i:j]), float)
                    job.progress(a + (b - a) * j / n)
        else:
            with np.errstate(all="ignore"):
                out = np.asarray(fn(P), float).reshape(n)
        if key is not None:
            self._cache[key] = out.copy()
        return out

    def value_and_grad(self, P):
        P = np.ascontiguousarray(np.atleast_2d(np.asarray(P, float)))
        key = self._key("vg", P) if self._recording else None
        if key is not None and key in self._cache:
            f, G = self._cache[key]
            return f.copy(), G.copy()
        with np.errstate(all="ignore"):
            f, G = self.inner.value_and_grad(P)
        f, G = np.asarray(f, float), np.asarray(G, float)
        if key is not None:
            self._cache[key] = (f.copy(), G.copy())
        return f, G

    def grad(self, P):
        return self.inner.grad(P)

    def value_and_grad_T(self, X):
        return self.inner.value_and_grad_T(X)

    def hess(self, P):
        return self.inner.hess(P)

    def domain(self):
        return self.inner.domain()


def precompute_grid(objective: Objective, domain, job: Optional[Job], span=(0.0, 1.0)) -> PrecomputedGrid:
    """Wrap ``objective`` and evaluate the map's grid on it now (in the calling thread)."""
    from .geometry import compute_grid

    w = PrecomputedGrid(objective)
    w.attach(job, span)
    compute_grid(w, domain)
    w.attach(None)
    return w


# ---------------------------------------------------------------------------------------
# what is shown
# ---------------------------------------------------------------------------------------
def _identity(P):
    return np.atleast_2d(np.asarray(P, float))


@dataclass
class Shown:
    """A model problem as handed to the window: the core ``Problem`` (data, model, predict),
    the 2-D objective the views show and descend on (``objective``: what the controller got;
    ``inner``: the same without the grid wrapper), how a 2-D point maps to the model's full
    parameter vector (``embed`` (N, 2) -> (N, d)), the domain, the starts, the exact minimiser
    to mark (2-D, or None) and, for a landscape plane, the projected training path (T, 3)."""

    kind: str  # linreg | typed | mlp-slice | mlp-plane
    problem: object
    objective: Objective
    inner: Objective
    domain: tuple
    description: str
    starts: np.ndarray
    embed: Callable = _identity
    closed_form: Optional[np.ndarray] = None
    path: Optional[np.ndarray] = None
    extra: dict = field(default_factory=dict)
    #: one line for the map's title (the controller's problem description)
    title: str = ""
    #: axis labels of the map with units, e.g. ("a ($ per sq ft)", "b ($)")
    axis_labels: tuple = ()

    def theta(self, p2) -> np.ndarray:
        """The full parameter vector (d,) at the 2-D point ``p2``."""
        return np.asarray(self.embed(np.asarray(p2, float).reshape(1, 2)), float)[0]


def slice_domain(full_domain, base, i: int, j: int):
    """The (i, j) rows of a full domain, widened to contain the base point."""
    out = []
    for k in (i, j):
        lo, hi = map(float, full_domain[k])
        b = float(base[k])
        if not lo <= b <= hi:
            w = max(hi - lo, 1e-9)
            lo, hi = min(lo, b - 0.1 * w), max(hi, b + 0.1 * w)
        out.append((lo, hi))
    return tuple(out)


def build_curve_shown(kind: str, model_text: str, data: str, x: str, y: str, scale: str,
                      loss: str, pair: Optional[tuple], base: Optional[np.ndarray],
                      job: Optional[Job], batch_size: Optional[int] = None,
                      huber_delta: float = 1.0) -> Shown:
    """Build a line fit or typed model (core ``build_problem``) and its 2-D view; runs in a
    job. ``pair`` (i, j) chooses the two parameters shown when there are more than two;
    ``base`` the values the others are held at (default: the model's default start)."""
    from ..core.models.landscape import SliceObjective
    from ..core.models.problems import build_problem

    prob = build_problem("linreg" if kind == "linreg" else model_text, data, x=x, y=y,
                         scale=scale, loss=loss, batch_size=batch_size, huber_delta=huber_delta)
    if job is not None:
        job.check()
    obj = prob.objective
    if obj.dim == 2:
        dom = obj.domain()
        inner, embed, starts = obj, _identity, np.asarray(prob.default_starts, float)[:1]
        closed = None if prob.closed_form is None else np.asarray(prob.closed_form, float)
        desc = prob.description
        extra = {}
    else:
        th = np.asarray(prob.default_starts[0] if base is None else base, float).ravel()
        if th.size != obj.dim:
            th = np.asarray(prob.default_starts[0], float)
        i, j = pair if pair is not None else (0, 1)
        if not (0 <= i < obj.dim and 0 <= j < obj.dim) or i == j:
            i, j = 0, 1
        dom = slice_domain(obj.domain(), th, i, j)
        inner = SliceObjective(obj, th, i, j, domain=dom)
        embed = inner.embed
        starts = th[[i, j]][None, :]
        closed = None
        held = [f"{n} = {th[k]:.4g}" for k, n in enumerate(obj.names) if k not in (i, j)]
        desc = (f"{prob.description} The map shows the slice over {obj.names[i]} and "
                f"{obj.names[j]}, with {', '.join(held)} held fixed.")
        extra = {"pair": (i, j), "base": th, "held": held}
    std = ", z-scored" if getattr(obj, "scale", "none") == "standard" else ""
    if kind == "linreg":
        u = obj.param_units()
        title = f"J(a, b): MSE of {prob.y_name} ≈ a·{prob.x_name} + b{std}"
        wrapped = precompute_grid(obj, dom, job)
        return Shown("linreg", prob, wrapped, obj, tuple(dom), desc, starts, embed, closed, extra=extra,
                     title=title, axis_labels=(with_unit("a", u["a"]), with_unit("b", u["b"])))
    lname = {"mse": "MSE", "mae": "MAE", "huber": "Huber loss"}[obj.loss]
    shown_names = inner.names
    title = f"J({', '.join(obj.names)}): {lname} of {prob.y_name} ≈ {obj.model_text}{std}"
    if obj.dim > 2:
        title = (f"{lname} of {prob.y_name} ≈ {obj.model_text}{std}; "
                 f"{', '.join(n for n in obj.names if n not in shown_names)} held")
    wrapped = precompute_grid(inner, dom, job)
    return Shown("typed", prob, wrapped, inner, tuple(dom), desc, starts, embed, closed, extra=extra,
                 title=title, axis_labels=tuple(shown_names))


# ---------------------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------------------
def sentence(msg: str) -> str:
    """A core message as a sentence: capital first letter (unless it starts with a file or
    column name) and a full stop."""
    msg = str(msg).strip()
    first = msg.split(" ", 1)[0]
    if msg[:1].islower() and "." not in first and "'" not in first:
        msg = msg[:1].upper() + msg[1:]
    return msg if msg.endswith((".", "?", "!")) else msg + "."


def fmt(v: float, unit: str = "") -> str:
    """A number for people: thousands separators for big values, 4 significant digits."""
    v = float(v)
    if not np.isfinite(v):
        s = "—"
    elif v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-3):
        s = f"{v:.3g}"
    elif abs(v) >= 1000:
        s = f"{v:,.0f}"
    else:
        s = f"{v:.4g}"
    return f"{s} {unit}".strip() if unit else s


def with_unit(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


# ---------------------------------------------------------------------------------------
# the panel
# ---------------------------------------------------------------------------------------
class ModelPanel(QWidget):
    """See the module docstring. ``features`` is the :class:`~.model_features.ModelFeatures`
    that owns the jobs and talks to the controller."""

    def __init__(self, features, parent=None):
        super().__init__(parent)
        self.f = features
        self.setObjectName("modelPanel")
        self.tables: dict = {"housing": None, "csv": None}
        self.source = "housing"           # data of "Your model" (and the network on a CSV)
        self._choice: dict = {}           # source -> (x, y) last chosen
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

        # -- data ------------------------------------------------------------------------
        self.data_box = QGroupBox("Data")
        form = QFormLayout(self.data_box)
        form.setVerticalSpacing(4)
        drow = QHBoxLayout()
        self.data_label = QLabel("Ames housing (1460 sales)")
        self.data_label.setObjectName("dataLabel")
        self.data_label.setWordWrap(True)
        drow.addWidget(self.data_label, 1)
        self.open_button = QPushButton("Open CSV…")
        self.open_button.setObjectName("openDataButton")
        self.open_button.setToolTip("Fit your model to your own data (or drop a .csv file on the window)")
        drow.addWidget(self.open_button)
        self.housing_button = QPushButton("Housing")
        self.housing_button.setObjectName("housingButton")
        self.housing_button.setToolTip("Back to the shipped Ames housing data")
        drow.addWidget(self.housing_button)
        form.addRow(drow)
        self.feature = QComboBox()
        self.feature.setObjectName("featureCombo")
        self.feature.setToolTip("The input x")
        form.addRow("x (feature)", self.feature)
        self.target = QComboBox()
        self.target.setObjectName("targetCombo")
        self.target.setToolTip("The target y the model predicts")
        form.addRow("y (target)", self.target)
        self.scale = QComboBox()
        self.scale.setObjectName("scaleCombo")
        self.scale.addItem("none (raw numbers)", "none")
        self.scale.addItem("standard (z-scores)", "standard")
        self.scale.setToolTip("Standardising x and y makes the cost a round bowl: descent converges "
                              "in a few steps instead of crawling")
        form.addRow("Scaling", self.scale)
        self.curve_batch = QSpinBox()
        self.curve_batch.setObjectName("curveBatchSpin")
        self.curve_batch.setRange(0, 100_000)
        self.curve_batch.setSpecialValueText("full batch")
        self.curve_batch.setSuffix(" points")
        self.curve_batch.setToolTip("Mini-batch stochastic descent: each step's gradient uses this many "
                                    "points, reshuffled every epoch (seeded), so the path gets noisy. "
                                    "0: the full batch")
        form.addRow("Mini-batch", self.curve_batch)
        self.data_error = QLabel("")
        self.data_error.setObjectName("dataError")
        self.data_error.setWordWrap(True)
        self.data_error.setStyleSheet(ERROR_STYLE)
        self.data_error.hide()
        form.addRow(self.data_error)
        lay.addWidget(self.data_box)

        # -- the straight line -------------------------------------------------------------
        self.line_box = QGroupBox("Straight line ŷ = a·x + b")
        ll = QVBoxLayout(self.line_box)
        ll.setSpacing(4)
        self.convention = QLabel(f"Cost: {CONVENTION}  (mean squared error, factor 1/n, no ½)")
        self.convention.setObjectName("conventionLabel")
        self.convention.setWordWrap(True)
        ll.addWidget(self.convention)
        self.hessian = QLabel("")
        self.hessian.setObjectName("hessianLabel")
        self.hessian.setWordWrap(True)
        self.hessian.setTextFormat(Qt.TextFormat.RichText)
        ll.addWidget(self.hessian)
        self.warning = QLabel("")
        self.warning.setObjectName("lrWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARN_STYLE)
        self.warning.hide()
        ll.addWidget(self.warning)
        self.stable_button = QPushButton("Use a stable rate (0.9 × 2/λmax)")
        self.stable_button.setObjectName("useStableLrButton")
        self.stable_button.hide()
        ll.addWidget(self.stable_button)
        self.closed = QLabel("")
        self.closed.setObjectName("closedFormLabel")
        self.closed.setWordWrap(True)
        ll.addWidget(self.closed)
        lay.addWidget(self.line_box)

        # -- your model -------------------------------------------------------------------
        self.typed_box = QGroupBox("Your model ŷ = m(x; parameters)")
        tl = QVBoxLayout(self.typed_box)
        tl.setSpacing(4)
        self.model_edit = QLineEdit("a*x + b")
        self.model_edit.setObjectName("modelEdit")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.model_edit.setFont(mono)
        self.model_edit.setPlaceholderText("e.g. a*exp(b*x), a*x**2 + b*x + c")
        self.model_edit.setToolTip("x is the data; every other name is a parameter to fit")
        tl.addWidget(self.model_edit)
        self.caret = QLabel("")
        self.caret.setObjectName("modelCaret")
        self.caret.setFont(mono)
        self.caret.setStyleSheet(ERROR_STYLE)
        self.caret.hide()
        tl.addWidget(self.caret)
        self.model_error = QLabel("")
        self.model_error.setObjectName("modelError")
        self.model_error.setWordWrap(True)
        self.model_error.setStyleSheet(ERROR_STYLE)
        self.model_error.hide()
        tl.addWidget(self.model_error)
        tform = QFormLayout()
        tform.setVerticalSpacing(4)
        self.loss = QComboBox()
        self.loss.setObjectName("lossCombo")
        for key, title in (("mse", "MSE (1/n)·Σr²"), ("mae", "MAE (1/n)·Σ|r|"), ("huber", "Huber (δ below)")):
            self.loss.addItem(title, key)
        tform.addRow("Loss", self.loss)
        self.huber_delta = QDoubleSpinBox()
        self.huber_delta.setObjectName("huberDeltaSpin")
        self.huber_delta.setDecimals(4)
        self.huber_delta.setRange(1e-4, 1e9)
        self.huber_delta.setValue(1.0)
        self.huber_delta.setToolTip("Huber threshold δ: residuals smaller than δ cost r²/2, larger ones "
                                    "δ·(|r| − δ/2). In the units of y (standardised units with scaling).")
        self.huber_delta.setEnabled(False)
        tform.addRow("Huber δ", self.huber_delta)
        prow = QHBoxLayout()
        self.param_x = QComboBox()
        self.param_x.setObjectName("paramXCombo")
        self.param_y = QComboBox()
        self.param_y.setObjectName("paramYCombo")
        prow.addWidget(self.param_x, 1)
        prow.addWidget(QLabel("×"))
        prow.addWidget(self.param_y, 1)
        self.param_row = QWidget()
        self.param_row.setLayout(prow)
        prow.setContentsMargins(0, 0, 0, 0)
        self.param_label = QLabel("Show")
        tform.addRow(self.param_label, self.param_row)
        tl.addLayout(tform)
        self.held = QLabel("")
        self.held.setObjectName("heldLabel")
        self.held.setWordWrap(True)
        self.held.setStyleSheet(NOTE_STYLE)
        tl.addWidget(self.held)
        lay.addWidget(self.typed_box)
        self._show_params(False)

        # -- shared live fit -----------------------------------------------------------
        self.distance = QLabel("")
        self.distance.setObjectName("distanceLabel")
        self.distance.setWordWrap(True)
        self.distance.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.distance)

        # -- network (landscape panel) ------------------------------------------------------
        from .landscape_panel import LandscapePanel

        self.network = LandscapePanel(features, self)
        lay.addWidget(self.network)
        lay.addStretch(1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.apply)
        self.mode.currentIndexChanged.connect(self._mode_chosen)
        self.feature.currentIndexChanged.connect(self._columns_chosen)
        self.target.currentIndexChanged.connect(self._columns_chosen)
        self.scale.currentIndexChanged.connect(lambda _i: self.apply())
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
            from ..io.datasets import load_housing

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
        from ..io.datasets import COLUMN_UNITS

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
        scale = self.scale.currentData()
        loss = self.loss.currentData()
        if kind == "typed" and pair is None and self._shown is not None and self._shown.kind == "typed" \
                and "pair" in self._shown.extra and getattr(self._shown.problem.objective, "model_text", None) == text:
            pair = self._shown.extra["pair"]

        batch = self.curve_batch.value() or None
        delta = self.huber_delta.value()

        def build(job):
            return build_curve_shown(kind, text, data, x, y, scale, loss, pair, base, job, batch, delta)

        self.description.setText("Building the model and its cost surface…")
        self.f.request(build, self._built, self._failed, label=kind)

    def _built(self, shown: Shown) -> None:
        self.data_error.hide()
        self.model_error.hide()
        self.caret.hide()
        self.model_edit.setStyleSheet("")
        self.show_shown(shown)

    def _failed(self, message: str, err) -> None:
        col = getattr(err, "column", None)
        text = sentence(message)
        from ..io.datasets import DataError

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
    def show_shown(self, shown: Shown) -> None:
        self._shown = shown
        self.f.show(shown)
        self.description.setText(shown.description)
        obj = shown.problem.objective
        if shown.kind == "linreg":
            self._linreg = obj
            lam = obj.hessian_eigenvalues()
            self.hessian.setText(
                f"Hessian (constant) eigenvalues λ = {fmt(lam[0])}, {fmt(lam[1])}<br>"
                f"condition number λmax/λmin = {fmt(obj.condition_number())}<br>"
                f"largest stable rate of plain descent 2/λmax = <b>{obj.max_stable_lr():.3g}</b>")
            cf = obj.closed_form()
            a0, b0 = obj.to_original_units(cf[0], cf[1])
            u = obj.param_units(original=True)
            std = ""
            if obj.scale == "standard":
                us = obj.param_units()
                std = (f"<br>in the map's standardised units: a* = {fmt(cf[0])} ({us['a']}), "
                       f"b* = {fmt(cf[1])} ({us['b']})")
            self.closed.setTextFormat(Qt.TextFormat.RichText)
            self.closed.setText(f"Least squares (◆ on the map): a* = {fmt(a0, u['a'])}, "
                                f"b* = {fmt(b0, u['b'])}{std}")
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
        params = getattr(self.f.window, "params", None)
        if params is not None and hasattr(params, "set_lr"):
            params.set_lr(lr)
        else:
            self.f.controller.update_settings(lr=lr)
        self.update_lr_warning()

    def update_live(self, point) -> None:
        """The selected run's current 2-D point (or None): current fit and distance to the
        least-squares solution."""
        sh = self._shown
        if sh is None or sh.kind not in ("linreg", "typed"):
            self.distance.setText("")
            return
        if point is None or not np.all(np.isfinite(point)):
            self.distance.setText("Run descent (▶) to watch the fit; the selected run's current point "
                                  "is shown here.")
            return
        a, b = float(point[0]), float(point[1])
        names = sh.objective.names
        parts = []
        if sh.kind == "linreg":
            obj = sh.problem.objective
            a0, b0 = obj.to_original_units(a, b)
            u = obj.param_units(original=True)
            parts.append(f"Selected run now: a = {fmt(a0, u['a'])}, b = {fmt(b0, u['b'])}")
        else:
            parts.append(f"Selected run now: {names[0]} = {fmt(a)}, {names[1]} = {fmt(b)}")
        f = self.f.controller_value()
        if f is not None:
            parts.append(f"J = {fmt(f)}")
        if sh.closed_form is not None:
            d = float(np.hypot(a - sh.closed_form[0], b - sh.closed_form[1]))
            unit = " (standardised units)" if getattr(sh.problem.objective, "scale", "none") == "standard" else ""
            parts.append(f"distance to the least-squares solution ◆: <b>{d:.3g}</b>{unit}")
        self.distance.setText("<br>".join(parts))

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
        text = self.model_edit.text().strip() or "a*x + b"
        loss = self.loss.currentData()
        self.data_error.hide()
        self.data_label.setText(f"Reading {path.rsplit('/', 1)[-1]}…")

        def load(job):
            from ..io.datasets import DataError, load_csv_columns

            table = load_csv_columns(path)
            cols = table.numeric_columns
            if len(cols) < 2:
                for name in table.non_numeric:   # the core's sentence: "column 'y' is not numeric (row 2 holds 'a')"
                    table.column(name)
                raise DataError(f"{table.name} needs two numeric columns (x and y); it has "
                                f"{len(cols)}: {', '.join(cols) or 'none'}")
            # the columns used first must be complete: refuse before anything changes
            table.column(cols[0])
            table.column(cols[1])
            return table

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

"""The widgets of the "Data & model" panel's sections (data, straight line, your model), laid
out as a Qt Designer form would be: :func:`build_sections` creates them as attributes of the
panel (:class:`.model_panel.ModelPanel`, which gives them their behaviour) and adds their group
boxes to its layout. objectNames: see :mod:`.model_panel`."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..text import ERROR_STYLE, NOTE_STYLE, WARN_STYLE, label

CONVENTION = "J(a, b) = (1/n)·Σ(yᵢ − (a·xᵢ + b))²"


def build_sections(panel, lay: QVBoxLayout) -> None:
    """The data, straight-line and your-model group boxes of ``panel``, added to ``lay``."""
    # -- data ------------------------------------------------------------------------
    panel.data_box = QGroupBox("Data")
    form = QFormLayout(panel.data_box)
    form.setVerticalSpacing(4)
    drow = QHBoxLayout()
    panel.data_label = label("dataLabel", "Ames housing (1460 sales)")
    drow.addWidget(panel.data_label, 1)
    panel.open_button = QPushButton("Open CSV…")
    panel.open_button.setObjectName("openDataButton")
    panel.open_button.setToolTip("Fit your model to your own data (or drop a .csv file on the window)")
    drow.addWidget(panel.open_button)
    panel.housing_button = QPushButton("Housing")
    panel.housing_button.setObjectName("housingButton")
    panel.housing_button.setToolTip("Back to the shipped Ames housing data")
    drow.addWidget(panel.housing_button)
    form.addRow(drow)
    panel.feature = QComboBox()
    panel.feature.setObjectName("featureCombo")
    panel.feature.setToolTip("The input x")
    form.addRow("x (feature)", panel.feature)
    panel.target = QComboBox()
    panel.target.setObjectName("targetCombo")
    panel.target.setToolTip("The target y the model predicts")
    form.addRow("y (target)", panel.target)
    panel.scale = QComboBox()
    panel.scale.setObjectName("scaleCombo")
    panel.scale.addItem("none (raw numbers)", "none")
    panel.scale.addItem("standard (z-scores)", "standard")
    panel.scale.setToolTip("Chosen per model (a model starts on the raw numbers). "
                          "Standardising x and y makes the cost a round bowl: descent converges "
                          "in a few steps instead of crawling")
    form.addRow("Scaling", panel.scale)
    panel.curve_batch = QSpinBox()
    panel.curve_batch.setObjectName("curveBatchSpin")
    panel.curve_batch.setRange(0, 100_000)
    panel.curve_batch.setSpecialValueText("full batch")
    panel.curve_batch.setSuffix(" points")
    panel.curve_batch.setToolTip("Mini-batch stochastic descent: each step's gradient uses this many "
                                "points, reshuffled every epoch (seeded), so the path gets noisy. "
                                "0: the full batch")
    form.addRow("Mini-batch", panel.curve_batch)
    panel.data_error = label("dataError", style=ERROR_STYLE, hidden=True)
    form.addRow(panel.data_error)
    lay.addWidget(panel.data_box)

    # -- the straight line -------------------------------------------------------------
    panel.line_box = QGroupBox("Straight line ŷ = a·x + b")
    ll = QVBoxLayout(panel.line_box)
    ll.setSpacing(4)
    panel.convention = label("conventionLabel", f"Cost: {CONVENTION}  (mean squared error, factor 1/n, no ½)")
    ll.addWidget(panel.convention)
    panel.hessian = label("hessianLabel", rich=True)
    ll.addWidget(panel.hessian)
    panel.warning = label("lrWarning", style=WARN_STYLE, hidden=True)
    ll.addWidget(panel.warning)
    panel.stable_button = QPushButton("Use a stable rate (0.9 × 2/λmax)")
    panel.stable_button.setObjectName("useStableLrButton")
    panel.stable_button.hide()
    ll.addWidget(panel.stable_button)
    panel.closed = label("closedFormLabel")
    ll.addWidget(panel.closed)
    lay.addWidget(panel.line_box)

    # -- your model -------------------------------------------------------------------
    panel.typed_box = QGroupBox("Your model ŷ = m(x; parameters)")
    tl = QVBoxLayout(panel.typed_box)
    tl.setSpacing(4)
    panel.model_edit = QLineEdit("a*x + b")
    panel.model_edit.setObjectName("modelEdit")
    mono = QFont("monospace")
    mono.setStyleHint(QFont.StyleHint.Monospace)
    panel.model_edit.setFont(mono)
    panel.model_edit.setPlaceholderText("e.g. a*exp(b*x), a*x**2 + b*x + c")
    panel.model_edit.setToolTip("x is the data; every other name is a parameter to fit")
    tl.addWidget(panel.model_edit)
    panel.caret = QLabel("")
    panel.caret.setObjectName("modelCaret")
    panel.caret.setFont(mono)
    panel.caret.setStyleSheet(ERROR_STYLE)
    panel.caret.hide()
    tl.addWidget(panel.caret)
    panel.model_error = label("modelError", style=ERROR_STYLE, hidden=True)
    tl.addWidget(panel.model_error)
    tform = QFormLayout()
    tform.setVerticalSpacing(4)
    panel.loss = QComboBox()
    panel.loss.setObjectName("lossCombo")
    for key, title in (("mse", "MSE (1/n)·Σr²"), ("mae", "MAE (1/n)·Σ|r|"), ("huber", "Huber (δ below)")):
        panel.loss.addItem(title, key)
    tform.addRow("Loss", panel.loss)
    panel.huber_delta = QDoubleSpinBox()
    panel.huber_delta.setObjectName("huberDeltaSpin")
    panel.huber_delta.setDecimals(4)
    panel.huber_delta.setRange(1e-4, 1e9)
    panel.huber_delta.setValue(1.0)
    panel.huber_delta.setToolTip("Huber threshold δ: residuals smaller than δ cost r²/2, larger ones "
                                "δ·(|r| − δ/2). In the units of y (standardised units with scaling).")
    panel.huber_delta.setEnabled(False)
    tform.addRow("Huber δ", panel.huber_delta)
    prow = QHBoxLayout()
    panel.param_x = QComboBox()
    panel.param_x.setObjectName("paramXCombo")
    panel.param_y = QComboBox()
    panel.param_y.setObjectName("paramYCombo")
    prow.addWidget(panel.param_x, 1)
    prow.addWidget(QLabel("×"))
    prow.addWidget(panel.param_y, 1)
    panel.param_row = QWidget()
    panel.param_row.setLayout(prow)
    prow.setContentsMargins(0, 0, 0, 0)
    panel.param_label = QLabel("Show")
    tform.addRow(panel.param_label, panel.param_row)
    tl.addLayout(tform)
    panel.held = label("heldLabel", style=NOTE_STYLE)
    tl.addWidget(panel.held)
    lay.addWidget(panel.typed_box)

"""The function editor: a text field with live validation (objectName ``functionEdit``),
the preset picker (``presetCombo``), the domain (x and y ranges) and a short syntax help.

Typing is validated after a short pause (250 ms). An error is shown inline under the field,
with a caret under the offending column; the last valid surface stays on screen.

Signal: ``sig_function_changed(str, object)`` text and domain (or None) to apply; the
controller answers with ``sig_expression_error`` (shown by :meth:`show_error`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QInputMethodEvent, QTextCharFormat
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QToolButton, QVBoxLayout)

HELP = (
    "<b>Syntax</b>: variables <code>x</code>, <code>y</code>; "
    "<code>+ - * / **</code> (or <code>^</code>); "
    "<code>sin cos tan exp log sqrt abs tanh</code> …; constants <code>pi e</code>. "
    "Example: <code>(1-x)**2 + 100*(y-x**2)**2</code>. Gradients and Hessians are exact "
    "(symbolic)."
)


def _presets():
    try:
        from ...core.presets import PRESETS
    except ImportError:
        return {}
    return PRESETS


class EditorPanel(QGroupBox):
    sig_function_changed = Signal(str, object)
    #: "Back to a function" pressed while a model's cost is shown
    sig_function_mode = Signal()

    def __init__(self, parent=None):
        super().__init__("Function", parent)
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        # shown instead of the function while a model's cost is on the map
        self.model_note = QLabel("")
        self.model_note.setObjectName("setupModelNote")
        self.model_note.setWordWrap(True)
        self.model_note.hide()
        lay.addWidget(self.model_note)
        self.function_button = QPushButton("Back to a function")
        self.function_button.setObjectName("backToFunctionButton")
        self.function_button.setToolTip("Leave the model and descend on the function typed here again")
        self.function_button.clicked.connect(self.sig_function_mode)
        self.function_button.hide()
        lay.addWidget(self.function_button)
        row = QHBoxLayout()
        self.preset_row = row
        self.preset = QComboBox()
        self.preset.setObjectName("presetCombo")
        self.preset.addItem("Custom", None)
        for name, p in _presets().items():
            self.preset.addItem(getattr(p, "title", name) or name, name)
        self.preset.setToolTip("Built-in functions from the optimisation literature")
        self.preset_label = QLabel("Preset")
        row.addWidget(self.preset_label)
        row.addWidget(self.preset, 1)
        lay.addLayout(row)
        self.edit = QLineEdit()
        self.edit.setObjectName("functionEdit")
        self.edit.setPlaceholderText("f(x, y) = …   e.g. x**2 + 3*y**2")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.edit.setFont(mono)
        lay.addWidget(self.edit)
        self.error = QLabel("")
        self.error.setObjectName("functionError")
        self.error.setFont(mono)
        self.error.setStyleSheet("color: #ff6b6b;")
        self.error.setWordWrap(False)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        lay.addWidget(self.error)
        self.error_text = QLabel("")
        self.error_text.setObjectName("functionErrorText")
        self.error_text.setStyleSheet("color: #ff6b6b;")
        self.error_text.setWordWrap(True)
        self.error_text.hide()
        lay.addWidget(self.error_text)

        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        self.domain_boxes = []
        self.domain_labels = []
        for r, name in enumerate(("x", "y")):
            lo, hi = QDoubleSpinBox(), QDoubleSpinBox()
            for b in (lo, hi):
                b.setRange(-1e6, 1e6)
                b.setDecimals(3)
                b.setSingleStep(0.5)
                b.setKeyboardTracking(False)
                # room for ordinary values ("-12.500"); the range's widest text would widen the
                # Setup panel past a small screen
                b.setMinimumWidth(b.fontMetrics().horizontalAdvance("-10000.000") + 30)
                b.valueChanged.connect(self._domain_edited)
            lo.setObjectName(f"{name}MinEdit")
            hi.setObjectName(f"{name}MaxEdit")
            self.domain_boxes.append((lo, hi))
            label = QLabel(f"{name} from")
            self.domain_labels.append(label)
            grid.addWidget(label, r, 0)
            grid.addWidget(lo, r, 1)
            grid.addWidget(QLabel("to"), r, 2)
            grid.addWidget(hi, r, 3)
        lay.addLayout(grid)
        help_row = QHBoxLayout()
        self.help_button = QToolButton()
        self.help_button.setText("Syntax help")
        self.help_button.setObjectName("syntaxHelpButton")
        self.help_button.setCheckable(True)
        help_row.addWidget(self.help_button)
        help_row.addStretch(1)
        self.busy = QLabel("compiling…")
        self.busy.setObjectName("functionBusy")
        self.busy.setStyleSheet("color: #a8a8b3;")
        self.busy.setToolTip("The function is being compiled in the background; the last valid surface stays")
        self.busy.setVisible(False)
        help_row.addWidget(self.busy)
        lay.addLayout(help_row)
        self.help = QLabel(HELP)
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.RichText)
        self.help.setStyleSheet("color: #bbbbbb;")
        self.help.setVisible(False)
        self.help_button.toggled.connect(self.help.setVisible)
        lay.addWidget(self.help)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_now)
        self.edit.textEdited.connect(self._typed)
        self.edit.returnPressed.connect(self.apply_now)
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self._preset_name = None

    # -- user input ----------------------------------------------------------------------
    def _typed(self, _text: str) -> None:
        if self._preset_name is not None:
            self._preset_name = None
            with QSignalBlocker(self.preset):
                self.preset.setCurrentIndex(0)
        self._debounce.start()

    def _applied_text(self) -> str:
        """What applying means now: the preset while the field shows its formula, else the
        field's text (a text set by code, without a keystroke, must not apply the preset)."""
        name = self._preset_name
        if name is not None:
            p = _presets().get(name)
            if p is not None and self.edit.text().strip() == getattr(p, "formula", name).strip():
                return name
            self._preset_name = None
            with QSignalBlocker(self.preset):
                self.preset.setCurrentIndex(0)
        return self.edit.text()

    def apply_now(self) -> None:
        """Validate and apply the text now (also on Return)."""
        self._debounce.stop()
        text = self._applied_text()
        if text.strip():
            self.sig_function_changed.emit(text, None)
        else:  # an empty field is no error: the old message would describe text that is gone
            self.show_error(None)

    def _preset_chosen(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name is None:
            self._preset_name = None
            return
        p = _presets().get(name)
        if p is None:
            return
        self._preset_name = name
        self.edit.setText(getattr(p, "formula", name))
        self.set_domain(p.domain)
        self._debounce.stop()
        self.sig_function_changed.emit(name, tuple(tuple(map(float, r)) for r in p.domain))

    def _domain_edited(self, _v=None) -> None:
        dom = self.domain()
        if dom is None:
            return
        text = self._applied_text()
        if text.strip():
            self.sig_function_changed.emit(text, dom)

    # -- mode ------------------------------------------------------------------------------
    def show_function_mode(self, names=("x", "y")) -> None:
        """The function editor (a typed function or a preset is on the map)."""
        self.setTitle("Function")
        self.model_note.hide()
        self.function_button.hide()
        for w in (self.preset, self.preset_label, self.edit, self.help_button):
            w.show()
        self._domain_editable(True, names)

    def show_model(self, description: str, names, domain) -> None:
        """A model's cost is on the map: show what it is, its parameters and their ranges
        (set by the model panel, so read-only here)."""
        self.setTitle("Model")
        (xa, xb), (ya, yb) = domain
        a, b = names
        self.model_note.setText(f"{description}\nThe map shows the cost over the parameters {a} and {b}: "
                                f"{a} from {xa:.4g} to {xb:.4g}, {b} from {ya:.4g} to {yb:.4g} "
                                "(set in the Data & model tab).")
        self.model_note.show()
        self.function_button.show()
        for w in (self.preset, self.preset_label, self.edit, self.help_button, self.help, self.error,
                  self.error_text):
            w.hide()
        self.help_button.setChecked(False)
        self._domain_editable(False, names)

    def _domain_editable(self, on: bool, names) -> None:
        for label, name in zip(self.domain_labels, names):
            label.setText(f"{name} from")
        for lo, hi in self.domain_boxes:
            for b in (lo, hi):
                b.setEnabled(on)

    # -- programmatic --------------------------------------------------------------------
    def domain(self):
        (xl, xh), (yl, yh) = ((a.value(), b.value()) for a, b in self.domain_boxes)
        if not (xl < xh and yl < yh):
            self.show_message("each range needs min < max")
            return None
        return ((xl, xh), (yl, yh))

    def set_domain(self, domain) -> None:
        for (lo, hi), (a, b) in zip(self.domain_boxes, domain):
            with QSignalBlocker(lo), QSignalBlocker(hi):
                lo.setValue(float(a))
                hi.setValue(float(b))

    def set_text(self, text: str, preset: str | None = None) -> None:
        """Show ``text`` (and select ``preset``) without applying it."""
        with QSignalBlocker(self.preset):
            idx = self.preset.findData(preset) if preset else 0
            self.preset.setCurrentIndex(max(0, idx))
        self._preset_name = preset if preset and self.preset.findData(preset) >= 0 else None
        self.edit.setText(text)

    def show_error(self, err) -> None:
        """Show an ExpressionError inline (None clears it)."""
        if err is None:
            self._mark(None)
            self.error.hide()
            self.error_text.hide()
            self.edit.setStyleSheet("")
            self.edit.setToolTip("")
            return
        col = getattr(err, "column", None)
        self.edit.setStyleSheet("QLineEdit { border: 1px solid #ff6b6b; }")
        self.edit.setToolTip(str(err))
        if col is not None and self._preset_name is None:
            # a caret under the offending character (the typing cursor stays where it is)
            keep = self.edit.cursorPosition()
            i = max(0, int(col) - 1)
            # the middle of character i as the line edit lays it out: halfway between the
            # cursor positions before and after it
            self.edit.setCursorPosition(i)
            left = self.edit.cursorRect().center().x()
            if i < len(self.edit.text()):
                self.edit.setCursorPosition(i + 1)
                right = self.edit.cursorRect().center().x()
            else:
                right = left + self.edit.fontMetrics().horizontalAdvance(" ")
            self.edit.setCursorPosition(keep)
            x = (left + right) / 2
            self._mark(i)
            caret_w = self.error.fontMetrics().horizontalAdvance("^")
            offset = self.edit.geometry().x() - (self.error.geometry().x() if self.error.isVisible() else
                                                 self.edit.geometry().x())
            self.error.setContentsMargins(max(0, int(round(x + offset - caret_w / 2))), 0, 0, 0)
            self.error.setText("^")
            self.error.show()
        else:
            self.error.hide()
        msg = str(err)
        self.error_text.setText(msg[:1].upper() + msg[1:] + ("" if msg.endswith(".") else "."))
        self.error_text.show()

    def _mark(self, i) -> None:
        """Underline character ``i`` of the field in red (None: clear), drawn by the line
        edit itself through an input-method format, so it sits exactly on the character."""
        attrs = []
        if i is not None and i < len(self.edit.text()):
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor("#ff6b6b"))
            fmt.setBackground(QColor(255, 80, 80, 70))
            attrs.append(QInputMethodEvent.Attribute(QInputMethodEvent.AttributeType.TextFormat,
                                                     i - self.edit.cursorPosition(), 1, fmt))
        QCoreApplication.sendEvent(self.edit, QInputMethodEvent("", attrs))

    def show_message(self, text: str) -> None:
        self.error.hide()
        self.error_text.setText(text)
        self.error_text.show()

"""The point inspector (objectName ``pointInspector``): at the point under the mouse on the
contour map, or at the selected run's current/end point: value, gradient, exact Hessian
eigenvalues, condition number and 2/λmax, the largest learning rate for which plain
gradient descent is stable on the local quadratic model there."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QSizePolicy

from ..text import point


def _num(v) -> str:
    if v is None:
        return "—"
    v = float(v)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.4g}"


class Inspector(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Point inspector", parent)
        self.setObjectName("pointInspector")
        form = QFormLayout(self)
        form.setContentsMargins(8, 6, 8, 6)
        form.setVerticalSpacing(3)
        self.fields = {}
        # one number per row (a gradient near a minimum, -9.841e-07 and 1.274e-20, does not
        # fit beside another in the room the bottom row has at 1280 px)
        for key, label in (("where", "at"), ("point", "point"), ("value", "f"), ("dx", "∂f/∂x"),
                           ("dy", "∂f/∂y"), ("gnorm", "‖∇f‖"), ("lam_min", "Hessian λmin"),
                           ("lam_max", "Hessian λmax"), ("cond", "condition κ"), ("lr_max", "2/λmax")):
            w = QLabel("—")
            # changing text must not re-layout the window (neighbours would repaint)
            w.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            w.setTextInteractionFlags(w.textInteractionFlags() | w.textInteractionFlags().TextSelectableByMouse)
            form.addRow(label, w)
            self.fields[key] = w
        self.form = form
        # inside the optimizer: what the selected run's optimizer carries (internals_feed.py)
        self.internals = QLabel("")
        self.internals.setObjectName("optimizerInternals")
        self.internals.setWordWrap(True)
        self.internals.setTextFormat(Qt.TextFormat.RichText)
        self.internals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.internals.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.internals.hide()
        form.addRow(self.internals)
        self.fields["lr_max"].setToolTip(
            "The largest learning rate for which plain gradient descent does not diverge on the "
            "local quadratic model here (2 / largest Hessian eigenvalue).")
        self.fields["cond"].setToolTip("|λ|max / |λ|min: large values mean a narrow valley.")
        self.report = None
        # room for the widest value, so none is clipped (labels never resize the window)
        label_w = max(self.fontMetrics().horizontalAdvance(t) for t in ("condition κ", "Hessian λmax", "2/λmax"))
        value_w = max(self.fontMetrics().horizontalAdvance(t) for t in ("(-12.805, -13.131)", "run 100, now",
                                                                        "-1.234e+05", "∞ (λmax ≤ 0)"))
        self._span = 1.0
        self.setMinimumWidth(label_w + value_w + max(form.horizontalSpacing(), 6) + 16 + 8)

    def show_internals(self, rows, optimizer: str = "") -> None:
        """(label, value) rows of what the selected run's optimizer carries; None hides them."""
        if not rows:
            self.internals.hide()
            self.internals.setText("")
            return
        import html

        head = f"<b>inside {html.escape(optimizer)}</b>" if optimizer else "<b>inside the optimizer</b>"
        body = "".join(f"<br>{html.escape(a)}: <tt>{html.escape(b)}</tt>" for a, b in rows)
        self.internals.setText(head + body)
        self.internals.show()

    def set_problem(self, names, domain) -> None:
        """Axis names (rows ∂f/∂a, ∂f/∂b) and the domain, whose size sets the point's decimals."""
        a, b = names
        for key, n in (("dx", a), ("dy", b)):
            self.form.labelForField(self.fields[key]).setText(f"∂f/∂{n}")
        (xa, xb), (ya, yb) = domain
        self._span = max(xb - xa, yb - ya)

    def show_report(self, report: dict, where: str) -> None:
        self.report = dict(report, where=where)
        f = self.fields
        f["where"].setText(where)
        f["point"].setText(point(report["point"], self._span, 4))
        self.setToolTip("")
        f["value"].setText(_num(report["value"]))
        g = report["grad"]
        f["dx"].setText(_num(g[0]))
        f["dy"].setText(_num(g[1]))
        f["gnorm"].setText(_num(math.hypot(*g)) if all(map(math.isfinite, g)) else "—")
        eig = report["eig"]
        lo, hi = (None, None) if eig is None else (min(eig), max(eig))
        f["lam_min"].setText(_num(lo))
        f["lam_max"].setText(_num(hi))
        f["cond"].setText(_num(report["cond"]))
        lr = report["lr_max"]
        f["lr_max"].setText("∞ (λmax ≤ 0)" if lr is not None and math.isinf(lr) else _num(lr))
        x, y = report["point"]
        f["point"].setToolTip(f"({float(x)!r}, {float(y)!r})")  # the exact point

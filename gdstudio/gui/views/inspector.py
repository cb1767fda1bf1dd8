"""The point inspector (objectName ``pointInspector``): at the point under the mouse on the
contour map, or at the selected run's current/end point: value, gradient, exact Hessian
eigenvalues, condition number and 2/λmax, the largest learning rate for which plain
gradient descent is stable on the local quadratic model there."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QSizePolicy


def _num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    return f"{v:.4g}"


class Inspector(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Point inspector", parent)
        self.setObjectName("pointInspector")
        form = QFormLayout(self)
        form.setContentsMargins(8, 6, 8, 6)
        form.setVerticalSpacing(3)
        self.fields = {}
        for key, label in (("where", "at"), ("point", "point"), ("value", "f"), ("grad", "∇f"),
                           ("gnorm", "‖∇f‖"), ("eig", "Hessian λ"), ("cond", "condition κ"),
                           ("lr_max", "2/λmax")):
            w = QLabel("—")
            # changing text must not re-layout the window (neighbours would repaint)
            w.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            w.setTextInteractionFlags(w.textInteractionFlags() | w.textInteractionFlags().TextSelectableByMouse)
            form.addRow(label, w)
            self.fields[key] = w
        self.fields["lr_max"].setToolTip(
            "The largest learning rate for which plain gradient descent does not diverge on the "
            "local quadratic model here (2 / largest Hessian eigenvalue).")
        self.fields["cond"].setToolTip("|λ|max / |λ|min: large values mean a narrow valley.")
        self.report = None
        self.setMinimumWidth(240)

    def show_report(self, report: dict, where: str) -> None:
        self.report = dict(report, where=where)
        f = self.fields
        x, y = report["point"]
        f["where"].setText(where)
        f["point"].setText(f"({x:.5g}, {y:.5g})")
        self.setToolTip("")
        f["value"].setText(_num(report["value"]))
        g = report["grad"]
        f["grad"].setText(f"({_num(g[0])}, {_num(g[1])})")
        f["gnorm"].setText(_num(math.hypot(*g)) if all(map(math.isfinite, g)) else "—")
        eig = report["eig"]
        f["eig"].setText("—" if eig is None else ", ".join(_num(v) for v in eig))
        f["cond"].setText(_num(report["cond"]))
        lr = report["lr_max"]
        f["lr_max"].setText("∞ (no positive curvature)" if lr is not None and math.isinf(lr) else _num(lr))

"""Divergence announced where the person looks (app/run_summary.py has the rules).

:class:`DivergenceNotice` keeps the state label honest ("diverged", "3 of 10 runs
diverged") and, once runs diverged, says in the status bar which learning rate would be
stable at their start (0.9 × 2/λmax from the exact Hessian) with a button that applies it
(``applyStableLrButton``): one click sets the rate through the session (an undo step) and
runs again.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton

from ..app.run_summary import LrSuggestion, diverged_count, stable_lr_suggestion, state_text


class DivergenceNotice(QObject):
    def __init__(self, controller, link, state_label, status_bar, message: Callable, parent=None):
        super().__init__(parent)
        self.c = controller
        self.link = link
        self.label = state_label
        self.message = message
        self.suggestion: Optional[LrSuggestion] = None
        self._key = None
        self.button = QPushButton("Use the stable rate")
        self.button.setObjectName("applyStableLrButton")
        self.button.setToolTip("Set the learning rate to 0.9 × 2/λmax at the diverged runs' start "
                               "(the exact Hessian there) and run again")
        self.button.hide()
        self.button.clicked.connect(self.apply)
        status_bar.addWidget(self.button)
        controller.sig_runs_reset.connect(self._forget)

    def update(self) -> None:
        """Refresh the state label and, when runs have diverged since the last look, the
        suggestion (called with every stats update, ~10 times a second, and on state changes)."""
        c = self.c
        st = c.store
        status = st.status[: st.n]
        self.label.setText(state_text(c.state, status))
        d, n = diverged_count(status)
        if d == 0:
            if self.suggestion is not None:
                self._forget()
            return
        key = (c.generation, d, c.state == "running", float(c.settings.lr))
        if key == self._key:
            return
        self._key = key
        starts = st.starts[: st.n] if hasattr(st, "starts") else None
        if starts is None:
            return
        from ..core.status import DIVERGED

        lrs = [c.specs[r].lr for r in range(min(len(c.specs), status.size)) if status[r] == DIVERGED]
        lr = max(lrs) if lrs else c.settings.lr  # the rate the diverged runs used
        sug = stable_lr_suggestion(c.problem.objective, starts, status, lr, c.settings.optimizer)
        self.suggestion = sug
        if sug is None:
            runs = "The run diverged" if n == 1 else f"{d} of {n} runs diverged"
            self.button.hide()
            self.message(f"{runs}: the function falls away without bound there (λmax ≤ 0 at the start), "
                         "so no learning rate keeps it from escaping.", "error")
            return
        if c.settings.compare_lrs:
            # the runs use the compared rates, not the one learning rate: nothing to apply
            self.suggestion = None
            self.button.hide()
            self.message(sug.text.replace("Try", "A stable rate would be below"), "error")
            return
        self.button.setText(f"Use lr {sug.lr:.3g}")
        self.button.show()
        self.message(sug.text, "error")

    def apply(self) -> None:
        """Set the suggested rate (an undo step) and run again."""
        sug = self.suggestion
        if sug is None:
            return
        self.button.hide()
        self.suggestion = None
        self.link.settings({"lr": sug.lr})
        if self.c.state in ("idle", "done"):
            self.c.run()

    def _forget(self) -> None:
        self.suggestion = None
        self._key = None
        self.button.hide()

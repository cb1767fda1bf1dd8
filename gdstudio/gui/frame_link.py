"""The runtime's output reaching the views: the problem on the maps, each frame in staggered
slices, the point inspector (hover, then back to the selected run), the run buttons and the
status bar's figures. The window composes one; it connects the controller's signals here.

Frames are staged so that no single pass of the event loop paints everything: while runs
run, the map on the next pass after the frame was built (building and drawing back to back
kept other events waiting ~30 ms), the 3D view, the curves and the table (with the inspector
and the optimizer's internals) on later timer shots. A slice always draws the newest frame."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer

from .views.known_points import show_known_points

#: after a hover ends, the inspector returns to the selected run this much later (ms)
HOVER_MS = 1500
#: with more runs than this running, the views after the map take turns, one a frame
TURNS_ABOVE = 50
#: a turn's slice runs this long after its frame, once the map has been drawn (ms)
TURN_MS = 12


class FrameLink(QObject):
    """``FrameLink(c, views, editor, models, status, parent)``: ``views`` has ``contour``,
    ``surface``, ``surface_feed``, ``curves``, ``table``, ``inspector``, ``internals``;
    ``status`` has ``buttons`` (run, pause), ``stat_labels``, ``divergence`` and
    ``show_message``."""

    def __init__(self, c, views, editor, models, status, parent=None):
        super().__init__(parent)
        self.c = c
        self.v = views
        self.editor = editor
        self.models = models
        self.status = status
        self.latest = None
        self._with_curves = None  # the newest frame that carries the loss curves
        self.known = None
        self._frames = 0
        self._hovering = False
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(HOVER_MS)
        self._hover_timer.timeout.connect(self._hover_ended)
        self._stage_timers = []
        for slot in (self.stage_map, self.stage_surface, self.stage_curves, self.stage_table,
                     self.stage_internals):
            t = QTimer(self)
            t.setSingleShot(True)
            t.timeout.connect(slot)
            self._stage_timers.append(t)

    def connect(self) -> None:
        c, v = self.c, self.v
        c.sig_problem_changed.connect(self.problem_changed)
        c.sig_frame.connect(self.frame)
        c.sig_state_changed.connect(self.state_changed)
        c.sig_stats.connect(self.stats)
        c.sig_selection_changed.connect(lambda _r: self.inspect_selected())
        v.contour.sig_point_hovered.connect(self.hovered)
        v.surface.sig_point_hovered.connect(self.hovered)

    # -- the problem -----------------------------------------------------------------------
    def problem_changed(self, problem) -> None:
        v = self.v
        g = problem.grid
        # the Setup panel follows the mode: a typed function or preset, or a model's
        # parameters and their ranges (a model is put in by the model panel, not the editor)
        if not self.models.showing(problem):
            self.editor.show_function_mode(problem.names)
        else:
            self.editor.show_model(problem.description, problem.names, problem.domain)
        self.editor.set_domain(problem.domain)
        if not np.isfinite(g.Z).any():
            (xa, xb), (ya, yb) = problem.domain
            a, b = problem.names
            msg = (f"f is not a number anywhere on this domain ({a} from {xa:g} to {xb:g}, {b} from "
                   f"{ya:g} to {yb:g}): choose another domain or check the formula.")
            self.editor.show_message(msg)
            self.status.show_message(msg, "error")
        v.contour.set_problem(problem)
        v.curves.set_problem(problem)
        v.inspector.set_problem(problem.names, problem.domain)
        v.surface.set_surface(g.xs, g.ys, g.Z)
        v.surface.set_gradient_field(g.gxs, g.gys, g.U, g.V)
        v.surface.set_axis_labels(problem.names)
        self.known = show_known_points(problem, v.contour, v.surface)
        self.inspect_selected()

    # -- frames ------------------------------------------------------------------------------
    def frame(self, frame) -> None:
        """Views update in staggered slices so no single pass of the event loop paints
        everything: the map at once, the 3D view 8 ms later, the curves and the table 16 ms
        later, the internals at 24 ms (some on every second or third frame only); with many
        runs running, the views after the map take turns. A slice always draws the newest frame."""
        self.latest = frame
        self._frames += 1
        running = self.c.state == "running"
        # the 3D view at half the map's rate while running (a software-GL render costs ~10 ms),
        # curves and table at a third (text need not move at 30 Hz)
        t_map, t_surface, t_curves, t_table, t_internals = self._stage_timers
        if running:
            t_map.start(0)  # after the timers already due: building the frame and drawing it are two passes
        else:
            self.stage_map()
        if self._taking_turns(frame):
            # many runs: the map takes half the event loop's time, so the views after it take
            # turns, one a frame: the 3D view two frames in five, the curves, the internals and
            # the table one each. Two of them in one frame ran back to back and kept input
            # waiting 25-30 ms (Xvfb, 1,000 runs).
            if frame.curves is not None:
                self._with_curves = frame
            (t_surface, t_curves, t_surface, t_internals, t_table)[self._frames % 5].start(TURN_MS)
            return
        every = 2  # 3D: 15 Hz
        if not running or self._frames % every == 0:
            t_surface.start(8)
        if frame.curves is not None:  # (while running, a third of the frames carry them)
            self._with_curves = frame
            t_curves.start(16)
        if not running or self._frames % 3 == 2:
            t_table.start(16)
        if not running or self._frames % 3 == 0:
            t_internals.start(24)  # after the 3D view's slice, in a pass of its own

    def _taking_turns(self, frame) -> bool:
        """Whether the views after the map take turns, one a frame (many runs running)."""
        return self.c.state == "running" and frame is not None and frame.n_runs > TURNS_ABOVE

    def stage_map(self) -> None:
        self.v.contour.show_frame(self.latest)

    def stage_surface(self) -> None:
        self.v.surface_feed.show(self.latest, self.c.problem, self.c.step_arrow())

    def stage_curves(self) -> None:
        if self._with_curves is not None:
            self.v.curves.show_frame(self._with_curves)

    def stage_table(self) -> None:
        self.v.table.refresh()

    def stage_internals(self) -> None:
        # while many runs run, the 3D view shows the internals with its own next turn: a
        # paint for them as well took a second 10 ms pass (software GL)
        with self.v.surface.deferred() if self._taking_turns(self.latest) else self.v.surface.held():
            self.v.internals.update()
        if self.c.selected >= 0 and not self._hovering:
            self.inspect_selected()

    # -- the point inspector -------------------------------------------------------------------
    def hovered(self, x, y) -> None:
        if self.c.problem is None:
            return
        self._hovering = True
        self.v.inspector.show_report(self.c.inspect(x, y), "mouse")
        self._hover_timer.start()

    def _hover_ended(self) -> None:
        self._hovering = False
        self.inspect_selected()

    def inspect_selected(self) -> None:
        c = self.c
        r = c.selected
        if 0 <= r < c.store.n:
            x, y = c.store.pos[r]
            if np.isfinite(x) and np.isfinite(y):
                self.v.inspector.show_report(c.inspect(x, y), f"run {r}, now")

    # -- run buttons and the status bar --------------------------------------------------------
    def state_changed(self, state: str) -> None:
        st = self.status
        st.divergence.update()  # "finished", or "diverged" / "3 of 10 runs diverged"
        st.buttons["run"].setEnabled(state != "running")
        st.buttons["pause"].setEnabled(state == "running")

    def stats(self, s: dict) -> None:
        L = self.status.stat_labels
        L["step"].setText(f"step {s['step']:,}")
        if s["best"] == s["best"]:
            x, y = s["best_at"]
            L["best"].setText(f"best f = {s['best']:.6g} at ({x:.4g}, {y:.4g})")
        else:
            L["best"].setText("best f = —")
        L["rate"].setText(f"{s['steps_per_second']:,.0f} steps/s" if s["state"] == "running" else "")
        self.status.divergence.update()
        L["memory"].setText(f"{s['runs']:,} runs · {s['memory_mb']:.0f} MB")

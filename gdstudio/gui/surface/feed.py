"""Feeds the 3D view (``SurfaceView``) from a controller frame, sending only what changed
(starts, critical points and the highlight are compared with what was sent last)."""

from __future__ import annotations

import numpy as np

#: more starts than this are not sent as draggable 3D markers (the runs' markers suffice)
MAX_3D_STARTS = 60


class SurfaceFeed:
    def __init__(self, surface):
        self.surface = surface
        self._starts_key = None
        self._crit_key = None
        self._surface_highlight = None
        self._arrow_key = None

    def show(self, frame, problem, step_arrow=None) -> None:
        """Send ``frame`` to the 3D view; ``step_arrow`` ((x, y, f), (x, y, f)) or None. The
        view draws it in one paint, at once."""
        with self.surface.held():
            self._send(frame, problem, step_arrow)

    def _send(self, frame, problem, step_arrow) -> None:
        s = self.surface
        key = None if step_arrow is None else tuple(map(tuple, step_arrow))
        if key != self._arrow_key:
            self._arrow_key = key
            s.set_step_arrow(*(step_arrow if step_arrow is not None else (None, None)))
            from ...app.step_section import step_section

            sec = None if step_arrow is None else step_section(problem.objective, step_arrow[0][:2], step_arrow[1][:2])
            s.set_step_section(sec)
            if step_arrow is not None and getattr(s, "camera_preset", None) == "side":
                s.set_camera("side")  # the side view frames the new step
        s.set_trajectories([p[:, :3] for p in frame.paths], frame.path_colors)
        ok = np.isfinite(frame.positions).all(axis=1) & np.isfinite(frame.values)
        P = np.column_stack([frame.positions, frame.values])[ok]
        s.set_positions(P, frame.run_colors[ok])
        S = frame.starts
        if S.shape[0] > MAX_3D_STARTS:
            S = S[:0]  # thousands of random starts: the runs' markers say enough in 3D
        key = (S.shape, S.tobytes(), id(problem))
        if key != self._starts_key:
            self._starts_key = key
            with np.errstate(all="ignore"):
                f = problem.objective.value(S) if S.shape[0] else np.empty(0)
            s.set_starts(np.column_stack([S, f]) if S.shape[0] else np.empty((0, 3)))
        crit = frame.critical
        key = tuple((cp.point, cp.kind, cp.best) for cp in crit)
        if key != self._crit_key:
            self._crit_key = key
            P = np.array([[*cp.point, cp.value] for cp in crit]).reshape(-1, 3)
            kinds = [cp.kind if cp.kind in ("minimum", "saddle", "maximum") else "degenerate" for cp in crit]
            s.set_critical_points(P, kinds, [k for k, cp in enumerate(crit) if cp.best])
        sel = frame.path_runs.index(frame.selected) if frame.selected in frame.path_runs else -1
        if sel != self._surface_highlight:
            self._surface_highlight = sel
            s.highlight_run(sel)


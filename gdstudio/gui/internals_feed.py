"""Feeds "inside the optimizer" (app/internals_view.py) to the map and the point inspector for
the selected run, at its current point.

A running run's internals come with the worker's chunks (descent_worker.LiveInternals, read
from the batch's own optimizer state in the worker thread), so nothing is replayed while the
runs run, however long they are. A run that has stopped (its state in the batch has moved on
with the others') or was computed on the instant path (a click or a drag: no optimizer state
is kept) is replayed once from its start, on a background job, never on the GUI thread.
A polar run's internals are shown in x, y (core/internals.py). Nothing is drawn for runs
whose rate was changed while they ran (the replay would not be the run), or beyond the replay
bound. ``contour`` is whatever draws them (internals_views.py: the map and the 3D view)."""

from __future__ import annotations

from ..app.internals_view import internals_lines, replay_internals
from ..core.status import RUNNING


class InternalsFeed:
    def __init__(self, controller, contour, inspector, jobs):
        self.c = controller
        self.contour = contour
        self.inspector = inspector
        self.jobs = jobs
        self._key = None  # what is shown (or being replayed)
        self._job = None
        self.carried = None  # what is shown: (point, [Carried]) or None

    def _clear(self) -> None:
        if self.carried is not None or self._key is None:
            self.contour.show_internals(None, None)
            self.inspector.show_internals(None)
        self.carried = None

    def _show(self, point, carried, optimizer: str) -> None:
        self.carried = (point, list(carried))
        self.contour.show_internals(point, self.carried[1])
        self.inspector.show_internals(internals_lines(self.carried[1], self.c.problem.names), optimizer)

    def _cancel_replay(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def update(self) -> None:
        c = self.c
        st = c.store
        r = c.selected
        if c.problem is None or not 0 <= r < min(st.n, len(c.specs)):
            self._cancel_replay()
            self._key = ("none",)
            self._clear()
            return
        sp = c.specs[r]
        steps = int(st.steps[r])
        live = c.live_internals
        if live is not None and live.run == r and bool(st.owned[r]) and live.steps == steps:
            key = ("live", c.generation, r, steps)
            if key != self._key:
                self._cancel_replay()
                self._key = key
                self._show(live.point, live.carried, sp.optimizer)
            return
        if c.state == "running" and bool(st.owned[r]) and int(st.status[r]) == RUNNING:
            return  # its internals come with the worker's next chunk
        if c.settings_changed_live and r not in st.instant:
            self._cancel_replay()
            self._key = ("none",)
            self._clear()
            return
        s = c.settings
        key = ("replay", c.generation, id(c.problem), r, steps, sp.optimizer, sp.lr,
               repr(s.hyper_for(sp.optimizer)), repr(s.schedule), s.max_steps, s.tol, sp.system)
        if key == self._key:
            return
        self._cancel_replay()
        self._key = key
        args = (c.problem.objective, st.starts[r].copy(), steps, sp.optimizer, sp.lr, s.hyper_for(sp.optimizer),
                s.schedule, s.max_steps, s.tol, c.problem.domain)
        optimizer = sp.optimizer
        coordinates, gradient = sp.coordinates  # the run's own system (systems may be compared)

        def replay(job):
            try:
                return replay_internals(*args, check=job.check, coordinates=coordinates, gradient=gradient)
            except (ValueError, IndexError, FloatingPointError):
                return None

        def done(out, key=key):
            job = self._job
            if key != self._key or job is None or job.cancelled():
                return  # superseded, or cancelled (the window closing): its views may be gone
            self._job = None
            if out is None:
                self._clear()
            else:
                self._show(out[0], out[1], optimizer)

        self._job = self.jobs.start(replay, done, name="gdstudio-internals")

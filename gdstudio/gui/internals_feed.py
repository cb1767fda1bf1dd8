"""Feeds "inside the optimizer" (app/internals_view.py) to the map and the point inspector for
the selected run: at its current point, live (at most twice a second while running) and on
every step while paused. Nothing is drawn for polar runs, for runs whose rate was changed
while they ran (the replay would not be the run), or beyond the replay bound."""

from __future__ import annotations

import time

from ..app.internals_view import internals_lines, replay_internals

#: seconds between replays while the runs are running
LIVE_INTERVAL = 0.5
#: the longest replay while the runs are running: it runs on the GUI thread, and a replay of
#: 20,000 steps kept the event loop 380 ms late twice a second (p99 with 1,000 runs in flight,
#: benchmarks/bench_responsiveness.py). Further along, what is shown stays until the runs
#: pause or end, and is then brought up to date.
LIVE_REPLAY_STEPS = 1_000


class InternalsFeed:
    def __init__(self, controller, contour, inspector):
        self.c = controller
        self.contour = contour
        self.inspector = inspector
        self._key = None
        self._t = 0.0
        self.carried = None  # what is shown: (point, [Carried]) or None

    def _clear(self) -> None:
        if self.carried is not None or self._key is None:
            self.contour.show_internals(None, None)
            self.inspector.show_internals(None)
        self.carried = None

    def update(self) -> None:
        c = self.c
        st = c.store
        r = c.selected
        if c.problem is None or not 0 <= r < min(st.n, len(c.specs)) or c.settings.coordinates == "polar" \
                or (c._changes and r not in st.instant):
            self._key = ("none",)
            self._clear()
            return
        sp = c.specs[r]
        s = c.settings
        steps = int(st.steps[r])
        key = (r, steps, c.generation, id(c.problem), sp.optimizer, sp.lr, repr(s.hyper_for(sp.optimizer)),
               repr(s.schedule), s.max_steps, s.tol)
        if key == self._key:
            return
        now = time.perf_counter()
        if c.state == "running" and (now - self._t < LIVE_INTERVAL or steps > LIVE_REPLAY_STEPS):
            return
        self._t = now
        self._key = key
        try:
            out = replay_internals(c.problem.objective, st.starts[r], steps, sp.optimizer, sp.lr,
                                   s.hyper_for(sp.optimizer), s.schedule, s.max_steps, s.tol, c.problem.domain)
        except (ValueError, IndexError, FloatingPointError):
            out = None
        if out is None:
            self._clear()
            return
        p, carried = out
        self.carried = out
        self.contour.show_internals(p, carried)
        self.inspector.show_internals(internals_lines(carried, c.problem.names), sp.optimizer)

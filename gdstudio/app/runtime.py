"""The studio's runtime, with no Qt: the problem on the maps, the runs, and what steps them.

It turns a person's intents (a typed function, a click that adds a start, a drag, Run, Pause,
Step, a new learning rate while runs run) into engine calls, and tells its listeners what to
draw: an immutable :class:`~gdstudio.app.frames.Frame` per ``tick`` when something changed,
never one per chunk. The document (what a session file saves, what undo restores) is the
:class:`~gdstudio.app.session.Session`; the window keeps this runtime in step with it
(gui/session_link.py).

Stepping is delegated to a *stepper* with the commands ``start(generation, batch, paused,
steps)``, ``pause``, ``resume``, ``step(n)``, ``cancel``, ``watch(run)``, ``set_lr``,
``set_max_steps`` and ``set_speed``; it answers with ``on_chunk``, ``on_finished``,
``on_idle`` and ``on_error``. The window's stepper is a thread (worker/descent_worker.py), so
nothing blocks while runs run; :class:`~gdstudio.app.inline_stepper.InlineStepper` steps in
the caller's thread (scripts, tests). Every job carries a generation: a late chunk of a
cancelled job is dropped.

Events (``runtime.events[name].connect(fn)``; the window's controller re-emits each as the Qt
signal ``sig_<name>``): see ``EVENTS``. docs/gui.md ("The runtime") lists the methods.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Optional, Sequence

import numpy as np

from ..core.objective import Objective
from ..core.status import RUNNING
from .batches import batch_spec, make_batch
from .chunks import ENGINE
from .frames import build_frame, run_colors
from .function_text import _compile, preset_domain
from .geometry import GridData, compute_grid, point_report
from .instant_paths import INSTANT_STEPS, instant_run
from .problem_views import default_start
from .run_store import RunStore
from .runtime_types import Problem, Settings
from .session import RunSpec, analyse_runs, expand_runs
from .signals import Signal

#: runs expanded from starts × compared optimizers × learning rates at most
MAX_RUNS = 20_000
#: the parts of a frame that every view draws from (app.frames.build_frame)
FULL_FRAME = ("paths", "curves", "envelope")
#: what the runtime tells its listeners, with the arguments of each
EVENTS = {
    "problem_changed": "Problem",
    "frame": "Frame",
    "runs_reset": "",
    "state_changed": "state: idle, running, paused or done",
    "message": "text, level (info or error)",
    "selection_changed": "run index (-1: none)",
    "expression_error": "ValueError with the column, or None when the text compiled",
    "stats": "dict: step, best, best_at, steps_per_second, runs, state, memory_mb",
    "settings_changed": "Settings",
}


class _FrameSource:
    """The runtime read as app.frames reads a session (run specs, settings, starts,
    selection, basin mode) and its critical points as an analysis: one presentation policy
    (drawn runs, colours, legend) for the window, the exported animation and the tests."""

    def __init__(self, c: "Runtime"):
        self._c = c
        self.settings = c.settings
        self.basin_mode = c.basin_mode
        self.starts = c.starts
        self.selected = c.selected
        self.points = c.critical
        self.run_point = c.run_critical

    def run_specs(self) -> list:
        return self._c.specs


class Runtime:
    """See the module docstring. ``Runtime(stepper=None)``; without a stepper the runs can be
    computed at once (clicks, drags) but not stepped."""

    def __init__(self, stepper=None):
        self.events = {name: Signal(name) for name in EVENTS}
        #: what steps the batches: start, pause, resume, step, cancel, watch, set_lr,
        #: set_max_steps, set_speed (worker.DescentWorker, or an InlineStepper); None: nothing steps
        self.stepper = stepper
        self.settings = Settings()
        self.problem: Optional[Problem] = None
        self.store = RunStore()
        self.starts = np.empty((0, 2))
        self.specs: list[RunSpec] = []
        self.state = "idle"
        self.selected = -1
        self.basin_mode = False
        self.generation = 0
        self.critical: list = []
        self.run_critical = np.empty(0, np.int64)  # group index of each run's end (-1 none)
        self._batch_spec: Optional[dict] = None
        self._batch_initial = None
        self.live_internals = None  # app.chunks.LiveInternals of the selected running run
        self._changes: list = []  # (step, name, value) applied to the live batch
        self._frame_version = -1
        self._ticks = 0
        self._dirty = True
        self._critical_due = 0.0
        self._critical_version = -1
        self._rate_steps = 0
        self._rate_t0 = time.perf_counter()
        self._steps_per_second = 0.0
        self._drag_pending: Optional[tuple] = None
        #: how many times a dragged start's trajectory was recomputed (tests, diagnostics)
        self.drag_computations = 0
        if stepper is not None:
            stepper.set_speed(self.settings.speed)

    def _emit(self, event: str, *args) -> None:
        """Tell the listeners of ``event`` (one of ``EVENTS``)."""
        self.events[event].emit(*args)

    def _schedule_drag(self) -> None:
        """A dragged start moved: recompute its runs (here at once; the window coalesces the
        mouse moves of one event-loop pass into one computation)."""
        self._drag_compute()

    def _unschedule_drag(self) -> None:
        """Forget a recomputation scheduled by ``_schedule_drag`` (the drag ended)."""

    # ------------------------------------------------------------------ problems
    def set_objective(self, objective: Objective, domain=None, description: str = "",
                      grid: Optional[GridData] = None) -> None:
        """Descend on any Objective (typed function, preset, model cost...). Starts inside
        the new domain are kept; without any, one default start is placed. ``grid``: the
        map's grid evaluated already (in a background job)."""
        if objective.dim != 2:
            raise ValueError("the studio views need an objective of two parameters")
        dom = tuple(tuple(map(float, r)) for r in (domain or objective.domain()))
        if grid is None:
            grid = compute_grid(objective, dom)
        self._stop_job()
        self.problem = Problem(objective, dom, description or objective.label or objective.source, grid)
        (xa, xb), (ya, yb) = dom
        keep = [p for p in self.starts if xa <= p[0] <= xb and ya <= p[1] <= yb]
        self.starts = np.array(keep, float).reshape(-1, 2) if keep else self._default_start()
        self._emit("problem_changed", self.problem)
        self._rebuild_runs()

    def set_function_text(self, text: str, domain=None) -> bool:
        """Compile ``text`` (preset name or expression) now. On an error the previous problem
        stays and ``sig_expression_error`` carries the error (with its column). (The window
        compiles in the background through its session: gui/session_link.py.)"""
        dom = domain or preset_domain(text) or (self.problem.domain if self.problem else None)
        try:
            obj = _compile(text)
        except ValueError as err:
            self._emit("expression_error", err)
            return False
        self._emit("expression_error", None)
        self.set_objective(obj, dom)
        return True

    def set_domain(self, domain) -> None:
        if self.problem is not None:
            self.set_objective(self.problem.objective, domain, self.problem.description)

    def _default_start(self) -> np.ndarray:
        return default_start(self.problem.objective, self.problem.domain)  # the session's rule

    # ------------------------------------------------------------------ settings
    def update_settings(self, **changes) -> None:
        """Change settings. ``lr``, ``speed`` and ``max_steps`` apply live to a running
        descent; other changes restart an active descent from its starts (new generation),
        keeping it running or paused."""
        old = self.settings
        if "hyper" in changes:
            merged = {k: dict(v) for k, v in old.hyper.items()}
            for k, v in changes["hyper"].items():
                merged.setdefault(k, {}).update(v)
            changes["hyper"] = merged
        changes = {k: v for k, v in changes.items() if getattr(old, k) != v}
        if not changes:
            return
        self.settings = replace(old, **changes)
        self._emit("settings_changed", self.settings)
        live = {"lr", "speed", "max_steps"}
        if self.stepper is not None:
            if "speed" in changes:
                self.stepper.set_speed(self.settings.speed)
        if set(changes) <= {"speed"}:
            return
        # (a new optimizer restarts a paused batch: its runs must say so, or it steps the old one)
        if ({"optimizer", "lr"} & set(changes) and self.state not in ("running", "paused")) or "optimizer" in changes \
                or {"coordinates", "gradient"} & set(changes):
            # every run spec says what it runs with: the next run, the instant paths and an
            # export's sidecar all read them (a rate set before the first run was recorded
            # as the old one). A live change of a running batch is recorded as such instead.
            expanded = self._expand()
            if len(expanded) == len(self.specs):
                self.specs = expanded
        structural = set(changes) - live
        if "lr" in changes and (self.settings.compare_lrs or set(self.settings.compare_optimizers) - {None}):
            structural.add("lr")
        if structural & {"compare_optimizers", "compare_lrs", "compare_coordinates"}:
            self._rebuild_runs(keep_state=True)
            return
        if self.state in ("running", "paused") and not structural:
            if "lr" in changes and self.stepper is not None:
                self.stepper.set_lr(self._batch_lrs(len(self.specs)))
            if "max_steps" in changes and self.stepper is not None:
                self.stepper.set_max_steps(self.settings.max_steps)
            return
        self._restart_for_settings()

    def _restart_for_settings(self) -> None:
        if self.state == "running":
            self._start_batch(paused=False)
        elif self.state == "paused":
            self._start_batch(paused=True)
        elif self.state == "done":
            self._start_batch(paused=False)
        else:
            self._recompute_instant()

    # ------------------------------------------------------------------ runs
    def _expand(self) -> list[RunSpec]:
        return expand_runs(self.settings, range(self.starts.shape[0]))

    def _batch_lrs(self, n: int):
        s = self.settings
        if s.compare_lrs:
            return np.array([sp.lr for sp in self.specs[:n]])
        return float(s.lr)

    def _rebuild_runs(self, keep_state: bool = False) -> None:
        """Starts or comparison changed: new run list, back at step 0."""
        prev = self.state
        self._stop_job()
        specs = self._expand()
        if len(specs) > MAX_RUNS:
            self._emit("message", f"{len(specs):,} runs is too many; the limit is {MAX_RUNS:,}", "error")
            specs = specs[:MAX_RUNS]
        self.specs = specs
        P = self._run_starts()
        f, G = self._eval(P)
        self.store.reset(P, f, G)
        self.selected = -1 if self.selected >= len(specs) else self.selected
        self.critical = []
        self.run_critical = np.full(len(specs), -1, np.int64)
        self._set_state("idle")
        self._emit("runs_reset", )
        if self.selected < 0 and len(specs) == 1:
            self.select_run(0)
        self._dirty = True
        if keep_state and prev in ("running", "paused", "done"):
            self._start_batch(paused=prev == "paused")

    def _run_starts(self) -> np.ndarray:
        if not self.specs:
            return np.empty((0, 2))
        return self.starts[[sp.start for sp in self.specs]]

    def _eval(self, P):
        obj = self.problem.objective
        if P.shape[0] == 0:
            return np.empty(0), np.empty((0, 2))
        with np.errstate(all="ignore"):
            f, G = obj.value_and_grad(P)
        return np.asarray(f, float), np.asarray(G, float)

    def add_start(self, x: float, y: float) -> int:
        """One more start (a click on the map); its runs are computed at once. Returns the
        index of the start marker."""
        self.starts = np.vstack([self.starts, [[float(x), float(y)]]])
        i = self.starts.shape[0] - 1
        new = expand_runs(self.settings, [i])
        P = np.repeat(self.starts[i:i + 1], len(new), axis=0)
        f, G = self._eval(P)
        rows = self.store.add_runs(P, f, G)
        self.specs.extend(new)
        self.run_critical = np.r_[self.run_critical, np.full(len(new), -1, np.int64)]
        truncated = False
        for r in rows:
            truncated |= self._compute_instant(int(r))
        self._update_critical()
        self._emit("runs_reset", )
        self.select_run(int(rows[0]))
        self._dirty = True
        if truncated:
            self._continue_in_worker()
        return i

    def runs_of_start(self, i: int) -> list[int]:
        return [r for r, sp in enumerate(self.specs) if sp.start == i]

    def drag_start(self, i: int, x: float, y: float) -> None:
        """Start ``i`` is being dragged: its runs are recomputed for the latest position
        (mouse moves are coalesced; at most one computation per event-loop pass)."""
        if not 0 <= i < self.starts.shape[0]:
            return
        self.starts[i] = (float(x), float(y))
        self._drag_pending = (i, float(x), float(y))
        self._schedule_drag()

    def finish_drag(self, i: int, x: float, y: float) -> None:
        """The drag of start ``i`` ended at (x, y): its runs are computed there now, and
        continue in the stepper when a path was cut at INSTANT_STEPS."""
        self._unschedule_drag()
        if 0 <= i < self.starts.shape[0]:
            self.starts[i] = (float(x), float(y))
            self._drag_pending = (i, float(x), float(y))
        truncated = self._drag_compute()
        self._update_critical()
        if truncated:
            self._continue_in_worker()

    def _drag_compute(self) -> bool:
        """Recompute the dragged start's runs; True when a path was cut at INSTANT_STEPS."""
        if self._drag_pending is None:
            return False
        i, x, y = self._drag_pending
        self._drag_pending = None
        truncated = False
        for r in self.runs_of_start(i):
            self.store.starts[r] = (x, y)
            truncated |= self._compute_instant(r)
        self._dirty = True
        self.drag_computations += 1
        return truncated

    def _compute_instant(self, r: int) -> bool:
        """Run ``r``'s path from its start, now, cut at INSTANT_STEPS; True when it was cut
        there (the caller then lets the worker continue)."""
        sp = self.specs[r]
        try:
            coordinates, gradient = sp.coordinates  # its own system when systems are compared
            settings = replace(self.settings, coordinates=coordinates, gradient=gradient)
            res, code, cut = instant_run(self.problem, self.starts[sp.start], sp.optimizer, sp.lr, settings)
        except (ValueError, FloatingPointError) as err:
            self._emit("message", str(err), "error")
            return False
        self.store.set_instant(r, res, code)
        return cut

    def _continue_in_worker(self) -> None:
        """Paths cut at INSTANT_STEPS: every run descends in the worker, up to Max steps."""
        if self.state in ("idle", "done"):
            self._emit("message", f"The first {INSTANT_STEPS:,} steps were drawn at once; the runs continue "
                                  f"to {self.settings.max_steps:,} steps in the background.", "info")
            self._start_batch(paused=False)

    def _recompute_instant(self) -> None:
        truncated = False
        for r in list(self.store.instant):
            if r < len(self.specs):
                truncated |= self._compute_instant(r)
        self._update_critical()
        self._dirty = True
        if truncated:
            self._continue_in_worker()

    def random_starts(self, n: int, sampler: str = "uniform", seed: Optional[int] = 0, run: bool = True) -> None:
        """Replace the starts by ``n`` random ones in the domain (uniform or a
        low-discrepancy sampler), colour each by the critical point it reaches, and run."""
        from ..core.starts import make_starts

        self.starts = make_starts(sampler, int(n), self.problem.domain, seed)
        self.basin_mode = True
        self._rebuild_runs()
        if run:
            self.run()

    def set_starts(self, P, basins: bool = False) -> None:
        """Replace the starts by ``P`` (M, 2); every run goes back to step 0 (idle)."""
        P = np.asarray(P, float).reshape(-1, 2)
        if P.shape[0] == 0 or not np.all(np.isfinite(P)):
            raise ValueError("start points must be a non-empty (M, 2) array of finite numbers")
        self.starts = P.copy()
        self.basin_mode = bool(basins)
        self._rebuild_runs()

    def clear_starts(self) -> None:
        """Remove every start (and its runs); a click on the map adds new ones."""
        self.basin_mode = False
        self.starts = np.empty((0, 2))
        self._rebuild_runs()

    def select_run(self, i: int) -> None:
        i = int(i) if 0 <= int(i) < len(self.specs) else -1
        if i == self.selected:
            return
        self.selected = i
        if self.stepper is not None:
            self.stepper.watch(i)
        self._dirty = True
        self._emit("selection_changed", i)

    # ------------------------------------------------------------------ run controls
    def run(self) -> None:
        if self.state == "running":
            return
        if self.state == "paused" and self.stepper is not None:
            self._set_state("running")  # (first: a stepper may finish before it returns)
            self.stepper.resume()
            return
        self._start_batch(paused=False)

    def pause(self) -> None:
        if self.state == "running" and self.stepper is not None:
            self.stepper.pause()
            self._set_state("paused")

    def toggle_run(self) -> None:
        self.pause() if self.state == "running" else self.run()

    def step(self, n: int = 1) -> None:
        if self.state in ("idle", "done"):
            self._start_batch(paused=True, steps=n)
        elif self.stepper is not None:
            self._set_state("paused")
            self.stepper.step(n)

    def reset(self) -> None:
        """Stop and put every run back at its start."""
        self._rebuild_runs()

    def _stop_job(self) -> None:
        self.generation += 1
        if self.stepper is not None:
            self.stepper.cancel()

    def _start_batch(self, paused: bool, steps: int = 0) -> None:
        """A new descent of every run from its start (new generation)."""
        self._stop_job()
        if not self.specs:
            self._emit("message", "There are no start points: click the contour map to add one.", "info")
            return
        spec = batch_spec(self.problem.objective, self.problem.domain, self.starts, self.specs, self.settings)
        try:
            batch = make_batch(spec)
        except ValueError as err:
            self._emit("message", str(err), "error")
            return
        self._batch_spec = spec
        self._batch_initial = batch.initial_chunk()
        self._changes = []
        self.live_internals = None
        self.store.begin_batch(len(self.specs), batch.values.copy(), batch.grads.copy())
        self.critical = []
        self.run_critical = np.full(len(self.specs), -1, np.int64)
        self._rate_steps = 0
        self._rate_t0 = time.perf_counter()
        self._steps_per_second = 0.0
        self._dirty = True
        if batch.done:
            self._set_state("done")
            self._update_critical()
            return
        if self.stepper is None:  # shut down (or built without a worker): nothing can step
            self._emit("message", "the descent worker is not running", "error")
            return
        self._set_state("paused" if paused else "running")  # (first: a stepper may finish before it returns)
        self.stepper.watch(self.selected)
        self.stepper.start(self.generation, batch, paused=paused, steps=steps)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._emit("state_changed", state)

    # ------------------------------------------------------------------ from the stepper
    def on_chunk(self, msg) -> None:
        """A block of steps from the stepper (app.chunks.ChunkMessage)."""
        if msg.generation != self.generation:
            return  # a cancelled job's late chunk
        if msg.chunks:
            for name, value in msg.changes:
                self._changes.append((msg.chunks[0].first_step - 1, name, value))
        self.live_internals = msg.internals  # the selected run's (descent_worker.LiveInternals)
        for chunk in msg.chunks:
            self.store.ingest(chunk)
            self._rate_steps += chunk.n_steps
        now = time.perf_counter()
        if now - self._rate_t0 >= 0.5:
            self._steps_per_second = self._rate_steps / (now - self._rate_t0)
            self._rate_steps = 0
            self._rate_t0 = now
        self._dirty = True

    def on_finished(self, generation: int) -> None:
        if generation != self.generation:
            return
        self._set_state("done")
        self._update_critical()
        self._dirty = True

    def on_idle(self, generation: int) -> None:
        if generation == self.generation and self.state == "running":
            self._set_state("paused")

    def on_error(self, generation: int, message: str) -> None:
        if generation != self.generation:
            return
        self._set_state("done")
        self._emit("message", message, "error")

    # ------------------------------------------------------------------ critical points
    def _update_critical(self) -> None:
        st = self.store
        if self.problem is None or st.n == 0:
            self.critical, self.run_critical = [], np.empty(0, np.int64)
            return
        try:  # the API's rule (app.session.analyse_runs)
            found = analyse_runs(self.problem.objective, st.status, st.pos, st.grad, st.val)
            self.critical, self.run_critical = list(found.points), found.run_point
        except Exception as err:  # analysis must never take the window down
            self._emit("message", f"critical-point analysis failed: {err}", "error")
            self.critical, self.run_critical = [], np.full(st.n, -1, np.int64)
        self._critical_version = st.version
        self._dirty = True

    @property
    def settings_changed_live(self) -> bool:
        """True when the rate or the step limit changed while the batch ran, so a replay of
        one run from the settings would not be its path (a switch to the fused kernel
        changes only the rounding, not the path)."""
        return any(name != ENGINE for _, name, _ in self._changes)

    def run_kind(self, r: int) -> str:
        k = int(self.run_critical[r]) if r < self.run_critical.size else -1
        if k >= 0:
            return self.critical[k].kind
        st = int(self.store.status[r])
        if st == RUNNING:
            return ""
        return "none"

    # ------------------------------------------------------------------ redraw
    def tick(self) -> None:
        """Build and send a frame when something changed (the window calls this 30 times a
        second; headless callers when they want one)."""
        st = self.store
        now = time.perf_counter()
        if self.state == "running" and st.version != self._critical_version and now >= self._critical_due:
            self._critical_due = now + 1.0
            self._update_critical()
        if not self._dirty and st.version == self._frame_version:
            return
        self._dirty = False
        self._frame_version = st.version
        self._ticks += 1
        running = self.state == "running"
        # while runs run, the loss curves are drawn from every third frame (10 Hz is plenty
        # for them, and their part is a third of a frame's building): the others leave it out
        frame = self.build_frame(FULL_FRAME if not running or self._ticks % 3 == 1 else ("paths",))
        self._emit("frame", frame)
        if not running or self._ticks % 3 == 0:  # text at 10 Hz is plenty
            self._emit("stats", self.stats())

    def run_color(self, r: int) -> tuple:
        """RGBA of run ``r`` (the runs table's swatch), by the frames' rule."""
        rc = run_colors(self.specs[r:r + 1], self.settings, self.basin_mode, self.run_critical[r:r + 1])
        return tuple(rc[0])

    def build_frame(self, parts=FULL_FRAME):
        """An immutable :class:`~gdstudio.app.frames.Frame` of what the views draw now."""
        rt = _FrameSource(self)
        return build_frame(rt, self.store, rt, parts)

    def stats(self) -> dict:
        st = self.store
        best, where = st.best()
        return {
            "step": int(st.batch_step if st.owned.any() else (st.steps.max() if st.n else 0)),
            "best": best,
            "best_at": where,
            "steps_per_second": self._steps_per_second if self.state == "running" else 0.0,
            "runs": st.n,
            "state": self.state,
            "memory_mb": st.nbytes() / 2**20,
            # the step from which the batch stepped on the fused kernel (None: numpy throughout)
            "fused_from": next((step for step, name, _ in self._changes if name == ENGINE), None),
        }

    def step_arrow(self):
        """The selected run's last step ((x, y, f) before, after) while paused, or after the runs
        ended if long enough to see (app/run_summary.visible_step); the 3D view draws it."""
        from ..app.run_summary import visible_step

        step = self.store.last_step(self.selected) if self.state in ("paused", "done") else None
        return step if self.state == "paused" else visible_step(step, self.problem.domain)

    def inspect(self, x: float, y: float) -> dict:
        return point_report(self.problem.objective, x, y)

    # ------------------------------------------------------------------ export
    def export_trajectories(self, path, runs: Optional[Sequence[int]] = None) -> int:
        """Write the trajectories of ``runs`` (all by default) as the engine's CSV plus a
        JSON sidecar. Returns the number of rows. Batch runs come from the kept chunks
        when they fit the memory budget, otherwise the deterministic descent is replayed
        from the same starts and settings (with the recorded live learning-rate changes)
        up to the step on screen."""
        from .run_export import export_runs

        return export_runs(self, path, runs)

    # ------------------------------------------------------------------ shutdown
    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop stepping (idempotent): no chunk of an earlier job is taken after this."""
        self.generation += 1
        if self.stepper is not None:
            self.stepper.cancel()
        return True

"""The studio's controller: owns the problem, the settings, the runs and the worker, and
turns user intents into engine calls. Views never talk to the engine; they listen to the
controller's signals and call its public methods.

Public interface (``StudioController``)
---------------------------------------
Problems (a later model-fitting panel plugs in here)::

    controller.set_objective(objective, domain=None, description="")  # any Objective
    controller.set_function_text(text, domain=None) -> bool          # typed or preset name
    controller.problem            # Problem(objective, domain, description, grid)

Runs::

    controller.add_start(x, y)            # a click on the map: one more start, computed at once
    controller.drag_start(i, x, y)        # live: recompute start i's runs (coalesced)
    controller.finish_drag(i, x, y)
    controller.random_starts(n, sampler="uniform", seed=0)   # basins
    controller.set_starts(P) / clear_starts()
    controller.run() / pause() / toggle_run() / step() / reset()
    controller.select_run(i)              # -1: none
    controller.update_settings(**changes) # see Settings; lr, speed, max_steps apply live
    controller.export_trajectories(path, runs=None) -> int  # rows written

Signals (all emitted in the GUI thread):

* ``sig_problem_changed(Problem)``   new function/domain: views redraw the surface
* ``sig_frame(Frame)``               at most 30 per second, from a GUI timer, only when
  something changed; the only redraw trigger for runs (never one per chunk)
* ``sig_runs_reset()``               the set of runs changed (the table resets its rows)
* ``sig_state_changed(str)``         "idle" | "running" | "paused" | "done"
* ``sig_message(str, str)``          text and level ("info" | "error") for the status bar
* ``sig_selection_changed(int)``     selected run (-1 none)
* ``sig_expression_error(object)``   an ExpressionError (has ``.column``) or None when valid
* ``sig_stats(dict)``                step, best value and point, steps per second
* ``sig_settings_changed(Settings)`` after any settings change (panels, code)
"""

from __future__ import annotations

import atexit
import time
import weakref
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Optional, Sequence

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from ..core.objective import Objective
from ..core.optimizers import HYPER_DEFAULTS, OPTIMIZERS
from ..core.schedules import Schedule
from ..worker import WorkerThread
from . import palette
from ..app.geometry import GridData, compute_grid, point_report
from ..core.status import MAX_STEPS, RUNNING, Status
from ..app.run_store import RunStore

#: drawn trajectories / curves at most (plus the selected run)
MAX_DRAWN_RUNS = 50
#: more runs than this are drawn as envelopes in the curves view
ENVELOPE_ABOVE = 50
REDRAW_HZ = 30
#: runs expanded from starts × compared optimizers × learning rates at most
MAX_RUNS = 20_000
#: most steps of an instant path (a click or a drag computes its run's whole path on the GUI
#: thread): about 40 ms on the plain-Python scalar path, whatever Max steps says (10,000,000
#: steps froze the window for 35 s and took 3.8 GB). A run that needs more continues in the
#: worker when the click or drag ends.
INSTANT_STEPS = 2_000


def resolve_function(text: str) -> Objective:
    """A preset name or a typed expression -> Objective (raises ExpressionError)."""
    try:
        from ..core.presets import get_objective
    except ImportError:  # presets not available: typed expressions only
        from ..core.compiled import compile_function

        return compile_function(text)
    return get_objective(text)


def _compile(text: str) -> Objective:
    """``resolve_function`` whose every refusal is an ``ExpressionError`` (a ValueError)."""
    from ..core.expression import ExpressionError

    try:
        obj = resolve_function(text)
    except ExpressionError:
        raise
    except (ValueError, TypeError, KeyError) as err:
        raise ExpressionError(str(err)) from None
    if obj.dim != 2:
        raise ExpressionError("the function must use the variables x and y")
    return obj


def check_syntax(text: str) -> None:
    """Raise ``ExpressionError`` (with its column) for text that is neither a preset name nor a
    well-formed function of x and y; the parse alone, without compiling."""
    from ..core.expression import parse_expression
    from ..core.presets import find_preset

    if find_preset(text) is None:
        parse_expression(text)


def preset_domain(text: str):
    try:
        from ..core.presets import PRESETS
    except ImportError:
        return None
    p = PRESETS.get(text.strip())
    return tuple(tuple(map(float, r)) for r in p.domain) if p is not None else None


@dataclass(frozen=True)
class Problem:
    """What is being descended: any Objective, the domain shown, a one-line description,
    and the evaluated grid (surface, contours, gradient field)."""

    objective: Objective
    domain: tuple
    description: str
    grid: GridData

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.objective.names)


@dataclass(frozen=True)
class Settings:
    optimizer: str = "gd"
    lr: float = 0.01
    #: hyper-parameters per optimizer (only the ones that apply are passed to the engine)
    hyper: dict = field(default_factory=lambda: {k: dict(v) for k, v in HYPER_DEFAULTS.items()})
    schedule: Schedule = field(default_factory=Schedule)
    max_steps: int = 1000
    tol: float = 1e-6
    #: steps per second of the animation; None: as fast as possible
    speed: Optional[float] = 200.0
    #: compare these optimizers side by side from every start (empty: off)
    compare_optimizers: tuple = ()
    #: compare these learning rates side by side (empty: off)
    compare_lrs: tuple = ()

    def hyper_for(self, name: str) -> dict:
        allowed = HYPER_DEFAULTS.get(name, {})
        mine = self.hyper.get(name, {})
        return {k: float(mine.get(k, v)) for k, v in allowed.items()}


@dataclass(frozen=True)
class RunSpec:
    start: int  # index of the start marker
    optimizer: str
    lr: float
    label: str


class Frame:
    """A snapshot for the views, built at most 30 times a second: everything a view draws
    is copied when the frame is built (the drawn paths and curves are at most 51 runs), so
    a frame staged for a later view pass never reads the live store (clearing the starts
    meanwhile cannot change or break it). Only the many-runs envelope is computed on first
    use, from whatever the store holds then."""

    def __init__(self, controller: "StudioController"):
        c = controller
        st = c.store
        self._c = c
        self.version = st.version
        self.n_runs = st.n
        self.selected = c.selected
        drawn = list(c._drawn)
        if 0 <= c.selected < st.n and c.selected not in drawn:
            drawn.append(c.selected)
        self.path_runs = drawn  # run index of each drawn path / curve
        self.positions = st.pos.copy()  # (N, 2) current points of every run
        self.values = st.val.copy()  # (N,)
        self.status = st.status.copy()
        self.starts = c.starts.copy()  # (M, 2)
        self.critical = list(c.critical)
        self.legend = c.legend()  # (label, RGBA) of the run colours
        self.path_colors = [c.run_color(r) for r in drawn]
        # Vertex budget: a few runs are drawn wide (≤ 8,000 vertices in all), many with
        # 1-pixel lines (≤ 20,000): pyqtgraph rebuilds a line's QPainterPath on the repaint
        # after every setData, so vertices cost time on every frame.
        k = max(1, len(drawn))
        per_run = max(64, min(2048, (8_000 if k <= 10 else 20_000) // k))
        #: (T, 4) arrays x, y, f, |∇f| of the drawn runs
        self.paths = [st.path(r, per_run) for r in drawn]
        per_curve = 1024 if k <= 10 else 256
        #: (steps, values, grad norms) of the drawn runs
        self.curves = [st.curve(r, per_curve) for r in drawn]
        self.run_colors = self._run_colors(c, self.n_runs)
        self._start_key = (c.basin_mode, c.run_critical.tobytes(), len(c.specs), c.settings.compare_optimizers,
                           c.settings.compare_lrs)
        self.start_colors = self._start_colors(c, self.starts.shape[0])
        self.critical_colors = [palette.basin(k) if c.basin_mode else palette.kind_color(cp.kind)
                                for k, cp in enumerate(self.critical)]

    @staticmethod
    def _run_colors(c, n: int) -> np.ndarray:
        """(N, 4) RGBA of every run (vectorised: basins by critical point, else per start
        or per compared optimizer / learning rate)."""
        if n == 0:
            return np.zeros((0, 4))
        s = c.settings
        if c.basin_mode and not (s.compare_optimizers or s.compare_lrs):
            table = np.array([palette.basin(k) for k in range(max(1, len(c.critical)))] + [palette.GREY])
            k = np.asarray(c.run_critical[:n], int)
            k = np.where(k >= 0, np.minimum(k, table.shape[0] - 2), table.shape[0] - 1)
            return table[k]
        return np.array([c.run_color(r) for r in range(n)])

    @property
    def start_colors_key(self):
        """Changes whenever the start colours may have changed (cheap to compare)."""
        return self._start_key

    @staticmethod
    def _start_colors(c, m: int) -> list:
        if not c.basin_mode:
            return [palette.series(i) for i in range(m)]
        if len(c.specs) == m:
            return [c.run_color(i) for i in range(m)]
        out = []
        for i in range(m):
            runs = c.runs_of_start(i)
            out.append(c.run_color(runs[0]) if runs else palette.GREY)
        return out

    @cached_property
    def envelope(self):
        st = self._c.store
        if self.n_runs > ENVELOPE_ABOVE and st.owned.any():
            return st.envelopes()
        return None



class StudioController(QObject):
    sig_problem_changed = Signal(object)
    sig_frame = Signal(object)
    sig_runs_reset = Signal()
    sig_state_changed = Signal(str)
    sig_message = Signal(str, str)
    sig_selection_changed = Signal(int)
    sig_expression_error = Signal(object)
    sig_stats = Signal(dict)
    sig_settings_changed = Signal(object)

    def __init__(self, parent: Optional[QObject] = None, start_worker: bool = True):
        super().__init__(parent)
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
        self._changes: list = []  # (step, name, value) applied to the live batch
        self._drawn: list[int] = []
        self._frame_version = -1
        self._dirty = True
        self._critical_due = 0.0
        self._critical_version = -1
        self._rate_steps = 0
        self._rate_t0 = time.perf_counter()
        self._steps_per_second = 0.0
        self._drag_pending: Optional[tuple] = None
        #: how many times a dragged start's trajectory was recomputed (tests, diagnostics)
        self.drag_computations = 0
        self._drag_timer = QTimer(self)
        self._drag_timer.setSingleShot(True)
        self._drag_timer.setInterval(0)
        self._drag_timer.timeout.connect(self._drag_compute)
        self.wt: Optional[WorkerThread] = None
        if start_worker:
            self.wt = WorkerThread()
            w = self.wt.worker
            w.sig_chunk.connect(self._on_chunk)
            w.sig_finished.connect(self._on_finished)
            w.sig_error.connect(self._on_error)
            w.sig_idle.connect(self._on_idle)
            w.set_speed(self.settings.speed)
            # stop the thread however the program ends (a QThread destroyed while running
            # aborts the process)
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(self.shutdown)
            ref = weakref.ref(self)
            atexit.register(lambda: ref() is not None and ref().shutdown(1000))
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 / REDRAW_HZ))
        self.timer.timeout.connect(self._tick)
        self.timer.start()

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
        self.sig_problem_changed.emit(self.problem)
        self._rebuild_runs()

    def set_function_text(self, text: str, domain=None) -> bool:
        """Compile ``text`` (preset name or expression) now. On an error the previous problem
        stays and ``sig_expression_error`` carries the error (with its column). (The window
        compiles in the background through its session: gui/session_link.py.)"""
        dom = domain or preset_domain(text) or (self.problem.domain if self.problem else None)
        try:
            obj = _compile(text)
        except ValueError as err:
            self.sig_expression_error.emit(err)
            return False
        self.sig_expression_error.emit(None)
        self.set_objective(obj, dom)
        return True

    def set_domain(self, domain) -> None:
        if self.problem is not None:
            self.set_objective(self.problem.objective, domain, self.problem.description)

    def _default_start(self) -> np.ndarray:
        """A start with an interesting path: among points a quarter of the way in from the
        edges, the one whose value is nearest the grid's 60th percentile (not a minimum, not
        a cliff where plain gradient descent would blow up)."""
        (xa, xb), (ya, yb) = self.problem.domain
        fr = [(0.22, 0.78), (0.78, 0.78), (0.22, 0.22), (0.78, 0.22), (0.5, 0.82), (0.18, 0.5),
              (0.82, 0.5), (0.5, 0.18), (0.35, 0.65), (0.65, 0.35)]
        C = np.array([[xa + a * (xb - xa), ya + b * (yb - ya)] for a, b in fr])
        Z = self.problem.grid.Z
        finite = Z[np.isfinite(Z)]
        with np.errstate(all="ignore"):
            f = np.asarray(self.problem.objective.value(C), float)
        if finite.size == 0 or not np.isfinite(f).any():
            return C[:1]
        target = np.percentile(finite, 60)
        k = int(np.nanargmin(np.where(np.isfinite(f), np.abs(f - target), np.nan)))
        return C[k:k + 1]

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
        self.sig_settings_changed.emit(self.settings)
        live = {"lr", "speed", "max_steps"}
        if self.wt is not None:
            if "speed" in changes:
                self.wt.worker.set_speed(self.settings.speed)
        if set(changes) <= {"speed"}:
            return
        if {"optimizer", "lr"} & set(changes) and self.state not in ("running", "paused"):
            # every run spec says what it runs with: the next run, the instant paths and an
            # export's sidecar all read them (a rate set before the first run was recorded
            # as the old one). A live change of a running batch is recorded as such instead.
            expanded = self._expand()
            if len(expanded) == len(self.specs):
                self.specs = expanded
        structural = set(changes) - live
        if "lr" in changes and (self.settings.compare_lrs or set(self.settings.compare_optimizers) - {None}):
            structural.add("lr")
        if structural & {"compare_optimizers", "compare_lrs"}:
            self._rebuild_runs(keep_state=True)
            return
        if self.state in ("running", "paused") and not structural:
            if "lr" in changes and self.wt is not None:
                self.wt.worker.set_lr(self._batch_lrs(len(self.specs)))
            if "max_steps" in changes and self.wt is not None:
                self.wt.worker.set_max_steps(self.settings.max_steps)
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
        s = self.settings
        opts = [o for o in s.compare_optimizers if o in OPTIMIZERS] or [s.optimizer]
        lrs = [float(v) for v in s.compare_lrs if v and v > 0] or [float(s.lr)]
        specs = []
        for i in range(self.starts.shape[0]):
            for o in opts:
                for lr in lrs:
                    parts = []
                    if len(opts) > 1:
                        parts.append(o)
                    if len(lrs) > 1:
                        parts.append(f"lr {lr:g}")
                    specs.append(RunSpec(i, o, lr, " ".join(parts) or o))
        return specs

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
            self.sig_message.emit(f"{len(specs):,} runs is too many; the limit is {MAX_RUNS:,}", "error")
            specs = specs[:MAX_RUNS]
        self.specs = specs
        P = self._run_starts()
        f, G = self._eval(P)
        self.store.reset(P, f, G)
        self.selected = -1 if self.selected >= len(specs) else self.selected
        self.critical = []
        self.run_critical = np.full(len(specs), -1, np.int64)
        self._choose_drawn()
        self._set_state("idle")
        self.sig_runs_reset.emit()
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

    def _choose_drawn(self) -> None:
        n = len(self.specs)
        if n <= MAX_DRAWN_RUNS:
            self._drawn = list(range(n))
        else:
            self._drawn = sorted(set(np.linspace(0, n - 1, MAX_DRAWN_RUNS).astype(int).tolist()))

    def add_start(self, x: float, y: float) -> int:
        """One more start (a click on the map); its runs are computed at once. Returns the
        index of the start marker."""
        self.starts = np.vstack([self.starts, [[float(x), float(y)]]])
        i = self.starts.shape[0] - 1
        s = self.settings
        opts = [o for o in s.compare_optimizers if o in OPTIMIZERS] or [s.optimizer]
        lrs = [float(v) for v in s.compare_lrs if v and v > 0] or [float(s.lr)]
        new = []
        for o in opts:
            for lr in lrs:
                parts = ([o] if len(opts) > 1 else []) + ([f"lr {lr:g}"] if len(lrs) > 1 else [])
                new.append(RunSpec(i, o, lr, " ".join(parts) or o))
        P = np.repeat(self.starts[i:i + 1], len(new), axis=0)
        f, G = self._eval(P)
        rows = self.store.add_runs(P, f, G)
        self.specs.extend(new)
        self.run_critical = np.r_[self.run_critical, np.full(len(new), -1, np.int64)]
        self._choose_drawn()
        truncated = False
        for r in rows:
            truncated |= self._compute_instant(int(r))
        self._update_critical()
        self.sig_runs_reset.emit()
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
        if not self._drag_timer.isActive():
            self._drag_timer.start()

    def finish_drag(self, i: int, x: float, y: float) -> None:
        self._drag_timer.stop()
        self.drag_start(i, x, y)
        self._drag_timer.stop()
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
        """The trajectory of run ``r`` from its start, now (gdstudio.descend), at most
        INSTANT_STEPS steps. True when the path was cut there (Max steps is larger and the
        run had not stopped): the caller then lets the worker continue."""
        from .. import descend

        sp = self.specs[r]
        s = self.settings
        start = self.starts[sp.start]
        steps = min(int(s.max_steps), INSTANT_STEPS)
        try:
            res = descend(self.problem.objective, start[None, :], optimizer=sp.optimizer, lr=sp.lr,
                          steps=steps, tol=s.tol, record=True, schedule=s.schedule,
                          domain=self.problem.domain, **s.hyper_for(sp.optimizer))
        except (ValueError, FloatingPointError) as err:
            self.sig_message.emit(str(err), "error")
            return False
        code = int(Status.from_key(res.status[0]))
        self.store.set_instant(r, res, code)
        return code == MAX_STEPS and s.max_steps > steps

    def _continue_in_worker(self) -> None:
        """Paths cut at INSTANT_STEPS: every run descends in the worker, up to Max steps."""
        if self.state in ("idle", "done"):
            self.sig_message.emit(f"The first {INSTANT_STEPS:,} steps were drawn at once; the runs continue "
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
        self._dirty = True
        self.sig_selection_changed.emit(i)

    # ------------------------------------------------------------------ run controls
    def run(self) -> None:
        if self.state == "running":
            return
        if self.state == "paused" and self.wt is not None:
            self.wt.worker.resume()
            self._set_state("running")
            return
        self._start_batch(paused=False)

    def pause(self) -> None:
        if self.state == "running" and self.wt is not None:
            self.wt.worker.pause()
            self._set_state("paused")

    def toggle_run(self) -> None:
        self.pause() if self.state == "running" else self.run()

    def step(self, n: int = 1) -> None:
        if self.state in ("idle", "done"):
            self._start_batch(paused=True, steps=n)
        elif self.wt is not None:
            self.wt.worker.step(n)
            self._set_state("paused")

    def reset(self) -> None:
        """Stop and put every run back at its start."""
        self._rebuild_runs()

    def _stop_job(self) -> None:
        self.generation += 1
        if self.wt is not None:
            self.wt.worker.cancel()

    def _start_batch(self, paused: bool, steps: int = 0) -> None:
        """A new descent of every run from its start (new generation)."""
        from ..core.runner import BatchDescent

        self._stop_job()
        if not self.specs:
            self.sig_message.emit("There are no start points: click the contour map to add one.", "info")
            return
        s = self.settings
        P = self._run_starts()
        names = [sp.optimizer for sp in self.specs]
        mixed = len(set(names)) > 1
        lrs = np.array([sp.lr for sp in self.specs]) if len(set(sp.lr for sp in self.specs)) > 1 else float(s.lr)
        if mixed:
            keys = sorted({k for o in set(names) for k in HYPER_DEFAULTS[o]})
            hyper = {}
            for k in keys:
                vals = [s.hyper_for(o).get(k, np.nan) for o in names]
                hyper[k] = np.nan_to_num(np.array(vals, float), nan=0.0)
        else:
            hyper = s.hyper_for(names[0])
        spec = dict(objective=self.problem.objective, starts=P, optimizer=names if mixed else names[0],
                    lr=lrs, schedule=s.schedule, max_steps=s.max_steps, tol=s.tol,
                    domain=self.problem.domain, **hyper)
        # numba's first compile of a fused kernel holds the GIL for about a second, which
        # would freeze the window; the numpy path is fast enough for what the views can show
        spec["use_fused"] = False
        try:
            batch = BatchDescent(**spec)
        except ValueError as err:
            self.sig_message.emit(str(err), "error")
            return
        self._batch_spec = spec
        self._batch_initial = batch.initial_chunk()
        self._changes = []
        self.store.begin_batch(len(self.specs), batch.values.copy(), batch.grads.copy())
        self.critical = []
        self.run_critical = np.full(len(self.specs), -1, np.int64)
        self._rate_steps = 0
        self._rate_t0 = time.perf_counter()
        self._steps_per_second = 0.0
        self._choose_drawn()
        self._dirty = True
        if batch.done:
            self._set_state("done")
            self._update_critical()
            return
        if self.wt is None:  # shut down (or built without a worker): nothing can step
            self.sig_message.emit("the descent worker is not running", "error")
            return
        self.wt.worker.start(self.generation, batch, paused=paused, steps=steps)
        self._set_state("paused" if paused else "running")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.sig_state_changed.emit(state)

    # ------------------------------------------------------------------ worker signals
    def _on_chunk(self, msg) -> None:
        if msg.generation != self.generation:
            return  # a cancelled job's late chunk
        if msg.chunks:
            for name, value in msg.changes:
                self._changes.append((msg.chunks[0].first_step - 1, name, value))
        for chunk in msg.chunks:
            self.store.ingest(chunk)
            self._rate_steps += chunk.n_steps
        now = time.perf_counter()
        if now - self._rate_t0 >= 0.5:
            self._steps_per_second = self._rate_steps / (now - self._rate_t0)
            self._rate_steps = 0
            self._rate_t0 = now
        self._dirty = True

    def _on_finished(self, generation: int) -> None:
        if generation != self.generation:
            return
        self._set_state("done")
        self._update_critical()
        self._dirty = True

    def _on_idle(self, generation: int) -> None:
        if generation == self.generation and self.state == "running":
            self._set_state("paused")

    def _on_error(self, generation: int, message: str) -> None:
        if generation != self.generation:
            return
        self._set_state("done")
        self.sig_message.emit(message, "error")

    # ------------------------------------------------------------------ critical points
    def _update_critical(self) -> None:
        from ..core.critical import critical_candidates, group_critical_points

        st = self.store
        if self.problem is None or st.n == 0:
            self.critical, self.run_critical = [], np.empty(0, np.int64)
            return
        with np.errstate(all="ignore"):
            ok = critical_candidates(st.status, np.linalg.norm(st.grad, axis=1))
        try:
            groups = group_critical_points(self.problem.objective, st.pos, ok, values=st.val)
        except Exception as err:  # analysis must never take the window down
            self.sig_message.emit(f"critical-point analysis failed: {err}", "error")
            groups = []
        rc = np.full(st.n, -1, np.int64)
        for k, g in enumerate(groups):
            rc[g.runs] = k
        self.critical, self.run_critical = groups, rc
        self._critical_version = st.version
        self._dirty = True

    def run_kind(self, r: int) -> str:
        k = int(self.run_critical[r]) if r < self.run_critical.size else -1
        if k >= 0:
            return self.critical[k].kind
        st = int(self.store.status[r])
        if st == RUNNING:
            return ""
        return "none"

    # ------------------------------------------------------------------ redraw
    def _tick(self) -> None:
        st = self.store
        now = time.perf_counter()
        if self.state == "running" and st.version != self._critical_version and now >= self._critical_due:
            self._critical_due = now + 1.0
            self._update_critical()
        if not self._dirty and st.version == self._frame_version:
            return
        self._dirty = False
        self._frame_version = st.version
        frame = self.build_frame()
        self.sig_frame.emit(frame)
        self._ticks = getattr(self, "_ticks", 0) + 1
        if self.state != "running" or self._ticks % 3 == 0:  # text at 10 Hz is plenty
            self.sig_stats.emit(self.stats())

    def run_color(self, r: int) -> tuple:
        sp = self.specs[r]
        s = self.settings
        if self.basin_mode and not (s.compare_optimizers or s.compare_lrs):
            k = int(self.run_critical[r]) if r < self.run_critical.size else -1
            return palette.basin(k)
        if len([o for o in s.compare_optimizers if o in OPTIMIZERS]) > 1:
            return palette.optimizer(sp.optimizer)
        if len(s.compare_lrs) > 1:
            return palette.series(list(s.compare_lrs).index(sp.lr) if sp.lr in s.compare_lrs else 0)
        return palette.series(sp.start)

    def legend(self) -> list:
        s = self.settings
        opts = [o for o in s.compare_optimizers if o in OPTIMIZERS]
        if len(opts) > 1:
            return [(o, palette.optimizer(o)) for o in opts]
        if len(s.compare_lrs) > 1:
            return [(f"lr {v:g}", palette.series(i)) for i, v in enumerate(s.compare_lrs)]
        return []

    def build_frame(self) -> Frame:
        return Frame(self)

    def stats(self) -> dict:
        st = self.store
        best, where = np.nan, None
        if st.n:
            with np.errstate(all="ignore"):
                v = np.where(np.isfinite(st.val), st.val, np.inf)
            k = int(np.argmin(v)) if v.size else -1
            if k >= 0 and np.isfinite(v[k]):
                best, where = float(v[k]), tuple(float(a) for a in st.pos[k])
        return {
            "step": int(st.batch_step if st.owned.any() else (st.steps.max() if st.n else 0)),
            "best": best,
            "best_at": where,
            "steps_per_second": self._steps_per_second if self.state == "running" else 0.0,
            "runs": st.n,
            "state": self.state,
            "memory_mb": st.nbytes() / 2**20,
        }

    def step_arrow(self):
        """The selected run's last step ((x, y, f) before, (x, y, f) after) while the
        descent is paused (the 3D view draws it as an arrow), else None."""
        r = self.selected
        st = self.store
        if self.state not in ("paused",) or not 0 <= r < st.n or st.steps[r] < 1:
            return None
        a = st.prev[r]
        b = np.array([*st.pos[r], st.val[r]])
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            return None
        return a, b

    def inspect(self, x: float, y: float) -> dict:
        return point_report(self.problem.objective, x, y)

    # ------------------------------------------------------------------ export
    def export_trajectories(self, path, runs: Optional[Sequence[int]] = None) -> int:
        """Write the trajectories of ``runs`` (all by default) as the engine's CSV plus a
        JSON sidecar. Returns the number of rows. Batch runs come from the kept chunks
        when they fit the memory budget, otherwise the deterministic descent is replayed
        from the same starts and settings (with the recorded live learning-rate changes)
        up to the step on screen."""
        from .exporter import export_runs

        return export_runs(self, path, runs)

    # ------------------------------------------------------------------ shutdown
    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the worker thread (idempotent); True when it ended in time."""
        try:
            self.timer.stop()
            self._drag_timer.stop()
        except RuntimeError:  # the C++ objects are already gone
            pass
        self.generation += 1
        if self.wt is None:
            return True
        wt, self.wt = self.wt, None
        return wt.stop(timeout_ms)

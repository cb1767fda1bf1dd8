"""The session: one model of what the person is doing, without Qt.

A :class:`Session` holds the *document* (a :class:`SessionState`, immutable): the problem (a
typed function or preset, or a model on data), the domain, the optimizer settings and
comparisons, the start points (explicit, or a sampler with its count and seed), the view
settings and the basin mode. Everything else is derived from it: the problem view (what the
maps show and the runs descend on), the run specs (starts × compared optimizers × compared
learning rates), the :class:`~gdstudio.core.config.DescentConfig` of those runs, and
``run()``, which returns exactly what :func:`gdstudio.descend` returns for them.

Intents in, events out. Every edit is a method (``set_function``, ``add_start``,
``set_optimizer``...) that replaces the document and pushes one undo command; ``undo()`` and
``redo()`` step through them. A drag is one command however many moves it has
(``begin_drag`` / ``drag`` / ``end_drag``), and so is any gesture (``begin_gesture`` /
``end_gesture``, e.g. a slider being dragged). Changes are announced through the ``sig_*``
signals (plain callbacks, see signals.py), whichever way they came: an edit, an undo, a
redo or opening a file.

The window shows the session and sends intents to it; the command line's ``gdstudio run
--session FILE`` runs ``Session.load(FILE).run()``. See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from ..core.critical import CriticalPoint, critical_candidates, group_critical_points
from ..core.optimizers import HYPER_DEFAULTS, OPTIMIZERS, make_optimizer, validate_lr
from ..core.schedules import Schedule
from ..core.starts import SAMPLERS, make_starts
from ..core.stopping import check_stopping
from .problem_views import ModelSpec, ProblemView, function_view, model_view, normalise_domain
from .signals import Signal

Domain = tuple[tuple[float, float], ...]

#: runs (starts × compared optimizers × compared learning rates) at most
MAX_RUNS = 20_000
RUN_STATES = ("idle", "running", "paused", "done")


# == the document ==============================================================================
@dataclass(frozen=True)
class FunctionSpec:
    """A typed function of x and y, or a preset's name (``rosenbrock``)."""

    text: str = "rosenbrock"

    @property
    def kind(self) -> str:
        return "function"

    @property
    def preset(self) -> Optional[str]:
        from ..core.presets import PRESETS

        return self.text.strip() if self.text.strip() in PRESETS else None


ProblemSpec = Union[FunctionSpec, ModelSpec]

#: problem views a session keeps for undo and redo
VIEWS_KEPT = 8


@dataclass(frozen=True)
class Settings:
    """How the runs descend. ``hyper`` holds each optimizer's hyper-parameters as the person
    set them (missing ones take the optimizer's defaults); ``compare_optimizers`` and
    ``compare_lrs`` run every start once per listed optimizer / learning rate (empty: off)."""

    optimizer: str = "gd"
    lr: float = 0.01
    hyper: dict = field(default_factory=dict)
    schedule: Schedule = field(default_factory=Schedule)
    max_steps: int = 1000
    tol: float = 1e-6
    compare_optimizers: tuple = ()
    compare_lrs: tuple = ()
    #: coordinate systems compared side by side from every start (``cartesian``,
    #: ``polar:metric``, ``polar:naive``; core/mixed_coordinates.py); empty: off
    compare_coordinates: tuple = ()
    #: descend in ``cartesian`` or ``polar`` coordinates, with the ``naive`` or ``metric``
    #: gradient in polar ones (see core/coordinates.py); results stay in x, y
    coordinates: str = "cartesian"
    gradient: str = "metric"

    def hyper_for(self, name: str) -> dict:
        mine = self.hyper.get(name, {})
        return {k: float(mine.get(k, v)) for k, v in HYPER_DEFAULTS.get(name, {}).items()}

    def validate(self) -> None:
        """Raise ``ValueError`` (one sentence) for settings the engine would refuse."""
        make_optimizer(self.optimizer, **self.hyper_for(self.optimizer))
        for o, values in self.hyper.items():
            make_optimizer(o, **{**self.hyper_for(o), **values})
        validate_lr(self.lr)
        check_stopping(self.max_steps, self.tol)
        for o in self.compare_optimizers:
            make_optimizer(o, **self.hyper_for(o))
        for v in self.compare_lrs:
            validate_lr(v)
        from ..core.coordinates import check_coordinates

        check_coordinates(self.coordinates, self.gradient)
        from ..core.mixed_coordinates import split_system

        for c in self.compare_coordinates:
            split_system(c)

    @property
    def systems(self) -> tuple:
        """The coordinate systems the runs descend in: the compared ones, else the one chosen."""
        from ..core.mixed_coordinates import system_of

        return tuple(self.compare_coordinates) or (system_of(self.coordinates, self.gradient),)


@dataclass(frozen=True)
class Starts:
    """Explicit start points, or ``count`` points drawn by ``sampler`` (uniform, grid, sobol,
    halton) with ``seed`` over the domain (redrawn when the domain changes)."""

    points: tuple = ()
    sampler: Optional[str] = None
    count: int = 0
    seed: Optional[int] = 0

    def resolve(self, domain) -> np.ndarray:
        if self.sampler is not None:
            return make_starts(self.sampler, self.count, domain, self.seed)
        return np.asarray(self.points, float).reshape(-1, 2)


@dataclass(frozen=True)
class ViewSettings:
    """How the maps look (saved with the session; not undo steps): the 3D camera (a preset
    name, and optionally its ``(elevation, azimuth, distance)``), the 3D height (``log_height``
    None: automatic), the gradient arrows, the animation speed in steps per second (None: as
    fast as possible)."""

    camera: str = "default"
    camera_angles: Optional[tuple] = None
    log_height: Optional[bool] = None
    arrows: bool = True
    speed: Optional[float] = 200.0


@dataclass(frozen=True)
class SessionState:
    """The document: everything an undo step, and a session file, covers."""

    problem: ProblemSpec = field(default_factory=FunctionSpec)
    domain: Optional[Domain] = None  # None: the problem's own
    settings: Settings = field(default_factory=Settings)
    starts: Starts = field(default_factory=Starts)
    view: ViewSettings = field(default_factory=ViewSettings)
    basin_mode: bool = False


@dataclass(frozen=True)
class RunSpec:
    """One run: its start (index into the start points), optimizer, learning rate and the
    label the legend shows."""

    start: int
    optimizer: str
    lr: float
    label: str
    #: the coordinate system it descends in: cartesian, polar:metric or polar:naive
    system: str = "cartesian"

    @property
    def coordinates(self) -> tuple[str, str]:
        """(coordinates, gradient) of its system."""
        from ..core.mixed_coordinates import split_system

        return split_system(self.system)


def expand_runs(settings, starts) -> list[RunSpec]:
    """The runs of the start indices ``starts``: each once per compared optimizer, learning
    rate and coordinate system (``settings.compare_*``; else the one optimizer, rate and
    system), in that order."""
    from ..core.mixed_coordinates import SYSTEM_TITLES, system_of

    s = settings
    opts = [o for o in s.compare_optimizers if o in OPTIMIZERS] or [s.optimizer]
    lrs = [float(v) for v in s.compare_lrs if v and v > 0] or [float(s.lr)]
    systems = list(getattr(s, "compare_coordinates", ())) or [system_of(s.coordinates, s.gradient)]
    specs = []
    for i in starts:
        for o in opts:
            for lr in lrs:
                for c in systems:
                    parts = ([o] if len(opts) > 1 else []) + ([f"lr {lr:g}"] if len(lrs) > 1 else []) \
                        + ([SYSTEM_TITLES.get(c, c)] if len(systems) > 1 else [])
                    specs.append(RunSpec(int(i), o, lr, " ".join(parts) or o, c))
    return specs


@dataclass(frozen=True)
class Command:
    """One undo step: the document before and after an edit."""

    label: str
    before: SessionState
    after: SessionState


@dataclass(frozen=True, eq=False)
class CriticalAnalysis:
    """The distinct critical points the runs reached (``points``, lowest first; the lowest
    minimum is ``best``) and the group of each run's end point (``run_point``, -1: none)."""

    points: tuple
    run_point: np.ndarray

    def kind_of(self, run: int) -> Optional[str]:
        k = int(self.run_point[run]) if 0 <= run < self.run_point.size else -1
        return self.points[k].kind if k >= 0 else None


def analyse_runs(objective, status, positions, grads, values=None) -> CriticalAnalysis:
    """Group the runs' end points with the rule the API uses (``critical_candidates``)."""
    P = np.asarray(positions, float).reshape(len(status), -1)
    with np.errstate(all="ignore"):
        ok = critical_candidates(np.asarray(status), np.linalg.norm(np.asarray(grads, float), axis=1))
        groups = group_critical_points(objective, P, ok, values=values)
    rp = np.full(P.shape[0], -1, np.int64)
    for k, g in enumerate(groups):
        rp[g.runs] = k
    return CriticalAnalysis(tuple(groups), rp)


def _points_tuple(P) -> tuple:
    return tuple((float(x), float(y)) for x, y in np.asarray(P, float).reshape(-1, 2))


# == the session ===============================================================================
class Session:
    """See the module docstring. ``Session()`` starts on Rosenbrock with one default start;
    ``Session(state)`` opens a document (its problem view is built at once).

    Signals (each emitted after the change, with the new value):

    * ``sig_problem_changed(ProblemView)``  problem or domain: the maps redraw
    * ``sig_settings_changed(Settings)``
    * ``sig_starts_changed(ndarray)``       the start points (M, 2)
    * ``sig_runs_changed(list[RunSpec])``    the set of runs (back at step 0)
    * ``sig_view_changed(ViewSettings)``
    * ``sig_selection_changed(int)``         the selected run (-1: none)
    * ``sig_state_changed(str)``             idle | running | paused | done
    * ``sig_undo_changed()``                 what undo/redo would do changed
    * ``sig_path_changed(object)``           the session file (a Path, or None)
    """

    def __init__(self, state: Optional[SessionState] = None, view: Optional[ProblemView] = None):
        for name in ("problem_changed", "settings_changed", "starts_changed", "runs_changed", "view_changed",
                     "selection_changed", "state_changed", "undo_changed", "path_changed"):
            setattr(self, f"sig_{name}", Signal(name))
        state = state or SessionState()
        self._view = view if view is not None else build_view(state.problem, state.domain)
        if not state.starts.points and state.starts.sampler is None:
            state = replace(state, starts=Starts(_points_tuple(self._view.default_starts[:1])))
        self._state = state
        self._points = state.starts.resolve(self.domain)
        #: recently shown problem views by (problem, domain): undo and redo bring a view back
        #: at once (a model or a compiled function is not rebuilt), with what the window kept
        self._views: dict = {(state.problem, state.domain): self._view}
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._gesture: Optional[tuple[str, SessionState]] = None
        self._saved_state: Optional[SessionState] = state
        self.selected = -1
        self.run_state = "idle"
        self.path: Optional[Path] = None
        self.analysis: Optional[CriticalAnalysis] = None

    # -- reading -----------------------------------------------------------------------------
    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def problem(self) -> ProblemSpec:
        return self._state.problem

    @property
    def view(self) -> ProblemView:
        """What the maps show and the runs descend on (its domain is the session's)."""
        return self._view

    @property
    def objective(self):
        return self._view.objective

    @property
    def domain(self) -> Domain:
        return self._view.domain

    @property
    def settings(self) -> Settings:
        return self._state.settings

    @property
    def view_settings(self) -> ViewSettings:
        return self._state.view

    @property
    def basin_mode(self) -> bool:
        return self._state.basin_mode

    @property
    def starts(self) -> np.ndarray:
        """The start points (M, 2), a copy."""
        return self._points.copy()

    @property
    def modified(self) -> bool:
        """The document differs from the one last opened or saved."""
        return self._state != self._saved_state

    def run_specs(self) -> list[RunSpec]:
        """The runs: every start once per compared optimizer and learning rate, in that order."""
        return expand_runs(self.settings, range(self._points.shape[0]))

    def run_starts(self, specs: Optional[Sequence[RunSpec]] = None) -> np.ndarray:
        specs = self.run_specs() if specs is None else specs
        if not specs:
            return np.empty((0, 2))
        return self._points[[sp.start for sp in specs]]

    def descent_config(self, specs: Optional[Sequence[RunSpec]] = None):
        """The :class:`~gdstudio.core.config.DescentConfig` of the runs (what ``run()`` runs,
        and what an export's sidecar records)."""
        from ..core.config import DescentConfig

        specs = self.run_specs() if specs is None else list(specs)
        if not specs:
            raise ValueError("there are no start points to run from")
        if len(specs) > MAX_RUNS:
            raise ValueError(f"{len(specs):,} runs is too many; the limit is {MAX_RUNS:,}")
        s = self.settings
        names = [sp.optimizer for sp in specs]
        optimizer = names[0] if len(set(names)) == 1 else tuple(names)
        lrs = [float(sp.lr) for sp in specs]
        lr = lrs[0] if len(set(lrs)) == 1 else tuple(lrs)
        hyper = {o: s.hyper_for(o) for o in dict.fromkeys(names)}
        st = self._state.starts
        model = None
        if isinstance(self.problem, ModelSpec):
            model = {k: v for k, v in _spec_dict(self.problem).items() if v is not None}
        return DescentConfig.build(
            self.objective, self.run_starts(specs), optimizer, lr, hyper, s.schedule.describe(), s.max_steps,
            s.tol, self.domain, function=self.function_label(), seed=st.seed if st.sampler else None,
            starts_from=st.sampler or "explicit", model=model, gradient=s.gradient,
            coordinates=tuple(sp.system for sp in specs) if s.compare_coordinates else s.coordinates,
        )

    def function_label(self) -> str:
        if isinstance(self.problem, FunctionSpec):
            return self.problem.text
        return getattr(self.objective, "label", "") or self._view.title

    def run(self, record: bool = True):
        """Run every run to the end, as the window would: returns the
        :class:`~gdstudio.core.api.DescentResult` that :func:`gdstudio.descend` returns for
        the same objective, starts and settings."""
        from ..core.api import descend

        kw = self.descent_config().batch_kwargs()
        s = self.settings
        coordinates = [sp.system for sp in self.run_specs()] if s.compare_coordinates else s.coordinates
        return descend(self.objective, kw.pop("starts"), optimizer=kw.pop("optimizer"), lr=kw.pop("lr"),
                       steps=kw.pop("max_steps"), tol=kw.pop("tol"), record=record, schedule=kw.pop("schedule"),
                       domain=kw.pop("domain"), coordinates=coordinates, gradient=s.gradient, **kw)

    def analyse(self, status, positions, grads, values=None) -> CriticalAnalysis:
        """Critical points of the runs' current end points (the API's rule); kept as
        ``self.analysis``."""
        self.analysis = analyse_runs(self.objective, status, positions, grads, values)
        return self.analysis

    # -- undo / redo ---------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_text(self) -> str:
        return self._redo[-1].label if self._redo else ""

    def undo(self) -> bool:
        """Undo the last edit; False when there is none."""
        self._end_open_gesture()
        if not self._undo:
            return False
        cmd = self._undo.pop()
        self._redo.append(cmd)
        self._apply(replace(cmd.before, view=self._state.view))
        self.sig_undo_changed.emit()
        return True

    def redo(self) -> bool:
        self._end_open_gesture()
        if not self._redo:
            return False
        cmd = self._redo.pop()
        self._undo.append(cmd)
        self._apply(replace(cmd.after, view=self._state.view))
        self.sig_undo_changed.emit()
        return True

    def begin_gesture(self, label: str) -> None:
        """Edits until :meth:`end_gesture` become one undo step called ``label``."""
        self._end_open_gesture()
        self._gesture = (label, self._state)

    def end_gesture(self) -> None:
        if self._gesture is None:
            return
        label, before = self._gesture
        self._gesture = None
        if self._state != before:
            self._push(Command(label, before, self._state))

    def _end_open_gesture(self) -> None:
        if self._gesture is not None:
            self.end_gesture()

    def _push(self, cmd: Command) -> None:
        self._undo.append(cmd)
        self._redo.clear()
        self.sig_undo_changed.emit()

    def _edit(self, label: str, new: SessionState, view: Optional[ProblemView] = None) -> None:
        """Replace the document by ``new`` as one undo step (or as part of an open gesture)."""
        before = self._state
        if new == before and view is None:
            return
        self._apply(new, view)
        if self._gesture is None:
            self._push(Command(label, before, self._state))

    def _apply(self, new: SessionState, view: Optional[ProblemView] = None) -> None:
        """Make ``new`` the document and announce what changed."""
        old = self._state
        problem_changed = view is not None or new.problem != old.problem or new.domain != old.domain
        if problem_changed:
            key = (new.problem, new.domain)
            if view is None:  # undo, redo: the view shown before, if it is still known
                view = self._views.get(key) or build_view(new.problem, new.domain)
            self._views.pop(key, None)
            self._views[key] = view
            while len(self._views) > VIEWS_KEPT:
                self._views.pop(next(iter(self._views)))
            self._view = view
        self._state = new
        points_before = self._points
        if problem_changed or new.starts != old.starts:
            self._points = new.starts.resolve(self.domain)
        starts_changed = points_before.shape != self._points.shape or not np.array_equal(points_before, self._points)
        if problem_changed:
            self.analysis = None
            self.sig_problem_changed.emit(self._view)
        if new.settings != old.settings:
            self.sig_settings_changed.emit(new.settings)
        if starts_changed:
            self.sig_starts_changed.emit(self.starts)
        if new.view != old.view:
            self.sig_view_changed.emit(new.view)
        if problem_changed or starts_changed or _runs_key(new.settings) != _runs_key(old.settings) \
                or new.basin_mode != old.basin_mode:
            self.analysis = None
            n = len(self.run_specs())
            if self.selected >= n:
                self.select_run(-1)
            self.sig_runs_changed.emit(self.run_specs())

    # -- intents: the problem ------------------------------------------------------------------
    def set_function(self, text: str, domain=None, label: str = "Function",
                     view: Optional[ProblemView] = None) -> None:
        """Descend on a typed function or a preset. The domain becomes ``domain``, else the
        preset's, else the domain shown now (typing a new function keeps the view), else
        (-3, 3)². Raises ``ExpressionError`` (with ``.column``) for text that does not parse;
        the session is then unchanged. ``view``: the problem view built already (the window
        compiles in a background job so a slow compile never blocks it); built now otherwise."""
        spec = FunctionSpec(str(text).strip())
        if domain is None and spec.preset is None and isinstance(self.problem, FunctionSpec):
            domain = self.domain
        if view is None:
            view = build_view(spec, domain)
        self._edit(label, self._with_problem(spec, None if domain is None else view.domain, view), view)

    def set_preset(self, name: str, domain=None, view: Optional[ProblemView] = None) -> None:
        """Descend on preset ``name`` at its recommended settings (see :func:`with_recommended`):
        the problem and the settings change in ONE undo step, so Undo brings the previous
        function and settings back together. Choosing the preset already shown (e.g. with
        another domain) keeps the settings as the person left them. ``domain`` and ``view``
        as for :meth:`set_function`."""
        spec = FunctionSpec(str(name).strip())
        if spec.preset is None:
            raise ValueError(f"unknown preset {name!r}")
        if view is None:
            view = build_view(spec, domain)
        new = self._with_problem(spec, None if domain is None else view.domain, view)
        if spec != self.problem:
            new = with_recommended(new, spec.preset, view.domain)
        self._edit("Preset", new, view)

    def set_model(self, spec: ModelSpec, view: Optional[ProblemView] = None, domain=None) -> None:
        """Descend on a model on data. ``view``: the problem view built already (e.g. by
        :func:`~gdstudio.app.problem_views.model_view` in a background job); otherwise it is
        built now. Raises ``ValueError`` (one sentence) for unusable data or settings."""
        if spec.is_csv and spec.sha256 is None:
            from ..io.session_file import sha256_of

            try:
                spec = replace(spec, data=str(Path(spec.data).resolve()), sha256=sha256_of(spec.data))
            except OSError as err:
                raise ValueError(f"cannot read {spec.data}: {err.strerror or err}") from None
        if view is None:
            view = build_view(spec, domain)
        self._edit("Model", self._with_problem(spec, None if domain is None else view.domain, view), view)

    def _with_problem(self, spec, domain, view: ProblemView) -> SessionState:
        st = self._state.starts
        if st.sampler is None:
            (xa, xb), (ya, yb) = view.domain
            keep = tuple(p for p in st.points if xa <= p[0] <= xb and ya <= p[1] <= yb)
            if isinstance(spec, ModelSpec) or not keep:
                # a model's parameters have their own scale: start where the model starts
                keep = _points_tuple(view.default_starts[:1])
            st = Starts(keep)
        return replace(self._state, problem=spec, domain=domain, starts=st,
                       basin_mode=self._state.basin_mode and self._state.starts.sampler is not None)

    def set_domain(self, domain) -> None:
        """Show and descend on ``domain`` ((xmin, xmax), (ymin, ymax))."""
        dom = normalise_domain(domain)
        self._edit("Domain", replace(self._state, domain=dom), self._view.with_domain(dom))

    def reset_domain(self) -> None:
        """Back to the problem's own domain."""
        self._edit("Domain", replace(self._state, domain=None), build_view(self.problem, None))

    # -- intents: start points -----------------------------------------------------------------
    def _explicit(self) -> tuple:
        return _points_tuple(self._points)

    def add_start(self, x: float, y: float) -> int:
        """One more start point (a click on the map); returns its index."""
        pts = self._explicit() + ((float(x), float(y)),)
        _check_finite(pts)
        self._edit("Add start", replace(self._state, starts=Starts(pts)))
        return len(pts) - 1

    def remove_start(self, i: int) -> None:
        pts = list(self._explicit())
        if not 0 <= i < len(pts):
            raise IndexError(f"there is no start point {i}")
        del pts[i]
        self._edit("Remove start", replace(self._state, starts=Starts(tuple(pts)),
                                           basin_mode=self.basin_mode and bool(pts)))

    def move_start(self, i: int, x: float, y: float) -> None:
        """Move start ``i`` (one undo step; a drag is :meth:`begin_drag` ... :meth:`end_drag`)."""
        pts = list(self._explicit())
        if not 0 <= i < len(pts):
            raise IndexError(f"there is no start point {i}")
        pts[i] = (float(x), float(y))
        _check_finite(pts)
        self._edit("Move start", replace(self._state, starts=Starts(tuple(pts))))

    def begin_drag(self, i: int) -> None:
        """Start dragging start ``i``: every :meth:`drag` until :meth:`end_drag` is one undo step."""
        if not 0 <= i < self._points.shape[0]:
            raise IndexError(f"there is no start point {i}")
        self.begin_gesture("Move start")

    def drag(self, i: int, x: float, y: float) -> None:
        if self._gesture is None:
            self.begin_drag(i)
        self.move_start(i, x, y)

    def end_drag(self, i: Optional[int] = None, x: Optional[float] = None, y: Optional[float] = None) -> None:
        if i is not None and x is not None and y is not None:
            self.move_start(i, x, y)
        self.end_gesture()

    def set_starts(self, points, basins: bool = False) -> None:
        """Replace the start points by ``points`` (M, 2)."""
        P = np.asarray(points, float).reshape(-1, 2)
        if P.shape[0] == 0 or not np.all(np.isfinite(P)):
            raise ValueError("start points must be a non-empty list of finite (x, y) pairs")
        self._edit("Set starts", replace(self._state, starts=Starts(_points_tuple(P)), basin_mode=bool(basins)))

    def random_starts(self, n: int, sampler: str = "uniform", seed: Optional[int] = 0) -> None:
        """``n`` start points drawn by ``sampler`` over the domain, coloured by basin."""
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown start sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
        n = int(n)
        if n < 1:
            raise ValueError("the number of start points must be at least 1")
        if n > MAX_RUNS:
            raise ValueError(f"{n:,} start points is too many; the limit is {MAX_RUNS:,}")
        self._edit("Random starts", replace(self._state, starts=Starts((), sampler, n, seed), basin_mode=True))

    def clear_starts(self) -> None:
        """No start points at all (Clear starts): the next click on a map places the first."""
        self._edit("Clear starts", replace(self._state, starts=Starts(()), basin_mode=False))

    # -- intents: settings ----------------------------------------------------------------------
    def update_settings(self, label: str = "Settings", **changes) -> None:
        """Change settings (fields of :class:`Settings`; ``hyper`` is merged per optimizer).
        Raises ``ValueError`` (one sentence) for values the engine would refuse; the session
        is then unchanged."""
        old = self.settings
        unknown = set(changes) - {f.name for f in fields(Settings)}
        if unknown:
            raise ValueError(f"unknown setting {sorted(unknown)[0]!r}")
        if "hyper" in changes:
            merged = {k: dict(v) for k, v in old.hyper.items()}
            for k, v in changes["hyper"].items():
                merged.setdefault(k, {}).update({hk: float(hv) for hk, hv in v.items()})
            changes["hyper"] = merged
        for key in ("compare_optimizers", "compare_lrs", "compare_coordinates"):
            if key in changes:
                changes[key] = tuple(changes[key] or ())
        if "optimizer" in changes:
            changes["optimizer"] = str(changes["optimizer"]).strip().lower()
        new = replace(old, **changes)
        new.validate()
        self._edit(label, replace(self._state, settings=new))

    def set_optimizer(self, name: str) -> None:
        self.update_settings("Optimizer", optimizer=name)

    def set_lr(self, lr: float) -> None:
        self.update_settings("Learning rate", lr=float(lr))

    def set_hyper(self, optimizer: str, **values) -> None:
        self.update_settings("Hyper-parameters", hyper={str(optimizer).lower(): values})

    def set_schedule(self, schedule: Schedule) -> None:
        self.update_settings("Schedule", schedule=schedule)

    def set_max_steps(self, n: int) -> None:
        self.update_settings("Step limit", max_steps=int(n))

    def set_tol(self, tol: float) -> None:
        self.update_settings("Tolerance", tol=float(tol))

    def set_compare(self, optimizers: Optional[Sequence[str]] = None, lrs: Optional[Sequence[float]] = None,
                    coordinates: Optional[Sequence[str]] = None) -> None:
        """Compare optimizers, learning rates and/or coordinate systems (``cartesian``,
        ``polar:metric``, ``polar:naive``) side by side from every start (an empty list turns
        a comparison off; None leaves it as it is)."""
        ch = {}
        if coordinates is not None:
            ch["compare_coordinates"] = tuple(str(c).strip().lower() for c in coordinates)
        if optimizers is not None:
            ch["compare_optimizers"] = tuple(str(o).strip().lower() for o in optimizers)
        if lrs is not None:
            ch["compare_lrs"] = tuple(float(v) for v in lrs)
        self.update_settings("Compare", **ch)

    def set_model_pair(self, i: int, j: int) -> None:
        """The two parameters a model's map shows (models with more than two)."""
        if not isinstance(self.problem, ModelSpec):
            raise ValueError("only a model on data has parameters to choose")
        self.set_model(replace(self.problem, pair=(int(i), int(j))))

    # -- not undo steps ---------------------------------------------------------------------------
    def set_view(self, **changes) -> None:
        """Change view settings (fields of :class:`ViewSettings`); saved, but not undo steps."""
        new = replace(self._state.view, **changes)
        if new != self._state.view:
            self._apply(replace(self._state, view=new))

    def select_run(self, i: int) -> None:
        i = int(i) if 0 <= int(i) < len(self.run_specs()) else -1
        if i != self.selected:
            self.selected = i
            self.sig_selection_changed.emit(i)

    def set_run_state(self, state: str) -> None:
        """The window's descent worker reports idle | running | paused | done."""
        if state not in RUN_STATES:
            raise ValueError(f"unknown run state {state!r}")
        if state != self.run_state:
            self.run_state = state
            self.sig_state_changed.emit(state)

    # -- files ----------------------------------------------------------------------------------
    def to_dict(self, path=None) -> dict:
        """The session file's data (see session_files.py); data paths are relative to
        ``path``'s folder when they sit there."""
        from .session_files import state_to_dict

        return state_to_dict(self._state, path)

    @classmethod
    def from_dict(cls, data: dict, path=None) -> "Session":
        from .session_files import state_from_dict

        state = state_from_dict(data, path)
        return cls(state)

    @classmethod
    def load(cls, path) -> "Session":
        """Open a session file. Raises :class:`~gdstudio.io.session_file.SessionFileError`
        (one sentence) for a file that is not a session, a newer version, a missing data file
        or one whose SHA-256 changed."""
        from .session_files import load_state

        state, view = load_state(path)
        s = cls(state, view)
        s.path = Path(path)
        return s

    def new(self, state: Optional[SessionState] = None) -> None:
        """Replace the document by ``state`` (default: a new one), with no file (File → New).
        Not an undo step: the undo history starts afresh."""
        state = state or SessionState()
        view = build_view(state.problem, state.domain)
        fresh = Session(state, view)  # fills in the default start the way a new session does
        self._restart_history(fresh.state, view, None)

    def _restart_history(self, state: SessionState, view: ProblemView, path) -> None:
        self._undo.clear()
        self._redo.clear()
        self._gesture = None
        self._apply(state, view)
        self._saved_state = self._state
        self.path = None if path is None else Path(path)
        self.sig_undo_changed.emit()
        self.sig_path_changed.emit(self.path)

    def open(self, path, as_new: bool = False) -> None:
        """Replace this session by the file's (the window's File → Open). On any error the
        session is untouched. Not an undo step: the undo history starts afresh. ``as_new``:
        the document has no file afterwards (a lesson, a template: Save asks for one, and
        the file opened is never overwritten)."""
        from .session_files import load_state

        state, view = load_state(path)
        fresh = Session(state, view)  # a file without start points gets the default one, as load() gives
        self._restart_history(fresh.state, view, None if as_new else path)

    def save(self, path=None) -> Path:
        """Save atomically to ``path`` (default: where it was opened or last saved). A failed
        save raises ``SessionFileError`` and never damages an existing file."""
        from ..io.session_file import write_session_data

        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("the session has no file yet: give a path")
        write_session_data(target, self.to_dict(target))
        self._saved_state = self._state
        if target != self.path:
            self.path = target
            self.sig_path_changed.emit(self.path)
        return target


def with_recommended(state: SessionState, preset: str, domain) -> SessionState:
    """``state`` with preset ``preset``'s recommended settings (core/presets.py): its
    optimizer (with its recommended hyper-parameters; that optimizer's other ones back to
    their defaults), learning rate, steps, tolerance and start points (random ones coloured
    by basin), a constant schedule and no comparison, since the recommended rate is chosen
    for one optimizer at a constant rate. The coordinates stay as the person chose them.
    A preset without recommended settings leaves ``state`` as it is."""
    from ..core.presets import PRESETS

    rec = PRESETS[preset].recommended
    if rec is None:
        return state
    hyper = {k: dict(v) for k, v in state.settings.hyper.items() if k != rec.optimizer}
    if rec.hyper:
        hyper[rec.optimizer] = {k: float(v) for k, v in rec.hyper}
    settings = replace(state.settings, optimizer=rec.optimizer, lr=float(rec.lr), hyper=hyper,
                       schedule=Schedule(), max_steps=int(rec.steps), tol=float(rec.tol),
                       compare_optimizers=(), compare_lrs=())
    if rec.random_starts and not rec.starts:
        starts = Starts((), rec.sampler, int(rec.random_starts), rec.seed)
    else:
        starts = Starts(_points_tuple(rec.start_points(domain)))
    return replace(state, settings=settings, starts=starts, basin_mode=bool(rec.random_starts))


def _runs_key(s: Settings):
    return (s.optimizer, s.lr, s.compare_optimizers, s.compare_lrs, s.compare_coordinates, s.coordinates, s.gradient)


def _check_finite(pts) -> None:
    if not np.all(np.isfinite(np.asarray(pts, float))):
        raise ValueError("a start point needs finite x and y")


def _spec_dict(spec: ModelSpec) -> dict:
    return {f.name: (list(getattr(spec, f.name)) if f.name == "pair" else getattr(spec, f.name))
            for f in fields(ModelSpec)}


def build_view(spec: ProblemSpec, domain=None) -> ProblemView:
    """The problem view of a document's problem."""
    if isinstance(spec, FunctionSpec):
        return function_view(spec.text, domain)
    return model_view(spec, domain)


__all__ = [
    "Session", "SessionState", "FunctionSpec", "ModelSpec", "Settings", "Starts", "ViewSettings", "RunSpec",
    "Command", "CriticalAnalysis", "CriticalPoint", "analyse_runs", "build_view", "MAX_RUNS", "with_recommended",
]
"""The window's document is an :class:`~gdstudio.app.session.Session`; the controller is the
runtime that descends and draws. :class:`SessionLink` joins them:

* the window's edits (typing a function, a preset (with its recommended settings), the domain, optimizer settings, adding,
  dragging, drawing or clearing starts) go to the session as intents, so each is one undo
  step and part of what a session file saves;
* the session's changes, whichever way they came (an edit, Undo, Redo, File → Open, New),
  go to the controller and to the panels that show them.

Typed functions compile on a background job (``sig_busy``): a slow compile never blocks the
window, the last valid surface stays, and a newer edit supersedes an older one.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..app.problem_views import ModelSpec, function_view
from ..app.session import FunctionSpec, Session, SessionState
from ..core.optimizers import OPTIMIZERS
from ..app.function_text import check_syntax
from .model_views import shown_of, view_of

DEFAULT_PRESET = "himmelblau"
DEFAULT_TEXT = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"
DEFAULT_DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))
#: settings of the document (undo steps, saved); everything else (the speed) is the window's
DOCUMENT_SETTINGS = {"optimizer", "lr", "hyper", "schedule", "max_steps", "tol", "compare_optimizers",
                     "compare_lrs", "compare_coordinates", "coordinates", "gradient"}


class SessionLink(QObject):
    #: a typed function is being compiled in the background (True) or that ended (False)
    sig_busy = Signal(bool)

    def __init__(self, session: Session, controller, editor, jobs, message: Callable, parent=None):
        super().__init__(parent)
        self.session = session
        self.c = controller
        self.editor = editor
        self.jobs = jobs
        self.message = message
        self._compile = None  # the compile job in flight
        self._gen = 0
        self._grid = None  # (view, GridData) computed with the view in the compile job
        self._drag: Optional[int] = None
        #: shows a model view in the window (ModelFeatures.present); True when it did
        self.present_model: Optional[Callable] = None
        session.sig_problem_changed.connect(self._problem_changed)
        session.sig_settings_changed.connect(self._settings_changed)
        session.sig_starts_changed.connect(self._starts_changed)

    # -- the session -> the controller and the panels ----------------------------------------
    def show_document(self) -> None:
        """Send the whole document to the controller and the panels (a new window)."""
        self._problem_changed(self.session.view)
        self._settings_changed(self.session.settings)

    def _problem_changed(self, view) -> None:
        grid = self._grid[1] if self._grid is not None and self._grid[0] is view else None
        self._grid = None
        spec = self.session.problem
        if isinstance(spec, ModelSpec) and self.present_model is not None:
            # a model (chosen in the panel, or back by undo, redo or File → Open): the model
            # features show it (data view, overlays, notes) and put it in the controller
            if self.present_model(shown_of(view, spec, grid)):
                self._sync_starts(force=True)
            return
        if isinstance(spec, FunctionSpec):
            preset = spec.preset
            shown = view.description.split(": ", 1)[1] if preset and ": " in view.description else spec.text
            self.editor.set_text(shown, preset)
            self.editor.show_error(None)  # before the window's own note on the new surface
        self.c.set_objective(view.objective, view.domain, view.title, grid=grid)
        self._sync_starts(force=True)

    def _settings_changed(self, s) -> None:
        self.c.update_settings(optimizer=s.optimizer, lr=float(s.lr), hyper={o: s.hyper_for(o) for o in OPTIMIZERS},
                               schedule=s.schedule, max_steps=int(s.max_steps), tol=float(s.tol),
                               compare_optimizers=tuple(s.compare_optimizers), compare_lrs=tuple(s.compare_lrs),
                               compare_coordinates=tuple(s.compare_coordinates),
                               coordinates=s.coordinates, gradient=s.gradient)

    def _starts_changed(self, _P) -> None:
        self._sync_starts()

    def _sync_starts(self, force: bool = False) -> None:
        """Give the controller the session's start points, the cheapest way: one added start
        or one dragged start is computed at once; anything else resets the runs."""
        P = self.session.starts
        old = self.c.starts
        basins = self.session.basin_mode
        if not force and P.shape == old.shape and np.array_equal(P, old) and basins == self.c.basin_mode:
            return
        if self._drag is not None and P.shape == old.shape and 0 <= self._drag < P.shape[0]:
            i = self._drag
            others = np.delete(P, i, axis=0), np.delete(old, i, axis=0)
            if np.array_equal(*others):
                self.c.drag_start(i, float(P[i, 0]), float(P[i, 1]))
                return
        if (P.shape[0] == old.shape[0] + 1 and np.array_equal(P[:-1], old) and not basins
                and not self.c.basin_mode):
            self.c.add_start(float(P[-1, 0]), float(P[-1, 1]))
            return
        if force and P.shape == old.shape and np.array_equal(P, old) and basins == self.c.basin_mode:
            return
        if P.shape[0] == 0:
            self.c.clear_starts()
            return
        self.c.set_starts(P, basins=basins)

    # -- the window -> the session ----------------------------------------------------------
    def function(self, text: str, domain=None) -> None:
        """Compile ``text`` (a preset name or a function) on a job; when it is ready it
        becomes the session's problem (one undo step)."""
        self._gen += 1
        gen = self._gen
        if self._compile is not None:
            self._compile.cancel()  # sympy cannot stop mid-way: its result is dropped
        keep = domain if domain is not None else (None if _is_preset(text) else self.session.domain)
        try:  # a typing mistake shows at once: parsing is quick, differentiating may not be
            check_syntax(text)
        except ValueError as err:
            self._compile = None
            self.sig_busy.emit(False)
            self.editor.show_error(err)
            return

        def work(job):
            view = function_view(text, keep)
            job.check()
            return view, view.grid()

        def done(out):
            if gen != self._gen:
                return
            self._compile = None
            self.sig_busy.emit(False)
            view, grid = out
            self._grid = (view, grid)
            self.editor.show_error(None)
            if _is_preset(text):  # a preset arrives with its recommended settings (one undo step)
                self.session.set_preset(text, keep, view=view)
            else:
                self.session.set_function(text, keep, view=view)

        def failed(_msg, err):
            if gen != self._gen:
                return
            self._compile = None
            self.sig_busy.emit(False)
            self.editor.show_error(err)

        self._compile = self.jobs.start(work, done, failed, name="gdstudio-compile")
        self.sig_busy.emit(True)

    def model(self, shown) -> None:
        """A model built by the panels (``shown.spec`` says what it is) becomes the session's
        problem: one undo step, saved in session files."""
        view = view_of(shown)
        self._grid = (view, shown.grid)
        try:
            self.session.set_model(shown.spec, view=view)
        except ValueError as err:
            self._grid = None
            self.message(str(err), "error")

    def settings(self, changes: dict) -> None:
        doc = {k: v for k, v in changes.items() if k in DOCUMENT_SETTINGS}
        rest = {k: v for k, v in changes.items() if k not in DOCUMENT_SETTINGS}
        if rest:
            self.c.update_settings(**rest)
            if "speed" in rest:  # a view setting: saved with the session, not an undo step
                self.session.set_view(speed=rest["speed"])
        if doc:
            try:
                self.session.update_settings(_label(doc), **doc)
            except ValueError as err:
                self.message(str(err), "error")
                self._settings_changed(self.session.settings)  # the panels show what applies

    def add_start(self, x: float, y: float) -> None:
        try:
            self.session.add_start(x, y)
        except ValueError as err:
            self.message(str(err), "error")

    def move_start(self, i: int, x: float, y: float) -> None:
        """A typed start (the start list, the runs table): one undo step."""
        try:
            self.session.move_start(int(i), float(x), float(y))
        except (ValueError, IndexError) as err:
            self.message(str(err), "error")

    def remove_starts(self, indices) -> None:
        """Remove starts (highest index first), together one undo step."""
        self.session.begin_gesture("Remove start" if len(indices) == 1 else "Remove starts")
        try:
            for i in sorted(set(int(i) for i in indices), reverse=True):
                self.session.remove_start(i)
        except (ValueError, IndexError) as err:
            self.message(str(err), "error")
        finally:
            self.session.end_gesture()

    def drag(self, i: int, x: float, y: float) -> None:
        if self._drag != i:
            self.session.end_gesture()
            self.session.begin_drag(i)
            self._drag = i
        self.session.drag(i, x, y)

    def end_drag(self, i: int, x: float, y: float) -> None:
        if self._drag != i:
            self.drag(i, x, y)
        self.session.move_start(i, x, y)
        self.session.end_drag()
        self._drag = None
        self.c.finish_drag(i, x, y)

    def random_starts(self, n: int, sampler: str, seed) -> None:
        try:
            self.session.random_starts(n, sampler, seed)
        except ValueError as err:
            self.message(str(err), "error")
            return
        self.c.run()

    def clear_starts(self) -> None:
        self.session.clear_starts()

    @property
    def compiling(self) -> bool:
        return self._compile is not None


def _is_preset(text: str) -> bool:
    from ..core.presets import PRESETS

    return str(text).strip() in PRESETS


def _label(changes: dict) -> str:
    names = {"optimizer": "Optimizer", "lr": "Learning rate", "hyper": "Hyper-parameters", "schedule": "Schedule",
             "max_steps": "Step limit", "tol": "Tolerance", "compare_optimizers": "Compare",
             "compare_lrs": "Compare", "compare_coordinates": "Compare", "coordinates": "Coordinates",
             "gradient": "Coordinates"}
    if set(changes) <= {"coordinates", "gradient"}:
        return "Coordinates"
    return names.get(next(iter(changes)), "Settings") if len(changes) == 1 else "Settings"


def first_session(function=None, recommended: bool = False) -> tuple[Session, Optional[ValueError]]:
    """The document a window opens on: ``function`` (a preset name or an expression), else
    the default preset. Text that does not compile gives the default and its error (the
    window shows it in the editor). ``recommended``: a preset arrives with its recommended
    settings, as when it is chosen in the window (``gdstudio PRESET`` opens it so)."""
    from .panels.editor_panel import _presets

    text, domain = function, None
    if text is None:
        text, domain = (DEFAULT_PRESET, None) if DEFAULT_PRESET in _presets() else (DEFAULT_TEXT, DEFAULT_DOMAIN)
    try:
        state = SessionState(problem=FunctionSpec(str(text).strip()), domain=domain)
        if recommended and function is not None and state.problem.preset is not None:
            from ..app.session import with_recommended
            from ..core.presets import PRESETS

            preset = state.problem.preset
            state = with_recommended(state, preset, domain if domain is not None else PRESETS[preset].domain)
        return Session(state), None
    except ValueError as err:
        return Session(SessionState(problem=FunctionSpec(DEFAULT_PRESET))), err

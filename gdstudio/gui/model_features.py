"""Models fitted to data, in the window: the coordinator of the model widgets.

:class:`ModelFeatures` owns the model widgets, which the :class:`~.main_window.MainWindow`
docks itself:

* ``panel`` -- the **Data & model** panel (:mod:`.panels.model_panel`, with the network's
  :mod:`.panels.landscape_panel` inside): a line fit on the Ames housing data, a model you
  type on your CSV, or a neural network; the map then shows the cost J over the model's
  parameters and descent runs on it through the controller as for a typed function;
* ``data_view`` -- the **Data** view (:mod:`.views.data_view`): the data and the selected
  run's current fit, live;
* ``bruteforce`` -- **Brute force vs gradient** (:mod:`.panels.bruteforce_panel`);
* overlays on the contour map and the 3D view: the least-squares solution (◆), the best
  grid point (✕) and a network's projected training path.

It is given what it needs (the controller, the window's job pool, the two maps, the editor and
a message function) and reaches into nothing else. Slow work (building models, their cost
grids, full training, landscapes, grid searches) runs on the window's
:class:`~gdstudio.worker.jobs.JobPool`.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal

from ..worker.jobs import JobPool
from .model_views import Shown
from .panels.bruteforce_panel import BruteForcePanel
from .panels.landscape_panel import LandscapePanel
from .panels.model_panel import ModelPanel
from .views.data_view import DataView
from .views.points_item import Scatter

__all__ = ["ModelFeatures", "csv_of"]

CF_COLOR = (255, 205, 40)
PATH_COLOR = (255, 150, 40)
GRID_COLOR = (90, 230, 255)


def csv_of(mime) -> Optional[str]:
    """The first local .csv (.txt, .tsv) file among dropped ``mime`` data, or None."""
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith((".csv", ".txt", ".tsv")):
            return url.toLocalFile()
    return None


class ModelFeatures(QObject):
    #: a model's cost surface is on the maps now (the window brings its Data view forward)
    sig_model_shown = Signal()

    def __init__(self, controller, jobs: JobPool, contour, surface, editor, message: Callable, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.jobs = jobs
        self.contour = contour
        self.surface = surface
        self.editor = editor
        self._message = message
        self.shown: Optional[Shown] = None
        self._applied = None
        self._gen = 0
        self._pending = None
        self._mapping = None
        #: where model choices go as intents (the window's SessionLink); None: straight to
        #: the controller
        self.document = None
        #: where landscapes are computed (the window's app.compute.SharedExecutor, set by the
        #: Preferences); None: in this process
        self.compute = None

        self.data_view = DataView()
        self.panel = ModelPanel(self, LandscapePanel(self))  # the network part, composed here
        self.bruteforce = BruteForcePanel(self)
        self._overlays()

        c = self.controller
        c.sig_problem_changed.connect(self._problem_changed)
        c.sig_frame.connect(self._frame)
        # the learning-rate warning follows every settings change, from a panel or from code
        c.sig_settings_changed.connect(lambda _s: self.panel.update_lr_warning())
        self.bruteforce.compute_sweep()

    # -- overlays ---------------------------------------------------------------------------
    def _overlays(self) -> None:
        pi = self.contour.getPlotItem()
        # Scatter: empty for a typed function (most of the time), and then no part of a repaint
        self.cf_marker = Scatter(symbol="d", size=17, brush=pg.mkBrush(*CF_COLOR),
                                            pen=pg.mkPen((0, 0, 0), width=1.5), pxMode=True)
        self.cf_marker.setZValue(16)
        # up and to the right, clear of the diamond and of the best-minimum star (24 px) that
        # lands on the same point once a run converges
        self.cf_text = pg.TextItem("least squares", color=CF_COLOR, anchor=(-0.2, 1.45))
        self.cf_text.setZValue(16)
        self.path_item = pg.PlotDataItem(pen=pg.mkPen(PATH_COLOR, width=2.2, style=Qt.PenStyle.DashLine))
        self.path_item.setZValue(3)
        self.path_start = Scatter(symbol="o", size=9, brush=pg.mkBrush(*PATH_COLOR), pen=None)
        self.path_start.setZValue(3)
        self.grid_best = Scatter(symbol="x", size=15, brush=pg.mkBrush(*GRID_COLOR),
                                            pen=pg.mkPen(*GRID_COLOR, width=2), pxMode=True)
        self.grid_best.setZValue(16)
        for it in (self.cf_marker, self.cf_text, self.path_item, self.path_start, self.grid_best):
            pi.addItem(it)
        self.cf_text.hide()
        self._gl = {}
        view = getattr(self.surface, "gl_view", None)  # the null view (no OpenGL) has none
        if view is None:
            return
        try:
            import pyqtgraph.opengl as gl

            opts = "additive"
            try:
                from .surface.style import GL_OVERLAY

                opts = GL_OVERLAY
            except ImportError:
                pass
            self._gl["cf"] = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=16, pxMode=True,
                                                  color=(1.0, 0.8, 0.15, 1.0), glOptions=opts)
            self._gl["grid"] = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=12, pxMode=True,
                                                    color=(0.35, 0.9, 1.0, 1.0), glOptions=opts)
            self._gl["path"] = gl.GLLinePlotItem(pos=np.zeros((0, 3)), width=2.5, mode="line_strip",
                                                 color=(1.0, 0.6, 0.15, 1.0), glOptions=opts)
            for it in self._gl.values():
                it.setVisible(False)
                view.addItem(it)
        except Exception:  # no OpenGL: the 2-D overlays still work
            self._gl = {}

    def _update_overlays(self) -> None:
        sh = self.shown
        cf = None if sh is None else sh.closed_form
        if cf is not None:
            self.cf_marker.setData([cf[0]], [cf[1]])
            self.cf_text.setPos(float(cf[0]), float(cf[1]))
            self.cf_text.show()
        else:
            self.cf_marker.setData([], [])
            self.cf_text.hide()
        path = None if sh is None else sh.path
        if path is not None:
            self.path_item.setData(path[:, 0], path[:, 1])
            self.path_start.setData([path[0, 0]], [path[0, 1]])
        else:
            self.path_item.setData([], [])
            self.path_start.setData([], [])
        self.grid_best.setData([], [])
        self._grid_point = None
        self._update_3d()

    def _update_3d(self) -> None:
        if not self._gl:
            return
        surf = self.surface
        m = getattr(surf, "mapping", None)
        self._mapping = m
        sh = self.shown
        if m is None or sh is None:
            for it in self._gl.values():
                it.setVisible(False)
            return
        obj = self.controller.problem.objective if self.controller.problem is not None else None
        lift = 0.03 * getattr(m, "height", 1.0)

        def put(key, P3):
            it = self._gl[key]
            if P3 is None or len(P3) == 0:
                it.setVisible(False)
                return
            V = m.to_visual(np.asarray(P3, float))
            V[:, 2] += lift
            it.setData(pos=np.ascontiguousarray(V, np.float32))
            it.setVisible(True)

        with np.errstate(all="ignore"):
            cf = sh.closed_form
            put("cf", None if cf is None or obj is None else
                np.array([[cf[0], cf[1], float(np.asarray(obj.value(np.asarray(cf, float)[None]))[0])]]))
            gp = getattr(self, "_grid_point", None)
            put("grid", None if gp is None or obj is None else
                np.array([[gp[0], gp[1], float(np.asarray(obj.value(np.asarray(gp, float)[None]))[0])]]))
            put("path", sh.path)

    def mark_grid_best(self, p) -> None:
        """The best point of a grid search (✕ on the map and in 3D)."""
        self._grid_point = np.asarray(p, float)
        self.grid_best.setData([p[0]], [p[1]])
        self._update_3d()

    # -- requests -----------------------------------------------------------------------------
    def request(self, build, on_result, on_failed, label: str = "") -> None:
        """Run ``build(job) -> Shown`` in the background; only the latest request's result
        is shown (earlier ones are cancelled)."""
        self._gen += 1
        gen = self._gen
        if self._pending is not None:
            self._pending.cancel()

        def done(shown):
            if gen == self._gen:
                self._pending = None
                on_result(shown)

        def failed(msg, err):
            if gen == self._gen:
                self._pending = None
                on_failed(msg, err)

        self._pending = self.jobs.start(build, done, failed, name=f"gdstudio-model-{label or 'build'}")

    def busy(self) -> bool:
        return self.jobs.busy

    def show(self, shown: Shown) -> None:
        """Put a model problem in the window (the panels call this when one is built). With
        a document (the window's session link) the model becomes the session's problem, one
        undo step and what a session file saves; the link then has it presented."""
        if self.document is not None and shown.spec is not None:
            self.document.model(shown)
            return
        self.present(shown)
        self.controller.set_starts(np.asarray(shown.starts, float).reshape(-1, 2))

    def apply_settings(self, **changes) -> None:
        """Change run settings from a model panel (e.g. the stable learning rate): through the
        document when there is one, so it is an undo step and saved."""
        if self.document is not None:
            self.document.settings(changes)
        else:
            self.controller.update_settings(**changes)

    def present(self, shown: Shown) -> bool:
        """Show ``shown`` now: its cost surface in both views, its data in the data view, its
        overlays and the panel's notes. False (after one sentence) when the controller refused
        it."""
        c = self.controller
        self._applied = shown.objective
        self.shown = shown
        try:
            c.set_objective(shown.objective, shown.domain, shown.title or shown.description, grid=shown.grid)
        except ValueError as err:
            self.message(str(err), "error")
            return False
        if len(shown.axis_labels) == 2:
            pi = self.contour.getPlotItem()
            pi.setLabel("bottom", shown.axis_labels[0])
            pi.setLabel("left", shown.axis_labels[1])
        self.data_view.set_shown(shown)
        self.panel.describe(shown)
        self.sig_model_shown.emit()
        self._update_overlays()
        self._frame(None)
        return True

    def show_function(self) -> None:
        """Back to the typed function of the editor."""
        self._gen += 1
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self.editor.apply_now()

    def _problem_changed(self, problem) -> None:
        if problem.objective is self._applied:
            return
        # the window shows something else now (a typed function or preset): a model still
        # being built must not replace it when it arrives
        self._gen += 1
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._applied = None
        self.shown = None
        self.data_view.clear_model()
        self.panel.clear_model()
        self._update_overlays()

    def showing(self, problem) -> bool:
        """True when ``problem`` (the controller's) is the model put in by this coordinator."""
        return problem is not None and self._applied is not None and problem.objective is self._applied

    # -- live ------------------------------------------------------------------------------------
    def selected_point(self):
        c = self.controller
        st = c.store
        r = c.selected if 0 <= c.selected < st.n else (0 if st.n else -1)
        if r < 0:
            return None
        return np.asarray(st.pos[r], float).copy()

    def current_theta(self):
        """The model's full parameter vector at the selected run's current point."""
        sh = self.shown
        p = self.selected_point()
        if sh is None or p is None or not np.all(np.isfinite(p)):
            return None
        return sh.theta(p)

    def controller_value(self):
        c = self.controller
        st = c.store
        r = c.selected if 0 <= c.selected < st.n else (0 if st.n else -1)
        return None if r < 0 else float(st.val[r])

    def _frame(self, frame) -> None:
        self.bruteforce.update_gd()  # any 2-D problem, typed functions too
        if self.shown is None:
            return
        if frame is not None and frame.n_runs:
            r = frame.selected if 0 <= frame.selected < frame.n_runs else 0
            p = frame.positions[r]
        else:
            p = self.selected_point()
        self.data_view.show_point(p)
        self.panel.update_live(p)
        if self._gl and getattr(self.surface, "mapping", None) is not self._mapping:
            self._update_3d()

    def message(self, text: str, level: str = "info") -> None:
        self._message(text, level)

    # -- closing --------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 500) -> bool:
        self.panel.network.shutdown()
        return self.jobs.shutdown(timeout_ms)

"""The studio window: composition only. It builds every view, panel, dock, menu and action
itself and wires them to the controller (:mod:`.controller`) and the model coordinator
(:mod:`.model_features`); each panel and view lives in its own module.

Automation hooks (objectNames, kept stable): ``functionEdit``, ``presetCombo``,
``optimizerCombo``, ``learningRateEdit``, ``stepsEdit``, ``randomStartsCount``,
``runButton``, ``pauseButton``, ``stepButton``, ``resetButton``, ``randomStartsButton``,
``surfaceView``, ``contourView``, ``lossPlot``, ``runsTable``; docks ``setupDock``,
``modelDock``, ``dataDock``, ``bruteForceDock``, ``sweepDock``; actions ``actionOpenData``,
``actionExportTrajectories``, ``actionExportSelected``, ``actionExportImage``,
``actionResetLayout``, ``actionPreferences``, ``actionAbout``, ``actionRunPause``, ``actionStep``, ``actionReset``.
Public methods: ``export_trajectories(path, runs=None)``, ``export_in_background(path, runs=None)``,
``export_image(path)``, ``open_data(path)``, ``show_about()``, ``add_panel(widget, title)``,
``reset_layout()``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Optional

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QDockWidget, QHBoxLayout, QLabel,
                               QLineEdit, QMainWindow, QMessageBox, QPushButton, QScrollArea, QSplitter,
                               QTextEdit, QVBoxLayout, QWidget)

from ..worker.jobs import JobPool
from .controller import StudioController
from .dialogs import about_box, settings_store
from .divergence import DivergenceNotice
from .frame_link import FrameLink
from .internals_feed import InternalsFeed
from .internals_views import InternalsViews
from .lessons_dock import Lessons
from ..app.compute import SharedExecutor
from .export_actions import Exports
from .session_actions import SessionFiles
from .session_link import SessionLink, first_session
from .view_settings_link import ViewSettingsLink
from .model_features import ModelFeatures, csv_of
from .panels.editor_panel import EditorPanel
from .panels.params_panel import ComparePanel, ParamsPanel, StartsPanel
from .panels.coordinates_box import CoordinatesBox
from .panels.start_list import StartList
from .panels.sweep_panel import SweepPanel, run_cell, studio_context
from .preferences import PreferencesDialog, load_compute_target
from .surface import make_surface_view
from .surface.feed import SurfaceFeed
from .tooltips import apply_tooltips
from .window_fit import available_width, clamp_to_screen, fit_to_screen, same_kind_of_screen, share_views
from .views.contour_view import ContourView
from .views.curves_view import CurvesView
from .views.inspector import Inspector
from .views.runs_table import RunsTable

#: QSettings keys of the remembered window geometry and dock layout (bump the version when the
#: set of docks changes, so an old layout is not restored onto a new window)
LAYOUT_VERSION = 3
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
#: the available width of the screen the layout was saved on
SCREEN_KEY = "window/screen_width"
DOCK_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                 | QDockWidget.DockWidgetFeature.DockWidgetClosable)


class MainWindow(QMainWindow):
    """``MainWindow(function=None, restore_layout=False)``: ``function`` is a preset name or
    an expression; ``restore_layout`` brings back the geometry and dock layout the window had
    when it was last closed (the application does; tests start from the default layout)."""

    def __init__(self, controller: Optional[StudioController] = None, function: Optional[str] = None,
                 restore_layout: bool = False, recommended: bool = False):
        super().__init__()
        self.setWindowTitle("Gradient Descent Studio")
        self.jobs = JobPool(self)  # every background job of the window (worker/jobs.py)
        self.c = controller or StudioController(self)
        c = self.c
        self.view_menu = None
        # -- views
        self.surface, self.surface_error = make_surface_view()
        self.surface.setObjectName("surfaceView")
        self.surface_feed = SurfaceFeed(self.surface)
        self.contour = ContourView()
        self.curves = CurvesView()
        self.table = RunsTable(c)
        self.inspector = Inspector()
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.surface)
        top.addWidget(self.contour)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.curves)
        bottom.addWidget(self.table)
        bottom.addWidget(self.inspector)
        bottom.setSizes([540, 600, 240])
        self.views = QSplitter(Qt.Orientation.Vertical)
        self.views.addWidget(top)
        self.views.addWidget(bottom)
        self.views.setSizes([620, 330])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.setSpacing(4)
        lay.addLayout(self._controls_row())
        lay.addWidget(self.views, 1)
        self.setCentralWidget(central)
        # -- panels
        self.editor = EditorPanel()
        self.params = ParamsPanel(c.settings)
        self.starts_panel = StartsPanel()
        self.start_list = StartList()
        self.coordinates = CoordinatesBox()
        self.compare = ComparePanel()
        self._status_bar()
        self.exports = Exports(self, c, self.jobs, self.views, self.show_message, self.cancel_export)
        # the "Data & model" panels: line fit on housing data, your model, networks, brute force
        self.models = ModelFeatures(c, self.jobs, self.contour, self.surface, self.editor, self.show_message, self)
        # where landscapes and sweeps are computed (Edit → Preferences…): in this process, or
        # one cluster kept for the window's life
        self.compute = SharedExecutor(load_compute_target())
        self.models.compute = self.compute
        # the convergence map over two settings (docs/sweep.md), computed on the window's jobs
        self.sweep = SweepPanel(lambda: studio_context(c), self.jobs, compute=self.compute)
        # the document: an app.Session; the link sends edits to it and its changes to the controller
        self.session, self._first_error = first_session(function, recommended)
        self.link = SessionLink(self.session, c, self.editor, self.jobs, self.show_message, self)
        self.models.document = self.link  # model choices are edits of the document
        self.link.present_model = self.models.present
        self.files = SessionFiles(self, self.session, self.show_message)
        self.view_link = ViewSettingsLink(self.session, self.surface, self.params, c, self)
        self.files.before_save = self.view_link.capture
        # inside the optimizer, drawn on the map and on the surface
        self.internals = InternalsFeed(c, InternalsViews(self.contour, self.surface), self.inspector, self.jobs)
        self.divergence = DivergenceNotice(c, self.link, self.state_label, self.statusBar(), self.show_message, self)
        # the runtime's output -> the views, the inspector, the run buttons and the status bar
        views = SimpleNamespace(contour=self.contour, surface=self.surface, surface_feed=self.surface_feed,
                                curves=self.curves, table=self.table, inspector=self.inspector,
                                internals=self.internals)
        status = SimpleNamespace(buttons=self.buttons, stat_labels=self.stat_labels, divergence=self.divergence,
                                 show_message=self.show_message)
        self.frame_link = FrameLink(c, views, self.editor, self.models, status, self)
        self._docks()
        self._menus()
        self._wire()
        fit_to_screen(self)
        self._default_layout = self.saveState(LAYOUT_VERSION)
        if restore_layout:
            self._restore_layout()
        self._start()
        apply_tooltips(self)

    # -- composition ---------------------------------------------------------------------
    def _controls_row(self):
        row = QHBoxLayout()
        self.buttons = {}
        for name, text, tip in (("run", "▶  Run", "Run or resume (Space)"), ("pause", "Pause", "Pause (Space)"),
                                ("step", "Step ›", "One step (Right arrow)"), ("reset", "⟲  Reset", "Back to the starts (R)")):
            b = QPushButton(text)
            b.setObjectName(f"{name}Button")
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(b)
            self.buttons[name] = b
        self.state_label = QLabel()
        self.state_label.setObjectName("stateLabel")
        # room for the longest state, so a change of state never re-lays out the window
        self.state_label.setMinimumWidth(self.state_label.fontMetrics().horizontalAdvance("finished (paused)") + 8)
        row.addSpacing(12)
        row.addWidget(self.state_label)
        row.addStretch(1)
        hint = QLabel("Space run/pause · → step · R reset")
        hint.setStyleSheet("color: #9a9aa3;")
        hint.setToolTip("Space runs or pauses, the Right arrow takes one step, R resets (while a view has "
                        "the keyboard: Enter or Escape in a field gives it back). Click the contour map "
                        "to add a start point (the first click only gives the map the keyboard when "
                        "another control had it); drag a start point to move it.")
        row.addWidget(hint)
        return row

    def _status_bar(self):
        sb = self.statusBar()
        self.stat_labels = {}
        for key, width in (("step", 110), ("best", 330), ("rate", 130), ("memory", 150)):
            lab = QLabel()
            lab.setObjectName(f"status_{key}")
            lab.setFixedWidth(width)  # text changes 30 times a second: no re-layout
            sb.addPermanentWidget(lab)
            self.stat_labels[key] = lab
        self.message = QLabel()
        self.message.setObjectName("statusMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # messages quote file and column names
        sb.addWidget(self.message, 1)
        self.cancel_export = QPushButton("Cancel export")
        self.cancel_export.setObjectName("cancelExportButton")
        sb.addWidget(self.cancel_export)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self.message.setText(""))

    def _docks(self):
        """Every dock of the window, in one place: Setup and Data & model as tabs on the left,
        Data, Brute force and Sweep as tabs on the right. A new dock is added here (and appears in
        the View menu by itself)."""
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(4, 4, 4, 4)
        for w in (self.editor, self.params, self.coordinates, self.starts_panel, self.start_list, self.compare):
            sl.addWidget(w)
        sl.addStretch(1)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.panel_dock = self.add_panel(self._scroll(side, "setupScroll"), "Setup", left, "setupDock")
        m = self.models
        self.model_dock = self.add_panel(self._scroll(m.panel, "modelPanelScroll"), "Data && model", left, "modelDock")
        self.data_dock = self.add_panel(m.data_view, "Data", right, "dataDock")
        self.brute_dock = self.add_panel(m.bruteforce, "Brute force vs gradient", right, "bruteForceDock")
        self.tabifyDockWidget(self.panel_dock, self.model_dock)
        self.panel_dock.raise_()
        sweep = self._scroll(self.sweep, "sweepScroll")
        sweep.setMinimumWidth(0)  # a tab beside Brute force: it must not widen the right side
        self.sweep_dock = self.add_panel(sweep, "Sweep", right, "sweepDock")
        self.tabifyDockWidget(self.data_dock, self.brute_dock)
        self.tabifyDockWidget(self.brute_dock, self.sweep_dock)
        self.brute_dock.raise_()  # a typed function has no data: the comparison is what applies
        self.resizeDocks([self.data_dock], [360], Qt.Orientation.Horizontal)
        self.lessons = Lessons(self)  # the lesson narrative (lessonDock), shown when a lesson opens

    @staticmethod
    def _scroll(widget: QWidget, name: str) -> QScrollArea:
        scroll = QScrollArea()
        scroll.setObjectName(name)
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(330)
        return scroll

    def _action(self, menu, text, slot, name, shortcut=None) -> QAction:
        a = QAction(text, self)
        a.setObjectName(name)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(lambda _checked=False: slot())
        menu.addAction(a)
        return a

    def _menus(self):
        mb = self.menuBar()
        file = mb.addMenu("&File")
        f = self.files
        self.action_new = self._action(file, "New", f.new, "actionNewSession", QKeySequence.StandardKey.New)
        self.action_open = self._action(file, "Open…", f.open_dialog, "actionOpenSession", "Ctrl+O")
        f.recent_menu = file.addMenu("Open recent")
        f.recent_menu.setObjectName("menuOpenRecent")
        f.fill_recent()
        self.action_save = self._action(file, "Save", f.save, "actionSaveSession", "Ctrl+S")
        self.action_save_as = self._action(file, "Save as…", f.save_as, "actionSaveSessionAs", "Ctrl+Shift+S")
        file.addSeparator()
        self.action_open_data = self._action(file, "Open data (CSV)…", self.models.panel.open_dialog,
                                             "actionOpenData", "Ctrl+Shift+O")
        file.addSeparator()
        self.action_export = self._action(file, "Export trajectories…", self.exports.trajectories_dialog,
                                          "actionExportTrajectories", "Ctrl+E")
        self.action_export_selected = self._action(
            file, "Export selected trajectories…",
            lambda: self.exports.trajectories_dialog(self.table.selected_runs(), selected=True),
            "actionExportSelected", "Ctrl+Shift+E")
        images = file.addMenu("Export image")
        images.setObjectName("menuExportImage")
        self._action(images, "Contour map…", lambda: self.exports.image_dialog("map"), "actionExportImageMap")
        self._action(images, "3D view…", lambda: self.exports.image_dialog("surface"), "actionExportImageSurface")
        self.action_image = self._action(images, "All views…", self.exports.image_dialog, "actionExportImage",
                                         "Ctrl+Shift+I")
        self.action_animation = self._action(file, "Export animation…", self.exports.animation_dialog,
                                             "actionExportAnimation", "Ctrl+Shift+A")
        file.addSeparator()
        quit_ = self._action(file, "Quit", self.close, "actionQuit")
        quit_.setShortcut(QKeySequence.StandardKey.Quit)
        edit = mb.addMenu("&Edit")
        self.action_undo = self._action(edit, "Undo", self.session.undo, "actionUndo", "Ctrl+Z")
        self.action_redo = self._action(edit, "Redo", self.session.redo, "actionRedo", "Ctrl+Shift+Z")
        edit.addSeparator()
        self.action_preferences = self._action(edit, "Preferences…", self.show_preferences, "actionPreferences")
        self.action_preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.view_menu = mb.addMenu("&View")
        for dock in self.findChildren(QDockWidget):
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.action_reset_layout = self._action(self.view_menu, "Reset layout", self.reset_layout, "actionResetLayout")
        run = mb.addMenu("&Run")
        self.action_run = self._key_action("Run / pause", Qt.Key.Key_Space, self.c.toggle_run, "actionRunPause")
        self.action_step = self._key_action("Step", Qt.Key.Key_Right, self.c.step, "actionStep")
        self.action_reset = self._key_action("Reset", Qt.Key.Key_R, self.c.reset, "actionReset")
        for a in (self.action_run, self.action_step, self.action_reset):
            run.addAction(a)
        self.lessons.fill_menu(mb.addMenu("&Lessons"))
        help_ = mb.addMenu("&Help")
        self._action(help_, "About Gradient Descent Studio", self.show_about, "actionAbout")

    def _key_action(self, text, key, slot, name) -> QAction:
        """A window-wide shortcut that works when a view has focus but leaves keys to text
        fields (Qt lets a focused QLineEdit claim its keys through ShortcutOverride; the
        check below covers any other text widget)."""
        a = QAction(text, self)
        a.setObjectName(name)
        a.setShortcut(QKeySequence(key))
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.triggered.connect(lambda: None if self._typing() else slot())
        self.addAction(a)
        return a

    @staticmethod
    def _typing() -> bool:
        w = QApplication.focusWidget()
        return isinstance(w, (QLineEdit, QAbstractSpinBox, QTextEdit))

    def keyPressEvent(self, ev):
        """Enter or Escape in a field (a line edit, spin box or combo box lets these keys
        through after applying its value) hands the keyboard back to the views, so Space,
        → and R work at once."""
        if ev.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            w = QApplication.focusWidget()
            if isinstance(w, (QLineEdit, QAbstractSpinBox, QComboBox)) and self.isAncestorOf(w):
                self.contour.setFocus(Qt.FocusReason.ShortcutFocusReason)
                ev.accept()
                return
        super().keyPressEvent(ev)

    def add_panel(self, widget: QWidget, title: str, area=Qt.DockWidgetArea.RightDockWidgetArea,
                  name: Optional[str] = None) -> QDockWidget:
        """Dock ``widget`` (closable; the View menu brings it back)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name or f"dock_{title}")
        dock.setWidget(widget)
        dock.setFeatures(DOCK_FEATURES)
        self.addDockWidget(area, dock)
        if self.view_menu is not None:  # a dock added after the menus were built
            self.view_menu.insertAction(self.view_menu.actions()[-2], dock.toggleViewAction())
        return dock

    # -- layout memory (QSettings) -------------------------------------------------------------
    def _restore_layout(self) -> None:
        st = settings_store()
        if not same_kind_of_screen(st.value(SCREEN_KEY), available_width(self)):
            # a layout saved on a wide screen squeezed the map on a narrow one (its right-hand
            # docks took the room the narrow layout gives the views): keep this screen's
            return
        geo, state = st.value(GEOMETRY_KEY), st.value(STATE_KEY)
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, LAYOUT_VERSION)  # a layout of another version is ignored

    def _save_layout(self) -> None:
        st = settings_store()
        st.setValue(GEOMETRY_KEY, self.saveGeometry())
        st.setValue(STATE_KEY, self.saveState(LAYOUT_VERSION))
        st.setValue(SCREEN_KEY, available_width(self))
        st.sync()

    def reset_layout(self) -> None:
        """Every dock back where it was when the window first opened, and shown."""
        self.restoreState(self._default_layout, LAYOUT_VERSION)
        for dock in self.findChildren(QDockWidget):
            dock.show()
        self.panel_dock.raise_()
        self.brute_dock.raise_()

    # -- wiring ------------------------------------------------------------------------------
    def _wire(self):
        c = self.c
        b = self.buttons
        b["run"].clicked.connect(c.run)
        b["pause"].clicked.connect(c.pause)
        b["step"].clicked.connect(lambda: c.step())
        b["reset"].clicked.connect(c.reset)
        link = self.link  # edits of the document go to the session (undo steps, saved)
        self.editor.sig_function_changed.connect(link.function)
        self.editor.sig_function_mode.connect(self._back_to_function)
        c.sig_expression_error.connect(self.editor.show_error)
        link.sig_busy.connect(self.editor.busy.setVisible)
        self.params.sig_settings.connect(link.settings)
        self.compare.sig_settings.connect(link.settings)
        self.starts_panel.sig_random_starts.connect(link.random_starts)
        self.starts_panel.sig_clear.connect(link.clear_starts)
        sl = self.start_list  # typed starts: each edit an undo step
        sl.sig_move.connect(link.move_start)
        sl.sig_add.connect(link.add_start)
        sl.sig_remove.connect(link.remove_starts)
        sl.sig_error.connect(lambda text: self.show_message(text, "error"))
        self.session.sig_starts_changed.connect(sl.set_points)
        self.table.model_.on_start_edited = link.move_start
        self.table.model_.on_error = lambda text: self.show_message(text, "error")
        self.coordinates.sig_settings.connect(link.settings)
        self.session.sig_settings_changed.connect(
            lambda st: self.compare.show_settings(st.compare_optimizers, st.compare_lrs))
        self.session.sig_starts_changed.connect(lambda _P: self.starts_panel.show_starts(self.session.state.starts))
        self.contour.sig_clicked.connect(link.add_start)
        self.contour.sig_focus_click.connect(lambda: self.show_message(
            "The map has the keyboard now (Space runs, → steps, R resets); click it again to add a start."))
        for view in (self.contour, self.surface):
            view.sig_start_dragged.connect(link.drag)
            view.sig_start_drag_finished.connect(link.end_drag)
        self.frame_link.connect()  # problem, frames, state, stats, selection, hover -> the views
        c.sig_message.connect(self.show_message)
        c.sig_settings_changed.connect(self.params.settings_changed)
        self.models.sig_model_shown.connect(self.data_dock.raise_)
        self.sweep.sig_load_setting.connect(lambda cell: run_cell(link.settings, c, cell, self.show_message))
        self.setAcceptDrops(True)  # a dropped CSV opens as data

    def _start(self):
        self.link.show_document()
        self.start_list.set_points(self.session.starts)
        self.coordinates.follow(self.session)
        self.files.follow(self.action_undo, self.action_redo)  # Edit → Undo / Redo, the title
        if self._first_error is not None:
            self.editor.show_error(self._first_error)
        self.frame_link.state_changed(self.c.state)
        # keys work at once (Space runs); a click in the function field starts typing
        self.setFocusProxy(None)
        self.contour.setFocus(Qt.FocusReason.OtherFocusReason)

    def _back_to_function(self):
        self.models.panel.set_mode("function")

    # -- messages and titles -------------------------------------------------------------
    def show_message(self, text: str, level: str = "info"):
        """Status-bar message (errors in red, kept 10 s); never a modal dialog."""
        self.message.setStyleSheet("color: #ff6b6b;" if level == "error" else "")
        self.message.setText(text)
        self._message_timer.start(10_000 if level == "error" else 5_000)

    def open_lesson(self, name: str) -> bool:
        """Open lesson ``name`` (the Lessons menu): its session, untitled, and its narrative in
        the lesson dock; False after showing why it could not be opened."""
        return self.lessons.open(name)

    def open_session(self, path) -> bool:
        """Open a session file (File → Open…); False after showing why it could not be opened
        (the current session is then untouched)."""
        return self.files.open(path)

    def save_session(self, path=None) -> bool:
        """Save the session (File → Save / Save as…); False after showing why it failed."""
        return self.files.save(path)

    def show_preferences(self) -> PreferencesDialog:
        """The Preferences dialog (non-modal): where landscapes and sweeps are computed."""
        dlg = getattr(self, "_preferences", None)
        if dlg is None or not dlg.isVisible():
            if dlg is not None:  # a closed one: a new dialog shows the current choice
                dlg.setParent(None)
                dlg.deleteLater()
            dlg = PreferencesDialog(self.compute.target, self.compute.set_target, self)
            self._preferences = dlg
        dlg.show()
        dlg.raise_()
        return dlg

    def show_about(self) -> QMessageBox:
        """The About box with the version (non-modal, so tests and automation never block on it)."""
        return about_box(self)

    _shared = False

    def showEvent(self, ev):
        super().showEvent(ev)
        if not self._shared:  # the views share the room once their real sizes are known
            self._shared = True
            QTimer.singleShot(0, lambda: (clamp_to_screen(self), share_views(self)))

    # -- public actions ------------------------------------------------------------------------
    def export_trajectories(self, path, runs=None) -> Optional[int]:
        """Write the CSV (+ JSON sidecar) of ``runs`` (all by default); the row count, or
        None after showing the error in the status bar."""
        return self.exports.trajectories(path, runs)

    def export_in_background(self, path, runs=None):
        """Export on a background job; returns the :class:`~gdstudio.worker.jobs.Job`."""
        return self.exports.in_background(path, runs)

    def export_image(self, path, area: str = "views") -> bool:
        """Save a PNG: "views" (3D, contour map, curves, table), "map" or "surface"."""
        return self.exports.image(path, area)

    def export_animation_dialog(self):
        """File → Export animation…: the dialog (one at a time)."""
        return self.exports.animation_dialog()

    def open_data(self, path) -> None:
        """Open a CSV as data in the "Data & model" panel (File → Open data…, or a drop)."""
        self.model_dock.show()
        self.model_dock.raise_()
        self.models.panel.open_csv(str(path))

    # -- drops and closing -----------------------------------------------------------------------
    def dragEnterEvent(self, ev):  # noqa: N802 (Qt's name)
        if csv_of(ev.mimeData()):
            ev.acceptProposedAction()

    def dragMoveEvent(self, ev):  # noqa: N802
        if csv_of(ev.mimeData()):
            ev.acceptProposedAction()

    def dropEvent(self, ev):  # noqa: N802
        path = csv_of(ev.mimeData())
        if path:
            ev.acceptProposedAction()
            self.open_data(path)

    def closeEvent(self, ev):
        self._save_layout()
        self.exports.cancel_and_clean(3000)
        self.exports.cancel_animation(3000)  # a cancelled export leaves no file behind
        self.models.shutdown()
        self.jobs.close(500)  # a job still running then is cut loose (worker/jobs.py)
        self.compute.close()  # a local cluster's processes end with the window
        self.c.shutdown(3000)
        super().closeEvent(ev)

"""Desktop conventions of the window: docks and the View menu, the remembered layout, the
File menu's data and export actions with their shortcuts, the About box's version."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from gdstudio.gui import MainWindow

from .helpers import make_window

DOCKS = ("setupDock", "modelDock", "dataDock", "bruteForceDock", "sweepDock")


def _action(w, name) -> QAction:
    a = w.findChild(QAction, name)
    assert a is not None, name
    return a


def test_the_view_menu_brings_back_every_closed_dock_and_resets_the_layout(qtbot):
    w = make_window(qtbot)
    areas = {n: w.dockWidgetArea(w.findChild(QDockWidget, n)) for n in DOCKS}  # as first opened
    toggles = {a.text(): a for a in w.view_menu.actions() if not a.isSeparator()}
    for name in DOCKS:
        dock = w.findChild(QDockWidget, name)
        assert dock.toggleViewAction() in toggles.values(), name
        dock.close()
        qtbot.waitUntil(lambda d=dock: not d.isVisible(), timeout=1000)
        dock.toggleViewAction().trigger()  # View → the dock's name
        assert not dock.isHidden(), name
    for name in DOCKS:
        w.findChild(QDockWidget, name).close()
    w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, w.data_dock)  # moved somewhere else
    _action(w, "actionResetLayout").trigger()
    assert all(not w.findChild(QDockWidget, n).isHidden() for n in DOCKS)
    assert {n: w.dockWidgetArea(w.findChild(QDockWidget, n)) for n in DOCKS} == areas


def test_geometry_and_dock_layout_are_remembered_between_launches(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.resize(1280, 640)  # the offscreen screen is small: a size that fits it
    qtbot.waitUntil(lambda: w.height() == 640, timeout=2000)
    size = (w.width(), w.height())
    w.brute_dock.close()
    w.close()
    again = MainWindow(restore_layout=True)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == size
    assert again.brute_dock.isHidden() and not again.data_dock.isHidden()
    fresh = MainWindow()  # without restore_layout (tests): the default layout
    qtbot.addWidget(fresh)
    assert not fresh.brute_dock.isHidden()
    again.reset_layout()
    again.close()


def test_a_layout_saved_on_a_wide_screen_is_not_restored_on_a_narrow_one(qtbot):
    """Saved at 1600 px wide with the Brute force dock on the right, restored at 1280: the
    right-hand dock kept the room the narrow layout gives the views, and the map was cut
    off. A layout from a screen of the other kind is left out; one from the same kind is
    restored (the test above)."""
    from gdstudio.gui.dialogs import settings_store
    from gdstudio.gui.main_window import SCREEN_KEY
    from gdstudio.gui.window_fit import NARROW_SCREEN_PX, available_width

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.brute_dock.close()
    w.close()  # saves the layout, and the width of this (narrow, offscreen) screen
    st = settings_store()
    assert int(st.value(SCREEN_KEY)) == available_width(w) < NARROW_SCREEN_PX
    st.setValue(SCREEN_KEY, 1920)  # as if it had been saved on a wide screen
    again = MainWindow(restore_layout=True)
    qtbot.addWidget(again)
    assert not again.brute_dock.isHidden()  # this screen's default layout
    assert again.dockWidgetArea(again.brute_dock) == again.dockWidgetArea(again.panel_dock)
    again.close()


def test_file_menu_actions_and_shortcuts(qtbot, tmp_path, monkeypatch):
    w = make_window(qtbot)
    shortcuts = {"actionOpenData": "Ctrl+Shift+O", "actionExportTrajectories": "Ctrl+E",
                 "actionExportSelected": "Ctrl+Shift+E", "actionExportImage": "Ctrl+Shift+I"}
    for name, keys in shortcuts.items():
        assert _action(w, name).shortcut() == QKeySequence(keys), name
    # File → Open data… is the panel's open dialog: a chosen CSV loads as data
    csv = tmp_path / "line.csv"
    csv.write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(20)))
    opened = []
    monkeypatch.setattr(w.models.panel, "open_csv", lambda p: opened.append(p))
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName",
                        staticmethod(lambda *a, **k: (str(csv), "")))
    _action(w, "actionOpenData").trigger()
    assert opened == [str(csv)]
    w.open_data(csv)
    assert opened[-1] == str(csv) and not w.model_dock.isHidden()


def test_about_box_shows_the_version(qtbot):
    from gdstudio import __version__

    w = make_window(qtbot)
    box = w.show_about()
    assert f"Version {__version__}" in box.text()
    box.close()


def test_no_polling_timer_runs_in_the_window(qtbot):
    """The window reacts to signals; the only repeating timer is the controller's redraw tick."""
    from PySide6.QtCore import QTimer

    w = make_window(qtbot)
    repeating = [t for t in w.findChildren(QTimer) if t.isActive() and not t.isSingleShot()]
    assert [t.interval() for t in repeating] == [pytest.approx(w.c.timer.interval())]


def test_command_line_targets_are_sessions_data_or_functions(tmp_path):
    import json

    from gdstudio.gui.app import classify_target

    session = tmp_path / "study.json"
    session.write_text(json.dumps({"format": "gdstudio-session", "version": 1}))
    plain = tmp_path / "study.gds"
    plain.write_text(json.dumps({"format": "gdstudio-session", "version": 1}))
    data = tmp_path / "houses.csv"
    data.write_text("x,y\n1,2\n")
    assert classify_target(str(session)) == ("session", str(session))
    assert classify_target(str(plain)) == ("session", str(plain))
    assert classify_target(str(data)) == ("data", str(data))
    assert classify_target("x**2 + 3*y**2") == ("function", "x**2 + 3*y**2")
    assert classify_target("rosenbrock") == ("function", "rosenbrock")

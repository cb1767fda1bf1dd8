"""The window at every size and the small interactions that make it pleasant (issue 9):
tooltips everywhere, a layout that fits 1280 × 800, equal map axes, keys handed back to the
views, focus clicks, colours that mean one thing, clearing, errors that go away."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QDockWidget, QLineEdit,
                               QScrollArea, QSlider)

from gdstudio.gui.tooltips import interactive_controls
from gdstudio.gui.window_fit import fit_to_screen

from .helpers import click, make_window, map_point


def _fitted(qtbot, width, height):
    from gdstudio.gui import MainWindow

    w = MainWindow(function="x**2 + 3*y**2")
    qtbot.addWidget(w)
    fit_to_screen(w, QRect(0, 0, width, height))
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(120)  # the first layout pass and the views' share of the room
    return w


def test_every_interactive_control_has_a_tooltip(qtbot):
    w = make_window(qtbot)
    controls = interactive_controls(w)
    assert len(controls) > 50
    missing = [f"{type(c).__name__} {c.objectName() or getattr(c, 'text', lambda: '')()!r}"
               for c in controls if not c.toolTip().strip()]
    assert missing == []
    # a tooltip says what the control does, not just its own label again
    same = [c.objectName() for c in controls
            if isinstance(c, QAbstractButton) and c.toolTip().strip() == c.text().strip()]
    assert same == []


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_window_fits_its_screen_and_no_control_is_clipped(qtbot, size):
    w = _fitted(qtbot, *size)
    assert w.width() <= size[0] and w.height() <= size[1]
    assert w.minimumSizeHint().width() <= 1280 and w.minimumSizeHint().height() <= 800
    # every control that shows is at least as large as it needs to be, inside the window
    win = w.rect()
    for c in interactive_controls(w):
        if not c.isVisible() or c.visibleRegion().isEmpty() or isinstance(c.parent(), QDockWidget):
            continue  # hidden, or on a dock tab that is not in front
        if isinstance(c, (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QSlider)):
            need = c.minimumSizeHint()
            assert c.height() >= min(need.height(), c.maximumHeight()) - 1, c.objectName()
        top_left = c.mapTo(w, QPoint(0, 0))
        inside_scroll = any(isinstance(p, QScrollArea) for p in _parents(c))
        if not inside_scroll:
            assert win.contains(QRect(top_left, c.size()).adjusted(1, 1, -1, -1)), c.objectName()
    # one scroll bar at most: no panel needs a horizontal one
    for sa in w.findChildren(QScrollArea):
        if sa.isVisible() and sa.widget() is not None:
            assert sa.widget().width() <= sa.viewport().width(), sa.objectName()
    # the 3D view and the map share the top row equally
    assert abs(w.surface.width() - w.contour.width()) <= 0.08 * w.contour.width()
    assert w.contour.width() >= 400


def _parents(widget):
    p = widget.parent()
    while p is not None:
        yield p
        p = p.parent()


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_runs_table_shows_what_matters_without_scrolling(qtbot, size):
    w = _fitted(qtbot, *size)
    w.c.add_start(-1.234567, 0.5)
    qtbot.wait(100)
    t = w.table
    header = [t.model().headerData(i, Qt.Orientation.Horizontal) for i in range(7)]
    assert header == ["run", "status", "critical point", "value", "steps", "start", "end"]
    visible = t.viewport().width()
    assert sum(t.columnWidth(i) for i in range(7)) <= visible
    # cell text fits its column; the full value is in the tooltip
    m = t.model()
    fm = t.fontMetrics()
    for r in range(m.rowCount()):
        for col in range(7):
            text = m.index(r, col).data() or ""
            assert fm.horizontalAdvance(text) + 8 <= t.columnWidth(col) - (20 if col == 0 else 0), (col, text)
    row = m.rowCount() - 1
    assert "-1.234567" in m.index(row, 5).data(Qt.ItemDataRole.ToolTipRole)


def test_inspector_values_are_not_clipped(qtbot):
    w = _fitted(qtbot, 1280, 800)
    w.c.add_start(-2.805118, 3.131312)
    qtbot.wait(100)
    for key, lab in w.inspector.fields.items():
        assert lab.fontMetrics().horizontalAdvance(lab.text()) <= lab.width(), (key, lab.text())


def test_map_has_equal_axes_by_default_and_a_toggle(qtbot):
    w = make_window(qtbot, function="x**2 + y**2")
    w.editor.set_domain(((-5.0, 5.0), (-1.0, 1.0)))
    w.editor._domain_edited()
    qtbot.wait(100)
    px, py = w.contour.getPlotItem().vb.viewPixelSize()
    assert px == pytest.approx(py, rel=0.01)
    assert w.contour.equal_axes()
    w.contour.findChild(QAbstractButton, "equalAxesButton").click()
    qtbot.wait(100)
    px, py = w.contour.getPlotItem().vb.viewPixelSize()
    assert not w.contour.equal_axes()
    assert px / py > 2  # a 10 × 2 domain fills the square-ish map: x is squeezed


def test_long_title_is_elided_and_the_layout_recovers(qtbot):
    w = make_window(qtbot)
    qtbot.wait(150)
    before = w.contour.getPlotItem().vb.width()
    w.contour.set_title("A very long title " * 20)
    qtbot.wait(100)
    assert w.contour.getPlotItem().titleLabel.width() <= w.contour.width()
    assert w.contour.getPlotItem().vb.width() == pytest.approx(before, abs=2)
    assert w.contour.cbar.isVisible()
    w.contour.set_title("Short")
    qtbot.wait(50)
    assert w.contour.getPlotItem().vb.width() == pytest.approx(before, abs=2)


def test_legend_is_outside_the_data(qtbot):
    w = make_window(qtbot, function="x**2 + y**2")
    w.compare.set_checked(("gd", "momentum"))
    w.c.run()
    qtbot.waitUntil(lambda: w.c.state == "done", timeout=10_000)
    qtbot.wait(100)
    leg = w.contour.legend
    assert leg.isVisible()
    vb = w.contour.getPlotItem().vb
    assert not leg.sceneBoundingRect().intersects(vb.sceneBoundingRect())


def test_enter_and_escape_in_a_field_hand_the_keys_back(qtbot):
    w = make_window(qtbot, speed=20.0, max_steps=100000, lr=0.001, tol=0.0)
    w.activateWindow()
    edit = w.params.lr_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "0.002")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert w.c.settings.lr == 0.002
    assert w.contour.hasFocus() or w.focusWidget() is w.contour
    qtbot.keyClick(w.focusWidget(), Qt.Key.Key_Space)
    assert w.c.state == "running"
    qtbot.keyClick(w.focusWidget(), Qt.Key.Key_Space)
    steps = w.findChild(QAbstractSpinBox, "stepsEdit")
    steps.setFocus()
    qtbot.keyClick(steps, Qt.Key.Key_Escape)
    assert w.focusWidget() is w.contour


def test_a_click_that_takes_the_keyboard_adds_no_start(qtbot):
    w = make_window(qtbot)
    w.activateWindow()
    w.params.lr_edit.setFocus()
    n0 = w.c.starts.shape[0]
    pos = map_point(w.contour, 1.0, 1.0)
    from PySide6.QtTest import QTest

    QTest.mouseClick(w.contour.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    qtbot.wait(50)
    assert w.focusWidget() is w.contour
    assert w.c.starts.shape[0] == n0
    assert "click it again" in w.message.text()
    QTest.mouseClick(w.contour.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    qtbot.waitUntil(lambda: w.c.starts.shape[0] == n0 + 1, timeout=2000)


def test_compare_check_boxes_have_contrast(qtbot):
    from gdstudio.gui.app import _dark
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    old = app.palette()
    _dark(app)
    try:
        w = make_window(qtbot)
        lst = w.compare.list
        lst.setFocus()
        qtbot.wait(50)
        img = lst.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        rect = lst.visualItemRect(lst.item(1))
        box = [QColor(img.pixel(x, y)) for y in range(rect.top(), rect.bottom())
               for x in range(rect.left(), rect.left() + 24)]
        bg = lst.palette().color(QPalette.ColorRole.Base)
        assert max(_contrast(c, bg) for c in box) >= 3.0
    finally:
        app.setPalette(old)


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c):
        ch = []
        for v in (c.redF(), c.greenF(), c.blueF()):
            ch.append(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_clear_starts_clears_every_start(qtbot):
    w = make_window(qtbot)
    w.session.random_starts(30, "sobol", 0)
    qtbot.waitUntil(lambda: w.c.starts.shape[0] == 30, timeout=2000)
    w.starts_panel.clear.click()
    qtbot.wait(80)
    assert w.c.starts.shape[0] == 0 and w.c.store.n == 0 and w.table.model().rowCount() == 0
    w.buttons["run"].click()
    assert w.c.state == "idle" and "click the contour map" in w.message.text()
    click(w.contour.viewport(), map_point(w.contour, 1.0, 1.0))
    qtbot.waitUntil(lambda: w.c.starts.shape[0] == 1, timeout=2000)


def test_clearing_the_function_clears_the_old_error(qtbot):
    w = make_window(qtbot)
    edit = w.editor.edit
    edit.setText("x +* y")
    w.editor.apply_now()
    assert w.editor.error_text.isVisible()
    edit.setText("")
    w.editor.apply_now()
    assert not w.editor.error_text.isVisible() and not w.editor.error.isVisible()


@pytest.mark.parametrize("text", ["x +", "x**", "(x", "x +* y", "sin(x", "3x", "x)"])
def test_every_syntax_error_shows_its_caret(qtbot, text):
    w = make_window(qtbot)
    w.editor.edit.setText(text)
    w.editor.apply_now()
    assert w.editor.error_text.isVisible()
    assert w.editor.error.isVisible() and w.editor.error.text() == "^"


def test_a_function_nan_everywhere_gets_a_message(qtbot):
    w = make_window(qtbot)
    w.editor.edit.setText("log(-1 - x**2 - y**2)")
    w.editor.apply_now()  # compiled on a background job
    qtbot.waitUntil(lambda: "not a number anywhere" in w.message.text(), timeout=20_000)
    assert "not a number anywhere" in w.editor.error_text.text()
    assert w.editor.error_text.isVisible()
    assert "not a number anywhere" in w.message.text()
    assert w.contour.nan_text.isVisible()


def _models_window(qtbot):
    from gdstudio.gui import MainWindow

    w = MainWindow(function="x**2 + 3*y**2")
    qtbot.addWidget(w)
    w.resize(1500, 950)
    w.show()
    qtbot.waitExposed(w)
    w.model_dock.raise_()  # the window owns its docks
    return w, w.models


def _mode(w, key):
    combo = w.models.panel.mode
    combo.setCurrentIndex(combo.findData(key))


def test_setup_panel_follows_the_mode(qtbot):
    w, mf = _models_window(qtbot)
    assert w.editor.title() == "Function" and w.editor.edit.isVisible() is not False
    _mode(w, "linreg")
    qtbot.waitUntil(lambda: tuple(w.c.problem.names) == ("a", "b"), timeout=15_000)
    qtbot.wait(50)
    ed = w.editor
    assert ed.title() == "Model"
    assert ed.edit.isHidden() and ed.preset.isHidden()
    note = ed.model_note.text()
    (xa, xb), (ya, yb) = w.c.problem.domain
    assert "a from" in note and "b from" in note and f"{xa:.4g}" in note
    assert [lab.text() for lab in ed.domain_labels] == ["a from", "b from"]
    assert not ed.domain_boxes[0][0].isEnabled()
    assert "Himmelblau" not in note and "Preset" not in note
    # back to a function: the editor comes back with its text
    ed.function_button.click()
    qtbot.waitUntil(lambda: tuple(w.c.problem.names) == ("x", "y"), timeout=15_000)
    assert ed.title() == "Function" and not ed.edit.isHidden()
    assert [lab.text() for lab in ed.domain_labels] == ["x from", "y from"]
    mf.shutdown()


def test_your_model_does_not_inherit_the_line_fits_scaling(qtbot):
    w, mf = _models_window(qtbot)
    scale = w.models.panel.scale
    _mode(w, "linreg")
    qtbot.waitUntil(lambda: tuple(w.c.problem.names) == ("a", "b"), timeout=15_000)
    scale.setCurrentIndex(scale.findData("standard"))
    qtbot.waitUntil(lambda: getattr(w.c.problem.objective, "scale", "") == "standard", timeout=15_000)
    _mode(w, "typed")
    qtbot.waitUntil(lambda: hasattr(w.c.problem.objective, "model_text"), timeout=15_000)
    assert w.c.problem.objective.scale == "none" and scale.currentData() == "none"
    # and the line fit keeps its own choice
    _mode(w, "linreg")
    qtbot.waitUntil(lambda: not hasattr(w.c.problem.objective, "model_text")
                    and getattr(w.c.problem.objective, "scale", "") == "standard", timeout=15_000)
    assert scale.currentData() == "standard"
    mf.shutdown()


def test_least_squares_label_does_not_cover_the_best_minimum(qtbot):
    w, mf = _models_window(qtbot)
    _mode(w, "linreg")
    qtbot.waitUntil(lambda: tuple(w.c.problem.names) == ("a", "b") and mf.cf_text.isVisible(), timeout=15_000)
    qtbot.wait(100)
    text = mf.cf_text.sceneBoundingRect()
    mx, my = mf.cf_marker.getData()
    centre = w.contour.getPlotItem().vb.mapViewToScene(QPointF(float(mx[0]), float(my[0])))
    star = QRectF(centre.x() - 13, centre.y() - 13, 26, 26)  # the 24-px star and its pen
    assert not text.intersects(star)
    mf.shutdown()


@pytest.mark.parametrize("width, short", [(200, True), (520, False)])
def test_loss_curve_titles_fit_a_narrow_dock(qtbot, width, short):
    """In the docked curves at 1600×1000 "gradient norm" ran past the plot's right edge: a
    narrow view gets the short titles, a wide one the long ones, and either fits."""
    from gdstudio.gui.views.curves_view import CurvesView

    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(width, 300)
    view.show()
    qtbot.waitExposed(view)
    view._envelope_shown = True  # (as with more than 50 runs: the longest titles)
    view._update_label()
    qtbot.wait(50)
    for plot in (view.value_plot, view.grad_plot):
        label = plot.titleLabel
        text_width = label.item.boundingRect().width()
        assert label.mapRectToScene(label.boundingRect()).left() + text_width <= width + 1
    title = view.grad_plot.titleLabel.text
    assert ("‖∇f‖" in title) == short and ("gradient norm" in title) == (not short)

"""Models fitted to data, in the real window: line fit on the housing data, a typed model on a
CSV (and bad CSVs), a 3-parameter model sliced to two, a network (slice, full training with
its PCA landscape, cancel) and brute force against gradient descent. Offscreen, real widgets."""

from __future__ import annotations

import os

if not os.environ.get("DISPLAY"):  # under Xvfb (CI's gl pass) keep the real platform
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QMimeData, QPointF, Qt, QUrl  # noqa: E402

if QCoreApplication.instance() is None:  # conftest.py normally did this already
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import (QApplication, QComboBox, QDockWidget, QFileDialog, QLabel, QLineEdit,  # noqa: E402
                               QProgressBar, QPushButton, QSpinBox, QTableWidget)

from gdstudio.gui.main_window import MainWindow  # noqa: E402

LEFT = Qt.MouseButton.LeftButton
HOUSING_N = 1460


@pytest.fixture
def win(qtbot):
    w = MainWindow(function="x**2 + 3*y**2")
    qtbot.addWidget(w)
    w.resize(1500, 950)
    mf = w.models
    w.show()
    qtbot.waitExposed(w)
    w.c.update_settings(speed=None, max_steps=2000)
    w.params.set_speed(None)
    w.model_dock.raise_()  # the person clicks the "Data & model" tab
    qtbot.wait(30)
    yield w, mf
    mf.shutdown()
    w.c.shutdown(3000)


def find(w, cls, name):
    obj = w.findChild(cls, name)
    assert obj is not None, name
    return obj


def choose(qtbot, combo: QComboBox, data):
    i = combo.findData(data)
    assert i >= 0, data
    combo.setCurrentIndex(i)


def click(qtbot, button: QPushButton):
    assert button.isEnabled()
    qtbot.mouseClick(button, LEFT)


def wait_problem(qtbot, w, pred, timeout=15_000):
    qtbot.waitUntil(lambda: w.c.problem is not None and pred(w.c.problem.objective), timeout=timeout)


def run_to_end(qtbot, w, timeout=15_000):
    click(qtbot, find(w, QPushButton, "runButton"))
    qtbot.waitUntil(lambda: w.c.state == "done", timeout=timeout)
    qtbot.wait(80)  # one redraw tick (frames at 30 Hz)


def lstsq_line(x, y):
    A = np.column_stack([x, np.ones_like(x)])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def open_with_dialog(qtbot, w, monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    click(qtbot, find(w, QPushButton, "openDataButton"))


def drop_file(w, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(w.width() / 2, w.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, LEFT, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, LEFT, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, drop)
    assert drop.isAccepted()


# -- installation -----------------------------------------------------------------------------
def test_the_window_composes_the_model_panels(win, qtbot):
    w, mf = win
    for dock in ("setupDock", "modelDock", "dataDock", "bruteForceDock"):
        assert w.findChild(QDockWidget, dock) is not None, dock
    for cls, name in ((QComboBox, "modelCombo"), (QComboBox, "featureCombo"), (QComboBox, "targetCombo"),
                      (QComboBox, "scaleCombo"), (QComboBox, "lossCombo"), (QLineEdit, "modelEdit"),
                      (QPushButton, "openDataButton"), (QLineEdit, "hiddenEdit"),
                      (QComboBox, "activationCombo"), (QComboBox, "datasetCombo"), (QSpinBox, "batchSizeSpin"),
                      (QPushButton, "landscapeButton"), (QProgressBar, "landscapeProgress"),
                      (QLabel, "explainedLabel"), (QComboBox, "paramXCombo"), (QComboBox, "paramYCombo")):
        find(w, cls, name)
    assert w.findChild(object, "dataView") is not None
    assert w.findChild(object, "bruteForcePanel") is not None
    modes = [find(w, QComboBox, "modelCombo").itemText(i) for i in range(4)]
    assert modes == ["Function", "Linear regression (housing)", "Your model", "Neural network"]
    # the About box credits the housing data
    box = w.show_about()
    assert "De Cock" in box.text()
    box.close()


# -- the straight line -----------------------------------------------------------------------------
def test_linear_regression_on_housing_converges_to_least_squares(win, qtbot):
    w, mf = win
    choose(qtbot, find(w, QComboBox, "modelCombo"), "linreg")
    wait_problem(qtbot, w, lambda o: tuple(o.names) == ("a", "b"))
    view = mf.data_view
    assert view.n_points() == HOUSING_N
    assert "sq ft" in view.getPlotItem().getAxis("bottom").labelText
    assert "$" in view.getPlotItem().getAxis("left").labelText
    assert "(1/n)·Σ(yᵢ − (a·xᵢ + b))²" in find(w, QLabel, "conventionLabel").text()
    # standardised: the Hessian is 2·I, 2/λmax = 1
    choose(qtbot, find(w, QComboBox, "scaleCombo"), "standard")
    wait_problem(qtbot, w, lambda o: getattr(o, "scale", "") == "standard")
    obj = w.c.problem.objective
    assert "2/λmax" in find(w, QLabel, "hessianLabel").text()
    assert np.allclose(w.c.starts, [[0.0, 0.0]])
    w.params.set_lr(0.2)
    run_to_end(qtbot, w)
    x, y = obj.x_raw, obj.y_raw
    zx, zy = (x - x.mean()) / x.std(), (y - y.mean()) / y.std()
    expected = lstsq_line(zx, zy)
    got = w.c.store.pos[0]
    assert np.linalg.norm(got - expected) < 1e-3
    # the data view's line is the fitted line, in dollars against square feet
    a_raw, b_raw = lstsq_line(x, y)
    xs, ys = view.curve.getData()
    assert np.allclose(ys, a_raw * xs + b_raw, rtol=1e-3, atol=50.0)
    # the least-squares solution is marked on the map; the distance is shown live
    mx, my = mf.cf_marker.getData()
    assert np.allclose([mx[0], my[0]], expected, atol=1e-9)
    dist = find(w, QLabel, "distanceLabel").text()
    assert "distance to the least-squares solution" in dist
    assert "$ per sq ft" in find(w, QLabel, "closedFormLabel").text()


def test_learning_rate_warning_above_two_over_lambda_max(win, qtbot):
    w, mf = win
    choose(qtbot, find(w, QComboBox, "modelCombo"), "linreg")
    wait_problem(qtbot, w, lambda o: tuple(o.names) == ("a", "b") and o.scale == "none")
    lim = w.c.problem.objective.max_stable_lr()
    assert lim < 1e-8  # raw house prices: the bowl is a needle
    warn = find(w, QLabel, "lrWarning")
    w.params.set_lr(1.5 * lim)
    qtbot.waitUntil(lambda: warn.isVisible(), timeout=2000)
    assert "2/λmax" in warn.text()
    w.params.set_lr(0.5 * lim)
    qtbot.waitUntil(lambda: not warn.isVisible(), timeout=2000)
    # "Use a stable rate" sets 0.9 × 2/λmax
    w.params.set_lr(10 * lim)
    qtbot.waitUntil(lambda: warn.isVisible(), timeout=2000)
    click(qtbot, find(w, QPushButton, "useStableLrButton"))
    assert w.c.settings.lr == pytest.approx(0.9 * lim, rel=1e-2)
    qtbot.waitUntil(lambda: not warn.isVisible(), timeout=2000)
    # a change made by code shows at once (no polling timer)
    w.c.update_settings(lr=20 * lim)
    assert warn.isVisibleTo(w)
    assert w.params.lr_edit.value() == pytest.approx(20 * lim, rel=1e-2)


# -- your model, your data ----------------------------------------------------------------------
def _write(path, text):
    path.write_text(text)
    return path


def test_typed_model_on_a_csv_and_bad_csv_files(win, qtbot, tmp_path, monkeypatch):
    w, mf = win
    rng = np.random.default_rng(3)
    x = np.linspace(0, 4, 40)
    y = 2.5 * x - 1.0 + 0.1 * rng.standard_normal(x.size)
    good = _write(tmp_path / "mine.csv", "t,v\n" + "".join(f"{a:.17g},{b:.17g}\n" for a, b in zip(x, y)))
    choose(qtbot, find(w, QComboBox, "modelCombo"), "typed")
    wait_problem(qtbot, w, lambda o: tuple(o.names) == ("a", "b") and getattr(o, "model_text", "") == "a*x + b")
    open_with_dialog(qtbot, w, monkeypatch, good)
    wait_problem(qtbot, w, lambda o: getattr(o, "x_name", "") == "t")
    assert mf.data_view.n_points() == 40
    assert "mine.csv" in find(w, QLabel, "dataLabel").text()
    w.params.set_lr(0.05)
    run_to_end(qtbot, w)
    assert np.linalg.norm(w.c.store.pos[0] - lstsq_line(x, y)) < 1e-3
    xs, ys = mf.data_view.curve.getData()
    a, b = lstsq_line(x, y)
    assert np.allclose(ys, a * xs + b, atol=1e-3)

    # a typo in the model: the error is shown in the panel with its column; the problem stays
    before = w.c.problem.objective
    edit = find(w, QLineEdit, "modelEdit")
    edit.clear()
    qtbot.keyClicks(edit, "a*x + sinn(b)")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    err = find(w, QLabel, "modelError")
    qtbot.waitUntil(lambda: err.isVisible(), timeout=5000)
    assert "Unknown function 'sinn' at column 7." == err.text()
    assert find(w, QLabel, "modelCaret").isVisible()  # a caret under the column
    assert w.c.problem.objective is before

    # bad files: one sentence in the panel, the previous problem stays
    bad = {
        "missing.csv": "t,v\n1,2\n2,\n3,4\n",
        "words.csv": "t,v\n1,high\n2,low\n3,mid\n",
        "one_row.csv": "t,v\n1,2\n",
    }
    derr = find(w, QLabel, "dataError")
    for k, (name, text) in enumerate(bad.items()):
        path = _write(tmp_path / name, text)
        prev = derr.text()
        if k == 1:
            drop_file(w, path)  # dropped on the window
        else:
            open_with_dialog(qtbot, w, monkeypatch, path)
        qtbot.waitUntil(lambda: derr.isVisible() and derr.text() != prev, timeout=5000)
        msg = derr.text()
        assert msg.count(". ") == 0 and msg.endswith("."), msg  # one sentence
        assert w.c.problem.objective is before
    assert "missing" in derr.text() or "row" in derr.text()


def test_three_parameter_model_shows_a_slice_of_two(win, qtbot, tmp_path, monkeypatch):
    w, mf = win
    x = np.linspace(-1, 1, 30)
    y = 1.5 * x**2 - 0.5 * x + 0.25
    path = _write(tmp_path / "quad.csv", "x,y\n" + "".join(f"{a:.17g},{b:.17g}\n" for a, b in zip(x, y)))
    choose(qtbot, find(w, QComboBox, "modelCombo"), "typed")
    open_with_dialog(qtbot, w, monkeypatch, path)
    qtbot.waitUntil(lambda: mf.data_view.n_points() == 30, timeout=10_000)
    edit = find(w, QLineEdit, "modelEdit")
    edit.clear()
    qtbot.keyClicks(edit, "a*x**2 + b*x + c")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    px, py = find(w, QComboBox, "paramXCombo"), find(w, QComboBox, "paramYCombo")
    qtbot.waitUntil(lambda: px.isVisible() and px.count() == 3, timeout=10_000)
    obj = w.c.problem.objective
    assert obj.dim == 2 and tuple(obj.names) == ("a", "b")
    assert "c" in find(w, QLabel, "heldLabel").text()
    assert mf.data_view.n_points() == 30
    py.setCurrentIndex(2)  # show a and c, b held
    wait_problem(qtbot, w, lambda o: tuple(o.names) == ("a", "c"))
    g = w.c.problem.grid
    assert g.Z.shape[0] > 10 and np.isfinite(g.Z).all()


# -- the network ---------------------------------------------------------------------------------
def test_network_slice_then_full_training_landscape_and_cancel(win, qtbot):
    w, mf = win
    hidden = find(w, QLineEdit, "hiddenEdit")
    hidden.setText("4")
    find(w, QSpinBox, "trainStepsSpin").setValue(80)
    find(w, QSpinBox, "initsSpin").setValue(3)
    choose(qtbot, find(w, QComboBox, "modelCombo"), "mlp")
    wait_problem(qtbot, w, lambda o: o.dim == 2 and tuple(o.names) == ("W1[0,0]", "W1[0,1]"))
    assert "frozen" in find(w, QLabel, "sliceNote").text()
    assert mf.data_view.region.isVisible()  # moons: a decision region
    # descent on the two weights runs through the normal controller
    w.params.set_lr(0.5)
    w.c.update_settings(max_steps=30)
    run_to_end(qtbot, w)
    assert w.c.store.steps[0] > 0
    # mini-batches (seeded): the same slice, descended with a different batch each step
    find(w, QSpinBox, "batchSizeSpin").setValue(32)
    wait_problem(qtbot, w, lambda o: getattr(getattr(o, "full", None), "batch_size", None) == 32)
    assert "Mini-batches of 32" in find(w, QLabel, "modelDescription").text()
    run_to_end(qtbot, w)
    assert w.c.store.steps[0] == 30
    find(w, QSpinBox, "batchSizeSpin").setValue(0)
    wait_problem(qtbot, w, lambda o: getattr(getattr(o, "full", None), "batch_size", 1) is None)

    prog = find(w, QProgressBar, "landscapeProgress")
    click(qtbot, find(w, QPushButton, "landscapeButton"))
    qtbot.waitUntil(lambda: prog.value() == prog.maximum(), timeout=20_000)
    qtbot.waitUntil(lambda: tuple(w.c.problem.objective.names) == ("PC1", "PC2"), timeout=5000)
    text = find(w, QLabel, "explainedLabel").text()
    assert "PCA plane explains" in text and "%" in text
    share = float(text.split("explains ")[1].split("%")[0])
    assert 0 < share <= 100
    table = find(w, QTableWidget, "initsTable")
    assert table.rowCount() == 3
    losses = [float(table.item(r, 1).text()) for r in range(3)]
    assert all(np.isfinite(losses))
    xs, _ = mf.path_item.getData()
    assert xs is not None and len(xs) > 10  # the projected path is drawn on the map

    # cancel a long training: nothing changes
    before = w.c.problem.objective
    find(w, QSpinBox, "trainStepsSpin").setValue(100_000)
    click(qtbot, find(w, QPushButton, "landscapeButton"))
    cancel = find(w, QPushButton, "landscapeCancelButton")
    qtbot.waitUntil(lambda: prog.value() > 0, timeout=10_000)
    click(qtbot, cancel)
    phase = find(w, QLabel, "landscapePhase")
    qtbot.waitUntil(lambda: "Cancelled" in phase.text(), timeout=10_000)
    assert prog.value() == 0
    assert w.c.problem.objective is before
    assert find(w, QPushButton, "landscapeButton").isEnabled()


# -- brute force ------------------------------------------------------------------------------------
def test_brute_force_grid_search_and_dimension_sweep(win, qtbot):
    w, mf = win
    w.brute_dock.raise_()
    panel = w.findChild(object, "bruteForcePanel")
    table = find(w, QTableWidget, "sweepTable")
    qtbot.waitUntil(lambda: table.rowCount() == 8, timeout=10_000)
    evals = [r.grid_evaluations for r in panel.rows]
    assert all(b > a for a, b in zip(evals, evals[1:]))
    assert evals[-1] > 1e12
    steps = [r.gd_steps for r in panel.rows]
    assert max(steps) <= 2 * min(steps)  # gradient descent stays flat
    assert table.item(7, 0).text() == "8"
    spin = find(w, QSpinBox, "gridPointsSpin")
    spin.setValue(12)
    click(qtbot, find(w, QPushButton, "gridSearchButton"))
    label = find(w, QLabel, "gridResultLabel")
    qtbot.waitUntil(lambda: panel.result is not None, timeout=10_000)
    assert panel.result.evaluations == 144
    assert "144 evaluations" in label.text()
    run_to_end(qtbot, w)
    gd = find(w, QLabel, "gdResultLabel").text()
    assert f"{int(w.c.store.steps[0]):,} steps" in gd and "144 evaluations" in gd


def test_huber_threshold_is_chosen_in_the_panel(win, qtbot):
    from PySide6.QtWidgets import QDoubleSpinBox

    w, mf = win
    choose(qtbot, find(w, QComboBox, "modelCombo"), "typed")
    delta = find(w, QDoubleSpinBox, "huberDeltaSpin")
    assert not delta.isEnabled()  # only the Huber loss has a threshold
    choose(qtbot, find(w, QComboBox, "lossCombo"), "huber")
    assert delta.isEnabled()
    delta.setValue(0.25)
    delta.editingFinished.emit()
    qtbot.waitUntil(lambda: getattr(w.c.problem.objective, "huber_delta", None) == 0.25, timeout=15000)
    assert w.c.problem.objective.loss == "huber"


# -- models are edits of the session ------------------------------------------------------------
def test_a_model_is_an_undo_step_and_a_session_file_reopens_it(win, qtbot, tmp_path, monkeypatch):
    """Choosing a model, its data and its columns is part of the document: undo brings the
    function back and redo the model (data view and all); a saved session reopens it in a
    fresh window, and `gdstudio run --session` descends on the same cost."""
    from gdstudio.app import ModelSpec, Session

    w, mf = win
    x = np.linspace(0, 4, 30)
    good = _write(tmp_path / "mine.csv", "t,v\n" + "".join(f"{a:.17g},{2 * a - 1:.17g}\n" for a in x))
    choose(qtbot, find(w, QComboBox, "modelCombo"), "typed")
    wait_problem(qtbot, w, lambda o: getattr(o, "model_text", "") == "a*x + b")
    open_with_dialog(qtbot, w, monkeypatch, good)
    wait_problem(qtbot, w, lambda o: getattr(o, "x_name", "") == "t")
    spec = w.session.problem
    assert isinstance(spec, ModelSpec) and spec.model == "a*x + b" and spec.x == "t" and spec.y == "v"
    assert spec.sha256 is not None and w.session.can_undo
    np.testing.assert_allclose(w.c.starts, w.session.starts)
    path = tmp_path / "fit.gdsession"
    assert w.save_session(str(path))

    # undo: back to the typed model on the housing data, then to the function; redo forward
    w.findChild(QAction, "actionUndo").trigger()
    wait_problem(qtbot, w, lambda o: getattr(o, "x_name", "") != "t")
    while w.session.can_undo and isinstance(w.session.problem, ModelSpec):
        w.findChild(QAction, "actionUndo").trigger()
    assert not isinstance(w.session.problem, ModelSpec) and not mf.showing(w.c.problem)
    assert mf.data_view.n_points() == 0
    while w.session.can_redo:
        w.findChild(QAction, "actionRedo").trigger()
    wait_problem(qtbot, w, lambda o: getattr(o, "x_name", "") == "t")
    assert mf.showing(w.c.problem) and mf.data_view.n_points() == 30

    # a fresh window opens the file: the model, its data and its start
    w2 = MainWindow(function="x**2 + y**2")
    qtbot.addWidget(w2)
    w2.show()
    assert w2.open_session(str(path))
    wait_problem(qtbot, w2, lambda o: getattr(o, "x_name", "") == "t")
    assert w2.models.showing(w2.c.problem) and w2.models.data_view.n_points() == 30
    np.testing.assert_allclose(w2.c.starts, w.session.starts)
    # the same runs headless
    headless = Session.load(path)
    assert headless.problem == spec and getattr(headless.objective, "x_name", "") == "t"
    res = headless.run()
    np.testing.assert_allclose(res.starts, w.session.starts)
    assert np.isfinite(res.values).all()
    w2.models.shutdown()
    w2.c.shutdown(3000)


def test_the_data_view_without_a_model_keeps_no_old_axes_and_centres_its_hint(qtbot):
    """A function shown after a model (a lesson after the housing one): the Data view says how
    to get data there, centred and whole, over no axes left at the old data's scale."""
    from gdstudio.gui.views.data_view import DataView

    v = DataView()
    qtbot.addWidget(v)
    v.resize(330, 420)
    v.show()
    qtbot.waitExposed(v)
    v.getPlotItem().vb.setRange(xRange=(0, 200_000), yRange=(0, 800_000))
    v.clear_model()
    (x0, x1), (y0, y1) = v.getPlotItem().vb.viewRange()
    assert x1 <= 1.0 and y1 <= 1.0
    r = v.getPlotItem().vb.boundingRect()
    p = v.placeholder.pos()
    assert abs(p.x() - r.center().x()) < 1 and abs(p.y() - r.center().y()) < 1
    hint = v.placeholder.mapRectToParent(v.placeholder.boundingRect())
    assert r.contains(hint)  # the whole sentence is inside the plot

"""File → Export animation…: the dialog drives a real export on a background job (pytest-qt,
real window, real files in tmp_path)."""

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QLineEdit, QPushButton, QSpinBox

from gdstudio.gui.export_animation import ExportAnimationDialog, animation_input
from gdstudio.worker.jobs import JobPool

from .helpers import make_window, wait_done


def _window_with_runs(qtbot):
    w = make_window(qtbot, max_steps=300, lr=0.02, tol=0.0)
    w.c.add_start(2.0, 1.5)
    w.c.add_start(-1.5, -1.0)
    w.c.run()
    wait_done(qtbot, w)
    return w


def _dialog(qtbot, w):
    jobs = JobPool()
    dlg = ExportAnimationDialog(w.c, jobs, w)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg, jobs


def test_the_dialog_writes_the_gif_it_was_asked_for(qtbot, tmp_path):
    w = _window_with_runs(qtbot)
    dlg, jobs = _dialog(qtbot, w)
    target = tmp_path / "runs.gif"
    dlg.findChild(QLineEdit, "animationPathEdit").setText(str(target))
    dlg.findChild(QSpinBox, "animationFpsSpin").setValue(10)
    dlg.findChild(QDoubleSpinBox, "animationDurationSpin").setValue(2.0)
    dlg.size_combo.setCurrentIndex(0)  # 640 × 480
    assert dlg.frames_label.text() == "20"
    progress = []
    with qtbot.waitSignal(dlg.sig_finished, timeout=60_000) as done:
        dlg.progress.valueChanged.connect(progress.append)
        qtbot.mouseClick(dlg.findChild(QPushButton, "animationExportButton"), Qt.MouseButton.LeftButton)
        assert dlg.running and not dlg.export_button.isEnabled()
    assert done.args[0] is True, done.args
    assert progress and progress[-1] == 1000
    im = Image.open(target)
    assert im.n_frames == 20 and im.size == (640, 480)
    im.seek(0)
    first = np.asarray(im.convert("RGB"))
    im.seek(19)
    assert (np.asarray(im.convert("RGB")) != first).any()
    assert "Wrote 20 frames" in dlg.message.text() and dlg.export_button.isEnabled()


def test_the_snapshot_is_what_the_window_shows(qtbot):
    w = _window_with_runs(qtbot)
    data = animation_input(w.c)
    st = w.c.store
    assert data.paths.n_runs == st.n >= 2 and data.paths.last_step == int(st.steps.max()) == 300
    assert np.array_equal(data.paths.points[0], st.starts)  # step 0: the starts
    assert np.allclose(data.paths.points[-1], st.pos)  # the last row: where the runs are now
    assert len(data.colors) == st.n and len(set(data.colors)) == st.n  # one colour per start
    assert data.names == ("x", "y")


def test_cancel_leaves_the_existing_file_untouched(qtbot, tmp_path):
    w = _window_with_runs(qtbot)
    dlg, jobs = _dialog(qtbot, w)
    target = tmp_path / "keep.gif"
    target.write_bytes(b"the old animation")
    dlg.path_edit.setText(str(target))
    dlg.fps.setValue(50)
    dlg.duration.setValue(200.0)  # 10,000 frames: long enough to cancel midway
    dlg.size_combo.setCurrentIndex(0)
    with qtbot.waitSignal(dlg.sig_finished, timeout=60_000) as done:
        assert dlg.start_export()
        qtbot.waitUntil(lambda: dlg.progress.value() > 0, timeout=30_000)
        qtbot.mouseClick(dlg.findChild(QPushButton, "animationCancelButton"), Qt.MouseButton.LeftButton)
    assert done.args[0] is False and "cancelled" in done.args[1]
    assert target.read_bytes() == b"the old animation"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gif"]
    assert dlg.isVisible()  # cancelling the export does not close the dialog


def test_bad_choices_are_one_sentence_in_the_dialog(qtbot, tmp_path):
    w = _window_with_runs(qtbot)
    dlg, jobs = _dialog(qtbot, w)
    dlg.path_edit.setText(str(tmp_path / "runs.png"))
    assert not dlg.start_export()
    assert "a .gif or .mp4 file" in dlg.message.text() and not dlg.running
    dlg.path_edit.setText(str(tmp_path / "missing" / "runs.gif"))
    assert not dlg.start_export()
    assert "does not exist" in dlg.message.text()
    dlg.path_edit.setText(str(tmp_path / "runs.gif"))
    dlg.fps.setValue(50)
    dlg.duration.setValue(600.0)
    assert not dlg.start_export()
    assert "30000 frames is too many" in dlg.message.text() and not (tmp_path / "runs.gif").exists()


def test_file_menu_opens_the_dialog_and_exports_each_image_area(qtbot, tmp_path):
    from PySide6.QtGui import QAction

    w = _window_with_runs(qtbot)
    w.findChild(QAction, "actionExportAnimation").trigger()
    dlg = w.findChild(ExportAnimationDialog, "exportAnimationDialog")
    assert dlg is not None and dlg.isVisible()
    for name in ("actionExportImageMap", "actionExportImageSurface", "actionExportImage"):
        assert w.findChild(QAction, name) is not None, name
    sizes = {}
    for area, widget in (("map", w.contour), ("views", w.views)):
        p = tmp_path / f"{area}.png"
        assert w.export_image(str(p), area)
        sizes[area] = Image.open(p).size
        dpr = Image.open(p).size[0] / widget.width()
        assert Image.open(p).size == (round(widget.width() * dpr), round(widget.height() * dpr))
    assert sizes["map"][0] < sizes["views"][0]

"""File → Export animation…: the contour map with the runs drawn step by step, as an animated
GIF (or MP4 with the optional encoder), written on a background job with progress and cancel.

The picture is the same as ``gdstudio run --animate`` (:mod:`gdstudio.app.animation`), drawn
from what the window shows when the dialog starts the export: the problem and domain, every
run's trajectory (as the run store keeps it: sampled at its stride, with its exact current
point) and the runs' colours (per start, per compared optimizer or learning rate, or per
basin). The snapshot is copied on the GUI thread; rendering and encoding happen on the job.

Automation hooks (objectNames): ``exportAnimationDialog``, ``animationPathEdit``,
``animationFpsSpin``, ``animationDurationSpin``, ``animationSizeCombo``,
``animationFramesLabel``, ``animationProgress``, ``animationMessage``,
``animationExportButton``, ``animationCancelButton``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout)

from ..app.animation import FPS_RANGE, MAX_DURATION, AnimationOptions, RecordedPaths
from .dialogs import ask_save_path, settings_store

SIZES = ((640, 480), (720, 540), (960, 720), (1280, 960), (1280, 720), (1920, 1080))


@dataclass(frozen=True)
class AnimationInput:
    """What the window shows, copied: the objective, domain, variable names, title, the runs'
    recorded paths and their colours (RGBA floats)."""

    objective: object
    domain: tuple
    names: tuple
    title: str
    paths: Optional[RecordedPaths]
    colors: list


def animation_input(controller) -> AnimationInput:
    """A snapshot of the controller's problem and runs (GUI thread; cheap copies)."""
    c = controller
    problem = c.problem
    st = c.store
    runs = []
    for r in range(st.n):
        rows = st.path(r, st.cap + 2)[:, :2].copy()  # every kept sample, no thinning
        # row k is step k·stride, the last row the run's exact current step
        steps = np.arange(rows.shape[0], dtype=np.int64) * int(st.stride[r])
        steps[-1] = int(st.steps[r])
        runs.append((steps, rows))
    paths = RecordedPaths.from_runs(runs) if runs else None
    colors = [tuple(col) for col in c.build_frame(parts=()).run_colors] if runs else []
    s = c.settings
    title = f"{problem.description} · {s.optimizer}, lr {s.lr:g}"
    if s.compare_optimizers or s.compare_lrs:
        title = problem.description
    return AnimationInput(problem.objective, tuple(problem.domain), tuple(problem.names), title, paths, colors)


def render_and_write(data: AnimationInput, options: AnimationOptions, path, job) -> str:
    """The job's work (background thread): render the frames and write the file."""
    from ..app.animation import MapAnimation
    from ..io.animation import write_animation
    from ..io.trajectories import ExportError
    from ..worker.jobs import Cancelled

    anim = MapAnimation(data.objective, data.domain, data.paths, options, colors=data.colors, names=data.names)
    try:
        write_animation(path, anim.frames(), options.frames, options.fps,
                        progress=job.progress, cancel=job.cancelled)
    except ExportError as err:
        if job.cancelled():
            raise Cancelled() from err
        raise ValueError(str(err)) from err
    return str(path)


class ExportAnimationDialog(QDialog):
    """The export dialog. ``sig_finished(ok, message)`` reports the end of an export."""

    sig_finished = Signal(bool, str)

    def __init__(self, controller, jobs, parent=None):
        super().__init__(parent)
        self.setObjectName("exportAnimationDialog")
        self.setWindowTitle("Export animation")
        self.c = controller
        self.jobs = jobs
        self.job = None
        st = settings_store()
        lay = QVBoxLayout(self)
        form = QFormLayout()
        lay.addLayout(form)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(str(st.value("animation/last_path", str(Path.home() / "gdstudio-runs.gif"))))
        self.path_edit.setObjectName("animationPathEdit")
        self.path_edit.setToolTip("Where the animation is written: a .gif file, or .mp4 with the optional "
                                  "video encoder")
        browse = QPushButton("Browse…")
        browse.setToolTip("Choose the file to write")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.fps = QSpinBox()
        self.fps.setObjectName("animationFpsSpin")
        self.fps.setRange(int(FPS_RANGE[0]), int(FPS_RANGE[1]))
        self.fps.setValue(int(st.value("animation/fps", 20)))
        self.fps.setSuffix(" frames/s")
        self.fps.setToolTip("Frames per second (GIFs faster than 50 are slowed down by browsers)")
        form.addRow("Speed", self.fps)
        self.duration = QDoubleSpinBox()
        self.duration.setObjectName("animationDurationSpin")
        self.duration.setRange(0.5, MAX_DURATION)
        self.duration.setDecimals(1)
        self.duration.setSingleStep(1.0)
        self.duration.setValue(float(st.value("animation/duration", 5.0)))
        self.duration.setSuffix(" s")
        self.duration.setToolTip("Length of the animation: the runs go from their starts to where "
                                 "they are now in this time")
        form.addRow("Duration", self.duration)
        self.size_combo = QComboBox()
        self.size_combo.setObjectName("animationSizeCombo")
        for w, h in SIZES:
            self.size_combo.addItem(f"{w} × {h}", (w, h))
        self.size_combo.setCurrentIndex(int(st.value("animation/size", 1)))
        self.size_combo.setToolTip("Image size in pixels")
        form.addRow("Size", self.size_combo)
        self.frames_label = QLabel()
        self.frames_label.setObjectName("animationFramesLabel")
        form.addRow("Frames", self.frames_label)
        content = QLabel("The contour map with every run drawn step by step")
        content.setWordWrap(True)
        form.addRow("Shows", content)
        self.progress = QProgressBar()
        self.progress.setObjectName("animationProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        lay.addWidget(self.progress)
        self.message = QLabel("")
        self.message.setObjectName("animationMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("animationExportButton")
        self.export_button.setToolTip("Render the frames and write the file in the background")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.setObjectName("animationCancelButton")
        self.cancel_button.setToolTip("Cancel a running export (the file is left as it was), or close")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        lay.addLayout(buttons)
        self.fps.valueChanged.connect(self._update_frames)
        self.duration.valueChanged.connect(self._update_frames)
        self._update_frames()

    # -- state -----------------------------------------------------------------------
    def options(self) -> AnimationOptions:
        w, h = self.size_combo.currentData()
        return AnimationOptions(fps=float(self.fps.value()), duration=float(self.duration.value()),
                                width=w, height=h)

    def _update_frames(self) -> None:
        self.frames_label.setText(f"{self.options().frames}")

    @property
    def running(self) -> bool:
        return self.job is not None

    def _browse(self) -> None:
        path = ask_save_path(self, "animation", "Export animation", Path(self.path_edit.text()).name or
                             "gdstudio-runs.gif", "Animations (*.gif *.mp4);;GIF (*.gif);;MP4 video (*.mp4)")
        if path:
            self.path_edit.setText(path)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #e05050;" if error else "")
        self.message.setText(text)

    # -- export ----------------------------------------------------------------------
    def start_export(self) -> bool:
        """Check the choices and start the background export; False (with a message in the
        dialog) when something is wrong."""
        from ..io.animation import check_animation_target
        from ..io.trajectories import ExportError

        if self.running:
            return False
        path = self.path_edit.text().strip()
        problem = self.c.problem
        if problem is None or problem.objective.dim != 2:
            self._say("The contour map needs a problem with two parameters.", True)
            return False
        try:
            target = check_animation_target(path) if path else None
        except ExportError as err:
            self._say(f"{err}.", True)
            return False
        if target is None:
            self._say("Choose a file to write.", True)
            return False
        options = self.options()
        problems = options.problems()
        if problems:
            self._say(problems[0][0].upper() + problems[0][1:] + ".", True)
            return False
        data = animation_input(self.c)
        if data.paths is None:
            self._say("There are no runs to draw: add a start first.", True)
            return False
        st = settings_store()
        st.setValue("animation/last_path", str(target))
        st.setValue("animation/fps", self.fps.value())
        st.setValue("animation/duration", self.duration.value())
        st.setValue("animation/size", self.size_combo.currentIndex())
        self.progress.setValue(0)
        self._say(f"Writing {options.frames} frames to {target}…")
        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.job = self.jobs.start(
            lambda job: render_and_write(data, options, target, job),
            on_result=lambda p: self._ended(True, f"Wrote {options.frames} frames to {p}"),
            on_failed=lambda msg, *_: self._ended(False, f"Export failed: {msg}"),
            on_progress=lambda f: self.progress.setValue(int(round(1000 * f))),
            on_cancelled=lambda: self._ended(False, f"Export cancelled; {target} was not written"),
            name="gdstudio-animation")
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _cancel_or_close(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.reject()

    def _ended(self, ok: bool, text: str) -> None:
        self.job = None
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")
        if ok:
            self.progress.setValue(1000)
        self._say(text, error=not ok and "cancelled" not in text)
        self.sig_finished.emit(ok, text)

    def reject(self) -> None:  # Escape or the window's close box: cancel a running export
        self.cancel()
        super().reject()

"""Exports of the window: trajectories (now, or on a background job for big exports) and an
image of the views. :class:`Exports` is given what it uses (the controller, the job pool, the
views widget, a message function and the status bar's cancel button); the window's menu
actions and public methods call it."""

from __future__ import annotations

from typing import Callable, Optional

from .dialogs import ask_save_path
from ..app.run_export import BACKGROUND_ROWS, ExportJob


class Exports:
    def __init__(self, window, controller, jobs, views, message: Callable, cancel_button):
        self.window = window  # parent of the file dialogs
        self.c = controller
        self.jobs = jobs
        self.views = views
        self.message = message
        self.cancel_button = cancel_button
        self.task = None  # the background export in progress, if any
        self._export = None  # its ExportJob (whose writer knows its temporary files)
        self.animation = None  # the Export animation dialog, once opened
        cancel_button.clicked.connect(self.cancel)
        cancel_button.hide()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def cancel_and_clean(self, timeout_ms: int = 3000) -> None:
        """Cancel the background export, wait up to ``timeout_ms`` for its writer to remove
        its temporary files, and remove them here if it has not (the window is closing: no
        ``.part`` file may stay behind; the files the export would replace are untouched)."""
        task, export = self.task, self._export
        if task is None:
            return
        task.cancel()
        if task.wait(timeout_ms):
            return
        writer = getattr(export, "writer", None)
        for tmp in writer.partial_files() if writer is not None else ():
            try:
                tmp.unlink()
            except OSError:
                pass

    def trajectories(self, path, runs=None) -> Optional[int]:
        """Write the CSV (+ JSON sidecar) of ``runs`` (all by default). Returns the row
        count, or None after showing the error in the status bar."""
        from ..io.trajectories import ExportError

        try:
            rows = self.c.export_trajectories(path, runs)
        except (ExportError, OSError, ValueError) as err:
            self.message(f"Export failed: {err}", "error")
            return None
        self.message(f"Wrote {rows:,} rows to {path}")
        return rows

    def in_background(self, path, runs=None):
        """Export on a background job (progress in the status bar, cancel button); returns
        the :class:`~gdstudio.worker.jobs.Job` (``sig_result(rows)``, ``sig_failed``,
        ``sig_cancelled`` report the end; the target file is untouched unless it succeeds)."""
        from ..io.trajectories import ExportError
        from ..worker.jobs import Cancelled

        export = self._export = ExportJob(self.c, runs)

        def work(job):
            try:
                return export.write(str(path), cancel=job.cancelled, progress=job.progress)
            except ExportError as err:
                if job.cancelled():
                    raise Cancelled() from err
                raise ValueError(str(err)) from err

        self.cancel_button.show()
        self.task = self.jobs.start(
            work,
            on_result=lambda rows: self._ended(f"Wrote {rows:,} rows to {path}", "info"),
            on_failed=lambda msg, _err: self._ended(f"Export failed: {msg}", "error"),
            on_progress=lambda f: self.message(f"Exporting to {path}… {100 * f:.0f}%"),
            on_cancelled=lambda: self._ended(f"Export to {path} cancelled; nothing was written", "info"),
            name="gdstudio-export")
        return self.task

    def _ended(self, text, level):
        self.cancel_button.hide()
        self.task = self._export = None
        self.message(text, level)

    def image(self, path, area: str = "views") -> bool:
        """Save a PNG of the whole views area ("views": 3D, contour map, curves, table), the
        contour map alone ("map") or the 3D view alone ("surface")."""
        w = self.window
        widgets = {"views": self.views, "map": w.contour, "surface": w.surface}
        if area not in widgets:
            raise ValueError(f"unknown image area {area!r}: choose views, map or surface")
        if area == "surface" and w.surface_error:
            self.message(w.surface_error, "error")
            return False
        img = widgets[area].grab()
        w.surface.draw_canvas_into(img, widgets[area])  # a grab does not see the GL window
        ok = bool(img.save(str(path), "PNG"))
        self.message(f"Saved {path}" if ok else f"Could not write the image {path}", "info" if ok else "error")
        return ok

    def trajectories_dialog(self, runs=None, selected: bool = False):
        if selected and not runs:
            self.message("Select runs in the table first", "error")
            return
        path = ask_save_path(self.window, "export", "Export trajectories", "trajectories.csv",
                              "CSV files (*.csv);;Parquet tables (*.parquet)")
        if not path:
            return
        if ExportJob(self.c, runs).estimated_rows() > BACKGROUND_ROWS:
            self.in_background(path, runs)
        else:
            self.trajectories(path, runs)

    def image_dialog(self, area: str = "views"):
        name = {"views": "gdstudio.png", "map": "gdstudio-map.png", "surface": "gdstudio-3d.png"}[area]
        path = ask_save_path(self.window, "image", "Export image", name, "PNG images (*.png)")
        if path:
            self.image(path, area)

    def animation_dialog(self):
        """File → Export animation…: the dialog (gui/export_animation.py), one at a time; it
        renders and writes on the window's job pool."""
        from .export_animation import ExportAnimationDialog

        if self.animation is None:
            self.animation = ExportAnimationDialog(self.c, self.jobs, self.window)
            self.animation.sig_finished.connect(
                lambda ok, text: self.message(text, "info" if ok or "cancelled" in text else "error"))
        self.animation.show()
        self.animation.raise_()
        return self.animation

    def cancel_animation(self, timeout_ms: int = 3000) -> None:
        """Cancel a running animation export and wait for it to remove its partial file."""
        job = getattr(self.animation, "job", None)
        if job is not None:
            job.cancel()
            job.wait(timeout_ms)

"""The window's export actions (a mixin of MainWindow): trajectories (now, or in a
background thread for big exports) and an image of the views."""

from __future__ import annotations

from typing import Optional


from .dialogs import ask_save_path


class ExportMixin:
    def export_trajectories(self, path, runs=None) -> Optional[int]:
        """Write the CSV (+ JSON sidecar) of ``runs`` (all by default). Returns the row
        count, or None after showing the error in the status bar."""
        from ..io.trajectories import ExportError

        try:
            rows = self.c.export_trajectories(path, runs)
        except (ExportError, OSError, ValueError) as err:
            self.show_message(f"Export failed: {err}", "error")
            return None
        self.show_message(f"Wrote {rows:,} rows to {path}")
        return rows

    def export_in_background(self, path, runs=None):
        """Export on a background job (progress in the status bar, cancel button); returns
        the :class:`~gdstudio.worker.jobs.Job` (``sig_result(rows)``, ``sig_failed``,
        ``sig_cancelled`` report the end; the target file is untouched unless it succeeds)."""
        from ..io.trajectories import ExportError
        from ..worker.jobs import Cancelled
        from .exporter import ExportJob

        export = ExportJob(self.c, runs)

        def work(job):
            try:
                return export.write(str(path), cancel=job.cancelled, progress=job.progress)
            except ExportError as err:
                if job.cancelled():
                    raise Cancelled() from err
                raise ValueError(str(err)) from err

        self.cancel_export.show()
        task = self.jobs.start(
            work,
            on_result=lambda rows: self._export_ended(f"Wrote {rows:,} rows to {path}", "info"),
            on_failed=lambda msg, _err: self._export_ended(f"Export failed: {msg}", "error"),
            on_progress=lambda f: self.show_message(f"Exporting to {path}… {100 * f:.0f}%"),
            on_cancelled=lambda: self._export_ended(f"Export to {path} cancelled; nothing was written", "info"),
            name="gdstudio-export")
        self._export_task = task
        return task

    def _export_ended(self, text, level):
        self.cancel_export.hide()
        self._export_task = None
        self.show_message(text, level)

    def export_image(self, path) -> bool:
        """Save the views (3D, contour map, curves, table) as a PNG."""
        img = self.views.grab()
        ok = bool(img.save(str(path), "PNG"))
        self.show_message(f"Saved {path}" if ok else f"Could not write the image {path}", "info" if ok else "error")
        return ok

    def _export_dialog(self, selected: bool):
        runs = self.table.selected_runs() if selected else None
        if selected and not runs:
            self.show_message("Select runs in the table first", "error")
            return
        path = ask_save_path(self, "export", "Export trajectories", "trajectories.csv", "CSV files (*.csv)")
        if not path:
            return
        from .exporter import BACKGROUND_ROWS, ExportJob

        if ExportJob(self.c, runs).estimated_rows() > BACKGROUND_ROWS:
            self.export_in_background(path, runs)
        else:
            self.export_trajectories(path, runs)

    def _image_dialog(self):
        path = ask_save_path(self, "image", "Export image", "gdstudio.png", "PNG images (*.png)")
        if path:
            self.export_image(path)


"""A trajectory export in a background thread, for exports too big to write while the
window waits (the menu action uses it above ``BACKGROUND_ROWS`` rows).

``ExportTask(job, path)`` signals (queued to the GUI thread): ``sig_progress(float)``,
``sig_done(int rows)``, ``sig_failed(str message)``. ``cancel()`` stops it; the target file
is then left untouched (the writer is atomic).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

#: exports with more rows than this run in the background
BACKGROUND_ROWS = 200_000


class ExportTask(QObject):
    sig_progress = Signal(float)
    sig_done = Signal(int)
    sig_failed = Signal(str)

    def __init__(self, job, path, parent=None):
        super().__init__(parent)
        self.job = job
        self.path = str(path)
        self._cancel = threading.Event()
        self._last = -1.0
        self.thread = threading.Thread(target=self._run, name="gdstudio-export", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def cancel_and_clean(self, timeout: float = 3.0) -> None:
        """Cancel, wait up to ``timeout`` s for the writer to remove its temporary files,
        and remove them here if it has not (the window is closing: no ``.part`` file may
        stay behind; the files the export would have replaced are untouched)."""
        self.cancel()
        if self.wait(timeout):
            return
        writer = getattr(self.job, "writer", None)
        for tmp in writer.partial_files() if writer is not None else ():
            try:
                tmp.unlink()
            except OSError:
                pass

    def _progress(self, f: float) -> None:
        if f - self._last >= 0.01:
            self._last = f
            self.sig_progress.emit(float(f))

    def _run(self) -> None:
        try:
            rows = self.job.write(self.path, cancel=self._cancel.is_set, progress=self._progress)
        except Exception as err:  # reported in the status bar, never raised into Qt
            self.sig_failed.emit(f"Export failed: {err}")
            return
        self.sig_done.emit(int(rows))

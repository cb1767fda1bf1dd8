"""Session files in the window: File → New, Open…, Open recent, Save, Save as…, and what
follows the document: Edit → Undo / Redo and the window's title.

:class:`SessionFiles` is given the session, the window (parent of the dialogs) and a message
function. A file that cannot be opened (not JSON, another format, a newer version, a missing
data file, a data file whose SHA-256 changed) gives one sentence in the status bar and leaves
the current session as it was; a failed save never damages an existing file (the session
writes atomically). The last 8 files are remembered (QSettings ``recent/sessions``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtWidgets import QFileDialog

from .dialogs import settings_store

RECENT_KEY = "recent/sessions"
RECENT_MAX = 8
FILTER = "Gradient Descent Studio sessions (*.json);;All files (*)"


class SessionFiles:
    def __init__(self, window, session, message: Callable):
        self.window = window
        self.session = session
        self.message = message
        self.recent_menu = None  # set by the window; rebuilt whenever the list changes
        #: called before every save (the window records the camera as it is then)
        self.before_save = None

    def follow(self, undo_action, redo_action) -> None:
        """Keep Edit → Undo / Redo (enabled, "Undo Add start") and the window's title (the
        file's name, ``*`` when modified) in step with the session."""
        s = self.session

        def edits(*_):
            undo_action.setEnabled(s.can_undo)
            redo_action.setEnabled(s.can_redo)
            undo_action.setText(f"Undo {s.undo_text}".strip())
            redo_action.setText(f"Redo {s.redo_text}".strip())

        def title(*_):
            name = s.path.name if s.path is not None else "untitled"
            self.window.setWindowTitle(f"{name}{' *' if s.modified else ''} — Gradient Descent Studio")

        s.sig_undo_changed.connect(edits)
        for sig in (s.sig_path_changed, s.sig_problem_changed, s.sig_settings_changed, s.sig_starts_changed,
                    s.sig_undo_changed):
            sig.connect(title)
        edits()
        title()

    # -- actions ---------------------------------------------------------------------------------
    def new(self) -> None:
        self.session.new()
        self.message("New session")

    def open(self, path, as_new: bool = False) -> bool:
        """Open ``path``; True when it was opened. On any error: one sentence, nothing changed.
        ``as_new``: opened as a new untitled document (a lesson), not remembered as recent."""
        from ..io.session_file import SessionFileError

        try:
            self.session.open(path, as_new=as_new)
        except (SessionFileError, ValueError, OSError) as err:
            self.message(_sentence(err), "error")
            return False
        if as_new:
            return True
        self._remember(path)
        self.message(f"Opened {path}")
        return True

    def save(self, path=None) -> bool:
        """Save to ``path`` (default: the session's file; without one, ask). True when saved."""
        from ..io.session_file import SessionFileError

        if path is None and self.session.path is None:
            return self.save_as()
        if self.before_save is not None:
            self.before_save()
        try:
            target = self.session.save(path)
        except (SessionFileError, ValueError, OSError) as err:
            self.message(f"Not saved: {_sentence(err)}", "error")
            return False
        self._remember(target)
        self.message(f"Saved {target}")
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a session", self._folder(), FILTER)
        if path:
            self.open(path)

    def save_as(self) -> bool:
        start = str(self.session.path) if self.session.path else os.path.join(self._folder(), "session.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the session as", start, FILTER)
        return self.save(path) if path else False

    # -- recent files ------------------------------------------------------------------------------
    def recent(self) -> list[str]:
        v = settings_store().value(RECENT_KEY, [])
        items = [v] if isinstance(v, str) else list(v or [])
        return [str(p) for p in items if p][:RECENT_MAX]

    def _remember(self, path) -> None:
        p = str(Path(path).resolve())
        items = [p] + [q for q in self.recent() if q != p]
        st = settings_store()
        st.setValue(RECENT_KEY, items[:RECENT_MAX])
        st.setValue("session/last_dir", os.path.dirname(p))
        self.fill_recent()

    def _folder(self) -> str:
        return str(settings_store().value("session/last_dir", str(Path.home())))

    def fill_recent(self) -> None:
        menu = self.recent_menu
        if menu is None:
            return
        menu.clear()
        items = self.recent()
        for k, p in enumerate(items, 1):
            a = menu.addAction(f"&{k}  {Path(p).name}", lambda p=p: self.open(p))
            a.setToolTip(p)
            a.setObjectName(f"actionRecent{k}")
        menu.setEnabled(bool(items))


def _sentence(err: Optional[BaseException]) -> str:
    msg = str(err).strip() or type(err).__name__
    msg = msg[:1].upper() + msg[1:]
    return msg if msg.endswith((".", "?", "!")) else msg + "."

"""Start the studio: ``gdstudio`` (no arguments), ``gdstudio TARGET``, ``gdstudio gui TARGET``
or ``python -m gdstudio.gui.app [TARGET]``.

``main(argv) -> int`` sets ``Qt.AA_ShareOpenGLContexts`` before the QApplication exists
(pyqtgraph's 3D items share shader programs between GL contexts), builds the MainWindow
(with the layout remembered from the last launch), opens the target, shows the window and
runs the event loop. The target (see :func:`classify_target`) is a session file, a CSV file to
fit, a preset name or a function of x and y.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional, Sequence

DATA_SUFFIXES = (".csv", ".tsv", ".txt")


def classify_target(target: str) -> tuple[str, str]:
    """``("session" | "data" | "function", value)`` for a command-line target: an existing
    file is a session when it is JSON with ``"format": "gdstudio-session"`` (or ends in
    ``.json``: opening it then says what is wrong), a CSV otherwise; anything else is a
    preset name or function text."""
    path = Path(target)
    try:
        is_file = path.is_file()
    except OSError:  # a long expression is no file name
        is_file = False
    if not is_file:
        return "function", target
    if path.suffix.lower() == ".json":
        return "session", str(path)
    if path.suffix.lower() in DATA_SUFFIXES:
        return "data", str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
        if head.lstrip().startswith("{") and "gdstudio-session" in head:
            json.loads(path.read_text(encoding="utf-8"))
            return "session", str(path)
    except (OSError, ValueError):
        pass
    return "data", str(path)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "gdstudio", *argv])
    app.setApplicationName("Gradient Descent Studio")
    app.setOrganizationName("gdstudio")
    app.setStyle("Fusion")
    _dark(app)
    from ..core.models.mlp import use_compiled_planes
    from .main_window import MainWindow

    # a network's landscape stays on numpy until the start-up warm-up has the plane kernel
    # compiled in another process and loaded: numba's compile here would hold the interpreter
    # lock for seconds (gui/startup.py)
    use_compiled_planes(False)
    target = next((a for a in argv if not a.startswith("-")), None)
    kind, value = classify_target(target) if target is not None else ("function", None)
    # a preset named on the command line arrives as if chosen in the window: at its
    # recommended settings (`gdstudio rosenbrock` then Run converges instead of diverging)
    window = MainWindow(function=value if kind == "function" else None, restore_layout=True, recommended=True)
    if kind == "data":
        window.open_data(value)
    elif kind == "session":
        window.open_session(value)
    from .startup import freeze_startup_objects, warm_up_in_background

    freeze_startup_objects()  # a full collection of the start-up objects took ~70 ms of the GUI thread
    warm_up_in_background()  # numba's kernels (their first load would stutter a descent)
    window.show()
    window.raise_()
    window.activateWindow()  # keys work at once, even on a bare X server without a window manager
    close_on_signals(app, window)
    code = int(app.exec())
    return 128 + _signalled[0] if _signalled else code


#: the signal that closed the window, if one did (the exit status says so, as a shell expects)
_signalled: list = []


def close_on_signals(app, window) -> None:
    """SIGTERM, SIGHUP and SIGINT close the window the way its close button does: a running
    export is cancelled and its partial files removed, the layout is saved, then the process
    exits with 128 + the signal's number. (By default SIGTERM ends the process at once and
    leaves an export's hidden ``.part`` file behind.) Python runs signal handlers only
    between bytecodes, so a short timer lets the interpreter in while Qt's loop waits."""
    import signal

    from PySide6.QtCore import QTimer

    def handler(signum, _frame):
        if not _signalled:
            _signalled.append(int(signum))
            QTimer.singleShot(0, window.close)
            QTimer.singleShot(0, app.quit)

    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                signal.signal(sig, handler)
            except (ValueError, OSError):  # not the main thread, or not allowed here
                pass
    tick = QTimer(app)
    tick.setObjectName("signalTick")
    tick.timeout.connect(lambda: None)
    tick.start(200)


def _dark(app) -> None:
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = QPalette.ColorRole
    for role, color in ((roles.Window, "#2b2b30"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1f1f24"),
                        (roles.AlternateBase, "#28282e"), (roles.Text, "#e6e6e6"), (roles.Button, "#3a3a41"),
                        (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d7bd9"),
                        (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, "#3a3a41"),
                        (roles.ToolTipText, "#e6e6e6"), (roles.PlaceholderText, "#8a8a93")):
        p.setColor(role, QColor(color))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor("#777777"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor("#777777"))
    app.setPalette(p)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

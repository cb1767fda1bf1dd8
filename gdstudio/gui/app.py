"""Start the studio: ``gdstudio`` (no arguments) or ``python -m gdstudio.gui.app``.

``main(argv) -> int`` sets ``Qt.AA_ShareOpenGLContexts`` before the QApplication exists
(pyqtgraph's 3D items share shader programs between GL contexts), builds the MainWindow,
shows it and runs the event loop. ``argv`` may hold a function (preset name or expression).
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence


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
    from .main_window import MainWindow

    function = next((a for a in argv if not a.startswith("-")), None)
    window = MainWindow(function=function)
    window.show()
    window.raise_()
    window.activateWindow()  # keys work at once, even on a bare X server without a window manager
    return int(app.exec())


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

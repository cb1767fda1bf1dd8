"""Small window helpers: the About box, preferences (QSettings) and the save dialog that
remembers its folder."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

ABOUT = (
    "<h3>Gradient Descent Studio</h3>"
    "<p>Type a function, press Run, and watch gradient descent move. Exact gradients and "
    "Hessians (symbolic), six optimizers with PyTorch semantics, thousands of runs at once.</p>"
    "<p><b>Data credit.</b> The Ames housing data: Dean De Cock (2011), “Ames, Iowa: Alternative "
    "to the Boston Housing Data as an End of Semester Regression Project”, <i>Journal of "
    "Statistics Education</i> 19(3); originally from the Ames (Iowa) City Assessor's Office; "
    "as distributed on Kaggle (“House Prices: Advanced Regression Techniques”).</p>"
)


def settings_store() -> QSettings:
    """Preferences (INI format, user scope); tests redirect it with QSettings.setPath."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gdstudio", "studio")


def ask_save_path(parent, key: str, title: str, name: str, filt: str) -> str:
    """A save dialog starting in the folder last used for ``key``; remembers the new one."""
    st = settings_store()
    folder = st.value(f"{key}/last_dir", str(Path.home()))
    path, _ = QFileDialog.getSaveFileName(parent, title, os.path.join(folder, name), filt)
    if path:
        st.setValue(f"{key}/last_dir", os.path.dirname(path))
    return path


def about_box(parent) -> QMessageBox:
    """The About box with the version, shown non-modal (tests and automation never block on it)."""
    from .. import __version__

    text = ABOUT.replace("</h3>", f"</h3><p>Version {__version__}</p>", 1)
    box = QMessageBox(QMessageBox.Icon.Information, "About Gradient Descent Studio", text,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("aboutBox")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setModal(False)
    box.show()
    return box

"""Test-wide Qt set-up.

* Without a display, Qt runs offscreen (2-D views render, OpenGL does not). Under Xvfb
  (``xvfb-run``, CI's OpenGL pass) the real xcb platform is used and the 3D view renders.
* ``Qt.AA_ShareOpenGLContexts`` must be set before the QApplication exists (pyqtgraph
  shares shader programs between GL contexts): set here, at import time, before pytest-qt's
  ``qapp`` fixture creates the application.
* Preferences (QSettings) go to a temporary folder, never to ~/.config.
* Every exception inside a Qt slot or virtual method (paintEvent, a timer's slot, a queued
  signal) FAILS the test in which it happened: pytest-qt's exception capture, which this
  file relies on and never switches off (``qt_no_exception_capture`` stays unset;
  ``tests/gui/test_hardening.py`` checks that a raising slot really fails a test). An
  exception that escapes a Python thread the window started (an export, a job) fails the
  test too (``threading.excepthook``, below).
"""

import os
import tempfile
import threading

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

try:
    from PySide6.QtCore import QCoreApplication, QSettings, Qt
except ImportError:  # the core tests need no Qt
    QCoreApplication = None

if QCoreApplication is not None:
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    _SETTINGS_DIR = tempfile.mkdtemp(prefix="gdstudio-test-settings-")
    for _scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, _scope, _SETTINGS_DIR)

    @pytest.fixture(scope="session")
    def qapp_args():
        return ["gdstudio-tests"]

    @pytest.fixture(scope="session")
    def settings_dir():
        return _SETTINGS_DIR


@pytest.fixture(autouse=True)
def _fail_on_thread_exceptions():
    """An exception escaping any thread during a test fails the test (Python only prints it)."""
    seen = []
    previous = threading.excepthook

    def hook(args):
        seen.append(args)
        previous(args)

    threading.excepthook = hook
    yield
    threading.excepthook = previous
    if seen:
        a = seen[0]
        pytest.fail(f"an exception escaped the thread {a.thread.name if a.thread else '?'}: "
                    f"{a.exc_type.__name__}: {a.exc_value}", pytrace=False)


"""The studio window (Qt). ``from gdstudio.gui import MainWindow`` builds it;
``gdstudio.gui.app.main(argv)`` runs the application. See docs/gui.md."""


def __getattr__(name):
    if name == "MainWindow":
        from .main_window import MainWindow

        return MainWindow
    if name == "StudioController":
        from .controller import StudioController

        return StudioController
    raise AttributeError(name)


__all__ = ["MainWindow", "StudioController"]

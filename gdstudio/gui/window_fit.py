"""The window's first size and layout, chosen for the screen it opens on.

``fit_to_screen(window)`` sizes the main window to fit the available area of its screen (at
most 1600 × 1000, never more than the screen), centres it, and shares the room so the 3D view
and the contour map get equal, generous halves. On a narrow screen (below
``NARROW_SCREEN_PX``) the right-hand docks (Data, Brute force) become tabs beside the Setup
panel, so the views keep their width. ``window.fills_screen`` tells the launcher to show the
window maximised (a window manager then fits its frame too). A layout remembered from a screen
of the other kind (``same_kind_of_screen``) is not restored.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QScrollArea

#: the largest first size (a larger screen shows the same window, centred)
PREFERRED = (1600, 1000)
#: below this available width the right-hand docks join the left dock as tabs
NARROW_SCREEN_PX = 1500
#: width of the left dock (Setup, Data & model) on a narrow and on a wide screen
LEFT_DOCK_PX = (300, 320)
RIGHT_DOCK_PX = 330
#: dock titles when four docks share the left dock as tabs
SHORT_TITLES = {"bruteForceDock": "Brute force"}


def _available(window) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, *PREFERRED)


def available_width(window) -> int:
    return _available(window).width()


def same_kind_of_screen(saved_width, width: int) -> bool:
    """True when a layout saved on a screen ``saved_width`` wide (None: not recorded) suits
    one ``width`` wide: both narrow or both wide (``NARROW_SCREEN_PX``)."""
    try:
        saved = int(saved_width)
    except (TypeError, ValueError):
        return True
    return (saved < NARROW_SCREEN_PX) == (width < NARROW_SCREEN_PX)


def fit_to_screen(window, available: QRect | None = None) -> None:
    avail = available or _available(window)
    w = min(PREFERRED[0], avail.width())
    h = min(PREFERRED[1], avail.height())
    window.resize(w, h)
    window.move(avail.x() + (avail.width() - w) // 2, avail.y() + (avail.height() - h) // 2)
    window.fills_screen = w >= avail.width() and h >= avail.height()
    narrow = avail.width() < NARROW_SCREEN_PX
    left = getattr(window, "panel_dock", None)
    right = [d for d in window.findChildren(QDockWidget)
             if window.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
    if narrow and left is not None and right:
        for d in right:
            window.tabifyDockWidget(left, d)
            # four tabs share the dock's width: short titles stay readable
            short = SHORT_TITLES.get(d.objectName())
            if short:
                d.setWindowTitle(short)
        left.raise_()
    if left is not None:
        want = max([LEFT_DOCK_PX[0 if narrow else 1]] + [_content_width(d) for d in window.findChildren(QDockWidget)
                                                          if window.dockWidgetArea(d) == window.dockWidgetArea(left)])
        window.resizeDocks([left], [want], Qt.Orientation.Horizontal)
    if right and not narrow:
        window.resizeDocks([right[0]], [RIGHT_DOCK_PX], Qt.Orientation.Horizontal)


def clamp_to_screen(window) -> None:
    """Once shown: no wider or taller than the screen. Before the right-hand docks joined the
    left one on a narrow screen, the window's minimum (both dock areas and the views) could be
    more than the screen, and Qt widens the window to that minimum when it is first laid out."""
    avail = _available(window)
    w, h = min(window.width(), avail.width()), min(window.height(), avail.height())
    if (w, h) != (window.width(), window.height()) and window.minimumSizeHint().width() <= w:
        window.resize(w, h)


def _content_width(dock) -> int:
    """Width a dock needs to show its panel without a horizontal scroll bar."""
    inner = dock.widget()
    if isinstance(inner, QScrollArea) and inner.widget() is not None:
        return (inner.widget().minimumSizeHint().width() + inner.verticalScrollBar().sizeHint().width()
                + 2 * inner.frameWidth() + 4)
    return inner.minimumSizeHint().width() if inner is not None else 0


def share_views(window) -> None:
    """Equal halves for the 3D view and the map; the bottom row gets what its contents need
    (the runs table its columns, the inspector its values) and the curves the rest. Called
    once the window is shown, when the splitters have their real sizes."""
    views = getattr(window, "views", None)
    if views is None:
        return
    top, bottom = views.widget(0), views.widget(1)
    half = max(1, top.width() // 2)
    top.setSizes([half, top.width() - half])
    h = views.height()
    rows = max(220, int(0.36 * h))
    views.setSizes([max(300, h - rows), rows])
    table = getattr(window, "table", None)
    inspector = getattr(window, "inspector", None)
    if table is None or inspector is None or bottom.count() != 3:
        return
    need_table = table.natural_width() if hasattr(table, "natural_width") else 520
    need_insp = max(inspector.minimumWidth(), inspector.sizeHint().width())
    total = bottom.width()
    curves = max(160, total - need_table - need_insp)
    bottom.setSizes([curves, max(200, total - curves - need_insp), need_insp])

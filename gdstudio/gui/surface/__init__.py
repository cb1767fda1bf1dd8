"""The 3D view as a package.

* :mod:`.view` -- :class:`SurfaceView`, the widget and its public API (mouse: drag starts, hover);
* :mod:`.layers` -- the GL items and the scene they draw; :mod:`.camera` -- presets and projection;
* :mod:`.widgets` -- the GL canvas (a native window) and the hint line; :mod:`.overlays` -- the
  colour bar, key and read-out it paints over the scene; :mod:`.style` -- colours, sizes, GL states;
* :mod:`.mapping`, :mod:`.segments` -- raw -> visual mapping and line geometry (numpy only);
* :mod:`.feed` -- sends a frame to the view, only what changed;
* :mod:`.null_view` -- the stand-in when OpenGL is missing.

``make_surface_view()`` returns the real view, or the stand-in with the reason, so the window
never probes for abilities. Importing this package does not import OpenGL.
"""

from __future__ import annotations

from typing import Optional

from .null_view import NullSurfaceView


def make_surface_view() -> tuple:
    """``(view, None)``, or ``(NullSurfaceView, reason)`` when OpenGL cannot be used."""
    try:
        from .view import SurfaceView

        return SurfaceView(), None
    except Exception as err:  # no OpenGL: the 2-D views still work
        reason: Optional[str] = f"The 3D view is unavailable: {err}"
        return NullSurfaceView(reason), reason


def __getattr__(name):
    if name == "SurfaceView":
        from .view import SurfaceView

        return SurfaceView
    raise AttributeError(name)


__all__ = ["SurfaceView", "NullSurfaceView", "make_surface_view"]

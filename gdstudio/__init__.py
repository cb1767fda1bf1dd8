"""Gradient Descent Studio: watch gradient descent work.

``import gdstudio`` never imports Qt: the numerical core, the command line and
:func:`descend` work without a display. The window lives in :mod:`gdstudio.gui`.

``descend`` and ``DescentResult`` are loaded on first use (PEP 562), so importing a
subpackage such as ``gdstudio.io`` or reading ``gdstudio.__version__`` does not load the
engine.
"""

from ._version import __version__

__all__ = ["descend", "DescentResult", "sweep", "SweepTable", "__version__"]


def __getattr__(name: str):
    if name in ("descend", "DescentResult"):
        from .core import api

        return getattr(api, name)
    if name in ("sweep", "SweepTable"):  # sweeps (and Dask only when a cluster is asked for)
        from .app import sweep as _sweep

        return getattr(_sweep, name)
    raise AttributeError(f"module 'gdstudio' has no attribute {name!r}")

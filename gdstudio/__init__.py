"""Gradient Descent Studio: watch gradient descent work.

``import gdstudio`` never imports Qt: the numerical core, the command line and
:func:`descend` work without a display. The window lives in :mod:`gdstudio.gui`.
"""

__version__ = "0.1.0"

from .core.api import DescentResult, descend  # noqa: E402

__all__ = ["descend", "DescentResult", "__version__"]

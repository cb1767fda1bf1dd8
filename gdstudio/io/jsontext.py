"""JSON text that is always valid JSON: no bare ``NaN`` or ``Infinity``.

Python's ``json`` writes non-finite floats as ``NaN``/``Infinity``, which no JSON reader
accepts. :func:`json_text` writes them as ``null`` (the documented meaning: no value) and
numpy scalars and arrays as plain numbers and lists; ``allow_nan=False`` guarantees that
nothing non-finite slips through.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

__all__ = ["finite", "json_text"]


def finite(obj):
    """``obj`` with every non-finite float replaced by None, numpy values made plain and
    tuples made lists (recursively)."""
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return finite(obj.tolist())
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def json_text(obj, **kwargs) -> str:
    """``json.dumps`` of :func:`finite` ``(obj)`` with ``allow_nan=False``."""
    return json.dumps(finite(obj), allow_nan=False, **kwargs)

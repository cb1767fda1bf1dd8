"""Text for people: numbers with units, core messages as sentences, and the label styles the
panels share."""

from __future__ import annotations

import numpy as np

WARN_STYLE = ("QLabel { background: #b35c00; color: white; border-radius: 4px; padding: 6px; "
              "font-weight: bold; }")
ERROR_STYLE = "color: #ff6b6b;"
NOTE_STYLE = "color: #a8a8b3;"


def sentence(msg: str) -> str:
    """A core message as a sentence: capital first letter (unless it starts with a file or
    column name) and a full stop."""
    msg = str(msg).strip()
    first = msg.split(" ", 1)[0]
    if msg[:1].islower() and "." not in first and "'" not in first:
        msg = msg[:1].upper() + msg[1:]
    return msg if msg.endswith((".", "?", "!")) else msg + "."


def fmt(v: float, unit: str = "") -> str:
    """A number for people: thousands separators for big values, 4 significant digits."""
    v = float(v)
    if not np.isfinite(v):
        s = "—"
    elif v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-3):
        s = f"{v:.3g}"
    elif abs(v) >= 1000:
        s = f"{v:,.0f}"
    else:
        s = f"{v:.4g}"
    return f"{s} {unit}".strip() if unit else s


def with_unit(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name

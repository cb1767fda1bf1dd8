"""Text for people: numbers with units, core messages as sentences, and the label styles the
panels share."""

from __future__ import annotations

import html

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


def html_text(text) -> str:
    """``text`` escaped for places that render HTML (pyqtgraph labels and titles, rich-text
    labels): a CSV's column named ``<img src=…>`` is shown as those characters."""
    return html.escape(str(text), quote=False)


def plain_text(*labels) -> None:
    """Show these labels' text as typed, never as HTML: they carry data-derived text (file
    and column names, messages quoting them), and a QLabel guesses rich text from tags."""
    from PySide6.QtCore import Qt

    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)

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


def coordinate(v: float, span: float, digits: int = 3) -> str:
    """A coordinate at the resolution of a domain ``span`` wide: ``digits`` significant
    digits of the span, fixed point (a run that converged to 0 shows ``0.00``, not
    ``-4.96e-07``); far outside the domain (a diverged run) in exponent form."""
    v = float(v)
    if not np.isfinite(v):
        return "—" if v != v else ("∞" if v > 0 else "−∞")
    span = abs(float(span)) if span and np.isfinite(span) else 1.0
    if abs(v) > 1e4 * span:
        return f"{v:.3g}"
    decimals = max(0, digits - int(np.ceil(np.log10(span))))
    s = f"{v:.{decimals}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s  # no "-0.00"


def point(p, span: float, digits: int = 3) -> str:
    return f"({coordinate(p[0], span, digits)}, {coordinate(p[1], span, digits)})"


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


def label(name: str, text: str = "", style: str = "", rich: bool = False, wrap: bool = True,
          hidden: bool = False):
    """A panel's QLabel with its objectName, word wrap, style and text format set."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    w = QLabel(text)
    w.setObjectName(name)
    w.setWordWrap(wrap)
    if style:
        w.setStyleSheet(style)
    if rich:
        w.setTextFormat(Qt.TextFormat.RichText)
    if hidden:
        w.hide()
    return w

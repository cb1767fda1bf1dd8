"""A start point typed as text (the start list and the runs table's start cell; no Qt)."""

from __future__ import annotations

import math
import re

__all__ = ["parse_point", "format_point"]

_SPLIT = re.compile(r"[\s,;]+")


def parse_point(text: str) -> tuple[float, float]:
    """``"1, 0"``, ``"(1, 0)"``, ``"1 0"`` or ``"1; -0.5"`` -> (x, y). Raises ``ValueError``
    with one sentence for anything else (not two numbers, not finite)."""
    raw = str(text).strip().strip("()[]").strip()
    parts = [p for p in _SPLIT.split(raw) if p]
    if len(parts) != 2:
        raise ValueError(f"a start point is two numbers x, y (e.g. 1, 0), not {str(text).strip()!r}")
    try:
        x, y = (float(p.replace("−", "-")) for p in parts)
    except ValueError:
        raise ValueError(f"a start point is two numbers x, y (e.g. 1, 0), not {str(text).strip()!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError("a start point needs finite x and y")
    return x + 0.0, y + 0.0


def format_point(x: float, y: float) -> str:
    """The exact text of a point (``repr`` of each float: typing it back gives the same point)."""
    return f"{float(x)!r}, {float(y)!r}"

"""A descent result as text a person reads: the per-run table, the summary, the short
description. ``DescentResult`` (its repr and ``summary()``) and the command line both use
these, so a notebook and a terminal say the same thing.

Points of many coordinates (a network's weights) show their first few and a count, so no
row runs to thousands of characters.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from .status import Status

__all__ = ["MAX_COORDS", "Summary", "batch_message", "counts_text", "critical_points_text",
           "fmt_number", "fmt_point", "runs_table", "short_description", "summary_text"]

#: a point with more coordinates than this shows the first few and how many there are
MAX_COORDS = 4
#: the command line and repr list at most this many critical points unless asked for all
MAX_POINTS = 10

# the order statuses and kinds are listed in (then anything else, by count)
_STATUS_ORDER = tuple(s.key for s in (Status.CONVERGED, Status.MAX_STEPS, Status.DIVERGED, Status.SINGULAR,
                                       Status.RUNNING))
_KIND_ORDER = ("minimum", "saddle", "maximum", "degenerate", "none", "unknown")


def fmt_number(v) -> str:
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


def fmt_point(p, max_coords: int = MAX_COORDS) -> str:
    vals = [float(v) for v in np.ravel(p)]
    if len(vals) <= max_coords:
        return "(" + ", ".join(fmt_number(v) for v in vals) + ")"
    head = ", ".join(fmt_number(v) for v in vals[: max_coords - 1])
    return f"({head}, … {len(vals)} values)"


def _ordered_counts(labels: Iterable[str], order: Sequence[str]) -> list[tuple[str, int]]:
    c = Counter(str(x) for x in labels)
    known = [(k, c.pop(k)) for k in order if k in c]
    return known + sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def counts_text(labels: Iterable[str], order: Sequence[str] = _STATUS_ORDER) -> str:
    """``9,800 converged, 200 max_steps``"""
    return ", ".join(f"{n:,} {k}" for k, n in _ordered_counts(labels, order)) or "none"


def runs_table(result, rows: Iterable[int]) -> str:
    """Aligned columns ``run start end value steps status critical`` for the given runs."""
    table = [("run", "start", "end", "value", "steps", "status", "critical")]
    for i in rows:
        table.append((
            str(i), fmt_point(result.starts[i]), fmt_point(result.final_points[i]),
            fmt_number(result.values[i]), str(int(result.steps[i])), str(result.status[i]),
            str(result.critical[i]),
        ))
    widths = [max(len(r[c]) for r in table) for c in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def point_labels(c) -> str:
    """What a found critical point is, honestly: the lowest found (with its equals) is not
    called the global minimum unless it is one of the preset's known global minima."""
    parts = []
    if c.best:
        parts.append("lowest found")
    if c.global_minimum is True:
        parts.append("global minimum")
    elif c.global_minimum is False and c.kind == "minimum":
        parts.append("local minimum, not global")
    return f"  ({'; '.join(parts)})" if parts else ""


def critical_points_text(result, limit: int | None = MAX_POINTS) -> str:
    """``Distinct critical points found (N):`` and one line per point (at most ``limit``)."""
    cps = result.critical_points
    out = [f"Distinct critical points found ({len(cps)}):"]
    if not cps:
        out.append("  none (no run converged; try more steps, another learning rate or --tol)")
    shown = cps if limit is None else cps[:limit]
    for c in shown:
        n = len(c.runs)
        out.append(f"  {c.kind:<10} at {fmt_point(c.point)}  value {fmt_number(c.value)}  "
                   f"reached by {n:,} run{'s' if n != 1 else ''}{point_labels(c)}")
    if len(shown) < len(cps):
        out.append(f"  … and {len(cps) - len(shown):,} more")
    return "\n".join(out)


def _settings_line(settings: dict) -> str:
    parts = []
    opt = settings.get("optimizer")
    if opt is not None:
        parts.append(opt if isinstance(opt, str) else "per-run optimizers")
    lr = settings.get("lr")
    if lr is not None:
        parts.append(f"lr {fmt_number(lr)}" if np.ndim(lr) == 0 else "per-run lr")
    if settings.get("steps") is not None:
        parts.append(f"at most {int(settings['steps']):,} steps")
    if settings.get("tol") is not None:
        parts.append(f"tol {fmt_number(settings['tol'])}")
    sched = settings.get("schedule")
    if isinstance(sched, dict) and sched.get("kind", "constant") != "constant":
        parts.append(f"schedule {sched.get('kind')}")
    return ", ".join(parts)


def summary_text(result, limit: int | None = MAX_POINTS) -> str:
    """The summary table: settings, counts by status and by kind, steps, the best point and
    the distinct critical points."""
    n = len(result.status)
    steps = np.asarray(result.steps, int)
    label = getattr(result.objective, "label", "") or result.settings.get("function", "")
    rows = [("function", label)] if label else []
    settings = _settings_line(result.settings)
    if settings:
        rows.append(("settings", settings))
    rows.append(("runs", f"{n:,}"))
    rows.append(("status", counts_text(result.status)))
    rows.append(("found", counts_text(result.critical, _KIND_ORDER)))
    if n:
        rows.append(("steps", f"median {int(np.median(steps)):,}, max {int(steps.max()):,}; "
                              f"{int(steps.sum() + n):,} gradient evaluations"))
    best = result.best
    if best is not None:
        ties = sum(1 for c in result.critical_points if c.best) - 1
        also = f" (and {ties} more of equal value)" if ties else ""
        verdict = {True: "; a global minimum", False: "; not the global minimum"}.get(best.global_minimum, "")
        rows.append(("best", f"minimum {fmt_number(best.value)} at {fmt_point(best.point)}, "
                             f"reached by {len(best.runs):,} run{'s' if len(best.runs) != 1 else ''}"
                             f"{also}{verdict}"))
    else:
        finite = np.isfinite(np.asarray(result.values, float))
        if finite.any():
            i = int(np.flatnonzero(finite)[np.argmin(np.asarray(result.values)[finite])])
            rows.append(("lowest", f"{fmt_number(result.values[i])} at "
                                   f"{fmt_point(result.final_points[i])} (run {i}; no minimum found)"))
    w = max(len(k) for k, _ in rows)
    text = "\n".join(f"{k.ljust(w)}  {v}" for k, v in rows)
    return text + "\n\n" + critical_points_text(result, limit)


class Summary(str):
    """The text of ``DescentResult.summary()``: a str that shows as the table itself (not
    quoted) when a notebook or the REPL displays it."""

    def __repr__(self) -> str:
        return str(self)


_WHAT = {"converged": "converged", "max_steps": "took the most steps allowed",
         "diverged": "diverged", "running": "are still running"}


def batch_message(status) -> str:
    """One sentence for a batch: ``1 of 2 runs converged; 1 took the most steps allowed.``"""
    counts = dict(_ordered_counts(status, _STATUS_ORDER))
    n = sum(counts.values())
    if n == 0:
        return "No runs."
    conv = counts.pop("converged", 0)
    if conv == n:
        return "The run converged." if n == 1 else f"All {n:,} runs converged."
    head = f"{conv:,} of {n:,} run{'s' if n != 1 else ''} converged"
    rest = [f"{k:,} {_WHAT.get(s, s)}" for s, k in counts.items()]
    return "; ".join([head, *rest]) + "."


def short_description(result) -> str:
    """The result's repr: how many runs of what, with which settings, the statuses and the
    best point, on one line whatever the number of runs."""
    n = len(result.status)
    what = result.settings.get("function") or getattr(result.objective, "label", "") or "an objective"
    settings = _settings_line(result.settings)
    text = f"<DescentResult: {n:,} run{'s' if n != 1 else ''} of {what}"
    if settings:
        text += f" ({settings})"
    text += f": {counts_text(result.status)}"
    best = result.best
    if best is not None:
        text += f"; best minimum {fmt_number(best.value)} at {fmt_point(best.point)}"
    return text + ">"

"""A sweep table on disk and on the terminal.

* CSV: header ``function,optimizer,lr,momentum,beta1,beta2,alpha,eps,schedule,runs,converged,
  diverged,max_steps,best_value,median_value,median_steps_to_converge,rate``, one row per
  setting in the sweep's order. A hyper-parameter that does not apply to the row's optimizer is
  an empty cell; floats are written with ``repr`` (they read back to the same double), and an
  undefined result is ``nan``, a median over diverged runs ``inf``.
* The JSON sidecar ``FILE.json`` records what reproduces the sweep: functions, domains, the
  start points themselves, the axes, steps, tolerance, the rate definition, the command line,
  the program version, and where it ran.
* Both are committed together by :mod:`gdstudio.io.atomic` (temporary files renamed into
  place only when both are complete), so a failed or cancelled write never leaves a partial
  file, never a CSV without its sidecar, and never damages an existing one.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Optional

from .. import __version__
from ..io.atomic import write_files_atomically
from ..io.trajectories import ExportError, _csv_line, _json_default, sidecar_path
from .sweep import RESULT_COLUMNS, SETTING_COLUMNS

__all__ = ["ExportError", "RATE_DEFINITION", "format_table", "read_sweep_csv", "write_sweep_csv"]

RATE_DEFINITION = (
    "median over converged runs of the geometric mean ratio of successive gradient norms "
    "||grad f(x_{t+1})|| / ||grad f(x_t)|| over the second half of the run (t0 = floor(T/2), "
    "rounded down to the sampling stride ceil(steps/256), to the run's last step T)")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_sweep_csv(path, table, metadata: Optional[dict] = None) -> None:
    """The table as CSV + JSON sidecar, committed together (:func:`gdstudio.io.atomic.
    write_files_atomically`): both appear or neither does. Raises ExportError (one sentence)."""
    path = Path(path)
    columns = list(SETTING_COLUMNS + RESULT_COLUMNS)
    text = _csv_line(columns) + "".join(
        _csv_line([_cell(r[c]) for c in columns]) for r in table.rows)
    meta = {
        "format": "gdstudio-sweep",
        "format_version": 1,
        "program": "gdstudio",
        "program_version": __version__,
        "csv": path.name,
        "columns": columns,
        "rows": len(table.rows),
        "rate": RATE_DEFINITION,
        **(metadata or {}),
    }
    write_files_atomically({
        path: text,
        sidecar_path(path): json.dumps(meta, indent=2, default=_json_default) + "\n",
    })


def read_sweep_csv(path) -> list[dict]:
    """Rows of a sweep CSV with numbers as floats/ints and empty cells as None."""
    ints = {"runs", "converged", "diverged", "max_steps"}
    text = ("function", "optimizer", "schedule")
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            r = {}
            for k, v in row.items():
                if k in text:
                    r[k] = v
                elif v == "":
                    r[k] = None
                elif k in ints:
                    r[k] = int(v)
                else:
                    r[k] = float(v)
            out.append(r)
    return out


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.4g}"
    return str(v)


def format_table(table, limit: Optional[int] = None) -> str:
    """Rows sorted by median value, aligned; setting columns shown only when they vary (the
    optimizer and lr always)."""
    rows = table.sorted()
    shown_rows = rows if limit is None else rows[:limit]
    cols = []
    for c in SETTING_COLUMNS:
        vals = {repr(r[c]) for r in table.rows}
        if c in ("optimizer", "lr") or len(vals) > 1:
            cols.append(c)
    cols += list(RESULT_COLUMNS)
    header = [c if c != "median_steps_to_converge" else "median_steps" for c in cols]
    body = [[_fmt(r[c]) for c in cols] for r in shown_rows]
    widths = [max(len(h), *(len(b[k]) for b in body)) if body else len(h) for k, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(b, widths)).rstrip() for b in body]
    if limit is not None and len(rows) > limit:
        lines.append(f"… {len(rows) - limit} more settings (all of them are in the CSV)")
    return "\n".join(lines)

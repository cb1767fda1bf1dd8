"""Frames: what the views draw at one moment, as immutable values.

A :class:`Frame` is built from the session (starts, runs, settings, selection, basin mode),
the :class:`~gdstudio.app.run_store.RunStore` (where every run is) and the critical-point
analysis, and then never changes: every array is a read-only copy, and nothing in it refers
back to live state. Clearing the starts while a frame waits to be drawn cannot change it.

Building copies what the views draw, so the caller says which costly parts it needs
(``paths``, ``curves``, ``envelope``: only the visible views').

The presentation policy lives here too: which runs are drawn (at most ``MAX_DRAWN_RUNS``,
plus the selected run), each run's colour (by basin in basin mode, by optimizer or learning
rate when comparing, else by start) and the legend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from . import colors
from ..core.optimizers import OPTIMIZERS

#: drawn trajectories / curves at most (plus the selected run)
MAX_DRAWN_RUNS = 50
#: more runs than this are drawn as envelopes in the curves view
ENVELOPE_ABOVE = 50


def _ro(a) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _freeze(a: np.ndarray) -> np.ndarray:
    """Read-only in place: for arrays the store has just made for this frame (not copied twice)."""
    a.setflags(write=False)
    return a


def drawn_runs(n: int, selected: int = -1) -> tuple[int, ...]:
    """The runs drawn as paths and curves: all of them up to ``MAX_DRAWN_RUNS``, else an
    even sample; the selected run always."""
    runs = list(range(n)) if n <= MAX_DRAWN_RUNS else sorted(set(np.linspace(0, n - 1, MAX_DRAWN_RUNS)
                                                                  .astype(int).tolist()))
    if 0 <= selected < n and selected not in runs:
        runs.append(selected)
    return tuple(runs)


def _compared(settings) -> tuple[list, list]:
    opts = [o for o in settings.compare_optimizers if o in OPTIMIZERS]
    return opts, list(settings.compare_lrs)


def _systems(settings) -> list:
    return list(getattr(settings, "compare_coordinates", ()))


def run_colors(specs, settings, basin_mode: bool, run_point: Optional[np.ndarray]) -> np.ndarray:
    """(N, 4) RGBA of every run: by basin (the critical point it reached) in basin mode, by
    optimizer or learning rate when comparing, else by start."""
    n = len(specs)
    if n == 0:
        return np.zeros((0, 4))
    opts, lrs = _compared(settings)
    if basin_mode and not (opts or lrs or _systems(settings)):
        k = np.full(n, -1) if run_point is None else np.asarray(run_point[:n], int)
        return colors.basin_array(k)
    if len(opts) > 1:
        return np.array([colors.optimizer(sp.optimizer) for sp in specs])
    if len(lrs) > 1:
        return colors.series_array([lrs.index(sp.lr) if sp.lr in lrs else 0 for sp in specs])
    systems = _systems(settings)
    if len(systems) > 1:
        return np.array([colors.system(sp.system) for sp in specs])
    return colors.series_array([sp.start for sp in specs])


def legend(settings) -> tuple:
    """(label, RGBA) of the run colours when comparing; empty otherwise."""
    opts, lrs = _compared(settings)
    if len(opts) > 1:
        return tuple((o, colors.optimizer(o)) for o in opts)
    if len(lrs) > 1:
        return tuple((f"lr {v:g}", colors.series(i)) for i, v in enumerate(lrs))
    systems = _systems(settings)
    if len(systems) > 1:
        from ..core.mixed_coordinates import SYSTEM_TITLES

        return tuple((SYSTEM_TITLES.get(c, c), colors.system(c)) for c in systems)
    return ()


@dataclass(frozen=True, eq=False)
class Frame:
    """See the module docstring. Per run (N): ``positions`` (N, 2), ``values``, ``status``,
    ``steps``, ``run_colors`` (N, 4), ``run_point`` (critical point of each run, -1 none).
    Per start (M): ``starts`` (M, 2), ``start_colors`` (M, 4). ``path_runs`` are the drawn runs;
    ``paths`` their (T, 4) x, y, f, |∇f| (when asked for), ``curves`` their (steps, values,
    grad norms), ``envelope`` the min/median/max over many runs. ``critical`` the grouped
    critical points with ``critical_colors``; ``legend`` (label, RGBA)."""

    version: int
    n_runs: int
    selected: int
    positions: np.ndarray
    values: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    starts: np.ndarray
    run_colors: np.ndarray
    start_colors: np.ndarray
    run_point: np.ndarray
    critical: tuple
    critical_colors: tuple
    legend: tuple
    path_runs: tuple
    path_colors: tuple
    paths: Optional[tuple] = None
    curves: Optional[tuple] = None
    envelope: Optional[tuple] = None


def build_frame(session, store, analysis=None, parts: Sequence[str] = ("paths", "curves", "envelope")) -> Frame:
    """A frame of ``session`` (starts, run specs, settings, selection, basin mode) with the
    runs in ``store`` and the critical points of ``analysis`` (a CriticalAnalysis or None).
    ``parts``: which of paths, curves, envelope to compute."""
    specs = session.run_specs()
    n = min(len(specs), store.n)
    specs = specs[:n]
    settings = session.settings
    run_point = (np.full(n, -1, np.int64) if analysis is None
                 else np.asarray(analysis.run_point[:n], np.int64))
    rc = run_colors(specs, settings, session.basin_mode, run_point)
    starts = session.starts
    m = starts.shape[0]
    if not session.basin_mode:
        start_colors = colors.series_array(np.arange(m))
    else:  # a start takes the colour of its first run
        start_colors = np.tile(np.asarray(colors.GREY, float), (m, 1))
        if n:
            run_start = np.fromiter((sp.start for sp in specs), np.int64, n)
            first_start, first_run = np.unique(run_start, return_index=True)
            keep = first_start < m
            start_colors[first_start[keep]] = rc[first_run[keep]]
    critical = tuple(analysis.points) if analysis is not None else ()
    crit_colors = tuple(colors.basin(k) if session.basin_mode else colors.kind_color(cp.kind)
                        for k, cp in enumerate(critical))
    drawn = drawn_runs(n, session.selected)
    paths = curves = envelope = None
    if "paths" in parts:
        # vertex budget: a few runs drawn wide (≤ 8,000 vertices in all), many with 1-pixel
        # lines (≤ 20,000): pyqtgraph rebuilds a line's path on every repaint
        k = max(1, len(drawn))
        per_run = max(64, min(2048, (8_000 if k <= 10 else 20_000) // k))
        paths = tuple(_freeze(p) for p in store.paths(drawn, per_run))
    if "curves" in parts:
        per_run = 1024 if len(drawn) <= 10 else 256
        curves = tuple(tuple(_freeze(a) for a in c) for c in store.curves(drawn, per_run))
    if "envelope" in parts and n > ENVELOPE_ABOVE and store.owned.any():
        env = store.envelopes()
        if env is not None:
            envelope = tuple(_ro(a) if not isinstance(a, tuple) else tuple(_ro(b) for b in a) for a in env)
    return Frame(
        version=int(store.version), n_runs=n, selected=session.selected,
        positions=_ro(store.pos[:n]), values=_ro(store.val[:n]), status=_ro(store.status[:n]),
        steps=_ro(store.steps[:n]), starts=_ro(starts), run_colors=_ro(rc), start_colors=_ro(start_colors),
        run_point=_ro(run_point), critical=critical, critical_colors=crit_colors, legend=legend(settings),
        path_runs=drawn, path_colors=tuple(tuple(rc[r]) for r in drawn), paths=paths, curves=curves,
        envelope=envelope,
    )

"""Inside the optimizer, for the window's selected run (no Qt): what the optimizer carries at
the run's current point (core/internals.py: −∇f, the next step, momentum's velocity, the
adaptive per-coordinate step sizes and Adam's moments), and :func:`internals_segments`, the
line segments the map and the 3D view both draw for it.

The window's runs are stepped by a worker thread that owns their optimizer state, so the
state is not read from there: the selected run is replayed alone from its start for the
steps it took (the engine is deterministic: the same start, optimizer, rate, schedule and
hyper-parameters give the same state, bit for bit), and :func:`run_internals` reads the
replay. Replays are bounded (``MAX_REPLAY_STEPS``); the caller caches by (run, step).

:func:`internals_lines` is what the point inspector lists.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ..core.internals import Carried, run_internals

__all__ = ["MAX_REPLAY_STEPS", "replay_internals", "internals_lines", "internals_segments"]

#: colours (RGB 0-255) of what the map and the 3D view draw: orange and yellow are no run's
#: colour; the velocity and m̂ are dashed on the map so they never read as a run's path (runs
#: are blue, cyan, green, lime, pink, white)
INTERNALS_COLORS = {"neg_grad": (255, 130, 50), "step": (255, 214, 40), "velocity": (150, 200, 255),
                    "effective_lr": (255, 90, 220), "m_hat": (150, 255, 120)}
INTERNALS_DASHED = ("velocity", "m_hat")
INTERNALS_LABELS = {"neg_grad": "−∇f", "step": "next step", "velocity": "velocity b",
                    "effective_lr": "step size per axis", "m_hat": "m̂ (Adam)"}
#: arrows of directions are this share of the map's larger side
ARROW_FRAC = 0.12
#: a next step shorter than this share of the map is drawn this long (with a note)
MIN_FRAC = 0.04
#: a next step shorter than MIN_FRAC / MAX_MAGNIFY of the map is not drawn (the run has arrived)
MAX_MAGNIFY = 1000.0

#: the longest replay (about 0.1-0.3 s on the numpy path): a run further along shows nothing
MAX_REPLAY_STEPS = 20_000


def replay_internals(objective, start, steps: int, optimizer: str, lr: float, hyper: dict, schedule=None,
                     max_steps: int = 1000, tol: float = 1e-6,
                     domain=None, check=None, coordinates: str = "cartesian",
                     gradient: str = "metric") -> Optional[tuple[np.ndarray, list[Carried]]]:
    """(the run's point after ``steps`` steps, what its optimizer carries there), or None when
    ``steps`` is beyond ``MAX_REPLAY_STEPS`` or the run left the finite numbers. ``check``
    (if given) is called between blocks of steps: a background job's cancellation check. A
    polar run (``coordinates="polar"``) is replayed in polar coordinates; its point and
    internals are in x, y (core/internals.py)."""
    from ..core.runner import BatchDescent

    steps = int(steps)
    if steps > MAX_REPLAY_STEPS:
        return None
    P = np.asarray(start, float).reshape(1, -1)
    if coordinates == "polar":
        from ..core.coordinates import PolarDescent

        batch = PolarDescent(objective, P, optimizer=optimizer, lr=lr, schedule=schedule, max_steps=max_steps,
                             tol=tol, domain=domain, gradient=gradient, **hyper)
    else:
        batch = BatchDescent(objective, P, optimizer=optimizer, lr=lr, schedule=schedule, max_steps=max_steps,
                             tol=tol, domain=domain, use_fused=False, **hyper)
    while batch.step < steps and not batch.done:
        if check is not None:
            check()
        batch.advance(min(500, steps - batch.step), record=False)
    p = batch.points[0].copy()
    if not np.all(np.isfinite(p)):
        return None
    with np.errstate(all="ignore"):
        carried = run_internals(batch, 0)
    return p, carried


def _fmt(v: float) -> str:
    return f"{float(v) + 0.0:.4g}"  # + 0.0: never "-0"


def internals_lines(carried: list[Carried], names=("x", "y")) -> list[tuple[str, str]]:
    """(label, value) rows for the point inspector: each carried quantity per coordinate."""
    rows = []
    for c in carried:
        v = np.asarray(c.value, float).ravel()
        rows.append((c.label, "(" + ", ".join(_fmt(a) for a in v) + ")"))
    return rows


def _arrow(p, v, head_frac=0.28) -> np.ndarray:
    """Segments (pairs of points, NaN-free) of an arrow from p along v."""
    p = np.asarray(p, float)
    v = np.asarray(v, float)
    L = float(np.hypot(*v))
    if not (L > 0 and math.isfinite(L)):
        return np.empty((0, 2))
    q = p + v
    u = v / L
    h = head_frac * L
    c, s = math.cos(math.radians(25)), math.sin(math.radians(25))
    w1 = np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]])
    w2 = np.array([c * u[0] + s * u[1], -s * u[0] + c * u[1]])
    return np.array([p, q, q, q - h * w1, q, q - h * w2])


def internals_segments(point, carried: list[Carried], domain) -> tuple[dict, str]:
    """(segments by key, note): what a view draws for ``carried`` at ``point`` on a map of
    ``domain``, as (2k, 2) arrays of x, y segment end points (pairs), keys of
    core/internals.py:

    * ``neg_grad``: −∇f, its direction, ``ARROW_FRAC`` of the map long (not drawn, like the
      velocity and m̂, once the run has arrived: see ``step``);
    * ``step``: the next step at its true length (at least ``MIN_FRAC`` of the map; the note
      then says the magnification, e.g. ``next step ×12``; not drawn when it would need more
      than ``MAX_MAGNIFY``: the run has arrived);
    * ``velocity``: momentum's buffer, scaled like −∇f relative to ‖∇f‖ (a velocity larger
      than the gradient is drawn longer);
    * ``m_hat``: against Adam's m̂ (the way the step goes), 0.7 of −∇f's length;
    * ``effective_lr``: the per-coordinate step sizes as two bars crossing at the point, along
      each component's axis (x and y, or r̂ and θ̂ for a polar run), the larger half of
      ``ARROW_FRAC`` long."""
    (xa, xb), (ya, yb) = domain
    span = max(xb - xa, yb - ya)
    point = np.asarray(point, float)
    by = {c.key: c for c in carried}
    val = {k: np.asarray(c.value, float) for k, c in by.items()}
    segs: dict = {}
    step = val.get("step")
    note = ""
    arrived = False
    if step is not None and np.all(np.isfinite(step)):
        L = float(np.hypot(*step))
        k = MIN_FRAC * span / L if 0 < L < MIN_FRAC * span else 1.0
        if 0 < L and k <= MAX_MAGNIFY:  # a step a thousand times too short to see is ~0
            if k > 1.0:
                note = f"next step ×{k:.3g}"
            segs["step"] = _arrow(point, step * k)
        else:
            arrived = True
    # Once the run has arrived, −∇f, the velocity and m̂ are vanishing vectors whose direction
    # is rounding noise: drawn at full length they would point somewhere arbitrary.
    g = val.get("neg_grad")
    gn = float(np.hypot(*g)) if g is not None else 0.0
    if g is not None and gn > 0 and math.isfinite(gn) and not arrived:
        segs["neg_grad"] = _arrow(point, g / gn * ARROW_FRAC * span)
    b = val.get("velocity")
    if b is not None and np.all(np.isfinite(b)) and gn > 0 and not arrived:
        segs["velocity"] = _arrow(point, b / gn * ARROW_FRAC * span)
    m = val.get("m_hat")
    if m is not None and np.all(np.isfinite(m)) and not arrived:
        mn = float(np.hypot(*m))
        if mn > 0:
            segs["m_hat"] = _arrow(point, -m / mn * 0.7 * ARROW_FRAC * span)
    e = val.get("effective_lr")
    if e is not None and np.all(np.isfinite(e)) and float(np.max(e)) > 0:
        axes = by["effective_lr"].axes
        axes = np.eye(2) if axes is None else np.asarray(axes, float)
        half = e / float(np.max(e)) * 0.5 * ARROW_FRAC * span
        segs["effective_lr"] = np.array([point - half[0] * axes[0], point + half[0] * axes[0],
                                         point - half[1] * axes[1], point + half[1] * axes[1]])
    return {k: v for k, v in segs.items() if len(v)}, note

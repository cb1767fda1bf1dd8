"""Loss landscapes on a plane, computed in row blocks anywhere: in-process or over a Dask
cluster. The command line (``gdstudio landscape``) and the studio's network panel use this.

1. :func:`training_path`: descent from one start, recorded (the path the plane must show).
2. :func:`make_plane`: the plane through the final point: the two PCA directions of the path
   (Li et al. 2018), two filter-normalised random directions, or two chosen weights (a slice);
   with the path's coordinates in it, the explained variance (PCA) and a domain around it.
3. :func:`landscape_grid`: Z[i, j] = f(xs[i], ys[j]) in row blocks
   (:func:`gdstudio.core.models.landscape.compute_landscape` on each block). The blocks are
   fixed by the grid and the objective alone, and a task is a run of whole blocks, so every
   point is evaluated in the same batch wherever it runs: the grid is identical bit for bit
   in-process and on any number of workers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .executors import Executor, InProcessExecutor

__all__ = ["LandscapeError", "Plane", "landscape_grid", "make_plane", "plane_domain",
           "training_path", "write_landscape_npz"]

#: points one block evaluates at once, unless the objective says otherwise (max_batch_runs)
BLOCK_POINTS = 8192
#: points a distributed task aims at (several blocks): about a quarter of a second for a
#: 337-weight network on 500 points
TASK_POINTS = 8192


class LandscapeError(ValueError):
    """A landscape that cannot be computed as asked; ``str()`` is one sentence."""


def plane_domain(coords: np.ndarray, random: bool) -> tuple:
    """A box around the projected path (15% margin); random planes also show [-1, 1]²
    (the filter-normalised scale of Li et al.). The aspect stays within 1:3."""
    coords = np.asarray(coords, float)
    lo = coords.min(axis=0)
    hi = coords.max(axis=0)
    span = float(max(np.max(hi - lo), 1e-3))
    pad = 0.15 * span
    lo, hi = lo - pad, hi + pad
    if random:
        lo, hi = np.minimum(lo, -1.0), np.maximum(hi, 1.0)
    w = hi - lo
    need = w.max() / 3.0
    for k in range(2):
        if w[k] < need:
            c = 0.5 * (lo[k] + hi[k])
            lo[k], hi[k] = c - need / 2, c + need / 2
    return ((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))


def training_path(objective, start, optimizer: str = "adam", lr=None, steps: int = 500,
                  tol: float = 0.0, **hyper) -> np.ndarray:
    """The recorded path (T, d) of one descent from ``start``, start to end."""
    from ..core.api import descend

    r = descend(objective, np.asarray(start, float).reshape(1, -1), optimizer=optimizer, lr=lr,
                steps=steps, tol=tol, record=True, **hyper)
    return np.asarray(r.trajectories[0], float)


@dataclass
class Plane:
    """A 2-D view of the objective: ``objective`` (2-D), the path's coordinates in it (T, 2),
    the share of the path's variance each direction explains (PCA) or None, the domain, the
    axis names, and how it was chosen."""

    objective: object
    coords: np.ndarray
    explained: Optional[np.ndarray]
    domain: tuple
    names: tuple
    kind: str
    origin: Optional[np.ndarray] = None
    directions: Optional[np.ndarray] = None  # (2, d) for a plane
    extra: dict = field(default_factory=dict)


def make_plane(objective, path: np.ndarray, plane: str = "pca", seed: int = 0) -> Plane:
    """The plane through the path's last point: ``"pca"``, ``"random"`` or
    ``"weights:NAME,NAME"`` (two parameter names or indices). A 2-parameter objective is shown
    as it is whatever ``plane`` says (its own coordinates are the plane)."""
    from ..core.models.landscape import (PlaneObjective, SliceObjective, pca_directions, project,
                                         random_directions)

    path = np.atleast_2d(np.asarray(path, float))
    final = path[-1]
    d = objective.dim
    kind = str(plane).strip()
    if d == 2:
        return Plane(objective, path.copy(), None, plane_domain(path, False), tuple(objective.names),
                     "function")
    if kind == "pca":
        d1, d2, explained = pca_directions(path)
        names = ("PC1", "PC2")
    elif kind == "random":
        d1, d2 = random_directions(objective, final, seed=seed)
        explained = None
        names = ("α", "β")
    elif kind.startswith("weights:"):
        pair = [p.strip() for p in _split_pair(kind[len("weights:"):])]
        if len(pair) != 2 or not all(pair):
            raise LandscapeError(f"--plane weights: needs two weights, e.g. weights:W1[0,0],W1[0,1]; got {kind!r}")
        idx = [int(p) if p.isdigit() else p for p in pair]
        try:
            sl = SliceObjective(objective, final, idx[0], idx[1])
        except ValueError as err:
            raise LandscapeError(str(err)) from None
        coords = path[:, [sl.i, sl.j]]
        dom = plane_domain(np.vstack([coords, np.array(sl.default_domain).T]), False)
        sl = SliceObjective(objective, final, sl.i, sl.j, domain=dom)
        return Plane(sl, coords, None, dom, tuple(sl.names), "weights", final.copy(),
                     sl._D.copy(), {"weights": list(sl.names)})
    else:
        raise LandscapeError(f"unknown plane {plane!r}; use pca, random or weights:NAME,NAME")
    coords = project(path, final, d1, d2)
    dom = plane_domain(coords, kind == "random")
    pobj = PlaneObjective(objective, final, d1, d2, names=names, domain=dom)
    return Plane(pobj, coords, explained, dom, names, kind, final.copy(), np.vstack([d1, d2]))


def _split_pair(text: str) -> list[str]:
    """Two names separated by the comma that is not inside brackets: W1[0,0],W1[0,1]."""
    depth, cut = 0, None
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            if cut is not None:
                return []
            cut = i
    return [text] if cut is None else [text[:cut], text[cut + 1:]]


def block_rows(objective, ny: int) -> int:
    """Rows per block: the same rule as compute_landscape, from the objective and ny only."""
    budget = int(getattr(objective, "max_batch_runs", BLOCK_POINTS) or BLOCK_POINTS)
    return max(1, budget // max(1, ny))


def _landscape_task(shared: dict, item: tuple, cancel=None):
    from ..core.models.landscape import compute_landscape

    r0, r1 = item
    return compute_landscape(shared["objective"], shared["xs"][r0:r1], shared["ys"], cancel=cancel,
                             block_points=shared["block_points"])


def landscape_grid(objective, xs, ys, executor: Optional[Executor] = None,
                   progress: Optional[Callable[[float], None]] = None,
                   cancel: Optional[Callable[[], bool]] = None) -> np.ndarray:
    """Z (len(xs), len(ys)) with Z[i, j] = f(xs[i], ys[j]) (``indexing="ij"``), the objective's
    full-data value, in row blocks on ``executor`` (default in-process). Raises
    :class:`~gdstudio.app.executors.Cancelled` when ``cancel()`` returns True."""
    from .executors import Cancelled

    xs = np.asarray(xs, float).ravel()
    ys = np.asarray(ys, float).ravel()
    nx, ny = xs.size, ys.size
    rows = block_rows(objective, ny)
    blocks = [(r0, min(nx, r0 + rows)) for r0 in range(0, nx, rows)]
    executor = executor or InProcessExecutor()
    per_task = max(1, TASK_POINTS // max(1, rows * ny))
    if not isinstance(executor, InProcessExecutor):
        per_task = min(per_task, max(1, len(blocks) // (8 * executor.workers)))
    tasks = [(blocks[i][0], blocks[min(len(blocks), i + per_task) - 1][1])
             for i in range(0, len(blocks), per_task)]
    shared = {"objective": objective, "xs": xs, "ys": ys, "block_points": rows * ny}
    Z = np.empty((nx, ny))
    done = 0
    for i, part in executor.run(_landscape_task, shared, tasks, cancel):
        if part is None:
            raise Cancelled()
        r0, r1 = tasks[i]
        Z[r0:r1] = part
        done += r1 - r0
        if progress is not None:
            progress(done / max(1, nx))
    return Z


def write_landscape_npz(path, xs, ys, Z, plane: Plane, path_values: np.ndarray,
                        metadata: dict) -> None:
    """``xs, ys, loss`` (the grid, Z[i, j] at (xs[i], ys[j])), ``path`` (T, 2) and
    ``path_loss`` (T,), ``explained`` (2,; nan unless PCA), ``origin`` and ``directions`` (the
    plane in parameter space; empty for a 2-D function), ``axis_names``, and ``metadata`` (a
    JSON string: everything that reproduces it). Written to a temporary file and renamed, so an
    existing file is replaced only by a complete one."""
    import io

    from ..io.atomic import write_files_atomically

    arrays = dict(
        xs=np.asarray(xs, float), ys=np.asarray(ys, float), loss=np.asarray(Z, float),
        path=np.asarray(plane.coords, float), path_loss=np.asarray(path_values, float),
        explained=np.full(2, np.nan) if plane.explained is None else np.asarray(plane.explained, float),
        origin=np.zeros(0) if plane.origin is None else plane.origin,
        directions=np.zeros((0, 0)) if plane.directions is None else plane.directions,
        axis_names=np.array(plane.names, dtype=str),
        metadata=np.array(json.dumps(metadata, default=_jsonable)),
    )
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    write_files_atomically({Path(path): buf.getvalue()})


def _jsonable(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__}")


def grid_axes(domain, n: int) -> tuple[np.ndarray, np.ndarray]:
    (xa, xb), (ya, yb) = domain
    return np.linspace(xa, xb, int(n)), np.linspace(ya, yb, int(n))


def path_values(plane: Plane) -> np.ndarray:
    """The full-data loss along the path's coordinates in the plane."""
    fv = getattr(plane.objective, "full_value", None)
    fn = fv if callable(fv) else plane.objective.value
    with np.errstate(all="ignore"):
        return np.asarray(fn(plane.coords), float)

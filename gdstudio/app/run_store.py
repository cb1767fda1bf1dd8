"""What the views draw: the runs of the current experiment, accumulated from chunks with
bounded memory. No Qt in this module (it is tested without a display).

Two kinds of run share one index space:

* **batch runs** (0 .. m-1): stepped together by the worker; chunks arrive in step order.
* **instant runs**: a start that was clicked or dragged; its whole trajectory comes at once
  from :func:`gdstudio.descend` (fast for one run) and replaces whatever the batch had for
  that index (the batch's later columns for it are ignored).

Memory, for drawing: each run keeps at most ``cap`` samples (x, y, f, |∇f|) as float32.
Batch runs advance in lockstep, so they share one stride: sample k is step k·stride. When the
buffer fills, every other sample is dropped and the stride doubles (the classic bounded
"stride doubling" decimation), so a run of any length is drawn with between cap/2 and cap
vertices plus its exact current point. ``cap`` shrinks with the number of runs so the draw
buffer stays under ``draw_budget`` bytes (8 MB: 1,000 runs × 512 samples × 16 B = 8 MB; one
run keeps 2,048). Halving copies the buffer once, so a small buffer also keeps that hiccup
short (about 4 ms for 1,000 runs).

For export, the chunks themselves (read-only, shared with the worker's message, no copy) are
kept while they fit ``full_budget`` bytes (200 MB). Beyond that they are dropped
(``full_complete`` becomes False) and an export replays the deterministic descent from the
same starts and settings straight into the streaming CSV writer (see controller).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

DRAW_BUDGET = 8 * 1024 * 1024
FULL_BUDGET = 200 * 1024 * 1024
MAX_CAP = 2048
MIN_CAP = 64
#: envelope resolution (rows) in the curves view
ENVELOPE_ROWS = 256

from ..core.status import DIVERGED, RUNNING


def _cap_for(n: int, budget: int) -> int:
    cap = budget // max(1, n * 16)
    cap = int(2 ** int(np.floor(np.log2(max(cap, MIN_CAP)))))
    return int(min(MAX_CAP, max(MIN_CAP, cap)))


class RunStore:
    def __init__(self, draw_budget: int = DRAW_BUDGET, full_budget: int = FULL_BUDGET):
        self.draw_budget = int(draw_budget)
        self.full_budget = int(full_budget)
        self.reset(np.empty((0, 2)))

    # -- set-up ---------------------------------------------------------------------------
    def reset(self, starts, values=None, grads=None) -> None:
        """A new experiment: every run sits at its start (step 0)."""
        P = np.asarray(starts, float).reshape(-1, 2) if np.size(starts) else np.empty((0, 2))
        n = P.shape[0]
        self.n = n
        self.cap = _cap_for(max(n, 1), self.draw_budget)
        self.starts = P.copy()
        self.samples = np.full((n, self.cap, 4), np.nan, np.float32)
        self.n_samples = np.zeros(n, np.int64)  # valid sample rows per run
        self.stride = np.ones(n, np.int64)
        self.pos = P.copy()
        #: (N, 3) x, y, f one step before the current point (for the 3D "one step" arrow)
        self.prev = np.full((n, 3), np.nan)
        self.val = np.full(n, np.nan) if values is None else np.asarray(values, float).copy()
        self.grad = np.full((n, 2), np.nan) if grads is None else np.asarray(grads, float).reshape(n, 2).copy()
        self.status = np.zeros(n, np.int8)
        self.steps = np.zeros(n, np.int64)
        self.owned = np.zeros(n, bool)  # driven by the batch
        self.batch_size = 0
        self.batch_stride = 1
        self.batch_step = 0
        self.full_chunks: list = []
        self.full_bytes = 0
        self.full_complete = True
        self.instant: dict[int, object] = {}  # run -> DescentResult with trajectories
        self.version = 0  # bumps on every change (views redraw when it moved)
        self._layout = getattr(self, "_layout", 0) + 1  # bumps when cached envelopes go stale
        if n:
            self._write_start_samples(np.arange(n))

    def _write_start_samples(self, rows: np.ndarray) -> None:
        self.samples[rows] = np.nan
        self.samples[rows, 0, 0:2] = self.starts[rows]
        self.samples[rows, 0, 2] = self.val[rows]
        self.samples[rows, 0, 3] = np.linalg.norm(self.grad[rows], axis=1)
        self.n_samples[rows] = 1
        self.stride[rows] = 1

    def _grow(self, extra: int) -> None:
        n = self.n + extra
        cap = self.cap
        if _cap_for(n, self.draw_budget) < cap:
            # keep the buffer within budget: halve the history of every run first
            self._halve(np.arange(self.n))
            self.batch_stride *= 2
            cap = self.cap // 2
            self.samples = np.ascontiguousarray(self.samples[:, :cap])
            self.cap = cap
        pad = lambda a, fill, shape: np.concatenate([a, np.full((extra,) + shape, fill, a.dtype)])
        self.samples = pad(self.samples, np.nan, (cap, 4))
        self.n_samples = pad(self.n_samples, 0, ())
        self.stride = pad(self.stride, 1, ())
        self.starts = pad(self.starts, np.nan, (2,))
        self.pos = pad(self.pos, np.nan, (2,))
        self.prev = pad(self.prev, np.nan, (3,))
        self.val = pad(self.val, np.nan, ())
        self.grad = pad(self.grad, np.nan, (2,))
        self.status = pad(self.status, 0, ())
        self.steps = pad(self.steps, 0, ())
        self.owned = pad(self.owned, False, ())
        self.n = n
        self._layout += 1

    def _halve(self, rows) -> None:
        """Drop every other sample of ``rows`` (an index array or a slice); their stride
        doubles."""
        if isinstance(rows, np.ndarray) and rows.size == self.n and self.n and rows[0] == 0 and rows[-1] == self.n - 1:
            rows = slice(None)
        if isinstance(rows, np.ndarray) and rows.size == 0:
            return
        kept = self.samples[rows, ::2].copy()
        w = kept.shape[1]
        self.samples[rows, :w] = kept
        self.samples[rows, w:] = np.nan
        self.n_samples[rows] = (self.n_samples[rows] + 1) // 2
        self.stride[rows] *= 2

    # -- the batch -----------------------------------------------------------------------
    def begin_batch(self, m: int, values, grads) -> None:
        """Runs 0..m-1 become batch runs at step 0 (with their initial values)."""
        rows = np.arange(m)
        self.val[rows] = values
        self.grad[rows] = grads
        self.pos[rows] = self.starts[rows]
        self.status[rows] = RUNNING
        self.steps[rows] = 0
        self.owned[:] = False
        self.owned[rows] = True
        for r in list(self.instant):
            if r < m:
                del self.instant[r]
        self.batch_size = m
        self._layout += 1
        self.batch_stride = 1
        self.batch_step = 0
        self._write_start_samples(rows)
        self.full_chunks = []
        self.full_bytes = 0
        self.full_complete = True
        self.version += 1

    @np.errstate(over="ignore")  # values beyond float32 are drawn as off the chart (inf)
    def ingest(self, chunk) -> None:
        """Add a chunk of the batch (points (k, m, 2), values (k, m), grads (k, m, 2))."""
        k = chunk.points.shape[0]
        m = self.batch_size
        if chunk.points.shape[1] != m:
            raise ValueError("chunk does not belong to this batch")
        if self.full_complete:
            nbytes = chunk.points.nbytes + chunk.values.nbytes + chunk.grads.nbytes
            if self.full_bytes + nbytes <= self.full_budget:
                self.full_chunks.append(chunk)
                self.full_bytes += nbytes
            else:
                self.full_chunks = []
                self.full_bytes = 0
                self.full_complete = False
        all_owned = bool(self.owned[:m].all())
        cols = slice(0, m) if all_owned else np.flatnonzero(self.owned[:m])
        ncols = m if all_owned else cols.size
        if k:
            self.batch_step = chunk.first_step + k - 1
        if k and ncols:
            steps = np.arange(chunk.first_step, chunk.first_step + k)
            while True:
                sel = np.flatnonzero(steps % self.batch_stride == 0)
                if sel.size == 0 or steps[sel[-1]] // self.batch_stride < self.cap:
                    break
                self._halve(slice(0, m) if all_owned else cols)
                self.batch_stride *= 2
            if sel.size:
                a = int(steps[sel[0]] // self.batch_stride)
                b = a + sel.size  # the kept steps are consecutive multiples of the stride
                if sel.size == k:
                    P, F, G = chunk.points, chunk.values, chunk.grads
                else:
                    P, F, G = chunk.points[sel], chunk.values[sel], chunk.grads[sel]
                if all_owned:
                    dst = self.samples[:m, a:b]
                    dst[:, :, 0:2] = P.transpose(1, 0, 2)
                    dst[:, :, 2] = F.T
                    dst[:, :, 3] = np.sqrt(np.einsum("scd,scd->cs", G, G))
                else:
                    block = np.empty((ncols, sel.size, 4), np.float32)
                    block[:, :, 0:2] = P[:, cols].transpose(1, 0, 2)
                    block[:, :, 2] = F[:, cols].T
                    Gc = G[:, cols]
                    block[:, :, 3] = np.sqrt(np.einsum("scd,scd->cs", Gc, Gc))
                    self.samples[cols, a:b] = block
                self.n_samples[cols] = b
            self.stride[cols] = self.batch_stride
            if k >= 2:
                self.prev[cols, 0:2] = chunk.points[-2][cols]
                self.prev[cols, 2] = chunk.values[-2][cols]
            else:
                self.prev[cols, 0:2] = self.pos[cols]
                self.prev[cols, 2] = self.val[cols]
            self.pos[cols] = chunk.points[-1][cols]
            self.val[cols] = chunk.values[-1][cols]
            self.grad[cols] = chunk.grads[-1][cols]
        if ncols:
            self.status[cols] = chunk.status[cols]
            self.steps[cols] = chunk.steps[cols]
        self.version += 1

    # -- instant runs --------------------------------------------------------------------
    def add_runs(self, starts, values, grads) -> np.ndarray:
        """Append runs at step 0; returns their indices."""
        P = np.asarray(starts, float).reshape(-1, 2)
        first = self.n
        self._grow(P.shape[0])
        rows = np.arange(first, self.n)
        self.starts[rows] = P
        self.pos[rows] = P
        self.val[rows] = values
        self.grad[rows] = np.asarray(grads, float).reshape(-1, 2)
        self._write_start_samples(rows)
        self.version += 1
        return rows

    def set_instant(self, run: int, result, status_code: int) -> None:
        """Replace run ``run`` by a complete one-run DescentResult (trajectories recorded)."""
        traj = result.trajectories[0]
        vals = result.trajectory_values[0]
        grads = result.trajectory_grads[0]
        T = traj.shape[0]
        stride = max(1, int(np.ceil(T / self.cap)))
        idx = np.arange(0, T, stride)
        self.owned[run] = False
        self._layout += 1
        self.instant[run] = result
        self.starts[run] = traj[0]
        self.samples[run] = np.nan
        s = self.samples[run]
        s[: idx.size, 0:2] = traj[idx]
        s[: idx.size, 2] = vals[idx]
        s[: idx.size, 3] = np.linalg.norm(grads[idx], axis=1)
        self.n_samples[run] = idx.size
        self.stride[run] = stride
        self.pos[run] = traj[-1]
        self.prev[run] = (*traj[-2], vals[-2]) if T >= 2 else np.nan
        self.val[run] = vals[-1]
        self.grad[run] = grads[-1]
        self.steps[run] = T - 1
        self.status[run] = status_code
        self.version += 1

    def move_start(self, run: int, x: float, y: float, value: float, grad) -> None:
        """A start moved and has no trajectory yet (not started)."""
        self.owned[run] = False
        self._layout += 1
        self.instant.pop(run, None)
        self.starts[run] = (x, y)
        self.pos[run] = (x, y)
        self.val[run] = value
        self.grad[run] = grad
        self.steps[run] = 0
        self.status[run] = RUNNING
        self._write_start_samples(np.array([run]))
        self.version += 1

    # -- reading -------------------------------------------------------------------------
    def _thin(self, n: int, max_vertices: int) -> Optional[np.ndarray]:
        """Increasing indices of ``max_vertices`` of ``n`` rows, first and last kept (None: all)."""
        if n <= max_vertices:
            return None
        return (np.arange(max_vertices) * ((n - 1) / (max_vertices - 1))).round().astype(np.int64)

    def path(self, run: int, max_vertices: int = MAX_CAP) -> np.ndarray:
        """(T, 4) float array x, y, f, |∇f| of the run's decimated trajectory, starting at its
        exact start and ending at its exact current point."""
        return self.paths([run], max_vertices)[0]

    def curve(self, run: int, max_vertices: int = MAX_CAP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, values, grad norms) for the loss plot."""
        return self.curves([run], max_vertices)[0]

    def _alike(self, runs) -> list[tuple[np.ndarray, int, bool]]:
        """``runs`` grouped by their sample layout: (runs, sampled rows n, whether the newest
        sample is the current step). The runs of a batch share one layout, so building a
        frame reads their samples with one fancy index instead of one call per run."""
        runs = np.asarray(runs, np.int64)
        if not runs.size:
            return []
        n = self.n_samples[runs].copy()
        own = self.owned[runs]
        stride = self.stride[runs].astype(np.int64)
        steps = self.steps[runs].astype(np.int64)
        n[own] = np.minimum(n[own], steps[own] // stride[own] + 1)
        at_current = (n > 0) & ((n - 1) * stride == steps)
        keys = np.stack([n, stride, at_current], axis=1)
        groups, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        return [(runs[inverse == g], int(k[0]), bool(k[2])) for g, k in enumerate(groups)]

    def _current(self, group: np.ndarray) -> np.ndarray:
        """(len(group), 4) x, y, f, |∇f| now (|∇f| by math.hypot, as ``path`` and ``curve``)."""
        cur = np.empty((group.size, 4))
        cur[:, 0:2] = self.pos[group]
        cur[:, 2] = self.val[group]
        cur[:, 3] = [math.hypot(gx, gy) for gx, gy in self.grad[group].tolist()]
        return cur

    def paths(self, runs, max_vertices: int = MAX_CAP) -> list[np.ndarray]:
        """``path`` of each of ``runs``, read a sample layout at a time."""
        out: dict[int, np.ndarray] = {}
        for group, n, at_current in self._alike(runs):
            # the samples, the newest replaced by (or followed by) the exact current point
            m = n if at_current else n + 1
            rows = np.empty((group.size, m, 4))
            rows[:, :n] = self.samples[group, :n]
            if not (at_current and n == 1):
                rows[:, m - 1] = self._current(group)
            if n:
                rows[:, 0, 0:2] = self.starts[group]  # exact (samples are float32)
            keep = self._thin(m, max_vertices)
            if keep is not None:
                rows = rows[:, keep]
            out.update(zip(group.tolist(), rows))
        return [out[int(r)] for r in runs]

    def curves(self, runs, max_vertices: int = MAX_CAP) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``curve`` of each of ``runs``, read a sample layout at a time."""
        out: dict[int, tuple] = {}
        for group, n, at_current in self._alike(runs):
            m = n if at_current else n + 1
            v = np.empty((group.size, m))
            g = np.empty((group.size, m))
            v[:, :n] = self.samples[group, :n, 2]
            g[:, :n] = self.samples[group, :n, 3]
            if not at_current:
                cur = self._current(group)
                v[:, n], g[:, n] = cur[:, 2], cur[:, 3]
            keep = self._thin(m, max_vertices)
            index = np.arange(m, dtype=float) if keep is None else keep.astype(float)
            if keep is not None:
                v, g = v[:, keep], g[:, keep]
            stride = float(self.stride[group[0]])
            for i, r in enumerate(group.tolist()):
                steps = index * stride
                if not at_current:
                    steps[-1] = float(self.steps[r])  # the last vertex is kept by any thinning
                out[r] = (steps, v[i], g[i])
        return [out[int(r)] for r in runs]

    def envelopes(self, max_rows: int = ENVELOPE_ROWS):
        """Min / median / max of value and of |∇f| over all batch runs (stopped runs carry
        their last value) at up to ``max_rows`` steps: (steps, vmin, vmed, vmax,
        (gmin, gmed, gmax)). Incremental: a sample row never changes once written
        (halving keeps every other row), so each call reduces only the rows added since the
        previous one; the row spacing doubles when more than ``max_rows`` would be needed."""
        owned = self.owned
        key = (int(owned.sum()), self.batch_size, self._layout)
        if key[0] == 0:
            return None
        cols = np.flatnonzero(owned)
        n = int(self.n_samples[cols].max())  # sample rows 0..n-1 exist
        if n == 0:
            return None
        r = 1  # envelope row j is sample row j·r
        while (n - 1) // r + 1 > max_rows:
            r *= 2
        spacing = r * self.batch_stride  # in steps
        cache = getattr(self, "_env", None)
        if cache is None or cache["key"] != key or spacing < cache["spacing"]:
            cache = self._env = {"key": key, "rows": np.full((max_rows + 1, 6), np.nan), "n": 0,
                                 "spacing": spacing}
        if cache["spacing"] != spacing:
            f = spacing // cache["spacing"]
            kept = cache["rows"][: cache["n"]: f].copy()
            cache["rows"][:] = np.nan
            cache["rows"][: kept.shape[0]] = kept
            cache["n"] = kept.shape[0]
            cache["spacing"] = spacing
        m = (n - 1) // r + 1
        # the newest envelope row may sit on a sample that is still the latest: redo it
        start = max(0, min(cache["n"], m) - 1)
        if m > start:
            idx = np.arange(start, m) * r
            all_owned = cols.size == self.n
            block = self.samples[:, idx, 2:4] if all_owned else self.samples[np.ix_(cols, idx, [2, 3])]
            block = np.ascontiguousarray(block.transpose(1, 2, 0))  # runs last: fast reductions
            with np.errstate(all="ignore"), _quiet():
                if np.isnan(block).any():
                    lo, med, hi = np.nanmin(block, -1), np.nanmedian(block, -1), np.nanmax(block, -1)
                else:
                    lo, med, hi = block.min(-1), _median_last(block), block.max(-1)
            rows = cache["rows"]
            rows[start:m, 0], rows[start:m, 1], rows[start:m, 2] = lo[:, 0], med[:, 0], hi[:, 0]
            rows[start:m, 3], rows[start:m, 4], rows[start:m, 5] = lo[:, 1], med[:, 1], hi[:, 1]
            cache["n"] = m
        rows = cache["rows"][:m]
        steps = np.arange(m, dtype=float) * spacing
        return steps, rows[:, 0], rows[:, 1], rows[:, 2], (rows[:, 3], rows[:, 4], rows[:, 5])

    def best(self) -> tuple[float, Optional[tuple]]:
        """(value, (x, y)) of the lowest current value among runs that have not diverged and
        are finite; (nan, None) when there is none. A diverged run's huge value is no "best"."""
        if self.n == 0:
            return float("nan"), None
        with np.errstate(all="ignore"):
            ok = np.isfinite(self.val) & (self.status != DIVERGED) & np.isfinite(self.pos).all(axis=1)
        if not ok.any():
            return float("nan"), None
        k = int(np.flatnonzero(ok)[np.argmin(self.val[ok])])
        return float(self.val[k]), (float(self.pos[k, 0]), float(self.pos[k, 1]))

    def last_step(self, run: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """Run ``run``'s last step as ((x, y, f) before, (x, y, f) after), or None before its
        first step or when either end is not finite."""
        if not 0 <= run < self.n or self.steps[run] < 1:
            return None
        a = self.prev[run]
        b = np.array([*self.pos[run], self.val[run]])
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            return None
        return a, b

    def nbytes(self) -> int:
        return int(self.samples.nbytes + self.full_bytes)


def _median_last(a: np.ndarray) -> np.ndarray:
    """Median along the last axis by one partition (np.median is ~15x slower here)."""
    n = a.shape[-1]
    k = n // 2
    if n % 2:
        return np.partition(a, k, axis=-1)[..., k]
    p = np.partition(a, (k - 1, k), axis=-1)
    return (p[..., k - 1].astype(float) + p[..., k]) / 2


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)

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
buffer stays under ``draw_budget`` bytes (64 MB: 1,000 runs × 2,048 samples × 16 B = 33 MB).

For export, the chunks themselves (read-only, shared with the worker's message, no copy) are
kept while they fit ``full_budget`` bytes (200 MB). Beyond that they are dropped
(``full_complete`` becomes False) and an export replays the deterministic descent from the
same starts and settings straight into the streaming CSV writer (see controller).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

DRAW_BUDGET = 64 * 1024 * 1024
FULL_BUDGET = 200 * 1024 * 1024
MAX_CAP = 2048
MIN_CAP = 64

RUNNING, CONVERGED, DIVERGED, MAX_STEPS = 0, 1, 2, 3


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
        self.val = pad(self.val, np.nan, ())
        self.grad = pad(self.grad, np.nan, (2,))
        self.status = pad(self.status, 0, ())
        self.steps = pad(self.steps, 0, ())
        self.owned = pad(self.owned, False, ())
        self.n = n

    def _halve(self, rows: np.ndarray) -> None:
        """Drop every other sample of ``rows`` (their stride doubles)."""
        if rows.size == 0:
            return
        kept = self.samples[rows, ::2]
        self.samples[rows, : kept.shape[1]] = kept
        self.samples[rows, kept.shape[1]:] = np.nan
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
        self.batch_stride = 1
        self.batch_step = 0
        self._write_start_samples(rows)
        self.full_chunks = []
        self.full_bytes = 0
        self.full_complete = True
        self.version += 1

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
        cols = np.flatnonzero(self.owned[:m])
        if k:
            self.batch_step = chunk.first_step + k - 1
        if k and cols.size:
            steps = np.arange(chunk.first_step, chunk.first_step + k)
            while True:
                sel = np.flatnonzero(steps % self.batch_stride == 0)
                if sel.size == 0 or steps[sel[-1]] // self.batch_stride < self.cap:
                    break
                self._halve(cols)
                self.batch_stride *= 2
            if sel.size:
                slots = steps[sel] // self.batch_stride
                P = chunk.points[sel][:, cols]  # (s, c, 2)
                G = chunk.grads[sel][:, cols]
                block = np.empty((cols.size, sel.size, 4), np.float32)
                block[:, :, 0:2] = P.transpose(1, 0, 2)
                block[:, :, 2] = chunk.values[sel][:, cols].T
                block[:, :, 3] = np.sqrt(np.einsum("scd,scd->cs", G, G))
                self.samples[cols[:, None], slots[None, :]] = block
                self.n_samples[cols] = slots[-1] + 1
            self.stride[cols] = self.batch_stride
            self.pos[cols] = chunk.points[-1][cols]
            self.val[cols] = chunk.values[-1][cols]
            self.grad[cols] = chunk.grads[-1][cols]
        if cols.size:
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
        self.val[run] = vals[-1]
        self.grad[run] = grads[-1]
        self.steps[run] = T - 1
        self.status[run] = status_code
        self.version += 1

    def move_start(self, run: int, x: float, y: float, value: float, grad) -> None:
        """A start moved and has no trajectory yet (not started)."""
        self.owned[run] = False
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
    def path(self, run: int, max_vertices: int = MAX_CAP) -> np.ndarray:
        """(T, 4) float array x, y, f, |∇f| of the run's decimated trajectory, ending at its
        exact current point."""
        n = int(self.n_samples[run])
        stride = int(self.stride[run])
        if self.owned[run]:
            n = min(n, int(self.steps[run]) // stride + 1)
        rows = self.samples[run, :n].astype(float)
        if n:
            rows[0, 0:2] = self.starts[run]  # exact (samples are float32)
        last_step = (n - 1) * stride
        if int(self.steps[run]) != last_step or n == 0:
            cur = np.array([[*self.pos[run], self.val[run], np.linalg.norm(self.grad[run])]])
            rows = np.vstack([rows, cur]) if n else cur
        if rows.shape[0] > max_vertices:
            keep = np.unique(np.r_[np.linspace(0, rows.shape[0] - 1, max_vertices).astype(int)])
            rows = rows[keep]
        return rows

    def curve(self, run: int, max_vertices: int = MAX_CAP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, values, grad norms) for the loss plot."""
        n = int(self.n_samples[run])
        stride = int(self.stride[run])
        if self.owned[run]:
            n = min(n, int(self.steps[run]) // stride + 1)
        steps = np.arange(n, dtype=float) * stride
        v = self.samples[run, :n, 2].astype(float)
        g = self.samples[run, :n, 3].astype(float)
        if n == 0 or steps[-1] != self.steps[run]:
            steps = np.r_[steps, float(self.steps[run])]
            v = np.r_[v, self.val[run]]
            g = np.r_[g, np.linalg.norm(self.grad[run])]
        if steps.size > max_vertices:
            keep = np.unique(np.linspace(0, steps.size - 1, max_vertices).astype(int))
            steps, v, g = steps[keep], v[keep], g[keep]
        return steps, v, g

    def envelopes(self) -> Optional[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Per-sample min / median / max of value and of |∇f| over the batch runs
        (stopped runs carry their last value): (steps, vmin, vmed, vmax, (gmin, gmed, gmax))."""
        cols = np.flatnonzero(self.owned)
        if cols.size == 0:
            return None
        n = int(self.n_samples[cols].max())
        if n == 0:
            return None
        block = self.samples[cols, :n, 2:4].astype(float)
        # carry forward: runs that stopped have NaN rows after their last sample
        lens = self.n_samples[cols]
        last = block[np.arange(cols.size), np.maximum(lens - 1, 0)]
        mask = np.arange(n)[None, :] >= lens[:, None]
        block = np.where(mask[:, :, None], last[:, None, :], block)
        with np.errstate(all="ignore"), _quiet():
            vmin, vmed, vmax = (np.nanmin(block[:, :, 0], 0), np.nanmedian(block[:, :, 0], 0),
                                np.nanmax(block[:, :, 0], 0))
            gmin, gmed, gmax = (np.nanmin(block[:, :, 1], 0), np.nanmedian(block[:, :, 1], 0),
                                np.nanmax(block[:, :, 1], 0))
        steps = np.arange(n, dtype=float) * self.batch_stride
        return steps, vmin, vmed, vmax, (gmin, gmed, gmax)

    def nbytes(self) -> int:
        return int(self.samples.nbytes + self.full_bytes)


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)

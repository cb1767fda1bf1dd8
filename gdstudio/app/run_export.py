"""Trajectory export for the studio (no Qt): the engine's streaming CSV writer, fed from
what the controller kept, or from a deterministic replay when the kept chunks were dropped to
bound memory.

Rows, in this order:

1. the batch runs (stepped by the worker): step 0 from the batch's initial chunk, then
   every chunk in order. When the chunks no longer fit the store's budget (200 MB), a fresh
   ``BatchDescent`` with the same starts, optimizers, learning rates, hyper-parameters,
   schedule, step limit and tolerance is replayed to the step on screen, re-applying the
   live learning-rate / step-limit changes at the steps where the worker applied them. The
   engine is deterministic (mini-batch objectives are seeded by step), so the replay writes
   the same numbers.
2. instant runs (a clicked or dragged start), each from its recorded one-run result.
3. runs that have not moved yet: their start as step 0.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..io.trajectories import TrajectoryWriter

#: exports with more rows than this run on a background job (the menu action)
BACKGROUND_ROWS = 200_000


def _rows_of(result):
    return result.trajectories[0], result.trajectory_values[0], result.trajectory_grads[0]


class ExportJob:
    """Everything an export needs, copied from the controller at one moment (so the rows can
    be written in another thread while the descent goes on)."""

    def __init__(self, controller, runs: Optional[Sequence[int]] = None):
        st = controller.store
        problem = controller.problem
        n = st.n
        wanted = np.arange(n) if runs is None else np.array(sorted({int(r) for r in runs if 0 <= int(r) < n}), int)
        self.batch_runs = wanted[st.owned[wanted]] if wanted.size else wanted
        self.instant = {int(r): st.instant[int(r)] for r in wanted if int(r) in st.instant}
        self.still = [(int(r), st.starts[r].copy(), float(st.val[r]), st.grad[r].copy())
                      for r in wanted if not st.owned[r] and int(r) not in st.instant]
        self.names = tuple(problem.objective.names)
        self.initial = controller._batch_initial
        self.complete = bool(st.full_complete)
        self.chunks = tuple(st.full_chunks) if self.complete else ()
        self.spec = dict(controller._batch_spec) if controller._batch_spec else None
        self.changes = sorted(controller._changes, key=lambda c: c[0])
        self.upto = int(st.batch_step)
        s = controller.settings
        self.meta = {
            "function": getattr(problem.objective, "source", "") or problem.objective.label,
            "description": problem.description,
            "domain": [list(r) for r in problem.domain],
            "runs": [
                {"run": int(r), "start": [float(v) for v in st.starts[r]],
                 "optimizer": controller.specs[r].optimizer, "lr": controller.specs[r].lr,
                 "kind": "batch" if st.owned[r] else ("instant" if int(r) in st.instant else "not started")}
                for r in wanted
            ],
            "hyper": {o: s.hyper_for(o) for o in sorted({controller.specs[r].optimizer for r in wanted})},
            "schedule": s.schedule.describe(),
            "max_steps": s.max_steps,
            "tol": s.tol,
            "live_changes": [{"step": int(a), "name": b, "value": np.asarray(c).tolist()}
                             for a, b, c in self.changes],
            "source_of_batch_rows": "kept chunks" if self.complete else "deterministic replay",
            "row_order": "batch runs by step then run; then each instant run; then runs not started",
        }

    def estimated_rows(self) -> int:
        rows = self.batch_runs.size * (self.upto + 1)
        rows += sum(len(res.trajectories[0]) for res in self.instant.values()) + len(self.still)
        return int(rows)

    def write(self, path, cancel=None, progress=None) -> int:
        """Write the CSV and sidecar; ``cancel()`` true aborts (nothing is written),
        ``progress(fraction)`` is called now and then."""
        from ..io.trajectories import ExportError

        def check(done_steps):
            if cancel is not None and cancel():
                raise ExportError(f"export to {path} was cancelled; nothing was written")
            if progress is not None and self.upto:
                progress(min(1.0, done_steps / self.upto))

        with TrajectoryWriter(path, self.names, self.meta, runs=self.batch_runs.tolist(),
                              cancel=cancel) as w:
            self.writer = w
            if self.batch_runs.size and self.initial is not None:
                w.write_chunk(self.initial)
                if self.complete:
                    for ch in self.chunks:
                        w.write_chunk(ch)
                        check(ch.first_step + ch.n_steps - 1)
                else:
                    self._replay(w, check)
            for r, res in self.instant.items():
                P, F, G = _rows_of(res)
                w.runs = np.array([r])
                T = P.shape[0]
                for a in range(0, T, 1024):
                    b = min(T, a + 1024)
                    k = b - a
                    Pk = np.zeros((k, r + 1, 2))
                    Fk = np.zeros((k, r + 1))
                    Gk = np.zeros((k, r + 1, 2))
                    Pk[:, r], Fk[:, r], Gk[:, r] = P[a:b], F[a:b], G[a:b]
                    steps = np.full(r + 1, -1)
                    steps[r] = T - 1
                    w.write_arrays(a, Pk, Fk, Gk, steps)
            for r, start, val, grad in self.still:
                w.runs = np.array([r])
                Pk = np.zeros((1, r + 1, 2))
                Fk = np.zeros((1, r + 1))
                Gk = np.zeros((1, r + 1, 2))
                Pk[0, r], Fk[0, r], Gk[0, r] = start, val, grad
                steps = np.full(r + 1, -1)
                steps[r] = 0
                w.write_arrays(0, Pk, Fk, Gk, steps)
        return w.rows

    def _replay(self, writer, check) -> None:
        from .batches import make_batch
        from .chunks import apply_recorded_change

        batch = make_batch(self.spec)
        changes = self.changes
        i = 0
        while batch.step < self.upto and not batch.done:
            while i < len(changes) and changes[i][0] <= batch.step:
                _, name, value = changes[i]
                apply_recorded_change(batch, name, value)
                i += 1
            nxt = changes[i][0] if i < len(changes) else self.upto
            k = max(1, min(512, nxt - batch.step, self.upto - batch.step))
            writer.write_chunk(batch.advance(k))
            check(batch.step)


def export_runs(controller, path, runs: Optional[Sequence[int]] = None) -> int:
    """Export now, in this thread."""
    return ExportJob(controller, runs).write(path)

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


def _rows_of(result):
    return result.trajectories[0], result.trajectory_values[0], result.trajectory_grads[0]


def export_runs(controller, path, runs: Optional[Sequence[int]] = None) -> int:
    st = controller.store
    problem = controller.problem
    n = st.n
    wanted = np.arange(n) if runs is None else np.array(sorted({int(r) for r in runs if 0 <= int(r) < n}), int)
    batch_runs = wanted[st.owned[wanted]] if wanted.size else wanted
    instant_runs = [int(r) for r in wanted if int(r) in st.instant]
    still = [int(r) for r in wanted if not st.owned[r] and int(r) not in st.instant]
    s = controller.settings
    meta = {
        "function": getattr(problem.objective, "source", "") or problem.objective.label,
        "description": problem.description,
        "domain": [list(r) for r in problem.domain],
        "runs": [
            {"run": int(r), "start": [float(v) for v in st.starts[r]], "optimizer": controller.specs[r].optimizer,
             "lr": controller.specs[r].lr, "kind": "batch" if st.owned[r] else
             ("instant" if int(r) in st.instant else "not started")}
            for r in wanted
        ],
        "hyper": {o: s.hyper_for(o) for o in sorted({controller.specs[r].optimizer for r in wanted})},
        "schedule": s.schedule.describe(),
        "max_steps": s.max_steps,
        "tol": s.tol,
        "live_changes": [{"step": int(a), "name": b, "value": (np.asarray(c).tolist())}
                         for a, b, c in controller._changes],
        "source_of_batch_rows": "kept chunks" if st.full_complete else "deterministic replay",
        "row_order": "batch runs by step then run; then each instant run; then runs not started",
    }
    names = problem.objective.names
    with TrajectoryWriter(path, names, meta, runs=batch_runs.tolist()) as w:
        if batch_runs.size and controller._batch_initial is not None:
            w.write_chunk(controller._batch_initial)
            if st.full_complete:
                for ch in st.full_chunks:
                    w.write_chunk(ch)
            else:
                _replay(controller, w, st.batch_step)
        for r in instant_runs:
            P, F, G = _rows_of(st.instant[r])
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
        for r in still:
            w.runs = np.array([r])
            Pk = np.zeros((1, r + 1, 2))
            Fk = np.zeros((1, r + 1))
            Gk = np.zeros((1, r + 1, 2))
            Pk[0, r], Fk[0, r], Gk[0, r] = st.starts[r], st.val[r], st.grad[r]
            steps = np.full(r + 1, -1)
            steps[r] = 0
            w.write_arrays(0, Pk, Fk, Gk, steps)
    return w.rows


def _replay(controller, writer, upto: int) -> None:
    from ..core.runner import BatchDescent

    spec = dict(controller._batch_spec)
    batch = BatchDescent(**spec)
    changes = sorted(controller._changes, key=lambda c: c[0])
    i = 0
    while batch.step < upto and not batch.done:
        while i < len(changes) and changes[i][0] <= batch.step:
            _, name, value = changes[i]
            if name == "lr":
                batch.set_lr(value)
            elif name == "max_steps":
                batch.set_max_steps(value)
            i += 1
        nxt = changes[i][0] if i < len(changes) else upto
        k = max(1, min(512, nxt - batch.step, upto - batch.step))
        writer.write_chunk(batch.advance(k))

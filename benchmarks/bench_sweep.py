"""Sweeps and landscapes in-process and on local Dask clusters of 1 and 2 workers.

    python benchmarks/bench_sweep.py [--starts 256] [--steps 2000] [--rates 13] [--momenta 12]
                                     [--grid 401] [--skip-sweep] [--skip-landscape]

1. A sweep on Rosenbrock: optimizers momentum, nesterov (× momentum) and adam (× β₁, its
   momentum) × 13 learning rates (1e-4…1e-1, log) × 12 values (0…0.99) × 256 Sobol starts ×
   2,000 steps (tol 1e-8): 468 settings. Wall time in-process, on 1 and on 2 local workers
   (the cluster's start is timed apart), the speed-up, the per-worker overhead (the 1-worker
   run against in-process: scheduling, serialisation, result transfer), and the cost per
   setting for the estimate in docs/sweep.md. The tables are checked identical.
2. A 401 × 401 landscape of a 2-16-16-1 tanh network (337 weights) on 500 moons points, on the
   PCA plane of 500 Adam steps: in-process and on 2 workers; and on 1 worker with and without
   the engine's allocator tuning (Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536).
Prints seconds; the machine's load average is printed too (other work skews the figures).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return ""


def _same(a, b) -> bool:
    from gdstudio.app.sweep import RESULT_COLUMNS, SETTING_COLUMNS

    cols = SETTING_COLUMNS + RESULT_COLUMNS
    return [[repr(r[c]) for c in cols] for r in a.rows] == [[repr(r[c]) for c in cols] for r in b.rows]


def bench_sweep(a) -> None:
    from gdstudio.app.executors import DaskExecutor, InProcessExecutor
    from gdstudio.app.sweep import make_spec, run_spec

    spec = make_spec("rosenbrock", starts=a.starts, sampler="sobol", seed=0,
                     optimizer=["momentum", "nesterov", "adam"], lr=f"1e-4:1e-1:{a.rates}",
                     momentum=f"0:0.99:{a.momenta}", beta1=f"0:0.99:{a.momenta}",
                     steps=a.steps, tol=1e-8)
    n = len(spec.settings)
    print(f"sweep: {n} settings × {a.starts} starts × {a.steps} steps = {spec.run_steps:.3g} "
          f"run-steps at most  ({_load()})")
    t = time.perf_counter()
    here = run_spec(spec, InProcessExecutor())
    t0 = time.perf_counter() - t
    print(f"  in-process:  {t0:7.2f} s   ({1000 * t0 / n:.1f} ms per setting)")
    times = {}
    for w in (1, 2):
        t = time.perf_counter()
        ex = DaskExecutor(workers=w)
        t_start = time.perf_counter() - t
        try:
            t = time.perf_counter()
            there = run_spec(spec, ex)
            times[w] = time.perf_counter() - t
        finally:
            ex.close()
        print(f"  {w} worker{'s' if w > 1 else ' '}:   {times[w]:7.2f} s   (cluster start {t_start:.1f} s, "
              f"{there.meta['tasks']} tasks; identical table: {_same(here, there)})  ({_load()})")
    print(f"  speed-up with 2 workers: {t0 / times[2]:.2f}× against in-process, "
          f"{times[1] / times[2]:.2f}× against 1 worker")
    print(f"  per-worker overhead (1 worker against in-process): {100 * (times[1] - t0) / t0:+.1f} %")


def bench_landscape(a) -> None:
    from gdstudio.app.executors import DaskExecutor, InProcessExecutor
    from gdstudio.app.landscape import grid_axes, landscape_grid, make_plane, training_path
    from gdstudio.app.problems import build_problem

    prob = build_problem("mlp", "moons", hidden=(16, 16), seed=0, n_points=500)
    obj = prob.objective
    path = training_path(obj, prob.default_starts[0], "adam", 0.02, 500)
    plane = make_plane(obj, path, "pca")
    xs, ys = grid_axes(plane.domain, a.grid)
    print(f"landscape: {a.grid} × {a.grid} grid, {obj.dim}-weight network on {obj.n} points  ({_load()})")
    t = time.perf_counter()
    Z0 = landscape_grid(plane.objective, xs, ys, InProcessExecutor())
    t0 = time.perf_counter() - t
    print(f"  in-process:                      {t0:7.2f} s")
    runs = [(2, True), (1, True), (1, False)]
    out = {}
    for w, tuned in runs:
        ex = DaskExecutor(workers=w, tune_workers=tuned)
        try:
            landscape_grid(plane.objective, xs[:8], ys, ex)  # warm: imports, the scattered net
            t = time.perf_counter()
            Z = landscape_grid(plane.objective, xs, ys, ex)
            out[(w, tuned)] = time.perf_counter() - t
        finally:
            ex.close()
        label = f"{w} worker{'s' if w > 1 else ''}, {'engine tuning' if tuned else 'Dask default malloc'}"
        print(f"  {label:<33}{out[(w, tuned)]:7.2f} s   (identical grid: {np.array_equal(Z, Z0)})  ({_load()})")
    print(f"  speed-up with 2 workers: {t0 / out[(2, True)]:.2f}×;  MALLOC_TRIM_THRESHOLD_=65536 "
          f"without the tuning: {out[(1, False)] / out[(1, True)]:.2f}× the time")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=256)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rates", type=int, default=13)
    ap.add_argument("--momenta", type=int, default=12)
    ap.add_argument("--grid", type=int, default=401)
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--skip-landscape", action="store_true")
    a = ap.parse_args(argv)
    if not a.skip_sweep:
        bench_sweep(a)
    if not a.skip_landscape:
        bench_landscape(a)


if __name__ == "__main__":
    main()

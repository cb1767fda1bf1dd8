"""Sweeps and landscapes in-process and on local Dask clusters of 1 and 2 workers, and the
estimate of a 1,000,000-setting sweep on 100 workers from the measured costs.

    python benchmarks/bench_sweep.py [--starts 256] [--steps 2000] [--rates 13] [--momenta 12]
                                     [--grid 401] [--malloc-grid N] [--skip-sweep] [--skip-landscape]

1. A sweep on Rosenbrock: optimizers momentum, nesterov (× momentum) and adam (× β₁, its
   momentum) × 13 learning rates (1e-4…1e-1, log) × 12 values (0…0.99) × 256 Sobol starts ×
   2,000 steps (tol 1e-8): 468 settings. Wall time in-process, on 1 and on 2 local workers
   (the cluster's start and the workers' first import are timed apart: a warm-up task), the
   speed-up, the per-worker overhead two ways (the 1-worker wall time against in-process, and
   the measured round trip of empty tasks × the number of tasks), and the tables checked
   identical.
2. The estimate for 1,000,000 such settings on 100 workers: work, tasks, scheduler time, the
   result rows' size in the client.
3. A 401 × 401 landscape of a 2-16-16-1 tanh network (337 weights) on 500 moons points, on the
   PCA plane of 500 Adam steps: in-process and on 2 workers; and on 1 worker with and without
   the engine's allocator tuning (Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536), on
   ``--malloc-grid`` (default the same grid).
Prints seconds and the machine's load average (other work on the machine skews the figures;
the ratios compare only when the load stayed the same).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

#: Dask's documented overhead per task, "somewhere between 200us and 1ms" (Dask's best
#: practices, task granularity), taken at its upper end
SCHEDULER_SECONDS_PER_TASK = 1e-3


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return ""


def _same(a, b) -> bool:
    from gdstudio.app.sweep import RESULT_COLUMNS, SETTING_COLUMNS

    cols = SETTING_COLUMNS + RESULT_COLUMNS
    return [[repr(r[c]) for c in cols] for r in a.rows] == [[repr(r[c]) for c in cols] for r in b.rows]


def _cpu(dask_worker=None, dask_scheduler=None) -> tuple:
    return os.getpid(), time.process_time()


def _cluster_cpu(ex) -> float:
    """CPU seconds used so far by the worker processes, the scheduler and this process (the
    client), each process counted once (a LocalCluster's scheduler runs in this process)."""
    by_pid = dict(ex.client.run(_cpu).values())
    by_pid.update([ex.client.run_on_scheduler(_cpu), _cpu()])
    return sum(by_pid.values())


def _idle_cpu(ex, seconds: float = 20.0) -> float:
    """CPU seconds per second the cluster and this process use while no task runs (heartbeats,
    event loops): a cost that grows with the wall time, not with the work."""
    c = _cluster_cpu(ex)
    time.sleep(seconds)
    return (_cluster_cpu(ex) - c) / seconds


def _noop(shared, item, cancel=None):
    return item


def _task_round_trip(ex, n: int = 400) -> float:
    """Seconds per task of ``n`` empty tasks through the executor (scheduling, serialisation,
    the result's way back), the first batch discarded (imports, connections)."""
    list(ex.run(_noop, {"x": 0}, list(range(20))))
    t = time.perf_counter()
    list(ex.run(_noop, {"x": 0}, list(range(n))))
    return (time.perf_counter() - t) / n


def _row_bytes(table) -> tuple:
    """Bytes one result row takes in the client (its dict, floats and strings as they arrive
    unpickled from a worker), and pickled."""
    blob = pickle.dumps(table.rows)
    tracemalloc.start()
    rows = pickle.loads(blob)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del rows
    return size / len(table.rows), len(blob) / len(table.rows)


def bench_sweep(a) -> dict:
    from gdstudio.app.executors import DaskExecutor, InProcessExecutor
    from gdstudio.app.sweep import TASK_RUN_STEPS, make_spec, run_spec

    spec = make_spec("rosenbrock", starts=a.starts, sampler="sobol", seed=0,
                     optimizer=["momentum", "nesterov", "adam"], lr=f"1e-4:1e-1:{a.rates}",
                     momentum=f"0:0.99:{a.momenta}", beta1=f"0:0.99:{a.momenta}",
                     steps=a.steps, tol=1e-8)
    n = len(spec.settings)
    print(f"sweep: {n} settings × {a.starts} starts × {a.steps} steps = {spec.run_steps:.3g} "
          f"run-steps at most  ({_load()})")
    t, c = time.perf_counter(), time.process_time()
    here = run_spec(spec, InProcessExecutor())
    t0, cpu0 = time.perf_counter() - t, time.process_time() - c
    per_setting = cpu0 / n
    print(f"  in-process:  {t0:7.2f} s   (CPU {cpu0:.2f} s: {1000 * per_setting:.1f} ms per setting)")
    times, trips, tasks, cpus, idle = {}, {}, {}, {}, {}
    warm = make_spec("rosenbrock", starts=4, optimizer="adam", lr=1e-3, steps=10)
    for w in (1, 2):
        t = time.perf_counter()
        ex = DaskExecutor(workers=w)
        try:
            run_spec(warm, ex)  # the workers import gdstudio and numpy once
            t_start = time.perf_counter() - t
            t, c = time.perf_counter(), _cluster_cpu(ex)
            there = run_spec(spec, ex)
            times[w] = time.perf_counter() - t
            cpus[w] = _cluster_cpu(ex) - c
            tasks[w] = there.meta["tasks"]
            trips[w] = _task_round_trip(ex)
            idle[w] = _idle_cpu(ex)
        finally:
            ex.close()
        print(f"  {w} worker{'s' if w > 1 else ' '}:   {times[w]:7.2f} s   (cluster start and warm-up "
              f"{t_start:.1f} s apart; {tasks[w]} tasks; CPU of workers + scheduler + client "
              f"{cpus[w]:.2f} s; identical table: {_same(here, there)})  ({_load()})")
    print(f"  speed-up with 2 workers: {t0 / times[2]:.2f}× against in-process, "
          f"{times[1] / times[2]:.2f}× against 1 worker")
    print(f"  per-worker overhead, 1 worker against in-process: {100 * (times[1] - t0) / t0:+.1f} % "
          f"wall time, {100 * (cpus[1] - cpu0) / cpu0:+.1f} % CPU time (2 workers: "
          f"{100 * (cpus[2] - cpu0) / cpu0:+.1f} % CPU)")
    print(f"  Dask's background while idle (heartbeats, event loops; scheduler in this process): "
          f"{idle[1]:.3f} CPU s per s with 1 worker, {idle[2]:.3f} with 2; × the 1-worker wall time = "
          f"{idle[1] * times[1]:.1f} CPU s ({100 * idle[1] * times[1] / cpu0:.1f} % of the work); on "
          f"an unloaded core (wall time = CPU time) {100 * idle[1]:.1f} % of the work")
    print(f"  per-task round trip of an empty task: {1000 * trips[1]:.2f} ms (1 worker), "
          f"{1000 * trips[2]:.2f} ms (2 workers); × {tasks[1]} tasks = "
          f"{100 * trips[1] * tasks[1] / t0:.2f} % of the work")
    row_mem, row_pickled = _row_bytes(here)
    settings_per_task = max(1, TASK_RUN_STEPS // (a.starts * a.steps))
    return {"per_setting": per_setting, "trip": trips[1], "row_mem": row_mem,
            "row_pickled": row_pickled, "settings_per_task": settings_per_task}


def estimate(m: dict, settings: int = 1_000_000, workers: int = 100) -> None:
    work = settings * m["per_setting"] / workers
    tasks = -(-settings // m["settings_per_task"])
    sched = tasks * SCHEDULER_SECONDS_PER_TASK
    worker_over = tasks * m["trip"] / workers
    print(f"estimate: {settings:,} settings like these on {workers} workers")
    print(f"  work: {settings:,} × {1000 * m['per_setting']:.1f} ms / {workers} = {work:,.0f} s "
          f"({work / 3600:.2f} h), if each worker is as fast as this machine's core")
    print(f"  tasks: {m['settings_per_task']} settings each (≈5·10⁶ run-steps) = {tasks:,} tasks; "
          f"scheduler ≈{1000 * SCHEDULER_SECONDS_PER_TASK:.0f} ms each = {sched:,.0f} s of "
          f"scheduler time ({100 * sched / work:.1f} % of the wall time, spread over it); "
          f"per-worker round trips {worker_over:,.1f} s ({100 * worker_over / work:.2f} %)")
    print(f"  one setting per task instead: {settings:,} tasks = {settings * SCHEDULER_SECONDS_PER_TASK:,.0f} s "
          f"of scheduler time, {100 * settings * SCHEDULER_SECONDS_PER_TASK / work:.0f} % of the work time")
    print(f"  results: {m['row_mem']:.0f} bytes per row in the client ({settings * m['row_mem'] / 1e9:.2f} GB "
          f"for all rows), {m['row_pickled']:.0f} bytes pickled ({settings * m['row_pickled'] / 1e9:.2f} GB "
          f"over the network in total)")


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
    ex = DaskExecutor(workers=2)
    try:
        landscape_grid(plane.objective, xs[:8], ys, ex)  # warm: imports, the scattered net
        t = time.perf_counter()
        Z = landscape_grid(plane.objective, xs, ys, ex)
        t2 = time.perf_counter() - t
    finally:
        ex.close()
    print(f"  2 workers:                       {t2:7.2f} s   (identical grid: {np.array_equal(Z, Z0)})  "
          f"({_load()})")
    print(f"  speed-up with 2 workers: {t0 / t2:.2f}×")
    # the allocator: Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker
    g = a.malloc_grid or a.grid
    xs, ys = grid_axes(plane.domain, g)
    out, grids = {}, {}
    for tuned in (True, False):
        ex = DaskExecutor(workers=1, tune_workers=tuned)
        try:
            landscape_grid(plane.objective, xs[:8], ys, ex)
            t = time.perf_counter()
            grids[tuned] = landscape_grid(plane.objective, xs, ys, ex)
            out[tuned] = time.perf_counter() - t
        finally:
            ex.close()
        label = f"1 worker, {'engine tuning' if tuned else 'Dask default malloc'} ({g} × {g})"
        print(f"  {label:<45}{out[tuned]:7.2f} s  ({_load()})")
    print(f"  MALLOC_TRIM_THRESHOLD_=65536 without the engine tuning: {out[False] / out[True]:.2f}× "
          f"the time (identical grids: {np.array_equal(grids[True], grids[False])})")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=256)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rates", type=int, default=13)
    ap.add_argument("--momenta", type=int, default=12)
    ap.add_argument("--grid", type=int, default=401)
    ap.add_argument("--malloc-grid", type=int, default=None,
                    help="grid of the allocator comparison on 1 worker (default: --grid)")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--skip-landscape", action="store_true")
    a = ap.parse_args(argv)
    if not a.skip_sweep:
        estimate(bench_sweep(a))
    if not a.skip_landscape:
        bench_landscape(a)


if __name__ == "__main__":
    main()

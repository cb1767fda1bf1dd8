"""The same results on any cluster: in-process, a local cluster of 2 worker processes, and an
external ``dask scheduler`` + ``dask worker`` started here on 127.0.0.1, a worker killed
mid-sweep included; landscapes too."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gdstudio.app.executors import DaskExecutor, InProcessExecutor
from gdstudio.app.landscape import grid_axes, landscape_grid, make_plane, training_path
from gdstudio.app.sweep import RESULT_COLUMNS, SETTING_COLUMNS, make_spec, run_spec

BIN = Path(sys.executable).parent


def exact(rows):
    return [[repr(r[k]) for k in SETTING_COLUMNS + RESULT_COLUMNS] for r in rows]


def gd(*args):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "gdstudio", *args], capture_output=True,
                          text=True, timeout=300, env=env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler():
    """An external cluster: one scheduler and two single-threaded workers (with nannies, which
    restart a killed worker), on 127.0.0.1 only."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "2",
                                   "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        import distributed

        client = distributed.Client(address, timeout=60, set_as_default=False)
        client.wait_for_workers(2, timeout=120)
        client.close()
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _spec(**kw):
    # converged, diverged and max_steps settings, and two functions
    args = dict(starts=6, seed=5, optimizer="gd,momentum,adam", lr="1e-3:0.3:3",
                momentum=[0.0, 0.9], steps=200, tol=1e-4)
    args.update(kw)
    return make_spec(["rosenbrock", "elongated"], **args)


def test_the_table_is_identical_in_process_and_on_a_scheduler(scheduler):
    spec = _spec()
    here = run_spec(spec, InProcessExecutor())
    statuses = {(r["converged"] > 0, r["diverged"] > 0, r["max_steps"] > 0) for r in here.rows}
    assert len(statuses) >= 3  # the sweep exercises every kind of ending
    with DaskExecutor(scheduler=scheduler) as ex:
        assert ex.workers == 2
        there = run_spec(spec, ex)
    assert there.meta["tasks"] > 1
    assert exact(there.rows) == exact(here.rows)


def test_command_line_files_are_identical_for_workers_0_2_and_a_scheduler(tmp_path, scheduler):
    common = ["sweep", "--function", "elongated", "--optimizer", "gd,momentum", "--lr",
              "1e-2:0.12:3", "--momentum", "0:0.9:3", "--random-starts", "4", "--seed", "1",
              "--steps", "200", "--tol", "1e-6"]
    outs = {}
    for name, extra in (("w0", ["--workers", "0"]), ("w2", ["--workers", "2"]),
                        ("ext", ["--scheduler", scheduler])):
        out = tmp_path / f"{name}.csv"
        p = gd(*common, *extra, "--out", str(out))
        assert p.returncode == 0, p.stderr
        outs[name] = out.read_bytes()
    assert outs["w0"] == outs["w2"] == outs["ext"]
    assert outs["w0"].count(b"\n") == 1 + 3 + 9


def test_a_worker_killed_mid_sweep_changes_nothing(scheduler):
    spec = _spec(steps=600, starts=16)
    here = run_spec(spec, InProcessExecutor())
    import distributed

    client = distributed.Client(scheduler, set_as_default=False)
    try:
        pids = client.run(os.getpid)
        killed = []

        def progress(done, total, index, row):
            if not killed and done >= 2:  # the other tasks are queued or running
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        with DaskExecutor(client=client) as ex:
            there = run_spec(spec, ex, progress=progress)
        assert killed and exact(there.rows) == exact(here.rows)
        client.wait_for_workers(2, timeout=120)  # the nanny restarted it
        assert killed[0] not in client.run(os.getpid).values()
    finally:
        client.close()


def test_the_landscape_on_two_workers_equals_the_in_process_one(scheduler, tmp_path):
    from gdstudio.app.problems import build_problem

    prob = build_problem("mlp", "moons", hidden=(6,), seed=0)
    path = training_path(prob.objective, prob.default_starts[0], "adam", 0.05, 40)
    plane = make_plane(prob.objective, path, "pca")
    xs, ys = grid_axes(plane.domain, 41)
    here = landscape_grid(plane.objective, xs, ys)
    with DaskExecutor(scheduler=scheduler) as ex:
        there = landscape_grid(plane.objective, xs, ys, ex)
    assert np.array_equal(here, there)

    outs = []
    for extra in (["--workers", "0"], ["--scheduler", scheduler]):
        out = tmp_path / f"l{len(outs)}.npz"
        p = gd("landscape", "--model", "a*exp(b*x)", "--data", "sine", "--steps", "30",
               "--grid", "31", "--plane", "random", *extra, "--out", str(out))
        assert p.returncode == 0, p.stderr
        outs.append(np.load(out))
    assert np.array_equal(outs[0]["loss"], outs[1]["loss"])
    assert np.array_equal(outs[0]["path"], outs[1]["path"])


def test_every_worker_runs_with_the_engines_allocator_settings(scheduler):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536; the plugin applies the engine's own
    mallopt settings in each worker (restarted ones too), as in-process work does."""
    with DaskExecutor(scheduler=scheduler) as ex:
        # a lambda travels by value (a function of this test module would need 'tests' importable)
        flags = ex.client.run(lambda: __import__("gdstudio.core.tuning", fromlist=["_"]).engine_tuning_applied())
        threads = ex.client.run(lambda: __import__("gdstudio.core.tuning", fromlist=["_"]).engine_threads())
        nthreads = ex.client.nthreads()
    assert list(flags.values()) == [True, True]
    # a fused batch uses the worker's own threads, not every core of the machine
    assert threads == nthreads


def test_a_local_clusters_workers_run_without_the_dashboards_profiler():
    # the profiler samples every 10 ms for a dashboard that is off: CPU taken from the work
    with DaskExecutor(workers=1) as ex:
        got = ex.client.run(lambda: __import__("dask").config.get("distributed.worker.profile.enabled"))
    assert list(got.values()) == [False]

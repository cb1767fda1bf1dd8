"""How responsive is the studio while 1,000 runs are in flight?

Builds the real window, throws 1,000 random starts on a preset with a huge step limit and
tolerance 0 (nothing stops), runs at full speed with every view drawing, and measures how
late a 10 ms QTimer fires (the event loop's lateness) for ~10 s. Also reports the steps
per second reached and the memory kept by the run store and the process.

    .venv/bin/python benchmarks/bench_responsiveness.py            # offscreen (no 3D pixels)
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_responsiveness.py
                                                                   # Xvfb: the 3D view renders too

Options: --runs N, --seconds S, --function NAME_OR_EXPR, --optimizer NAME, --lr LR,
--speed STEPS_PER_S (default: max), --at-once (start the runs before the start-up warm-up of
numba has ended; by default the benchmark waits for it, as any person throwing starts does).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--function", default="(x**2 + y - 11)**2 + (x + y**2 - 7)**2")
    ap.add_argument("--optimizer", default="adam")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--speed", type=float, default=None)
    ap.add_argument("--max-steps", type=int, default=10_000_000)
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval before starting (seconds)")
    ap.add_argument("--at-once", action="store_true",
                    help="start the runs as soon as the window shows, before the start-up warm-up ends")
    args = ap.parse_args(argv)
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)

    from PySide6.QtCore import QCoreApplication, QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(["bench"])
    from gdstudio.gui import MainWindow

    from gdstudio.gui.startup import freeze_startup_objects, warm_up_in_background

    w = MainWindow(function=args.function)
    freeze_startup_objects()  # as gdstudio's main does once the window is built
    warming = warm_up_in_background()
    w.resize(1600, 1000)
    w.show()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    if not args.at_once:  # a person takes longer than this to throw 1,000 starts
        t = time.perf_counter()
        while not warming.wait(10):
            app.processEvents()
        print(f"start-up warm-up (numba loaded on a background thread) done {time.perf_counter() - t:.1f} s "
              "after the window showed")
    c = w.c
    c.update_settings(optimizer=args.optimizer, lr=args.lr, max_steps=args.max_steps, tol=0.0,
                      speed=args.speed)
    c.random_starts(args.runs, "uniform", 0, run=True)

    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick():
        now = clock.nsecsElapsed()
        lateness.append(max(0.0, (now - last[0]) / 1e6 - 10.0))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)
    timer.timeout.connect(tick)
    frames = [0]
    c.sig_frame.connect(lambda _f: frames.__setitem__(0, frames[0] + 1))
    # warm-up 1 s (first paints, caches), then measure
    t_end = time.perf_counter() + 1.0
    while time.perf_counter() < t_end:
        app.processEvents()
        time.sleep(0.001)
    step0 = c.store.batch_step
    frames[0] = 0
    canvas = getattr(w.surface, "gl_view", None)
    paints0 = canvas.paints if canvas is not None else 0
    timer.start()
    cpu0 = time.thread_time()  # the GUI thread's CPU time: how busy it is, whatever the load
    t0 = time.perf_counter()
    last[0] = clock.nsecsElapsed()
    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    app.exec()  # the real event loop
    timer.stop()
    elapsed = time.perf_counter() - t0
    gui_cpu = time.thread_time() - cpu0
    steps = c.store.batch_step - step0
    lat = np.array(lateness)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    platform = app.platformName()
    print(f"platform: {platform}; runs: {c.store.n}; function: {args.function}; optimizer: {args.optimizer}")
    print(f"10 ms timer lateness over {elapsed:.1f} s ({lat.size} ticks): "
          f"p50 {np.percentile(lat, 50):.1f} ms, p99 {np.percentile(lat, 99):.1f} ms, max {lat.max():.1f} ms")
    print(f"batch steps: {steps:,} ({steps / elapsed:,.0f} steps/s = {steps * c.store.n / elapsed:,.0f} run-steps/s); "
          f"redraws: {frames[0] / elapsed:.1f} per second")
    if w.surface_error:
        print(f"3D view: none ({w.surface_error})")
    else:
        drawn = canvas.paints - paints0
        print(f"3D view: {drawn / elapsed:.1f} frames drawn per second"
              + ("" if drawn else " (none: this platform has no OpenGL; run under Xvfb for the 3D view)"))
    fused_from = c.stats()["fused_from"]
    print("engine: numpy throughout" if fused_from is None else
          f"engine: numpy, then the fused kernel from step {fused_from:,} (the measurement began at step {step0:,})")
    print(f"GUI thread busy {100 * gui_cpu / elapsed:.0f}% of the time ({1000 * gui_cpu / max(frames[0], 1):.1f} ms "
          f"of CPU per redraw); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"run store: {c.store.nbytes() / 2**20:.1f} MB (draw buffer {c.store.samples.nbytes / 2**20:.1f} MB, "
          f"kept chunks {c.store.full_bytes / 2**20:.1f} MB, complete: {c.store.full_complete}); "
          f"process max RSS {rss:.0f} MB")
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

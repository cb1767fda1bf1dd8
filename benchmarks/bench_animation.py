"""Animation export: how long a GIF (and an MP4) of many runs takes to render and write.

    .venv/bin/python benchmarks/bench_animation.py

Himmelblau, 100 uniform random starts, momentum (lr 0.001, μ 0.9), 1,000 steps at most; the
run itself is not timed. Prints the background set-up, the frames rendered and written, the
file size, for 200 frames (20 per second × 10 s) at 720×540.
"""

from __future__ import annotations

import os
import tempfile
import time

from gdstudio.app.animation import AnimationOptions, MapAnimation, PathRecorder
from gdstudio.core.presets import get_objective
from gdstudio.core.runner import BatchDescent
from gdstudio.core.schedules import parse_schedule
from gdstudio.core.starts import make_starts
from gdstudio.io.animation import mp4_available, write_animation


def recorded(runs: int, steps: int):
    obj = get_objective("himmelblau")
    dom = obj.domain()
    run = BatchDescent(obj, make_starts("uniform", runs, dom, 0), "momentum", 0.001,
                       parse_schedule("constant", steps), steps, 1e-6, dom)
    rec = PathRecorder(steps)
    rec.add(run.initial_chunk())
    while not run.done:
        rec.add(run.advance(256))
    return obj, dom, rec.finish(run)


def main() -> None:
    print(f"{'runs':>6} {'frames':>6} {'size':>9} {'format':>6} {'set-up':>8} {'frames+write':>13} {'file':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for runs, fps, duration, w, h in ((100, 20, 10, 720, 540), (1000, 20, 10, 720, 540),
                                          (100, 30, 10, 1280, 720)):
            obj, dom, paths = recorded(runs, 1000)
            opts = AnimationOptions(fps=fps, duration=duration, width=w, height=h, title="bench")
            for fmt in ("gif", "mp4"):
                if fmt == "mp4" and not mp4_available():
                    print("  (mp4 skipped: pip install 'gdstudio[video]')")
                    continue
                target = os.path.join(tmp, f"a.{fmt}")
                t0 = time.perf_counter()
                anim = MapAnimation(obj, dom, paths, opts)
                t1 = time.perf_counter()
                write_animation(target, anim.frames(), opts.frames, opts.fps)
                t2 = time.perf_counter()
                print(f"{runs:>6} {opts.frames:>6} {f'{w}x{h}':>9} {fmt:>6} {t1 - t0:>7.2f}s {t2 - t1:>12.2f}s "
                      f"{os.path.getsize(target) / 1e6:>7.2f}MB")


if __name__ == "__main__":
    main()

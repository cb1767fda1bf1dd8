"""Engine speed: Adam on Rosenbrock typed as text, for 1 to 100,000 simultaneous runs.

Prints point-steps per second (one run advancing one step is one point-step) for:

* gdstudio      -- the typed text "(1 - x)^2 + 100*(y - x^2)^2" through the engine as a
                   person uses it (descend() for one run, BatchDescent for batches: numba's
                   fused kernel from 4,096 runs, numpy below);
* engine/numpy  -- the same typed function with the fused kernel switched off;
* engine/hand   -- the engine on a hand-written numpy objective (the typing overhead is
                   engine/numpy against this);
* numpy loop    -- the same work written by hand in numpy: an Adam loop with no statuses;
* torch         -- torch.optim.Adam on a (2, N) float64 tensor, one thread, where installed.

Then the issue's targets, through ``gdstudio.descend()`` (what people call, result included)
against torch.optim.Adam on one thread doing the same: 10,000 runs x 1,000 steps (target
<= 0.15 of torch's time) and one run of 2,000 steps (target <= 0.05), on one core and on all
cores, with the kernel's floating-point rate against the core's peak.

Usage: python benchmarks/bench_engine.py [--quick] [--targets-only]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gdstudio import descend
from gdstudio.core.compiled import compile_function
from gdstudio.core.objective import Objective
from gdstudio.core.runner import BatchDescent
from gdstudio.core.tuning import engine_threads, set_engine_threads

TEXT = "(1 - x)^2 + 100*(y - x^2)^2"
LR = 1e-3


class HandRosenbrock(Objective):
    names = ("x", "y")

    def value_and_grad_T(self, X):
        x, y = X
        t = y - x * x
        G = np.empty_like(X)
        G[0] = -2 * (1 - x) - 400 * x * t
        G[1] = 200 * t
        return (1 - x) ** 2 + 100 * t * t, G

    @staticmethod
    def scalar_value_and_grad(x, y):
        t = y - x * x
        return (1 - x) ** 2 + 100 * t * t, (-2 * (1 - x) - 400 * x * t, 200 * t)


def starts(n):
    return np.random.default_rng(0).uniform(-2, 2, (n, 2))


def timed(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run_engine(objective, n, steps, fused=True):
    if n == 1:
        return timed(lambda: descend(objective, starts(1), optimizer="adam", lr=LR, steps=steps, tol=0, record=False))

    def go():
        b = BatchDescent(objective, starts(n), "adam", lr=LR, max_steps=steps, tol=0, use_fused=fused)
        b.advance(steps, record=False)

    go()  # warm-up (compiles or loads the fused kernel once)
    return timed(go)


def numpy_loop(n, steps):
    def go():
        X = starts(n).T.copy()
        m = np.zeros_like(X)
        v = np.zeros_like(X)
        for t in range(1, steps + 1):
            x, y = X
            r = y - x * x
            g = np.stack([-2 * (1 - x) - 400 * x * r, 200 * r])
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            X = X - LR / (1 - 0.9**t) * m / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        return X

    return timed(go)


def torch_loop(n, steps):
    """Seconds of torch.optim.Adam doing the work (best of 2), or None without torch."""
    go = torch_adam(n, steps)
    return None if go is None else timed(go, repeat=2)


#: floating-point operations in one point-step of Adam on Rosenbrock (fused kernel): per
#: coordinate the Adam update is 13 (m: 3, v: 4, the step: 6, of them one square root and one
#: division), the value and gradient 12, the finite and stopping checks 8
FLOPS_PER_POINT_STEP = 2 * 13 + 12 + 8


def core_peak_gflops() -> tuple[float, str]:
    """Double-precision peak of one core: FMA units x vector width x 2 x clock. Zen 1 (AMD
    family 23 model 1, this machine) has two 128-bit FMA pipes: 8 flops per cycle."""
    mhz, fam, model = 0.0, "", ""
    try:
        for line in open("/proc/cpuinfo"):
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k == "cpu MHz" and not mhz:
                mhz = float(v)
            elif k == "cpu family" and not fam:
                fam = v
            elif k == "model" and not model:
                model = v
    except OSError:
        pass
    per_cycle = 8 if (fam, model) == ("23", "1") else 16
    return per_cycle * mhz / 1000, f"{per_cycle} flops/cycle x {mhz / 1000:.2f} GHz"


def _wall_and_cpu(fn) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _interleaved(a, b, repeat: int):
    """Best (wall, cpu) of ``a`` and of ``b``, calling them in turns, so that on a shared
    machine both see the same moments of load."""
    best_a, best_b = (np.inf, np.inf), (np.inf, np.inf)
    for _ in range(repeat):
        best_a = tuple(map(min, best_a, _wall_and_cpu(a)))
        best_b = tuple(map(min, best_b, _wall_and_cpu(b)))
    return best_a, best_b


def torch_adam(n, steps):
    """torch.optim.Adam on one thread doing the targets' work, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    S = starts(n)

    def go():
        P = torch.tensor(S.T.copy(), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([P], lr=LR)
        for _ in range(steps):
            opt.zero_grad()
            x, y = P[0], P[1]
            ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum().backward()
            opt.step()

    return go


def targets(quick: bool) -> None:
    """The issue's targets. Each figure is the best of several calls, gdstudio and torch
    called in turns; on one thread the ratio of CPU times is printed too, which a busy
    machine disturbs far less than wall-clock time."""
    import os

    n, steps, single = (10_000, 1_000, 2_000) if not quick else (10_000, 100, 200)
    S = starts(n)

    def descend_many():
        descend(TEXT, S, optimizer="adam", lr=LR, steps=steps, tol=0, record=False)

    def descend_one():
        descend(TEXT, S[:1], optimizer="adam", lr=LR, steps=single, tol=0, record=False)

    def kernel_only():
        b = BatchDescent(compile_function(TEXT), S, "adam", lr=LR, max_steps=steps, tol=0)
        t = time.perf_counter()
        b.advance(steps, record=False)
        return time.perf_counter() - t

    descend_many()  # compile or load the kernel once
    torch_many, torch_one = torch_adam(n, steps), torch_adam(1, single)
    all_cores = engine_threads()
    print(f"\nTargets through gdstudio.descend() (result included), Adam on {TEXT!r}"
          f" (load average {os.getloadavg()[0]:.1f}):")
    peak, how = core_peak_gflops()
    for threads in (1, all_cores) if all_cores > 1 else (1,):
        set_engine_threads(threads)
        t_kernel = min(kernel_only() for _ in range(3))
        if torch_many:
            (w, c), (tw, tc) = _interleaved(descend_many, torch_many, 3)
        else:
            w, c = min(_wall_and_cpu(descend_many) for _ in range(3))
        rate = n * steps / t_kernel
        gflops = rate * FLOPS_PER_POINT_STEP / 1e9
        line = (f"  {n:,} runs x {steps:,} steps, {threads} thread{'s' if threads > 1 else ''}: "
                f"descend {w:.3f} s (kernel {t_kernel:.3f} s, {rate / 1e6:.0f} M point-steps/s, "
                f"{gflops:.1f} GFLOP/s = {gflops / (peak * threads) * 100:.0f}% of {threads} x {peak:.0f})")
        if torch_many:
            line += f"; torch {tw:.3f} s -> {w / tw:.3f} of torch's time"
            if threads == 1:
                line += f" (CPU time {c:.3f} s / {tc:.3f} s = {c / tc:.3f})"
            line += " (target <= 0.15)"
        print(line)
    set_engine_threads(None)
    if torch_one:
        (w, c), (tw, tc) = _interleaved(descend_one, torch_one, 5)
        print(f"  1 run x {single:,} steps: descend {w * 1e3:.2f} ms; torch {tw * 1e3:.1f} ms -> "
              f"{w / tw:.4f} of torch's time (CPU time {c / tc:.4f}) (target <= 0.05)")
    else:
        w, _ = min(_wall_and_cpu(descend_one) for _ in range(5))
        print(f"  1 run x {single:,} steps: descend {w * 1e3:.2f} ms")
    print(f"  ({FLOPS_PER_POINT_STEP} flops per point-step; core peak {peak:.0f} GFLOP/s = {how}; the "
          f"kernel is scalar, bound by its 2 square roots and 2 divisions per point-step)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    ap.add_argument("--targets-only", action="store_true", help="only the descend() targets")
    args = ap.parse_args()
    if args.targets_only:
        targets(args.quick)
        return
    typed = compile_function(TEXT)
    hand = HandRosenbrock()
    plan = [(1, 20000), (1000, 1000), (10000, 1000), (100000, 100)]
    if args.quick:
        plan = [(n, max(10, s // 10)) for n, s in plan]
    print(f"Adam (lr {LR}) on Rosenbrock typed as {TEXT!r}; figures in million point-steps/s")
    print(f"(one run advancing one step = one point-step; best of 3; numpy {np.__version__})\n")
    head = f"{'runs':>7} {'steps':>6} | {'gdstudio':>9} {'engine/np':>9} {'eng/hand':>9} {'np loop':>9} {'torch':>9} | {'vs torch':>8} {'typing':>7}"
    print(head)
    print("-" * len(head))
    for n, steps in plan:
        work = n * steps / 1e6
        t_typed = run_engine(typed, n, steps)
        t_np = run_engine(typed, n, steps, fused=False) if n > 1 else t_typed
        t_hand = run_engine(hand, n, steps, fused=False)
        t_loop = numpy_loop(n, steps)
        t_torch = torch_loop(n, steps)
        rate = lambda t: f"{work / t:9.3f}" if t else f"{'n/a':>9}"
        vs = f"{t_torch / t_typed:7.1f}x" if t_torch else f"{'n/a':>8}"
        print(f"{n:>7} {steps:>6} | {rate(t_typed)} {rate(t_np)} {rate(t_hand)} {rate(t_loop)} {rate(t_torch)} | "
              f"{vs} {t_np / t_hand:6.2f}x")
        if n == 1:
            print(f"{'':>15}   single run: {steps / t_typed:,.0f} steps/s"
                  + (f" (torch: {steps / t_torch:,.0f} steps/s)" if t_torch else ""))
    print("\n'vs torch': gdstudio's speed-up over torch.optim.Adam; 'typing': engine time with the "
          "typed\nexpression over engine time with the hand-written objective (numpy path).")
    targets(args.quick)


if __name__ == "__main__":
    main()

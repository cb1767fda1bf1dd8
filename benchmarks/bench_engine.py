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

Usage: python benchmarks/bench_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gdstudio import descend
from gdstudio.core.compiled import compile_function
from gdstudio.core.objective import Objective
from gdstudio.core.runner import BatchDescent

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
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)

    def go():
        P = torch.tensor(starts(n).T.copy(), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([P], lr=LR)
        for _ in range(steps):
            opt.zero_grad()
            x, y = P[0], P[1]
            ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum().backward()
            opt.step()

    return timed(go, repeat=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()

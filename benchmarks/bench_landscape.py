"""How long a 101×101 loss landscape takes for a small network.

    python benchmarks/bench_landscape.py [--hidden 16,16] [--n 500] [--grid 101]

Moons data (n points), a 2-h1-h2-1 tanh classifier (hidden (16,16): 337 weights), a plane
through seeded initial weights spanned by two filter-normalised random directions (Li et al.
2018), the value on every grid point; then a 2-D PCA plane from a short descent, and the
exact 2×2 Hessians on one grid row. Prints seconds for each. With numba installed a network's
planes use a compiled kernel (core/models/_mlp_kernel.py); the one point evaluated before the
first plane shows what loading it costs once a process (importing numba, reading the kernel
from numba's cache, or compiling it the first time ever: about ten seconds).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from gdstudio.core.models.landscape import (  # noqa: E402
    PlaneObjective,
    SliceObjective,
    compute_landscape,
    pca_directions,
    random_directions,
)
from gdstudio.core.models.mlp import MLPObjective  # noqa: E402
from gdstudio.io.datasets import make_moons  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", default="16,16")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--grid", type=int, default=101)
    ap.add_argument("--activation", default="tanh")
    a = ap.parse_args(argv)

    X, y = make_moons(a.n, seed=0)
    obj = MLPObjective(X, y, hidden=a.hidden, activation=a.activation, task="classification")
    theta = obj.init_params(1, seed=0)[0]
    g = a.grid
    xs = np.linspace(-1, 1, g)
    print(f"network {'-'.join(map(str, obj.sizes))} {a.activation}: d = {obj.dim} weights, "
          f"n = {a.n} points, grid {g}×{g} = {g * g} evaluations")

    d1, d2 = random_directions(obj, theta, seed=1)
    t = time.perf_counter()
    PlaneObjective(obj, theta, d2, d1).full_value(np.zeros((1, 2)))  # the compiled kernel, once a process
    t_load = time.perf_counter() - t
    plane = PlaneObjective(obj, theta, d1, d2)
    t = time.perf_counter()
    Z = compute_landscape(plane, xs, xs)
    t_plane = time.perf_counter() - t
    print(f"random filter-normalised plane: {t_plane:.2f} s  (min {np.nanmin(Z):.3f}, max {np.nanmax(Z):.3f}; "
          f"first, one point: {t_load:.2f} s)")

    sl = SliceObjective(obj, theta, 0, 1)
    t = time.perf_counter()
    compute_landscape(sl, xs * 3, xs * 3)
    print(f"slice over {sl.names[0]}, {sl.names[1]}: {time.perf_counter() - t:.2f} s")

    # a short full-batch descent, then its PCA plane
    P = theta.copy()
    path = [P.copy()]
    t = time.perf_counter()
    for _ in range(300):
        P = P - 0.5 * obj.grad(P[None])[0]
        path.append(P.copy())
    t_gd = time.perf_counter() - t
    e1, e2, expl = pca_directions(np.array(path))
    pca = PlaneObjective(obj, path[-1], e1, e2)
    t = time.perf_counter()
    compute_landscape(pca, xs * 5, xs * 5)
    print(f"300 descent steps: {t_gd:.2f} s; PCA plane (explained {expl[0]:.1%} + {expl[1]:.1%}): "
          f"{time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    plane.hess(np.column_stack([xs, np.zeros_like(xs)]))
    print(f"exact 2×2 Hessians on {g} points (forward Taylor): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    obj.hess(theta[None])
    print(f"exact full {obj.dim}×{obj.dim} Hessian at one point (Hessian-vector products): "
          f"{time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()

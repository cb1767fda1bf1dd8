"""``gdstudio landscape``: train, choose a plane through the final point, and evaluate the loss
on a grid over it in row blocks, in-process or over a Dask cluster. See docs/sweep.md."""

from __future__ import annotations

import sys
import time

import numpy as np

from .cli import UsageError, _number, _numbers, _positive_int


def add_parser(sub) -> None:
    from .cli_cluster import add_cluster_options
    from .core.optimizers import OPTIMIZERS

    p = sub.add_parser(
        "landscape",
        help="the loss over a plane through a trained model's weights, on a grid",
        description="Train a model (or descend on a function), take the plane through the final "
        "point (PCA of the path, random filter-normalised directions, or two weights), and "
        "evaluate the loss on a GRID × GRID grid over it, with the path projected onto it.",
    )
    m = p.add_argument_group("what to look at")
    m.add_argument("--model", metavar="MODEL", help="mlp | linreg | a typed model such as 'a*exp(b*x)'")
    m.add_argument("--function", metavar="TEXT", help="a preset or an expression in x and y (instead of --model)")
    m.add_argument("--data", metavar="DATA", help="sine | xor | moons | circles | spirals | housing | FILE.csv")
    m.add_argument("--x", metavar="COL")
    m.add_argument("--y", metavar="COL")
    m.add_argument("--scale", default="none", choices=("none", "standard"))
    m.add_argument("--loss", default="mse", choices=("mse", "mae", "huber"))
    m.add_argument("--huber-delta", default="1", metavar="D")
    m.add_argument("--hidden", default="8,8", metavar="W1,W2,...")
    m.add_argument("--activation", default="tanh", choices=("tanh", "sigmoid", "relu"))
    m.add_argument("--batch-size", metavar="B")
    m.add_argument("--seed", default="0", metavar="S", help="seeds the data, the initial weights and random directions")
    t = p.add_argument_group("training (the path the plane shows)")
    t.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    t.add_argument("--lr", metavar="LR", help="learning rate (default: the optimizer's)")
    t.add_argument("--steps", default="500", metavar="N", help="training steps (default 500)")
    t.add_argument("--start", metavar="X,Y", help="the start of a function's descent (default: the domain's centre)")
    g = p.add_argument_group("the plane and the grid")
    g.add_argument("--plane", default="pca", metavar="pca|random|weights:A,B",
                   help="PCA directions of the path (default), two random filter-normalised "
                   "directions, or two weights such as weights:W1[0,0],W1[0,1]")
    g.add_argument("--grid", default="201", metavar="N", help="N × N grid points (default 201)")
    add_cluster_options(p)
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="FILE.npz", help="write the grid, the path and the plane (numpy .npz)")
    p.set_defaults(handler=cmd_landscape)


def cmd_landscape(args) -> int:
    from .app.executors import Cancelled
    from .app.landscape import (LandscapeError, grid_axes, landscape_grid, make_plane, path_values,
                                training_path, write_landscape_npz)
    from .cli import _problem
    from .cli_cluster import executor_from_args, interrupted
    from .console import ProgressBar
    from .io.atomic import WriteError, check_writable_target
    from .io.trajectories import ExportError

    seed = _positive_int(args.seed, "--seed", 0)
    steps = _positive_int(args.steps, "--steps", 0)
    n = _positive_int(args.grid, "--grid", 2)
    if n > 4001:
        raise UsageError(f"--grid {n} is more than 4001 points a side (16 million evaluations)")
    lr = _number(args.lr, "--lr") if args.lr is not None else None
    if not args.model and not args.function:
        raise UsageError("give --model (e.g. --model mlp --data moons) or --function")
    objective, default_starts, model_meta = _problem(args, seed)
    if args.start is not None:
        start = np.array(_numbers(args.start, objective.dim, "--start",
                                  ",".join(objective.names).upper()), float)
    elif default_starts is not None:
        start = np.asarray(default_starts, float)[0]
    else:
        start = np.array([0.5 * (a + b) for a, b in objective.domain()], float)
    if args.out:
        try:
            check_writable_target(args.out)  # before the work, not after it
        except WriteError as err:
            raise UsageError(str(err)) from None
    t0 = time.perf_counter()
    try:
        path = training_path(objective, start, args.optimizer, lr, steps)
        plane = make_plane(objective, path, args.plane, seed)
    except LandscapeError as err:
        raise UsageError(f"--plane: {err}") from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    t_train = time.perf_counter() - t0
    xs, ys = grid_axes(plane.domain, n)
    bar = ProgressBar(n, unit="grid rows")
    executor = executor_from_args(args)
    try:
        with executor:
            print(f"{n} × {n} grid on {executor.description}", file=sys.stderr)
            t1 = time.perf_counter()
            Z = landscape_grid(plane.objective, xs, ys, executor,
                               progress=lambda f: bar.update(int(round(n * f))))
            t_grid = time.perf_counter() - t1
    except (KeyboardInterrupt, Cancelled):
        bar.close()
        return interrupted("the landscape", args.out)
    bar.close()
    pv = path_values(plane)
    meta = {
        "model": args.model, "function": args.function, "model_settings": model_meta,
        "variables": list(objective.names), "parameters": objective.dim,
        "training": {"optimizer": args.optimizer, "lr": lr, "steps": steps, "start": start.tolist()},
        "plane": plane.kind if plane.kind != "weights" else args.plane,
        "seed": seed, "grid": n, "domain": [list(r) for r in plane.domain],
        "command": ["gdstudio", *sys.argv[1:]], "executor": executor.description,
        "seconds": {"training": round(t_train, 3), "grid": round(t_grid, 3)},
    }
    if args.out:
        try:
            write_landscape_npz(args.out, xs, ys, Z, plane, pv, meta)
        except ExportError as err:
            raise UsageError(str(err)) from None
    finite = Z[np.isfinite(Z)]
    print(f"{objective.label}: {objective.dim} parameters, trained {len(path) - 1} steps "
          f"({args.optimizer}), final loss {pv[-1]:.6g}")
    how = {"pca": "PCA plane of the path", "random": "random filter-normalised plane",
           "weights": f"slice over {', '.join(plane.names)}", "function": "the function's own plane"}
    print(f"plane: {how[plane.kind]}, {plane.names[0]} in [{plane.domain[0][0]:.4g}, {plane.domain[0][1]:.4g}], "
          f"{plane.names[1]} in [{plane.domain[1][0]:.4g}, {plane.domain[1][1]:.4g}]")
    if plane.explained is not None:
        e = plane.explained
        print(f"explained variance of the path: {100 * e[0]:.1f}% + {100 * e[1]:.1f}% = "
              f"{100 * (e[0] + e[1]):.1f}%")
    if finite.size:
        print(f"loss on the {n} × {n} grid: min {finite.min():.6g}, max {finite.max():.6g}"
              f"{'' if finite.size == Z.size else f' ({Z.size - finite.size} points overflowed)'}")
    print(f"time: training {t_train:.2f} s, grid {t_grid:.2f} s on {executor.description}")
    if args.out:
        print(f"Landscape written to {args.out}")
    return 0

"""``gdstudio sweep``: the cartesian product of settings, one table row per setting; and the
comma lists of ``gdstudio run`` (several settings side by side in one batch). See
docs/sweep.md."""

from __future__ import annotations

import os
import sys
from typing import Optional

import numpy as np

from .cli import UsageError, _number, _numbers, _positive_int

#: rows of the printed table by default (all of them are in the CSV)
DEFAULT_TOP = 25


def add_parser(sub) -> None:
    from .core.starts import SAMPLERS
    from .cli_cluster import add_cluster_options

    p = sub.add_parser(
        "sweep",
        help="run every combination of settings and tabulate which converge, and how fast",
        description="Run the cartesian product of settings (optimizers × learning rates × "
        "hyper-parameters × schedules × functions), each from the same start points, and "
        "print one row per setting sorted by median final value. A range A:B:N is N values "
        "from A to B (log-spaced for --lr and --eps, linear otherwise); a comma list is explicit.",
    )
    g = p.add_argument_group("function")
    g.add_argument("--function", action="append", metavar="TEXT",
                   help="a preset name or an expression in x and y; repeat it to sweep several "
                   "functions (default rosenbrock)")
    g.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX",
                   help="the domain (default: each function's own)")
    o = p.add_argument_group("settings (each a comma list or a range A:B:N)")
    o.add_argument("--optimizer", default="gd", metavar="LIST",
                   help="optimizers, e.g. gd,momentum,adam (default gd)")
    o.add_argument("--lr", metavar="RANGE", help="learning rates (default: each optimizer's default)")
    o.add_argument("--momentum", metavar="RANGE", help="momentum of momentum/nesterov")
    o.add_argument("--beta1", metavar="RANGE", help="Adam's β₁")
    o.add_argument("--beta2", metavar="RANGE", help="Adam's β₂")
    o.add_argument("--alpha", metavar="RANGE", help="RMSprop's smoothing constant")
    o.add_argument("--eps", metavar="RANGE", help="the ε of adagrad/rmsprop/adam")
    o.add_argument("--schedule", default="constant", metavar="LIST",
                   help="learning-rate schedules, e.g. constant,cosine,step:500:0.5")
    s = p.add_argument_group("start points (the same for every setting)")
    s.add_argument("--start", action="append", metavar="X,Y", help="a start point (repeatable)")
    s.add_argument("--random-starts", metavar="N", help="N seeded random starts in the domain")
    s.add_argument("--sampler", default="uniform", choices=SAMPLERS)
    s.add_argument("--seed", default="0", metavar="S")
    st = p.add_argument_group("stopping")
    st.add_argument("--steps", default="1000", metavar="N", help="the most steps per run (default 1000)")
    st.add_argument("--tol", default="1e-6", metavar="G",
                    help="a run converged when its gradient norm is ≤ G (default 1e-6)")
    add_cluster_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--out", metavar="FILE.csv", help="write the table to this CSV (+ FILE.json sidecar)")
    out.add_argument("--top", default=str(DEFAULT_TOP), metavar="N",
                     help=f"print the N best settings (default {DEFAULT_TOP}; 0 prints all)")
    out.add_argument("--yes", action="store_true",
                     help="run a sweep above the size limit (2·10⁹ run-steps) without asking")
    p.set_defaults(handler=cmd_sweep)


def _domain(args):
    if args.domain is None:
        return None
    v = _numbers(args.domain, 4, "--domain", "XMIN,XMAX,YMIN,YMAX")
    if not (v[0] < v[1] and v[2] < v[3]):
        raise UsageError(f"--domain needs XMIN < XMAX and YMIN < YMAX, got {args.domain}")
    return ((v[0], v[1]), (v[2], v[3]))


def _range(text, option: str, axis: str):
    from .app.sweep import SweepError, parse_values

    if text is None:
        return None
    try:
        return parse_values(text, axis)
    except SweepError as err:
        raise UsageError(f"{option}: {err}") from None


def _list(text: str, option: str) -> list[str]:
    items = [t.strip() for t in str(text).split(",")]
    if not text.strip() or any(not t for t in items):
        raise UsageError(f"{option}: the list {text!r} has an empty item")
    for k, t in enumerate(items):
        if t.lower() in (u.lower() for u in items[:k]):
            raise UsageError(f"{option}: the list {text!r} gives {t!r} twice")
    return items


def cmd_sweep(args) -> int:
    from .app.executors import Cancelled
    from .app.sweep import SweepError, check_limit, make_spec, run_spec
    from .cli_cluster import executor_from_args, interrupted
    from .console import ProgressBar
    from .io.trajectories import ExportError

    seed = _positive_int(args.seed, "--seed", 0)
    steps = _positive_int(args.steps, "--steps", 1)
    tol = _number(args.tol, "--tol")
    if tol < 0:
        raise UsageError(f"--tol must be ≥ 0, got {args.tol}")
    top = _positive_int(args.top, "--top", 0)
    axes = {k: _range(getattr(args, k), f"--{k}", k)
            for k in ("lr", "momentum", "beta1", "beta2", "alpha", "eps")}
    starts = None
    if args.start:
        starts = [_numbers(t, 2, "--start", "X,Y") for t in args.start]
        if args.random_starts is not None:
            raise UsageError("give either --start or --random-starts, not both")
    elif args.random_starts is not None:
        starts = _positive_int(args.random_starts, "--random-starts", 1)
    try:
        spec = make_spec(args.function or ["rosenbrock"], starts=starts,
                         optimizer=_list(args.optimizer, "--optimizer"), **axes,
                         schedule=_list(args.schedule, "--schedule"), steps=steps, tol=tol,
                         seed=seed, sampler=args.sampler, domain=_domain(args))
        check_limit(spec, args.yes)
    except SweepError as err:
        raise UsageError(str(err)) from None
    if args.out:
        _check_writable(args.out)

    bar = ProgressBar(len(spec.settings), unit="settings")
    executor = executor_from_args(args)
    try:
        with executor:
            print(f"{len(spec.settings)} settings × {len(spec.starts[0])} runs × {steps} steps on "
                  f"{executor.description}", file=sys.stderr)
            table = run_spec(spec, executor, progress=lambda done, *_: bar.update(done))
    except (KeyboardInterrupt, Cancelled):
        bar.close()
        return interrupted("the sweep", args.out)
    except ValueError as err:  # a setting the engine refused (raised inside a task)
        bar.close()
        raise UsageError(str(err)) from None
    bar.close()
    table.meta["command"] = ["gdstudio", *sys.argv[1:]]
    if args.out:
        try:
            table.to_csv(args.out)
        except ExportError as err:
            raise UsageError(str(err)) from None
    print(table.format(limit=top or None))
    best = table.best
    if best is not None:
        print(f"\nBest setting: {_describe(best)}  (median value {best['median_value']:.6g}, "
              f"{best['converged']}/{best['runs']} runs converged)")
    if args.out:
        print(f"Table written to {args.out} (settings in {os.path.splitext(args.out)[0]}.json)")
    return 0


def _check_writable(path: str) -> None:
    """Refuse an impossible output path (and its sidecar's) before any work is done."""
    from .io.atomic import WriteError, check_writable_target
    from .io.trajectories import sidecar_path

    try:
        check_writable_target(path)
        check_writable_target(sidecar_path(path))
    except WriteError as err:
        raise UsageError(str(err)) from None


def _describe(row: dict) -> str:
    from .app.sweep import HYPER_AXES

    parts = [row["optimizer"], f"lr {row['lr']:.6g}"]
    parts += [f"{k} {row[k]:.6g}" for k in HYPER_AXES if row.get(k) is not None]
    if row.get("schedule") and row["schedule"] != "constant":
        parts.append(f"schedule {row['schedule']}")
    return ", ".join(parts)


# -- gdstudio run: comma lists --------------------------------------------------------------
#: the options of ``gdstudio run`` that take comma lists
LIST_OPTIONS = ("optimizer", "lr", "momentum", "beta1", "beta2", "alpha", "eps")


def check_one_setting(args) -> None:
    """--session and --lesson run one setting: a comma list there is refused in a sentence."""
    for k in LIST_OPTIONS:
        v = getattr(args, k, None)
        if v is not None and ("," in str(v) or ":" in str(v)):
            raise UsageError(f"--{k}: a session or lesson runs one setting, so give one value "
                             f"(comma lists and ranges are for runs without --session/--lesson)")


def run_settings(args, defaults: Optional[dict] = None):
    """The settings ``gdstudio run`` asked for, from comma lists (or ranges ``A:B:N``) in
    --optimizer, --lr, --momentum, --beta1, --beta2, --alpha and --eps: every combination, per
    optimizer over the hyper-parameters it takes, as a list of
    :class:`~gdstudio.app.sweep.Setting`. ``defaults`` (a preset's recommended
    hyper-parameters) fill the axes not given. Returns None when every option holds one value:
    that run is one setting and runs exactly as before (scalar rate, fused kernel)."""
    from .app.sweep import HYPER_AXES, SweepError, build_settings

    optimizers = _list(args.optimizer, "--optimizer")
    lrs = _range(args.lr, "--lr", "lr")
    hyper = {k: _range(getattr(args, k, None), f"--{k}", k) for k in HYPER_AXES}
    if args.betas is not None:
        if hyper["beta1"] or hyper["beta2"]:
            raise UsageError("give either --betas or --beta1/--beta2, not both")
        b1, b2 = _numbers(args.betas, 2, "--betas", "B1,B2")
        hyper["beta1"], hyper["beta2"] = [b1], [b2]
    if len(optimizers) == 1 and all(v is None or len(v) == 1 for v in (lrs, *hyper.values())):
        # one setting: the plain options, a one-value range written out as its number
        if lrs is not None:
            args.lr = repr(lrs[0])
        for k in ("momentum", "alpha", "eps") + (() if args.betas is not None else ("beta1", "beta2")):
            if hyper[k] is not None:
                setattr(args, k, repr(hyper[k][0]))
        return None
    for k, v in (defaults or {}).items():
        if k == "betas":
            for name, b in zip(("beta1", "beta2"), v):
                hyper[name] = hyper[name] or [float(b)]
        elif k in hyper and hyper[k] is None:
            hyper[k] = [float(v)]
    try:
        return build_settings(1, optimizers, lrs, hyper, [args.schedule or "constant"])
    except SweepError as err:
        raise UsageError(str(err)) from None


def per_run_arguments(settings, n_starts: int):
    """BatchDescent's arguments for every setting × every start, setting-major (run index =
    setting × n_starts + start): (optimizer names, lr array, hyper arrays). A hyper-parameter
    is given only to the runs whose optimizer takes it (the others' cells are never read)."""
    from .app.sweep import HYPER_AXES

    reps = np.repeat(np.arange(len(settings)), n_starts)
    names = [settings[i].optimizer for i in reps]
    lr = np.array([settings[i].lr for i in reps], float)
    hyper = {}
    for k in HYPER_AXES:
        if any(k in s.hyper_dict() for s in settings):
            vals = [s.hyper_dict().get(k, 0.0) for s in settings]
            hyper[k] = np.array(vals, float)[reps]
    if "beta1" in hyper or "beta2" in hyper:
        hyper["betas"] = np.column_stack([hyper.pop("beta1"), hyper.pop("beta2")])
    return names, lr, hyper


def setting_label(s) -> str:
    parts = [s.optimizer, f"lr={s.lr:.4g}"]
    parts += [f"{k}={v:.4g}" for k, v in s.hyper]
    return " ".join(parts)


def settings_legend(settings, per: int) -> str:
    """Which runs are which setting: ``runs 0–1   gd lr=0.01``, one line per setting."""
    lines = []
    for k, s in enumerate(settings):
        a, b = k * per, (k + 1) * per - 1
        runs = f"run {a}" if a == b else f"runs {a}–{b}"
        lines.append(f"  {runs:<14}{setting_label(s)}")
    return "Settings:\n" + "\n".join(lines) + "\n"

"""The command line: ``gdstudio`` (the window), ``gdstudio presets``, ``gdstudio run``.

Every mistake a person can make on the command line gets one sentence on stderr and exit
status 2; no traceback. See ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from typing import Optional, Sequence

import numpy as np

from ._version import __version__
from .console import make_streams_safe
from .io.jsontext import json_text

EXIT_USAGE = 2
#: exit status after Ctrl+C (the shell's convention: 128 + SIGINT)
EXIT_CANCELLED = 130


class Cancelled(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl+C, so partial files are removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_cancelled(signum, frame):
    raise Cancelled(signum)


def _install_signal_handlers() -> None:
    """SIGTERM and SIGHUP end a run the way Ctrl+C does (by default they end the process
    at once and leave hidden ``.part`` files of an export behind)."""
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                signal.signal(sig, _raise_cancelled)
            except (ValueError, OSError):  # not the main thread, or not allowed
                pass


class UsageError(Exception):
    """Bad input from the person: printed as one sentence, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise UsageError(f"{message} (see '{self.prog} --help')")


# options whose values may start with '-' (negative numbers: --start -1,2)
_VALUE_OPTIONS = {"--start", "--domain", "--betas", "--lr", "--momentum", "--alpha", "--eps", "--tol", "--damping",
                  "--beta1", "--beta2"}


def _join_negative_values(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a in _VALUE_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-") and len(argv[i + 1]) > 1 and (argv[i + 1][1].isdigit() or argv[i + 1][1] == "."):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
        else:
            out.append(a)
            i += 1
    return out


def _number(text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise UsageError(f"{what}: {text!r} is not a finite number")
    return v


def _numbers(text: str, n: int, what: str, form: str) -> list[float]:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != n or any(p == "" for p in parts):
        raise UsageError(f"{what} expects {form} ({n} numbers separated by commas), got {text!r}")
    return [_number(p, what) for p in parts]


def _positive_int(text: str, what: str, minimum: int = 0) -> int:
    try:
        v = int(text)
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a whole number") from None
    if v < minimum:
        raise UsageError(f"{what} must be at least {minimum}, got {v}")
    return v


def build_parser() -> argparse.ArgumentParser:
    from .core.optimizers import OPTIMIZERS
    from .core.starts import SAMPLERS

    p = _Parser(prog="gdstudio", description="Gradient Descent Studio: watch gradient descent work.")
    p.add_argument("--version", action="version", version=f"gdstudio {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    g = sub.add_parser("gui", help="open the studio window (the default)",
                       description="Open the studio window, optionally on a session file, a CSV file to fit, "
                       "a preset name or a function of x and y. 'gdstudio TARGET' does the same.")
    g.add_argument("target", nargs="?", default=None,
                   help="a session file (saved by the window), a CSV file (opened as data to fit), "
                   "a preset name (see 'gdstudio presets') or a function such as \"x**2 + 3*y**2\"")
    sub.add_parser("presets", help="list the built-in functions")
    sub.add_parser("lessons", help="list the lessons (name and title)")
    r = sub.add_parser(
        "run",
        help="run gradient descent headless and print what each run found",
        description="Run gradient descent without the window. Prints one row per run and the "
        "distinct critical points found; --out writes every trajectory to CSV (or Parquet).",
    )
    r.add_argument("--session", metavar="FILE",
                   help="run the runs a saved session would run in the window; every other option overrides it")
    r.add_argument("--lesson", metavar="NAME",
                   help="run a lesson's session (see 'gdstudio lessons'); every other option overrides it")
    g = r.add_argument_group("function")
    g.add_argument("--function", default=None, metavar="TEXT",
                   help="a preset name (see 'gdstudio presets') or an expression in x and y; default rosenbrock")
    g.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX", help="the domain (default: the preset's, or -3,3,-3,3)")
    o = r.add_argument_group("optimizer")
    # comma lists (and ranges A:B:N) run every combination side by side in one batch
    # (cli_sweep.run_settings)
    o.add_argument("--optimizer", metavar="NAME[,NAME...]",
                   help=f"{' | '.join(OPTIMIZERS)}, or a comma list of them; default: a preset's "
                   "recommended optimizer (see 'gdstudio presets'), else gd")
    o.add_argument("--lr", metavar="LR[,LR...]", help="learning rate(s) (default: a preset's recommended rate "
                   "when neither --optimizer nor --lr is given, else PyTorch's default for the optimizer)")
    o.add_argument("--momentum", metavar="MU[,MU...]", help="momentum for momentum/nesterov (default 0.9)")
    o.add_argument("--betas", metavar="B1,B2", help="Adam's betas (default 0.9,0.999)")
    o.add_argument("--beta1", metavar="B1[,B1...]", help="Adam's β₁ (instead of --betas)")
    o.add_argument("--beta2", metavar="B2[,B2...]", help="Adam's β₂ (instead of --betas)")
    o.add_argument("--alpha", metavar="A[,A...]", help="RMSprop's smoothing constant (default 0.99)")
    o.add_argument("--eps", metavar="EPS[,EPS...]", help="the epsilon of adagrad/rmsprop/adam")
    o.add_argument("--coordinates", choices=("cartesian", "polar"),
                   help="descend in Cartesian (x, y) or polar (r, θ) coordinates (default cartesian; "
                   "results stay in x, y)")
    o.add_argument("--gradient", choices=("naive", "metric"),
                   help="in polar coordinates: the naive partials, or the metric gradient G⁻¹·∂f (default)")
    o.add_argument("--damping", metavar="L", help="Newton's damping λ ≥ 0 (default 0)")
    o.add_argument("--schedule", metavar="SPEC",
                   help="constant | step:SIZE[:GAMMA] | exponential[:GAMMA] | cosine[:T_MAX[:ETA_MIN]]")
    s = r.add_argument_group("start points")
    s.add_argument("--start", action="append", metavar="X,Y", help="a start point (repeatable)")
    s.add_argument("--random-starts", metavar="N", help="N random start points inside the domain")
    s.add_argument("--sampler", choices=SAMPLERS,
                   help="how random starts are drawn: uniform, sobol/halton (low-discrepancy), grid")
    s.add_argument("--seed", metavar="S", help="seed of the random starts (default 0)")
    st = r.add_argument_group("stopping")
    st.add_argument("--steps", metavar="N",
                    help="the most steps per run (default: a preset's recommended steps, else 1000)")
    st.add_argument("--tol", metavar="G",
                    help="stop when the gradient norm is ≤ G; 0 means never (default: a preset's "
                    "recommended tolerance, else 1e-6)")
    m = r.add_argument_group("models fitted to data")
    m.add_argument("--model", metavar="MODEL",
                   help="linreg | mlp | a typed model such as 'a*exp(b*x)' (names other than x are parameters)")
    m.add_argument("--data", metavar="DATA", help="housing | sine | xor | moons | circles | spirals | FILE.csv")
    m.add_argument("--x", metavar="COL", help="input column (linreg default LotArea; comma-separated list for mlp)")
    m.add_argument("--y", metavar="COL", help="target column (default SalePrice)")
    m.add_argument("--scale", choices=("none", "standard"), help="feature scaling (default none)")
    m.add_argument("--loss", choices=("mse", "mae", "huber"), help="loss of a typed model (default mse)")
    m.add_argument("--huber-delta", metavar="D", help="the Huber loss's threshold δ (default 1)")
    m.add_argument("--hidden", metavar="W1,W2,...", help="hidden layer widths of the network (default 8,8)")
    m.add_argument("--activation", choices=("tanh", "sigmoid", "relu"), help="the network's activation (default tanh)")
    m.add_argument("--batch-size", metavar="B", help="mini-batch size (default: full batch)")
    out = r.add_argument_group("output")
    out.add_argument("--out", metavar="FILE.csv",
                     help="write every trajectory to this CSV (+ FILE.json sidecar); a name ending in "
                          ".parquet writes Parquet (needs pip install 'gdstudio[parquet]')")
    shown = out.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the results as one JSON object")
    shown.add_argument("--all", action="store_true",
                       help=f"print every run and every critical point (by default a table of "
                            f"more than {TABLE_ALL_UP_TO} runs shows its first {HEAD_ROWS})")
    shown.add_argument("--quiet", action="store_true", help="print nothing but errors")
    from .cli_animation import add_options

    add_options(out)
    from .cli_landscape import add_parser as add_landscape
    from .cli_sweep import add_parser as add_sweep

    add_sweep(sub)
    add_landscape(sub)
    return p


# -- the 'run' command --------------------------------------------------------------------
#: the run options' defaults: the parser leaves them None, so a session knows what was given
RUN_DEFAULTS = {"optimizer": "gd", "coordinates": "cartesian", "gradient": "metric", "schedule": "constant", "sampler": "uniform", "seed": "0",
                "steps": "1000", "tol": "1e-6", "scale": "none", "loss": "mse", "huber_delta": "1",
                "hidden": "8,8", "activation": "tanh"}


def _fill_defaults(args) -> set:
    """Fill the defaults in; returns the options the person gave."""
    given = {k for k in vars(args) if getattr(args, k) is not None and k != "command"}
    for k, v in RUN_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    return given


def _hyper(args) -> dict:
    hyper = {}
    if args.momentum is not None:
        hyper["momentum"] = _number(args.momentum, "--momentum")
    if args.betas is not None:
        if args.beta1 is not None or args.beta2 is not None:
            raise UsageError("give either --betas or --beta1/--beta2, not both")
        hyper["betas"] = tuple(_numbers(args.betas, 2, "--betas", "B1,B2"))
    for k in ("beta1", "beta2"):
        if getattr(args, k) is not None:
            hyper[k] = _number(getattr(args, k), f"--{k}")
    if args.alpha is not None:
        hyper["alpha"] = _number(args.alpha, "--alpha")
    if args.eps is not None:
        hyper["eps"] = _number(args.eps, "--eps")
    if args.damping is not None:
        hyper["damping"] = _number(args.damping, "--damping")
    return hyper


def _problem(args, seed: int):
    """(objective, default starts or None, model metadata) for --function or --model."""
    from .core.expression import ExpressionError

    if args.model:
        if args.function:
            raise UsageError("give either --function or --model, not both")
        from .app.problems import build_problem

        hidden = args.hidden
        batch = _positive_int(args.batch_size, "--batch-size", 1) if args.batch_size else None
        delta = _number(args.huber_delta, "--huber-delta")
        try:
            prob = build_problem(
                args.model, args.data, x=args.x, y=args.y, scale=args.scale, loss=args.loss,
                hidden=hidden, activation=args.activation, seed=seed, batch_size=batch,
                huber_delta=delta,
            )
        except ExpressionError as err:
            raise UsageError(f"--model: {err}") from None
        except (ValueError, OSError) as err:
            raise UsageError(str(err)) from None
        meta = {"model": args.model, "data": args.data, "x": prob.x_name, "y": prob.y_name,
                "scale": args.scale, "loss": args.loss, "huber_delta": delta, "hidden": args.hidden,
                "activation": args.activation, "batch_size": batch}
        return prob.objective, np.asarray(prob.default_starts, float), meta
    if args.data or args.x or args.y:
        raise UsageError("--data, --x and --y need --model (e.g. --model linreg)")
    from .core.presets import get_objective

    text = "rosenbrock" if args.function is None else args.function
    try:
        return get_objective(text), None, {}
    except ExpressionError as err:
        raise UsageError(f"--function: {err}") from None
    except ValueError as err:
        raise UsageError(f"--function: {err}") from None


def _recommended(args, objective):
    """A preset's recommended settings, or None for anything else (see presets.py)."""
    preset = getattr(objective, "preset", None)
    return None if args.model or preset is None else preset.recommended


def _starts(args, objective, default_starts, domain, seed, recommended=None):
    from .core.starts import make_starts

    d = objective.dim
    pts = []
    for text in args.start or []:
        if d != 2:
            names = ",".join(objective.names)
            pts.append(_numbers(text, d, "--start", names.upper()))
        else:
            pts.append(_numbers(text, 2, "--start", "X,Y"))
    if args.random_starts is not None:
        n = _positive_int(args.random_starts, "--random-starts", 1)
        try:
            pts.extend(make_starts(args.sampler, n, domain, seed).tolist())
        except ValueError as err:
            raise UsageError(str(err)) from None
    if pts:
        return np.asarray(pts, float), ("explicit" if not args.random_starts else args.sampler)
    if default_starts is not None:
        return default_starts, "model default"
    if recommended is not None:
        return recommended.start_points(domain), "preset's recommended starts"
    try:
        return make_starts(args.sampler, 10, domain, seed), f"{args.sampler} (10 by default)"
    except ValueError as err:
        raise UsageError(str(err)) from None


#: without --all, a table of more runs than this shows its first HEAD_ROWS rows
TABLE_ALL_UP_TO = 20
HEAD_ROWS = 10


def _text_report(result, show_all: bool) -> str:
    """The first rows of the per-run table (every row with --all), then the summary."""
    from .core.report import runs_table, summary_text

    n = len(result.status)
    rows = n if show_all or n <= TABLE_ALL_UP_TO else HEAD_ROWS
    out = runs_table(result, range(rows))
    if rows < n:
        out += f"\n… {n - rows:,} more runs (--all prints every run)"
    return out + "\n\n" + summary_text(result, limit=None if show_all else 10)


def _json(result, meta, settings=None) -> str:
    """``settings`` (several settings side by side, setting-major): each run also gets its
    setting's index, optimizer, rate and hyper-parameters."""
    per = len(result.status) // len(settings) if settings else 0
    runs = [
        {
            "run": i,
            **({"setting": i // per, "optimizer": settings[i // per].optimizer,
                "lr": settings[i // per].lr, **settings[i // per].hyper_dict()} if settings else {}),
            "start": [float(v) for v in result.starts[i]],
            "end": [float(v) for v in result.final_points[i]],
            "value": float(result.values[i]),
            "steps": int(result.steps[i]),
            "status": result.status[i],
            "critical": result.critical[i],
        }
        for i in range(len(result.status))
    ]
    cps = [c.to_dict() for c in result.critical_points]
    # JSON has no NaN or infinity: they are written as null
    return json_text({**meta, "runs": runs, "critical_points": cps}, indent=2)


def _domain_arg(args, objective) -> Optional[tuple]:
    if args.domain is None:
        return None
    if objective.dim != 2:
        raise UsageError("--domain applies to functions of two variables")
    v = _numbers(args.domain, 4, "--domain", "XMIN,XMAX,YMIN,YMAX")
    if not (v[0] < v[1] and v[2] < v[3]):
        raise UsageError(f"--domain needs XMIN < XMAX and YMIN < YMAX, got {args.domain}")
    if not (math.isfinite(v[1] - v[0]) and math.isfinite(v[3] - v[2])):
        raise UsageError(
            f"--domain: the widths XMAX − XMIN and YMAX − YMIN must be finite numbers "
            f"(they overflow for {args.domain})"
        )
    return ((v[0], v[1]), (v[2], v[3]))


_MODEL_OPTIONS = {"data", "x", "y", "scale", "loss", "huber_delta", "hidden", "activation", "batch_size"}


def _session_run(args, given: set):
    """(objective, DescentConfig, label) of ``--session FILE`` with the other options applied
    on top: what the window would run after the same edits."""
    from dataclasses import replace

    from .app.problem_views import ModelSpec
    from .app.session import Session
    from .core.expression import ExpressionError
    from .core.schedules import parse_schedule
    from .io.session_file import SessionFileError

    try:
        session = Session.load(args.session)
    except SessionFileError as err:
        raise UsageError(str(err)) from None
    try:
        if "function" in given:
            if "model" in given:
                raise UsageError("give either --function or --model, not both")
            session.set_function(args.function)
        model_fields = {k: getattr(args, k) for k in _MODEL_OPTIONS & given}
        if "huber_delta" in model_fields:
            model_fields["huber_delta"] = _number(args.huber_delta, "--huber-delta")
        if "batch_size" in model_fields:
            model_fields["batch_size"] = _positive_int(args.batch_size, "--batch-size", 1)
        if "seed" in given and isinstance(session.problem, ModelSpec):
            model_fields["seed"] = _positive_int(args.seed, "--seed", 0)
        if "model" in given:
            session.set_model(ModelSpec(args.model, **model_fields))
        elif model_fields and isinstance(session.problem, ModelSpec):
            session.set_model(replace(session.problem, **model_fields, sha256=None))
        elif model_fields.keys() - {"seed"}:
            raise UsageError("--data, --x, --y and the model options need a model (the session holds a function)")
        dom = _domain_arg(args, session.objective)
        if dom is not None:
            session.set_domain(dom)
        changes = {}
        if "optimizer" in given:
            changes["optimizer"] = args.optimizer
        if "lr" in given:
            changes["lr"] = _number(args.lr, "--lr")
        if "steps" in given:
            changes["max_steps"] = _positive_int(args.steps, "--steps", 0)
        for key in ("coordinates", "gradient"):
            if key in given:
                changes[key] = getattr(args, key)
        if "tol" in given:
            tol = _number(args.tol, "--tol")
            if tol < 0:
                raise UsageError(f"--tol must be ≥ 0, got {args.tol}")
            changes["tol"] = tol
        if "schedule" in given:
            try:
                changes["schedule"] = parse_schedule(args.schedule, changes.get("max_steps", session.settings.max_steps))
            except ValueError as err:
                raise UsageError(f"--schedule: {err}") from None
        hyper = _hyper(args)
        if "betas" in hyper:
            hyper["beta1"], hyper["beta2"] = hyper.pop("betas")
        if hyper:
            changes["hyper"] = {changes.get("optimizer", session.settings.optimizer): hyper}
        if changes:
            session.update_settings(**changes)
        seed = _positive_int(args.seed, "--seed", 0)
        if "start" in given or "random_starts" in given:
            session.set_starts(_starts(args, session.objective, None, session.domain, seed)[0])
        elif given & {"sampler", "seed"} and session.state.starts.sampler is not None:
            st = session.state.starts
            session.random_starts(st.count, args.sampler if "sampler" in given else st.sampler,
                                  seed if "seed" in given else st.seed)
        config = session.descent_config()
    except ExpressionError as err:
        raise UsageError(f"--function: {err}") from None
    except (ValueError, OSError) as err:
        raise UsageError(str(err)) from None
    return session.objective, config, session.view.title


def cmd_run(args) -> int:
    from .console import ProgressBar
    from .core.api import summarize_run
    from .core.config import DescentConfig
    from .core.coordinates import PolarDescent, check_coordinates
    from .core.runner import BatchDescent
    from .core.schedules import parse_schedule
    from .io.trajectories import ExportError, check_trajectory_target, sidecar_path, stream_descent_csv
    from . import cli_animation

    given = _fill_defaults(args)
    if args.out:  # a format that cannot be written is said before any work is done
        try:
            check_trajectory_target(args.out)
        except ExportError as err:
            raise UsageError(str(err)) from None
    if args.lesson:
        if args.session:
            raise UsageError("give either --session or --lesson, not both")
        from .app.lessons import LessonError, load_lesson

        try:
            args.session = str(load_lesson(args.lesson).path)
        except LessonError as err:
            raise UsageError(str(err)) from None
    seed = _positive_int(args.seed, "--seed", 0)
    steps = _positive_int(args.steps, "--steps", 0)
    tol = _number(args.tol, "--tol")
    if tol < 0:
        raise UsageError(f"--tol must be ≥ 0, got {args.tol}")
    if args.session:
        from .cli_sweep import check_one_setting

        check_one_setting(args)
        settings = None
        objective, config, label = _session_run(args, given)
        try:
            run = config.make_descent(objective)
        except ValueError as err:
            raise UsageError(str(err)) from None
        starts = run.initial_points
        meta = {"label": label, **({"lesson": args.lesson} if args.lesson else {"session": str(args.session)}),
                **config.to_dict()}
    else:
        from dataclasses import replace

        from .cli_sweep import per_run_arguments, run_settings

        objective, default_starts, model_meta = _problem(args, seed)
        rec = _recommended(args, objective)
        rec_hyper: dict = {}
        if rec is not None:  # a preset runs at its recommended settings unless told otherwise
            steps = steps if "steps" in given else rec.steps
            tol = tol if "tol" in given else rec.tol
            if not given & {"optimizer", "lr"}:
                args.optimizer, args.lr = rec.optimizer, repr(float(rec.lr))
                rec_hyper = dict(rec.hyper)
        # comma lists: every combination side by side (None: one setting, run as it always was)
        settings = run_settings(args, rec_hyper)
        if settings is None:
            optimizer = args.optimizer
            lr = _number(args.lr, "--lr") if args.lr is not None else None
            hyper = {**rec_hyper, **_hyper(args)}
        try:
            schedule = parse_schedule(args.schedule, steps)
        except ValueError as err:
            raise UsageError(f"--schedule: {err}") from None
        domain = _domain_arg(args, objective) or objective.domain()
        starts, start_kind = _starts(args, objective, default_starts, domain, seed, rec)
        if settings is not None:  # setting-major: run i is setting i // starts, start i % starts
            optimizer, lr, hyper = per_run_arguments(settings, len(starts))
            if args.damping is not None:  # one value, for the Newton settings
                hyper["damping"] = _number(args.damping, "--damping")
                if not any(s.optimizer == "newton" for s in settings):
                    raise UsageError(f"--damping: none of the optimizers {args.optimizer} takes damping")
                settings = [replace(s, hyper=s.hyper + (("damping", hyper["damping"]),))
                            if s.optimizer == "newton" else s for s in settings]
            starts = np.tile(starts, (len(settings), 1))
        try:
            coordinates, gradient = check_coordinates(args.coordinates, args.gradient, objective.dim)
            if coordinates == "polar":
                run = PolarDescent(objective, starts, optimizer, lr, schedule, steps, tol, domain,
                                   gradient, **hyper)
            else:
                run = BatchDescent(objective, starts, optimizer, lr, schedule, steps, tol, domain, **hyper)
        except ValueError as err:
            raise UsageError(str(err)) from None
        config = DescentConfig.from_batch(run, seed=seed, starts_from=start_kind, model=model_meta or None)
        meta = {"label": objective.label, **config.to_dict()}
        if settings is not None:
            meta["settings"] = [{"optimizer": s.optimizer, "lr": s.lr, **s.hyper_dict()} for s in settings]
            meta["runs_per_setting"] = len(starts) // len(settings)
    optimizer_name = meta["optimizer"] if isinstance(meta["optimizer"], str) else "mixed optimizers"
    try:
        animation = cli_animation.request(args, objective, config.domain)  # None without --animate
    except ValueError as err:
        raise UsageError(str(err)) from None
    source = animation.watch(run) if animation else run
    bar = ProgressBar(run.max_steps) if not args.quiet else None
    progress = bar.update if bar is not None else None
    try:
        if args.out:
            try:
                stream_descent_csv(args.out, source, {**meta, "command": ["gdstudio", *sys.argv[1:]]},
                                   progress=progress)
            except ExportError as err:
                raise UsageError(str(err)) from None
        else:
            while not run.done:
                source.advance(1024, record=False)
                if progress is not None:
                    progress(run.step)
    finally:
        if bar is not None:
            bar.close()
    if animation:
        try:
            animated = animation.write(run, cli_animation.title_for(objective, optimizer_name, run.base_lr))
        except ExportError as err:
            raise UsageError(str(err)) from None
    result = summarize_run(run, starts, config)
    if args.quiet:
        return 0
    if args.json:
        print(_json(result, meta, settings))
    else:
        where = (f", polar coordinates ({meta['gradient']} gradient)"
                 if meta.get("coordinates") == "polar" else "")
        name = meta["label"] or meta["function"]
        if settings is not None:
            from .cli_sweep import settings_legend

            print(f"{name}  ·  {len(settings)} settings side by side{where}")
            print(settings_legend(settings, meta["runs_per_setting"]))
        else:
            print(f"{name}  ·  {optimizer_name}, lr {meta['lr']:g}{where}"
                  if np.ndim(run.base_lr) == 0 else name)
        print(_text_report(result, args.all))
        if args.out:
            print(f"\nTrajectories written to {args.out} (settings in {sidecar_path(args.out)})")
        if animation:
            print(("" if args.out else "\n") + animated)
    return 0


def cmd_lessons(args) -> int:
    from .app.lessons import LessonError, all_lessons

    try:
        lessons = all_lessons()
    except LessonError as err:
        raise UsageError(str(err)) from None
    width = max((len(x.name) for x in lessons), default=0)
    print("Lessons (open one in the studio's Lessons menu, or run it: gdstudio run --lesson NAME):\n")
    for x in lessons:
        print(f"  {x.name.ljust(width)}  {x.title}")
    return 0


def cmd_presets(args) -> int:
    from .core.presets import format_presets_table

    print(format_presets_table())
    return 0


def _no_display_reason() -> Optional[str]:
    """Qt aborts the whole process when it finds no screen; say so in a sentence instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display found (neither DISPLAY nor WAYLAND_DISPLAY is set); run it on a desktop, "
            "on a virtual screen with 'xvfb-run -a gdstudio', or use 'gdstudio run --help' for the "
            "command line")


#: what the window needs beyond the engine: the `gui` extra
GUI_PACKAGES = ("PySide6", "pyqtgraph", "OpenGL")


def _missing_gui_packages() -> list[str]:
    import importlib.util

    missing = []
    for name in GUI_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append("PyOpenGL" if name == "OpenGL" else name)
    return missing


def _target_problem(target: str) -> Optional[str]:
    """Why ``target`` (of ``gdstudio TARGET``) cannot be opened, in one sentence, or None: it
    must be an existing file, a preset name or a function of x and y. Checked before the window
    starts, so a mistyped command is an error on the terminal, not a window with an error."""
    from pathlib import Path

    try:
        if Path(target).exists():
            return None if Path(target).is_file() else f"{target!r} is not a regular file"
    except OSError:  # a long expression is no file name
        pass
    if Path(target).suffix.lower() in (".json", ".csv", ".tsv", ".txt", ".gdsession"):
        return f"no such file: {target!r}"
    from .core.expression import ExpressionError, parse_expression
    from .core.presets import find_preset

    commands = ", ".join(sorted(_subcommands(build_parser())))
    if find_preset(target) is not None:
        return None
    try:
        parsed = parse_expression(target)
    except ExpressionError as err:
        return (f"invalid choice: {target!r} is not a command ({commands}), "
                f"a file, a preset or a function of x and y ({err})")
    extra = sorted(set(map(str, getattr(parsed, "variables", ()))) - {"x", "y"})
    if extra:
        return (f"invalid choice: {target!r} is not a command ({commands}), a file, "
                f"a preset or a function of x and y (it uses {', '.join(extra)})")
    return None


def cmd_gui(argv: Sequence[str]) -> int:
    """Open the window; ``argv`` is empty or holds one target (see ``gdstudio gui --help``)."""
    if argv:
        problem = _target_problem(argv[0])
        if problem:
            print(f"gdstudio: error: {problem}", file=sys.stderr)
            return 2
    missing = _missing_gui_packages()
    if missing:
        print(f"gdstudio: the studio window needs {', '.join(missing)}, which "
              f"{'is' if len(missing) == 1 else 'are'} not installed: install the window with "
              "pip install 'gdstudio[gui]', or use 'gdstudio run --help' for the command line.",
              file=sys.stderr)
        return 1
    reason = _no_display_reason()
    if reason:
        print(f"gdstudio: the studio window cannot start: {reason}.", file=sys.stderr)
        return 1
    try:
        from .gui.app import main as gui_main
    except ImportError as err:
        print(f"gdstudio: the studio window cannot start: {err}. "
              "Try 'gdstudio run --help' for the command line.", file=sys.stderr)
        return 1
    return gui_main(list(argv))


def _subcommands(parser) -> set:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    make_streams_safe()
    if not argv:
        return cmd_gui([])
    parser = build_parser()
    if not argv[0].startswith("-") and argv[0] not in _subcommands(parser):
        # 'gdstudio FILE' (a session, a CSV) or 'gdstudio "x**2 + y**2"': the window on it
        argv = ["gui", *argv]
    try:
        args = parser.parse_args(_join_negative_values(argv) if argv[0] != "gui" else argv)
        if args.command == "gui":
            return cmd_gui([args.target] if args.target is not None else [])
        if args.command == "presets":
            return cmd_presets(args)
        if args.command == "lessons":
            return cmd_lessons(args)
        if getattr(args, "handler", None) is not None:  # sweep, landscape
            return args.handler(args)
        if args.command == "run":
            _install_signal_handlers()
            return cmd_run(args)
        if args.command is None:
            return cmd_gui([])
    except UsageError as err:
        print(f"gdstudio: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("gdstudio: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except Cancelled as c:
        print(f"gdstudio: cancelled ({signal.Signals(c.signum).name})", file=sys.stderr)
        return 128 + c.signum
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

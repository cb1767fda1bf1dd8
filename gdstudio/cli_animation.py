"""``gdstudio run ... --animate FILE.gif``: the command line's animated contour map.

The run command asks :func:`request` for an :class:`AnimationRequest` (``None`` without
``--animate``) before any step is taken, so a bad option or target costs nothing; the
request then watches the batch's chunks (:meth:`AnimationRequest.watch`) while the run goes on
and writes the file at the end (:meth:`AnimationRequest.write`). See docs/cli.md.
"""

from __future__ import annotations

import math
import re
from typing import Optional

import numpy as np

DEFAULT_SIZE = "720x540"


def add_options(group) -> None:
    group.add_argument("--animate", metavar="FILE.gif",
                       help="draw the runs step by step on the contour map as an animated GIF "
                            "(or .mp4 with the optional encoder: pip install 'gdstudio[video]')")
    group.add_argument("--fps", metavar="N", help="frames per second of --animate (default 20, at most 50)")
    group.add_argument("--duration", metavar="SECONDS", help="length of --animate in seconds (default 5)")
    group.add_argument("--size", metavar="WxH", help=f"image size of --animate in pixels (default {DEFAULT_SIZE})")


def _number(text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{what}: {text!r} is not a finite number")
    return v


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not m:
        raise ValueError(f"--size expects WIDTHxHEIGHT in pixels (e.g. {DEFAULT_SIZE}), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def request(args, objective, domain) -> Optional["AnimationRequest"]:
    """The animation asked for on the command line, checked (ValueError: one sentence), or
    None without ``--animate``."""
    if not args.animate:
        for opt, value in (("--fps", args.fps), ("--duration", args.duration), ("--size", args.size)):
            if value is not None:
                raise ValueError(f"{opt} applies to --animate FILE.gif")
        return None
    from .app.animation import AnimationOptions
    from .io.animation import check_animation_target
    from .io.trajectories import ExportError

    if objective.dim != 2:
        raise ValueError(f"--animate draws the contour map of a problem with two parameters; this one "
                         f"has {objective.dim} ({', '.join(objective.names[:4])}{', …' if objective.dim > 4 else ''})")
    fps = _number(args.fps, "--fps") if args.fps is not None else 20.0
    duration = _number(args.duration, "--duration") if args.duration is not None else 5.0
    width, height = _size(args.size or DEFAULT_SIZE)
    options = AnimationOptions(fps=fps, duration=duration, width=width, height=height)
    problems = options.problems()
    if problems:
        raise ValueError(f"--animate: {problems[0]}")
    try:
        target = check_animation_target(args.animate)
    except ExportError as err:
        raise ValueError(f"--animate: {err}") from None
    return AnimationRequest(target, objective, domain, options)


class _Watched:
    """The batch as the CSV writer and the run loop see it, with every chunk also handed to
    the path recorder (chunks of about a million numbers, whatever the caller asks)."""

    def __init__(self, run, recorder):
        self._run = run
        self._recorder = recorder
        self._most = max(1, 1_000_000 // (run.n_runs * (2 * run.dim + 1)))
        recorder.add(run.initial_chunk())  # the starts (the CSV writer asks for them again)

    def __getattr__(self, name):
        return getattr(self._run, name)

    def advance(self, k: int, record: bool = True):
        chunk = self._run.advance(min(int(k), self._most), record=True)
        self._recorder.add(chunk)
        return chunk if record else None


class AnimationRequest:
    def __init__(self, target, objective, domain, options):
        self.target = target
        self.objective = objective
        self.domain = domain
        self.options = options
        self.recorder = None

    def watch(self, run):
        """The batch to drive instead of ``run``: it records the positions as it goes."""
        from .app.animation import PathRecorder

        self.recorder = PathRecorder(run.max_steps)
        return _Watched(run, self.recorder)

    def write(self, run, title: str) -> str:
        """Render and write the file; returns the line to print (ExportError on failure)."""
        from dataclasses import replace

        from .app.animation import MapAnimation
        from .io.animation import write_animation

        paths = self.recorder.finish(run)
        options = replace(self.options, title=title)
        anim = MapAnimation(self.objective, self.domain, paths, options)
        write_animation(self.target, anim.frames(), options.frames, options.fps)
        return (f"Animation written to {self.target} ({options.frames} frames at {options.fps:g} per second, "
                f"{options.width}×{options.height}, steps 0–{paths.last_step:,})")


def title_for(objective, optimizer: str, lr) -> str:
    label = objective.label or getattr(objective, "source", "") or "f"
    return f"{label} · {optimizer}, lr {lr:g}" if np.ndim(lr) == 0 else f"{label} · {optimizer}"

"""Animated pictures of descent runs, without Qt: the contour map with the runs drawn step by
step, one Pillow image per frame. The command line (``gdstudio run --animate``) and the
window's File → Export animation… both render through :class:`MapAnimation`; the files are
written by :mod:`gdstudio.io.animation`.

How a frame is made:

* the background (colour-mapped values, isolines, −∇f arrows, axes, colour bar) is drawn once
  in RGB and quantised once to a palette of at most :data:`_BG_COLORS` colours; the run
  colours and markers take fixed palette entries after those, so every frame is a
  palette ("P") image that the GIF encoder writes without quantising again, and colours never
  flicker from frame to frame;
* trails only grow, so they are drawn incrementally onto one persistent image: the whole
  animation draws each recorded step once (a frame copies that image and adds the current
  positions and the step counter);
* frame ``i`` of ``F`` shows step ``round(i·S/(F−1))`` of a batch that took ``S`` steps.

Public: :class:`AnimationOptions`, :class:`RecordedPaths`, :class:`PathRecorder`,
:class:`MapAnimation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import numpy as np

from . import colors as palette
from .geometry import arrow_segments, choose_scale, contour_segments, levels_for

#: frames per second accepted (GIF delays are whole hundredths of a second, and browsers slow
#: GIFs faster than 50 frames a second down to 10)
FPS_RANGE = (1.0, 50.0)
#: the longest animation, in seconds, and the most frames
MAX_DURATION = 600.0
MAX_FRAMES = 10_000
#: image sizes accepted, in pixels (each side)
SIZE_RANGE = (240, 2048)
#: at most this many recorded steps per run (long runs are recorded at a stride)
MAX_RECORDED_STEPS = 2_000

_BG_COLORS = 216
_BACKGROUND = (30, 30, 36)  # the map's background in the window (#1e1e24)
_TEXT = (225, 225, 225)
_FRAME_LINE = (120, 120, 130)
# viridis at 17 evenly spaced points (matplotlib's table, as the window's colour map)
_VIRIDIS = np.array([
    (68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141),
    (44, 114, 142), (38, 130, 142), (33, 145, 141), (31, 159, 136), (39, 173, 129),
    (62, 188, 116), (93, 200, 99), (130, 211, 77), (170, 220, 50), (213, 226, 26),
    (253, 231, 37),
], float)
_VIRIDIS_POS = np.linspace(0.0, 1.0, len(_VIRIDIS))


def _background_palette():
    """A "P" image whose palette holds what the background is made of: 144 steps of the
    colour map, 48 of the colour map under translucent white lines, 24 greys."""
    from PIL import Image

    plain = viridis(np.linspace(0.0, 1.0, 144)).astype(float)
    lined = viridis(np.linspace(0.0, 1.0, 48)) * 0.62 + 255 * 0.38
    greys = np.linspace(np.array(_BACKGROUND, float), np.array(_TEXT, float), 24)
    colors = np.clip(np.round(np.concatenate([plain, lined, greys])), 0, 255).astype(np.uint8)
    assert len(colors) == _BG_COLORS
    img = Image.new("P", (1, 1))
    img.putpalette(colors.ravel().tolist() + [0] * (768 - 3 * _BG_COLORS))
    return img


def viridis(t: np.ndarray) -> np.ndarray:
    """RGB (uint8) of values ``t`` in [0, 1] on the viridis map (NaN → the background)."""
    t = np.asarray(t, float)
    out = np.empty(t.shape + (3,), np.uint8)
    ok = np.isfinite(t)
    tc = np.clip(np.where(ok, t, 0.0), 0.0, 1.0)
    for c in range(3):
        out[..., c] = np.round(np.interp(tc, _VIRIDIS_POS, _VIRIDIS[:, c])).astype(np.uint8)
    out[~ok] = _BACKGROUND
    return out


@dataclass(frozen=True)
class AnimationOptions:
    """What the person chose: frames per second, length in seconds, image size in pixels,
    whether one unit of x is one unit of y (``None``: yes, unless the ranges differ more than
    five times), the −∇f arrows, and a title (the function and the optimizer)."""

    fps: float = 20.0
    duration: float = 5.0
    width: int = 720
    height: int = 540
    equal_aspect: Optional[bool] = None
    arrows: bool = True
    title: str = ""

    @property
    def frames(self) -> int:
        return max(2, int(round(self.fps * self.duration)))

    def problems(self) -> list[str]:
        """What is wrong with these options, one sentence each (empty when they are fine)."""
        out = []
        lo, hi = FPS_RANGE
        if not (math.isfinite(self.fps) and lo <= self.fps <= hi):
            out.append(f"frames per second must be between {lo:g} and {hi:g}, got {self.fps:g}")
        if not (math.isfinite(self.duration) and 0 < self.duration <= MAX_DURATION):
            out.append(f"the duration must be more than 0 and at most {MAX_DURATION:g} seconds, "
                       f"got {self.duration:g}")
        elif not out and self.frames > MAX_FRAMES:
            out.append(f"{self.frames} frames is too many (at most {MAX_FRAMES}); "
                       "lower the frames per second or the duration")
        a, b = SIZE_RANGE
        for name, v in (("width", self.width), ("height", self.height)):
            if not a <= int(v) <= b:
                out.append(f"the {name} must be between {a} and {b} pixels, got {v}")
        return out


@dataclass(frozen=True)
class RecordedPaths:
    """Positions of N runs at M recorded steps: ``steps`` (M,) increasing, ``points``
    (M, N, 2). A run that stopped repeats its last position. ``last_step`` is the step the
    batch reached (the animation's end)."""

    steps: np.ndarray
    points: np.ndarray

    def __post_init__(self):
        steps = np.asarray(self.steps, np.int64)
        points = np.asarray(self.points, float)
        if points.ndim != 3 or points.shape[2] != 2 or points.shape[0] != steps.shape[0] or steps.size == 0:
            raise ValueError("recorded paths need steps (M,) and points (M, runs, 2) with M ≥ 1")
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "points", points)

    @property
    def n_runs(self) -> int:
        return self.points.shape[1]

    @property
    def last_step(self) -> int:
        return int(self.steps[-1])

    @classmethod
    def from_runs(cls, runs: Sequence[tuple], max_rows: int = MAX_RECORDED_STEPS):
        """From one ``(steps, xy)`` pair per run (increasing steps, starting at 0; xy
        (T_i, ≥2)), each run recorded at its own steps (the window keeps runs at different
        strides): on a common set of at most about ``max_rows`` steps, each run at its last
        recorded position at or before each step."""
        runs = [(np.asarray(s, np.int64), np.asarray(p, float)[:, :2]) for s, p in runs if len(s)]
        if not runs:
            raise ValueError("there are no runs to draw")
        last = max(int(s[-1]) for s, _ in runs)
        every = np.unique(np.concatenate([s for s, _ in runs] + [[0, last]]))
        if every.size > max_rows:
            keep = np.unique(np.linspace(0, every.size - 1, max_rows).round().astype(np.int64))
            every = every[keep]
        pts = np.empty((every.size, len(runs), 2))
        for i, (s, p) in enumerate(runs):
            idx = np.searchsorted(s, every, side="right") - 1
            pts[:, i] = p[np.maximum(idx, 0)]
        return cls(every, pts)

    @classmethod
    def from_trajectories(cls, trajectories: Sequence[np.ndarray], max_rows: int = MAX_RECORDED_STEPS):
        """From one (T_i, ≥2) array per run, row k being step k: see :meth:`from_runs`."""
        return cls.from_runs([(np.arange(len(t)), t) for t in trajectories], max_rows)


class PathRecorder:
    """Keeps the 2-D positions of a running batch at a stride, so that a long run costs at
    most ``max_rows`` rows per run: feed it the batch's chunks in order
    (``add(chunk)``), then ``finish(run)``."""

    def __init__(self, max_steps: int, max_rows: int = MAX_RECORDED_STEPS):
        self.stride = max(1, math.ceil(max(1, int(max_steps)) / max_rows))
        self._steps: list[int] = []
        self._rows: list[np.ndarray] = []

    def add(self, chunk) -> None:
        k = chunk.points.shape[0]
        if k == 0:
            return
        steps = chunk.first_step + np.arange(k)
        keep = np.flatnonzero(steps % self.stride == 0)
        if keep.size:
            self._steps.extend(int(s) for s in steps[keep])
            self._rows.append(np.array(chunk.points[keep, :, :2], float))

    def finish(self, run) -> RecordedPaths:
        steps = list(self._steps)
        rows = list(self._rows)
        if not steps or steps[-1] != run.step:
            steps.append(int(run.step))
            rows.append(np.array(run.points[None, :, :2], float))
        return RecordedPaths(np.array(steps), np.concatenate(rows))


def _stamp(radius: float, half: int) -> np.ndarray:
    """A disc of ``radius`` pixels as a boolean mask of (2·half + 1)² pixels."""
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1]
    return (xx * xx + yy * yy) <= max(radius, 0.0) ** 2


def _put(arr: np.ndarray, centres: np.ndarray, mask: np.ndarray, value, clip) -> None:
    """Set ``arr`` to ``value`` (one, or one per centre) under ``mask`` around each centre
    (x, y), inside the clip rectangle (left, top, width, height) only."""
    if centres.size == 0 or not mask.any():
        return
    k = mask.shape[0] // 2
    dy, dx = np.nonzero(mask)
    xs = centres[:, 0:1] + (dx - k)[None]
    ys = centres[:, 1:2] + (dy - k)[None]
    left, top, w, h = clip
    inside = (xs >= left) & (xs < left + w) & (ys >= top) & (ys < top + h)
    vals = np.broadcast_to(np.asarray(value, np.uint8).reshape(-1, 1), xs.shape)
    arr[ys[inside], xs[inside]] = vals[inside]


def nice_ticks(lo: float, hi: float, target: int = 5) -> np.ndarray:
    """About ``target`` round values (1, 2 or 5 times a power of ten apart) in [lo, hi]."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return np.array([lo])
    raw = span / max(1, target)
    mag = 10.0 ** math.floor(math.log10(raw))
    # the round step whose tick count comes closest to the target
    step = min((m * mag for m in (1, 2, 5, 10)), key=lambda st: abs(span / st - target))
    first = math.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-9, step)
    return np.where(np.abs(ticks) < step * 1e-9, 0.0, ticks)


def _tick_text(v: float) -> str:
    return f"{v:.4g}"


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _rgb(rgba) -> tuple:
    return tuple(int(round(255 * float(c))) for c in tuple(rgba)[:3])


class MapAnimation:
    """The contour map of a two-variable ``objective`` over ``domain`` with ``paths`` drawn
    step by step. ``frames()`` yields ``options.frames`` palette images of
    ``options.width × options.height`` pixels; ``colors`` gives each run's colour (RGBA
    floats; the window's run colours by default)."""

    def __init__(self, objective, domain, paths: RecordedPaths, options: AnimationOptions = AnimationOptions(),
                 colors: Optional[Sequence] = None, names: Optional[Sequence[str]] = None, grid: int = 201):
        if getattr(objective, "dim", 2) != 2:
            raise ValueError(f"the contour map needs a function of two variables; this one has {objective.dim}")
        problems = options.problems()
        if problems:
            raise ValueError(problems[0])
        self.objective = objective
        (self.xa, self.xb), (self.ya, self.yb) = [(float(a), float(b)) for a, b in domain]
        self.paths = paths
        self.options = options
        self.names = tuple(names or getattr(objective, "names", ("x", "y")))[:2]
        n = paths.n_runs
        self.colors = [_rgb(c) for c in (colors if colors is not None else [palette.series(i) for i in range(n)])]
        if len(self.colors) != n:
            raise ValueError(f"{len(self.colors)} colours for {n} runs")
        self._layout()
        self._background = self._draw_background(grid)

    # -- layout ----------------------------------------------------------------------
    def _layout(self) -> None:
        o = self.options
        W, H = int(o.width), int(o.height)
        self.font = _font(max(10, H // 45))
        self.title_font = _font(max(11, H // 38))
        title_h = int(self.title_font.size * 2.0) if hasattr(self.title_font, "size") else 26
        left, right, top, bottom = int(W * 0.09) + 8, int(W * 0.14), title_h + 6, int(H * 0.085) + 10
        pw, ph = W - left - right, H - top - bottom
        dx, dy = self.xb - self.xa, self.yb - self.ya
        equal = o.equal_aspect
        if equal is None:
            equal = max(dx / dy, dy / dx) <= 5.0
        if equal:
            s = min(pw / dx, ph / dy)
            w, h = max(2, int(round(dx * s))), max(2, int(round(dy * s)))
            left += (pw - w) // 2
            top += (ph - h) // 2
            pw, ph = w, h
        self.equal_aspect = bool(equal)
        self.rect = (left, top, pw, ph)  # plot area in pixels
        self.title_h = title_h

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """Pixel coordinates of domain points (N, 2); far-away points are clamped so they
        still draw as a line leaving the map."""
        left, top, pw, ph = self.rect
        xy = np.asarray(xy, float)
        px = left + (xy[..., 0] - self.xa) / (self.xb - self.xa) * pw
        py = top + (self.yb - xy[..., 1]) / (self.yb - self.ya) * ph
        lim = 4.0 * max(self.options.width, self.options.height)
        return np.clip(np.stack([px, py], axis=-1), -lim, lim)

    # -- the background, drawn once ----------------------------------------------------
    def _draw_background(self, grid: int):
        from PIL import Image, ImageDraw

        o = self.options
        W, H = int(o.width), int(o.height)
        left, top, pw, ph = self.rect
        xs = np.linspace(self.xa, self.xb, grid)
        ys = np.linspace(self.ya, self.yb, grid)
        X, Y = np.meshgrid(xs, ys, indexing="ij")
        with np.errstate(all="ignore"):
            Z = np.asarray(self.objective.value(np.column_stack([X.ravel(), Y.ravel()])), float).reshape(grid, grid)
        Z = np.where(np.isfinite(Z), Z, np.nan)
        self.scale = choose_scale(Z)
        T = self.scale.apply(Z)
        finite = T[np.isfinite(T)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        self.t_range = (lo, hi)
        # 'ij' grid → image rows are y from the top, columns x from the left
        rgb = viridis((T - lo) / (hi - lo)).transpose(1, 0, 2)[::-1]
        img = Image.new("RGB", (W, H), _BACKGROUND)
        img.paste(Image.fromarray(np.ascontiguousarray(rgb)).resize((pw, ph), Image.Resampling.BILINEAR),
                  (left, top))
        # isolines and arrows: translucent, as in the window, on a 2× layer for smooth lines
        overlay = Image.new("RGBA", (2 * W, 2 * H), (0, 0, 0, 0))
        d2 = ImageDraw.Draw(overlay)
        segs = contour_segments(xs, ys, T, levels_for(T))[0].reshape(-1, 2)
        if segs.size:
            p = 2 * self.to_pixels(segs)
            for a, b in zip(p[0::2], p[1::2]):
                d2.line([tuple(a), tuple(b)], fill=(255, 255, 255, 95), width=2)
        if o.arrows:
            self._draw_arrows(d2)
        overlay = overlay.resize((W, H), Image.Resampling.LANCZOS)
        mask = Image.new("L", (W, H), 0)
        ImageDraw.Draw(mask).rectangle([left, top, left + pw - 1, top + ph - 1], fill=255)
        clipped = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        clipped.paste(overlay, (0, 0), mask)
        img = Image.alpha_composite(img.convert("RGBA"), clipped).convert("RGB")
        self._draw_axes(ImageDraw.Draw(img))
        self._draw_colorbar(img)
        # one palette for the whole animation: the colour map (plain and under the white
        # isolines and arrows) and greys for text, then the runs' colours; the last entry is
        # left free (the GIF writer's "unchanged pixel")
        q = img.quantize(palette=_background_palette(), dither=Image.Dither.NONE)
        pal = q.getpalette()[: 3 * _BG_COLORS]
        pal += [0] * (3 * _BG_COLORS - len(pal))
        fixed = [(255, 255, 255), (0, 0, 0), _TEXT, _BACKGROUND]
        # the runs' distinct colours take the remaining entries; beyond that many distinct
        # colours, a run is drawn in the nearest one kept
        distinct = list(dict.fromkeys(self.colors))[: 255 - _BG_COLORS - len(fixed)]
        kept = np.array(distinct, float)
        first = _BG_COLORS + len(fixed)
        self._run_index = [first + int(np.argmin(((kept - np.array(c, float)) ** 2).sum(axis=1)))
                           for c in self.colors]
        for c in fixed + distinct:
            pal += list(c)
        pal += [0] * (768 - len(pal))
        q.putpalette(pal)
        self.WHITE, self.BLACK, self.TEXT, self.BG = _BG_COLORS, _BG_COLORS + 1, _BG_COLORS + 2, _BG_COLORS + 3
        return q

    def _draw_arrows(self, draw) -> None:
        n = 19
        pad_x, pad_y = (self.xb - self.xa) / (2 * n), (self.yb - self.ya) / (2 * n)
        gxs = np.linspace(self.xa + pad_x, self.xb - pad_x, n)
        gys = np.linspace(self.ya + pad_y, self.yb - pad_y, n)
        GX, GY = np.meshgrid(gxs, gys, indexing="ij")
        with np.errstate(all="ignore"):
            _, G = self.objective.value_and_grad(np.column_stack([GX.ravel(), GY.ravel()]))
        G = np.asarray(G, float)
        # arrows of one on-screen length: drawn in pixel space so they stay perpendicular to
        # the isolines whatever the aspect ratio
        left, top, pw, ph = self.rect
        U = (-G[:, 0] * pw / (self.xb - self.xa)).reshape(n, n)
        V = (G[:, 1] * ph / (self.yb - self.ya)).reshape(n, n)  # pixel y grows downwards
        pxs = self.to_pixels(np.column_stack([gxs, np.full(n, self.ya)]))[:, 0]
        pys = self.to_pixels(np.column_stack([np.full(n, self.xa), gys]))[:, 1]
        length = 0.8 * min(pw, ph) / n
        PX, PY = np.meshgrid(pxs, pys, indexing="ij")
        xy, strength = arrow_segments(PX, PY, U, V, length, head=0.35, head_angle_deg=28.0, min_frac=1.0)
        segs = 2 * xy.reshape(-1, 6, 2)[strength > 0].reshape(-1, 2)  # no zero-length arrows
        for a, b in zip(segs[0::2], segs[1::2]):
            draw.line([tuple(a), tuple(b)], fill=(235, 235, 235, 125), width=2)

    def _draw_axes(self, draw) -> None:
        left, top, pw, ph = self.rect
        draw.rectangle([left - 1, top - 1, left + pw, top + ph], outline=_FRAME_LINE)
        f = self.font
        for v in nice_ticks(self.xa, self.xb):
            x = self.to_pixels(np.array([v, self.ya]))[0]
            draw.line([(x, top + ph), (x, top + ph + 4)], fill=_FRAME_LINE)
            draw.text((x, top + ph + 6), _tick_text(v), fill=_TEXT, font=f, anchor="ma")
        for v in nice_ticks(self.ya, self.yb):
            y = self.to_pixels(np.array([self.xa, v]))[1]
            draw.line([(left - 5, y), (left - 1, y)], fill=_FRAME_LINE)
            draw.text((left - 7, y), _tick_text(v), fill=_TEXT, font=f, anchor="rm")
        fs = getattr(f, "size", 11)
        draw.text((left + pw / 2, top + ph + 8 + fs + 2), self.names[0], fill=_TEXT, font=f, anchor="ma")
        draw.text((max(2, left - 7 - 4.5 * fs), top + ph / 2), self.names[1], fill=_TEXT, font=f, anchor="rm")

    def _draw_colorbar(self, img) -> None:
        from PIL import Image, ImageDraw

        left, top, pw, ph = self.rect
        W = int(self.options.width)
        bw = max(10, W // 60)
        x0 = left + pw + max(12, W // 50)
        col = viridis(np.linspace(1.0, 0.0, ph))[:, None, :].repeat(bw, axis=1)
        img.paste(Image.fromarray(np.ascontiguousarray(col)), (x0, top))
        draw = ImageDraw.Draw(img)
        draw.rectangle([x0 - 1, top - 1, x0 + bw, top + ph], outline=_FRAME_LINE)
        lo, hi = self.t_range
        for v in nice_ticks(lo, hi, 4):
            y = top + (hi - v) / (hi - lo) * (ph - 1)
            draw.line([(x0 + bw, y), (x0 + bw + 3, y)], fill=_FRAME_LINE)
            draw.text((x0 + bw + 5, y), _tick_text(v), fill=_TEXT, font=self.font, anchor="lm")
        draw.text((x0, top - 4), self.scale.label, fill=_TEXT, font=self.font, anchor="ld")

    # -- frames ------------------------------------------------------------------------
    def frame_steps(self) -> np.ndarray:
        """The step each frame shows: evenly spaced from 0 to the last step."""
        F = self.options.frames
        return np.round(np.linspace(0, self.paths.last_step, F)).astype(np.int64)

    def frames(self) -> Iterator:
        """Yield the frames (Pillow "P" images) in order; cheap to stop early."""
        from PIL import Image, ImageDraw

        trails = self._background.copy()
        tdraw = ImageDraw.Draw(trails)
        steps, pts = self.paths.steps, self.paths.points
        pix = self.to_pixels(pts)  # (M, N, 2)
        finite = np.isfinite(pts).all(axis=2)
        left, top, pw, ph = self.rect
        n = self.paths.n_runs
        width = 2 if n <= 50 else 1
        r = max(2, int(self.options.height) // 120) if n <= 200 else 2
        # markers are stamped with numpy (one assignment for all runs; drawing a thousand
        # ellipses a frame took most of the time): rings at the starts in the run's colour,
        # white dots with a dark rim at the current positions
        k = r + 1
        ring, disc, rim = _stamp(r + 0.5, k) & ~_stamp(r - 1.5, k), _stamp(r - 0.5, k), _stamp(r + 0.5, k)
        run_index = np.array(self._run_index, np.uint8)
        start_px = np.round(pix[0]).astype(np.int64)
        start_ok = finite[0]
        palette = trails.getpalette()
        done = 0  # rows already drawn into the trails
        for s in self.frame_steps():
            upto = int(np.searchsorted(steps, s, side="right"))  # rows with step ≤ s
            if upto > done:
                lo = max(0, done - 1)
                for i in range(n):
                    seg = pix[lo:upto, i][finite[lo:upto, i]]
                    if len(seg) >= 2:
                        tdraw.line(seg.ravel().tolist(), fill=self._run_index[i], width=width)
                done = upto
            arr = np.array(trails)
            row = max(0, upto - 1)
            ok = finite[row]
            cur = np.round(pix[row]).astype(np.int64)
            _put(arr, start_px[start_ok], ring, run_index[start_ok], (left, top, pw, ph))
            _put(arr, cur[ok], rim, self.BLACK, (left, top, pw, ph))
            _put(arr, cur[ok], disc, self.WHITE, (left, top, pw, ph))
            frame = Image.fromarray(arr, "P")
            frame.putpalette(palette)
            self._draw_title(ImageDraw.Draw(frame), int(s))
            frame.info["transparency"] = 255  # never drawn: the GIF writer's "unchanged"
            yield frame

    def _draw_title(self, draw, step: int) -> None:
        W = int(self.options.width)
        draw.rectangle([0, 0, W, self.title_h], fill=self.BG)
        text = self.options.title
        counter = f"step {step:,} / {self.paths.last_step:,}"
        draw.text((10, self.title_h / 2), text, fill=self.TEXT, font=self.title_font, anchor="lm")
        draw.text((W - 10, self.title_h / 2), counter, fill=self.TEXT, font=self.title_font, anchor="rm")

"""Animation files: GIF (always) and MP4 (when the optional encoder is installed), written
frame by frame, atomically.

* The frames are Pillow images of one size; GIF frames are palette ("P") images sharing the
  first frame's palette (``gdstudio.app.animation`` renders them so), other modes are
  converted.
* GIF: streamed with Pillow's GIF encoder, one frame at a time (memory holds two frames,
  whatever the frame count). Each frame stores only the rectangle that changed since the
  previous one. A GIF delay is a whole number of hundredths of a second, so the delays
  alternate (e.g. 30 and 40 ms at 30 frames a second) to keep the total duration exact.
  Every frame is stored, even one equal to the previous frame: the file has exactly the
  frames asked for. It loops forever.
* MP4: H.264 (yuv420p, what slides and browsers play) through the ``ffmpeg`` executable
  shipped in the ``imageio-ffmpeg`` wheel (``pip install 'gdstudio[video]'``). Odd sizes are
  padded by one pixel (yuv420p needs even sides).
* Atomic: the file is written under a temporary name in the target folder and renamed into
  place only when complete; a failure or a cancel leaves an existing file untouched.

Public: :func:`write_animation`, :func:`check_animation_target`, :func:`mp4_available`,
:func:`gif_delays`, :data:`ANIMATION_SUFFIXES`.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np

from .trajectories import ExportError, _AtomicFile, _describe_os_error

ANIMATION_SUFFIXES = (".gif", ".mp4")
MP4_HINT = "MP4 needs the optional encoder: pip install 'gdstudio[video]' (or write a .gif)"


def mp4_available() -> bool:
    """Whether the MP4 encoder (imageio-ffmpeg's bundled ffmpeg) is installed and runs."""
    try:
        import imageio_ffmpeg

        return bool(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # not installed, or no binary for this platform
        return False


def check_animation_target(path) -> Path:
    """The target as a Path, or ExportError with one sentence saying why it cannot be
    written (unknown suffix, MP4 without its encoder, a folder, a missing folder, something
    that is not a regular file)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ExportError(f"cannot write {p}: an animation is a .gif or .mp4 file")
    if suffix == ".mp4" and not mp4_available():
        raise ExportError(f"cannot write {p}: {MP4_HINT}")
    if p.is_dir():
        raise ExportError(f"cannot write {p}: it is a folder")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {p}: the folder {folder} does not exist")
    try:
        if p.exists() and not stat.S_ISREG(p.stat().st_mode):
            raise ExportError(f"cannot write {p}: it exists and is not a regular file")
    except OSError as err:
        raise ExportError(_describe_os_error(p, err)) from None
    return p


def gif_delays(n_frames: int, fps: float) -> list[int]:
    """Per-frame delays in milliseconds, each a multiple of 10 (GIF's unit), whose running
    sum stays within 5 ms of frame/fps: the total duration is exact to a hundredth."""
    ends = np.round(np.arange(1, n_frames + 1) * (100.0 / fps)).astype(np.int64) * 10
    return np.diff(np.r_[0, ends]).tolist()


def _changed_box(prev: np.ndarray, cur: np.ndarray):
    """(left, top, right, bottom) of the pixels that differ, or None."""
    diff = prev != cur
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _write_gif(fh, frames, n_frames: int, fps: float, step) -> None:
    from PIL import GifImagePlugin, Image

    delays = gif_delays(n_frames, fps)
    prev = first = None
    key = None
    for i, im in enumerate(frames):
        if im.mode != "P":
            rgb = im.convert("RGB")
            im = rgb.quantize(palette=first, dither=Image.Dither.NONE) if first is not None else \
                rgb.quantize(colors=255, dither=Image.Dither.NONE)
        cur = np.asarray(im)
        delay = delays[min(i, n_frames - 1)]
        if first is None:
            first = im
            # a palette index no pixel uses marks "unchanged" in later frames (LZW then
            # packs the unchanged stretches of a delta rectangle into almost nothing)
            key = im.info.get("transparency")
            if not isinstance(key, int):
                key = 255 if len(im.getpalette() or []) < 768 and int(cur.max(initial=0)) < 255 else None
            header, _ = GifImagePlugin.getheader(im, None, {"loop": 0, "duration": delay})
            for block in header:
                fh.write(block)
            blocks = GifImagePlugin.getdata(im, offset=(0, 0), duration=delay)
        else:
            if cur.shape != prev.shape:
                raise ValueError(f"frame {i} is {im.size[0]}×{im.size[1]} pixels; the first was "
                                 f"{prev.shape[1]}×{prev.shape[0]}")
            box = _changed_box(prev, cur) or (0, 0, 1, 1)  # an unchanged frame still counts
            x0, y0, x1, y1 = box
            part = np.array(cur[y0:y1, x0:x1])
            params = {"duration": delay, "disposal": 1}
            if key is not None:
                part[part == prev[y0:y1, x0:x1]] = key
                params["transparency"] = key
            img = Image.fromarray(part, "L").convert("P")
            img.putpalette(first.getpalette())
            blocks = GifImagePlugin.getdata(img, offset=(x0, y0), **params)
        for block in blocks:
            fh.write(block)
        prev = cur
        step(i)
    fh.write(b";")


def _write_mp4(tmp: Path, frames, fps: float, step) -> None:
    import imageio_ffmpeg

    writer = None
    try:
        for i, im in enumerate(frames):
            rgb = np.asarray(im.convert("RGB"))
            h, w = rgb.shape[:2]
            if (h % 2) or (w % 2):  # yuv420p needs even sides
                rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
            if writer is None:
                size = (rgb.shape[1], rgb.shape[0])
                writer = imageio_ffmpeg.write_frames(
                    str(tmp), size, fps=fps, codec="libx264", quality=8, macro_block_size=1,
                    ffmpeg_log_level="error", output_params=["-f", "mp4", "-movflags", "+faststart"],
                )
                writer.send(None)
            elif (rgb.shape[1], rgb.shape[0]) != size:
                raise ValueError(f"frame {i} has another size than the first")
            writer.send(np.ascontiguousarray(rgb))
            step(i)
    finally:
        if writer is not None:
            writer.close()


def write_animation(path, frames: Iterable, n_frames: int, fps: float,
                    progress: Optional[Callable[[float], None]] = None,
                    cancel: Optional[Callable[[], bool]] = None) -> Path:
    """Write ``frames`` (``n_frames`` Pillow images) to ``path`` (.gif or .mp4) at ``fps``
    frames a second. ``progress(fraction)`` is called after each frame; ``cancel()``
    returning true stops the export, and ExportError says so. Any failure leaves an existing
    file untouched. Returns the path."""
    p = check_animation_target(path)
    if n_frames < 1:
        raise ValueError("an animation needs at least one frame")

    def step(i: int) -> None:
        if progress is not None:
            progress((i + 1) / n_frames)
        if cancel is not None and cancel():
            raise _Cancelled

    out = _AtomicFile(p, binary=True)
    try:
        if p.suffix.lower() == ".gif":
            _write_gif(out.fh, frames, n_frames, fps, step)
        else:
            # ffmpeg writes the temporary file itself (by name); we only rename it
            _write_mp4(out.tmp, frames, fps, step)
    except _Cancelled:
        out.abort()
        raise ExportError(f"export to {p} was cancelled; nothing was written") from None
    except OSError as err:
        out.abort()
        raise ExportError(_describe_os_error(p, err)) from None
    except BaseException:
        out.abort()
        raise
    out.commit()
    return p


class _Cancelled(Exception):
    pass


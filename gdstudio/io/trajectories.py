"""Trajectory export to CSV (or Parquet): streaming, atomic, exactly re-readable, with a JSON
sidecar.

* Header ``run,step,<p0>,<p1>,...,value,grad_<p0>,grad_<p1>,...`` with the objective's
  parameter names (``x,y`` for a typed function, ``a,b`` for a line fit). A descent in other
  coordinates keeps these Cartesian columns and adds its own at the end (``r,theta``).
* One row per step per run; step 0 is the start. Rows come chunk by chunk in step order
  (all runs at step k before step k+1 within a chunk); sort by (run, step) for per-run order.
* Floats are written with ``repr``, the shortest text that reads back to the same double.
* The CSV and the sidecar are written to temporary files in the target folder and renamed
  into place only when both are complete (:mod:`gdstudio.io.atomic`), so a failed or
  cancelled export never leaves a partial file and never damages an existing pair. A target
  that exists and is not a regular file (a device, a FIFO) is refused.
* The sidecar is valid JSON: non-finite numbers are written as ``null``.
* Only one chunk of rows is ever held in memory.
* A target named ``*.parquet`` gets the same columns and rows as a Parquet table
  (:mod:`gdstudio.io.parquet`, needs the optional pyarrow), with the same sidecar.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from .._version import __version__
from .atomic import AtomicFile, AtomicFiles, WriteError, write_files_atomically
from .jsontext import json_text
from .parquet import ParquetRows, is_parquet, require_pyarrow


#: rows formatted before they are written out (bounds the text held in memory)
_ROWS_PER_WRITE = 20_000


#: a write failed; ``str()`` is one sentence naming the file and the reason
ExportError = WriteError


def header_for(names: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    return ["run", "step", *names, "value", *(f"grad_{n}" for n in names), *extra]


def _csv_line(cells) -> str:
    """One CSV line; names with commas or quotes (a network's ``W1[0,0]``) are quoted."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def sidecar_path(csv_path: os.PathLike | str) -> Path:
    """``runs.json`` for ``runs.csv`` or ``runs.parquet``; ``NAME.json`` appended otherwise."""
    p = Path(csv_path)
    if p.suffix.lower() in (".csv", ".parquet"):
        return p.with_suffix(".json")
    return p.with_name(p.name + ".json")


def check_trajectory_target(path) -> None:
    """Raise :class:`ExportError` (one sentence) if ``path`` names a format that cannot be
    written here (Parquet without pyarrow), before any work is done."""
    if is_parquet(path):
        require_pyarrow()


def _describe_os_error(path: Path, err: OSError) -> str:
    return f"cannot write {path}: {err.strerror or err}"


#: one atomic file (kept under this name for the writers that use it: the animation export)
_AtomicFile = AtomicFile


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with the one atomic writer
    (:func:`gdstudio.io.atomic.write_files_atomically`): a failed write never damages an
    existing file, and a target that is not a regular file is refused. Raises
    :class:`ExportError` (one sentence) on failure."""
    write_files_atomically({Path(path): text})


class TrajectoryWriter:
    """Streams chunks of a descent into a CSV, or a Parquet table if ``path`` ends in
    ``.parquet``. Use as a context manager: the file appears only if the block finishes
    without an exception.

    ``runs`` selects which run indices to write (all by default); their original indices
    are kept in the ``run`` column.
    """

    def __init__(self, path, names: Sequence[str], metadata: Optional[dict] = None,
                 runs: Optional[Sequence[int]] = None, extra_names: Sequence[str] = (),
                 cancel=None):
        self.path = Path(path)
        self.names = tuple(names)
        self.extra_names = tuple(extra_names)
        self.metadata = dict(metadata or {})
        self.runs = None if runs is None else np.asarray(sorted(set(int(r) for r in runs)), int)
        self.rows = 0
        #: ``cancel()`` true stops the export between blocks of rows (ExportError)
        self.cancel = cancel
        self.format = "parquet" if is_parquet(self.path) else "csv"
        self._file = None
        self._table: Optional[ParquetRows] = None

    def __enter__(self):
        if self.format == "parquet":
            require_pyarrow()  # before any file is made
        # both targets are checked (and their temporary files made) before any row is
        # written; both are renamed into place only when both are complete
        self._files = AtomicFiles([self.path, sidecar_path(self.path)],
                                  binary=[self.format == "parquet", False])
        self._file, self._side = self._files.__enter__()
        header = header_for(self.names, self.extra_names)
        try:
            if self.format == "parquet":
                self._table = ParquetRows(self._file.fh, self.path, header)
            else:
                self._file.write(_csv_line(header))
        except BaseException:
            self._files.abort()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._abort()
            return False
        try:
            if self._table is not None:
                self._table.close()
            self._side.write(self._sidecar_text())
        except BaseException:
            self._abort()
            raise
        self._files.__exit__(None, None, None)
        return False

    def _abort(self) -> None:
        if self._table is not None:
            self._table.discard()
        self._files.abort()

    def _sidecar_text(self) -> str:
        meta = {
            "format": "gdstudio-trajectories",
            "format_version": 1,
            "program": "gdstudio",
            "program_version": __version__,
            self.format: self.path.name,
            "columns": header_for(self.names, self.extra_names),
            "rows": self.rows,
            "row_order": "by step, then run",
            **self.metadata,
        }
        try:
            return json_text(meta, indent=2, default=_json_default) + "\n"
        except (TypeError, ValueError) as err:
            raise ExportError(f"cannot write {sidecar_path(self.path)}: {err}") from None

    def write_arrays(self, first_step: int, points, values, grads, steps_after, extra=None) -> None:
        """Rows for ``points`` (k, N, d) etc.; row j is step ``first_step + j``, and run i's
        rows stop at its own step count ``steps_after[i]``. ``extra`` (k, N, e) fills the
        ``extra_names`` columns."""
        points = np.asarray(points, float)
        k, n, d = points.shape
        run_ids = np.arange(n) if self.runs is None else self.runs[self.runs < n]
        steps_after = np.asarray(steps_after)
        if self._table is not None:
            self._append_table(first_step, run_ids, steps_after, points, values, grads, extra)
            return
        out, pending = [], 0
        for j in range(k):
            s = first_step + j
            live = run_ids[steps_after[run_ids] >= s]
            if live.size == 0:
                continue
            parts = [points[j, live], np.asarray(values)[j, live, None], np.asarray(grads)[j, live]]
            if self.extra_names:
                parts.append(np.asarray(extra)[j, live])
            block = np.concatenate(parts, axis=1).tolist()
            prefix = f",{s},"
            out.append("".join(
                f"{r}{prefix}{','.join(map(repr, row))}\n" for r, row in zip(live.tolist(), block)
            ))
            self.rows += live.size
            pending += live.size
            if pending >= _ROWS_PER_WRITE:  # keep the text in memory small, whatever the chunk
                self._file.write("".join(out))
                out, pending = [], 0
                self._check_cancel()
        self._file.write("".join(out))

    def _append_table(self, first_step, run_ids, steps_after, points, values, grads, extra) -> None:
        """The rows of :meth:`write_arrays` as columns, in the same order (step, then run)."""
        k = points.shape[0]
        live = steps_after[run_ids][None, :] >= first_step + np.arange(k)[:, None]  # (k, runs)
        if not live.any():
            return
        at = np.nonzero(live)  # row-major: all live runs of step j, then step j + 1
        rows, cols = at[0], run_ids[at[1]]
        parts = [points[rows, cols], np.asarray(values)[rows, cols][:, None], np.asarray(grads)[rows, cols]]
        if self.extra_names:
            parts.append(np.asarray(extra)[rows, cols])
        self.rows += rows.size
        if self._table.append(cols, first_step + rows, np.concatenate(parts, axis=1)):
            self._check_cancel()

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel():
            raise ExportError(f"export to {self.path} was cancelled; nothing was written")

    def partial_files(self) -> list[Path]:
        """The temporary files being written (empty outside the ``with`` block)."""
        files = getattr(self, "_files", None)
        return [f.tmp for f in files.files] if files is not None else []

    def write_chunk(self, chunk) -> None:
        self.write_arrays(chunk.first_step, chunk.points, chunk.values, chunk.grads, chunk.steps,
                          getattr(chunk, "coords", None))


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in the sidecar")


def write_result_csv(path, result, metadata: Optional[dict] = None,
                     runs: Optional[Iterable[int]] = None) -> int:
    """Write a recorded :class:`~gdstudio.core.api.DescentResult`. Returns the row count."""
    if result.trajectories is None:
        raise ValueError("this result has no trajectories: run descend(..., record=True)")
    meta = {**result.settings, **(metadata or {})}
    meta.setdefault("starts", np.asarray(result.starts).tolist())
    extra = tuple(getattr(result, "coordinate_names", None) or ())
    with TrajectoryWriter(path, result.objective.names, meta, runs, extra) as w:
        longest = max((len(t) for t in result.trajectories), default=0)
        n, d = len(result.trajectories), result.objective.dim
        steps = np.asarray(result.steps)
        for first in range(0, longest, 512):
            k = min(512, longest - first)
            P = np.zeros((k, n, d))
            F = np.zeros((k, n))
            G = np.zeros((k, n, d))
            C = np.zeros((k, n, len(extra)))
            coords = result.coordinate_trajectories if extra else [None] * n
            for i, (tr, tv, tg, tc) in enumerate(zip(result.trajectories, result.trajectory_values,
                                                     result.trajectory_grads, coords)):
                seg = slice(first, min(first + k, len(tr)))
                m = seg.stop - seg.start
                if m > 0:
                    P[:m, i], F[:m, i], G[:m, i] = tr[seg], tv[seg], tg[seg]
                    if tc is not None:
                        C[:m, i] = tc[seg]
            w.write_arrays(first, P, F, G, steps, C)
    return w.rows


def read_trajectories_csv(path) -> tuple[list[str], np.ndarray]:
    """Read an exported CSV back: (header, float array of all rows)."""
    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader([fh.readline()]))
        data = np.loadtxt(fh, delimiter=",", ndmin=2) if fh else np.empty((0, len(header)))
    return header, data


def stream_descent_csv(path, run, metadata: Optional[dict] = None,
                       runs: Optional[Iterable[int]] = None, chunk_steps: Optional[int] = None,
                       cancel=None, progress=None) -> int:
    """Run a fresh :class:`~gdstudio.core.runner.BatchDescent` to the end, streaming every
    chunk into the CSV (memory stays at one chunk). ``cancel()`` returning true aborts the
    export and leaves any existing file untouched; ``progress(step)`` is told the batch's
    step after every chunk. Returns the row count."""
    if run.step != 0:
        raise ValueError("stream_descent_csv needs a batch that has not stepped yet")
    if chunk_steps is None:  # about a million numbers per chunk, however many runs there are
        chunk_steps = max(1, min(256, 1_000_000 // (run.n_runs * (2 * run.dim + 1))))
    extra = getattr(run, "coordinate_names", ())
    with TrajectoryWriter(path, run.objective.names, metadata, runs, extra, cancel=cancel) as w:
        w.write_chunk(run.initial_chunk())
        while not run.done:
            w._check_cancel()
            w.write_chunk(run.advance(chunk_steps))
            if progress is not None:
                progress(run.step)
    return w.rows


def write_trajectories_csv(path, objective, source, metadata: Optional[dict] = None,
                           runs: Optional[Iterable[int]] = None) -> int:
    """Write trajectories from a recorded ``DescentResult`` or a fresh ``BatchDescent``
    (``objective`` names the columns and must be the source's objective)."""
    if hasattr(source, "advance"):
        return stream_descent_csv(path, source, metadata, runs)
    if getattr(source, "objective", objective) is not objective:
        raise ValueError("the result was computed on another objective")
    return write_result_csv(path, source, metadata, runs)

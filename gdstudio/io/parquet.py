"""Trajectories as Parquet (``--out FILE.parquet``): the CSV's columns, streamed in row groups.

pyarrow is optional (``pip install 'gdstudio[parquet]'``); :func:`require_pyarrow` says so in
one sentence before anything is computed or written.

* Columns as in the CSV, in the same order and with the same names: ``run`` and ``step`` as
  64-bit integers, every other column as a 64-bit float (the same doubles the CSV spells
  with ``repr``). Rows in the CSV's order.
* Rows are buffered and written in row groups of about :data:`CELLS_PER_GROUP` numbers, so
  memory stays at one row group and one chunk, however long the run.
* zstd compression, with dictionary (run-length) encoding for ``run`` and ``step`` only.
  Measured on 10,000 Adam runs on Rosenbrock (1 M rows), dictionaries on the float columns
  made the file 13% larger and the write three times slower: the doubles of a descent hardly
  repeat. zstd made the file 6% smaller than snappy, for 0.1 s more per million rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np

from .atomic import WriteError

#: numbers in one row group (16 MB of doubles; memory use grows with it: measured on 10,000
#: runs, the writing process peaked at 370 MB with 1 M, 390 MB with 2 M, 480 MB with 4 M, at
#: the same speed within 10% and the same file size)
CELLS_PER_GROUP = 2_000_000

#: the sentence for a Parquet target when pyarrow is missing
MISSING_PYARROW = ("writing Parquet needs the optional package pyarrow, which is not installed: "
                   "pip install 'gdstudio[parquet]' (or write CSV with a .csv name)")


def is_parquet(path) -> bool:
    """Whether ``path`` names a Parquet file (by its ``.parquet`` suffix)."""
    return Path(path).suffix.lower() == ".parquet"


def require_pyarrow():
    """``pyarrow`` and ``pyarrow.parquet``; :class:`WriteError` with one sentence naming the
    extra to install if pyarrow is missing."""
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        raise WriteError(MISSING_PYARROW) from None
    return pyarrow, pq


class ParquetRows:
    """Writes rows (run, step, then float columns) to an open binary file as a Parquet table.
    :meth:`close` writes what is buffered and the footer; :meth:`discard` drops it all."""

    def __init__(self, fh: BinaryIO, path: Path, header: Sequence[str]):
        pa, pq = require_pyarrow()
        self._pa = pa
        self.path = path
        self.floats = list(header[2:])
        self.schema = pa.schema([pa.field("run", pa.int64()), pa.field("step", pa.int64()),
                                 *(pa.field(n, pa.float64()) for n in self.floats)])
        self.group_rows = max(1024, CELLS_PER_GROUP // len(header))
        self._runs: list[np.ndarray] = []
        self._steps: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._buffered = 0
        try:
            self._writer = pq.ParquetWriter(fh, self.schema, compression="zstd",
                                            use_dictionary=["run", "step"])
        except (OSError, pa.ArrowException) as err:
            raise self._error(err) from None

    def _error(self, err) -> WriteError:
        return WriteError(f"cannot write {self.path}: {getattr(err, 'strerror', None) or err}")

    def append(self, runs: np.ndarray, steps: np.ndarray, values: np.ndarray) -> bool:
        """Buffer rows (``values`` is (rows, floats)); returns True when a row group was
        written (a moment to check for cancellation)."""
        if len(runs) == 0:
            return False
        self._runs.append(np.asarray(runs, np.int64))
        self._steps.append(np.asarray(steps, np.int64))
        self._values.append(np.asarray(values, np.float64))
        self._buffered += len(runs)
        if self._buffered < self.group_rows:
            return False
        self._flush(whole_groups_only=True)
        return True

    def _flush(self, whole_groups_only: bool = False) -> None:
        """Write the buffer as row groups of ``group_rows`` rows (the last one shorter unless
        ``whole_groups_only``, when the rest stays buffered)."""
        if not self._buffered:
            return
        pa = self._pa
        runs, steps = np.concatenate(self._runs), np.concatenate(self._steps)
        values = np.concatenate(self._values)
        n = len(runs)
        end = n - n % self.group_rows if whole_groups_only else n
        keep = slice(end, n)
        self._runs, self._steps, self._values = [runs[keep]], [steps[keep]], [values[keep]]
        self._buffered = n - end
        try:
            for a in range(0, end, self.group_rows):
                b = min(end, a + self.group_rows)
                arrays = [pa.array(runs[a:b]), pa.array(steps[a:b]),
                          *(pa.array(values[a:b, i]) for i in range(values.shape[1]))]
                self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema),
                                         row_group_size=self.group_rows)
        except (OSError, pa.ArrowException) as err:
            raise self._error(err) from None

    def close(self) -> None:
        self._flush()
        try:
            self._writer.close()
        except (OSError, self._pa.ArrowException) as err:
            raise self._error(err) from None

    def discard(self) -> None:
        """Drop the buffered rows and close the writer (its file is about to be removed), so
        it does not try to finish the file later."""
        self._runs, self._steps, self._values, self._buffered = [], [], [], 0
        try:
            self._writer.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away
            pass

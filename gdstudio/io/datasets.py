"""Data sets: the shipped Ames housing subset, a person's own CSV file, and seeded toy sets.

No Qt, no pandas: the ``csv`` module reads the file, numpy holds the numbers.

* :func:`load_csv_columns` reads any CSV file into a :class:`Table` of its numeric columns,
  refusing bad files with a :class:`DataError` whose message is one clear sentence.
* :func:`load_housing` reads the shipped Ames subset (see :data:`AMES_CREDIT`).
* :func:`select_xy` picks the input and target columns, refusing missing values.
* ``make_sine``, ``make_xor``, ``make_moons``, ``make_circles``, ``make_spirals`` generate
  toy sets from a seed, so a run is reproducible.

Row numbers in messages follow the spreadsheet convention: the header is row 1, so the first
row of data is row 2 — the same number as the line of the file (and as the row a spreadsheet
program shows).

Shipped files are found by :func:`resource_path` (:mod:`gdstudio.io.resources`: the package
``gdstudio.resources``, read with importlib.resources).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np

from . import resources as _resources
from .resources import resource_dirs

__all__ = [
    "AMES_CREDIT",
    "COLUMN_UNITS",
    "DataError",
    "HOUSING_FILE",
    "MAX_BYTES",
    "MAX_ROWS",
    "TOY_DATASETS",
    "Table",
    "load_csv_columns",
    "load_housing",
    "read_regular_file",
    "make_circles",
    "make_moons",
    "make_sine",
    "make_spirals",
    "make_toy",
    "make_xor",
    "resource_path",
    "resource_dirs",
    "select_columns",
    "select_xy",
]

#: refuse CSV files larger than this many bytes (checked before reading)
MAX_BYTES = 50 * 1024 * 1024
#: refuse CSV files with more data rows than this (checked while reading; reading stops there)
MAX_ROWS = 1_000_000

#: the shipped housing file, relative to the resources directory
HOUSING_FILE = "data/ames_housing.csv"

#: units of the shipped columns, for axis labels ("dollars per square foot")
COLUMN_UNITS: dict[str, str] = {
    "LotArea": "sq ft",
    "GrLivArea": "sq ft",
    "TotalBsmtSF": "sq ft",
    "1stFlrSF": "sq ft",
    "GarageArea": "sq ft",
    "SalePrice": "$",
    "YearBuilt": "year",
    "YearRemodAdd": "year",
    "OverallQual": "rating 1-10",
}

#: one paragraph for the About box
AMES_CREDIT = (
    "The house-price data are a subset of the Ames, Iowa housing data compiled by Dean De Cock "
    "from the records of the Ames, Iowa Assessor's Office (Dean De Cock (2011), \"Ames, Iowa: "
    "Alternative to the Boston Housing Data as an End of Semester Regression Project\", Journal "
    "of Statistics Education 19(3)), in the training split distributed by Kaggle for its "
    "\"House Prices - Advanced Regression Techniques\" competition; the studio ships only ten "
    "numeric columns of the 1460 sales, for teaching."
)

# cells that count as "missing" (compared after stripping, case-insensitively)
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})


class DataError(ValueError):
    """A data file or a column choice cannot be used; ``str(err)`` is one clear sentence."""


# ---------------------------------------------------------------------------------------
# resources
# ---------------------------------------------------------------------------------------
def resource_path(name: str) -> Path:
    """Absolute path of a shipped resource (see :mod:`gdstudio.io.resources`); a missing one
    is a :class:`DataError`, like every other data problem."""
    try:
        return _resources.resource_path(name)
    except _resources.ResourceError as err:
        raise DataError(str(err)) from None


# ---------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------
@dataclass
class Table:
    """The numeric columns of a CSV file.

    ``columns``: every column name in file order (numeric or not); ``data``: name -> float
    array of length ``n_rows`` for the numeric columns only (``nan`` where a cell is missing);
    ``missing``: name -> spreadsheet row numbers (header = row 1) of the missing cells of each
    numeric column; ``non_numeric``: name -> (row, text) of the first cell that is not a
    number, for the columns skipped."""

    path: str
    columns: list[str]
    data: dict[str, np.ndarray]
    n_rows: int
    missing: dict[str, tuple[int, ...]] = field(default_factory=dict)
    non_numeric: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The file name, as used in messages."""
        return Path(self.path).name or self.path

    @property
    def numeric_columns(self) -> list[str]:
        return [c for c in self.columns if c in self.data]

    def resolve(self, column: str) -> str:
        """The exact column name for ``column`` (exact match, else a unique
        case-insensitive one), or a :class:`DataError` listing the columns."""
        column = str(column).strip()
        if column in self.columns:
            return column
        folded = [c for c in self.columns if c.casefold() == column.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise DataError(
            f"no column '{column}' in {self.name}; columns are: {', '.join(self.columns)}"
        )

    def column(self, column: str, *, allow_missing: bool = False) -> np.ndarray:
        """One numeric column as a float array, refusing unknown, non-numeric and (unless
        ``allow_missing``) incomplete columns with a one-sentence :class:`DataError`."""
        name = self.resolve(column)
        if name not in self.data:
            row, text = self.non_numeric.get(name, (0, ""))
            if row:
                raise DataError(
                    f"column '{name}' is not numeric (row {row} holds '{_clip(text)}')"
                )
            raise DataError(f"column '{name}' has no values (every cell is missing)")
        rows = self.missing.get(name, ())
        if rows and not allow_missing:
            raise DataError(_missing_message(name, rows))
        return self.data[name]


def _clip(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _missing_message(name: str, rows: Sequence[int]) -> str:
    k = len(rows)
    shown = ", ".join(str(r) for r in rows[:10])
    if k > 10:
        shown += f", … and {k - 10} more"
    what = "value" if k == 1 else "values"
    word = "row" if k == 1 else "rows"
    return (
        f"column '{name}' has {k} missing {what} ({word} {shown}, counting the header "
        f"as row 1)"
    )


def _too_large(name: str, size: float, max_bytes: int) -> DataError:
    return DataError(
        f"{name} is {size / 2**20:.1f} MB, more than the {max_bytes / 2**20:.0f} MB limit; "
        f"use a smaller sample of it"
    )


def read_regular_file(path: Union[str, os.PathLike], max_bytes: int = MAX_BYTES,
                      shown: Optional[str] = None) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, refusing anything else with a
    one-sentence :class:`DataError`.

    A FIFO or ``/dev/stdin`` would block forever and ``/dev/zero`` would be read until
    memory runs out, so only regular files are read (after resolving links; the file is
    opened without blocking and checked again on the open descriptor), and never more than
    ``max_bytes + 1`` bytes, whatever the size the file reports."""
    p = Path(path)
    shown = str(path) if shown is None else shown
    name = p.name or shown
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise DataError(f"no such file: {shown}") from None
    except IsADirectoryError:
        raise DataError(f"{shown} is a folder, not a CSV file") from None
    except OSError as e:
        raise DataError(f"cannot read {shown}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DataError(f"{shown} is a folder, not a CSV file")
        if not stat.S_ISREG(st.st_mode):
            raise DataError(
                f"{shown} is not a regular file (it is a device, a pipe or a socket); "
                "save the data to a file and open that"
            )
        if st.st_size > max_bytes:
            raise _too_large(name, st.st_size, max_bytes)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise _too_large(name, total, max_bytes)
        return b"".join(chunks)
    except OSError as e:
        raise DataError(f"cannot read {shown}: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _decode(raw: bytes, name: str) -> str:
    if not raw.strip():
        raise DataError(f"{name} is empty")
    head = raw[:8192]
    if head.startswith(b"PK\x03\x04"):
        raise DataError(
            f"{name} is not a CSV file (it looks like a spreadsheet workbook; save it as CSV)"
        )
    if b"\x00" in head and not (
        head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE)
    ):
        raise DataError(f"{name} is not a CSV file (it holds binary data)")
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # spreadsheet programs on Windows save "CSV" in the ANSI code page
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise DataError(
            f"{name} is not a CSV text file (it cannot be decoded as UTF-8); save it as "
            f"CSV UTF-8"
        ) from None
    return text


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _parse_number(cell: str) -> Optional[float]:
    """float for a numeric cell, None for a non-numeric one (missing cells are handled
    before this is called)."""
    try:
        v = float(cell)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def load_csv_columns(
    path: Union[str, os.PathLike],
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Table:
    """Read a CSV file (header line first) into a :class:`Table` of its numeric columns.

    A column is numeric when every cell that is not missing (empty, ``NA``, ``NaN``,
    ``null``, ``?``...) is a finite number and at least one cell is; other columns are
    skipped (``Table.non_numeric``). The delimiter is the most frequent of ``, ; TAB |`` in
    the header line. Refused with a :class:`DataError`: a missing file, a file over
    ``max_bytes`` (before reading it) or with more than ``max_rows`` data rows (reading stops
    there), binary or undecodable files, empty files, ragged rows, fewer than 2 data rows
    and files with no numeric column.
    """
    p = Path(path)
    shown = str(path)
    name = p.name
    raw = read_regular_file(p, max_bytes, shown)
    text = _decode(raw, name)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))

    header: Optional[list[str]] = None
    width = 0
    values: list[list[float]] = []   # per column while numeric
    numeric: list[bool] = []
    missing: list[list[int]] = []
    bad: list[tuple[int, str]] = []
    n_rows = 0
    prev_line = 0
    try:
        for rec in reader:
            start_line = prev_line + 1
            prev_line = reader.line_num
            if not rec or all(not c.strip() for c in rec):
                continue                      # blank line
            if header is None:
                header = _header_names(rec)
                width = len(header)
                values = [[] for _ in range(width)]
                numeric = [True] * width
                missing = [[] for _ in range(width)]
                bad = [(0, "")] * width
                continue
            if len(rec) != width:
                if len(rec) > width and all(not c.strip() for c in rec[width:]):
                    rec = rec[:width]         # trailing delimiters
                else:
                    raise DataError(
                        f"row {start_line} of {name} has {len(rec)} fields but the header "
                        f"has {width}"
                    )
            n_rows += 1
            if n_rows > max_rows:
                raise DataError(
                    f"{name} has more than {max_rows:,} rows of data, the limit; use a "
                    f"smaller sample of it"
                )
            for k, cell in enumerate(rec):
                if not numeric[k]:
                    continue
                c = cell.strip()
                if c.casefold() in _MISSING:
                    missing[k].append(start_line)
                    values[k].append(math.nan)
                    continue
                v = _parse_number(c)
                if v is None:
                    numeric[k] = False
                    bad[k] = (start_line, c)
                    values[k] = []
                else:
                    values[k].append(v)
    except csv.Error as e:
        raise DataError(f"{name} is not a valid CSV file (line {reader.line_num}: {e})") from None

    if header is None:
        raise DataError(f"{name} is empty")
    if n_rows < 2:
        raise DataError(f"need at least 2 rows of data; {name} has {n_rows}")
    data: dict[str, np.ndarray] = {}
    miss: dict[str, tuple[int, ...]] = {}
    non_num: dict[str, tuple[int, str]] = {}
    for k, col in enumerate(header):
        if numeric[k] and len(missing[k]) < n_rows:
            data[col] = np.asarray(values[k], dtype=float)
            if missing[k]:
                miss[col] = tuple(missing[k])
        else:
            non_num[col] = bad[k]
    if not data:
        raise DataError(
            f"{name} has no numeric columns (columns: {', '.join(header)})"
        )
    return Table(path=str(path), columns=header, data=data, n_rows=n_rows,
                 missing=miss, non_numeric=non_num)


def _header_names(rec: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for k, raw in enumerate(rec):
        base = raw.strip() or f"column{k + 1}"
        nm, i = base, 1
        while nm in seen:                      # duplicate names become "x.1", "x.2", ...
            nm = f"{base}.{i}"
            i += 1
        seen.add(nm)
        names.append(nm)
    return names


def load_housing() -> Table:
    """The shipped Ames housing subset (1460 sales; see :data:`AMES_CREDIT`)."""
    return load_csv_columns(resource_path(HOUSING_FILE))


def select_columns(table: Table, names: Iterable[str]) -> np.ndarray:
    """Several numeric columns as an (n_rows, k) float array (missing values refused)."""
    cols = [table.column(nm) for nm in names]
    if not cols:
        raise DataError("no input columns were chosen")
    return np.column_stack(cols)


def select_xy(
    table: Table, x: Union[str, Sequence[str]], y: str
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` float arrays for the chosen columns; ``x`` is (n,) for one column name and
    (n, k) for a list of names; ``y`` is (n,). Unknown, non-numeric and incomplete columns
    are refused with a one-sentence :class:`DataError`."""
    if isinstance(x, str):
        xs = table.column(x)
    else:
        xs = select_columns(table, x)
    return xs, table.column(y)


# ---------------------------------------------------------------------------------------
# toy data sets (seeded)
# ---------------------------------------------------------------------------------------
def _check_n(n: int, least: int = 2) -> int:
    n = int(n)
    if n < least:
        raise ValueError(f"a toy data set needs at least {least} points; got {n}")
    return n


def make_sine(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """1-D regression: x uniform in [-3, 3], y = sin(x) + N(0, noise²).
    Returns X (n, 1), y (n,)."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3.0, 3.0, n))
    y = np.sin(x) + noise * rng.standard_normal(n)
    return x.reshape(n, 1), y


def make_xor(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D binary classification: four blobs at (±1, ±1); label 1 where x1·x2 < 0 (the
    exclusive or of the signs). Returns X (n, 2), y (n,) of 0.0/1.0."""
    n = _check_n(n, 4)
    rng = np.random.default_rng(seed)
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    labels = np.array([0.0, 0.0, 1.0, 1.0])
    k = np.arange(n) % 4
    X = corners[k] * 0.5 + noise * rng.standard_normal((n, 2))
    return X, labels[k]


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D binary classification: two interleaving half circles (the construction of
    scikit-learn's ``make_moons``). Returns X (n, 2), y (n,) of 0.0/1.0."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    X = np.concatenate([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
    ])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


def make_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D binary classification: a small circle (label 1, radius ``factor``) inside a large
    one (label 0, radius 1). Returns X (n, 2), y (n,) of 0.0/1.0."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        factor * np.column_stack([np.cos(t1), np.sin(t1)]),
    ])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


def make_spirals(n: int = 200, noise: float = 0.05, turns: float = 1.5,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D binary classification: two interleaved Archimedean spirals of ``turns`` turns,
    radius up to 1. Returns X (n, 2), y (n,) of 0.0/1.0."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    parts = []
    for cls, m in ((0, n0), (1, n1)):
        r = np.linspace(0.05, 1.0, m)
        t = 2 * np.pi * turns * r + cls * np.pi
        parts.append(np.column_stack([r * np.cos(t), r * np.sin(t)]))
    X = np.concatenate(parts) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    return X, y


#: name -> (generator, task, default number of points)
TOY_DATASETS = {
    "sine": (make_sine, "regression", 100),
    "xor": (make_xor, "classification", 200),
    "moons": (make_moons, "classification", 200),
    "circles": (make_circles, "classification", 200),
    "spirals": (make_spirals, "classification", 300),
}


def make_toy(name: str, n: Optional[int] = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, y, task)`` for a toy set by name (``sine``, ``xor``, ``moons``, ``circles``,
    ``spirals``)."""
    key = str(name).strip().lower()
    if key not in TOY_DATASETS:
        raise DataError(
            f"no toy data set '{name}'; choose one of: {', '.join(TOY_DATASETS)}"
        )
    fn, task, default_n = TOY_DATASETS[key]
    X, y = fn(n=default_n if n is None else n, seed=seed)
    return X, y, task

"""Trajectory export: CSV against Parquet for a large run, through the command line.

Runs ``gdstudio run --function rosenbrock --optimizer adam --lr 0.02 --random-starts RUNS
--steps STEPS --tol 0 --quiet`` in a fresh process three ways: without ``--out`` (the run
alone), with ``--out runs.csv`` and with ``--out runs.parquet``. Prints for each the wall
time, the export's share of it (the time over the run alone), the peak memory of the process
and the file size; then the time to read each file back (pandas.read_csv against
pyarrow.parquet.read_table, where installed).

Usage: python benchmarks/bench_export.py [--runs 10000] [--steps 1000] [--dir DIR] [--keep]
(10,000 x 1,000 is 10 million rows: about 1 GB of CSV; the files go to a temporary folder
unless --dir is given, and are removed unless --keep.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_cli(args: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of ``gdstudio ARGS`` in a fresh process."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gdstudio", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"gdstudio {' '.join(args)} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_maxrss / 1024  # Linux reports kB


def read_times(folder: Path) -> dict:
    out = {}
    try:
        import pandas as pd

        t = time.perf_counter()
        pd.read_csv(folder / "runs.csv", engine="c")
        out["csv"] = time.perf_counter() - t
    except ImportError:
        pass
    try:
        import pyarrow.parquet as pq

        t = time.perf_counter()
        pq.read_table(folder / "runs.parquet")
        out["parquet"] = time.perf_counter() - t
    except ImportError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=1_000)
    ap.add_argument("--dir", help="write the files here (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the files")
    args = ap.parse_args()
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="gdstudio-bench-export-"))
    folder.mkdir(parents=True, exist_ok=True)
    base = ["run", "--function", "rosenbrock", "--optimizer", "adam", "--lr", "0.02",
            "--random-starts", str(args.runs), "--steps", str(args.steps), "--tol", "0", "--quiet"]
    rows = args.runs * (args.steps + 1)
    print(f"Adam on Rosenbrock, {args.runs:,} runs x {args.steps:,} steps = {rows:,} rows; "
          f"each line is a fresh 'gdstudio run' process (load average {os.getloadavg()[0]:.1f})\n")
    try:
        t_run, m_run = run_cli(base, folder)
        print(f"{'':9} {'wall':>8} {'export':>8} {'peak memory':>12} {'file':>10} {'rows/s':>12}")
        print(f"{'no --out':9} {t_run:7.2f}s {'':>8} {m_run:10.0f}MB")
        figures = {}
        for fmt in ("csv", "parquet"):
            target = folder / f"runs.{fmt}"
            wall, mem = run_cli([*base, "--out", target.name], folder)
            size = target.stat().st_size
            figures[fmt] = (wall, size)
            export = max(wall - t_run, 1e-9)
            print(f"{fmt:9} {wall:7.2f}s {export:7.2f}s {mem:10.0f}MB {size / 1e6:8.0f}MB "
                  f"{rows / export / 1e6:9.2f} M (export only)")
        (tc, sc), (tp, sp) = figures["csv"], figures["parquet"]
        print(f"\nParquet against CSV: the export {(tc - t_run) / max(tp - t_run, 1e-9):.1f}x faster, "
              f"the whole command {tc / tp:.1f}x faster, the file {sc / sp:.1f}x smaller")
        reads = read_times(folder)
        if reads:
            print("read back: " + ", ".join(
                f"{'pandas.read_csv' if k == 'csv' else 'pyarrow.parquet.read_table'} {v:.2f} s"
                for k, v in reads.items()))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

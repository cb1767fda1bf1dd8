"""Fused kernels for big batches of typed functions (optional; needs numba).

For ten thousand runs or more, numpy spends its time making one pass over memory per
operation: a step of Adam on Rosenbrock is about thirty passes. Here numba compiles, once per
(expression, optimizer), one loop per run that keeps the run's coordinates, gradient and
optimizer state in registers for a whole chunk of steps.

Nothing is re-derived: the kernel is assembled from the two sources the rest of the engine
already uses, the optimizer record's update rule (optimizers.py, a plain function the scalar
path also calls) and the objective's generated scalar gradient (compiled.py, from sympy). The
stopping rules come from stopping.py, like the runner's and the scalar path's, and the tests
check that a fused batch and a numpy batch give the same trajectories and statuses.

A batch is split into blocks of runs, one per core (:class:`BlockedKernel`, at least
``MIN_RUNS_PER_THREAD`` runs each): the kernel releases the GIL, runs are independent, so the
threads step their blocks without any synchronisation and the result is bit for bit what one
thread gives. ``GDSTUDIO_THREADS`` or :func:`gdstudio.core.tuning.set_engine_threads` sets
how many.

The compiled kernel is cached on disk (``~/.cache/gdstudio/kernels`` or
``$GDSTUDIO_CACHE``), so only the first batch of a given expression pays numba's compile time
(about a second). Without numba, or for anything it cannot compile, the runner simply uses
numpy.

A process that must stay responsive (the window) never compiles: :func:`prepared_kernel`
compiles in a separate Python process, which fills the disk cache, and only loads the result.
numba's compile holds the interpreter lock for seconds at a time (measured: a 10 ms timer on
another thread fired up to 1.5 s late); loading a cached kernel stalls it about 2 ms, once
numba itself is loaded (the first load in a process, about 0.8 s, stalls it 30-60 ms).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .optimizers import Optimizer
from .status import DIVERGED, RUNNING
from .stopping import kernel_after_step, kernel_finite_check
from .tuning import engine_threads

#: batches at least this large (runs × coordinates) use a fused kernel when one is available
FUSED_MIN_SIZE = 8192

_lock = threading.Lock()
_kernels: dict[str, Optional[Callable]] = {}


def numba_available() -> bool:
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # a broken or blocked install: numpy carries on
        return False


def _scalar_body(objective) -> Optional[tuple[str, str]]:
    """The generated scalar gradient's (signature args, body) without its try/except:
    numba returns NaN where Python's math raises, which the kernel treats as divergence."""
    fn = getattr(objective, "scalar_value_and_grad", None)
    src = getattr(fn, "__source__", None)
    if not src:
        return None
    m = re.match(r"def scalar_value_and_grad\(([^)]*)\):\n    try:\n(.*)    except _ERRORS:\n", src, re.S)
    if not m:
        return None
    return m.group(1), textwrap.dedent(m.group(2))


def _cache_dir() -> Path:
    base = os.environ.get("GDSTUDIO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "gdstudio"
    )
    return Path(base) / "kernels"


def _kernel_source(args: str, body: str, opt: Optimizer) -> str:
    names = [a.strip() for a in args.split(",") if a.strip()]
    d = len(names)
    state = opt.state_names
    hyper_names = [k for k, _ in opt.hyper]
    rule = opt.record.update
    upd_src = textwrap.dedent(opt.record.update_source).strip()
    L = []
    add = L.append
    add("import math")
    add("import numba")
    add("import numpy as np")
    add("from math import sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, asinh, acosh, atanh")
    add("from math import exp, log, log10, log2, sqrt, copysign, pi, e, inf, nan, isnan")
    add("_pow = math.pow")
    add("")
    add("@numba.njit(cache=True, inline='always')")
    add(f"def fg({', '.join(names)}):")
    add(textwrap.indent(body.rstrip(), "    "))
    add("")
    add("@numba.njit(cache=True, inline='always')")
    add(upd_src.replace(f"def {rule.__name__}(", "def update(", 1))
    add("")
    hp = ", ".join(hyper_names)
    add("@numba.njit(cache=True, nogil=True)")
    add(f"def kernel(X, G, F, S, status, steps, last, AB, t0, k, max_steps, tol2, lo, hi, RP, RF, RG, record, i0, i1{', ' if hp else ''}{hp}):")
    add("    lt = t0")
    # steps outside, runs inside: consecutive iterations are independent runs, so the CPU
    # overlaps them (one run's steps form a serial chain of square roots and divisions)
    add("    for j in range(k):")
    add("        t = t0 + j + 1")
    add("        fa = AB[j, 0]")
    add("        fb = AB[j, 1]")
    add("        for i in range(i0, i1):")
    add(f"            if status[i] == {RUNNING}:")
    add("                lt = t")
    for c in range(d):
        ins = ", ".join([f"X[{c}, i]", f"G[{c}, i]"] + [f"S[{s}, {c}, i]" for s in range(len(state))] + ["fa", "fb"] + hyper_names)
        outs = ", ".join([f"p{c}"] + [f"u{s}_{c}" for s in range(len(state))])
        add(f"                {outs}{',' if not state else ''} = update({ins})")
    ps = ", ".join(f"p{c}" for c in range(d))
    hs = ", ".join(f"h{c}" for c in range(d)) + ("," if d == 1 else "")
    add(f"                fn, ({hs}) = fg({ps})")
    points = [f"p{c}" for c in range(d)]
    grads = [f"h{c}" for c in range(d)]
    add("                chk = " + kernel_finite_check("fn", points, grads))
    add("                if chk - chk == 0.0:")
    for c in range(d):
        add(f"                    X[{c}, i] = p{c}")
        add(f"                    G[{c}, i] = h{c}")
        for s in range(len(state)):
            add(f"                    S[{s}, {c}, i] = u{s}_{c}")
    add("                    F[i] = fn")
    add("                    steps[i] += 1")
    L.extend(kernel_after_step(points, grads, " " * 20))
    add("                else:")
    add(f"                    status[i] = {DIVERGED}")
    add("            if record:")
    for c in range(d):
        add(f"                RP[j, i, {c}] = X[{c}, i]")
        add(f"                RG[j, i, {c}] = G[{c}, i]")
    add("                RF[j, i] = F[i]")
    add("    last[0] = lt")
    add("")
    # one call with the argument types of the runner's calls and no running run: compiles
    # (or loads from the disk cache) the one signature the runner uses, and steps nothing
    add("def warm():")
    add(f"    X = np.zeros(({d}, 1))")
    add(f"    S = np.zeros(({len(state)}, {d}, 1))")
    add(f"    status = np.full(1, {DIVERGED}, np.int8)")
    add("    last = np.zeros(1, np.int64)")
    zeros = ", ".join(["0.0"] * len(hyper_names))
    add(f"    kernel(X, X.copy(), np.zeros(1), S, status, np.zeros(1, np.int64), last, np.zeros((1, 2)), 0, 1, 1,"
        f" 0.0, np.zeros({d}), np.zeros({d}), np.empty((1, 1, {d})), np.empty((1, 1)), np.empty((1, 1, {d})),"
        f" False, 0, 1{', ' if zeros else ''}{zeros})")
    return "\n".join(L) + "\n"


#: a thread gets at least this many runs (fewer would not repay the hand-over)
MIN_RUNS_PER_THREAD = 2048

_pool: Optional[ThreadPoolExecutor] = None
_pool_size = 0


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < threads:
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="gdstudio-fused")
            _pool_size = threads
        return _pool


def run_ranges(n: int, threads: Optional[int] = None,
               min_per_thread: int = MIN_RUNS_PER_THREAD) -> list[tuple[int, int]]:
    """Contiguous blocks of [0, n), one per thread, each at least ``min_per_thread`` long."""
    threads = engine_threads() if threads is None else threads
    blocks = max(1, min(threads, n // min_per_thread))
    edges = [n * b // blocks for b in range(blocks + 1)]
    return list(zip(edges[:-1], edges[1:]))


def run_in_threads(fn: Callable[[int, int], None], ranges: list[tuple[int, int]]) -> None:
    """``fn(i0, i1)`` for every range at once: this thread takes the first, the engine's pool
    the others (a nogil kernel really runs in parallel). Returns when all have ended."""
    if len(ranges) > 1:
        pool = _executor(len(ranges) - 1)
        futures = [pool.submit(fn, *r) for r in ranges[1:]]
        fn(*ranges[0])
        for f in futures:
            f.result()
    else:
        fn(*ranges[0])


class BlockedKernel:
    """The compiled kernel run over blocks of runs on several threads at once. Runs are
    independent, so each thread steps its own block through all k steps: no locks, no
    sharing but the block edges. The kernel releases the GIL (``nogil``), so the threads
    really run in parallel. Called like the kernel without its run range."""

    def __init__(self, kernel: Callable):
        self.kernel = kernel

    def __call__(self, X, G, F, S, status, steps, last, AB, t0, k, max_steps, tol2, lo, hi,
                 RP, RF, RG, record, *hyper):
        ranges = run_ranges(X.shape[1])
        lasts = {i0: np.array([t0], np.int64) for i0, _ in ranges}

        def block(i0, i1):
            self.kernel(X, G, F, S, status, steps, lasts[i0], AB, t0, k, max_steps, tol2, lo, hi,
                        RP, RF, RG, record, i0, i1, *hyper)

        run_in_threads(block, ranges)
        last[0] = max(int(x[0]) for x in lasts.values())


def _source_for(objective, optimizer: Optimizer) -> Optional[str]:
    """The kernel's source for this objective and optimizer, or None when there is none (no
    numba, no scalar gradient source, per-run hyper-parameters)."""
    if not numba_available() or not optimizer.record.per_coordinate \
            or any(not isinstance(v, float) for _, v in optimizer.hyper):
        return None
    parts = _scalar_body(objective)
    return None if parts is None else _kernel_source(*parts, optimizer)


def _module_name(key: str) -> str:
    return f"gdstudio_kernel_{key}"


def _source_file(source: str, key: str) -> Path:
    """The kernel's source in the cache folder, written once: numba's disk cache is keyed by
    the file's time stamp, so an unchanged kernel keeps its file."""
    folder = _cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"k_{key}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    return path


def _load_module(path: Path, key: str):
    spec = importlib.util.spec_from_file_location(_module_name(key), path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # numba's on-disk cache looks the module up by name
    spec.loader.exec_module(module)
    return module


def _keyed_source(objective, optimizer: Optimizer) -> Optional[tuple[str, str]]:
    source = _source_for(objective, optimizer)
    return None if source is None else (source, hashlib.sha256(source.encode()).hexdigest()[:24])


def _build(source: str, key: str, compile_elsewhere: bool) -> Optional[BlockedKernel]:
    """The kernel from its source file; with ``compile_elsewhere`` compiled by a separate
    process first (unless cached) and loaded here at once (``warm()``), else compiled here on
    its first call. None, and a line on stderr, when it fails: numpy always works."""
    try:
        path = _source_file(source, key)
        if compile_elsewhere and not _compiled(path, key):
            _compile_elsewhere(path, key)
        module = _load_module(path, key)
        if compile_elsewhere:
            module.warm()  # loads the compiled code from the disk cache, in this thread
        return BlockedKernel(module.kernel)
    except Exception as err:  # noqa: BLE001 (a kernel is an optimisation)
        print(f"gdstudio: fused kernel unavailable ({type(err).__name__}: {err}); using numpy",
              file=sys.stderr)
        return None


def fused_kernel(objective, optimizer: Optimizer) -> Optional[Callable]:
    """The compiled kernel for this objective and optimizer, or None when there is none
    (no numba, no scalar gradient source, per-run hyper-parameters). Compiles in this
    process when the disk cache does not have it yet."""
    keyed = _keyed_source(objective, optimizer)
    if keyed is None:
        return None
    with _lock:
        if keyed[1] not in _kernels:
            _kernels[keyed[1]] = _build(*keyed, compile_elsewhere=False)
        return _kernels[keyed[1]]


#: what the compiling process runs: load the kernel's file under its module name, then warm()
_COMPILE_SNIPPET = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location(sys.argv[2], sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module.warm()\n"
)
#: the longest a compiling process may take (a cold numba compile is about 2 s here)
COMPILE_TIMEOUT = 300.0

_prepare_lock = threading.Lock()


def prepared_kernel(objective, optimizer: Optimizer) -> Optional[Callable]:
    """:func:`fused_kernel`, compiled in a separate process and only loaded in this one, so a
    thread calling this never holds the interpreter lock for long (see the module
    docstring). Blocks until the kernel is ready: call it from a background thread. None when
    there is no kernel or it could not be compiled; the caller carries on with numpy."""
    keyed = _keyed_source(objective, optimizer)
    if keyed is None:
        return None
    with _prepare_lock:  # one compile per kernel, however many threads ask
        with _lock:
            if keyed[1] in _kernels:
                return _kernels[keyed[1]]
        kernel = _build(*keyed, compile_elsewhere=True)
        with _lock:
            return _kernels.setdefault(keyed[1], kernel)


def _compiled(path: Path, key: str) -> bool:
    """True when numba's disk cache next to the kernel's file holds code newer than the file
    (numba names it ``k_<key>.kernel-<line>.py311.<n>.nbc``). Only saves starting a process:
    a cache this check misreads is compiled again there."""
    try:
        stamp = path.stat().st_mtime
        return any(f.stat().st_mtime >= stamp for f in (path.parent / "__pycache__").glob(f"k_{key}.kernel-*.nbc"))
    except OSError:
        return False


def _compile_elsewhere(path: Path, key: str) -> None:
    _run_elsewhere([_COMPILE_SNIPPET, str(path), _module_name(key)])


def _run_elsewhere(args: list) -> None:
    """``python -c *args`` in a separate process that imports gdstudio from where this one did."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "-c", *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=COMPILE_TIMEOUT, check=False, env=env)
    if done.returncode != 0:
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"the compiling process failed: {last[0] if last else done.returncode}")


def load_compiled(module: str) -> bool:
    """Import ``module`` (a gdstudio module of numba functions with ``cache=True`` and a
    ``warm()`` that calls each signature it is used with) here, with its code compiled in a
    separate process and only loaded in this one (see the module docstring). Blocks until
    then: call it from a background thread. True when it is loaded; False (and a line on
    stderr) when it could not be, so the caller carries on without it."""
    if not numba_available():
        return False
    try:
        _run_elsewhere(["import importlib, sys; importlib.import_module(sys.argv[1]).warm()", module])
        importlib.import_module(module).warm()  # loads the compiled code from the disk cache
        return True
    except Exception as err:  # noqa: BLE001 (an optimisation: numpy always works)
        print(f"gdstudio: {module} unavailable ({type(err).__name__}: {err}); using numpy", file=sys.stderr)
        return False


def warm_up() -> bool:
    """Load numba and its compiler into this process with a small kernel compiled elsewhere,
    so that a later :func:`prepared_kernel` only loads its code (a few ms). The first load in
    a process takes about 0.8 s and holds the interpreter lock 30-60 ms at a time: the window
    does it on a background thread at start-up, before anyone runs anything. True when a
    kernel could be loaded."""
    from .compiled import compile_function
    from .optimizers import make_optimizer

    return prepared_kernel(compile_function("x^2 + y^2"), make_optimizer("gd")) is not None

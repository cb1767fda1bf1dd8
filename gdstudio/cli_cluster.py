"""What ``gdstudio sweep`` and ``gdstudio landscape`` share: the ``--workers``/``--scheduler``
options, the executor they choose, and what Ctrl+C prints."""

from __future__ import annotations

import socket
import sys
from typing import Optional
from urllib.parse import urlsplit

from .cli import UsageError, _positive_int


def add_cluster_options(p) -> None:
    g = p.add_argument_group("where it runs")
    g.add_argument("--workers", default="0", metavar="N",
                   help="a local Dask cluster of N worker processes; 0 (the default) runs in this process")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask cluster, e.g. tcp://10.0.0.5:8786")


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """A refused or unresolvable TCP address fails at once with a sentence, instead of Dask
    retrying until its connect timeout."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UsageError(f"--scheduler: {address!r} is not an address such as tcp://HOST:PORT") from None
    if not host or not port:
        raise UsageError(f"--scheduler: {address!r} is not an address such as tcp://HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {reason.lower()}") from None


def executor_from_args(args):
    """The executor the options ask for (the caller closes it)."""
    from .app.executors import ExecutorError, make_executor

    workers = _positive_int(args.workers, "--workers", 0)
    if args.scheduler and workers:
        raise UsageError("give either --workers or --scheduler, not both")
    if args.scheduler:
        _check_reachable(args.scheduler)
    try:
        return make_executor(workers=workers, scheduler=args.scheduler)
    except ExecutorError as err:
        raise UsageError(str(err)) from None


def interrupted(what: str, out: Optional[str]) -> int:
    """Ctrl+C: one line, exit status 130 (the shell's convention for SIGINT)."""
    kept = "; nothing was written" if out else ""
    print(f"\ngdstudio: {what} cancelled{kept}.", file=sys.stderr)
    return 130

"""Atomic writes of one file or of several files that belong together (a CSV and its JSON
sidecar, a session file): a failed, cancelled or interrupted write never leaves a partial
file and never damages an existing one.

* Each file is written to a hidden temporary file (``.NAME.XXXX.part``) in its target folder.
* :func:`commit_together` renames them into place only when every one is complete (flushed
  and synced). If a rename fails half-way, the files already renamed are put back as they
  were (the old files are kept as hard links, or copies, until the last rename succeeds), so
  the set is replaced as a whole or not at all.
* A target that exists and is not a regular file (a folder, a device such as ``/dev/null``,
  a FIFO, a socket) is refused before anything is written: renaming over it would replace a
  device node.
* Temporary files still being written are registered, so a signal handler can remove them
  (:func:`remove_partial_files`).

Use :class:`AtomicFiles` (a context manager) for files written piece by piece, or
:func:`write_files_atomically` for contents already in memory::

    with AtomicFiles(["runs.csv", "runs.json"]) as (csv_file, sidecar):
        csv_file.write(...)
        sidecar.write(...)          # both appear (or neither) when the block ends

    write_files_atomically({"lesson.gdsession": text})
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

__all__ = [
    "AtomicFile",
    "AtomicFiles",
    "WriteError",
    "check_writable_target",
    "commit_together",
    "remove_partial_files",
    "write_files_atomically",
]

PathLike = Union[str, os.PathLike]


class WriteError(OSError):
    """A write failed; ``str()`` is one sentence naming the file and the reason."""


_live: set["AtomicFile"] = set()
_live_lock = threading.Lock()


def _describe(path: Path, err: OSError) -> str:
    return f"cannot write {path}: {err.strerror or err}"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable_target(path: PathLike) -> Path:
    """``path`` as a Path if a file may be written there: its folder exists and it is either
    absent or a regular file (links are followed). Raises :class:`WriteError` otherwise."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise WriteError(_describe(path, err)) from None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise WriteError(f"cannot write {path}: it is a folder")
        raise WriteError(f"cannot write {path}: it exists and is {_kind(mode)}, not a regular file")
    if not folder.is_dir():
        raise WriteError(f"cannot write {path}: the folder {folder} does not exist")
    return path


class AtomicFile:
    """A text file that appears at ``path`` only when committed (alone with
    :meth:`commit`, or with others through :func:`commit_together`)."""

    def __init__(self, path: PathLike, binary: bool = False):
        self.path = check_writable_target(path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part",
                                       dir=self.path.parent if str(self.path.parent) else ".")
        except OSError as err:
            raise WriteError(_describe(self.path, err)) from None
        self.tmp = Path(tmp)
        with _live_lock:
            _live.add(self)
        # mkstemp makes the file private (0600); give it the mode a plain open() would, or
        # the mode of the file it replaces
        try:
            mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o666 & ~_umask()
            os.chmod(fd, mode)
        except OSError:
            pass
        if binary:
            self.fh = os.fdopen(fd, "wb")
        else:
            self.fh = os.fdopen(fd, "w", newline="", encoding="utf-8")

    def write(self, data) -> None:
        try:
            self.fh.write(data)
        except OSError as err:
            self.abort()
            raise WriteError(_describe(self.path, err)) from None

    def _finish(self) -> None:
        """Flush, sync and close the temporary file (raises OSError)."""
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()

    def commit(self) -> None:
        commit_together([self])

    def abort(self) -> None:
        """Close and remove the temporary file; the target is untouched."""
        try:
            self.fh.close()
        except OSError:
            pass
        try:
            self.tmp.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass
        with _live_lock:
            _live.discard(self)

    def _done(self) -> None:
        with _live_lock:
            _live.discard(self)


def _backup(path: Path) -> Path | None:
    """A hard link (or else a copy) of an existing target next to it, or None if there is
    no target."""
    if not os.path.lexists(path):
        return None
    name = tempfile.mktemp(prefix=f".{path.name}.", suffix=".old.part", dir=path.parent)
    try:
        os.link(path, name)
    except OSError:
        shutil.copy2(path, name)
    return Path(name)


def commit_together(files: Sequence[AtomicFile]) -> None:
    """Put every file in place, or none: if anything fails, the targets are as before,
    every temporary file is removed and :class:`WriteError` is raised."""
    files = list(files)
    current = None
    try:
        for f in files:
            current = f
            f._finish()
    except OSError as err:
        for f in files:
            f.abort()
        raise WriteError(_describe(current.path, err)) from None
    backups: list[Path | None] = []
    replaced: list[AtomicFile] = []
    try:
        for f in files:
            current = f
            backups.append(_backup(f.path) if len(files) > 1 else None)
            os.replace(f.tmp, f.path)
            replaced.append(f)
            f._done()
    except OSError as err:
        for f, old in zip(replaced, backups):
            try:
                if old is not None:
                    os.replace(old, f.path)
                else:
                    os.unlink(f.path)
            except OSError:
                pass
        for f in files:
            if f not in replaced:
                f.abort()
        for old in backups[len(replaced):]:
            if old is not None:
                _unlink_quietly(old)
        raise WriteError(_describe(current.path, err)) from None
    for old in backups:
        if old is not None:
            _unlink_quietly(old)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


class AtomicFiles:
    """Several files written together: ``with AtomicFiles(paths) as files:`` gives one
    :class:`AtomicFile` per path; they all appear when the block ends without an exception
    (:func:`commit_together`), and none does otherwise. Every target is checked before
    anything is written. ``binary`` is one flag for all files or one per file (a Parquet
    table and its JSON sidecar)."""

    def __init__(self, paths: Iterable[PathLike], binary: Union[bool, Sequence[bool]] = False):
        self.paths = [Path(p) for p in paths]
        self.binary = [binary] * len(self.paths) if isinstance(binary, bool) else list(binary)
        if len(self.binary) != len(self.paths):
            raise ValueError("AtomicFiles: one binary flag per path")
        self.files: list[AtomicFile] = []

    def __enter__(self) -> list[AtomicFile]:
        for p in self.paths:
            check_writable_target(p)
        try:
            for p, b in zip(self.paths, self.binary):
                self.files.append(AtomicFile(p, b))
        except BaseException:
            self.abort()
            raise
        return list(self.files)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
            return False
        commit_together(self.files)
        return False

    def abort(self) -> None:
        for f in self.files:
            f.abort()


def write_files_atomically(contents: Mapping[PathLike, Union[str, bytes]]) -> None:
    """Write each ``path: text`` (or bytes) so that all appear together or none does (see
    :func:`commit_together`). Raises :class:`WriteError` with one sentence."""
    items = list(contents.items())
    binary = [isinstance(v, bytes) for _, v in items]
    files: list[AtomicFile] = []
    try:
        for (p, _), b in zip(items, binary):
            check_writable_target(p)
        for (p, _), b in zip(items, binary):
            files.append(AtomicFile(p, binary=b))
        for f, (_, data) in zip(files, items):
            f.write(data)
    except BaseException:
        for f in files:
            f.abort()
        raise
    commit_together(files)


def remove_partial_files() -> int:
    """Remove every temporary file still being written (for signal handlers: SIGTERM and
    SIGHUP end the process without unwinding). Returns how many were removed."""
    with _live_lock:
        live = list(_live)
        _live.clear()
    n = 0
    for f in live:
        try:
            f.tmp.unlink()
            n += 1
        except OSError:
            pass
    return n

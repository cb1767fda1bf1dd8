"""Session files: JSON with ``"format": "gdstudio-session"`` and an integer ``"version"``.

This module knows the file, not the session: it reads a file into the current version's
plain data (one loader per version, each bringing an older version up to date), writes plain
data atomically, and checks data files by SHA-256. ``gdstudio.app.session`` turns the data
into a :class:`~gdstudio.app.session.Session` and back.

Every problem with a file is a :class:`SessionFileError` whose ``str`` is one sentence
naming the file; the window and the command line show it as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from .._version import __version__
from .trajectories import ExportError, write_text_atomic

FORMAT = "gdstudio-session"
#: the version this program writes
VERSION = 1
#: files above this size are refused before reading (a session is a few kilobytes)
MAX_BYTES = 20 * 1024 * 1024


class SessionFileError(ValueError):
    """A session file cannot be opened or saved; ``str()`` is one sentence."""


def _load_v1(data: dict, path: Path) -> dict:
    for key in ("problem", "settings", "starts"):
        if not isinstance(data.get(key), dict):
            raise SessionFileError(f"{path} is not a usable session file: its \"{key}\" entry is missing")
    return data


#: one loader per version; each returns the data in the current version's form
LOADERS: dict[int, Callable[[dict, Path], dict]] = {1: _load_v1}


def read_session_data(path) -> dict:
    """The session data of ``path`` in the current version's form (see the module docstring)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise SessionFileError(f"{path} is a folder, not a session file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SessionFileError(f"{path} is not a session file: it is {size / 2**20:.0f} MB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SessionFileError(f"{path} does not exist") from None
    except OSError as err:
        raise SessionFileError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionFileError(f"{path} is not a session file: it is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise SessionFileError(
            f"{path} is not a session file: it is not valid JSON (line {err.lineno}, column {err.colno})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionFileError(f"{path} is not a gdstudio session file (its \"format\" is not \"{FORMAT}\")")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFileError(f"{path} has no valid session version (found {version!r})")
    if version > VERSION:
        raise SessionFileError(
            f"{path} was written by a newer gdstudio (session version {version}; this is version "
            f"{__version__}, which reads up to {VERSION})"
        )
    return LOADERS[version](data, path)


def write_session_data(path, data: dict) -> None:
    """Write ``data`` (without format and version: they are added) atomically."""
    payload = {"format": FORMAT, "version": VERSION, "program_version": __version__, **data}
    try:
        text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    except ValueError:
        raise SessionFileError(f"cannot save {path}: a setting is not a finite number") from None
    try:
        write_text_atomic(path, text)
    except ExportError as err:
        raise SessionFileError(str(err)) from None


def sha256_of(path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def relative_to_session(data_path, session_path) -> str:
    """How a data file is stored: relative to the session file when it sits in the session
    file's folder or below it, else absolute."""
    data_path = Path(data_path).resolve()
    folder = Path(session_path).resolve().parent
    try:
        return data_path.relative_to(folder).as_posix()
    except ValueError:
        return str(data_path)


def resolve_from_session(stored: str, session_path) -> Path:
    """The data file a stored path names (relative paths are relative to the session file)."""
    p = Path(os.path.expanduser(stored))
    return p if p.is_absolute() else Path(session_path).resolve().parent / p

"""The shipped resources (data sets, lesson sessions), read with :mod:`importlib.resources`.

They are the package ``gdstudio.resources`` (the ``resources/`` folder of the source tree,
mapped by setup.py), so they are found wherever the package itself is: a source checkout, an
editable install, a wheel installed with ``--target DIR``, ``--prefix`` or ``--user``.
``$GDSTUDIO_RESOURCES`` names another folder to look in first (a person's own copy).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["ResourceError", "resource_dirs", "resource_path"]

PACKAGE = "gdstudio.resources"


class ResourceError(ValueError):
    """A shipped resource is missing; ``str(err)`` is one sentence naming where we looked."""


def _package_dir() -> Path | None:
    try:
        root = resources.files(PACKAGE)
    except ModuleNotFoundError:
        return None
    # Installed as files (every supported install is), the Traversable is a real folder;
    # a zipped package would need as_file(), which the data readers do not need today.
    return Path(str(root))


def resource_dirs() -> list[Path]:
    """The folders searched, in order: ``$GDSTUDIO_RESOURCES`` if set, then the package."""
    dirs: list[Path] = []
    env = os.environ.get("GDSTUDIO_RESOURCES")
    if env:
        dirs.append(Path(env))
    pkg = _package_dir()
    if pkg is not None:
        dirs.append(pkg)
    return dirs


def resource_path(name: str) -> Path:
    """Absolute path of a shipped resource, e.g. ``resource_path("data/ames_housing.csv")``.

    Raises :class:`ResourceError` naming the places searched when it is nowhere."""
    for d in resource_dirs():
        p = d / name
        if p.exists():
            return p
    places = ", ".join(str(d) for d in resource_dirs()) or f"the package {PACKAGE} is not installed"
    raise ResourceError(f"the shipped resource '{name}' was not found (looked in: {places})")

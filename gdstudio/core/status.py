"""The status of a run: one enum, its codes (stored in int8 arrays) and its messages.

Every place that shows, stores or tests a run's status uses this module: the runner, the
scalar path and the fused kernel (codes), ``descend()``'s result and the command line
(``name``), the window's runs table (``label``).
"""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    """Why a run is where it is. The integer values are the codes in status arrays and in
    the fused kernel's source, so they never change."""

    RUNNING = 0
    CONVERGED = 1
    DIVERGED = 2
    MAX_STEPS = 3
    #: a descent in polar coordinates reached r = 0, where the coordinates are singular
    #: (core/coordinates.py); a Cartesian batch never produces it
    SINGULAR = 4

    @property
    def key(self) -> str:
        """The machine name: ``running``, ``converged``, ``diverged``, ``max_steps`` (the
        API's and the command line's JSON spelling)."""
        return _KEYS[self]

    @property
    def label(self) -> str:
        """The short word a table shows."""
        return _LABELS[self]

    @property
    def message(self) -> str:
        """One sentence saying what happened, in the spirit of scipy's OptimizeResult."""
        return _MESSAGES[self]

    @classmethod
    def from_key(cls, key: str) -> "Status":
        try:
            return _BY_KEY[key]
        except KeyError:
            raise ValueError(f"unknown status {key!r}; one of {', '.join(_BY_KEY)}") from None


_KEYS = {
    Status.RUNNING: "running",
    Status.CONVERGED: "converged",
    Status.DIVERGED: "diverged",
    Status.MAX_STEPS: "max_steps",
    Status.SINGULAR: "singular",
}
_LABELS = {
    Status.RUNNING: "running",
    Status.CONVERGED: "converged",
    Status.DIVERGED: "diverged",
    Status.MAX_STEPS: "max steps",
    Status.SINGULAR: "singular",
}
_MESSAGES = {
    Status.RUNNING: "The run is still descending.",
    Status.CONVERGED: "The gradient norm fell to the tolerance or below.",
    Status.DIVERGED: "The run left the domain by far or met a value that is not a finite number.",
    Status.MAX_STEPS: "The run took the most steps allowed.",
    Status.SINGULAR: "The run reached r = 0, where polar coordinates are singular (θ is undefined).",
}
_BY_KEY = {v: k for k, v in _KEYS.items()}

RUNNING, CONVERGED, DIVERGED, MAX_STEPS, SINGULAR = (int(s) for s in Status)

#: the machine names indexed by code (``STATUS_KEYS[code]``)
STATUS_KEYS: tuple[str, ...] = tuple(s.key for s in Status)
#: the table labels indexed by code
STATUS_LABELS: tuple[str, ...] = tuple(s.label for s in Status)

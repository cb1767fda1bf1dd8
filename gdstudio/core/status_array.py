"""``StatusArray``: the statuses of a batch of runs, int8 codes of :class:`~.status.Status`
that read like a list of names.

``result.status[0] == "converged"``, ``result.status == "converged"`` (a boolean array per
run), ``result.status == ["converged", "max_steps"]`` (True or False, as for a list),
``list(result.status)`` (names), ``np.asarray(result.status)`` (an array of names, e.g.
a pandas column), ``.codes`` (int8), ``.counts()`` and ``.messages`` (one sentence per run).
A short repr however many runs there are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .status import STATUS_KEYS, Status

__all__ = ["StatusArray"]


class StatusArray(Sequence):
    """The statuses of a batch of runs: int8 codes of :class:`Status`, read like a list of
    names.

    ``result.status[0]`` is ``'converged'``, ``result.status == 'converged'`` is a boolean
    array, ``list(result.status)`` gives names and ``np.asarray(result.status)`` an array of
    names (a pandas column). ``.codes`` are the int8 codes, ``.counts()`` the number of runs
    per status and ``.messages`` one sentence per run.
    """

    __slots__ = ("codes",)
    __hash__ = None  # == compares run by run, so it is not a value to hash

    def __init__(self, codes):
        if isinstance(codes, StatusArray):
            codes = codes.codes
        elif len(codes) and isinstance(next(iter(codes)), str):
            codes = [Status.from_key(c) for c in codes]
        arr = np.array(codes, dtype=np.int8).ravel()
        if arr.size and (arr.min() < 0 or arr.max() >= len(STATUS_KEYS)):
            raise ValueError(f"status codes must be 0 to {len(STATUS_KEYS) - 1}")
        arr.setflags(write=False)
        self.codes = arr

    def __len__(self) -> int:
        return self.codes.size

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return STATUS_KEYS[int(self.codes[index])]
        return StatusArray(self.codes[index])

    def __iter__(self):
        return (STATUS_KEYS[c] for c in self.codes.tolist())

    def _codes_of(self, other):
        if isinstance(other, Status):
            return int(other)
        if isinstance(other, str):
            return int(Status.from_key(other))
        if isinstance(other, np.ndarray):
            return np.array([self._codes_of(o) for o in other.ravel().tolist()], dtype=np.int8)
        return None

    def __eq__(self, other):
        """With a name or a Status: a boolean array, run by run (``status == "converged"``).
        With a list, a tuple or another StatusArray: whether the whole sequence is equal, as
        for a list of names (``status == ["converged", "max_steps"]``)."""
        if isinstance(other, StatusArray):
            return np.array_equal(self.codes, other.codes)
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        codes = self._codes_of(other)
        if codes is None:
            return NotImplemented
        return self.codes == codes

    def __ne__(self, other):
        eq = self.__eq__(other)
        if eq is NotImplemented:
            return eq
        return not eq if isinstance(eq, bool) else ~eq

    def __array__(self, dtype=None, copy=None):
        names = np.array(list(self), dtype=object if dtype is None else dtype)
        return names

    def tolist(self) -> list[str]:
        return list(self)

    def counts(self) -> dict[str, int]:
        """Runs per status, in the enum's order, statuses no run has left out."""
        n = np.bincount(self.codes, minlength=len(STATUS_KEYS))
        return {STATUS_KEYS[c]: int(k) for c, k in enumerate(n) if k}

    @property
    def messages(self) -> list[str]:
        return [Status(c).message for c in self.codes.tolist()]

    def __repr__(self) -> str:
        if len(self) <= 6:
            return f"StatusArray({self.tolist()!r})"
        counts = ", ".join(f"{k:,} {s}" for s, k in self.counts().items())
        return f"StatusArray({len(self):,} runs: {counts})"

"""``DescentConfig``: the one record of how a batch of runs was made, enough to make it again.

``descend()`` puts it on its result (``result.config``), the command line prints it in
``--json`` and writes it into the CSV sidecar, and the studio's export writes it too. It is
always built from the settings the runs actually used (the resolved learning rate and
hyper-parameters, defaults filled in), never from what a form showed, so a sidecar reproduces
its trajectories. ``to_dict()`` is its JSON form; ``from_dict()`` reads it back and
``batch_kwargs()`` gives the arguments of a ``BatchDescent`` that replays it.

JSON form (keys): ``function`` (typed text, preset name or model), ``variables``, ``domain``
([[lo, hi], ...]), ``starts`` ([[...], ...]), ``starts_from`` (explicit, a sampler's name,
model default), ``seed``, ``optimizer`` (a name, or one per run), ``lr`` (a number, or one per
run), ``hyper`` ({optimizer: {name: value}}; a per-run setting is a list with one value per run
of that optimizer, in run order), ``schedule`` (see ``Schedule.describe``), ``steps``, ``tol``,
``coordinates`` (cartesian or polar, or a list with one system per run, ``cartesian``,
``polar:metric`` or ``polar:naive``, when coordinate systems are compared: mixed_coordinates.py)
and, in polar coordinates, ``gradient`` (naive or metric; see coordinates.py), ``model_settings`` (for a model fitted to data), ``live_changes`` ([{step, name, value}]: a
learning rate or step limit changed while the batch ran, applied before that step).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

CONFIG_VERSION = 1


def _plain(v):
    """Numbers and nested lists for JSON (numpy scalars and arrays become Python ones)."""
    if isinstance(v, (np.ndarray, StartPoints)):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _freeze(v):
    # an array of numbers in one step: 10,000 starts took 0.45 s through the recursion below
    if isinstance(v, np.ndarray) and v.dtype.kind in "fiub":
        if v.ndim == 1:
            return tuple(v.tolist())
        if v.ndim == 2:
            return tuple(map(tuple, v.tolist()))
    if isinstance(v, (list, tuple, np.ndarray)):
        return tuple(_freeze(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v))
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


class StartPoints:
    """The starts of a configuration: an (N, d) read-only float array that reads as a tuple of
    point tuples (iterating, indexing, ``len``, equality with tuples or lists), and turns into
    JSON lists only when written. Freezing 10,000 starts into tuples took about 5 ms of every
    ``descend()`` call, most of it for nothing."""

    __slots__ = ("_a",)

    def __init__(self, points):
        a = np.array(points, dtype=float, copy=True)
        if a.ndim == 1:
            a = a.reshape(1, -1) if a.size else a.reshape(0, 0)
        a.setflags(write=False)
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a.astype(dtype or float, copy=True)

    def __len__(self) -> int:
        return self._a.shape[0]

    def __iter__(self):
        return iter(map(tuple, self._a.tolist()))

    def __getitem__(self, i):
        return tuple(self._a[i].tolist()) if np.ndim(i) == 0 else tuple(map(tuple, self._a[i].tolist()))

    def __eq__(self, other) -> bool:
        if isinstance(other, StartPoints):
            other = other._a
        try:
            b = np.asarray(other, float)
        except (TypeError, ValueError):
            return NotImplemented
        return b.shape == self._a.shape and bool(np.array_equal(b, self._a))

    __hash__ = None  # mutable-looking containers are not hashed (the config holds dicts anyway)

    def tolist(self) -> list:
        return self._a.tolist()

    def __repr__(self) -> str:
        return f"StartPoints({self._a.shape[0]} x {self._a.shape[1] if self._a.ndim == 2 else 0})"


def _collapse(v):
    """One value for every run is stored once."""
    if isinstance(v, tuple) and v and all(x == v[0] for x in v):
        return v[0]
    return v


@dataclass(frozen=True)
class LiveChange:
    """A setting changed while the batch ran: it applies from step ``step + 1`` on."""

    step: int
    name: str  # "lr" or "max_steps"
    value: object

    def to_dict(self) -> dict:
        return {"step": int(self.step), "name": self.name, "value": _plain(self.value)}


@dataclass(frozen=True)
class DescentConfig:
    """See the module docstring."""

    function: str
    variables: tuple[str, ...]
    domain: tuple[tuple[float, float], ...]
    starts: StartPoints  # reads as a tuple of point tuples
    optimizer: object  # str, or tuple[str, ...] with one name per run
    lr: object  # float, or tuple[float, ...] with one rate per run
    hyper: dict = field(default_factory=dict)  # {optimizer: {name: float | tuple}}
    schedule: dict = field(default_factory=lambda: {"kind": "constant"})
    steps: int = 1000
    tol: float = 1e-6
    seed: Optional[int] = None
    starts_from: str = "explicit"
    model: Optional[dict] = None
    live_changes: tuple[LiveChange, ...] = ()
    coordinates: str = "cartesian"
    gradient: str = "metric"

    # -- building ------------------------------------------------------------------------
    @classmethod
    def from_batch(cls, run, *, function: Optional[str] = None, seed: Optional[int] = None,
                   starts_from: str = "explicit", model: Optional[dict] = None) -> "DescentConfig":
        """The settings a :class:`~gdstudio.core.runner.BatchDescent` runs with. Build it
        before the first live change (``with_live_change`` records those)."""
        names = run.optimizer_names
        optimizer = names[0] if len(set(names)) == 1 else tuple(names)
        hyper = {g.optimizer.name: g.optimizer.describe() for g in run.groups}
        return cls.build(
            run.objective, run.initial_points, optimizer, run.base_lr, hyper, run.schedule.describe(),
            run.max_steps, run.tol, run.domain, function=function, seed=seed, starts_from=starts_from,
            model=model, coordinates=run.coordinates, gradient=run.gradient,
        )

    @classmethod
    def build(cls, objective, starts, optimizer, lr, hyper: dict, schedule: dict, steps: int, tol: float,
              domain, *, function: Optional[str] = None, seed: Optional[int] = None,
              starts_from: str = "explicit", model: Optional[dict] = None, coordinates: str = "cartesian",
              gradient: str = "metric") -> "DescentConfig":
        if function is None:
            function = getattr(objective, "source", "") or getattr(objective, "label", "")
        return cls(
            function=str(function),
            variables=tuple(objective.names),
            domain=tuple((float(a), float(b)) for a, b in domain),
            starts=StartPoints(np.asarray(starts, float)),
            optimizer=optimizer if isinstance(optimizer, str) else tuple(optimizer),
            lr=float(lr) if np.ndim(lr) == 0 else _freeze(np.ravel(lr)),
            hyper={o: {k: _collapse(_freeze(v)) for k, v in h.items()} for o, h in hyper.items()},
            schedule=dict(schedule),
            steps=int(steps),
            tol=float(tol),
            seed=None if seed is None else int(seed),
            starts_from=str(starts_from),
            model=dict(model) if model else None,
            coordinates=_coordinates(coordinates),
            gradient=str(gradient),
        )

    def with_live_change(self, step: int, name: str, value) -> "DescentConfig":
        if name not in ("lr", "max_steps"):
            raise ValueError(f"{name!r} cannot change while a batch runs")
        return replace(self, live_changes=self.live_changes + (LiveChange(int(step), name, _freeze(value)),))

    # -- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {
            "config_version": CONFIG_VERSION,
            "function": self.function,
            "variables": list(self.variables),
            "domain": [list(r) for r in self.domain],
            "optimizer": self.optimizer if isinstance(self.optimizer, str) else list(self.optimizer),
            "lr": _plain(self.lr),
            "hyper": _plain(self.hyper),
            "schedule": dict(self.schedule),
            "steps": self.steps,
            "tol": self.tol,
            "starts": _plain(self.starts),
            "starts_from": self.starts_from,
            "seed": self.seed,
            "coordinates": self.coordinates if isinstance(self.coordinates, str) else list(self.coordinates),
        }
        if self.coordinates == "polar":
            d["gradient"] = self.gradient
        if self.model:
            d["model_settings"] = _plain(self.model)
        if self.live_changes:
            d["live_changes"] = [c.to_dict() for c in self.live_changes]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DescentConfig":
        try:
            return cls(
                function=str(d["function"]),
                variables=tuple(d["variables"]),
                domain=tuple((float(a), float(b)) for a, b in d["domain"]),
                starts=StartPoints(d["starts"]),
                optimizer=d["optimizer"] if isinstance(d["optimizer"], str) else tuple(d["optimizer"]),
                lr=_freeze(d["lr"]),
                hyper={o: {k: _freeze(v) for k, v in h.items()} for o, h in d.get("hyper", {}).items()},
                schedule=dict(d.get("schedule") or {"kind": "constant"}),
                steps=int(d["steps"]),
                tol=float(d["tol"]),
                seed=d.get("seed"),
                starts_from=str(d.get("starts_from", "explicit")),
                model=d.get("model_settings"),
                live_changes=tuple(LiveChange(int(c["step"]), str(c["name"]), _freeze(c["value"]))
                                   for c in d.get("live_changes", ())),
                coordinates=_coordinates(d.get("coordinates", "cartesian")),
                gradient=str(d.get("gradient", "metric")),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a descent configuration: {type(err).__name__} {err}") from None

    # -- replay --------------------------------------------------------------------------
    @property
    def n_runs(self) -> int:
        return len(self.starts)

    def per_run_optimizers(self) -> list[str]:
        return [self.optimizer] * self.n_runs if isinstance(self.optimizer, str) else list(self.optimizer)

    def make_descent(self, objective):
        """A fresh batch that makes these runs on ``objective``: a
        :class:`~gdstudio.core.runner.BatchDescent`, or a
        :class:`~gdstudio.core.coordinates.PolarDescent` in polar coordinates."""
        if not isinstance(self.coordinates, str):  # one coordinate system per run
            from .mixed_coordinates import MixedCoordinatesDescent

            return MixedCoordinatesDescent(objective, systems=self.coordinates, **self.batch_kwargs())
        if self.coordinates == "polar":
            from .coordinates import PolarDescent

            return PolarDescent(objective, gradient=self.gradient, **self.batch_kwargs())
        from .runner import BatchDescent

        return BatchDescent(objective, **self.batch_kwargs())

    def batch_kwargs(self) -> dict:
        """Keyword arguments of ``BatchDescent(objective, **kwargs)`` that make these runs."""
        from .schedules import schedule_from_dict

        names = self.per_run_optimizers()
        n = len(names)
        hyper: dict = {}
        if isinstance(self.optimizer, str):
            hyper = {k: (np.asarray(v, float) if isinstance(v, tuple) else v)
                     for k, v in self.hyper.get(self.optimizer, {}).items()}
        else:
            # one array per hyper-parameter over all runs; a run whose optimizer does not take
            # it gets NaN, which the runner never reads (each optimizer sees its own runs only)
            keys = sorted({k for h in self.hyper.values() for k in h})
            for k in keys:
                col = np.full(n, np.nan)
                for name, h in self.hyper.items():
                    if k in h:
                        idx = [i for i, o in enumerate(names) if o == name]
                        col[idx] = np.broadcast_to(np.asarray(h[k], float), (len(idx),))
                hyper[k] = col
        return {
            "starts": np.asarray(self.starts, float).reshape(n, len(self.variables)),
            "optimizer": self.optimizer if isinstance(self.optimizer, str) else list(self.optimizer),
            "lr": self.lr if not isinstance(self.lr, tuple) else np.asarray(self.lr, float),
            "schedule": schedule_from_dict(self.schedule),
            "max_steps": self.steps,
            "tol": self.tol,
            "domain": self.domain,
            **hyper,
        }


def _coordinates(value):
    """``cartesian`` or ``polar``, or one system per run (a tuple: mixed_coordinates.py)."""
    return str(value) if isinstance(value, str) else tuple(str(v) for v in value)

"""The values the window's runtime (:class:`~.controller.StudioController`) works with: the
problem on the maps and the run settings (the document's, plus the animation speed). Frozen dataclasses: a change is a new value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..app.geometry import GridData
from ..core.objective import Objective
from ..core.optimizers import HYPER_DEFAULTS
from ..core.schedules import Schedule


@dataclass(frozen=True)
class Problem:
    """What is being descended: any Objective, the domain shown, a one-line description,
    and the evaluated grid (surface, contours, gradient field)."""

    objective: Objective
    domain: tuple
    description: str
    grid: GridData

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.objective.names)


@dataclass(frozen=True)
class Settings:
    optimizer: str = "gd"
    lr: float = 0.01
    #: hyper-parameters per optimizer (only the ones that apply are passed to the engine)
    hyper: dict = field(default_factory=lambda: {k: dict(v) for k, v in HYPER_DEFAULTS.items()})
    schedule: Schedule = field(default_factory=Schedule)
    max_steps: int = 1000
    tol: float = 1e-6
    #: steps per second of the animation; None: as fast as possible
    speed: Optional[float] = 200.0
    #: compare these optimizers side by side from every start (empty: off)
    compare_optimizers: tuple = ()
    #: compare these learning rates side by side (empty: off)
    compare_lrs: tuple = ()
    #: descend in "cartesian" or "polar" coordinates (the "metric" or "naive" gradient in polar
    #: ones; core/coordinates.py); paths are drawn in x, y either way
    coordinates: str = "cartesian"
    gradient: str = "metric"

    def hyper_for(self, name: str) -> dict:
        allowed = HYPER_DEFAULTS.get(name, {})
        mine = self.hyper.get(name, {})
        return {k: float(mine.get(k, v)) for k, v in allowed.items()}

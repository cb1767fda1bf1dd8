"""The values the window's runtime (:class:`~.controller.StudioController`) works with: the
problem on the maps and the run settings (the document's, plus the animation speed). Frozen dataclasses: a change is a new value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .geometry import GridData
from .session import Settings as DocumentSettings
from ..core.objective import Objective
from ..core.optimizers import HYPER_DEFAULTS


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
class Settings(DocumentSettings):
    """The document's run settings (:class:`~gdstudio.app.session.Settings`: optimizer, rate,
    hyper-parameters, schedule, stopping, comparisons, coordinates) and the window's own
    animation speed (not part of the document: not saved, not an undo step)."""

    #: every optimizer's hyper-parameters, filled in (the window edits them in place)
    hyper: dict = field(default_factory=lambda: {k: dict(v) for k, v in HYPER_DEFAULTS.items()})
    #: steps per second of the animation; None: as fast as possible
    speed: Optional[float] = 200.0

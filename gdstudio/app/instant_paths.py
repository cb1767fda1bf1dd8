"""The path of a run computed at once, on the GUI thread: a click adds a start, a drag moves
one, and the person sees its whole path under the cursor without pressing Run."""

from __future__ import annotations

import numpy as np

from ..core.status import MAX_STEPS, Status

#: most steps of an instant path: about 40 ms on the plain-Python scalar path, whatever Max
#: steps says (10,000,000 steps froze the window for 35 s and took 3.8 GB). A run that needs
#: more continues in the worker when the click or drag ends.
INSTANT_STEPS = 2_000


def instant_run(problem, start, optimizer: str, lr: float, settings):
    """``(result, status code, cut)``: ``gdstudio.descend`` of one run from ``start`` on
    ``problem`` (the window's Problem) with ``settings``, at most INSTANT_STEPS steps; ``cut``
    is True when it stopped there only because of that bound. Raises ValueError for
    settings the engine refuses."""
    from ..core.api import descend

    steps = min(int(settings.max_steps), INSTANT_STEPS)
    res = descend(problem.objective, np.asarray(start, float)[None, :], optimizer=optimizer, lr=lr,
                  steps=steps, tol=settings.tol, record=True, schedule=settings.schedule,
                  domain=problem.domain, coordinates=getattr(settings, "coordinates", "cartesian"),
                  gradient=getattr(settings, "gradient", "metric"), **settings.hyper_for(optimizer))
    code = int(Status.from_key(res.status[0]))
    return res, code, code == MAX_STEPS and settings.max_steps > steps

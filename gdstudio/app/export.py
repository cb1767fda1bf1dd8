"""Export replay: the trajectories of a :class:`~gdstudio.core.config.DescentConfig`, written
again from its starts and settings (the engine is deterministic; mini-batch objectives are
seeded by step), with its live changes re-applied at the steps where they happened.

The window uses it when the chunks it kept no longer fit their memory budget; the sidecar
is the configuration itself, so it always records the settings the runs actually used,
including changes made before the first run and live ones.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from ..core.config import DescentConfig
from .batches import make_batch
from .chunks import apply_recorded_change
from ..io.trajectories import ExportError, TrajectoryWriter


def replay(objective, config: DescentConfig, upto: Optional[int] = None, chunk_steps: int = 512):
    """Yield the chunks of the configured batch (step 0 first) up to step ``upto`` (default:
    until every run stopped), applying ``config.live_changes`` before their steps."""
    # the configured coordinates too: a polar run (or a comparison of systems) replayed as a
    # Cartesian batch would write another descent than the one shown
    batch = make_batch({"objective": objective, **config.batch_kwargs(), "coordinates": config.coordinates,
                        "gradient": config.gradient})
    changes = sorted(config.live_changes, key=lambda c: c.step)
    end = config.steps if upto is None else int(upto)
    yield batch.initial_chunk()
    i = 0
    while batch.step < end and not batch.done:
        while i < len(changes) and changes[i].step <= batch.step:
            apply_recorded_change(batch, changes[i].name, changes[i].value)
            i += 1
        nxt = changes[i].step if i < len(changes) else end
        k = max(1, min(chunk_steps, nxt - batch.step, end - batch.step))
        yield batch.advance(k)


def export_replay(path, objective, config: DescentConfig, upto: Optional[int] = None,
                  runs: Optional[Iterable[int]] = None, metadata: Optional[dict] = None,
                  cancel: Optional[Callable[[], bool]] = None,
                  progress: Optional[Callable[[float], None]] = None) -> int:
    """Write the replayed trajectories (CSV + sidecar with ``config.to_dict()``), atomically.
    ``cancel()`` true aborts, leaving any existing file untouched. Returns the row count."""
    end = config.steps if upto is None else int(upto)
    meta = {**config.to_dict(), **(metadata or {})}
    with TrajectoryWriter(path, objective.names, meta, None if runs is None else list(runs)) as w:
        for chunk in replay(objective, config, upto):
            if cancel is not None and cancel():
                raise ExportError(f"export to {path} was cancelled; nothing was written")
            w.write_chunk(chunk)
            if progress is not None and end:
                progress(min(1.0, (chunk.first_step + chunk.n_steps - 1) / end))
    return w.rows

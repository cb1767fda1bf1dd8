"""One way to build the batch the window steps, Cartesian or polar (no Qt): the controller's
descent and an export's replay build it from the same spec, so both descend alike."""

from __future__ import annotations

import numpy as np

__all__ = ["FUSED_MIN_RUNS", "batch_spec", "kernel_for", "make_batch"]

#: batches of the window with at least this many runs switch to the fused kernel once it is ready
FUSED_MIN_RUNS = 256


def batch_spec(objective, domain, starts, specs, settings) -> dict:
    """The keyword arguments (for :func:`make_batch`) of the batch that makes the runs
    ``specs`` (``RunSpec``: start index, optimizer, learning rate) from ``starts`` (M, 2) with
    ``settings`` (an ``app.session.Settings`` or the window's): per-run optimizers, rates and
    hyper-parameters when the runs compare them. The batch starts on numpy: numba's compile
    holds the GIL for seconds, which would freeze a window. A big batch switches to the fused
    kernel once :func:`kernel_for` has it ready (compiled in another process), as a recorded
    live change."""
    from ..core.optimizers import HYPER_DEFAULTS

    s = settings
    P = np.asarray(starts, float)[[sp.start for sp in specs]].reshape(-1, 2)
    names = [sp.optimizer for sp in specs]
    mixed = len(set(names)) > 1
    lrs = np.array([sp.lr for sp in specs]) if len(set(sp.lr for sp in specs)) > 1 else float(s.lr)
    if mixed:
        keys = sorted({k for o in set(names) for k in HYPER_DEFAULTS[o]})
        hyper = {}
        for k in keys:
            vals = [s.hyper_for(o).get(k, np.nan) for o in names]
            hyper[k] = np.nan_to_num(np.array(vals, float), nan=0.0)
    else:
        hyper = s.hyper_for(names[0])
    spec = dict(objective=objective, starts=P, optimizer=names if mixed else names[0], lr=lrs,
                schedule=s.schedule, max_steps=s.max_steps, tol=s.tol, domain=domain, use_fused=False, **hyper)
    if getattr(s, "compare_coordinates", ()):  # one system per run (core/mixed_coordinates.py)
        spec.update(coordinates=[sp.system for sp in specs])
    elif s.coordinates == "polar":
        spec.update(coordinates="polar", gradient=s.gradient)
    return spec


def make_batch(spec: dict):
    """A :class:`~gdstudio.core.runner.BatchDescent` from ``spec`` (its keyword arguments), or a
    :class:`~gdstudio.core.coordinates.PolarDescent` when ``spec["coordinates"] == "polar"``
    (with ``spec["gradient"]``: metric or naive), or a
    :class:`~gdstudio.core.mixed_coordinates.MixedCoordinatesDescent` when it is a list of one
    system per run. Results are in x, y either way."""
    spec = dict(spec)
    coordinates = spec.pop("coordinates", "cartesian")
    gradient = spec.pop("gradient", "metric")
    if not isinstance(coordinates, str):  # one system per run, compared side by side
        from ..core.mixed_coordinates import MixedCoordinatesDescent

        spec.pop("use_fused", None)
        return MixedCoordinatesDescent(systems=coordinates, **spec)
    if coordinates == "polar":
        from ..core.coordinates import PolarDescent

        spec.pop("use_fused", None)  # the polar descent steps on the numpy path
        return PolarDescent(gradient=gradient, **spec)
    from ..core.runner import BatchDescent

    return BatchDescent(**spec)


def kernel_for(batch):
    """The fused kernel (core/fused.py) that can step ``batch`` from its next step on, compiled
    in a separate process and loaded here: None when the batch is small (fewer than
    FUSED_MIN_RUNS runs: numpy keeps up with what the views show), steps in polar or mixed
    coordinates, compares optimizers or rates, or there is no kernel. Blocks for the compile
    (about 2 s the first time, a few ms once cached): call it from a background thread."""
    from ..core.fused import prepared_kernel
    from ..core.runner import BatchDescent

    if type(batch) is not BatchDescent or batch.n_runs < FUSED_MIN_RUNS or batch.fused or not batch.fusable():
        return None
    return prepared_kernel(batch.objective, batch.groups[0].optimizer)

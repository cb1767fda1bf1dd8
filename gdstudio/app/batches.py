"""One way to build the batch the window steps, Cartesian or polar (no Qt): the controller's
descent and an export's replay build it from the same spec, so both descend alike."""

from __future__ import annotations

__all__ = ["make_batch"]


def make_batch(spec: dict):
    """A :class:`~gdstudio.core.runner.BatchDescent` from ``spec`` (its keyword arguments), or a
    :class:`~gdstudio.core.coordinates.PolarDescent` when ``spec["coordinates"] == "polar"``
    (with ``spec["gradient"]``: metric or naive). Results are in x, y either way."""
    spec = dict(spec)
    coordinates = spec.pop("coordinates", "cartesian")
    gradient = spec.pop("gradient", "metric")
    if coordinates == "polar":
        from ..core.coordinates import PolarDescent

        spec.pop("use_fused", None)  # the polar descent steps on the numpy path
        return PolarDescent(gradient=gradient, **spec)
    from ..core.runner import BatchDescent

    return BatchDescent(**spec)

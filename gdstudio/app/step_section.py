"""The cross-section of f along one descent step (no Qt): the side-view lesson's 2-D picture
beside the 3D arrow. From the step's start a, along its direction u = (b − a)/‖b − a‖, f is
sampled at a + s·u for s from −margin·L to (1 + margin)·L (L the step's length), with the
first-order prediction f(a) + s·∇f(a)·u beside it: the step lands on the curve, below the
start, and above the tangent line where the surface curves up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["StepSection", "step_section"]


@dataclass(frozen=True)
class StepSection:
    s: np.ndarray  # (n,) distance along the step's direction from its start
    f: np.ndarray  # (n,) f there (exact)
    tangent: np.ndarray  # (n,) f(a) + s·∇f(a)·u
    length: float  # the step's length L (it lands at s = L)
    f_start: float
    f_end: float
    direction: tuple  # u


def step_section(objective, a, b, n: int = 161, margin: float = 0.6) -> Optional[StepSection]:
    """The section through the step from ``a`` to ``b`` ((x, y) each), or None for a step of
    zero length or with non-finite ends."""
    a = np.asarray(a, float)[:2]
    b = np.asarray(b, float)[:2]
    d = b - a
    L = float(np.hypot(*d))
    if not (L > 0 and np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    u = d / L
    s = np.linspace(-margin * L, (1 + margin) * L, int(n))
    P = a[None, :] + s[:, None] * u[None, :]
    with np.errstate(all="ignore"):
        f = np.asarray(objective.value(P), float)
        fa, ga = objective.value_and_grad(a[None, :])
        fb = np.asarray(objective.value(b[None, :]), float)[0]
    fa = float(np.asarray(fa)[0])
    slope = float(np.asarray(ga)[0] @ u)
    return StepSection(s, f, fa + s * slope, L, fa, float(fb), (float(u[0]), float(u[1])))

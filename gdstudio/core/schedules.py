"""Learning-rate schedules, applied per step (t = 0 for the first update).

constant     lr_t = lr
step         lr_t = lr · γ^⌊t / step_size⌋                  (torch.optim.lr_scheduler.StepLR)
exponential  lr_t = lr · γ^t                                (ExponentialLR)
cosine       lr_t = η_min + (lr − η_min)·(1 + cos(π·t / T_max)) / 2   (CosineAnnealingLR,
             closed form; t is clamped to T_max so the rate stays at η_min afterwards)

PyTorch's schedulers advance once per ``scheduler.step()`` call; here that call happens after
every optimizer step.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass


SCHEDULES = ("constant", "step", "exponential", "cosine")


@dataclass(frozen=True)
class Schedule:
    kind: str = "constant"
    step_size: int = 100
    gamma: float = 0.5
    t_max: int = 1000
    eta_min: float = 0.0

    def __post_init__(self):
        for name in ("step_size", "gamma", "t_max", "eta_min"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"the schedule's {name} must be a finite number, got {value!r}")
        if self.kind not in SCHEDULES:
            raise ValueError(
                f"unknown schedule {self.kind!r}; choose one of {', '.join(SCHEDULES)}"
            )
        if self.kind == "step" and self.step_size < 1:
            raise ValueError("the step schedule needs step_size ≥ 1")
        if self.kind in ("step", "exponential") and not (0 < self.gamma <= 1):
            raise ValueError(f"the decay factor gamma must be in (0, 1], got {self.gamma:g}")
        if self.kind == "cosine" and self.t_max < 1:
            raise ValueError("the cosine schedule needs T_max ≥ 1")
        if self.eta_min < 0:
            raise ValueError("eta_min must be ≥ 0")

    def lr_at(self, base_lr, t: int):
        """The learning rate of update number ``t`` (0-based); base_lr may be an array."""
        if self.kind == "constant":
            return base_lr
        if self.kind == "step":
            return base_lr * self.gamma ** (t // self.step_size)
        if self.kind == "exponential":
            return base_lr * self.gamma**t
        tc = min(t, self.t_max)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * tc / self.t_max)) / 2

    def lr_sequence(self, base_lr: float, n: int) -> list[float]:
        """Rates for updates 0..n-1 as plain floats (the scalar fast path indexes them)."""
        if self.kind == "constant":
            return [float(base_lr)] * n
        return [float(self.lr_at(base_lr, t)) for t in range(n)]

    def describe(self) -> dict:
        d = {"kind": self.kind}
        if self.kind == "step":
            d.update(step_size=self.step_size, gamma=self.gamma)
        elif self.kind == "exponential":
            d.update(gamma=self.gamma)
        elif self.kind == "cosine":
            d.update(t_max=self.t_max, eta_min=self.eta_min)
        return d


def parse_schedule(text: str | None, max_steps: int = 1000) -> Schedule:
    """Parse the command line's ``--schedule``: ``constant``, ``step:SIZE:GAMMA``,
    ``exponential:GAMMA``, ``cosine[:T_MAX[:ETA_MIN]]`` (T_MAX defaults to the step limit)."""
    if not text:
        return Schedule()
    parts = [p.strip() for p in str(text).split(":")]
    kind, args = parts[0].lower(), parts[1:]
    try:
        nums = [float(a) for a in args]
    except ValueError:
        raise ValueError(f"schedule {text!r}: {args} are not all numbers") from None
    for a, v in zip(args, nums):
        if not math.isfinite(v):
            raise ValueError(f"schedule {text!r}: {a!r} is not a finite number")
    if kind == "constant" and not nums:
        return Schedule()
    if kind == "step" and len(nums) in (1, 2):
        return Schedule("step", step_size=int(nums[0]), gamma=nums[1] if len(nums) > 1 else 0.5)
    if kind in ("exponential", "exp") and len(nums) <= 1:
        return Schedule("exponential", gamma=nums[0] if nums else 0.99)
    if kind == "cosine" and len(nums) <= 2:
        return Schedule(
            "cosine",
            t_max=int(nums[0]) if nums else max(1, max_steps),
            eta_min=nums[1] if len(nums) > 1 else 0.0,
        )
    raise ValueError(
        f"bad schedule {text!r}; use constant, step:SIZE[:GAMMA], exponential[:GAMMA] "
        "or cosine[:T_MAX[:ETA_MIN]]"
    )




def schedule_from_dict(d: dict | None) -> Schedule:
    """The inverse of :meth:`Schedule.describe` (a DescentConfig or a session file stores it)."""
    if not d:
        return Schedule()
    fields = {k: d[k] for k in ("step_size", "gamma", "t_max", "eta_min") if k in d}
    for k in ("step_size", "t_max"):
        if k in fields:
            fields[k] = int(fields[k])
    return Schedule(str(d.get("kind", "constant")), **fields)


__all__ = ["SCHEDULES", "Schedule", "parse_schedule", "schedule_from_dict"]

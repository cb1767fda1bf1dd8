"""The six optimizers, with PyTorch's documented semantics and defaults.

Each optimizer is one pure update function for one coordinate, written once: the scalar fast
path runs it on plain Python floats and the fused kernel (fused.py) compiles it with numba.
The batch runner uses in-place numpy variants that perform the very same operations in the
same order (the tests check bit-for-bit agreement), so a single dragged trajectory and a
thousand-run batch follow exactly the same arithmetic.

Notation: p parameters, g = ∇f(p), t = 1, 2, ... the step number, lr the learning rate at
step t (after the schedule). Hyper-parameters may be scalars or per-run arrays of shape (N,),
so runs with different settings advance side by side in one batch.

gd          p ← p − lr·g                                                  (torch.optim.SGD)
momentum    b ← μ·b + g;           p ← p − lr·b        (torch.optim.SGD, momentum=μ, b₀ = 0)
nesterov    b ← μ·b + g;           p ← p − lr·(g + μ·b)        (torch.optim.SGD, nesterov)
adagrad     s ← s + g²;            p ← p − lr·g / (√s + ε)            (torch.optim.Adagrad)
rmsprop     v ← α·v + (1−α)·g²;    p ← p − lr·g / (√v + ε)            (torch.optim.RMSprop)
adam        m ← m + (1−β₁)(g − m); v ← β₂·v + (1−β₂)·g²
            p ← p − (lr / (1−β₁ᵗ)) · m / (√v · (1/√(1−β₂ᵗ)) + ε)      (torch.optim.Adam)

These are PyTorch's forms, not Sutskever's: momentum accumulates raw gradients (the learning
rate multiplies the buffer, not each gradient), and with dampening 0 the first buffer equals
the first gradient. Adam's first moment is updated as a linear interpolation and the bias
corrections are applied in the order of PyTorch's single-tensor implementation (except that
dividing by √(1−β₂ᵗ) is done as a multiplication by its reciprocal, which saves a division
per coordinate and changes the result by at most an ulp), so trajectories agree with
``torch.optim`` to rounding error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

OPTIMIZERS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")

#: default learning rate of each optimizer, as in torch.optim
DEFAULT_LR = {
    "gd": 1e-3,
    "momentum": 1e-3,
    "nesterov": 1e-3,
    "adagrad": 1e-2,
    "rmsprop": 1e-2,
    "adam": 1e-3,
}

#: the hyper-parameters (besides lr) that apply to each optimizer, with their defaults.
#: torch.optim.SGD has no default momentum; 0.9 is the customary value.
HYPER_DEFAULTS: dict[str, dict[str, float]] = {
    "gd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "adagrad": {"eps": 1e-10},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}

# -- update rules: one source for floats and the fused kernel --------------------------------------
# ``factors(t, lr, *hyper) -> (a, b)`` computes what depends only on the step (for Adam the
# bias corrections, a power each), once per step rather than once per coordinate.
# ``update(p, g, *state, a, b, *hyper) -> (p, *state)`` is the per-coordinate rule. ``sqrt``
# is bound to numpy.sqrt or math.sqrt when the source is compiled.
_FACTORS_SOURCE = {
    "adam": """
def factors(t, lr, beta1, beta2, eps):
    return lr / (1 - beta1 ** t), 1 / sqrt(1 - beta2 ** t)
""",
}
_PLAIN_FACTORS = """
def factors(t, lr, *hyper):
    return lr, 0.0
"""

_UPDATE_SOURCE = {
    "gd": """
def update(p, g, lr, _):
    return (p + (-lr) * g,)
""",
    "momentum": """
def update(p, g, b, lr, _, momentum):
    b = b * momentum + g
    return p + (-lr) * b, b
""",
    "nesterov": """
def update(p, g, b, lr, _, momentum):
    b = b * momentum + g
    return p + (-lr) * (g + momentum * b), b
""",
    "adagrad": """
def update(p, g, s, lr, _, eps):
    s = s + g * g
    return p + (-lr) * (g / (sqrt(s) + eps)), s
""",
    "rmsprop": """
def update(p, g, v, lr, _, alpha, eps):
    v = v * alpha + (1 - alpha) * (g * g)
    return p + (-lr) * (g / (sqrt(v) + eps)), v
""",
    "adam": """
def update(p, g, m, v, step_size, inv_bias_correction2_sqrt, beta1, beta2, eps):
    m = m + (1 - beta1) * (g - m)
    v = v * beta2 + (1 - beta2) * (g * g)
    return p + (-step_size) * (m / (sqrt(v) * inv_bias_correction2_sqrt + eps)), m, v
""",
}

#: names of each optimizer's state buffers, in the order of the update's arguments
STATE_NAMES = {
    "gd": (),
    "momentum": ("momentum_buffer",),
    "nesterov": ("momentum_buffer",),
    "adagrad": ("sum",),
    "rmsprop": ("square_avg",),
    "adam": ("exp_avg", "exp_avg_sq"),
}


def factors_source(name: str) -> str:
    return _FACTORS_SOURCE.get(name, _PLAIN_FACTORS)


def _compile(name: str, sqrt, source: str, fn: str) -> Callable:
    namespace = {"sqrt": sqrt}
    exec(compile(source, f"<gdstudio optimizer {name}>", "exec"), namespace)
    return namespace[fn]


_FLOAT_UPDATES = {n: _compile(n, math.sqrt, _UPDATE_SOURCE[n], "update") for n in OPTIMIZERS}
_FACTORS = {n: _compile(n, np.sqrt, factors_source(n), "factors") for n in OPTIMIZERS}
_FLOAT_FACTORS = {n: _compile(n, math.sqrt, factors_source(n), "factors") for n in OPTIMIZERS}

# -- the same rules, in place, for the batch runner --------------------------------------
# numpy allocates a fresh array for every operation of the functional form above; for ten
# thousand runs those temporaries cost more than the arithmetic. These variants perform the
# very same IEEE operations in the same order (so results are bit-identical, which the tests
# check) but update the state buffers in place, using one scratch buffer. The new position is
# always a fresh array, because positions are handed to other threads in chunks.


def _gd_inplace(p, g, buf, out, lr, _):
    np.multiply(g, -lr, out=buf)
    return np.add(p, buf, out=out)


def _momentum_inplace(p, g, b, buf, out, lr, _, momentum):
    b *= momentum
    b += g
    np.multiply(b, -lr, out=buf)
    return np.add(p, buf, out=out)


def _nesterov_inplace(p, g, b, buf, out, lr, _, momentum):
    b *= momentum
    b += g
    np.multiply(b, momentum, out=buf)
    np.add(g, buf, out=buf)
    buf *= -lr
    return np.add(p, buf, out=out)


def _adagrad_inplace(p, g, s, buf, out, lr, _, eps):
    np.multiply(g, g, out=buf)
    s += buf
    np.sqrt(s, out=buf)
    buf += eps
    np.divide(g, buf, out=buf)
    buf *= -lr
    return np.add(p, buf, out=out)


def _rmsprop_inplace(p, g, v, buf, out, lr, _, alpha, eps):
    v *= alpha
    np.multiply(g, g, out=buf)
    buf *= 1 - alpha
    v += buf
    np.sqrt(v, out=buf)
    buf += eps
    np.divide(g, buf, out=buf)
    buf *= -lr
    return np.add(p, buf, out=out)


def _adam_inplace(p, g, m, v, buf, out, step_size, inv_bias_correction2_sqrt, beta1, beta2, eps):
    np.subtract(g, m, out=buf)
    buf *= 1 - beta1
    m += buf
    v *= beta2
    np.multiply(g, g, out=buf)
    buf *= 1 - beta2
    v += buf
    np.sqrt(v, out=buf)
    buf *= inv_bias_correction2_sqrt
    buf += eps
    np.divide(m, buf, out=buf)
    buf *= -step_size
    return np.add(p, buf, out=out)


_INPLACE_UPDATES = {
    "gd": _gd_inplace,
    "momentum": _momentum_inplace,
    "nesterov": _nesterov_inplace,
    "adagrad": _adagrad_inplace,
    "rmsprop": _rmsprop_inplace,
    "adam": _adam_inplace,
}


@dataclass(frozen=True)
class Optimizer:
    """One optimizer with its validated hyper-parameters (scalars or per-run arrays)."""

    name: str
    hyper: tuple[tuple[str, object], ...]

    @property
    def state_names(self) -> tuple[str, ...]:
        return STATE_NAMES[self.name]

    @property
    def hyper_values(self) -> tuple:
        return tuple(v for _, v in self.hyper)

    @property
    def inplace_update(self) -> Callable:
        """(p, g, *state, scratch, out, a, b, *hyper) -> out (the new p); updates the
        state buffers in place."""
        return _INPLACE_UPDATES[self.name]

    @property
    def factors(self) -> Callable:
        """(t, lr, *hyper) -> (a, b): the per-step quantities the update takes after the
        state (works on arrays and floats)."""
        return _FACTORS[self.name]

    @property
    def float_factors(self) -> Callable:
        return _FLOAT_FACTORS[self.name]

    @property
    def float_update(self) -> Callable:
        return _FLOAT_UPDATES[self.name]

    def init_state(self, params: np.ndarray) -> list[np.ndarray]:
        """State buffers start at zero, as in PyTorch."""
        return [np.zeros_like(params) for _ in self.state_names]

    def describe(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.hyper}


def _check_range(name: str, value, lo: float, hi: float, *, hi_open: bool, label: str):
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"invalid {label}: {value!r} is not a finite number")
    bad = (arr < lo) | ((arr >= hi) if hi_open else (arr > hi))
    if np.any(bad):
        interval = f"[{lo:g}, {hi:g}{')' if hi_open else ']'}"
        shown = arr[bad].flat[0]
        raise ValueError(f"invalid {label} for {name}: {shown:g} is outside {interval}")


def make_optimizer(name: str, **hyper) -> Optimizer:
    """Validate ``name`` and its hyper-parameters (missing ones take PyTorch's defaults).

    ``betas=(b1, b2)`` is accepted for Adam, as in PyTorch. Unknown or inapplicable
    hyper-parameters are refused, so a typo never silently does nothing.
    """
    key = str(name).strip().lower()
    if key not in HYPER_DEFAULTS:
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}"
        )
    hyper = {k: v for k, v in hyper.items() if v is not None}
    if "betas" in hyper:
        betas = hyper.pop("betas")
        try:
            hyper["beta1"], hyper["beta2"] = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be two numbers, got {betas!r}") from None
    allowed = HYPER_DEFAULTS[key]
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        applies = ", ".join(allowed) or "only the learning rate"
        raise ValueError(
            f"{key} has no hyper-parameter {unknown[0]!r} (it takes {applies})"
        )
    values = {**allowed, **hyper}
    for hp, value in values.items():
        if hp == "momentum":
            _check_range(key, value, 0.0, 1.0, hi_open=True, label="momentum")
        elif hp in ("beta1", "beta2"):
            _check_range(key, value, 0.0, 1.0, hi_open=True, label=f"beta parameter {hp[-1]}")
        elif hp == "alpha":
            _check_range(key, value, 0.0, 1.0, hi_open=False, label="alpha")
        elif hp == "eps":
            _check_range(key, value, 0.0, np.inf, hi_open=True, label="epsilon")
    normalised = tuple(
        (hp, float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float))
        for hp, v in values.items()
    )
    return Optimizer(key, normalised)


def validate_lr(lr) -> None:
    arr = np.asarray(lr, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        bad = arr[~np.isfinite(arr) | (arr < 0)].flat[0] if arr.ndim else float(arr)
        raise ValueError(f"invalid learning rate: {bad:g} (it must be a finite number ≥ 0)")

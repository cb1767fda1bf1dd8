"""The optimizers: one record each, with PyTorch's documented semantics and defaults.

A record (:class:`OptimizerSpec`) holds everything about one optimizer: its hyper-parameters
with defaults and valid ranges, the default learning rate, the names of its state buffers and
its update rule, with the formula in the rule's docstring. Nothing about an optimizer is
written anywhere else.

The update rule is a plain Python function on one coordinate, ``update(p, g, *state, a, b,
*hyper) -> (p, *state)``. The one-run fast path (scalar.py) calls it on floats, and the fused
kernel (fused.py) copies its source into the kernel that numba compiles, so a single dragged
trajectory and a hundred-thousand-run batch follow the very same arithmetic. ``a, b`` come
from ``factors(t, lr, *hyper)``: what depends only on the step (the learning rate after the
schedule, and Adam's bias corrections, a power each), computed once per step, not once per
coordinate. The numpy batch runner uses an in-place variant of each rule that performs the
same IEEE operations in the same order; the tests check all three paths agree bit for bit.

Notation: p parameters, g = ∇f(p), t = 1, 2, ... the step number, lr the learning rate at
step t (after the schedule). Hyper-parameters may be scalars or per-run arrays of shape (N,),
so runs with different settings advance side by side in one batch.

These are PyTorch's forms, not Sutskever's: momentum accumulates raw gradients (the learning
rate multiplies the buffer, not each gradient), and with dampening 0 the first buffer equals
the first gradient. Adam's first moment is updated as a linear interpolation and the bias
corrections are applied in the order of PyTorch's single-tensor implementation (except that
dividing by √(1−β₂ᵗ) is done as a multiplication by its reciprocal, which saves a division
per coordinate and changes the result by at most an ulp), so trajectories agree with
``torch.optim`` to rounding error.

Adding an optimizer is adding one record: write its rule, its in-place numpy variant and its
hyper-parameters, and :func:`register` the record (see the records at the end of this
module). The rule's function must be self-contained (it may call ``sqrt`` only), because its
source is compiled by numba inside the fused kernel. A rule that needs more than the
gradient (Newton's method and its exact Hessian) sets ``uses_objective``: its in-place rule
gets the objective first, and it runs on the numpy path.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from math import sqrt
from typing import Callable, Optional

import numpy as np

__all__ = [
    "HyperParam", "OptimizerSpec", "Optimizer", "register", "spec", "make_optimizer",
    "validate_lr", "OPTIMIZERS", "DEFAULT_LR", "HYPER_DEFAULTS", "STATE_NAMES",
]


@dataclass(frozen=True)
class HyperParam:
    """A hyper-parameter: its default and the interval it must lie in.

    ``hi_open``: the upper bound itself is refused (momentum < 1); ``lo_open``: the lower
    bound is refused too (ε > 0)."""

    name: str
    default: float
    lo: float
    hi: float
    hi_open: bool
    label: str
    lo_open: bool = False
    #: why the lower bound is excluded, said after the refusal
    why_lo: str = ""

    def check(self, optimizer: str, value) -> None:
        arr = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"invalid {self.label}: {value!r} is not a finite number")
        too_low = (arr <= self.lo) if self.lo_open else (arr < self.lo)
        if self.lo_open and np.any(too_low):
            shown = arr[too_low].flat[0]
            raise ValueError(f"invalid {self.label} for {optimizer}: {shown:g} is not greater than "
                             f"{self.lo:g}{f' ({self.why_lo})' if self.why_lo else ''}")
        bad = too_low | ((arr >= self.hi) if self.hi_open else (arr > self.hi))
        if np.any(bad):
            interval = f"[{self.lo:g}, {self.hi:g}{')' if self.hi_open else ']'}"
            shown = arr[bad].flat[0]
            raise ValueError(f"invalid {self.label} for {optimizer}: {shown:g} is outside {interval}")


def plain_factors(t, lr, *hyper):
    """The per-step quantities of an optimizer without bias corrections: (lr, 0)."""
    return lr, 0.0


@dataclass(frozen=True)
class OptimizerSpec:
    """Everything about one optimizer. See the module docstring for the calling conventions
    of ``update``, ``update_inplace`` and ``factors``."""

    name: str
    title: str
    default_lr: float
    hyper: tuple[HyperParam, ...]
    state: tuple[str, ...]
    update: Optional[Callable]
    update_inplace: Callable
    factors: Callable = plain_factors
    reference: str = ""
    #: a rule that needs more than the gradient at the point (Newton's exact Hessian) sets
    #: this: ``update_inplace`` then receives the objective first, and there is no
    #: per-coordinate ``update`` (None), so such an optimizer runs on the numpy path only
    uses_objective: bool = False

    @property
    def hyper_defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hyper}

    @property
    def formula(self) -> str:
        """The update rule as written in the rule's docstring."""
        return inspect.getdoc(self.update if self.update is not None else self.update_inplace) or ""

    @property
    def per_coordinate(self) -> bool:
        """The rule acts on each coordinate alone: the scalar path and the fused kernel can run it."""
        return self.update is not None and not self.uses_objective

    @property
    def update_source(self) -> str:
        """The rule's source, for the fused kernel (numba compiles it there)."""
        return inspect.getsource(self.update)


_REGISTRY: dict[str, OptimizerSpec] = {}


def register(record: OptimizerSpec) -> OptimizerSpec:
    """Add an optimizer. Its name becomes valid everywhere an optimizer is chosen (the API,
    the command line's --optimizer, the window's list)."""
    if record.name in _REGISTRY:
        raise ValueError(f"an optimizer named {record.name!r} is already registered")
    _REGISTRY[record.name] = record
    _refresh_tables()
    return record


def spec(name: str) -> OptimizerSpec:
    """The record of ``name`` (case and surrounding spaces ignored)."""
    key = str(name).strip().lower()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(_REGISTRY)}") from None


# Tables derived from the records, for code that only needs names or defaults. They are
# the same objects for the life of the process and updated in place by register().
OPTIMIZERS: tuple[str, ...] = ()
#: default learning rate of each optimizer, as in torch.optim
DEFAULT_LR: dict[str, float] = {}
#: the hyper-parameters (besides lr) that apply to each optimizer, with their defaults
HYPER_DEFAULTS: dict[str, dict[str, float]] = {}
#: names of each optimizer's state buffers, in the order of the update's arguments
STATE_NAMES: dict[str, tuple[str, ...]] = {}


def _refresh_tables() -> None:
    global OPTIMIZERS
    OPTIMIZERS = tuple(_REGISTRY)
    DEFAULT_LR.clear()
    DEFAULT_LR.update({n: r.default_lr for n, r in _REGISTRY.items()})
    HYPER_DEFAULTS.clear()
    HYPER_DEFAULTS.update({n: r.hyper_defaults for n, r in _REGISTRY.items()})
    STATE_NAMES.clear()
    STATE_NAMES.update({n: r.state for n, r in _REGISTRY.items()})


@dataclass(frozen=True)
class Optimizer:
    """One optimizer with its validated hyper-parameters (scalars or per-run arrays)."""

    name: str
    hyper: tuple[tuple[str, object], ...]
    record: OptimizerSpec = field(repr=False, compare=False, default=None)

    def __post_init__(self):
        if self.record is None:
            object.__setattr__(self, "record", spec(self.name))

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.record.state

    @property
    def hyper_values(self) -> tuple:
        return tuple(v for _, v in self.hyper)

    @property
    def inplace_update(self) -> Callable:
        """(p, g, *state, scratch, out, a, b, *hyper) -> out (the new p); updates the
        state buffers in place."""
        return self.record.update_inplace

    @property
    def factors(self) -> Callable:
        """(t, lr, *hyper) -> (a, b): the per-step quantities the update takes after the
        state (works on arrays and floats)."""
        return self.record.factors

    def float_factors(self, t, lr, *hyper) -> tuple[float, float]:
        a, b = self.record.factors(t, lr, *hyper)
        return float(a), float(b)

    @property
    def float_update(self) -> Callable:
        return self.record.update

    def init_state(self, params: np.ndarray) -> list[np.ndarray]:
        """State buffers start at zero, as in PyTorch."""
        return [np.zeros_like(params) for _ in self.state_names]

    def describe(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.hyper}


def make_optimizer(name: str, **hyper) -> Optimizer:
    """Validate ``name`` and its hyper-parameters (missing ones take PyTorch's defaults).

    ``betas=(b1, b2)`` is accepted for Adam, as in PyTorch. Unknown or inapplicable
    hyper-parameters are refused, so a typo never silently does nothing.
    """
    record = spec(name)
    key = record.name
    hyper = {k: v for k, v in hyper.items() if v is not None}
    if "betas" in hyper:
        betas = hyper.pop("betas")
        try:
            hyper["beta1"], hyper["beta2"] = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be two numbers, got {betas!r}") from None
    allowed = record.hyper_defaults
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        applies = ", ".join(allowed) or "only the learning rate"
        raise ValueError(
            f"{key} has no hyper-parameter {unknown[0]!r} (it takes {applies})"
        )
    values = {**allowed, **hyper}
    for hp in record.hyper:
        hp.check(key, values[hp.name])
    normalised = tuple(
        (hp, float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float))
        for hp, v in values.items()
    )
    return Optimizer(key, normalised, record)


def validate_lr(lr) -> None:
    arr = np.asarray(lr, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        bad = arr[~np.isfinite(arr) | (arr < 0)].flat[0] if arr.ndim else float(arr)
        raise ValueError(f"invalid learning rate: {bad:g} (it must be a finite number ≥ 0)")


# == the records ===========================================================================
# Each rule: the per-coordinate function (floats; numba compiles its source in the fused
# kernel) and its in-place numpy twin. numpy would allocate a fresh array for every operation
# of the functional form; for ten thousand runs those temporaries cost more than the
# arithmetic, so the twin performs the very same IEEE operations in the same order (results
# are bit-identical, which the tests check) but updates the state buffers in place, using one
# scratch buffer. The new position is always a fresh array (``out``), because positions are
# handed to other threads in chunks.

_MOMENTUM = HyperParam("momentum", 0.9, 0.0, 1.0, True, "momentum")

def _eps(default: float) -> HyperParam:
    """ε of the adaptive rules, which divide by (√s + ε): with ε = 0 a gradient component that
    is zero from the start makes 0/0, so ε must be positive on every path (the scalar loop
    raised ZeroDivisionError where numpy and the fused kernel made NaN and reported a
    divergence)."""
    return HyperParam("eps", default, 0.0, np.inf, True, "epsilon", lo_open=True,
                      why_lo="a zero gradient component would make 0/0")



def gd_update(p, g, lr, _):
    """p ← p − lr·g                                                  (torch.optim.SGD)"""
    return (p + (-lr) * g,)


def _gd_inplace(p, g, buf, out, lr, _):
    np.multiply(g, -lr, out=buf)
    return np.add(p, buf, out=out)


def momentum_update(p, g, b, lr, _, momentum):
    """b ← μ·b + g;  p ← p − lr·b                (torch.optim.SGD, momentum=μ, b₀ = 0)"""
    b = b * momentum + g
    return p + (-lr) * b, b


def _momentum_inplace(p, g, b, buf, out, lr, _, momentum):
    b *= momentum
    b += g
    np.multiply(b, -lr, out=buf)
    return np.add(p, buf, out=out)


def nesterov_update(p, g, b, lr, _, momentum):
    """b ← μ·b + g;  p ← p − lr·(g + μ·b)                (torch.optim.SGD, nesterov=True)"""
    b = b * momentum + g
    return p + (-lr) * (g + momentum * b), b


def _nesterov_inplace(p, g, b, buf, out, lr, _, momentum):
    b *= momentum
    b += g
    np.multiply(b, momentum, out=buf)
    np.add(g, buf, out=buf)
    buf *= -lr
    return np.add(p, buf, out=out)


def adagrad_update(p, g, s, lr, _, eps):
    """s ← s + g²;  p ← p − lr·g / (√s + ε)                        (torch.optim.Adagrad)"""
    s = s + g * g
    return p + (-lr) * (g / (sqrt(s) + eps)), s


def _adagrad_inplace(p, g, s, buf, out, lr, _, eps):
    np.multiply(g, g, out=buf)
    s += buf
    np.sqrt(s, out=buf)
    buf += eps
    np.divide(g, buf, out=buf)
    buf *= -lr
    return np.add(p, buf, out=out)


def rmsprop_update(p, g, v, lr, _, alpha, eps):
    """v ← α·v + (1−α)·g²;  p ← p − lr·g / (√v + ε)                (torch.optim.RMSprop)"""
    v = v * alpha + (1 - alpha) * (g * g)
    return p + (-lr) * (g / (sqrt(v) + eps)), v


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


def adam_factors(t, lr, beta1, beta2, eps):
    """(lr / (1 − β₁ᵗ), 1 / √(1 − β₂ᵗ)): Adam's bias corrections, once per step (floats or
    per-run arrays)."""
    c2 = 1 - beta2 ** t
    # math.sqrt on a float (the scalar path, once per step) avoids numpy's call overhead;
    # both are correctly rounded, so the two give the same bits
    return lr / (1 - beta1 ** t), 1 / (sqrt(c2) if isinstance(c2, float) else np.sqrt(c2))


def adam_update(p, g, m, v, step_size, inv_bias_correction2_sqrt, beta1, beta2, eps):
    """m ← m + (1−β₁)(g − m);  v ← β₂·v + (1−β₂)·g²;
    p ← p − (lr / (1−β₁ᵗ)) · m / (√v · (1/√(1−β₂ᵗ)) + ε)              (torch.optim.Adam)"""
    m = m + (1 - beta1) * (g - m)
    v = v * beta2 + (1 - beta2) * (g * g)
    return p + (-step_size) * (m / (sqrt(v) * inv_bias_correction2_sqrt + eps)), m, v


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


register(OptimizerSpec(
    "gd", "Gradient descent", 1e-3, (), (), gd_update, _gd_inplace, reference="torch.optim.SGD"))
# torch.optim.SGD has no default momentum; 0.9 is the customary value
register(OptimizerSpec(
    "momentum", "Momentum", 1e-3, (_MOMENTUM,), ("momentum_buffer",), momentum_update,
    _momentum_inplace, reference="torch.optim.SGD(momentum=μ)"))
register(OptimizerSpec(
    "nesterov", "Nesterov momentum", 1e-3, (_MOMENTUM,), ("momentum_buffer",), nesterov_update,
    _nesterov_inplace, reference="torch.optim.SGD(momentum=μ, nesterov=True)"))
register(OptimizerSpec(
    "adagrad", "Adagrad", 1e-2, (_eps(1e-10),), ("sum",),
    adagrad_update, _adagrad_inplace, reference="torch.optim.Adagrad"))
register(OptimizerSpec(
    "rmsprop", "RMSprop", 1e-2,
    (HyperParam("alpha", 0.99, 0.0, 1.0, False, "alpha"), _eps(1e-8)),
    ("square_avg",), rmsprop_update, _rmsprop_inplace, reference="torch.optim.RMSprop"))
register(OptimizerSpec(
    "adam", "Adam", 1e-3,
    (HyperParam("beta1", 0.9, 0.0, 1.0, True, "beta parameter 1"),
     HyperParam("beta2", 0.999, 0.0, 1.0, True, "beta parameter 2"),
     _eps(1e-8)),
    ("exp_avg", "exp_avg_sq"), adam_update, _adam_inplace, factors=adam_factors,
    reference="torch.optim.Adam"))


# -- Newton's method: descent in the metric of the Hessian ---------------------------------
#: eigenvalue magnitudes of H below this fraction of (1 + the largest) are raised to it, so a
#: flat direction never divides by zero
NEWTON_EIG_FLOOR = 1e-8


def _newton_inplace(objective, p, g, buf, out, lr, _, damping):
    """p ← p − lr·(H + λI)⁻¹·g        (Newton's method, damped by λ; H the exact Hessian at p)

    When H is not positive definite, H is replaced by |H| = Q·diag(|μᵢ|)·Qᵀ (its eigenvalues μᵢ
    made positive; Dauphin et al., 2014, "saddle-free Newton"), with each |μᵢ| raised to at
    least NEWTON_EIG_FLOOR·(1 + max|μ|):  p ← p − lr·(|H| + λI)⁻¹·g. Where H is positive
    definite this is exactly the damped Newton step; elsewhere it is still a descent direction,
    and it moves away from saddles and maxima instead of being drawn to them as the plain
    Newton step is. An objective without a Hessian gives a non-finite step (the run diverges)."""
    try:
        H = np.asarray(objective.hess(np.ascontiguousarray(p.T)), float)
    except NotImplementedError:
        H = np.full((p.shape[1], p.shape[0], p.shape[0]), np.nan)
    finite = np.isfinite(H).all(axis=(1, 2))
    H = np.where(finite[:, None, None], H, 0.0)
    mu, Q = np.linalg.eigh((H + np.swapaxes(H, 1, 2)) / 2)
    mag = np.abs(mu)
    scale = np.maximum(mag, NEWTON_EIG_FLOOR * (1 + mag.max(axis=1, keepdims=True)))
    scale += np.reshape(damping, (-1, 1))
    step = np.einsum("ndk,nk->dn", Q, np.einsum("ndk,dn->nk", Q, g) / scale)
    step[:, ~finite] = np.nan
    np.multiply(step, -lr, out=buf)
    return np.add(p, buf, out=out)


register(OptimizerSpec(
    "newton", "Newton's method", 1.0, (HyperParam("damping", 0.0, 0.0, np.inf, True, "damping λ"),), (),
    None, _newton_inplace, uses_objective=True,
    reference="damped Newton with the saddle-free rule for indefinite H (Dauphin et al., 2014)"))

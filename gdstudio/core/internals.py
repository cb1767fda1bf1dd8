"""Inside the optimizer: what an optimizer carries from step to step, for one run.

For the selected run the window draws these at the run's current point and the point
inspector lists them. Every number is the optimizer's own: the next step is computed by
applying the optimizer's update rule (the same function the scalar path and the fused kernel
run) to copies of the run's position, gradient and state, so what is drawn is exactly what
the next step will do.

What is reported (``Carried.key``):

* ``neg_grad``      −∇f at the point (every optimizer).
* ``step``          the next step, p_next − p (every optimizer; for Newton's method the
  Newton step, to set beside −∇f).
* ``carried``       momentum and Nesterov: the part of the next step the momentum buffer
  contributes. torch's momentum steps by −lr·(μ·b + g), so the step is −lr·g plus
  −lr·μ·b; Nesterov steps by −lr·(g + μ·(μ·b + g)), whose buffer part is −lr·μ²·b.
* ``velocity``      momentum and Nesterov: the buffer b itself (gradient units).
* ``effective_lr``  AdaGrad, RMSprop and Adam: the per-coordinate step size the next step
  uses, lr/(√s + ε) (AdaGrad, s the running sum of g² including this step's),
  lr/(√v + ε) (RMSprop, v the running average), lr/(√v̂ + ε) (Adam).
* ``sum_sq`` / ``square_avg``  AdaGrad's s and RMSprop's v after this step's gradient.
* ``m_hat`` / ``v_hat``  Adam's bias-corrected moments m/(1−β₁ᵗ) and v/(1−β₂ᵗ) for the next
  step t; the step is −lr·m̂/(√v̂ + ε).

``draw`` says how a view shows it: ``arrow`` (a displacement in parameter units, drawn from
the point), ``direction`` (a vector in gradient units, drawn normalised) or ``bars`` (one
non-negative number per coordinate); ``components`` is listed, not drawn. ``axes`` (None: the problem's own axes) gives, for
bars in other coordinates, the unit vector in x, y along which each component lies.

**Polar runs** (core/coordinates.py) step on (r, θ). What they carry is reported in x, y at
the run's point, so it is drawn on the same map as a Cartesian run's: −∇f is the true
Cartesian −∇f (for the naive gradient the next step visibly leaves it); the next step is the
exact displacement from (r, θ) to (r, θ) + Δ, in x and y; vectors the optimizer keeps in
(r, θ) components (momentum's velocity and its part of the step, Adam's m̂) are mapped by the
chart's Jacobian J = [[cos θ, −r·sin θ], [sin θ, r·cos θ]] (a tangent vector (v_r, v_θ) is the
displacement v_r·r̂ + r·v_θ·θ̂). Per-coordinate quantities (step sizes, s, v, v̂) stay in
(r, θ) components, labelled so, with ``axes`` (r̂, θ̂); ``polar_grad`` lists the vector the
optimizer steps against, (∂F/∂r, ∂F/∂θ) (naive) or G⁻¹·∂F (metric), in (r, θ).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class Carried:
    key: str
    label: str
    value: np.ndarray  # (d,)
    draw: str  # "arrow" | "direction" | "bars" | "components"
    axes: Optional[np.ndarray] = None  # (d, 2): each component's unit vector in x, y (None: x, y)


def _next_update(optimizer, p, g, state, lr, t, objective=None):
    """(new p (d,), new state [(d,)...]) of the update rule applied to copies, coordinate by
    coordinate, with the factors of update number ``t`` (1-based). A rule that needs the
    objective (Newton's Hessian) runs its numpy form on one column."""
    hyper = optimizer.hyper_values
    if optimizer.record.uses_objective:
        if objective is None:
            raise ValueError(f"{optimizer.name} needs the objective to say what its next step is")
        cols = [np.array(v, float).reshape(-1, 1) for v in (p, g, *state)]
        a, b = optimizer.factors(t, float(lr), *hyper)
        out = optimizer.inplace_update(objective, *cols, np.empty_like(cols[0]), np.empty_like(cols[0]),
                                       a, b, *hyper)
        return out[:, 0].copy(), [c[:, 0] for c in cols[2:]]
    d = len(p)
    new_p = np.empty(d)
    new_state = [np.empty(d) for _ in state]
    for i in range(d):
        h = tuple(float(np.asarray(v).flat[0]) if np.ndim(v) == 0 else float(v) for v in hyper)
        a, b = optimizer.float_factors(t, float(lr), *h)
        out = optimizer.float_update(float(p[i]), float(g[i]), *(float(s[i]) for s in state), a, b, *h)
        new_p[i] = out[0]
        for k in range(len(state)):
            new_state[k][i] = out[k + 1]
    return new_p, new_state


def optimizer_internals(optimizer, p, g, state, lr: float, t: int, objective=None) -> list[Carried]:
    """What ``optimizer`` (a validated :class:`~gdstudio.core.optimizers.Optimizer` whose
    hyper-parameters are scalars) carries at the point ``p`` with gradient ``g`` and state
    buffers ``state`` (one (d,) array per name in ``optimizer.state_names``), for the next
    update, number ``t`` (1-based), at learning rate ``lr``. Newton's method needs the
    ``objective`` (its Hessian); its step is the Newton step (|H| + λI)⁻¹·g scaled by lr."""
    p = np.asarray(p, float)
    g = np.asarray(g, float)
    state = [np.asarray(s, float) for s in state]
    name = optimizer.name
    hyper = dict(optimizer.hyper)
    new_p, new_state = _next_update(optimizer, p, g, state, lr, t, objective)
    out = [Carried("neg_grad", "−∇f", -g, "direction"), Carried("step", "next step", new_p - p, "arrow")]
    if name in ("momentum", "nesterov"):
        mu = float(hyper["momentum"])
        b = state[0]
        share = mu if name == "momentum" else mu * mu
        out.append(Carried("carried", "momentum's part of the step", -lr * share * b, "arrow"))
        out.append(Carried("velocity", "velocity (momentum buffer b)", b.copy(), "direction"))
    elif name == "adagrad":
        s = new_state[0]
        out.append(Carried("effective_lr", "step size lr/(√s + ε)", lr / (np.sqrt(s) + float(hyper["eps"])), "bars"))
        out.append(Carried("sum_sq", "sum of squared gradients s", s, "bars"))
    elif name == "rmsprop":
        v = new_state[0]
        out.append(Carried("effective_lr", "step size lr/(√v + ε)", lr / (np.sqrt(v) + float(hyper["eps"])), "bars"))
        out.append(Carried("square_avg", "average squared gradient v", v, "bars"))
    elif name == "adam":
        b1, b2, eps = float(hyper["beta1"]), float(hyper["beta2"]), float(hyper["eps"])
        m, v = new_state
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        out.append(Carried("effective_lr", "step size lr/(√v̂ + ε)", lr / (np.sqrt(v_hat) + eps), "bars"))
        out.append(Carried("m_hat", "first moment m̂ (bias-corrected)", m_hat, "direction"))
        out.append(Carried("v_hat", "second moment v̂ (bias-corrected)", v_hat, "bars"))
    return out


def run_internals(batch, run: int) -> list[Carried]:
    """:func:`optimizer_internals` for run ``run`` of a
    :class:`~gdstudio.core.runner.BatchDescent`, at its current point and state; for a
    :class:`~gdstudio.core.coordinates.PolarDescent`, mapped to x, y (module docstring)."""
    if hasattr(batch, "part_of"):  # coordinate systems side by side: the run's own batch
        part, j = batch.part_of(run)
        return run_internals(part, j)
    if getattr(batch, "coordinates", "cartesian") == "polar":
        run = int(run)
        inner = _batch_internals(batch.inner, run)
        return polar_internals(inner, batch.coords[run], batch.grads[run], batch.gradient)
    return _batch_internals(batch, run)


def _polar_step(q, dq) -> np.ndarray:
    """The exact x, y displacement of moving (r, θ) = ``q`` by ``dq``."""
    r, t = float(q[0]), float(q[1])
    r2, t2 = r + float(dq[0]), t + float(dq[1])
    return np.array([r2 * np.cos(t2) - r * np.cos(t), r2 * np.sin(t2) - r * np.sin(t)])


def polar_internals(carried: list[Carried], q, grad_xy, gradient: str = "metric") -> list[Carried]:
    """A polar run's internals (``carried``, in (r, θ) components, at (r, θ) = ``q``, where
    the Cartesian gradient is ``grad_xy``) as a view draws them in x, y (module docstring)."""
    r, t = float(q[0]), float(q[1])
    c, s = np.cos(t), np.sin(t)
    J = np.array([[c, -r * s], [s, r * c]])
    axes = np.array([[c, s], [-s, c]])
    what = "(∂F/∂r, ∂F/∂θ), the naive gradient" if gradient == "naive" else "G⁻¹·∂F, the metric gradient"
    out = []
    for k in carried:
        v = np.asarray(k.value, float)
        if k.key == "neg_grad":
            out.append(Carried("neg_grad", "−∇f", -np.asarray(grad_xy, float), "direction"))
            out.append(Carried("polar_grad", f"{what}, in (r, θ)", -v, "components"))
        elif k.key == "step":
            out.append(replace(k, value=_polar_step(q, v)))
        elif k.draw == "bars":
            out.append(replace(k, label=f"{k.label}, in (r, θ)", axes=axes))
        else:  # a vector in (r, θ) components: the displacement it stands for, in x, y
            out.append(replace(k, label=f"{k.label}, in x, y", value=J @ v))
    return out


def _batch_internals(batch, run: int) -> list[Carried]:
    run = int(run)
    if not 0 <= run < batch.n_runs:
        raise IndexError(f"there is no run {run}; the batch has {batch.n_runs}")
    for group in batch.groups:
        if group.index is None:
            j = run
        else:
            hits = np.flatnonzero(group.index == run)
            if hits.size == 0:
                continue
            j = int(hits[0])
        opt = group.optimizer
        if any(np.ndim(v) for _, v in opt.hyper):  # per-run hyper-parameters: take this run's
            from .optimizers import make_optimizer

            opt = make_optimizer(opt.name, **{k: (np.ravel(v)[j] if np.ndim(v) else v) for k, v in opt.hyper})
        lr = batch.schedule.lr_at(group.lr, batch.step)
        lr = float(np.ravel(lr)[j]) if np.ndim(lr) else float(lr)
        state = [s[:, j] for s in group.state]
        return optimizer_internals(opt, batch.X[:, run], batch.G[:, run], state, lr, batch.step + 1,
                                   batch.objective)
    raise IndexError(f"run {run} belongs to no optimizer group")

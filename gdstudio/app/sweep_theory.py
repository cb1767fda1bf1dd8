"""What theory says a sweep should find on a quadratic f(x) = ½(x − x*)ᵀH(x − x*).

Along each eigenvector of H (eigenvalue λ, h = lr·λ) the error of the optimizers with a
fixed-step linear update obeys a two-term recurrence; its characteristic roots z₁, z₂ give the
convergence rate max|z| (the per-step factor by which the error, and ‖∇f‖ = ‖H(x − x*)‖,
shrink in the long run), after Goh, "Why Momentum Really Works", Distill (2017):

* ``gd``        z = 1 − h                                       converges for 0 < h < 2
* ``momentum``  z² − (1 + μ − h)·z + μ = 0  (heavy ball; PyTorch's b ← μb + g, p ← p − lr·b
  is the same iteration)                                       converges for 0 < h < 2 + 2μ
* ``nesterov``  z² − (1 + μ − h(1 + μ))·z + μ(1 − h) = 0  (PyTorch's p ← p − lr(g + μb))
                                                                converges for 0 < h < 2(1 + μ)/(1 + 2μ)

The rate of the whole problem is the worst over H's eigenvalues; the boundary of convergence in
the (lr, μ) plane is lr = limit(μ)/λmax. Adaptive optimizers (adagrad, rmsprop, adam) are not
linear iterations and have no such closed form.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

__all__ = ["THEORY_OPTIMIZERS", "constant_hessian_eigenvalues", "quadratic_rate", "stable_lr_limit"]

THEORY_OPTIMIZERS = ("gd", "momentum", "nesterov")


def _coefficients(optimizer: str, h, mu):
    """(b, c) of z² − b·z + c = 0 for each h = lr·λ and momentum μ (broadcast)."""
    if optimizer == "gd":
        return 1 - h, np.zeros_like(h)
    if optimizer == "momentum":
        return 1 + mu - h, mu + np.zeros_like(h)
    if optimizer == "nesterov":
        return 1 + mu - h * (1 + mu), mu * (1 - h)
    raise ValueError(f"no closed-form rate for {optimizer!r}; theory covers {', '.join(THEORY_OPTIMIZERS)}")


def quadratic_rate(optimizer: str, lr, eigenvalues, momentum=0.0) -> np.ndarray:
    """The asymptotic rate max over eigenvalues of max|z| (broadcast over ``lr`` and
    ``momentum``); ≥ 1 means the iteration does not converge."""
    lr = np.asarray(lr, float)
    mu = np.asarray(momentum, float)
    lam = np.asarray(eigenvalues, float).ravel()
    shape = np.broadcast(lr, mu).shape
    out = np.zeros(shape)
    for la in lam:
        h = np.broadcast_to(lr * la, shape)
        m = np.broadcast_to(mu, shape)
        b, c = _coefficients(optimizer, h, m)
        if optimizer == "gd":
            r = np.abs(b)
        else:
            disc = b.astype(complex) ** 2 - 4 * c
            sq = np.sqrt(disc)
            r = np.maximum(np.abs((b + sq) / 2), np.abs((b - sq) / 2))
        out = np.maximum(out, r)
    return out


def stable_lr_limit(optimizer: str, lam_max: float, momentum=0.0):
    """The largest learning rate that still converges (exclusive): limit(μ)/λmax."""
    mu = np.asarray(momentum, float)
    if optimizer == "gd":
        k = 2.0 + 0 * mu
    elif optimizer == "momentum":
        k = 2.0 * (1 + mu)
    elif optimizer == "nesterov":
        k = 2.0 * (1 + mu) / (1 + 2 * mu)
    else:
        raise ValueError(f"no closed-form limit for {optimizer!r}")
    return k / float(lam_max)


def constant_hessian_eigenvalues(objective, rtol: float = 1e-9) -> Optional[np.ndarray]:
    """H's eigenvalues when the objective is a quadratic (its exact Hessian is the same at a
    few spread points of the domain) with H positive definite; otherwise None."""
    try:
        dom = objective.domain()
        lo = np.array([a for a, _ in dom], float)
        hi = np.array([b for _, b in dom], float)
        P = np.stack([lo + f * (hi - lo) for f in (0.5, 0.13, 0.71, 0.94)])
        with np.errstate(all="ignore"):
            H = np.asarray(objective.hess(P), float)
    except (NotImplementedError, AttributeError, ValueError):
        return None
    if not np.all(np.isfinite(H)):
        return None
    scale = max(1e-300, float(np.abs(H[0]).max()))
    if np.abs(H - H[0]).max() > rtol * scale:
        return None
    lam = np.linalg.eigvalsh((H[0] + H[0].T) / 2)
    return lam if lam.min() > 0 else None

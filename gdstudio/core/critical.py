"""What a run found: the kind of its end point and the distinct critical points of a batch.

An end point is classified from the eigenvalues λ of the exact Hessian there:

* ``minimum``     all λ > ζ            * ``maximum``   all λ < −ζ
* ``saddle``      some λ > ζ and some λ < −ζ
* ``degenerate``  otherwise (a zero eigenvalue: a flat direction, e.g. the monkey saddle)

The zero threshold ζ = max(1e-9·(1 + max|λ|), 10·√‖∇f‖) grows with the remaining gradient,
because gradient descent stops *near* a critical point: close to a degenerate point such as
x³ − 3xy² the Hessian's eigenvalues shrink like √‖∇f‖, so a fixed threshold would call the
stopping point a saddle. Objectives without a Hessian (large networks) give ``unknown``.

Which end points count as critical points is one rule, :func:`critical_candidates`, used by
``descend()``, the command line and the studio alike: a run that converged, or a run that ran
out of steps already sitting on one (gradient norm ≤ ``CRITICAL_GRAD``). A run that diverged
or is still running is never a critical point. :func:`end_point_kinds` names what each run
found, with ``none`` for a run that stopped away from any critical point.

Honest labels. ``best`` marks the lowest minimum found, and every other minimum whose value
agrees with it to the function's rounding (:func:`values_agree`): Himmelblau's four minima
reached by four runs are four equals, not one winner picked by rounding noise. ``best`` says
nothing about the function: for a preset, ``global_minimum`` says whether the point is one of
the preset's known global minima (True/False), so the lowest minimum a batch happened to find
is never passed off as the global one. For other functions it is None (not known).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .objective import Objective
from .status import CONVERGED, DIVERGED, MAX_STEPS

KINDS = ("minimum", "maximum", "saddle", "degenerate")

#: a run that ran out of steps counts as sitting on a critical point below this gradient norm
CRITICAL_GRAD = 1e-5

#: a run that stopped without converging is given the Hessian's kind only below this
#: gradient norm; above it the run stopped away from any critical point (kind ``none``)
NOT_CRITICAL_GRAD = 1e-3


def gradient_norms(G) -> np.ndarray:
    """(N,) Euclidean norms of the rows of ``G``. A gradient beyond about 1e154 overflows
    its squares: its norm is then inf, which every rule here reads rightly as "far from
    critical", without numpy's overflow warning on the console."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.linalg.norm(np.asarray(G, float), axis=1)


def critical_candidates(status, grad_norms) -> np.ndarray:
    """(N,) bool: the runs whose end points are critical points (see the module docstring).
    ``status`` holds status codes (status.py), ``grad_norms`` the gradient norms there."""
    status = np.asarray(status)
    with np.errstate(invalid="ignore"):
        resting = (status == MAX_STEPS) & (np.asarray(grad_norms, float) <= CRITICAL_GRAD)
    return (status == CONVERGED) | resting


def end_point_kinds(hessian_kinds, status, grad_norms) -> list[str]:
    """The kind each run found: the Hessian's kind (see :func:`classify_hessians`), or
    ``none`` when the run diverged, or ran out of steps while the gradient was still large
    (the Hessian there says nothing about a kind)."""
    status = np.asarray(status)
    with np.errstate(invalid="ignore"):
        away = (status == DIVERGED) | ((status != CONVERGED) & (np.asarray(grad_norms, float) > NOT_CRITICAL_GRAD))
    kinds = np.array(hessian_kinds, dtype=object)
    kinds[away] = "none"
    return kinds.tolist()


#: kind names indexed by the codes classify_hessians computes (KINDS, then "unknown")
_KIND_NAMES = np.array(KINDS + ("unknown",), dtype=object)


def classify_hessians(H: np.ndarray, grad_norms: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Kinds and eigenvalues (ascending) for Hessians of shape (N, d, d).

    One ``eigvalsh`` over the stacked symmetric parts and array comparisons: no loop over
    the runs (10,000 end points take about a millisecond)."""
    H = np.asarray(H, float)
    n, d = H.shape[0], H.shape[1]
    eig = np.full((n, d), np.nan)
    finite = np.isfinite(H).all(axis=(1, 2))
    if finite.any():
        Hf = H[finite]
        eig[finite] = np.linalg.eigvalsh((Hf + np.swapaxes(Hf, 1, 2)) / 2)
    gn = np.zeros(n) if grad_norms is None else np.nan_to_num(np.asarray(grad_norms, float), nan=np.inf)
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.abs(eig).max(axis=1) if d else np.zeros(n)
        zeta = np.maximum(1e-9 * (1 + scale), 10 * np.sqrt(gn))[:, None]
        pos, neg = eig > zeta, eig < -zeta
    code = np.full(n, 3)  # degenerate: some eigenvalue within ζ of zero
    code[pos.any(axis=1) & neg.any(axis=1)] = 2
    code[neg.all(axis=1)] = 1
    code[pos.all(axis=1)] = 0
    code[~finite] = 4
    return _KIND_NAMES[code].tolist(), eig


def hessians(objective: Objective, P: np.ndarray) -> np.ndarray | None:
    try:
        return np.asarray(objective.hess(P), float)
    except NotImplementedError:
        return None


def classify_points(objective: Objective, P: np.ndarray, grads: np.ndarray | None = None) -> list[str]:
    """Kind of each point of P (N, d); ``unknown`` where the Hessian is unavailable or
    not finite."""
    P = np.atleast_2d(np.asarray(P, float))
    if P.shape[0] == 0:
        return []
    with np.errstate(all="ignore"):
        G = objective.grad(P) if grads is None else np.asarray(grads, float)
        H = hessians(objective, P)
    if H is None:
        return ["unknown"] * P.shape[0]
    return classify_hessians(H, gradient_norms(G))[0]


@dataclass
class CriticalPoint:
    point: tuple[float, ...]
    value: float
    kind: str
    runs: list[int] = field(default_factory=list)
    best: bool = False
    eigenvalues: tuple[float, ...] = ()
    #: True/False: one of the preset's known global minima or not; None: not known
    global_minimum: bool | None = None

    def to_dict(self) -> dict:
        return {
            "point": list(self.point),
            "value": self.value,
            "kind": self.kind,
            "runs": list(self.runs),
            "count": len(self.runs),
            "best": self.best,
            "global": self.global_minimum,
            "eigenvalues": list(self.eigenvalues),
        }


#: relative agreement of two values that counts as equal: a few hundred rounding errors of
#: the terms that make up f (double precision carries 16 digits; typical formulas lose 2–3)
VALUE_RTOL = 1e-9


def values_agree(a: float, b: float, slack: float = 0.0) -> bool:
    """Whether two critical values are equal to the function's rounding: within
    VALUE_RTOL·(1 + max(|a|, |b|)), plus ``slack`` for how far the end points may still lie
    above the exact critical values (see :func:`mark_best`)."""
    return abs(a - b) <= VALUE_RTOL * (1 + max(abs(a), abs(b))) + slack


def mark_best(points: list["CriticalPoint"], grad_norms=None) -> None:
    """Set ``best`` on the lowest minimum and on every minimum whose value agrees with it.

    A run stops where ‖∇f‖ ≤ tol, not on the exact point; near a minimum with smallest
    Hessian eigenvalue λ its value lies at most ‖∇f‖²/(2λ) above the exact one, so that much
    slack is allowed on top of rounding."""
    minima = [(i, c) for i, c in enumerate(points) if c.kind == "minimum"]
    for _, c in minima:
        c.best = False
    if not minima:
        return
    lowest = min(c.value for _, c in minima)

    def slack(i, c):
        if grad_norms is None or not c.eigenvalues:
            return 0.0
        lam = min(c.eigenvalues)
        g = float(grad_norms[i])
        return g * g / (2 * lam) if lam > 0 and np.isfinite(g) else 0.0

    for i, c in minima:
        c.best = values_agree(c.value, lowest, slack(i, c))


def mark_global(points: list["CriticalPoint"], objective: Objective, tolerance: float | None = None) -> None:
    """For a preset, set ``global_minimum`` on each point: whether it lies within
    ``tolerance`` (default: 1 % of the domain's diagonal) of one of the preset's known global
    minima. Other objectives leave it None."""
    preset = objective.preset
    if preset is None:
        return
    known = np.array([(k.x, k.y) for k in preset.global_minima], float).reshape(-1, 2)
    if tolerance is None:
        tolerance = 10 * merge_distance_for(preset.domain)
    for c in points:
        near = known.size and np.linalg.norm(known - np.asarray(c.point[:2]), axis=1).min() <= tolerance
        c.global_minimum = bool(c.kind == "minimum" and near)


def merge_distance_for(domain) -> float:
    """End points closer than this are the same critical point: 1e-3 of the domain's
    diagonal (runs stop within about tol/λ of the exact point, far below this)."""
    span = np.array([hi - lo for lo, hi in domain], float)
    return 1e-3 * float(np.linalg.norm(span)) if span.size else 1e-6


def _greedy_groups(Q: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Group the points Q (already in order of value, lowest first) the way a greedy pass
    would: each point joins the nearest earlier representative within ``radius``, or
    becomes a representative itself. Returns the representatives (indices into Q) and the
    group of every point (an index into the representatives).

    Vectorised in two passes with the same result. The representatives are the points no
    earlier representative is within ``radius`` of: taking the first unassigned point and
    marking every point within ``radius`` of it as assigned, repeatedly, finds exactly
    those (one array operation per representative, over the points still unassigned). Then
    each point joins its nearest representative among those that come before it."""
    n = Q.shape[0]
    taken = np.zeros(n, bool)
    reps: list[int] = []
    r2 = radius * radius
    while True:
        free = np.flatnonzero(~taken)
        if free.size == 0:
            break
        r = int(free[0])
        reps.append(r)
        diff = Q[free] - Q[r]
        taken[free[np.einsum("ij,ij->i", diff, diff) <= r2]] = True
        taken[r] = True
    R = np.asarray(reps)
    owner = np.empty(n, int)
    owner[R] = np.arange(R.size)
    rest = np.setdiff1d(np.arange(n), R, assume_unique=True)
    block = max(1, 4_000_000 // max(R.size, 1))  # bounds the distance matrix held at once
    for b0 in range(0, rest.size, block):
        rows = rest[b0:b0 + block]
        D = ((Q[rows, None, :] - Q[None, R, :]) ** 2).sum(axis=2)
        D[R[None, :] > rows[:, None]] = np.inf  # only representatives that came before
        owner[rows] = np.argmin(D, axis=1)
    return R, owner


def group_critical_points(
    objective: Objective,
    P: np.ndarray,
    ok: np.ndarray | None = None,
    values: np.ndarray | None = None,
    merge_distance: float | None = None,
) -> list[CriticalPoint]:
    """Group the end points ``P[ok]`` that reached the same critical point.

    Returns the groups sorted by value (lowest first); the lowest minimum and its equals are
    marked ``best`` (:func:`mark_best`), and for a preset each point says whether it is a
    known global minimum (:func:`mark_global`). Each group's representative is its
    lowest-valued member.
    """
    P = np.atleast_2d(np.asarray(P, float))
    n = P.shape[0]
    ok = np.ones(n, bool) if ok is None else np.asarray(ok, bool)
    with np.errstate(all="ignore"):
        f = objective.value(P) if values is None else np.asarray(values, float)
    ok = ok & np.isfinite(f) & np.isfinite(P).all(axis=1)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return []
    if merge_distance is None:
        merge_distance = merge_distance_for(objective.domain())
    order = idx[np.argsort(f[idx], kind="stable")]
    rep_q, owner = _greedy_groups(P[order], merge_distance)
    reps = order[rep_q].tolist()
    # each group's runs in ascending order: sort by (group, run), then split at group ends
    by_group = np.lexsort((order, owner))
    ends = np.cumsum(np.bincount(owner, minlength=rep_q.size))[:-1]
    members = [m.tolist() for m in np.split(order[by_group], ends)]
    rep_points = P[reps]
    with np.errstate(all="ignore"):
        G = objective.grad(rep_points)
        H = hessians(objective, rep_points)
    if H is None:
        kinds, eig = ["unknown"] * len(reps), np.full(rep_points.shape, np.nan)
    else:
        kinds, eig = classify_hessians(H, gradient_norms(G))
    points = [
        CriticalPoint(
            tuple(float(v) for v in P[r]),
            float(f[r]),
            kinds[k],
            members[k],
            False,
            tuple(float(v) for v in eig[k]),
        )
        for k, r in enumerate(reps)
    ]
    mark_best(points, gradient_norms(G))
    mark_global(points, objective)
    return points

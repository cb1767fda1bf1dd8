"""2-D views of a high-dimensional loss: slices, planes, PCA and random directions, grids.

A network's loss lives in d dimensions (hundreds of weights); the contour and surface views
show two. Two kinds of 2-D objective, both full :class:`~gdstudio.core.objective.Objective`
objects (so one can also *descend* on them) with exact derivatives:

* :class:`SliceObjective`: two chosen weights i, j vary, the others stay frozen at a base θ.
* :class:`PlaneObjective`: f(origin + α·d1 + β·d2) for two directions; its gradient is
  (d1·∇f, d2·∇f) and its Hessian [d1 d2]ᵀ·H·[d1 d2] (chain rule, exact).

The plane's directions come from:

* :func:`pca_directions`: the two principal directions of a trajectory's displacements from
  its end point, as in Li, Xu, Taylor, Studer & Goldstein (2018), "Visualizing the Loss
  Landscape of Neural Nets", NeurIPS: the plane through the final weights that best contains
  the path; :func:`project` gives the path's coordinates in it.
* :func:`random_directions`: two Gaussian directions, filter-normalised (each neuron's
  incoming weights rescaled to the norm of that neuron's weights in θ), the same paper's remedy
  for the scale invariance of networks.

:func:`compute_landscape` evaluates an objective on a grid in row blocks (each block one
vectorised batch of runs), with progress reports and cancellation for the worker thread.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import numpy as np

from ..objective import Domain, Objective
from ..tuning import apply_engine_tuning

__all__ = [
    "PlaneObjective",
    "SliceObjective",
    "compute_landscape",
    "pca_directions",
    "project",
    "random_directions",
]


def _full_value_fn(full: Objective):
    fv = getattr(full, "full_value", None)
    return fv if callable(fv) else full.value


def _second_derivatives(full: Objective, P: np.ndarray, D: np.ndarray) -> np.ndarray:
    """D·H(P)·Dᵀ (N, k, k) for directions D (k, d): the objective's exact directional
    Hessian when it has one, else its full Hessian."""
    dh = getattr(full, "directional_hessian", None)
    if callable(dh):
        return np.asarray(dh(P, D), float)
    H = np.asarray(full.hess(P), float)
    return np.einsum("kd,nde,le->nkl", D, H, D)


class _TwoD(Objective):
    """Shared plumbing of the 2-D views: subclasses define ``embed`` (N, 2) -> (N, d) and
    ``_D`` (2, d), the directions of the two coordinates in θ-space."""

    full: Objective
    _D: np.ndarray
    _o: np.ndarray  # embed(P2) = _o + P2 @ _D, exactly (for a slice, the base with θi = θj = 0)

    def _link_full(self, full: Objective) -> None:
        self.full = full
        on_step = getattr(full, "on_step", None)
        if callable(on_step):
            self.on_step = on_step            # mini-batches of the full objective
        mbr = getattr(full, "max_batch_runs", None)
        if mbr is not None:
            self.max_batch_runs = mbr

    def embed(self, P2: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def value_and_grad_T(self, X: np.ndarray):
        P = self.embed(np.asarray(X, float).T)
        f, G = self.full.value_and_grad(P)
        return np.asarray(f, float), np.ascontiguousarray(self._D @ np.asarray(G, float).T)

    def value(self, P2: np.ndarray) -> np.ndarray:
        return np.asarray(self.full.value(self.embed(P2)), float)

    def full_value(self, P2: np.ndarray) -> np.ndarray:
        """The full-data value (mini-batch objectives), used by landscapes. A full objective
        with ``_plane_full_value(origin, D, P2)`` (a network: a compiled kernel, equal to
        rounding) evaluates the plane itself; when it returns None, or for any other
        objective, the points are embedded and passed to its ``full_value``."""
        plane = getattr(self.full, "_plane_full_value", None)
        if callable(plane):
            Z = plane(self._o, self._D, P2)
            if Z is not None:
                return np.asarray(Z, float)
        return np.asarray(_full_value_fn(self.full)(self.embed(P2)), float)

    def hess(self, P2: np.ndarray) -> np.ndarray:
        P = self.embed(P2)
        return _second_derivatives(self.full, P, self._D)


class SliceObjective(_TwoD):
    """f(θ) with only θ[i] and θ[j] free; the other coordinates frozen at ``base_theta``.

    ``i``/``j`` are indices or parameter names. Names are the two weights' names; the default
    domain is centred on the base values with half-width max(1, 1.5·|θ|)."""

    def __init__(self, full: Objective, base_theta, i: Union[int, str], j: Union[int, str],
                 domain: Optional[Domain] = None):
        base = np.asarray(base_theta, float).ravel()
        d = full.dim
        if base.size != d:
            raise ValueError(f"the base point has {base.size} values but the objective has {d} parameters")
        self.i, self.j = self._index(full, i), self._index(full, j)
        if self.i == self.j:
            raise ValueError("choose two different parameters for a slice")
        self._link_full(full)
        self.base = base.copy()
        self._o = base.copy()
        self._o[[self.i, self.j]] = 0.0
        self._D = np.zeros((2, d))
        self._D[0, self.i] = 1.0
        self._D[1, self.j] = 1.0
        self.names = (full.names[self.i], full.names[self.j])
        self.label = f"{full.label or 'loss'}, slice over {self.names[0]} and {self.names[1]}"
        self.source = f"{full.source}; slice {self.names[0]}, {self.names[1]}"
        if domain is None:
            c = base[[self.i, self.j]]
            h = np.maximum(1.0, 1.5 * np.abs(c))
            domain = tuple((float(a - w), float(a + w)) for a, w in zip(c, h))
        self.default_domain = tuple(domain)

    @staticmethod
    def _index(full: Objective, k) -> int:
        if isinstance(k, str):
            if k not in full.names:
                raise ValueError(f"no parameter named '{k}'")
            return full.names.index(k)
        k = int(k)
        if not 0 <= k < full.dim:
            raise ValueError(f"parameter index {k} is out of range 0..{full.dim - 1}")
        return k

    def embed(self, P2: np.ndarray) -> np.ndarray:
        P2 = np.atleast_2d(np.asarray(P2, float))
        P = np.tile(self.base, (P2.shape[0], 1))
        P[:, self.i] = P2[:, 0]
        P[:, self.j] = P2[:, 1]
        return P

    def hess(self, P2: np.ndarray) -> np.ndarray:
        P = self.embed(P2)
        if callable(getattr(self.full, "directional_hessian", None)):
            return _second_derivatives(self.full, P, self._D)
        idx = [self.i, self.j]
        return np.asarray(self.full.hess(P), float)[:, idx][:, :, idx]


class PlaneObjective(_TwoD):
    """f(origin + α·d1 + β·d2): a plane through ``origin`` spanned by d1 and d2.

    Gradient (d1·∇f, d2·∇f) and Hessian [d1 d2]ᵀ H [d1 d2], exact (via the full objective's
    ``directional_hessian`` when it has one). Default domain (−1, 1)² unless given."""

    def __init__(self, full: Objective, origin, d1, d2, names: Sequence[str] = ("α", "β"),
                 domain: Optional[Domain] = None):
        d = full.dim
        o = np.asarray(origin, float).ravel()
        D = np.vstack([np.asarray(d1, float).ravel(), np.asarray(d2, float).ravel()])
        if o.size != d or D.shape[1] != d:
            raise ValueError(f"the origin and both directions need {d} values each")
        if not (np.isfinite(o).all() and np.isfinite(D).all()):
            raise ValueError("the origin and directions must be finite")
        self._link_full(full)
        self.origin = o.copy()
        self._o = self.origin
        self._D = D
        self.names = tuple(names)
        if len(self.names) != 2:
            raise ValueError("a plane has two coordinate names")
        self.label = f"{full.label or 'loss'} on a plane"
        self.source = f"{full.source}; plane"
        self.default_domain = tuple(domain) if domain is not None else ((-1.0, 1.0), (-1.0, 1.0))

    @property
    def d1(self) -> np.ndarray:
        return self._D[0]

    @property
    def d2(self) -> np.ndarray:
        return self._D[1]

    def embed(self, P2: np.ndarray) -> np.ndarray:
        P2 = np.atleast_2d(np.asarray(P2, float))
        return self.origin[None, :] + P2 @ self._D

    def coordinates(self, thetas: np.ndarray) -> np.ndarray:
        """Least-squares (α, β) of points θ (T, d) in this plane: see :func:`project`."""
        return project(thetas, self.origin, self._D[0], self._D[1])


# -- directions ---------------------------------------------------------------------------
def pca_directions(trajectory: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two principal directions of a trajectory (T, d), after Li et al. (2018).

    The displacements θ_t − θ_final are decomposed by SVD (not re-centred, so the plane passes
    through the final point, which is the origin of the view). Returns unit vectors d1, d2
    and ``explained`` (2,): each direction's share of Σ‖θ_t − θ_final‖², in [0, 1]. A
    trajectory with fewer than two independent displacements gets a deterministic
    orthogonal completion with explained share 0. Signs are fixed so each direction's
    largest component is positive."""
    T = np.atleast_2d(np.asarray(trajectory, float))
    if T.ndim != 2 or T.shape[0] < 1:
        raise ValueError("the trajectory must be a (T, d) array")
    d = T.shape[1]
    if d < 2:
        raise ValueError("a plane needs at least 2 parameters")
    if not np.isfinite(T).all():
        raise ValueError("the trajectory contains non-finite points")
    M = T - T[-1]
    total = float(np.einsum("ij,ij->", M, M))
    if total > 0:
        _, S, Vt = np.linalg.svd(M, full_matrices=False)
        rank = int(np.sum(S > S[0] * 1e-12))
    else:
        S, Vt, rank = np.zeros(0), np.zeros((0, d)), 0
    dirs = [Vt[k] for k in range(min(rank, 2))]
    shares = [float(S[k] ** 2 / total) for k in range(len(dirs))]
    basis = np.eye(d)
    k = 0
    while len(dirs) < 2:                       # complete with coordinate axes, Gram-Schmidt
        v = basis[k].copy()
        for u in dirs:
            v -= (v @ u) * u
        nv = np.linalg.norm(v)
        if nv > 1e-8:
            dirs.append(v / nv)
            shares.append(0.0)
        k += 1
    out = []
    for v in dirs:
        v = np.asarray(v, float)
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        out.append(v)
    return out[0], out[1], np.clip(np.array(shares), 0.0, 1.0)


def project(trajectory: np.ndarray, origin, d1, d2) -> np.ndarray:
    """Coordinates (T, 2) of points θ_t in the plane origin + α·d1 + β·d2, by least squares
    (the directions need not be orthogonal or unit)."""
    T = np.atleast_2d(np.asarray(trajectory, float))
    D = np.vstack([np.asarray(d1, float).ravel(), np.asarray(d2, float).ravel()])
    R = T - np.asarray(origin, float).ravel()[None, :]
    G = D @ D.T
    return np.linalg.solve(G, D @ R.T).T


def _groups_from(full_or_shapes, d: int):
    """[(slice of a weight matrix, (rows, neurons)) or (slice, None) for 1-D parameters]."""
    if full_or_shapes is None:
        return None
    lg = getattr(full_or_shapes, "layer_groups", None)
    if callable(lg):
        out = []
        for ws, shape, bs in lg():
            out.append((ws, shape))
            out.append((bs, None))
        return out
    if isinstance(full_or_shapes, Objective):
        return None
    out = []
    k = 0
    for shape in full_or_shapes:
        shape = tuple(int(s) for s in np.atleast_1d(shape))
        size = int(np.prod(shape))
        sl = slice(k, k + size)
        out.append((sl, None if len(shape) <= 1 else (size // shape[-1], shape[-1])))
        k += size
    if k != d:
        raise ValueError(f"the layer shapes hold {k} parameters but θ has {d}")
    return out


def random_directions(
    full_or_shapes,
    theta,
    seed: int = 0,
    filter_normalize: bool = True,
    ignore_biases: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Two random Gaussian directions for a plane through θ, after Li et al. (2018).

    ``full_or_shapes``: an objective with ``layer_groups()`` (an MLP), a list of parameter
    shapes in θ's order (weight matrices (fan_in, fan_out): the last axis indexes neurons;
    1-D entries are biases), or None / an objective without layers.

    With ``filter_normalize``: each neuron's incoming weights in the direction are rescaled to
    the norm of the same weights in θ (‖d_j‖ = ‖θ_j‖); 1-D parameters (biases) get direction 0
    when ``ignore_biases`` (the paper's "biasbn" setting) or a copy of θ's values otherwise.
    Without layer information every direction is rescaled as a whole to ‖θ‖."""
    th = np.asarray(theta, float).ravel()
    d = th.size
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal((2, d))
    if not filter_normalize:
        return raw[0], raw[1]
    groups = _groups_from(full_or_shapes, d)
    out = []
    for r in raw:
        v = r.copy()
        if groups is None:
            v *= np.linalg.norm(th) / (np.linalg.norm(v) + 1e-10)
        else:
            for sl, shape in groups:
                if shape is None:
                    v[sl] = 0.0 if ignore_biases else th[sl]
                else:
                    dv = v[sl].reshape(shape)
                    tv = th[sl].reshape(shape)
                    dv *= np.linalg.norm(tv, axis=0) / (np.linalg.norm(dv, axis=0) + 1e-10)
                    v[sl] = dv.ravel()
        out.append(v)
    return out[0], out[1]


# -- grids -------------------------------------------------------------------------------
def compute_landscape(
    objective2d: Objective,
    xs,
    ys,
    progress: Optional[Callable[[float], None]] = None,
    cancel: Optional[Callable[[], bool]] = None,
    block_points: Optional[int] = None,
) -> Optional[np.ndarray]:
    """Z (len(xs), len(ys)) with Z[i, j] = f(xs[i], ys[j]) (``indexing="ij"``).

    Rows are evaluated in blocks, each block one vectorised call on (rows × len(ys)) points
    (about ``block_points``, default the objective's ``max_batch_runs`` or 8192);
    ``progress(fraction)`` is called after every block; ``cancel()`` is checked before every
    block and, when it returns True, the computation stops and returns None. Uses the
    objective's ``full_value`` when it has one (the full-data loss of a mini-batch objective).
    Non-finite values (overflow) are left as they are."""
    xs = np.asarray(xs, float).ravel()
    ys = np.asarray(ys, float).ravel()
    if objective2d.dim != 2:
        raise ValueError(f"a landscape needs a 2-D objective; this one has {objective2d.dim} parameters")
    nx, ny = xs.size, ys.size
    Z = np.empty((nx, ny))
    if nx == 0 or ny == 0:
        if progress is not None:
            progress(1.0)
        return Z
    apply_engine_tuning()  # block-sized temporaries: see core/tuning.py (18.9 s -> 8.5 s)
    fn = _full_value_fn(objective2d)
    budget = int(block_points or getattr(objective2d, "max_batch_runs", 8192) or 8192)
    rows = max(1, budget // ny)
    with np.errstate(all="ignore"):
        for r0 in range(0, nx, rows):
            if cancel is not None and cancel():
                return None
            r1 = min(nx, r0 + rows)
            A, B = np.meshgrid(xs[r0:r1], ys, indexing="ij")
            P = np.column_stack([A.ravel(), B.ravel()])
            Z[r0:r1] = np.asarray(fn(P), float).reshape(r1 - r0, ny)
            if progress is not None:
                progress(r1 / nx)
    return Z

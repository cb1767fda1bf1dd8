"""Problem views: what the map and the 3D view show, and what the runs descend on.

A :class:`ProblemView` is an immutable value: the two-parameter objective the studio draws
and descends on, its domain, title, description, axis labels, default starts and, for a model,
how a point of the map maps to the model's full parameter vector (``embed``). One is built
for each kind of problem:

* :func:`function_view`   a typed function or a preset;
* :func:`model_view`      a line fit, a typed model (its two-parameter slice when it has more
  parameters) or a network's slice over two weights, from a :class:`ModelSpec`;
* :func:`plane_view`      the loss on a plane through a trained network's final weights (PCA
  of its training path, or random filter-normalised directions), after
  :func:`train_landscape`, a cancellable generator that trains every weight.

Building one may take a second for a model on data: the functions take ``check`` (called
now and then; it raises to cancel) so the window can run them in a background job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import numpy as np

from ..core.objective import Objective
from .geometry import GridData, compute_grid

Domain = tuple[tuple[float, float], ...]

#: training steps per progress report (and cancel point) of :func:`train_landscape`
TRAIN_CHUNK = 20
#: recorded points per training path at most (PCA of a longer path uses every s-th step)
MAX_PATH_ROWS = 2000


def _identity(P):
    return np.atleast_2d(np.asarray(P, float))


def _no_check() -> None:
    return None


def with_unit(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


def fmt(v: float) -> str:
    """A number for a sentence: thousands separators for big values, 4 significant digits."""
    v = float(v)
    if not np.isfinite(v):
        return "—"
    if v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-3):
        return f"{v:.3g}"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


@dataclass(frozen=True)
class ModelSpec:
    """A model fitted to data, as the person chose it (and as a session file stores it).

    ``model``: ``linreg``, ``mlp`` or a typed model (``a*exp(b*x)``); ``data``: ``housing``, a
    toy set (sine, xor, moons, circles, spirals) or a CSV path; ``sha256`` of the CSV file
    (None for shipped data); ``x``/``y`` columns; ``scale`` none | standard (None: the model's
    default); ``loss`` mse | mae | huber with ``huber_delta``; ``hidden``, ``activation``,
    ``seed``, ``batch_size`` for the network (``seed`` also seeds toy data and mini-batches);
    ``pair``: the two parameters the map shows when the model has more than two."""

    model: str = "linreg"
    data: Optional[str] = None
    sha256: Optional[str] = None
    x: Optional[str] = None
    y: Optional[str] = None
    scale: Optional[str] = None
    loss: str = "mse"
    huber_delta: float = 1.0
    hidden: str = "8,8"
    activation: str = "tanh"
    seed: int = 0
    batch_size: Optional[int] = None
    pair: tuple[int, int] = (0, 1)

    @property
    def kind(self) -> str:
        m = self.model.strip().lower()
        return m if m in ("linreg", "mlp") else "typed"

    @property
    def is_csv(self) -> bool:
        from .problems import DATA_SETS

        return self.data is not None and self.data not in DATA_SETS

    def build_problem(self, n_starts: int = 1):
        from .problems import build_problem

        return build_problem(self.model, self.data, x=self.x, y=self.y, scale=self.scale, loss=self.loss,
                             hidden=self.hidden, activation=self.activation, seed=self.seed,
                             batch_size=self.batch_size, huber_delta=self.huber_delta, n_starts=n_starts)


@dataclass(frozen=True, eq=False)
class ProblemView:
    """See the module docstring. ``kind``: function | linreg | typed | typed-slice | mlp-slice
    | mlp-plane. ``problem`` is the data-fitting problem (``app.problems.Problem``) of a
    model, None for a function; ``path`` the projected training path (T, 3) of a plane."""

    kind: str
    objective: Objective
    domain: Domain
    title: str
    description: str
    axis_labels: tuple[str, str]
    default_starts: np.ndarray
    embed: Callable = _identity
    closed_form: Optional[np.ndarray] = None
    problem: object = None
    path: Optional[np.ndarray] = None
    extra: dict = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.objective.names)

    def theta(self, p2) -> np.ndarray:
        """The full parameter vector (d,) at the map's point ``p2``."""
        return np.asarray(self.embed(np.asarray(p2, float).reshape(1, 2)), float)[0]

    def grid(self, n: int = 161, arrows: int = 19) -> GridData:
        """The objective evaluated for the map (values, arrows, colour scale, contours)."""
        return compute_grid(_FullValue(self.objective), self.domain, n, arrows)

    def with_domain(self, domain) -> "ProblemView":
        from dataclasses import replace

        return replace(self, domain=normalise_domain(domain))


class _FullValue(Objective):
    """The map shows the loss on all the data, also when descent uses mini-batches."""

    def __init__(self, inner: Objective):
        self.inner = inner
        self.names = tuple(inner.names)

    def value(self, P):
        fv = getattr(self.inner, "full_value", None)
        return fv(P) if callable(fv) else self.inner.value(P)

    def value_and_grad(self, P):
        return self.inner.value_and_grad(P)


def normalise_domain(domain) -> Domain:
    dom = tuple((float(a), float(b)) for a, b in domain)
    if len(dom) != 2 or not all(np.isfinite(v) for r in dom for v in r) or not all(a < b for a, b in dom):
        raise ValueError(f"a domain needs two ranges with finite min < max, got {domain!r}")
    return dom


def default_start(objective: Objective, domain) -> np.ndarray:
    """A start with an interesting path: among points a quarter of the way in from the edges,
    the one whose value is nearest the 60th percentile of the domain's values (not a minimum,
    not a cliff where plain gradient descent would blow up). (1, 2)."""
    (xa, xb), (ya, yb) = domain
    fr = [(0.22, 0.78), (0.78, 0.78), (0.22, 0.22), (0.78, 0.22), (0.5, 0.82), (0.18, 0.5),
          (0.82, 0.5), (0.5, 0.18), (0.35, 0.65), (0.65, 0.35)]
    C = np.array([[xa + a * (xb - xa), ya + b * (yb - ya)] for a, b in fr])
    xs, ys = np.linspace(xa, xb, 61), np.linspace(ya, yb, 61)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    with np.errstate(all="ignore"):
        Z = np.asarray(_FullValue(objective).value(np.column_stack([X.ravel(), Y.ravel()])), float)
        f = np.asarray(objective.value(C), float)
    finite = Z[np.isfinite(Z)]
    if finite.size == 0 or not np.isfinite(f).any():
        return C[:1]
    target = np.percentile(finite, 60)
    k = int(np.nanargmin(np.where(np.isfinite(f), np.abs(f - target), np.nan)))
    return C[k:k + 1]


# -- a typed function or a preset ------------------------------------------------------------
def function_view(text: str, domain=None) -> ProblemView:
    """The view of a typed function or a preset name (raises ``ExpressionError``, a
    ``ValueError`` whose ``column`` points at the mistake, for text that does not parse)."""
    from ..core.expression import ExpressionError
    from ..core.presets import PRESETS, get_objective

    key = str(text).strip()
    obj = get_objective(key)
    if obj.dim != 2:
        raise ExpressionError("the function must use the variables x and y")
    preset = PRESETS.get(key.lower()) or PRESETS.get(key)
    dom = normalise_domain(domain if domain is not None else obj.domain())
    title = preset.title if preset is not None else (obj.label or key)
    desc = f"{preset.title}: {preset.formula}" if preset is not None else f"f(x, y) = {key}"
    return ProblemView("function", obj, dom, title, desc, ("x", "y"), default_start(obj, dom),
                       extra={"preset": preset.name if preset is not None else None})


# -- models on data --------------------------------------------------------------------------
def slice_domain(full_domain, base, i: int, j: int) -> Domain:
    """The (i, j) rows of a full domain, widened to contain the base point."""
    out = []
    for k in (i, j):
        lo, hi = map(float, full_domain[k])
        b = float(base[k])
        if not lo <= b <= hi:
            w = max(hi - lo, 1e-9)
            lo, hi = min(lo, b - 0.1 * w), max(hi, b + 0.1 * w)
        out.append((lo, hi))
    return tuple(out)


def _pair(spec_pair, dim: int) -> tuple[int, int]:
    i, j = (int(v) for v in spec_pair)
    if not (0 <= i < dim and 0 <= j < dim) or i == j:
        return 0, 1
    return i, j


def model_view(spec: ModelSpec, domain=None, base=None, check: Callable = _no_check,
               base_from: Optional[str] = None, weights: Optional[tuple[str, str]] = None) -> ProblemView:
    """The map of a model on data (see the module docstring). ``base``: the values the
    parameters not shown are held at (default: the model's default start, i.e. a network's
    seeded initial weights); ``base_from`` says in words where a network's ``base`` comes
    from (e.g. a trained init). ``weights``: a network's two weights by name, which survive a
    change of its layout when both still exist (``spec.pair`` otherwise). Raises
    ``ValueError`` (one sentence) for bad data or settings."""
    prob = spec.build_problem()
    check()
    if spec.kind == "mlp":
        view = _mlp_slice(spec, prob, base, base_from, weights)
    else:
        view = _curve_view(spec, prob, base)
    check()
    return view.with_domain(domain) if domain is not None else view


def _curve_view(spec: ModelSpec, prob, base) -> ProblemView:
    from ..core.models.landscape import SliceObjective

    obj = prob.objective
    std = ", z-scored" if getattr(obj, "scale", "none") == "standard" else ""
    if obj.dim == 2:
        dom = normalise_domain(obj.domain())
        closed = None if prob.closed_form is None else np.asarray(prob.closed_form, float)
        starts = np.asarray(prob.default_starts, float)[:1]
        if spec.kind == "linreg":
            u = obj.param_units()
            title = f"J(a, b): MSE of {prob.y_name} ≈ a·{prob.x_name} + b{std}"
            return ProblemView("linreg", obj, dom, title, prob.description,
                               (with_unit("a", u["a"]), with_unit("b", u["b"])), starts,
                               closed_form=closed, problem=prob)
        lname = {"mse": "MSE", "mae": "MAE", "huber": "Huber loss"}[obj.loss]
        title = f"J({', '.join(obj.names)}): {lname} of {prob.y_name} ≈ {obj.model_text}{std}"
        return ProblemView("typed", obj, dom, title, prob.description, tuple(obj.names), starts,
                           closed_form=closed, problem=prob)
    th = np.asarray(prob.default_starts[0] if base is None else base, float).ravel()
    if th.size != obj.dim:
        th = np.asarray(prob.default_starts[0], float)
    i, j = _pair(spec.pair, obj.dim)
    dom = slice_domain(obj.domain(), th, i, j)
    inner = SliceObjective(obj, th, i, j, domain=dom)
    held = [f"{n} = {th[k]:.4g}" for k, n in enumerate(obj.names) if k not in (i, j)]
    desc = (f"{prob.description} The map shows the slice over {obj.names[i]} and "
            f"{obj.names[j]}, with {', '.join(held)} held fixed.")
    lname = {"mse": "MSE", "mae": "MAE", "huber": "Huber loss"}[obj.loss]
    title = (f"{lname} of {prob.y_name} ≈ {obj.model_text}{std}; "
             f"{', '.join(n for n in obj.names if n not in inner.names)} held")
    return ProblemView("typed-slice", inner, dom, title, desc, tuple(inner.names), th[[i, j]][None, :],
                       embed=inner.embed, problem=prob, extra={"pair": (i, j), "base": th, "held": held})


def _weight_pair(names, weights) -> tuple[int, int]:
    """The indices of two weights named ``weights`` (the first weight, or the next one, for a
    name the layout no longer has)."""
    wa, wb = weights
    i = names.index(wa) if wa in names else 0
    j = names.index(wb) if wb in names else (1 if i != 1 else 0)
    return (i, (i + 1) % len(names)) if i == j else (i, j)


def _mlp_slice(spec: ModelSpec, prob, base, base_from=None, weights=None) -> ProblemView:
    from ..core.models.landscape import SliceObjective

    obj = prob.objective
    th = np.asarray(prob.default_starts[0] if base is None else base, float).ravel()
    src = f"their initial values (seed {spec.seed})" if base is None else (base_from or "the given weights")
    names = tuple(obj.names)
    i, j = _pair(spec.pair, obj.dim) if weights is None else _weight_pair(names, weights)
    inner = SliceObjective(obj, th, i, j)
    dom = normalise_domain(inner.domain())
    batch = (f" Mini-batches of {obj.batch_size}: the gradient of each step uses a different "
             f"batch, so the path is noisy; the map shows the loss on all the data."
             if obj.batch_size else "")
    desc = (f"{prob.description} The map shows the slice over {names[i]} and {names[j]}; the "
            f"other {obj.dim - 2} weights are frozen at {src}.{batch}")
    loss = "cross-entropy" if prob.task == "classification" else "MSE"
    arch = "-".join(str(v) for v in obj.sizes)
    title = (f"{loss[:1].upper() + loss[1:]} over {names[i]}, {names[j]} "
             f"({obj.dim - 2} weights frozen; {arch} {obj.activation})")
    return ProblemView("mlp-slice", inner, dom, title, desc, (names[i], names[j]), th[[i, j]][None, :],
                       embed=inner.embed, problem=prob,
                       extra={"pair": (i, j), "names": names, "base_from": src})


# -- training a network, and the plane of its path -------------------------------------------
@dataclass(frozen=True, eq=False)
class Training:
    """Full training of a network from several initialisations: recorded trajectories
    (T, N, d) (rows after a run stopped repeat its last point), the step of each row, each
    run's steps, final weights (N, d) and full-data losses, statuses, seeds, and the loss of
    every step (steps + 1, N): the full-data loss at the start, then each step's (a step's
    mini-batch loss when the network trains on mini-batches)."""

    spec: ModelSpec
    problem: object
    trajectories: np.ndarray
    row_steps: np.ndarray
    steps: np.ndarray
    final: np.ndarray
    final_loss: np.ndarray
    status: tuple
    seeds: tuple
    values: np.ndarray

    def trained(self, spec: ModelSpec) -> bool:
        """Whether this is the training of the network ``spec`` (whichever weights it shows)."""
        from dataclasses import replace

        return replace(self.spec, pair=(0, 1)) == replace(spec, pair=(0, 1))

    def path(self, k: int) -> np.ndarray:
        """Run ``k``'s recorded path (T, d), from its start to its final weights."""
        rows = self.row_steps <= int(self.steps[k])
        traj = np.asarray(self.trajectories[rows, k, :], float)
        if self.row_steps[rows][-1] != int(self.steps[k]):
            traj = np.vstack([traj, self.final[k][None, :]])
        return traj

    @property
    def best(self) -> int:
        return int(np.argmin(np.where(np.isfinite(self.final_loss), self.final_loss, np.inf)))


def train_landscape(spec: ModelSpec, optimizer: str = "adam", lr: float = 0.01, steps: int = 500,
                    inits: int = 3, tol: float = 1e-7, **hyper) -> Iterator:
    """Train every weight of the network ``spec`` from ``inits`` seeded initialisations.

    A generator: it yields the fraction done (0..1) every few steps and finally the
    :class:`Training`. Stop iterating (or ``close()`` it) to cancel; nothing is kept.
    Memory stays bounded: at most about ``MAX_PATH_ROWS`` recorded points per run."""
    from ..core.runner import BatchDescent

    prob = spec.build_problem(n_starts=inits)
    obj = prob.objective
    seeds = tuple(spec.seed + 1000 * r for r in range(int(inits)))
    P0 = np.vstack([obj.init_params(1, seed=sd) for sd in seeds])
    batch = BatchDescent(obj, P0, optimizer=optimizer, lr=lr, max_steps=int(steps), tol=tol, **hyper)
    stride = max(1, -(-int(steps) // MAX_PATH_ROWS))
    pts, row_steps = [P0[None].copy()], [0]
    vals = [np.asarray(obj.full_value(P0), float)[None]]
    yield 0.0
    while not batch.done:
        ch = batch.advance(TRAIN_CHUNK * stride)
        if ch.n_steps == 0:
            break
        s_idx = ch.first_step + np.arange(ch.n_steps)
        keep = (s_idx % stride) == 0
        pts.append(np.array(ch.points[keep]))
        row_steps.extend(s_idx[keep].tolist())
        vals.append(np.array(ch.values))
        yield min(1.0, batch.step / max(1, int(steps)))
    final = np.asarray(batch.points, float).copy()
    final_loss = np.asarray(obj.full_value(final), float)
    yield Training(spec, prob, np.concatenate(pts), np.asarray(row_steps), np.asarray(batch.steps).copy(),
                   final, final_loss, tuple(batch.status_names()), seeds, np.concatenate(vals))


def run_training(spec: ModelSpec, progress: Optional[Callable] = None, **kwargs) -> Training:
    """Drive :func:`train_landscape` to the end (``progress(fraction)`` now and then)."""
    out = None
    for item in train_landscape(spec, **kwargs):
        if isinstance(item, Training):
            out = item
        elif progress is not None:
            progress(item)
    return out


def plane_view(tr: Training, k: Optional[int] = None, method: str = "pca", seed: int = 0) -> ProblemView:
    """The plane through init ``k``'s final weights (default: the best init): the PCA plane
    of its path, or two random filter-normalised directions (``method="random"``), with the
    path projected onto it."""
    from ..core.models.landscape import PlaneObjective, pca_directions, project, random_directions

    if method not in ("pca", "random"):
        raise ValueError(f"unknown plane {method!r}; choose pca or random")
    k = tr.best if k is None else int(k)
    prob = tr.problem
    obj = prob.objective
    traj = tr.path(k)
    final = traj[-1]
    if method == "pca":
        d1, d2, explained = pca_directions(traj)
    else:
        d1, d2 = random_directions(obj, final, seed=seed)
        explained = None
    coords = project(traj, final, d1, d2)
    from .landscape import plane_domain

    dom = plane_domain(coords, method != "pca")
    names = ("PC1", "PC2") if method == "pca" else ("α", "β")
    plane = PlaneObjective(obj, final, d1, d2, names=names, domain=dom)
    heights = np.asarray(plane.full_value(coords), float)
    if method == "pca":
        how = (f"the plane of the two principal directions of init {k + 1}'s training path "
               f"(explains {100 * float(np.sum(explained)):.1f}% of its variance)")
    else:
        how = f"a plane of two random filter-normalised directions through init {k + 1}'s final weights"
    desc = (f"{prob.description} Trained with all {obj.dim} weights free; the map shows the loss on "
            f"{how}, with the training path projected onto it. The origin is the final weights "
            f"(loss {fmt(tr.final_loss[k])}).")
    loss = "cross-entropy" if prob.task == "classification" else "MSE"
    arch = "-".join(str(v) for v in obj.sizes)
    plane_name = "PCA plane of" if method == "pca" else "random plane through"
    title = f"{loss[:1].upper() + loss[1:]} on the {plane_name} init {k + 1}'s path ({arch} {obj.activation})"
    return ProblemView("mlp-plane", plane, dom, title, desc, names, coords[:1].copy(), embed=plane.embed,
                       problem=prob, path=np.column_stack([coords, heights]),
                       extra={"explained": explained, "init": k, "method": method})

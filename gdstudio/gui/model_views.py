"""What the map shows for a model on data: the core ``Problem`` assembled into a 2-D view
(:class:`Shown`: what app.problem_views builds, a line fit, a typed model's two-parameter slice,
a network's slice or plane, wrapped with the map's grid evaluated in a background job
(:func:`grid_in_job`)). No widgets here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..app.geometry import GridData
from ..app.problem_views import ModelSpec, ProblemView, Training
from ..core.objective import Objective
from ..worker.jobs import Job
from .text import fmt, html_text

#: value() calls with more rows than this are evaluated in blocks (progress, cancel)
BLOCK_ROWS = 4096


class _BlockedValue(Objective):
    """What the map's grid is evaluated on in a background job: ``value`` is the full-data
    value (``full_value``) when the objective has one, as in
    :func:`gdstudio.core.models.landscape.compute_landscape` (the map shows the loss on all
    the data even when descent uses mini-batches), evaluated in blocks that report progress and
    honour cancel; ``value_and_grad`` (the arrows) is the objective's own."""

    def __init__(self, inner: Objective, job: Optional[Job], span=(0.0, 1.0)):
        self.inner = inner
        self.names = tuple(inner.names)
        self._job = job
        self._span = (float(span[0]), float(span[1]))

    def value(self, P):
        P = np.ascontiguousarray(np.atleast_2d(np.asarray(P, float)))
        fv = getattr(self.inner, "full_value", None)
        fn = fv if callable(fv) else self.inner.value
        n = P.shape[0]
        job = self._job
        if job is None or n <= BLOCK_ROWS:
            with np.errstate(all="ignore"):
                return np.asarray(fn(P), float).reshape(n)
        out = np.empty(n)
        a, b = self._span
        block = int(getattr(self.inner, "max_batch_runs", BLOCK_ROWS) or BLOCK_ROWS)
        block = max(256, min(BLOCK_ROWS, block))
        with np.errstate(all="ignore"):
            for i in range(0, n, block):
                job.check()
                j = min(n, i + block)
                out[i:j] = np.asarray(fn(P[i:j]), float)
                job.progress(a + (b - a) * j / n)
        return out

    def value_and_grad(self, P):
        with np.errstate(all="ignore"):
            return self.inner.value_and_grad(P)


def grid_in_job(objective: Objective, domain, job: Optional[Job], span=(0.0, 1.0)) -> GridData:
    """The map's grid of ``objective`` over ``domain``, evaluated now in the calling thread (a
    background job: it reports progress within ``span`` and stops when the job is cancelled).
    The window hands it to the controller with the objective, so nothing is evaluated twice
    and nothing of it runs on the GUI thread."""
    from ..app.geometry import compute_grid

    return compute_grid(_BlockedValue(objective, job, span), domain)


# ---------------------------------------------------------------------------------------
# what is shown
# ---------------------------------------------------------------------------------------
def _identity(P):
    return np.atleast_2d(np.asarray(P, float))


@dataclass
class Shown:
    """A model problem as handed to the window: the core ``Problem`` (data, model, predict),
    the 2-D objective the views show and descend on (``objective``: what the controller got;
    ``inner``: the same without the grid wrapper), how a 2-D point maps to the model's full
    parameter vector (``embed`` (N, 2) -> (N, d)), the domain, the starts, the exact minimiser
    to mark (2-D, or None) and, for a landscape plane, the projected training path (T, 3)."""

    kind: str  # linreg | typed | mlp-slice | mlp-plane
    problem: object
    objective: Objective
    grid: GridData  # the map's grid of ``objective``, evaluated in the job
    domain: tuple
    description: str
    starts: np.ndarray
    embed: Callable = _identity
    closed_form: Optional[np.ndarray] = None
    path: Optional[np.ndarray] = None
    extra: dict = field(default_factory=dict)
    #: one line for the map's title (the controller's problem description)
    title: str = ""
    #: axis labels of the map with units, e.g. ("a ($ per sq ft)", "b ($)")
    axis_labels: tuple = ()
    #: the model as the person chose it (what the session records and a session file saves)
    spec: Optional[ModelSpec] = None

    def theta(self, p2) -> np.ndarray:
        """The full parameter vector (d,) at the 2-D point ``p2``."""
        return np.asarray(self.embed(np.asarray(p2, float).reshape(1, 2)), float)[0]


def view_of(shown: Shown) -> ProblemView:
    """``shown`` as the session's problem view (it keeps ``shown`` in ``extra`` so an undo or
    redo brings the same picture back without rebuilding it)."""
    names = tuple(shown.axis_labels) or tuple(shown.objective.names)
    return ProblemView(shown.kind, shown.objective, tuple(shown.domain), shown.title or shown.description,
                       shown.description, names, np.asarray(shown.starts, float).reshape(-1, 2),
                       embed=shown.embed, closed_form=shown.closed_form, problem=shown.problem, path=shown.path,
                       extra={**shown.extra, "shown": shown})


def shown_of(view: ProblemView, spec: Optional[ModelSpec], grid: Optional[GridData] = None) -> Shown:
    """What the window shows for a session's model view (one opened from a file, or restored
    by undo): the view's own :class:`Shown` when it came from the window, else one built from
    it (its grid evaluated here when not given)."""
    kept = view.extra.get("shown")
    if isinstance(kept, Shown):
        return kept
    kind = "typed" if view.kind == "typed-slice" else view.kind
    extra = {k: v for k, v in view.extra.items() if k != "shown"}
    return Shown(kind, view.problem, view.objective, grid if grid is not None else view.grid(), tuple(view.domain),
                 view.description, np.asarray(view.default_starts, float), view.embed, view.closed_form, view.path,
                 extra, title=view.title, axis_labels=tuple(view.axis_labels), spec=spec)


def shown_in_job(spec: ModelSpec, job: Optional[Job], base=None, span=(0.0, 1.0), **kw) -> Shown:
    """The model ``spec`` as app.problem_views.model_view builds it (a line fit, a typed
    model or its slice, a network's slice; ``base`` and ``kw`` as there), with its grid
    evaluated in the job. Runs in a job; the Shown carries ``spec`` with the pair shown."""
    from dataclasses import replace

    from ..app.problem_views import model_view

    view = model_view(spec, base=base, check=job.check if job is not None else _no_check, **kw)
    pair = tuple(view.extra.get("pair", (0, 1)))
    return shown_of(view, replace(spec, pair=pair), grid_in_job(view.objective, view.domain, job, span))


def _no_check() -> None:
    return None


# ---------------------------------------------------------------------------------------
# a trained network's loss landscape
# ---------------------------------------------------------------------------------------
def landscape_shown(tr: Training, k: int, method: str, seed: int, job, span=(0.0, 1.0),
                    compute=None) -> Shown:
    """The plane through init ``k``'s final weights (app.problem_views.plane_view: PCA of its
    path, or random filter-normalised directions) with its grid computed in the job by
    :func:`landscape_in_job`, where ``compute`` (the window's
    :class:`~gdstudio.app.compute.SharedExecutor`; None: this process) says."""
    from ..app.problem_views import plane_view

    view = plane_view(tr, k, method, seed)
    where: list = []
    shown = shown_of(view, None, landscape_in_job(view.objective, view.domain, job, span, compute, where))
    if where and where[0] != "this process":
        shown.description = f"{shown.description} The landscape was computed on {where[0]}."
    return shown


def landscape_in_job(objective: Objective, domain, job: Optional[Job], span=(0.0, 1.0), compute=None,
                     where: Optional[list] = None) -> GridData:
    """The map's grid of a landscape plane, computed by the code of ``gdstudio landscape``
    (:func:`gdstudio.app.landscape.landscape_grid`: row blocks, the full-data loss) on the
    executor of ``compute`` (in this process when None). Progress within ``span``; stops when
    the job is cancelled. A cluster that cannot be reached raises
    :class:`~gdstudio.app.compute.ComputeError` (one sentence). ``where`` gets the executor's
    description."""
    from ..app.compute import SharedExecutor
    from ..app.executors import Cancelled as Stopped
    from ..app.geometry import compute_grid
    from ..app.landscape import landscape_grid
    from ..worker.jobs import Cancelled

    a, b = span
    shared = compute if compute is not None else SharedExecutor()

    def progress(f):
        if job is not None:
            job.progress(a + (b - a) * f)

    def values(xs, ys):
        with shared.use() as ex:
            if where is not None:
                where.append(ex.description)
            try:
                return landscape_grid(objective, xs, ys, ex, progress,
                                      job.cancelled if job is not None else None)
            except Stopped:
                raise Cancelled() from None

    return compute_grid(_BlockedValue(objective, None), domain, values=values)


# ---------------------------------------------------------------------------------------
# the model panel's notes
# ---------------------------------------------------------------------------------------
def linreg_notes(obj) -> tuple[str, str]:
    """(Hessian note, least-squares note) of a line fit, as rich text."""
    lam = obj.hessian_eigenvalues()
    hessian = (f"Hessian (constant) eigenvalues λ = {fmt(lam[0])}, {fmt(lam[1])}<br>"
               f"condition number λmax/λmin = {fmt(obj.condition_number())}<br>"
               f"largest stable rate of plain descent 2/λmax = <b>{obj.max_stable_lr():.3g}</b>")
    cf = obj.closed_form()
    a0, b0 = obj.to_original_units(cf[0], cf[1])
    u = {k: html_text(v) for k, v in obj.param_units(original=True).items()}
    std = ""
    if obj.scale == "standard":
        us = {k: html_text(v) for k, v in obj.param_units().items()}
        std = (f"<br>in the map's standardised units: a* = {fmt(cf[0])} ({us['a']}), "
               f"b* = {fmt(cf[1])} ({us['b']})")
    return hessian, f"Least squares (◆ on the map): a* = {fmt(a0, u['a'])}, b* = {fmt(b0, u['b'])}{std}"


def live_fit_text(shown: Optional[Shown], point, value: Optional[float]) -> str:
    """The selected run's current fit of a line or a two-parameter model (rich text): its
    parameters, the cost J and the distance to the least-squares solution; empty otherwise."""
    if shown is None or shown.kind not in ("linreg", "typed"):
        return ""
    if point is None or not np.all(np.isfinite(point)):
        return "Run descent (▶) to watch the fit; the selected run's current point is shown here."
    a, b = float(point[0]), float(point[1])
    names = shown.objective.names
    if shown.kind == "linreg":
        obj = shown.problem.objective
        a0, b0 = obj.to_original_units(a, b)
        u = {k: html_text(v) for k, v in obj.param_units(original=True).items()}
        parts = [f"Selected run now: a = {fmt(a0, u['a'])}, b = {fmt(b0, u['b'])}"]
    else:
        parts = [f"Selected run now: {html_text(names[0])} = {fmt(a)}, {html_text(names[1])} = {fmt(b)}"]
    if value is not None:
        parts.append(f"J = {fmt(value)}")
    if shown.closed_form is not None:
        d = float(np.hypot(a - shown.closed_form[0], b - shown.closed_form[1]))
        unit = " (standardised units)" if getattr(shown.problem.objective, "scale", "none") == "standard" else ""
        parts.append(f"distance to the least-squares solution ◆: <b>{d:.3g}</b>{unit}")
    return "<br>".join(parts)


def load_two_columns(path: str):
    """A CSV for a model: its table, refused (``DataError``, one sentence) unless it has two
    numeric columns and the first two are complete. Runs in a job."""
    from ..io.datasets import DataError, load_csv_columns

    table = load_csv_columns(path)
    cols = table.numeric_columns
    if len(cols) < 2:
        for name in table.non_numeric:  # the core's sentence: "column 'y' is not numeric (row 2 holds 'a')"
            table.column(name)
        raise DataError(f"{table.name} needs two numeric columns (x and y); it has "
                        f"{len(cols)}: {', '.join(cols) or 'none'}")
    # the columns used first must be complete: refuse before anything changes
    table.column(cols[0])
    table.column(cols[1])
    return table

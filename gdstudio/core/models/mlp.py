"""A feed-forward neural network's loss as an :class:`~gdstudio.core.objective.Objective`.

Architecture: ``sizes = (n_inputs, *hidden, n_outputs)``; layer l computes
``Z_l = A_{l-1} · W_l + b_l`` with ``W_l`` of shape (fan_in, fan_out) and ``b_l`` (fan_out,),
then ``A_l = σ(Z_l)`` with σ = sigmoid, tanh or relu on hidden layers. The output layer is
linear for ``task="regression"`` and one logit for ``task="classification"`` (probability
sigmoid(z)).

Losses, averaged over the m data points of the (mini-)batch:

* regression      MSE  J = (1/m)·Σᵢ Σₖ (outᵢₖ − yᵢₖ)²  (one output: the usual mean squared
  error, same 1/m convention as the line fit, no ½)
* classification  binary cross-entropy on logits, in its stable form
  ℓ(z, y) = max(z, 0) − y·z + log(1 + e^(−|z|))  (= −y·log p − (1−y)·log(1−p), p = sigmoid z)

Parameters are one flat vector θ (dimension d): W1 (row-major), b1, W2, b2, …; their names are
``W1[i,j]`` (weight from input/unit i of the previous layer to unit j) and ``b1[j]``.

Everything is vectorised over the data *and* over N parameter vectors at once (θ of shape
(N, d)): batched matrix products. Derivatives are exact:

* gradient: backpropagation (the chain rule, layer by layer, backwards);
* :meth:`MLPObjective.directional_hessian` (N, k, k) = U·H·Uᵀ for k directions: forward-mode
  second-order Taylor propagation through the network (value, first and second directional
  derivatives of every layer; σ gives (σ(z), σ'(z)·ż, σ''(z)·ż_u·ż_v + σ'(z)·z̈_uv)); the mixed
  second derivative along (u, v) is propagated directly, which equals the polarisation
  ((u+v)ᵀH(u+v) − uᵀHu − vᵀHv)/2 without its cancellation;
* :meth:`MLPObjective.hess` (N, d, d) and :meth:`MLPObjective.hvp`: Hessian-vector products by
  forward-over-reverse differentiation (Pearlmutter's R-operator on backpropagation), one per
  coordinate: O(d) gradient evaluations, so use it for small networks / few points.

For ReLU, σ'' = 0: the second derivatives are those of the piecewise-linear network (exact
everywhere except on the measure-zero kinks, where the Hessian does not exist).

Mini-batches: with ``batch_size`` set, the runner calls :meth:`MLPObjective.on_step` with the
step number before each gradient evaluation; step s uses batch ``s mod B`` of epoch
``s // B`` (B = ⌈n / batch_size⌉), the epoch's order being a permutation drawn from
``default_rng([seed, epoch])``. The path is therefore reproducible and independent of how
the steps were chunked. ``value``/``grad``/``value_and_grad`` use the current batch (all the
data before the first ``on_step``); :meth:`full_value`, :meth:`hess`, :meth:`hvp` and
:meth:`directional_hessian` always use all the data (landscapes and critical points are
properties of the full loss).

Initialisation (:meth:`init_params`): biases 0; hidden layers Glorot/Xavier uniform,
U(±√(6/(fan_in+fan_out))), for tanh and sigmoid, He (Kaiming) normal, N(0, 2/fan_in), for relu;
the output layer Glorot uniform.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Callable, Optional, Sequence

import numpy as np

from ..fused import load_compiled, numba_available, run_in_threads, run_ranges
from ..objective import Objective
from ._common import minibatch_indices

__all__ = ["ACTIVATIONS", "TASKS", "MLPObjective", "parse_hidden", "prepare_compiled_planes",
           "use_compiled_planes"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
TASKS = ("regression", "classification")

#: runs × data points × widest layer processed at once (≈ 4 MB per float64 array: measured fastest, cache-friendly)
_BUDGET = 1 << 19

#: a thread of the compiled plane kernel gets at least this many points
_MIN_POINTS_PER_THREAD = 16
_ACT_CODES = {"tanh": 0, "sigmoid": 1, "relu": 2}
_kernel_lock = threading.Lock()
_kernel_state: dict = {"enabled": True}


def use_compiled_planes(enabled: bool) -> None:
    """Whether a network's loss on planes and slices (landscapes) may use the compiled kernel
    (``_mlp_kernel.py``; on by default when numba is installed). Its first use in a process
    imports numba and loads the kernel from numba's cache (about half a second), the first
    use ever compiles it (about ten seconds), mostly holding the interpreter lock: the window
    turns it off at start, and on again once :func:`prepare_compiled_planes` has it loaded."""
    with _kernel_lock:
        _kernel_state.clear()
        _kernel_state["enabled"] = bool(enabled)


def prepare_compiled_planes() -> bool:
    """Have the plane kernel compiled in a separate process, load it here, then turn it on
    (:func:`use_compiled_planes`): what the window does on a background thread at start-up,
    so that its landscapes use the kernel without ever compiling in its process. Blocks for
    the compile (about 10 s the first time on a machine, then about a second). True when the
    kernel is on."""
    if not load_compiled("gdstudio.core.models._mlp_kernel"):
        return False
    use_compiled_planes(True)
    return _plane_kernel() is not None


def _plane_kernel() -> Optional[Callable]:
    """The compiled plane kernel, or None (turned off, no numba, or it failed to load)."""
    with _kernel_lock:
        if "kernel" not in _kernel_state:
            kernel = None
            if _kernel_state["enabled"]:
                if numba_available():
                    try:
                        from ._mlp_kernel import plane_values

                        kernel = plane_values
                    except Exception as err:  # an optimisation: numpy always works
                        print(f"gdstudio: compiled landscape kernel unavailable "
                              f"({type(err).__name__}: {err}); using numpy", file=sys.stderr)
            _kernel_state["kernel"] = kernel
        return _kernel_state["kernel"]


def parse_hidden(hidden) -> tuple[int, ...]:
    """``(8, 8)``, ``[16]``, ``"8,8"``, ``"8x8"``, ``"8 8"``, ``8`` or ``""`` (no hidden layer) ->
    a tuple of positive ints; anything else is a ValueError with one sentence."""
    if hidden is None:
        return ()
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        items = [hidden]
    elif isinstance(hidden, str):
        text = hidden.strip().strip("()[]")
        for sep in ("x", "X", "×", ";", " "):
            text = text.replace(sep, ",")
        items = [t for t in text.split(",") if t.strip()]
    else:
        try:
            items = list(hidden)
        except TypeError:
            items = [hidden]
    out = []
    for it in items:
        try:
            v = float(it)
        except (TypeError, ValueError):
            v = math.nan
        if not (math.isfinite(v) and v == int(v) and 1 <= v <= 4096):
            raise ValueError(
                f"bad hidden-layer sizes {hidden!r}: give whole numbers from 1 to 4096 "
                f"separated by commas, e.g. 8,8"
            )
        out.append(int(v))
    if len(out) > 16:
        raise ValueError(f"bad hidden-layer sizes {hidden!r}: at most 16 hidden layers")
    return tuple(out)


# -- activations: value, first and second derivative ----------------------------------------
def _act(name: str, Z: np.ndarray, order: int = 0):
    """σ(Z) and, for order ≥ 1, σ'(Z), for order 2 also σ''(Z)."""
    if name == "tanh":
        s = np.tanh(Z)
        if order == 0:
            return s
        d1 = 1.0 - s * s
        return (s, d1) if order == 1 else (s, d1, -2.0 * s * d1)
    if name == "sigmoid":
        s = 0.5 * (1.0 + np.tanh(0.5 * Z))      # stable for any Z
        if order == 0:
            return s
        d1 = s * (1.0 - s)
        return (s, d1) if order == 1 else (s, d1, d1 * (1.0 - 2.0 * s))
    # relu
    s = np.maximum(Z, 0.0)
    if order == 0:
        return s
    d1 = (Z > 0).astype(Z.dtype)
    return (s, d1) if order == 1 else (s, d1, np.zeros_like(Z))


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _T(A: np.ndarray) -> np.ndarray:
    return np.swapaxes(A, -1, -2)


class MLPObjective(Objective):
    """The loss of a feed-forward network on (X, y); see the module docstring.

    ``X`` (n, n_inputs) or (n,); ``y`` (n,) or (n, k) (classification: one column of 0/1);
    ``hidden`` layer widths (tuple or text such as ``"8,8"``); ``activation`` sigmoid | tanh |
    relu; ``task`` regression | classification; ``batch_size`` None (full batch) or the
    mini-batch size; ``seed`` for the mini-batch order and the default initialisation;
    ``scale`` ``"standard"`` z-scores the inputs (and regression targets) first, ``"none"``
    uses them as given.
    """

    def __init__(
        self,
        X,
        y,
        hidden=(8, 8),
        activation: str = "tanh",
        task: str = "regression",
        batch_size: Optional[int] = None,
        seed: int = 0,
        scale: str = "none",
        x_names: Optional[Sequence[str]] = None,
        y_name: str = "y",
    ):
        act = str(activation).strip().lower()
        if act not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation '{activation}'; choose one of: {', '.join(ACTIVATIONS)}"
            )
        task_ = str(task).strip().lower()
        if task_ not in TASKS:
            raise ValueError(f"unknown task '{task}'; choose regression or classification")
        scale_ = str(scale).strip().lower()
        if scale_ not in ("none", "standard"):
            raise ValueError(f"unknown scaling '{scale}'; choose 'none' or 'standard'")
        X = np.array(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        Y = np.array(y, dtype=float)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if X.ndim != 2 or Y.ndim != 2:
            raise ValueError("the inputs must be an (n, k) table and the targets one or more columns")
        if X.shape[0] != Y.shape[0]:
            raise ValueError(f"there are {X.shape[0]} input rows but {Y.shape[0]} targets")
        if X.shape[0] < 2:
            raise ValueError(f"need at least 2 data points; got {X.shape[0]}")
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise ValueError("the data contain missing or non-finite values")
        if task_ == "classification":
            if Y.shape[1] != 1:
                raise ValueError("classification needs a single target column of 0s and 1s")
            bad = Y[(Y != 0) & (Y != 1)]
            if bad.size:
                raise ValueError(
                    f"classification targets must be 0 or 1; {y_name} has values such as "
                    f"{bad[0]:g}"
                )
        self.hidden = parse_hidden(hidden)
        self.activation = act
        self.task = task_
        self.scale = scale_
        self.seed = int(seed)
        n = X.shape[0]
        self.n = n
        self.X_raw, self.Y_raw = X, Y
        if scale_ == "standard":
            self.x_mean = X.mean(axis=0)
            sd = X.std(axis=0)
            self.x_std = np.where(sd > 0, sd, 1.0)
            if task_ == "regression":
                self.y_mean = Y.mean(axis=0)
                sd = Y.std(axis=0)
                self.y_std = np.where(sd > 0, sd, 1.0)
            else:
                self.y_mean, self.y_std = np.zeros(1), np.ones(1)
        else:
            self.x_mean, self.x_std = np.zeros(X.shape[1]), np.ones(X.shape[1])
            self.y_mean, self.y_std = np.zeros(Y.shape[1]), np.ones(Y.shape[1])
        #: the data the loss is computed on (scaled when scale="standard")
        self.X = np.ascontiguousarray((X - self.x_mean) / self.x_std)
        self.Y = np.ascontiguousarray((Y - self.y_mean) / self.y_std)

        self.sizes = (X.shape[1], *self.hidden, Y.shape[1])
        self.n_layers = len(self.sizes) - 1
        self.layer_shapes: list[tuple[int, ...]] = []
        self._w_slices: list[slice] = []
        self._b_slices: list[slice] = []
        names: list[str] = []
        k = 0
        for l in range(1, len(self.sizes)):
            fi, fo = self.sizes[l - 1], self.sizes[l]
            self._w_slices.append(slice(k, k + fi * fo))
            names += [f"W{l}[{i},{j}]" for i in range(fi) for j in range(fo)]
            k += fi * fo
            self._b_slices.append(slice(k, k + fo))
            names += [f"b{l}[{j}]" for j in range(fo)]
            k += fo
            self.layer_shapes += [(fi, fo), (fo,)]
        self.names = tuple(names)
        self.n_params = k

        if batch_size is not None:
            batch_size = int(batch_size)
            if batch_size < 1:
                raise ValueError(f"the batch size must be at least 1; got {batch_size}")
            if batch_size >= n:
                batch_size = None
        self.batch_size = batch_size
        self._batch: Optional[np.ndarray] = None

        x_names = list(x_names) if x_names is not None else [f"x{i + 1}" for i in range(X.shape[1])]
        self.x_names, self.y_name = x_names, str(y_name)
        arch = "-".join(str(s) for s in self.sizes)
        loss = "MSE" if task_ == "regression" else "cross-entropy"
        self.label = f"{loss} of a {arch} {act} network"
        self.source = (
            f"mlp: sizes={arch}; activation={act}; task={task_}; scale={scale_}; "
            f"batch_size={batch_size}; seed={self.seed}"
        )

    # -- parameters --------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.n_params

    def unpack(self, P: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(W (N, fan_in, fan_out), b (N, fan_out)) per layer] for θ of shape (N, d)."""
        N = P.shape[0]
        out = []
        for l, (ws, bs) in enumerate(zip(self._w_slices, self._b_slices)):
            fi, fo = self.sizes[l], self.sizes[l + 1]
            out.append((P[:, ws].reshape(N, fi, fo), P[:, bs]))
        return out

    def pack(self, layers: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """The reverse of :meth:`unpack`."""
        N = layers[0][0].shape[0]
        P = np.empty((N, self.n_params))
        for (W, b), ws, bs in zip(layers, self._w_slices, self._b_slices):
            P[:, ws] = W.reshape(N, -1)
            P[:, bs] = b
        return P

    def layer_groups(self) -> list[tuple[slice, tuple[int, int], slice]]:
        """[(slice of W in θ, (fan_in, fan_out), slice of b in θ)] per layer."""
        return [
            (ws, (self.sizes[l], self.sizes[l + 1]), bs)
            for l, (ws, bs) in enumerate(zip(self._w_slices, self._b_slices))
        ]

    def init_params(self, n_runs: int = 1, seed: Optional[int] = None) -> np.ndarray:
        """(n_runs, d) seeded standard initialisation: biases 0; hidden layers Glorot
        uniform (tanh, sigmoid) or He normal (relu); output layer Glorot uniform."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        N = int(n_runs)
        P = np.zeros((N, self.n_params))
        for l, (ws, (fi, fo), _) in enumerate(self.layer_groups()):
            last = l == self.n_layers - 1
            if self.activation == "relu" and not last:
                P[:, ws] = rng.normal(0.0, math.sqrt(2.0 / fi), size=(N, fi * fo))
            else:
                lim = math.sqrt(6.0 / (fi + fo))
                P[:, ws] = rng.uniform(-lim, lim, size=(N, fi * fo))
        return P

    # -- mini-batches ------------------------------------------------------------------
    @property
    def batches_per_epoch(self) -> int:
        return 1 if self.batch_size is None else -(-self.n // self.batch_size)

    def batch_indices(self, step: int) -> Optional[np.ndarray]:
        """Indices of the data points step ``step`` uses (None: all of them)."""
        if self.batch_size is None:
            return None
        return minibatch_indices(self.n, self.batch_size, self.seed, step)

    def on_step(self, step: Optional[int]) -> None:
        """Called by the runner before each gradient evaluation: draw the mini-batch of
        this step (no-op in full-batch mode). ``on_step(None)`` returns to all the data."""
        self._batch = None if step is None else self.batch_indices(step)

    def _data(self, full: bool):
        idx = None if full else self._batch
        if idx is None:
            return self.X, self.Y
        return self.X[idx], self.Y[idx]

    # -- forward / backward ------------------------------------------------------------
    def _chunk(self, m: int) -> int:
        """How many runs to process at once so arrays stay around _BUDGET elements."""
        return max(1, _BUDGET // max(1, m * max(self.sizes)))

    @property
    def max_batch_runs(self) -> int:
        """A good number of parameter vectors to evaluate per call (used by landscapes)."""
        return self._chunk(self.n)

    def _loss_terms(self, out: np.ndarray, Y: np.ndarray, order: int):
        """Per-point loss and (order ≥ 1) its first/second derivatives w.r.t. the outputs."""
        if self.task == "regression":
            r = out - Y
            if order == 0:
                return r * r
            if order == 1:
                return r * r, 2.0 * r
            return r * r, 2.0 * r, np.full_like(r, 2.0)
        loss = _softplus(out) - Y * out
        if order == 0:
            return loss
        p = _sigmoid(out)
        if order == 1:
            return loss, p - Y
        return loss, p - Y, p * (1.0 - p)

    def _forward_value(self, P: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        A = X
        layers = self.unpack(P)
        for l, (W, b) in enumerate(layers):
            Z = np.matmul(A, W)
            Z += b[:, None, :]
            A = Z if l == self.n_layers - 1 else _act(self.activation, Z)
        m = X.shape[0]
        return self._loss_terms(A, Y, 0).sum(axis=(1, 2)) / m

    def _value_grad(self, P: np.ndarray, X: np.ndarray, Y: np.ndarray):
        N = P.shape[0]
        m = X.shape[0]
        layers = self.unpack(P)
        As = [X]
        dS = []
        A = X
        for l, (W, b) in enumerate(layers):
            Z = np.matmul(A, W)
            Z += b[:, None, :]
            if l == self.n_layers - 1:
                A = Z
            else:
                A, d1 = _act(self.activation, Z, 1)
                dS.append(d1)
            As.append(A)
        loss, dl = self._loss_terms(A, Y, 1)
        f = loss.sum(axis=(1, 2)) / m
        G = np.empty((N, self.n_params))
        delta = dl / m
        for l in range(self.n_layers - 1, -1, -1):
            W, _ = layers[l]
            Ain = As[l]
            gW = np.matmul(_T(Ain), delta)          # (N, fi, fo); Ain may be (m, fi)
            G[:, self._w_slices[l]] = gW.reshape(N, -1)
            G[:, self._b_slices[l]] = delta.sum(axis=1)
            if l > 0:
                delta = np.matmul(delta, _T(W))
                delta *= dS[l - 1]
        return f, G

    def _run_chunked(self, fn, P: np.ndarray, full: bool):
        X, Y = self._data(full)
        N = P.shape[0]
        c = self._chunk(X.shape[0])
        if N <= c:
            return fn(P, X, Y)
        parts = [fn(P[i:i + c], X, Y) for i in range(0, N, c)]
        if isinstance(parts[0], tuple):
            return tuple(np.concatenate(z) for z in zip(*parts))
        return np.concatenate(parts)

    def value_and_grad_T(self, X: np.ndarray):
        P = np.ascontiguousarray(np.asarray(X, float).T)
        f, G = self._run_chunked(self._value_grad, P, full=False)
        return f, np.ascontiguousarray(G.T)

    def value_and_grad(self, P: np.ndarray):
        P = np.ascontiguousarray(np.atleast_2d(np.asarray(P, float)))
        return self._run_chunked(self._value_grad, P, full=False)

    def grad(self, P: np.ndarray) -> np.ndarray:
        return self.value_and_grad(P)[1]

    def value(self, P: np.ndarray) -> np.ndarray:
        P = np.ascontiguousarray(np.atleast_2d(np.asarray(P, float)))
        return self._run_chunked(self._forward_value, P, full=False)

    def full_value(self, P: np.ndarray) -> np.ndarray:
        """The loss on all the data (whatever the current mini-batch); forward pass only."""
        P = np.ascontiguousarray(np.atleast_2d(np.asarray(P, float)))
        return self._run_chunked(self._forward_value, P, full=True)

    def full_value_and_grad(self, P: np.ndarray):
        """Loss and gradient on all the data (whatever the current mini-batch)."""
        P = np.ascontiguousarray(np.atleast_2d(np.asarray(P, float)))
        return self._run_chunked(self._value_grad, P, full=True)

    def _plane_full_value(self, origin, D, P2) -> Optional[np.ndarray]:
        """The full-data loss at θ = origin + P2 @ D for P2 (N, 2) and D (2, d), by the compiled
        kernel (_mlp_kernel.py: a loop per point, the first layer linear in the plane's
        coordinates, a vectorised tanh) on the engine's threads: what ``full_value(origin +
        P2 @ D)`` gives, to rounding (about 1e-15 relative). None when there is no kernel or an
        input is not finite; the caller then uses ``full_value``. Each point is computed on its
        own, so a value does not depend on the batch it came in."""
        kernel = _plane_kernel()
        if kernel is None:
            return None
        o = np.require(np.asarray(origin, float).ravel(), np.float64, ["C", "W"])
        D = np.require(np.asarray(D, float), np.float64, ["C", "W"])
        P2 = np.require(np.atleast_2d(np.asarray(P2, float)), np.float64, ["C", "W"])
        if (P2.ndim != 2 or P2.shape[1] != 2 or D.shape != (2, self.n_params) or o.size != self.n_params
                or not (np.isfinite(P2).all() and np.isfinite(o).all() and np.isfinite(D).all())):
            return None
        key = (o.tobytes(), D.tobytes())
        prep = getattr(self, "_plane_prep", None)
        if prep is None or prep[0] != key:      # a grid comes in many blocks on one plane
            prep = (key, self._plane_arrays(o, D))
            self._plane_prep = prep
        out = np.empty(P2.shape[0])
        args = (out, o, D, *prep[1])
        run_in_threads(lambda i0, i1: kernel(P2, i0, i1, *args),
                       run_ranges(P2.shape[0], min_per_thread=_MIN_POINTS_PER_THREAD))
        return out

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_plane_prep", None)          # derived arrays: not shipped to workers
        return state

    def _plane_arrays(self, o: np.ndarray, D: np.ndarray) -> tuple:
        """The plane kernel's arguments after (out, origin, D): see _mlp_kernel.plane_values."""
        X, Y = self._data(True)
        ws, (fi, fo), bs = self.layer_groups()[0]
        W0, b0 = o[ws].reshape(fi, fo), o[bs]
        DW, Db = D[:, ws].reshape(2, fi, fo), D[:, bs]
        if self.n_layers == 1:                 # the first layer is the output: all of it moves
            cols = np.arange(fo)
            A1 = np.zeros((fo, 1))
        else:                                  # hidden units whose weights move; the others once
            cols = np.flatnonzero(np.any(DW != 0, axis=(0, 1)) | np.any(Db != 0, axis=0))
            A1 = np.ascontiguousarray(_act(self.activation, X @ W0 + b0).T)
        # the first layer's pre-activation Z0 + α·U + β·V, one unit per row (c, m)
        Z0 = np.ascontiguousarray((X @ W0[:, cols] + b0[cols]).T)
        U = np.ascontiguousarray((X @ DW[0][:, cols] + Db[0, cols]).T)
        V = np.ascontiguousarray((X @ DW[1][:, cols] + Db[1, cols]).T)
        Z2 = np.zeros((0, 1))
        if self.n_layers > 1 and cols.size < fo:
            ws2, (fi2, fo2), bs2 = self.layer_groups()[1]
            if not (np.any(D[:, ws2]) or np.any(D[:, bs2])):   # the second layer's weights are fixed
                rest = np.setdiff1d(np.arange(fo), cols)
                W2 = o[ws2].reshape(fi2, fo2)
                Z2 = np.ascontiguousarray(W2[rest].T @ A1[rest] + o[bs2][:, None])
        return (np.ascontiguousarray(Y.T), np.array(self.sizes, np.int64),
                np.array([s.start for s in self._w_slices], np.int64),
                np.array([s.start for s in self._b_slices], np.int64),
                Z0, U, V, cols.astype(np.int64), A1, Z2, _ACT_CODES[self.activation], self.task == "regression")

    # -- second derivatives ------------------------------------------------------------
    def _hvp_block(self, P: np.ndarray, V: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """H·v for rows of P and V (both (B, d)): Pearlmutter's R-operator."""
        B = P.shape[0]
        m = X.shape[0]
        layers = self.unpack(P)
        vl = self.unpack(V)
        As, RAs, Zs, RZs, d1s, d2s = [X], [None], [], [], [], []
        A, RA = X, None
        for l, ((W, b), (VW, Vb)) in enumerate(zip(layers, vl)):
            Z = np.matmul(A, W) + b[:, None, :]
            RZ = np.matmul(A, VW) + Vb[:, None, :]
            if RA is not None:
                RZ += np.matmul(RA, W)
            if l == self.n_layers - 1:
                A, RA = Z, RZ
            else:
                s, d1, d2 = _act(self.activation, Z, 2)
                A, RA = s, d1 * RZ
                d1s.append(d1)
                d2s.append(d2)
                Zs.append(Z)
                RZs.append(RZ)
            As.append(A)
            RAs.append(RA)
        _, dl, ddl = self._loss_terms(A, Y, 2)
        delta = dl / m
        Rdelta = ddl * RA / m
        HV = np.empty((B, self.n_params))
        for l in range(self.n_layers - 1, -1, -1):
            W, _ = layers[l]
            VW, _ = vl[l]
            Ain, RAin = As[l], RAs[l]
            RgW = np.matmul(_T(Ain), Rdelta)
            if RAin is not None:
                RgW += np.matmul(_T(RAin), delta)
            HV[:, self._w_slices[l]] = RgW.reshape(B, -1)
            HV[:, self._b_slices[l]] = Rdelta.sum(axis=1)
            if l > 0:
                E = np.matmul(delta, _T(W))
                RE = np.matmul(Rdelta, _T(W)) + np.matmul(delta, _T(VW))
                Rdelta = RE * d1s[l - 1] + E * d2s[l - 1] * RZs[l - 1]
                delta = E * d1s[l - 1]
        return HV

    def hvp(self, P: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Exact Hessian-vector products H(θ)·v of the full-data loss; P (N, d), V (N, d)
        or (d,) -> (N, d)."""
        P = np.atleast_2d(np.asarray(P, float))
        V = np.broadcast_to(np.asarray(V, float), P.shape)
        X, Y = self._data(True)
        c = self._chunk(X.shape[0])
        out = np.empty(P.shape)
        for i in range(0, P.shape[0], c):
            out[i:i + c] = self._hvp_block(P[i:i + c], V[i:i + c], X, Y)
        return out

    def hess(self, P: np.ndarray) -> np.ndarray:
        """The exact Hessian (N, d, d) of the full-data loss: d Hessian-vector products per
        point (forward-over-reverse). Costs about d gradient evaluations per point."""
        P = np.atleast_2d(np.asarray(P, float))
        N, d = P.shape
        H = np.empty((N, d, d))
        eye = np.eye(d)
        for r in range(N):
            Pr = np.broadcast_to(P[r], (d, d))
            H[r] = self.hvp(Pr, eye)              # row k = H e_k
        return 0.5 * (H + _T(H))

    def directional_hessian(self, theta: np.ndarray, U: np.ndarray) -> np.ndarray:
        """U·H(θ)·Uᵀ, shape (N, k, k), for θ (N, d) and k directions U (k, d): exact, by
        forward-mode second-order Taylor propagation (see the module docstring); costs
        about k(k+3)/2 forward passes. The full-data loss."""
        theta = np.atleast_2d(np.asarray(theta, float))
        U = np.atleast_2d(np.asarray(U, float))
        X, Y = self._data(True)
        c = max(1, self._chunk(X.shape[0]) // max(1, U.shape[0] + 1))
        N, k = theta.shape[0], U.shape[0]
        out = np.empty((N, k, k))
        for i in range(0, N, c):
            out[i:i + c] = self._taylor_block(theta[i:i + c], U, X, Y)
        return out

    def _taylor_block(self, P, U, X, Y):
        N = P.shape[0]
        k = U.shape[0]
        m = X.shape[0]
        layers = self.unpack(P)
        dirs = self.unpack(U)                     # W (k, fi, fo), b (k, fo): shared by runs
        pairs = [(p, q) for p in range(k) for q in range(p, k)]
        A = X
        Au = [None] * k                           # first directional derivatives (N, m, h)
        Auv = {pq: None for pq in pairs}          # mixed second derivatives
        for l, (W, b) in enumerate(layers):
            Z = np.matmul(A, W) + b[:, None, :]
            Zu = []
            for p in range(k):
                Wp, bp = dirs[l][0][p], dirs[l][1][p]
                z = np.matmul(A, Wp) + bp         # A (N, m, fi) or (m, fi) times (fi, fo)
                if Au[p] is not None:
                    z = z + np.matmul(Au[p], W)
                Zu.append(np.broadcast_to(z, Z.shape))
            Zuv = {}
            for (p, q) in pairs:
                z = 0.0
                if Au[p] is not None:
                    z = np.matmul(Au[p], dirs[l][0][q]) + np.matmul(Au[q], dirs[l][0][p])
                    if Auv[(p, q)] is not None:
                        z = z + np.matmul(Auv[(p, q)], W)
                Zuv[(p, q)] = z
            if l == self.n_layers - 1:
                A, Au, Auv = Z, Zu, Zuv
            else:
                s, d1, d2 = _act(self.activation, Z, 2)
                A = s
                Auv = {(p, q): d2 * Zu[p] * Zu[q] + d1 * Zuv[(p, q)] for (p, q) in pairs}
                Au = [d1 * z for z in Zu]
        _, dl, ddl = self._loss_terms(A, Y, 2)
        out = np.empty((N, k, k))
        for (p, q) in pairs:
            t = ddl * Au[p] * Au[q] + dl * Auv[(p, q)]
            v = np.broadcast_to(t, A.shape).sum(axis=(1, 2)) / m
            out[:, p, q] = v
            out[:, q, p] = v
        return out

    # -- predictions -------------------------------------------------------------------
    def predict(self, theta, X) -> np.ndarray:
        """Network outputs for raw inputs X (m, n_inputs) (or (m,) for one input):
        regression -> predictions in the targets' units, shape (m,) (or (m, k)); for
        classification -> probability of class 1, shape (m,). θ (d,) gives that shape,
        θ (N, d) adds a leading N axis."""
        th = np.asarray(theta, float)
        single = th.ndim == 1
        P = np.atleast_2d(th)
        Xs = np.asarray(X, float)
        if Xs.ndim == 1:
            Xs = Xs.reshape(-1, 1) if self.sizes[0] == 1 else Xs.reshape(1, -1)
        Xs = (Xs - self.x_mean) / self.x_std
        A = Xs
        for l, (W, b) in enumerate(self.unpack(P)):
            Z = np.matmul(A, W) + b[:, None, :]
            A = Z if l == self.n_layers - 1 else _act(self.activation, Z)
        if self.task == "classification":
            out = _sigmoid(A[..., 0])
        else:
            out = A * self.y_std + self.y_mean
            if out.shape[-1] == 1:
                out = out[..., 0]
        return out[0] if single else out

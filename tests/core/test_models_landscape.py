"""2-D views of a network's loss: slices and planes (exact derivatives), PCA and random
directions (Li et al. 2018), grids with progress and cancellation."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.core.models.landscape import (
    PlaneObjective,
    SliceObjective,
    compute_landscape,
    pca_directions,
    project,
    random_directions,
)
from gdstudio.core.models.linreg import LinearRegressionObjective
from gdstudio.core.models.mlp import MLPObjective
from gdstudio.io.datasets import make_moons


@pytest.fixture(scope="module")
def net():
    X, y = make_moons(40, seed=0)
    return MLPObjective(X, y, hidden=(5, 4), activation="tanh", task="classification")


def fd_check(obj2, P2, h=1e-6):
    G = obj2.grad(P2)
    H = obj2.hess(P2)
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        np.testing.assert_allclose(G[:, k], (obj2.value(P2 + e) - obj2.value(P2 - e)) / (2 * h),
                                   rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(H[:, :, k], (obj2.grad(P2 + e) - obj2.grad(P2 - e)) / (2 * h),
                                   rtol=1e-4, atol=1e-7)


def test_slice_is_exact(net):
    theta = net.init_params(1, seed=3)[0]
    sl = SliceObjective(net, theta, "W1[0,1]", 7)
    assert sl.names == ("W1[0,1]", net.names[7]) and sl.dim == 2
    P2 = np.array([[0.1, -0.2], [1.0, 0.5], [theta[1], theta[7]]])
    full = np.tile(theta, (3, 1))
    full[:, 1], full[:, 7] = P2[:, 0], P2[:, 1]
    np.testing.assert_allclose(sl.value(P2), net.value(full))
    np.testing.assert_allclose(sl.grad(P2), net.grad(full)[:, [1, 7]])
    np.testing.assert_allclose(sl.hess(P2), net.hess(full)[:, [1, 7]][:, :, [1, 7]], rtol=1e-9, atol=1e-12)
    fd_check(sl, P2)
    (lo, hi), _ = sl.domain()
    assert lo < theta[1] < hi


def test_slice_of_objective_without_directional_hessian():
    x = np.linspace(0, 1, 20)
    lin = LinearRegressionObjective(x, 2 * x + 1 + np.sin(7 * x))
    sl = SliceObjective(lin, [0.0, 0.0], 1, 0)
    np.testing.assert_allclose(sl.hess(np.zeros((1, 2)))[0], lin.hessian()[::-1, ::-1])
    with pytest.raises(ValueError, match="two different"):
        SliceObjective(lin, [0, 0], 0, 0)
    with pytest.raises(ValueError, match="no parameter named 'c'"):
        SliceObjective(lin, [0, 0], "a", "c")


def test_plane_is_exact(net):
    rng = np.random.default_rng(0)
    theta = net.init_params(1, seed=1)[0]
    d1, d2 = rng.normal(size=(2, net.dim))
    pl = PlaneObjective(net, theta, d1, d2)
    assert pl.names == ("α", "β")
    P2 = np.array([[0.0, 0.0], [0.3, -0.2], [-0.5, 0.7]])
    np.testing.assert_allclose(pl.value(P2)[0], net.value(theta[None])[0])
    fd_check(pl, P2)
    D = np.vstack([d1, d2])
    P = theta + P2 @ D
    np.testing.assert_allclose(pl.hess(P2), np.einsum("kd,nde,le->nkl", D, net.hess(P), D), rtol=1e-9)


def test_pca_plane_contains_start_and_end():
    rng = np.random.default_rng(2)
    d = 30
    a, b = np.linalg.qr(rng.normal(size=(d, 2)))[0].T
    t = np.linspace(0, 1, 50)[:, None]
    end = rng.normal(size=d)
    # a curved path that lies (almost) in a plane through its end point
    traj = end + (1 - t) * 3 * a + (1 - t) ** 2 * 2 * b + 1e-6 * rng.normal(size=(50, d))
    d1, d2, expl = pca_directions(traj)
    assert expl.shape == (2,) and np.all((0 <= expl) & (expl <= 1))
    assert expl.sum() == pytest.approx(1.0, abs=1e-6)
    assert expl[0] >= expl[1]
    c = project(traj, traj[-1], d1, d2)
    assert c.shape == (50, 2)
    np.testing.assert_allclose(c[-1], 0.0, atol=1e-12)           # end projects to the origin
    rebuilt = traj[-1] + c[0, 0] * d1 + c[0, 1] * d2              # start is in the plane
    assert np.linalg.norm(rebuilt - traj[0]) < 1e-4 * np.linalg.norm(traj[0] - traj[-1])
    assert abs(d1 @ d2) < 1e-12 and np.linalg.norm(d1) == pytest.approx(1)


def test_pca_on_a_real_descent(net):
    P = net.init_params(1, seed=0)[0]
    path = [P]
    for _ in range(60):
        P = P - 0.5 * net.grad(P[None])[0]
        path.append(P)
    traj = np.array(path)
    d1, d2, expl = pca_directions(traj)
    assert 0 <= expl[1] <= expl[0] <= 1 and expl.sum() <= 1 + 1e-12
    pl = PlaneObjective(net, traj[-1], d1, d2)
    c = pl.coordinates(traj)
    np.testing.assert_allclose(c[-1], 0, atol=1e-12)
    # the loss at the projected end equals the real final loss
    assert pl.value(c[-1:])[0] == pytest.approx(net.value(traj[-1:])[0])


def test_pca_degenerate_paths():
    straight = np.outer(np.linspace(1, 0, 5), np.array([1.0, 2.0, 0.0]))
    d1, d2, expl = pca_directions(straight)
    np.testing.assert_allclose(expl, [1.0, 0.0], atol=1e-12)
    assert abs(d1 @ d2) < 1e-12
    still = np.ones((3, 4))
    d1, d2, expl = pca_directions(still)
    np.testing.assert_allclose(expl, 0.0)
    assert np.linalg.norm(d1) == pytest.approx(1) and abs(d1 @ d2) < 1e-12


def test_random_directions_filter_normalised(net):
    theta = net.init_params(1, seed=0)[0]
    theta[net._b_slices[0]] = 0.3
    d1, d2 = random_directions(net, theta, seed=5)
    again = random_directions(net, theta, seed=5)
    np.testing.assert_array_equal(d1, again[0])
    assert not np.allclose(d1, d2)
    for ws, shape, bs in net.layer_groups():
        W = d1[ws].reshape(shape)
        T = theta[ws].reshape(shape)
        np.testing.assert_allclose(np.linalg.norm(W, axis=0), np.linalg.norm(T, axis=0), rtol=1e-9)
        np.testing.assert_array_equal(d1[bs], 0.0)                 # biases ignored
    k1, _ = random_directions(net, theta, seed=5, ignore_biases=False)
    np.testing.assert_array_equal(k1[net._b_slices[0]], 0.3)
    # the same from a list of shapes
    s1, _ = random_directions(net.layer_shapes, theta, seed=5)
    np.testing.assert_allclose(s1, d1)
    # no layer information: the whole vector is scaled to ‖θ‖
    w1, _ = random_directions(None, theta, seed=5)
    assert np.linalg.norm(w1) == pytest.approx(np.linalg.norm(theta))
    r1, _ = random_directions(net, theta, seed=5, filter_normalize=False)
    assert np.linalg.norm(r1) != pytest.approx(np.linalg.norm(d1))
    with pytest.raises(ValueError, match="layer shapes hold"):
        random_directions([(2, 2)], theta)


def test_compute_landscape_grid_progress_cancel(net):
    theta = net.init_params(1)[0]
    d1, d2 = random_directions(net, theta, seed=0)
    pl = PlaneObjective(net, theta, d1, d2)
    xs = np.linspace(-1, 1, 7)
    ys = np.linspace(-0.5, 0.5, 5)
    seen = []
    Z = compute_landscape(pl, xs, ys, progress=seen.append, block_points=10)
    assert Z.shape == (7, 5)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 4   # 2 rows per block
    i, j = 5, 1
    assert Z[i, j] == pytest.approx(pl.value(np.array([[xs[i], ys[j]]]))[0])   # indexing='ij'
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    assert compute_landscape(pl, xs, ys, cancel=cancel, block_points=5) is None
    Z1 = compute_landscape(pl, xs, ys)                  # one block
    np.testing.assert_allclose(Z1, Z)


def test_landscape_uses_full_data_under_minibatches():
    X, y = make_moons(40, seed=0)
    obj = MLPObjective(X, y, hidden=(3,), task="classification", batch_size=8)
    theta = obj.init_params(1)[0]
    sl = SliceObjective(obj, theta, 0, 1)
    assert callable(getattr(sl, "on_step", None))
    xs = np.linspace(-1, 1, 4)
    Z_full = compute_landscape(sl, xs, xs)
    sl.on_step(3)                                         # a mini-batch is active now
    np.testing.assert_allclose(compute_landscape(sl, xs, xs), Z_full)
    assert not np.allclose(sl.value(np.array([[0.2, 0.3]])), sl.full_value(np.array([[0.2, 0.3]])))


def test_landscape_of_linreg_and_timing_budget():
    x = np.linspace(0, 10, 30)
    lin = LinearRegressionObjective(x, 3 * x - 1)
    xs = np.linspace(0, 6, 11)
    ys = np.linspace(-5, 5, 13)
    Z = compute_landscape(lin, xs, ys)
    A, B = np.meshgrid(xs, ys, indexing="ij")
    np.testing.assert_allclose(Z, lin.value(np.column_stack([A.ravel(), B.ravel()])).reshape(11, 13))


@pytest.mark.parametrize("hidden", ["", "6", "5,4,3"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_network_planes_and_slices_match_the_generic_evaluation(hidden, activation, task):
    """A network's plane and slice landscapes (a compiled kernel when numba is installed) equal,
    to rounding, the network's own full-data value at θ0 + α·d1 + β·d2 point by point, with
    or without the kernel; and a value does not depend on the block it was computed in."""
    from gdstudio.core.models.mlp import use_compiled_planes

    X, y = make_moons(61, seed=2)
    if task == "regression":
        y = np.column_stack([np.sin(X[:, 0]), X[:, 1] ** 2]) if hidden == "5,4,3" else np.sin(X[:, 0]) + X[:, 1]
    obj = MLPObjective(X, y, hidden=hidden, activation=activation, task=task, batch_size=16)
    obj.on_step(2)                                        # landscapes use all the data anyway
    rng = np.random.default_rng(7)
    theta = obj.init_params(1, seed=1)[0] + 0.3 * rng.standard_normal(obj.dim)
    d1, d2 = rng.standard_normal((2, obj.dim))
    last = obj.dim - 1
    views = [PlaneObjective(obj, theta, d1, d2),
             SliceObjective(obj, theta, 0, 1),                # first-layer weights
             SliceObjective(obj, theta, last - 1, last),      # output layer
             SliceObjective(obj, theta, 2 if last > 2 else 0, last)]   # one of each
    xs = np.linspace(-2.5, 2.5, 6)
    ys = np.linspace(-1.0, 3.0, 5)
    A, B = np.meshgrid(xs, ys, indexing="ij")
    P2 = np.column_stack([A.ravel(), B.ravel()])
    for view in views:
        direct = np.array([obj.full_value(view.embed(p[None]))[0] for p in P2]).reshape(A.shape)
        if isinstance(view, PlaneObjective):                  # θ0 + α·d1 + β·d2 spelled out
            theta_ab = theta[None] + P2[:, :1] * d1[None] + P2[:, 1:] * d2[None]
            np.testing.assert_allclose(obj.full_value(theta_ab).reshape(A.shape), direct, rtol=1e-13)
        Z = compute_landscape(view, xs, ys, block_points=10)
        np.testing.assert_allclose(Z, direct, rtol=1e-12, atol=0)
        assert np.array_equal(compute_landscape(view, xs, ys, block_points=4), Z)
        np.testing.assert_allclose(view.full_value(P2), direct.ravel(), rtol=1e-12, atol=0)
        use_compiled_planes(False)
        try:
            np.testing.assert_allclose(compute_landscape(view, xs, ys), direct, rtol=1e-12, atol=0)
        finally:
            use_compiled_planes(True)


def test_compiled_tanh_is_within_a_few_ulp_of_numpy():
    pytest.importorskip("numba")
    from gdstudio.core.models._mlp_kernel import tanh_array

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(20000) * s for s in (1e-3, 0.1, 0.5, 1.0, 3.0, 10.0)]
                       + [np.linspace(-25, 25, 20001), [0.0, 1e-300, -1e-310, 0.173, 0.5493, 19.06, 19.07]])
    out = np.empty_like(x)
    tanh_array(x, out)
    ref = np.tanh(x)
    assert np.all(np.abs(out - ref) <= 4 * np.spacing(np.abs(ref)))
    special = np.array([np.inf, -np.inf, np.nan, 40.0, -800.0])
    tanh_array(special, out[:5])
    assert out[0] == 1.0 and out[1] == -1.0 and np.isnan(out[2]) and out[3] == 1.0 and out[4] == -1.0


def test_the_plane_kernel_can_be_compiled_in_another_process_and_only_loaded_here(tmp_path):
    """What the window does at start-up: numba's compile would hold its interpreter lock for
    seconds, so the kernel is compiled by a separate process and this one loads it from the
    disk cache. Run in a fresh process with an empty cache: a compile here would be a miss."""
    import os
    import subprocess
    import sys

    pytest.importorskip("numba")
    code = (
        "from gdstudio.core.models import mlp\n"
        "mlp.use_compiled_planes(False)\n"
        "assert mlp._plane_kernel() is None\n"
        "assert mlp.prepare_compiled_planes()\n"
        "k = mlp._plane_kernel()\n"
        "assert not k.stats.cache_misses and sum(k.stats.cache_hits.values()) == 1, k.stats\n"
        "print('loaded')\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "loaded", done.stderr[-2000:]

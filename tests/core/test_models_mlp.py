"""The network objective: backprop gradients, exact Hessians (R-operator and forward Taylor)
against finite differences (tests only), initialisation, mini-batches, predictions."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.core.models.mlp import MLPObjective, parse_hidden
from gdstudio.io.datasets import make_moons, make_sine, make_xor


def fd_grad(obj, P, h=1e-6):
    E = np.eye(obj.dim)
    return np.stack([(obj.value(P + h * E[k]) - obj.value(P - h * E[k])) / (2 * h)
                     for k in range(obj.dim)], axis=1)


def fd_hess(obj, P, h=1e-5):
    E = np.eye(obj.dim)
    return np.stack([(obj.grad(P + h * E[k]) - obj.grad(P - h * E[k])) / (2 * h)
                     for k in range(obj.dim)], axis=1)


def small(task, act, multi=False):
    if task == "regression":
        X, y = make_sine(15, seed=2)
        if multi:
            y = np.column_stack([y, np.cos(X[:, 0])])
    else:
        X, y = make_moons(16, seed=2)
    return MLPObjective(X, y, hidden=(4, 3), activation=act, task=task)


CASES = [(t, a) for t in ("regression", "classification") for a in ("sigmoid", "tanh", "relu")]


@pytest.mark.parametrize("task,act", CASES)
def test_backprop_matches_finite_differences(task, act):
    obj = small(task, act)
    rng = np.random.default_rng(0)
    P = obj.init_params(3, seed=1) + 0.3 * rng.normal(size=(3, obj.dim))
    f, G = obj.value_and_grad(P)
    assert f.shape == (3,) and G.shape == (3, obj.dim)
    np.testing.assert_allclose(G, fd_grad(obj, P), rtol=1e-5, atol=1e-8)
    # the (d, N) hot path agrees
    fT, GT = obj.value_and_grad_T(np.ascontiguousarray(P.T))
    np.testing.assert_allclose(fT, f)
    np.testing.assert_allclose(GT.T, G)
    np.testing.assert_allclose(obj.value(P), f)


def test_multi_output_regression_gradient():
    obj = small("regression", "tanh", multi=True)
    P = obj.init_params(2, seed=5)
    np.testing.assert_allclose(obj.grad(P), fd_grad(obj, P), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("task,act", CASES)
def test_exact_hessians_match_finite_differences(task, act):
    obj = small(task, act)
    rng = np.random.default_rng(3)
    P = obj.init_params(2, seed=4) + 0.3 * rng.normal(size=(2, obj.dim))
    H = obj.hess(P)
    assert H.shape == (2, obj.dim, obj.dim)
    Hfd = fd_hess(obj, P)
    scale = np.abs(H).max()
    np.testing.assert_allclose(H, Hfd, atol=1e-6 * scale)
    U = rng.normal(size=(3, obj.dim))
    DH = obj.directional_hessian(P, U)
    assert DH.shape == (2, 3, 3)
    np.testing.assert_allclose(DH, np.einsum("kd,nde,le->nkl", U, H, U), rtol=1e-9, atol=1e-12 * scale)
    # finite differences of the gradient along the directions, directly
    h = 1e-5
    for p in range(3):
        gp = (obj.grad(P + h * U[p]) - obj.grad(P - h * U[p])) / (2 * h)
        np.testing.assert_allclose(DH[:, p, :], gp @ U.T, rtol=1e-5, atol=1e-7 * np.abs(DH).max())


def test_no_hidden_layer_is_logistic_regression():
    X, y = make_xor(40, seed=1)
    obj = MLPObjective(X, y, hidden=(), task="classification")
    assert obj.names == ("W1[0,0]", "W1[1,0]", "b1[0]")
    P = np.array([[0.3, -0.7, 0.1]])
    z = X @ P[0, :2] + P[0, 2]
    p = 1 / (1 + np.exp(-z))
    ce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert obj.value(P)[0] == pytest.approx(ce, rel=1e-12)
    np.testing.assert_allclose(obj.grad(P)[0], np.r_[X.T @ (p - y), np.sum(p - y)] / len(y), rtol=1e-10)
    np.testing.assert_allclose(obj.predict(P[0], X), p, rtol=1e-12)


def test_stable_cross_entropy_for_huge_logits():
    X = np.array([[1.0], [-1.0]])
    obj = MLPObjective(X, [1, 0], hidden=(), task="classification")
    f, G = obj.value_and_grad(np.array([[1000.0, 0.0], [-1000.0, 0.0]]))
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(G))
    assert f[0] == pytest.approx(0.0, abs=1e-300)
    assert f[1] == pytest.approx(1000.0)


def test_names_shapes_and_init():
    X, y = make_moons(50)
    obj = MLPObjective(X, y, hidden=(16, 16), activation="tanh", task="classification")
    assert obj.dim == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert obj.names[:3] == ("W1[0,0]", "W1[0,1]", "W1[0,2]")
    assert obj.names[32] == "b1[0]" and obj.names[-1] == "b3[0]"
    P = obj.init_params(4, seed=7)
    assert P.shape == (4, 337)
    np.testing.assert_array_equal(P, obj.init_params(4, seed=7))
    assert not np.array_equal(P, obj.init_params(4, seed=8))
    layers = obj.unpack(P)
    lim = np.sqrt(6 / (16 + 16))
    assert np.abs(layers[1][0]).max() <= lim and np.abs(layers[1][0]).max() > 0.8 * lim
    assert all(np.all(b == 0) for _, b in layers)
    np.testing.assert_array_equal(obj.pack(layers), P)
    relu = MLPObjective(X, y, hidden=(200,), activation="relu", task="classification")
    W1 = relu.unpack(relu.init_params(1, seed=0))[0][0]
    assert np.std(W1) == pytest.approx(np.sqrt(2 / 2), rel=0.15)     # He: var 2/fan_in


def test_minibatches_are_seeded_and_cover_each_epoch():
    X, y = make_moons(50)
    obj = MLPObjective(X, y, hidden=(3,), task="classification", batch_size=16, seed=4)
    assert obj.batches_per_epoch == 4
    epoch0 = np.concatenate([obj.batch_indices(s) for s in range(4)])
    assert sorted(epoch0.tolist()) == list(range(50))
    epoch1 = np.concatenate([obj.batch_indices(s) for s in range(4, 8)])
    assert sorted(epoch1.tolist()) == list(range(50))
    assert not np.array_equal(obj.batch_indices(0), obj.batch_indices(4))   # reshuffled
    again = MLPObjective(X, y, hidden=(3,), task="classification", batch_size=16, seed=4)
    np.testing.assert_array_equal(again.batch_indices(5), obj.batch_indices(5))
    P = obj.init_params(2)
    full = obj.value(P)
    obj.on_step(1)
    batch = obj.value(P)
    idx = obj.batch_indices(1)
    sub = MLPObjective(X[idx], y[idx], hidden=(3,), task="classification")
    np.testing.assert_allclose(batch, sub.value(P))
    np.testing.assert_allclose(obj.grad(P), sub.grad(P))
    np.testing.assert_allclose(obj.full_value(P), full)        # landscapes: all the data
    obj.on_step(None)
    np.testing.assert_allclose(obj.value(P), full)


def test_minibatch_descent_is_reproducible():
    BatchDescent = pytest.importorskip("gdstudio.core.runner").BatchDescent
    X, y = make_moons(60)
    paths = []
    for _ in range(2):
        obj = MLPObjective(X, y, hidden=(4,), task="classification", batch_size=10, seed=1)
        run = BatchDescent(obj, obj.init_params(3), optimizer="gd", lr=0.5, max_steps=40, tol=0)
        chunks = [run.advance(13), run.advance(27)]
        paths.append(np.concatenate([c.points for c in chunks]))
    np.testing.assert_array_equal(paths[0], paths[1])


def test_full_batch_training_learns_moons():
    X, y = make_moons(100, noise=0.1, seed=0)
    obj = MLPObjective(X, y, hidden=(8,), activation="tanh", task="classification")
    P = obj.init_params(1, seed=0)
    f0 = obj.value(P)[0]
    m = np.zeros_like(P)
    for _ in range(400):                       # plain momentum
        m = 0.9 * m + obj.grad(P)
        P = P - 0.2 * m
    assert obj.value(P)[0] < 0.5 * f0
    acc = np.mean((obj.predict(P[0], X) > 0.5) == (y == 1))
    assert acc > 0.9


def test_scaled_regression_predicts_in_original_units():
    X, y = make_sine(40, seed=1)
    obj = MLPObjective(X * 1000 + 5, y * 50 + 7, hidden=(5,), scale="standard")
    np.testing.assert_allclose(obj.X.mean(axis=0), 0, atol=1e-12)
    P = obj.init_params(2)
    out = obj.predict(P, X[:7] * 1000 + 5)
    assert out.shape == (2, 7)
    # predicted (scaled) output, unscaled by hand
    raw = MLPObjective(obj.X, obj.Y, hidden=(5,))
    np.testing.assert_allclose(out, raw.predict(P, obj.X[:7]) * obj.y_std[0] + obj.y_mean[0])
    assert obj.predict(P[0], X[:7] * 1000 + 5).shape == (7,)


def test_chunking_over_many_runs_is_transparent(monkeypatch):
    import gdstudio.core.models.mlp as mlp

    X, y = make_moons(30)
    obj = MLPObjective(X, y, hidden=(6,), task="classification")
    P = obj.init_params(40)
    f, G = obj.value_and_grad(P)
    monkeypatch.setattr(mlp, "_BUDGET", 200)          # force many small chunks
    f2, G2 = obj.value_and_grad(P)
    np.testing.assert_allclose(f2, f)
    np.testing.assert_allclose(G2, G)
    np.testing.assert_allclose(obj.full_value(P), f)
    np.testing.assert_allclose(obj.hvp(P, P), np.stack([obj.hess(P[i:i + 1])[0] @ P[i] for i in range(40)]),
                               rtol=1e-8, atol=1e-12)


def test_parse_hidden_and_bad_specs():
    assert parse_hidden((8, 8)) == (8, 8)
    assert parse_hidden("16,16") == (16, 16)
    assert parse_hidden("8x4") == (8, 4)
    assert parse_hidden(" 3 ") == (3,)
    assert parse_hidden("") == ()
    assert parse_hidden(5) == (5,)
    for bad in ("8,a", "0", "-3", "2.5", (8, 0), "8,,y", "1e9"):
        with pytest.raises(ValueError, match="bad hidden-layer sizes"):
            parse_hidden(bad)
    X, y = make_xor(20)
    with pytest.raises(ValueError, match="unknown activation 'softmax'; choose one of: sigmoid, tanh, relu"):
        MLPObjective(X, y, activation="softmax")
    with pytest.raises(ValueError, match="unknown task"):
        MLPObjective(X, y, task="ranking")
    with pytest.raises(ValueError, match="classification targets must be 0 or 1"):
        MLPObjective(X, y * 3, task="classification")
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        MLPObjective(X, y, batch_size=0)

"""Each optimizer's first steps against values worked out by hand from its formula
(f = x² + 3y², ∇f = (2x, 6y), start (1, 1))."""

import math

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.core.optimizers import make_optimizer

from ._bowl import Bowl

SQ = math.sqrt


def first_two_steps(optimizer, lr, batch, **hyper):
    # batch=True forces the vectorised runner (5 identical runs); False the scalar loop
    starts = [(1.0, 1.0)] * (5 if batch else 1)
    r = descend(Bowl(), starts, optimizer=optimizer, lr=lr, steps=2, tol=0, **hyper)
    return r.trajectories[0]


HAND = {
    # p1 = p0 - lr*g0 ; p2 = p1 - lr*g1
    ("gd", 0.1, ()): [(0.8, 0.4), (0.64, 0.16)],
    # b1 = g0 = (2, 6); p1 = (0.8, 0.4); g1 = (1.6, 2.4); b2 = 0.9*b1 + g1 = (3.4, 7.8)
    ("momentum", 0.1, (("momentum", 0.9),)): [(0.8, 0.4), (0.8 - 0.34, 0.4 - 0.78)],
    # b1 = (2, 6); p1 = p0 - lr*(g0 + 0.9*b1) = (1 - 0.38, 1 - 1.14)
    # g1 = (1.24, -0.84); b2 = 0.9*(2, 6) + g1 = (3.04, 4.56); p2 = p1 - lr*(g1 + 0.9*b2)
    ("nesterov", 0.1, (("momentum", 0.9),)): [
        (0.62, -0.14),
        (0.62 - 0.1 * (1.24 + 0.9 * 3.04), -0.14 - 0.1 * (-0.84 + 0.9 * 4.56)),
    ],
    # s1 = g0² = (4, 36); p1 = p0 - lr*g0/(√s1 + ε) ; g1 = 2*p1.. ; s2 = s1 + g1²
    ("adagrad", 0.1, (("eps", 1e-10),)): [
        (1 - 0.1 * 2 / (2 + 1e-10), 1 - 0.1 * 6 / (6 + 1e-10)),
        None,  # second step computed below from p1 (depends on the exact p1)
    ],
    # v1 = 0.01*g0² = (0.04, 0.36); p1 = p0 - lr*g0/(√v1 + ε) = 1 - 0.01*2/0.2 = 0.9
    ("rmsprop", 0.01, (("alpha", 0.99), ("eps", 1e-8))): [
        (1 - 0.01 * 2 / (0.2 + 1e-8), 1 - 0.01 * 6 / (0.6 + 1e-8)),
        None,
    ],
    # step 1: m̂ = g, v̂ = g², p1 = 1 - 0.1*g/(|g| + ε) ≈ 0.9
    ("adam", 0.1, (("betas", (0.9, 0.999)), ("eps", 1e-8))): [
        (1 - 0.1 * 2 / (2 + 1e-8), 1 - 0.1 * 6 / (6 + 1e-8)),
        None,
    ],
}


def second_step_by_hand(name, p1):
    x1, y1 = p1
    g0 = (2.0, 6.0)
    g1 = (2 * x1, 6 * y1)
    out = []
    for a, b, p in zip(g0, g1, p1):
        if name == "adagrad":
            s2 = a * a + b * b
            out.append(p - 0.1 * b / (SQ(s2) + 1e-10))
        elif name == "rmsprop":
            v2 = 0.99 * (0.01 * a * a) + 0.01 * b * b
            out.append(p - 0.01 * b / (SQ(v2) + 1e-8))
        elif name == "adam":
            m2 = 0.9 * (0.1 * a) + 0.1 * b
            v2 = 0.999 * (0.001 * a * a) + 0.001 * b * b
            mhat, vhat = m2 / (1 - 0.9**2), v2 / (1 - 0.999**2)
            out.append(p - 0.1 * mhat / (SQ(vhat) + 1e-8))
    return tuple(out)


@pytest.mark.parametrize("batch", [False, True], ids=["scalar-path", "batch-path"])
@pytest.mark.parametrize("key", list(HAND), ids=[k[0] for k in HAND])
def test_first_steps_match_hand_computation(key, batch):
    name, lr, hyper = key
    traj = first_two_steps(name, lr, batch, **dict(hyper))
    p1_expected, p2_expected = HAND[key]
    np.testing.assert_allclose(traj[0], (1.0, 1.0))
    np.testing.assert_allclose(traj[1], p1_expected, rtol=1e-12, atol=1e-14)
    if p2_expected is None:
        p2_expected = second_step_by_hand(name, tuple(traj[1]))
    np.testing.assert_allclose(traj[2], p2_expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_scalar_and_batch_paths_agree_bit_for_bit(name):
    one = descend(Bowl(), [(1.3, -0.7)], optimizer=name, lr=0.05, steps=300, tol=0)
    many = descend(Bowl(), [(1.3, -0.7)] * 6, optimizer=name, lr=0.05, steps=300, tol=0)
    assert np.array_equal(one.trajectories[0], many.trajectories[3])


@pytest.mark.parametrize(
    "name, hyper, message",
    [
        ("adam", {"betas": (1.0, 0.999)}, "beta parameter 1"),
        ("adam", {"betas": (0.9, -0.1)}, "beta parameter 2"),
        ("momentum", {"momentum": 1.5}, "momentum"),
        ("rmsprop", {"alpha": 2.0}, "alpha"),
        ("adam", {"eps": -1.0}, "epsilon"),
        ("gd", {"momentum": 0.9}, "gd has no hyper-parameter 'momentum'"),
        ("sgdx", {}, "unknown optimizer 'sgdx'"),
    ],
)
def test_invalid_hyper_parameters_are_refused_clearly(name, hyper, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(name, **hyper)


def test_negative_learning_rate_is_refused():
    with pytest.raises(ValueError, match="invalid learning rate"):
        descend(Bowl(), [(1, 1)], lr=-0.1)


def test_matches_torch_optim_when_torch_is_installed():
    torch = pytest.importorskip("torch", reason="torch is optional (pip install '.[bench]')")
    for name, make in {
        "gd": lambda p: torch.optim.SGD([p], lr=0.05),
        "momentum": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.9),
        "nesterov": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.9, nesterov=True),
        "adagrad": lambda p: torch.optim.Adagrad([p], lr=0.05),
        "rmsprop": lambda p: torch.optim.RMSprop([p], lr=0.05),
        "adam": lambda p: torch.optim.Adam([p], lr=0.05),
    }.items():
        p = torch.tensor([1.3, -0.7], dtype=torch.float64, requires_grad=True)
        opt = make(p)
        ours = descend(Bowl(), [(1.3, -0.7)], optimizer=name, lr=0.05, steps=200, tol=0).trajectories[0]
        for t in range(1, 201):
            opt.zero_grad()
            (p[0] ** 2 + 3 * p[1] ** 2).backward()
            opt.step()
            np.testing.assert_allclose(ours[t], p.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=f"{name} step {t}")


def test_each_optimizer_is_one_record_with_its_formula():
    from gdstudio.core import optimizers as O

    for name in O.OPTIMIZERS:
        rec = O.spec(name)
        assert "←" in rec.formula  # the update rule is stated as a formula
        assert O.DEFAULT_LR[name] == rec.default_lr
        assert O.HYPER_DEFAULTS[name] == {h.name: h.default for h in rec.hyper}
        opt = make_optimizer(name)
        assert opt.float_update is rec.update and opt.state_names == rec.state
        # the rule is a plain function (no exec'd source): its source is readable; a
        # whole-vector rule (Newton's, which needs the Hessian) is its in-place function
        if rec.per_coordinate:
            assert f"def {rec.update.__name__}(" in rec.update_source
        else:
            assert rec.update is None and rec.uses_objective and callable(rec.update_inplace)


def _sign_update(p, g, lr, _):
    """p ← p − lr·sign(g)"""
    return (p + (-lr) * (1.0 if g > 0 else (-1.0 if g < 0 else 0.0)),)


def _sign_inplace(p, g, buf, out, lr, _):
    np.sign(g, out=buf)
    buf *= -lr
    return np.add(p, buf, out=out)


def test_a_new_optimizer_is_registered_as_one_record(monkeypatch):
    from gdstudio.core import optimizers as O

    monkeypatch.setattr(O, "_REGISTRY", dict(O._REGISTRY))
    monkeypatch.setattr(O, "DEFAULT_LR", dict(O.DEFAULT_LR))
    monkeypatch.setattr(O, "HYPER_DEFAULTS", dict(O.HYPER_DEFAULTS))
    monkeypatch.setattr(O, "STATE_NAMES", dict(O.STATE_NAMES))
    monkeypatch.setattr(O, "OPTIMIZERS", O.OPTIMIZERS)
    O.register(O.OptimizerSpec("signgd", "Sign descent", 0.01, (), (), _sign_update, _sign_inplace))
    assert "signgd" in O.OPTIMIZERS
    one = descend(Bowl(), [(1.0, -0.5)], optimizer="signgd", lr=0.1, steps=3, tol=0)
    many = descend(Bowl(), [(1.0, -0.5)] * 6, optimizer="signgd", lr=0.1, steps=3, tol=0)
    np.testing.assert_allclose(one.trajectories[0][3], (0.7, -0.2), rtol=1e-12)
    assert np.array_equal(one.trajectories[0], many.trajectories[5])
    with pytest.raises(ValueError, match="already registered"):
        O.register(O.spec("signgd"))


def _normalized_inplace(objective, p, g, buf, out, lr, _):
    """p ← p − lr·g/‖g‖ (a whole-vector rule: it needs every coordinate of g at once)"""
    norm = np.sqrt(np.einsum("dn,dn->n", g, g))
    np.divide(g, np.where(norm > 0, norm, 1.0), out=buf)
    buf *= -lr
    return np.add(p, buf, out=out)


def test_a_rule_that_needs_more_than_one_coordinate_is_one_record_too(monkeypatch):
    from gdstudio.core import optimizers as O

    monkeypatch.setattr(O, "_REGISTRY", dict(O._REGISTRY))
    monkeypatch.setattr(O, "DEFAULT_LR", dict(O.DEFAULT_LR))
    monkeypatch.setattr(O, "HYPER_DEFAULTS", dict(O.HYPER_DEFAULTS))
    monkeypatch.setattr(O, "STATE_NAMES", dict(O.STATE_NAMES))
    monkeypatch.setattr(O, "OPTIMIZERS", O.OPTIMIZERS)
    O.register(O.OptimizerSpec("normalized", "Normalized GD", 0.1, (), (), None, _normalized_inplace,
                               uses_objective=True))
    assert not O.spec("normalized").per_coordinate and "‖g‖" in O.spec("normalized").formula
    r = descend(Bowl(), [(3.0, 4.0)], optimizer="normalized", lr=0.5, steps=1, tol=0)
    # g = (6, 24): one step of length 0.5 against it
    np.testing.assert_allclose(r.trajectories[0][1], np.array([3.0, 4.0]) - 0.5 * np.array([6, 24]) / np.hypot(6, 24))

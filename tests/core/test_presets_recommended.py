"""Every preset at the settings it arrives with does what it is there to show.

From 200 Sobol starts over the preset's domain, at its recommended optimizer, rate, steps and
tolerance: no run diverges and at least three quarters converge. Ackley's minimum is a cone
tip, where the gradient never becomes small, so there a run may instead end at max steps next
to a minimum. The two saddles are unbounded below (almost every start slides away forever),
so there the recommended start itself must show the saddle. Beale is not coercive: from the
left of its domain f falls towards ≈0.45 along a valley y ≈ 1 − 0.99/x running off to x → −∞,
so there the runs that do not converge must be the ones following that valley.
"""

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.core.presets import PRESETS
from gdstudio.core.starts import sobol_starts

UNBOUNDED = {"saddle", "monkey_saddle"}


def _run(preset, starts, record=False):
    rec = preset.recommended
    return descend(preset.name, starts, optimizer=rec.optimizer, lr=rec.lr, steps=rec.steps,
                   tol=rec.tol, record=record, **dict(rec.hyper))


@pytest.mark.parametrize("name", sorted(set(PRESETS) - UNBOUNDED))
def test_recommended_settings_converge_from_sobol_starts(name):
    p = PRESETS[name]
    r = _run(p, sobol_starts(200, p.domain, seed=0))
    status = np.array(r.status)
    assert not (status == "diverged").any(), f"{name}: {np.sum(status == 'diverged')} runs diverged"
    done = status == "converged"
    if name == "ackley":
        # a cone tip: runs stop next to a minimum with the gradient still of order one
        known = np.array([(k.x, k.y) for k in p.minima])
        near_tip = np.linalg.norm(r.final_points[:, None] - known[None], axis=2).min(axis=1) < 0.05
        lattice = np.abs(r.final_points - np.round(r.final_points)).max(axis=1) < 0.05
        done |= (status == "max_steps") & (near_tip | lattice)
    if name == "beale":
        X = r.final_points
        escaping = (status == "max_steps") & (X[:, 0] < -1) & (np.abs(X[:, 1] - 1) < 0.5)
        assert np.all(r.values[escaping] > 0.45)  # still above the valley's limit
        assert done.mean() >= 0.5
        done |= escaping
    assert done.mean() >= 0.75, f"{name}: only {done.mean():.0%} converged"


@pytest.mark.parametrize("name", sorted(UNBOUNDED))
def test_the_saddles_recommended_start_stops_on_the_saddle(name):
    p = PRESETS[name]
    r = _run(p, p.recommended.start_points(p.domain))
    assert r.status == ["converged"]
    assert np.linalg.norm(r.final_points[0]) < 1e-3
    assert r.critical == [{"saddle": "saddle", "monkey_saddle": "degenerate"}[name]]


def test_every_preset_arrives_with_settings_and_says_what_they_show():
    from gdstudio.core.optimizers import OPTIMIZERS

    for p in PRESETS.values():
        rec = p.recommended
        assert rec is not None and rec.optimizer in OPTIMIZERS and rec.lr > 0 and rec.shows
        S = rec.start_points(p.domain)
        (x0, x1), (y0, y1) = p.domain
        assert len(S) >= 1 and ((S[:, 0] >= x0) & (S[:, 0] <= x1) & (S[:, 1] >= y0) & (S[:, 1] <= y1)).all()


def test_the_recommended_runs_show_what_the_preset_shows():
    # two minima: the right start ends in the worse minimum, the left one in the global one
    p = PRESETS["two_minima"]
    r = _run(p, p.recommended.start_points(p.domain))
    assert r.status == ["converged", "converged"]
    assert r.final_points[0, 0] == pytest.approx(p.points[1].x, abs=1e-4)
    assert r.final_points[1, 0] == pytest.approx(p.points[0].x, abs=1e-4)
    # Rosenbrock arrives at (1, 1), having followed the valley y ≈ x² most of the way
    p = PRESETS["rosenbrock"]
    r = _run(p, p.recommended.start_points(p.domain), record=True)
    assert r.status == ["converged"] and np.allclose(r.final_points[0], (1, 1), atol=1e-3)
    T = r.trajectories[0]
    in_valley = np.abs(T[:, 1] - T[:, 0] ** 2) < 0.1
    assert in_valley.mean() > 0.9 and len(T) > 1000  # it crawls
    # Rastrigin: random starts settle in local minima, most of them not the global one
    p = PRESETS["rastrigin"]
    r = _run(p, p.recommended.start_points(p.domain))
    assert all(s == "converged" for s in r.status) and set(r.critical) == {"minimum"}
    assert np.mean(np.linalg.norm(r.final_points, axis=1) > 0.5) > 0.9


def test_docs_show_every_presets_recommended_settings():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "presets.md").read_text(encoding="utf-8")
    for p in PRESETS.values():
        assert f"**Recommended settings:** {p.recommended.describe()}." in doc, p.name

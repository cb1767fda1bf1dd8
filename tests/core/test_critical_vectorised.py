"""The vectorised classification and grouping give exactly what the one-run-at-a-time rules
give (kept here as the reference)."""

from __future__ import annotations

import numpy as np

from gdstudio.core.critical import _greedy_groups, classify_hessians


def _kinds_one_by_one(H, gn):
    kinds, eig = [], []
    for h, g in zip(H, gn):
        if not np.isfinite(h).all():
            kinds.append("unknown")
            eig.append(np.full(h.shape[0], np.nan))
            continue
        lam = np.linalg.eigvalsh((h + h.T) / 2)
        zeta = max(1e-9 * (1 + np.abs(lam).max()), 10 * np.sqrt(np.nan_to_num(g, nan=np.inf)))
        pos, neg = lam > zeta, lam < -zeta
        kinds.append("minimum" if pos.all() else "maximum" if neg.all()
                     else "saddle" if pos.any() and neg.any() else "degenerate")
        eig.append(lam)
    return kinds, np.array(eig)


def _greedy_one_by_one(Q, radius):
    reps, members = [], []
    for i, q in enumerate(Q):
        if reps:
            dist = np.sqrt(((Q[reps] - q) ** 2).sum(axis=1))
            j = int(np.argmin(dist))
            if dist[j] * dist[j] <= radius * radius:
                members[j].append(i)
                continue
        reps.append(i)
        members.append([i])
    return reps, members


def test_classify_hessians_matches_the_rule_run_by_run():
    rng = np.random.default_rng(5)
    for d in (1, 2, 3):
        n = 3000
        A = rng.normal(size=(n, d, d))
        H = A + np.swapaxes(A, 1, 2)
        H[::7] = np.einsum("nij,nkj->nik", A[::7], A[::7])  # positive semi-definite: minima
        H[::11] *= -1
        H[5, 0, 0] = np.nan
        H[9] = 0.0  # degenerate
        gn = np.abs(rng.normal(size=n)) * 10.0 ** rng.integers(-12, 0, n)
        gn[13] = np.nan
        kinds, eig = classify_hessians(H, gn)
        want, want_eig = _kinds_one_by_one(H, gn)
        assert kinds == want
        np.testing.assert_array_equal(eig, want_eig)
        assert {"minimum", "maximum", "saddle", "degenerate", "unknown"} <= set(kinds) or d == 1


def test_grouping_matches_the_greedy_pass():
    rng = np.random.default_rng(8)
    centres = rng.uniform(-3, 3, (40, 2))
    Q = centres[rng.integers(0, 40, 5000)] + rng.normal(scale=0.004, size=(5000, 2))
    Q = np.vstack([Q, rng.uniform(-3, 3, (300, 2))])  # scattered singletons
    Q = Q[rng.permutation(len(Q))]
    for radius in (0.0085, 0.02, 0.5):
        reps, owner = _greedy_groups(Q, radius)
        want_reps, want_members = _greedy_one_by_one(Q, radius)
        assert reps.tolist() == want_reps
        members = [np.flatnonzero(owner == k).tolist() for k in range(len(reps))]
        assert members == want_members

"""The status enum and the stopping rules: one definition, the same verdicts on every path."""

import numpy as np
import pytest

from gdstudio import descend
from gdstudio.core.critical import critical_candidates
from gdstudio.core.status import CONVERGED, DIVERGED, MAX_STEPS, RUNNING, SINGULAR, STATUS_KEYS, Status
from gdstudio.core.stopping import (
    batch_after_step,
    divergence_limits,
    float_after_step,
    kernel_after_step,
)

from ._bowl import Bowl


def test_status_codes_names_and_messages():
    assert [int(s) for s in Status] == [RUNNING, CONVERGED, DIVERGED, MAX_STEPS, SINGULAR] == [0, 1, 2, 3, 4]
    assert STATUS_KEYS == ("running", "converged", "diverged", "max_steps", "singular")
    assert Status.MAX_STEPS.label == "max steps"
    assert Status.from_key("diverged") is Status.DIVERGED
    assert all(s.message.endswith(".") for s in Status)
    with pytest.raises(ValueError, match="unknown status"):
        Status.from_key("stuck")


@pytest.mark.parametrize(
    "x, g, t, expected",
    [
        ((500.0, 0.0), (1.0, 1.0), 3, DIVERGED),  # beyond 100 domain widths
        ((0.5, 0.5), (1e-7, 0.0), 3, CONVERGED),
        ((0.5, 0.5), (1.0, 0.0), 10, MAX_STEPS),
        ((0.5, 0.5), (1.0, 0.0), 3, RUNNING),
        ((500.0, 0.0), (0.0, 0.0), 10, DIVERGED),  # divergence wins over the other two
    ],
)
def test_float_and_batch_rules_agree(x, g, t, expected):
    lo, hi = divergence_limits(((-1.0, 1.0), (-2.0, 2.0)))
    assert float_after_step(x, g, t, lo, hi, 1e-12, 10) == expected
    status = np.array([RUNNING], np.int8)
    X = np.array(x, float)[:, None]
    G = np.array(g, float)[:, None]
    batch_after_step(status, np.array([True]), X, (G * G).sum(axis=0), t, lo[:, None], hi[:, None], 1e-12, 10)
    assert status[0] == expected


def test_kernel_source_uses_the_status_codes():
    src = "\n".join(kernel_after_step(["p0", "p1"], ["h0", "h1"], ""))
    assert f"status[i] = {DIVERGED}" in src and f"status[i] = {CONVERGED}" in src
    assert f"status[i] = {MAX_STEPS}" in src


def test_critical_candidates_one_rule():
    status = np.array([CONVERGED, MAX_STEPS, MAX_STEPS, DIVERGED, RUNNING])
    gn = np.array([1e-3, 1e-6, 1e-2, 0.0, 0.0])
    # converged always; out of steps only on a critical point; diverged or running never
    assert critical_candidates(status, gn).tolist() == [True, True, False, False, False]


def test_descend_result_carries_the_status_keys():
    r = descend(Bowl(), [(1.0, 1.0), (0.5, 0.5)], lr=0.1, steps=3, tol=0)
    assert r.status == ["max_steps", "max_steps"]

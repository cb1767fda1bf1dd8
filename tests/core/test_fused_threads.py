"""A fused batch split over threads (blocks of runs) gives bit for bit what one thread gives,
including the step at which the batch stops."""

import numpy as np
import pytest

from gdstudio.core import tuning
from gdstudio.core.compiled import compile_function
from gdstudio.core.fused import BlockedKernel, numba_available, run_ranges
from gdstudio.core.runner import BatchDescent

pytestmark = pytest.mark.skipif(not numba_available(), reason="numba is a declared dependency; install the project")


def test_run_ranges_cover_every_run_once():
    assert run_ranges(10_000, threads=2) == [(0, 5000), (5000, 10_000)]
    assert run_ranges(3000, threads=4) == [(0, 3000)]  # too few runs to split
    r = run_ranges(10_001, threads=3)
    assert r[0][0] == 0 and r[-1][1] == 10_001 and all(a[1] == b[0] for a, b in zip(r, r[1:]))


def test_threads_give_the_same_trajectories(tmp_path, monkeypatch):
    monkeypatch.setenv("GDSTUDIO_CACHE", str(tmp_path))
    f = compile_function("x^2 + 3*y^2 + 0.1*x^4 + sin(x)")
    starts = np.random.default_rng(3).uniform(-2, 2, (6000, 2))
    starts[7] = (1e6, 1e6)  # diverges at once
    out = []
    try:
        for threads in (1, 3):
            tuning.set_engine_threads(threads)
            b = BatchDescent(f, starts, "adam", lr=0.05, max_steps=5000, tol=1e-6)
            assert isinstance(b._kernel, BlockedKernel)
            chunks = []
            while not b.done:
                chunks.append(b.advance(700))
            assert b._kernel is not None  # the kernel really ran; numpy did not take over
            out.append((b.step, b.points.copy(), b.status.copy(), b.steps.copy(),
                        np.concatenate([c.points for c in chunks])))
    finally:
        tuning.set_engine_threads(None)
    (s1, p1, st1, n1, t1), (s3, p3, st3, n3, t3) = out
    assert s1 == s3 < 5000  # every run stopped: the batch ends at the last run's step
    np.testing.assert_array_equal(p1, p3)
    np.testing.assert_array_equal(st1, st3)
    np.testing.assert_array_equal(n1, n3)
    np.testing.assert_array_equal(t1, t3)
    assert st1[7] == 2 and (st1 == 1).sum() > 5000


def test_engine_threads_setting(monkeypatch):
    monkeypatch.setenv("GDSTUDIO_THREADS", "3")
    assert tuning.engine_threads() == 3
    tuning.set_engine_threads(1)
    try:
        assert tuning.engine_threads() == 1
    finally:
        tuning.set_engine_threads(None)
    with pytest.raises(ValueError):
        tuning.set_engine_threads(0)

"""The fused (numba) kernel for big batches gives exactly what the numpy path gives."""

import numpy as np
import pytest

from gdstudio.core.compiled import compile_function
from gdstudio.core.fused import fused_kernel, numba_available
from gdstudio.core.optimizers import OPTIMIZERS, make_optimizer, spec
from gdstudio.core.runner import BatchDescent

pytestmark = pytest.mark.skipif(not numba_available(), reason="numba is a declared dependency; install the project")


@pytest.mark.parametrize("optimizer", [o for o in OPTIMIZERS if spec(o).per_coordinate])  # Newton needs H: numpy only
def test_fused_batch_equals_numpy_batch(optimizer, tmp_path, monkeypatch):
    monkeypatch.setenv("GDSTUDIO_CACHE", str(tmp_path))
    f = compile_function("(1 - x)^2 + 100*(y - x^2)^2 + log(1 + x^2)")
    starts = np.random.default_rng(5).uniform(-2, 2, (5000, 2))
    lr = 2e-4 if optimizer in ("gd", "momentum", "nesterov") else 2e-2
    fused = BatchDescent(f, starts, optimizer, lr=lr, max_steps=300, tol=1e-3)
    plain = BatchDescent(f, starts, optimizer, lr=lr, max_steps=300, tol=1e-3, use_fused=False)
    assert fused._kernel is not None and plain._kernel is None
    while not (fused.done and plain.done):
        a, b = fused.advance(64), plain.advance(64)
        assert a.first_step == b.first_step and a.n_steps == b.n_steps
        np.testing.assert_allclose(a.points, b.points, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(a.status, b.status)
        np.testing.assert_array_equal(a.steps, b.steps)
    assert fused.step == plain.step


def test_fused_kernel_handles_divergence_like_numpy(tmp_path, monkeypatch):
    monkeypatch.setenv("GDSTUDIO_CACHE", str(tmp_path))
    f = compile_function("x^2 + 3*y^2 + sqrt(x + 3)")  # NaN left of x = -3
    starts = np.random.default_rng(2).uniform(-2.5, 2, (5000, 2))
    runs = [BatchDescent(f, starts, "gd", lr=lr, max_steps=200, tol=1e-9, use_fused=use)
            for use in (True, False) for lr in (0.34,)]
    for r in runs:
        while not r.done:
            r.advance(50)
    a, b = runs
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_allclose(a.points, b.points, rtol=1e-12)
    assert (a.status == 2).any() and a.step == b.step


def test_no_kernel_for_per_run_settings():
    f = compile_function("x^2 + y^2")
    opt = make_optimizer("momentum", momentum=np.full(3, 0.9))
    assert fused_kernel(f, opt) is None

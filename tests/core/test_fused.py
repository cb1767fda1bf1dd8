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


def test_a_running_batch_adopts_the_kernel_with_its_optimizer_state():
    """The window starts a big batch on numpy and switches it to the kernel between chunks:
    the positions, gradients and the optimizer's state (Adam's moments) carry over, so the
    path goes on as if numpy had stepped it all."""
    f = compile_function("(x^2 + y - 11)^2 + (x + y^2 - 7)^2 + sin(x)")
    starts = np.random.default_rng(3).uniform(-4, 4, (300, 2))
    plain = BatchDescent(f, starts, "adam", lr=0.02, max_steps=400, tol=0.0, use_fused=False)
    switched = BatchDescent(f, starts, "adam", lr=0.02, max_steps=400, tol=0.0, use_fused=False)
    plain.advance(150)
    switched.advance(150)
    assert not switched.fused
    switched.adopt_kernel(fused_kernel(f, switched.groups[0].optimizer))
    assert switched.fused
    a, b = plain.advance(250), switched.advance(250)
    assert a.first_step == b.first_step == 151 and a.n_steps == b.n_steps == 250
    np.testing.assert_allclose(b.points, a.points, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(a.status, b.status)
    # one rate per run leaves the kernel for numpy (the kernel has one rate for all runs)
    switched.set_lr(np.full(300, 0.01))
    assert not switched.fused


def test_a_prepared_kernel_is_compiled_in_another_process_and_only_loaded_here(tmp_path, monkeypatch):
    """numba's compile holds the interpreter lock for seconds; the window must never do it."""
    from gdstudio.core import fused

    monkeypatch.setenv("GDSTUDIO_CACHE", str(tmp_path))
    f = compile_function("x^2 + 3*y^2 + 0.123456789*x*y")  # a kernel no other test loads
    opt = make_optimizer("rmsprop")
    kernel = fused.prepared_kernel(f, opt)
    assert kernel is not None
    stats = kernel.kernel.stats
    assert sum(stats.cache_hits.values()) == 1 and not stats.cache_misses
    assert list(tmp_path.glob("kernels/__pycache__/*.nbc"))
    # and it steps like numpy
    starts = np.random.default_rng(1).uniform(-2, 2, (300, 2))
    a = BatchDescent(f, starts, "rmsprop", lr=0.01, max_steps=100, tol=0.0, use_fused=False)
    b = BatchDescent(f, starts, "rmsprop", lr=0.01, max_steps=100, tol=0.0, use_fused=False)
    b.adopt_kernel(kernel)
    np.testing.assert_allclose(b.advance(100).points, a.advance(100).points, rtol=1e-12, atol=1e-12)


def test_a_kernel_that_cannot_be_compiled_leaves_numpy_stepping(tmp_path, monkeypatch, capsys):
    from gdstudio.core import fused

    monkeypatch.setenv("GDSTUDIO_CACHE", str(tmp_path))
    monkeypatch.setattr(fused, "_COMPILE_SNIPPET", "raise SystemExit('no compiler here')")
    f = compile_function("x^2 + 3*y^2 + 0.987654321*x*y")
    assert fused.prepared_kernel(f, make_optimizer("gd")) is None
    assert "no compiler here" in capsys.readouterr().err

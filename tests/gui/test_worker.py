"""The descent worker on its own: streaming, pause/step, generations, shutdown, and a signal
soak (PySide6 6.12.0 lost a reference to True on every Signal.emit and aborted Python after
a few hundred emits; 10,000 emits through the real worker loop guard against it)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gdstudio.core.runner import BatchDescent
from gdstudio.worker import ChunkMessage, WorkerThread
from gdstudio.worker import descent_worker as dw

from tests.core._bowl import Bowl


def _batch(n=5, steps=1000, tol=0.0, lr=0.01):
    P = np.random.default_rng(0).uniform(-1, 1, (n, 2))
    return BatchDescent(Bowl(), P, "gd", lr, max_steps=steps, tol=tol)


@pytest.fixture
def wt(qapp):
    t = WorkerThread()
    yield t
    t.stop(3000)


def _collect(wt):
    got = []
    wt.worker.sig_chunk.connect(got.append)
    done = []
    wt.worker.sig_finished.connect(done.append)
    errors = []
    wt.worker.sig_error.connect(lambda g, m: errors.append((g, m)))
    return got, done, errors


def test_signal_soak_10000_emits(qtbot, wt, monkeypatch):
    monkeypatch.setattr(dw, "MAX_CHUNK_STEPS", 1)  # one step per emit
    got, done, _ = _collect(wt)
    wt.worker.set_speed(None)
    wt.worker.start(1, _batch(n=3, steps=10_000), paused=False)
    qtbot.waitUntil(lambda: done == [1], timeout=60_000)
    qtbot.waitUntil(lambda: sum(sum(c.n_steps for c in m.chunks) for m in got) == 10_000, timeout=10_000)
    assert len(got) >= 10_000 // 2  # (sub-chunks may group when the GUI is busy)
    steps = [c.first_step for m in got for c in m.chunks]
    assert steps == list(range(1, 10_001))  # in order, none lost
    assert all(isinstance(m, ChunkMessage) and m.generation == 1 for m in got)


def test_chunks_are_read_only_and_carry_the_generation(qtbot, wt):
    got, done, _ = _collect(wt)
    wt.worker.start(7, _batch(steps=300), paused=False)
    qtbot.waitUntil(lambda: done == [7], timeout=10_000)
    ch = got[-1].chunks[-1]
    assert got[-1].done and got[-1].generation == 7
    with pytest.raises(ValueError):
        ch.points[0, 0, 0] = 1.0


def test_pause_step_resume(qtbot, wt):
    got, done, _ = _collect(wt)
    b = _batch(steps=100_000)
    wt.worker.set_speed(100.0)
    wt.worker.start(1, b, paused=True, steps=1)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=3000)
    qtbot.wait(100)
    assert [c.n_steps for m in got for c in m.chunks] == [1]
    wt.worker.step(3)
    qtbot.waitUntil(lambda: sum(c.n_steps for m in got for c in m.chunks) == 4, timeout=3000)
    wt.worker.resume()
    qtbot.waitUntil(lambda: sum(c.n_steps for m in got for c in m.chunks) > 10, timeout=3000)
    wt.worker.pause()
    qtbot.wait(100)
    n = sum(c.n_steps for m in got for c in m.chunks)
    qtbot.wait(200)
    assert sum(c.n_steps for m in got for c in m.chunks) == n  # paused means paused


def test_speed_limits_the_rate(qtbot, wt):
    got, _, _ = _collect(wt)
    wt.worker.set_speed(200.0)
    wt.worker.start(1, _batch(steps=100_000), paused=False)
    qtbot.wait(1000)
    n = sum(c.n_steps for m in got for c in m.chunks)
    assert 100 <= n <= 300
    assert 15 <= len(got) <= 45  # about 30 emits a second


def test_a_new_generation_replaces_the_old_job(qtbot, wt):
    got, done, _ = _collect(wt)
    wt.worker.set_speed(None)
    wt.worker.start(1, _batch(steps=10_000_000), paused=False)
    qtbot.waitUntil(lambda: len(got) > 2, timeout=3000)
    wt.worker.start(2, _batch(steps=200), paused=False)
    qtbot.waitUntil(lambda: 2 in done, timeout=5000)
    gens = [m.generation for m in got]
    first2 = gens.index(2)
    assert all(g == 2 for g in gens[first2:])  # at most one late chunk of 1 before, none after
    assert 1 not in done


def test_error_in_the_engine_is_a_message_and_the_thread_lives(qtbot, wt):
    class Boom(Bowl):
        calls = 0

        def value_and_grad_T(self, X):
            Boom.calls += 1
            if Boom.calls > 20:
                raise FloatingPointError("kaboom")
            return super().value_and_grad_T(X)

    got, done, errors = _collect(wt)
    wt.worker.start(3, BatchDescent(Boom(), [[1.0, 1.0]], "gd", 0.01, max_steps=1000, tol=0), paused=False)
    qtbot.waitUntil(lambda: len(errors) > 0, timeout=3000)
    assert errors[0][0] == 3 and "kaboom" in errors[0][1]
    wt.worker.start(4, _batch(steps=50), paused=False)  # still serving
    qtbot.waitUntil(lambda: 4 in done, timeout=3000)


def test_stop_is_prompt_during_a_long_run(qtbot, wt):
    wt.worker.set_speed(None)
    wt.worker.start(1, _batch(n=2000, steps=10_000_000), paused=False)
    qtbot.wait(300)
    t0 = time.perf_counter()
    assert wt.stop(3000)
    assert time.perf_counter() - t0 < 1.0
    assert not wt.running


def test_a_job_that_cannot_be_cancelled_outlives_its_pool_without_aborting(qtbot):
    """A stuck read or a long compile ignores cancel: shutdown gives up after its bound, the
    pool and its owner go away, and the job finishes later without a crash or a late result."""
    import gc
    import threading

    from PySide6.QtCore import QObject

    from gdstudio.worker.jobs import JobPool

    release = threading.Event()
    results = []
    owner = QObject()
    pool = JobPool(owner)
    job = pool.start(lambda j: release.wait(10) and "late", on_result=results.append)
    qtbot.waitUntil(job.isRunning, timeout=2000)
    t0 = time.perf_counter()
    assert pool.shutdown(100) is False  # it did not end in time
    assert time.perf_counter() - t0 < 1.0
    del pool, owner
    gc.collect()
    qtbot.wait(50)
    release.set()
    assert job.wait(3000)
    qtbot.wait(100)
    assert results == []  # cut loose: the result goes nowhere


def test_a_result_never_reaches_a_closed_or_deleted_window(qtbot):
    """A job that ends after its window closed, or after the window's C++ side was deleted
    (its views with it), delivers nothing: the slot would draw into deleted plot items (the
    CI failure "Internal C++ object (PlotDataItem) already deleted"). A job asked for after
    the close never runs."""
    import threading

    import shiboken6
    from PySide6.QtCore import QObject

    from gdstudio.worker.jobs import JobPool

    delivered = []
    release = threading.Event()
    # the window's C++ side deleted under a job still running
    owner = QObject()
    pool = JobPool(owner)
    job = pool.start(lambda j: release.wait(5) and "late", on_result=delivered.append)
    shiboken6.delete(owner)
    assert not shiboken6.isValid(pool)
    release.set()
    assert job.wait(3000)
    qtbot.wait(100)
    # a closed pool: the job had ended, its result was still queued
    owner2 = QObject()
    pool2 = JobPool(owner2)
    done = threading.Event()
    job2 = pool2.start(lambda j: done.set() or "queued", on_result=delivered.append)
    assert job2.wait(3000) and done.is_set()
    pool2.close(100)
    qtbot.wait(100)
    ran = []
    job3 = pool2.start(lambda j: ran.append(1), on_result=delivered.append, on_cancelled=delivered.append)
    qtbot.wait(100)
    assert delivered == [] and ran == [] and job3.cancelled() and not job3.isRunning()
    # an open pool delivers
    owner4 = QObject()
    job4 = JobPool(owner4).start(lambda j: "now", on_result=delivered.append)
    qtbot.waitUntil(lambda: delivered == ["now"], timeout=3000)
    assert job4.wait(1000)


def test_closing_the_window_during_a_stuck_job_does_not_abort(qtbot):
    import gc
    import threading

    from gdstudio.gui import MainWindow

    release = threading.Event()
    w = MainWindow()
    job = w.jobs.start(lambda j: release.wait(10), name="gdstudio-stuck-read")
    qtbot.waitUntil(job.isRunning, timeout=2000)
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 2.0  # the window does not wait for the stuck job
    w.deleteLater()
    qtbot.wait(50)
    del w
    gc.collect()
    release.set()
    assert job.wait(3000)


def test_a_big_job_switches_to_the_fused_kernel_prepared_in_the_background(qtbot, wt, tmp_path, monkeypatch):
    """The worker starts a big batch on numpy, has its kernel compiled in another process,
    and switches between chunks; the message of the first chunk after the switch records it,
    and the runs go on as numpy would have stepped them."""
    pytest.importorskip("numba")
    from gdstudio.core.compiled import compile_function

    monkeypatch.setenv("GDSTUDIO_CACHE", str(tmp_path))
    f = compile_function("x^2 + 3*y^2 + 0.5*sin(x + y)")
    P = np.random.default_rng(4).uniform(-2, 2, (256, 2))
    batch = BatchDescent(f, P, "adam", 0.01, max_steps=10**7, tol=0.0, use_fused=False)
    got, _, errors = _collect(wt)
    idle = []
    wt.worker.sig_idle.connect(idle.append)
    wt.worker.set_speed(None)
    wt.worker.start(3, batch, paused=False)

    def switches():
        return [(m.chunks[0].first_step - 1, c) for m in got for c in m.changes]

    qtbot.waitUntil(lambda: bool(switches()) and got[-1].batch_step > switches()[0][0] + 2000, timeout=120_000)
    wt.worker.step(1)  # pause
    qtbot.waitUntil(lambda: idle == [3], timeout=10_000)
    assert not errors
    assert len(switches()) == 1 and switches()[0][1] == ("engine", "fused") and batch.fused
    steps = [c.first_step for m in got for c in m.chunks]
    assert steps == sorted(set(steps)) and steps[0] == 1
    ref = BatchDescent(f, P, "adam", 0.01, max_steps=10**7, tol=0.0, use_fused=False)
    ref.advance(batch.step, record=False)
    np.testing.assert_allclose(batch.points, ref.points, rtol=1e-9, atol=1e-9)

"""The run store (no Qt): bounded memory for long runs, decimated paths that keep their
endpoints, exact current state, envelopes, instant runs and the kept chunks budget."""

from __future__ import annotations

import numpy as np

from gdstudio import descend
from gdstudio.core.runner import BatchDescent
from gdstudio.core.status import CONVERGED
from gdstudio.app.run_store import RunStore

from tests.core._bowl import Bowl


def _store_with_batch(n, steps, lr=1e-3, tol=0.0, **kw):
    P = np.random.default_rng(1).uniform(-2, 2, (n, 2))
    b = BatchDescent(Bowl(), P, "gd", lr, max_steps=steps, tol=tol)
    st = RunStore(**kw)
    st.reset(P)
    st.begin_batch(n, b.values.copy(), b.grads.copy())
    return st, b


def test_memory_stays_bounded_for_1000_runs_by_10000_steps():
    st, b = _store_with_batch(1000, 10_000, full_budget=50 * 2**20)
    cap = st.cap
    shape = st.samples.shape
    while not b.done:
        st.ingest(b.advance(500))
    assert st.batch_step == 10_000
    assert st.samples.shape == shape and st.cap == cap
    assert st.samples.nbytes <= 8 * 2**20
    assert not st.full_complete and st.full_bytes == 0  # chunks dropped past the budget
    assert st.nbytes() <= 8 * 2**20
    # paths: start exact, end = exact current point, at most cap + 1 vertices
    for r in (0, 517, 999):
        p = st.path(r)
        assert p.shape[0] <= cap + 1
        assert np.array_equal(p[0, :2], st.starts[r])
        assert np.array_equal(p[-1, :2], b.points[r])
    assert np.array_equal(st.pos, b.points) and np.array_equal(st.val, b.values)


def test_decimated_samples_are_the_true_trajectory_points():
    st, b = _store_with_batch(4, 5000, lr=1e-3)
    ref = descend(Bowl(), st.starts, "gd", 1e-3, steps=5000, tol=0.0)
    while not b.done:
        st.ingest(b.advance(333))
    stride = int(st.stride[0])
    assert stride > 1
    for r in range(4):
        n = int(st.n_samples[r])
        want = ref.trajectories[r][np.arange(n) * stride]
        assert np.allclose(st.samples[r, :n, :2], want, rtol=1e-6, atol=1e-7)  # float32 copy
        steps, v, g = st.curve(r)
        assert steps[-1] == 5000 and np.isclose(v[-1], ref.values[r])


def test_stopped_runs_are_cut_at_their_own_step():
    st, b = _store_with_batch(6, 5000, lr=0.1, tol=1e-3)
    while not b.done:
        st.ingest(b.advance(64))
    assert np.all(st.status == CONVERGED)
    for r in range(6):
        p = st.path(r)
        assert np.array_equal(p[-1, :2], b.points[r])
        assert st.steps[r] == b.steps[r] < 5000


def test_envelopes_match_a_direct_computation():
    st, b = _store_with_batch(300, 3000)
    while not b.done:
        st.ingest(b.advance(97))
        env = st.envelopes()
    steps, vmin, vmed, vmax, (gmin, gmed, gmax) = env
    assert steps.size <= 257
    rows = (steps / st.batch_stride).astype(int)
    block = st.samples[:, rows, 2].astype(float)
    assert np.allclose(vmin, block.min(0)) and np.allclose(vmax, block.max(0))
    assert np.allclose(vmed, np.median(block, 0))


def test_instant_runs_replace_batch_columns_and_new_runs_grow_the_store():
    st, b = _store_with_batch(3, 1000)
    st.ingest(b.advance(10))
    res = descend(Bowl(), [[1.5, -1.0]], "gd", 0.01, steps=400, tol=1e-6)
    st.set_instant(1, res, CONVERGED)
    st.ingest(b.advance(10))  # the batch's column 1 is ignored from now on
    assert np.array_equal(st.path(1)[0, :2], [1.5, -1.0])
    assert np.array_equal(st.pos[1], res.final_points[0])
    rows = st.add_runs([[0.3, 0.3]], [0.36], [[0.6, 1.8]])
    assert list(rows) == [3] and st.n == 4
    assert np.array_equal(st.path(3)[:, :2], [[0.3, 0.3]])
    st.ingest(b.advance(10))  # still fine after growing
    assert st.batch_step == 30


def test_previous_point_is_one_step_back():
    st, b = _store_with_batch(3, 100, lr=0.01)
    st.ingest(b.advance(5))
    p4 = b.points.copy()
    st.ingest(b.advance(1))
    assert np.array_equal(st.prev[:, :2], p4)
    st.ingest(b.advance(7))
    ref = descend(Bowl(), st.starts, "gd", 0.01, steps=13, tol=0.0)
    for r in range(3):
        assert np.allclose(st.prev[r, :2], ref.trajectories[r][-2])


def _same(a, b) -> bool:
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def test_frames_read_many_runs_at_once_exactly_as_one_at_a_time():
    """A frame reads its drawn runs' paths and curves a sample layout at a time; every
    layout gives what reading each run alone gives: batch runs mid-chunk, runs that stopped
    at their own step, an instant run, a fresh run with no step yet, with and without thinning."""
    st, b = _store_with_batch(40, 3000, lr=0.05, tol=1e-4)
    checks = 0
    for chunk in (1, 7, 250, 333, 1000):
        st.ingest(b.advance(chunk))
        if st.n == 40:
            st.set_instant(5, descend(Bowl(), [[1.5, -1.0]], "gd", 0.01, steps=400, tol=1e-6), CONVERGED)
            st.add_runs([[0.3, 0.3]], [0.36], [[0.6, 1.8]])
        runs = list(range(st.n))[::-1]
        for max_vertices in (2, 16, 64, 100_000):
            many = st.paths(runs, max_vertices)
            assert all(_same(p, st.path(r, max_vertices)) for r, p in zip(runs, many))
            many = st.curves(runs, max_vertices)
            for r, c in zip(runs, many):
                one = st.curve(r, max_vertices)
                assert all(_same(x, y) for x, y in zip(c, one)), (r, max_vertices)
                checks += 1
    assert checks == 5 * 4 * 41
    assert len(st._alike(range(st.n))) > 2  # several layouts were exercised

"""Where the studio computes (app/compute.py): one executor per choice, shared by the jobs,
started once; a changed choice closes the old cluster only after its last job; a cluster that
failed is not used again; a cancelled job keeps it. Executors are stand-ins here (the real
clusters are tested in tests/gui/test_preferences.py and test_distributed.py)."""

from __future__ import annotations

import pytest

from gdstudio.app import compute
from gdstudio.app.compute import ComputeError, ComputeTarget, SharedExecutor
from gdstudio.app.executors import Cancelled, ExecutorError, InProcessExecutor


class FakeCluster:
    made: list = []

    def __init__(self, target):
        self.target = target
        self.closed = False
        FakeCluster.made.append(self)

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    FakeCluster.made = []
    monkeypatch.setattr(ComputeTarget, "make_executor", lambda self: FakeCluster(self))
    return FakeCluster


def test_one_cluster_is_started_and_shared(fake):
    shared = SharedExecutor(ComputeTarget("local", 2))
    with shared.use() as a:
        with shared.use() as b:  # a second job meanwhile
            assert a is b
    with shared.use() as c:
        assert c is a
    assert len(fake.made) == 1 and not a.closed
    shared.close()
    assert a.closed


def test_this_process_needs_no_cluster(fake):
    shared = SharedExecutor()
    with shared.use() as ex:
        assert isinstance(ex, InProcessExecutor) and ex.description == "this process"
    assert fake.made == []


def test_a_new_choice_closes_the_old_cluster_after_its_last_job(fake):
    shared = SharedExecutor(ComputeTarget("local", 2))
    with shared.use() as old:
        shared.set_target(ComputeTarget("scheduler", 2, "tcp://10.0.0.5:8786"))
        assert not old.closed  # the running job keeps its cluster
        with shared.use() as new:
            assert new is not old and new.target.kind == "scheduler"
    assert old.closed and not new.closed


def test_a_failed_cluster_is_dropped_and_a_cancelled_job_keeps_it(fake):
    shared = SharedExecutor(ComputeTarget("local", 1))
    with pytest.raises(Cancelled):
        with shared.use() as first:
            raise Cancelled()
    with shared.use() as again:
        assert again is first
    with pytest.raises(OSError):
        with shared.use():
            raise OSError("connection closed")  # Dask's CommClosedError is an OSError
    assert first.closed
    with shared.use() as fresh:
        assert fresh is not first
    with pytest.raises(ValueError):
        with shared.use() as kept:
            raise ValueError("a bad objective is not the cluster's fault")
    assert kept is fresh and not fresh.closed


def test_a_cluster_that_cannot_be_had_is_one_sentence(monkeypatch):
    import gdstudio.app.executors as executors

    def refuse(**kwargs):
        raise ExecutorError("cannot reach the Dask scheduler at tcp://10.0.0.5:8786: Timed out")

    monkeypatch.setattr(compute, "DaskExecutor", refuse)
    with pytest.raises(ComputeError) as err:
        ComputeTarget("scheduler", 1, "tcp://10.0.0.5:8786").make_executor()
    assert str(err.value) == ("Cannot reach the Dask scheduler at tcp://10.0.0.5:8786: Timed out; "
                              "choose where to compute in Edit → Preferences…")
    with pytest.raises(ComputeError, match="^No Dask scheduler address is set; "):
        ComputeTarget("scheduler", 1, "  ").make_executor()
    monkeypatch.setattr(executors, "dask_available", lambda: False)
    monkeypatch.setattr(compute, "DaskExecutor", executors.DaskExecutor)
    with pytest.raises(ComputeError, match="Dask is not installed"):
        ComputeTarget("local", 2).make_executor()


def test_the_choice_says_where_it_computes():
    assert ComputeTarget().describe() == "this process"
    assert ComputeTarget("local", 1).describe() == "a local Dask cluster of 1 worker process"
    assert ComputeTarget("local", 4).describe() == "a local Dask cluster of 4 worker processes"
    assert ComputeTarget("scheduler", 1, "tcp://h:8786").describe() == "the Dask scheduler at tcp://h:8786"
    with pytest.raises(ValueError):
        ComputeTarget("cloud")

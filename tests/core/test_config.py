"""DescentConfig: the settings the runs actually used, and a replay from them."""

import json

import numpy as np

from gdstudio import descend
from gdstudio.core.config import DescentConfig
from gdstudio.core.runner import BatchDescent

from ._bowl import Bowl


def _run_to_end(batch):
    while not batch.done:
        batch.advance(100, record=False)
    return batch.points.copy()


def test_descend_records_resolved_defaults():
    r = descend(Bowl(), [(1.0, 1.0)], optimizer="adam", steps=5)
    c = r.config
    assert c.lr == 1e-3  # the default that was used, not None
    assert c.hyper == {"adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}
    assert c.starts == ((1.0, 1.0),) and c.steps == 5 and c.variables == ("x", "y")
    assert r.settings == c.to_dict()


def test_round_trip_through_json_replays_the_same_runs():
    starts = np.random.default_rng(1).uniform(-1, 1, (7, 2))
    names = ["adam", "momentum", "adam", "gd", "rmsprop", "momentum", "adam"]
    batch = BatchDescent(Bowl(), starts, names, lr=np.linspace(0.01, 0.07, 7), max_steps=60, tol=1e-9,
                         momentum=np.linspace(0.5, 0.9, 7), eps=1e-7)
    config = DescentConfig.from_batch(batch, seed=3, starts_from="uniform")
    end = _run_to_end(batch)
    back = DescentConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back == config
    again = _run_to_end(BatchDescent(Bowl(), **back.batch_kwargs()))
    assert np.array_equal(end, again)


def test_live_changes_are_recorded():
    batch = BatchDescent(Bowl(), [(1.0, 1.0)] * 3, "gd", lr=0.01, max_steps=20)
    c = DescentConfig.from_batch(batch).with_live_change(10, "lr", 0.02)
    assert c.to_dict()["live_changes"] == [{"step": 10, "name": "lr", "value": 0.02}]
    assert DescentConfig.from_dict(c.to_dict()) == c

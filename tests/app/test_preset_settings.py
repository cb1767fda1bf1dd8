"""Choosing a preset applies its recommended settings, in the same undo step as the preset."""

import numpy as np
import pytest

from gdstudio.app import Session
from gdstudio.core.presets import PRESETS
from gdstudio.core.schedules import Schedule
from gdstudio.core.status import CONVERGED, DIVERGED, Status


def test_choosing_rosenbrock_applies_its_recommended_settings_and_one_undo_restores_everything():
    s = Session()
    s.set_function("x**2 + 3*y**2")
    s.set_optimizer("adam")
    s.set_lr(0.3)
    s.set_max_steps(77)
    s.set_tol(1e-3)
    s.set_schedule(Schedule("exponential", gamma=0.9))
    s.set_compare(lrs=[0.1, 0.2])
    s.add_start(0.5, -0.5)
    before, n_undo = s.state, len(s._undo)

    s.set_preset("rosenbrock")
    rec = PRESETS["rosenbrock"].recommended
    st = s.settings
    assert (st.optimizer, st.lr, st.max_steps, st.tol) == ("momentum", 5e-4, 10000, 1e-4)
    assert st.hyper_for("momentum")["momentum"] == 0.9 and st.hyper_for("adam")  # adam's kept
    assert st.schedule == Schedule() and st.compare_lrs == () and st.compare_optimizers == ()
    assert np.array_equal(s.starts, np.asarray(rec.starts, float))
    assert len(s._undo) == n_undo + 1 and s.undo_text == "Preset"

    res = s.run()  # what the preset is there to show: it arrives at (1, 1)
    assert int(Status.from_key(res.status[0])) == CONVERGED
    assert np.allclose(res.final_points[0], (1.0, 1.0), atol=1e-2)

    s.undo()  # one step: the previous function AND its settings and starts
    assert s.state == before
    assert s.problem.text == "x**2 + 3*y**2" and s.settings.optimizer == "adam" and s.settings.lr == 0.3
    s.redo()
    assert s.settings.optimizer == "momentum" and s.problem.preset == "rosenbrock"


def test_random_recommended_starts_arrive_as_random_starts_coloured_by_basin():
    s = Session()
    s.set_preset("rastrigin")
    rec = PRESETS["rastrigin"].recommended
    assert s.state.starts.sampler == rec.sampler and s.state.starts.count == rec.random_starts
    assert s.basin_mode and s.starts.shape == (rec.random_starts, 2)
    assert np.array_equal(s.starts, rec.start_points(s.domain))


def test_the_person_changes_settings_after_and_the_same_preset_again_keeps_them():
    s = Session()
    s.set_preset("booth")
    s.set_lr(0.02)
    s.set_preset("booth", domain=((-5, 5), (-5, 5)))  # a domain edit of the preset shown
    assert s.settings.lr == 0.02 and s.domain == ((-5.0, 5.0), (-5.0, 5.0))
    s.set_function("booth")  # typed text that is a preset, through set_function: settings stay
    assert s.settings.lr == 0.02


def test_an_unknown_preset_is_refused_and_the_session_is_unchanged():
    s = Session()
    before = s.state
    with pytest.raises(ValueError, match="unknown preset"):
        s.set_preset("no_such_thing")
    assert s.state == before


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_chosen_in_a_session_runs_without_divergence(name):
    s = Session()
    s.set_function("x**2")
    s.set_preset(name)
    res = s.run(record=False)
    status = [int(Status.from_key(k)) for k in res.status]
    assert DIVERGED not in status

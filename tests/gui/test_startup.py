"""Once the window is built, what is alive is kept out of the cycle collector's walks (a full
collection of the start-up objects took ~70 ms of the GUI thread), and cycles made later are
still collected."""

from __future__ import annotations

import gc
import weakref

from gdstudio.gui.startup import freeze_startup_objects


class _Node:
    pass


def test_startup_objects_leave_the_collectors_walks_and_later_cycles_are_still_collected():
    early = _Node()
    early.me = early  # a cycle alive at start-up
    try:
        alive = len(gc.get_objects())
        freeze_startup_objects()
        assert gc.get_freeze_count() >= 0.9 * alive  # (the first collection frees some)
        assert not any(o is early for o in gc.get_objects())  # no longer walked
        late = _Node()
        late.me = late  # a cycle made afterwards, then dropped
        gone = weakref.ref(late)
        del late
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual


def test_the_start_up_warm_up_loads_the_kernels_compiled_elsewhere():
    """gdstudio's main starts it once the window is built: numba and the landscapes' plane
    kernel are loaded on a background thread (compiled by another process), the plane kernel
    is turned on only then, and the objects they bring are kept out of the collector's walks."""
    import pytest

    pytest.importorskip("numba")
    from gdstudio.core.models import mlp
    from gdstudio.gui.startup import warm_up_in_background

    mlp.use_compiled_planes(False)  # as gdstudio's main does
    assert mlp._plane_kernel() is None
    try:
        thread = warm_up_in_background()
        assert thread.wait(600_000)
        assert mlp._plane_kernel() is not None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        mlp.use_compiled_planes(True)

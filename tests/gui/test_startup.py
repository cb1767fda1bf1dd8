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

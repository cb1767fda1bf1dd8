"""What the window's process does once the window is built.

Python's cycle collector now and then walks every object the process holds. With Qt,
pyqtgraph, sympy and numpy loaded that is about 150,000 objects, and one full collection took
about 70 ms of the GUI thread (measured, offscreen). While runs run, the worker's arrays
trigger collections all the time, so every few seconds input waited that long.
Everything alive once the window is built lives for the whole session: ``gc.freeze()`` takes
it out of the collector's walks, which then cover only what was made since (0.0 ms for a full
collection right after). Unreachable cycles made later are still collected.

numba, which steps big batches on a fused kernel (core/fused.py) and computes a network's
landscapes (core/models/_mlp_kernel.py), is loaded on a background thread right after
start-up: its first load takes about 0.8 s and holds the interpreter lock 30-60 ms at a time,
which would stutter a descent on screen, but not a window just opened. The kernels are
compiled in a separate process, never in the window's.
"""

from __future__ import annotations

import gc

from ..core.fused import warm_up
from ..core.models.mlp import prepare_compiled_planes
from ..worker.jobs import BackgroundThread


def freeze_startup_objects() -> None:
    """Collect once, then keep what is alive out of every later collection's walk."""
    gc.collect()
    gc.freeze()


def warm_up_in_background() -> BackgroundThread:
    """Load numba on a background thread (core.fused.warm_up) and the landscapes' plane
    kernel (core.models.mlp.prepare_compiled_planes), then keep their objects out of the
    collector's walks too (what is garbage at that moment stays, once). Returns the started
    thread."""
    def work():
        warm_up()
        prepare_compiled_planes()
        # freeze without collecting: a collection here would run the finalizers of any Qt
        # wrappers in garbage cycles on this thread, and Qt objects die on the GUI thread
        gc.freeze()

    thread = BackgroundThread(work, "gdstudio-warm-up")
    thread.start()
    return thread

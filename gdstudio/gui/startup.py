"""What the window's process does once the window is built.

Python's cycle collector now and then walks every object the process holds. With Qt,
pyqtgraph, sympy and numpy loaded that is about 150,000 objects, and one full collection took
about 70 ms of the GUI thread (measured, offscreen). While runs run, the worker's arrays
trigger collections all the time, so every few seconds input waited that long.
Everything alive once the window is built lives for the whole session: ``gc.freeze()`` takes
it out of the collector's walks, which then cover only what was made since (0.0 ms for a full
collection right after). Unreachable cycles made later are still collected.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect once, then keep what is alive out of every later collection's walk."""
    gc.collect()
    gc.freeze()

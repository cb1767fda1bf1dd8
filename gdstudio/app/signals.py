"""Events out of the Qt-free layer: a signal is a list of plain callbacks.

A dependency such as psygnal would add typed signatures and weak references; the session has
a dozen events, each with one or two listeners (the window's views), so a list of callables
is all that is needed, and it keeps ``gdstudio.app`` importable with numpy alone. The window
connects its widgets' slots; because every event is emitted in the thread that made the
change (the GUI thread, for a window), no queuing is needed.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable


class Signal:
    """``sig.connect(fn)``; ``sig.emit(*args)`` calls every connected ``fn(*args)`` in
    connection order. ``with sig.blocked():`` suppresses emission (a view writing back into
    the model it listens to, without a feedback loop)."""

    __slots__ = ("name", "_slots", "_blocked")

    def __init__(self, name: str = ""):
        self.name = name
        self._slots: list[Callable] = []
        self._blocked = 0

    def connect(self, fn: Callable) -> Callable:
        if fn not in self._slots:
            self._slots.append(fn)
        return fn

    def disconnect(self, fn: Callable | None = None) -> None:
        """Disconnect ``fn`` (every slot when None); disconnecting an unknown slot is a no-op."""
        if fn is None:
            self._slots.clear()
        elif fn in self._slots:
            self._slots.remove(fn)

    def emit(self, *args) -> None:
        if self._blocked:
            return
        for fn in list(self._slots):
            fn(*args)

    @contextmanager
    def blocked(self):
        self._blocked += 1
        try:
            yield self
        finally:
            self._blocked -= 1

    def __repr__(self) -> str:
        return f"<Signal {self.name} ({len(self._slots)} slots)>"

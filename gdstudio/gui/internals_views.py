"""The views that draw "inside the optimizer" (internals_feed.py feeds them): the contour map
and the 3D surface both show the selected run's internals, from the same numbers."""

from __future__ import annotations


class InternalsViews:
    """Passes ``show_internals(point, carried)`` on to each of ``views`` (the feed's one sink)."""

    def __init__(self, *views):
        self.views = views

    def show_internals(self, point, carried) -> None:
        for v in self.views:
            v.show_internals(point, carried)

"""The Coordinates choice (in the Setup dock, under Descent): descend in Cartesian (x, y) or
in polar (r, θ) coordinates with the metric gradient G⁻¹·∂f (G = diag(1, r²)) or the naive one
(the partial derivatives as if the (r, θ) grid were Euclidean); see core/coordinates.py.

objectName ``coordinatesCombo`` (item data ``cartesian``, ``polar:metric``, ``polar:naive``). The paths are drawn
on the same (x, y) map and surface whatever the choice. A model on data always descends in
its own parameters: the box is disabled then. ``sig_settings(dict)`` carries
``{"coordinates": ..., "gradient": ...}`` (the window sends it to the session: an undo step).

**Compare all three** (``compareCoordinatesCheck``): every start descends in all three
systems at once, one path each, coloured by system with a legend (``compare_coordinates``),
so the naive path is seen bending away while the metric one follows the Cartesian one.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QCheckBox, QComboBox, QGroupBox, QLabel, QVBoxLayout

CHOICES = (
    ("cartesian", "Cartesian (x, y)"),
    ("polar:metric", "Polar (r, θ), metric gradient"),
    ("polar:naive", "Polar (r, θ), naive gradient"),
)
NOTES = {
    "cartesian": "p ← p − lr·(∂f/∂x, ∂f/∂y)",
    "metric": "(r, θ) ← (r, θ) − lr·(∂f/∂r, ∂f/∂θ / r²): the true gradient, G⁻¹·df with G = diag(1, r²)",
    "naive": "(r, θ) ← (r, θ) − lr·(∂f/∂r, ∂f/∂θ): partials as if the (r, θ) grid were flat",
}


class CoordinatesBox(QGroupBox):
    sig_settings = Signal(dict)

    def __init__(self, parent=None):
        super().__init__("Coordinates", parent)
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        self.combo = QComboBox()
        self.combo.setObjectName("coordinatesCombo")
        for data, text in CHOICES:
            self.combo.addItem(text, data)
        self.combo.setToolTip("Descend in Cartesian or polar coordinates; in polar ones with the true "
                              "(metric) gradient or the naive partial derivatives. Paths stay on the "
                              "same (x, y) map")
        self.note = QLabel()
        self.note.setObjectName("coordinatesNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #aaaaaa;")
        self.compare = QCheckBox("Compare all three side by side")
        self.compare.setObjectName("compareCoordinatesCheck")
        self.compare.setToolTip("Every start descends in Cartesian, polar (metric) and polar (naive) "
                                "coordinates at once: one path each, coloured by system")
        lay.addWidget(self.combo)
        lay.addWidget(self.compare)
        lay.addWidget(self.note)
        self.compare.toggled.connect(self._compare_toggled)
        self._showing = False
        self.combo.currentIndexChanged.connect(self._changed)
        self.show_settings("cartesian", "metric")

    def follow(self, session) -> None:
        """Show ``session``'s choice now and after each change of its settings or problem;
        disabled for a model on data (it descends in its own parameters)."""
        from ...app.session import FunctionSpec

        def show(*_):
            st = session.settings
            self.show_settings(st.coordinates, st.gradient)
            self.show_compare(st.compare_coordinates)
            self.setEnabled(isinstance(session.problem, FunctionSpec))

        session.sig_settings_changed.connect(show)
        session.sig_problem_changed.connect(show)
        show()

    def show_settings(self, coordinates: str, gradient: str) -> None:
        """Show what applies (from the session), without sending anything back."""
        key = f"polar:{gradient}" if coordinates == "polar" else "cartesian"
        self._showing = True
        try:
            k = next((i for i, (d, _) in enumerate(CHOICES) if d == key), 0)
            self.combo.setCurrentIndex(k)
        finally:
            self._showing = False
        self.note.setText(NOTES["cartesian" if coordinates != "polar" else gradient])

    def _changed(self, _i) -> None:
        coordinates, _, gradient = str(self.combo.currentData()).partition(":")
        gradient = gradient or "metric"
        self.note.setText(NOTES["cartesian" if coordinates != "polar" else gradient])
        if not self._showing:
            self.sig_settings.emit({"coordinates": coordinates, "gradient": gradient})

    def show_compare(self, systems) -> None:
        """Show whether coordinate systems are compared (from the session), sending nothing."""
        with QSignalBlocker(self.compare):
            self.compare.setChecked(bool(systems))
        self.combo.setEnabled(not systems)  # every system runs: the one choice does not apply

    def _compare_toggled(self, on: bool) -> None:
        self.combo.setEnabled(not on)
        self.sig_settings.emit({"compare_coordinates": tuple(d for d, _ in CHOICES) if on else ()})

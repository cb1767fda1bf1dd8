"""The path items every run's line is drawn with (palette.PathItem): what a person sees."""

import numpy as np
import pyqtgraph as pg

from gdstudio.gui import palette
from gdstudio.gui.geometry import finite_path


def _red_rows(widget) -> np.ndarray:
    """Rows of the widget's pixels with a strongly red pixel, as (row, count)."""
    img = widget.grab().toImage()
    h, w = img.height(), img.width()
    rows = []
    for y in range(h):
        n = sum(1 for x in range(0, w, 2) if (c := img.pixelColor(x, y)).red() > 150 and c.green() < 90)
        if n:
            rows.append((y, n))
    return np.array(rows).reshape(-1, 2)


def _plot_with(qtbot, item, x, y, ymax):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(300, 200)
    plot.setXRange(0, 10, padding=0)
    plot.setYRange(-ymax, ymax, padding=0)
    plot.addItem(item)
    item.setPath(finite_path(x, y))
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def test_a_flat_wide_line_is_drawn_at_its_width(qtbot):
    """A run that moves only along x has a flat path: it is drawn, as thick as its pen, across
    the plot (its bounds are its points, with no height)."""
    item = palette.fast_lines((1.0, 0.0, 0.0), 1.0, 4.0)
    plot = _plot_with(qtbot, item, np.linspace(1, 9, 50), np.zeros(50), 1)
    rows = _red_rows(plot)
    assert rows.size, "the flat line was not drawn"
    thick = rows[rows[:, 1] > 20]  # rows crossed by the line over most of its length
    assert 3 <= len(thick) <= 6  # 4 pixels wide, antialiased
    assert item.pen().widthF() == 4.0


def test_restyling_a_line_changes_its_colour_and_width(qtbot):
    item = palette.fast_lines((0.0, 0.0, 1.0), 1.0, 1.0)
    x = np.linspace(1, 9, 50)
    plot = _plot_with(qtbot, item, x, np.sin(x), 10)
    assert not _red_rows(plot).size
    palette.set_line_style(item, (1.0, 0.0, 0.0), 1.0, 3.0)
    assert item.pen().widthF() == 3.0
    assert _red_rows(plot).size

"""FastImage: rows top-down on screen whether it is blitted 1:1 or drawn scaled; bad arrays are refused."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor

from vaeviz.ui.items.fast_image import FastImage
from vaeviz.ui.items.pixels import pack_rgb32

RED, BLUE = (220, 30, 30), (30, 30, 220)


def _plot(qtbot) -> tuple[pg.PlotWidget, pg.ViewBox]:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 260)
    widget.show()
    qtbot.waitExposed(widget)
    box = widget.getPlotItem().getViewBox()
    box.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    box.disableAutoRange()
    return widget, box


def _colour_at(widget: pg.PlotWidget, box: pg.ViewBox, x: float, y: float) -> tuple[int, int, int]:
    image = widget.viewport().grab().toImage()
    pos = widget.mapFromScene(box.mapViewToScene(pg.Point(x, y)))
    c = QColor(image.pixel(pos))
    return (c.red(), c.green(), c.blue())


def _halves(h: int, w: int) -> np.ndarray:
    """Top half red, bottom half blue (rows top-down)."""
    rgb = np.empty((h, w, 3), dtype=np.uint8)
    rgb[: h // 2] = RED
    rgb[h // 2:] = BLUE
    return pack_rgb32(rgb)


def test_a_view_sized_image_is_blitted_upright(qtbot):
    widget, box = _plot(qtbot)
    w, h = int(np.ceil(box.width())), int(np.ceil(box.height()))
    item = FastImage()
    box.addItem(item)
    item.set_image(_halves(h, w), (0.0, 0.0, 10.0 * w / box.width(), 10.0 * h / box.height()))
    assert _colour_at(widget, box, 5.0, 9.0) == RED  # top of the view: row 0
    assert _colour_at(widget, box, 5.0, 1.0) == BLUE


def test_a_small_image_is_scaled_upright_and_follows_in_place_changes(qtbot):
    widget, box = _plot(qtbot)
    item = FastImage()
    box.addItem(item)
    pixels = _halves(4, 4)
    item.set_image(pixels, (0.0, 0.0, 10.0, 10.0))
    assert _colour_at(widget, box, 5.0, 9.0) == RED
    assert _colour_at(widget, box, 5.0, 1.0) == BLUE
    item.image[:] = pack_rgb32(np.array(BLUE, dtype=np.uint8))  # in place: the item draws from this memory
    item.changed()
    assert _colour_at(widget, box, 5.0, 9.0) == BLUE


def test_rgba_images_blend_over_what_is_below(qtbot):
    widget, box = _plot(qtbot)
    widget.setBackground("w")
    item = FastImage()
    box.addItem(item)
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[:4] = (*RED, 255)  # top half opaque red, bottom half transparent
    item.set_image(rgba, (0.0, 0.0, 10.0, 10.0), "rgba8888")
    assert _colour_at(widget, box, 5.0, 9.0) == RED
    assert _colour_at(widget, box, 5.0, 1.0) == (255, 255, 255)


def test_wrong_arrays_and_formats_are_refused():
    item = FastImage()
    with pytest.raises(ValueError, match="rgb32 wants a 2-D uint32"):
        item.set_image(np.zeros((4, 4, 4), dtype=np.uint8), (0, 0, 1, 1))
    with pytest.raises(ValueError, match="rgba8888 wants a 3-D uint8"):
        item.set_image(np.zeros((4, 4), dtype=np.uint32), (0, 0, 1, 1), "rgba8888")
    with pytest.raises(ValueError, match="unknown image format"):
        item.set_image(np.zeros((4, 4), dtype=np.uint32), (0, 0, 1, 1), "bgr")
    assert item.image is None

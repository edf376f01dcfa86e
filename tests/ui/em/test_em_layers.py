"""The EM dock's raster layers as drawn: density heatmap, contours on demand, Voronoi cells, both themes."""

from __future__ import annotations

import numpy as np
import pytest
from em_helpers import make_dock

from vaeviz.ui.theme import plot_colours, rgb


@pytest.fixture
def lab(qtbot):
    dock = make_dock(qtbot)
    yield dock.lab
    dock.shutdown()


def _opaque(rgb_tuple) -> int:
    r, g, b = rgb_tuple
    return 0xFF000000 | (r << 16) | (g << 8) | b


def test_contours_are_computed_only_when_shown(lab, qtbot):
    view = lab.figure.em_view
    lab.side.heatmap.setChecked(True)
    qtbot.waitUntil(lambda: view.heat.isVisible() and lab.layers.heat_layer is not None)
    assert not lab.layers.heat_layer.has_contours and lab.layers.heat_layer.contour_x.size == 0
    assert not view.contours.isVisible()
    lab.side.contours.setChecked(True)  # the shown layer has none: computed again, with them
    qtbot.waitUntil(lambda: view.contours.isVisible())
    assert lab.layers.heat_layer.has_contours
    assert view.contours.xData is not None and view.contours.xData.size > 0
    heat_only = lab.layers.heat_layer.pixels
    lab.side.contours.setChecked(False)
    lab.side.contours.setChecked(True)  # the layer already has them: shown again without a new one
    assert lab.layers.heat_layer.pixels is heat_only and view.contours.isVisible()


def test_layers_are_composited_over_the_themes_background(lab, qtbot):
    view, km = lab.figure.em_view, lab.figure.km_view
    lab.side.heatmap.setChecked(True)
    qtbot.waitUntil(lambda: view.heat.image is not None and km.cells.isVisible())
    assert km.cells.image.dtype == np.uint32 and np.all(km.cells.image >> 24 == 255)
    light = rgb(plot_colours(False)["background"])
    assert np.any(view.heat.image == _opaque(light))  # far from the mixture: the background
    light_cells = km.cells.image.copy()
    lab.apply_theme(True)
    dark = rgb(plot_colours(True)["background"])
    qtbot.waitUntil(lambda: np.any(view.heat.image == _opaque(dark)))
    assert not np.any(view.heat.image == _opaque(light))
    qtbot.waitUntil(lambda: not np.array_equal(km.cells.image, light_cells))
    assert np.all((km.cells.image & 0xFF) < (light_cells & 0xFF))  # darker tints of the same cells

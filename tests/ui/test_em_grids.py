"""The EM scatter's layers computed off the GUI thread: the coloured density and the Voronoi cells."""

from __future__ import annotations

import numpy as np

from vaeviz.core.gmm import GaussianMixture
from vaeviz.ui.em.grids import _LUT, density_layer, label_grid


def test_density_layer_colours_the_scaled_density_through_the_lut():
    gmm = GaussianMixture([0.3, 0.7], [[0.0, 0.0], [3.0, 1.0]], [np.eye(2), [[1.0, 0.4], [0.4, 0.5]]])
    rect = (-4.0, -3.0, 5.0, 4.0)  # (x0, y0, x1, y1)
    layer = density_layer(gmm, rect, res=64)
    assert layer.rgba.shape == (64, 64, 4) and layer.rgba.dtype == np.uint8
    xs = -4.0 + (np.arange(64) + 0.5) * 9.0 / 64
    ys = -3.0 + (np.arange(64) + 0.5) * 7.0 / 64
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    dens = np.exp(gmm.log_prob(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(64, 64)
    index = np.rint(dens / dens.max() * 255).astype(int)
    colours = layer.rgba.reshape(-1, 4)
    expected = _LUT[index.ravel()]
    # float32 on the grid: an index may round to its neighbour, never further
    nearest = np.abs(colours.astype(int) - expected.astype(int)).max(axis=1)
    assert np.percentile(nearest, 99) == 0 and nearest.max() <= np.abs(np.diff(_LUT.astype(int), axis=0)).max()
    assert layer.contour_x.size == layer.contour_y.size > 0


def test_label_grid_is_the_nearest_centre():
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    labels = label_grid(centres, (-2.0, -2.0, 8.0, 8.0), res=40)
    assert labels.shape == (40, 40) and set(np.unique(labels)) == {0, 1, 2}
    assert labels[0, 0] == 0 and labels[-1, 0] == 1 and labels[0, -1] == 2

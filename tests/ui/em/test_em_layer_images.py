"""The EM scatter's layers computed off the GUI thread: the coloured density and the Voronoi cells."""

from __future__ import annotations

import numpy as np

from vaeviz.core.em.density_grid import label_grid
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.ui.em.colours import PALETTE
from vaeviz.ui.em.layers import _LUT, CELL_ALPHA, cells_image, density_layer


def test_density_layer_colours_the_scaled_density_through_the_lut():
    gmm = GaussianMixture([0.3, 0.7], [[0.0, 0.0], [3.0, 1.0]], [np.eye(2), [[1.0, 0.4], [0.4, 0.5]]])
    rect = (-4.0, -3.0, 5.0, 4.0)  # (x0, y0, x1, y1)
    layer = density_layer(gmm, rect, res=64, background=(30, 40, 50))
    assert layer.pixels.shape == (64, 64) and layer.pixels.dtype == np.uint32
    assert layer.pixels.flags.c_contiguous  # drawn straight from its memory
    xs = -4.0 + (np.arange(64) + 0.5) * 9.0 / 64
    ys = -3.0 + (np.arange(64) + 0.5) * 7.0 / 64
    gx, gy = np.meshgrid(xs[None, :], ys[::-1, None])  # rows top-down (y from high to low), columns x
    dens = np.exp(gmm.log_prob(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(64, 64)
    index = np.rint(dens / dens.max() * 255).astype(int)
    pixels = layer.pixels.ravel()
    assert np.all(pixels >> 24 == 255)  # opaque
    colours = np.column_stack([(pixels >> 16) & 255, (pixels >> 8) & 255, pixels & 255])
    lut = _LUT.astype(float)
    alpha = lut[:, 3:] / 255
    table = np.rint(lut[:, :3] * alpha + np.array([30, 40, 50]) * (1 - alpha))  # the LUT over the background
    expected = table[index.ravel()]
    # float32 on the grid: an index may round to its neighbour, never further
    nearest = np.abs(colours.astype(int) - expected.astype(int)).max(axis=1)
    assert np.percentile(nearest, 99) == 0 and nearest.max() <= np.abs(np.diff(table, axis=0)).max()
    assert layer.contour_x.size == layer.contour_y.size > 0


def test_label_grid_is_the_nearest_centre():
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    labels = label_grid(centres, (-2.0, -2.0, 8.0, 8.0), res=40)
    assert labels.shape == (40, 40) and set(np.unique(labels)) == {0, 1, 2}
    assert labels[0, 0] == 0 and labels[-1, 0] == 1 and labels[0, -1] == 2


def test_cells_image_tints_the_background_with_each_cells_colour_rows_top_down():
    labels = label_grid(np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]]), (-2.0, -2.0, 8.0, 8.0), res=40)
    pixels = cells_image(labels, background=(0, 0, 0))
    assert pixels.shape == (40, 40) and pixels.dtype == np.uint32 and pixels.flags.c_contiguous

    def tint(k):  # component k's colour at CELL_ALPHA over black, as 0xffRRGGBB
        r, g, b = np.rint(np.rint(PALETTE[k] * 255) * CELL_ALPHA / 255).astype(np.uint32)
        return 0xFF000000 | (r << 16) | (g << 8) | b

    # labels are [x index, y index]; the image's row 0 is the top (highest y)
    assert pixels[-1, 0] == tint(0) and pixels[-1, -1] == tint(1) and pixels[0, 0] == tint(2)
    white = cells_image(labels)  # the default background: white, lighter than the tints
    assert (white[-1, 0] & 255) > (pixels[-1, 0] & 255)

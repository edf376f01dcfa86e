"""Raster layers of the EM scatters: the mixture density (heatmap + contours) and k-means' Voronoi cells.

The maths is in :mod:`vaeviz.core.em.density_grid` and :mod:`vaeviz.core.contours`; this module colours
the result. Both run in the compute thread (latest-wins requests: a drag asks for many, only the newest
is computed), already composited over the plot's background: opaque images, which Qt draws cheapest
(see :mod:`vaeviz.ui.items.fast_image`); rows top-down, as the screen shows them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from vaeviz.core.contours import contour_segments, segments_to_xy
from vaeviz.core.em.density_grid import label_grid, scaled_density
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.grid import cell_centres
from vaeviz.core.jobs import JobFactory, single
from vaeviz.ui.em.colours import PALETTE
from vaeviz.ui.items.pixels import over_background

DENSITY_RES = 256
LABEL_RES = 220
CONTOUR_LEVELS = (0.03, 0.12, 0.3, 0.55, 0.8)  # fractions of the density's maximum
CELL_ALPHA = 55  # the Voronoi cells tint the background lightly
WHITE = (255, 255, 255)


def density_lut() -> np.ndarray:
    """Transparent → soft blue: the density tints the background without hiding the points (256 RGBA)."""
    t = np.linspace(0.0, 1.0, 256)[:, None]
    rgb = (1 - t) * np.array([235, 240, 255]) + t * np.array([60, 110, 200])
    alpha = (t[:, 0] ** 0.7) * 150
    return np.column_stack([rgb, alpha]).astype(np.uint8)


_LUT = density_lut()


@dataclass(frozen=True, eq=False)
class DensityLayer:
    """The mixture density on the grid (scaled to max 1, coloured) and its contours as line segments: the
    points (contour_x[2m], contour_y[2m]) and (contour_x[2m + 1], contour_y[2m + 1]) are segment m's ends."""

    rect: tuple[float, float, float, float]
    # (res, res) uint32 0xffRRGGBB, [row from the top, x index]: the LUT over the background
    pixels: np.ndarray
    contour_x: np.ndarray
    contour_y: np.ndarray
    has_contours: bool = True  # False: computed without them (not shown); empty arrays


def density_layer(gmm: GaussianMixture, rect, res: int = DENSITY_RES, background=WHITE,
                  contours: bool = True) -> DensityLayer:
    xs, ys = cell_centres(rect, res)
    dens = scaled_density(gmm, xs, ys[::-1])  # rows from the top, as drawn
    cx = np.zeros(0)
    cy = np.zeros(0)
    if contours:  # vectorised marching squares: ~0.5 ms for five levels on 256², pyqtgraph's isocurve ~50
        cx, cy = segments_to_xy(contour_segments(dens[::-1].T, CONTOUR_LEVELS), rect, (res, res))
    index = (dens * dens.dtype.type(255.0) + dens.dtype.type(0.5)).astype(np.uint8)  # dens is in [0, 1]
    return DensityLayer(rect, np.take(_over_background(background), index), cx, cy, contours)


@functools.lru_cache(maxsize=4)
def _over_background(background: tuple[int, int, int]) -> np.ndarray:
    return over_background(_LUT, background)


def density_job(gmm: GaussianMixture, rect, background=WHITE, contours: bool = True) -> JobFactory:
    return single(lambda ctx: density_layer(gmm, rect, background=tuple(background), contours=contours))


def cells_image(labels: np.ndarray, background=WHITE) -> np.ndarray:
    """The Voronoi cells of :func:`~vaeviz.core.em.density_grid.label_grid` in their components' colours
    over the background: (res, res) uint32 0xffRRGGBB, [row from the top, x index]."""
    tints = np.column_stack([np.rint(PALETTE * 255), np.full(len(PALETTE), CELL_ALPHA)])
    return np.ascontiguousarray(np.take(over_background(tints, background), labels.T[::-1], mode="clip"))


def voronoi_job(centres: np.ndarray, rect, background=WHITE) -> JobFactory:
    return single(lambda ctx: (rect, cells_image(label_grid(centres, rect, LABEL_RES), background)))

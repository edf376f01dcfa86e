"""Raster layers of the scatters: the mixture density (heatmap + contours) and k-means' Voronoi cells.

Both are evaluated on a grid over the data's bounding box, in the compute thread (latest-wins requests:
a drag asks for many, only the newest is computed). Contours come from :mod:`vaeviz.core.contours`.
Both are coloured there too, already composited over the plot's background: opaque images, which Qt
draws cheapest (see :mod:`vaeviz.ui.fast_image`); rows top-down, as the screen shows them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from vaeviz.core.contours import contour_segments, segments_to_xy
from vaeviz.core.em_render import density_lut, grid_density, over_background
from vaeviz.core.gmm import GaussianMixture
from vaeviz.core.jobs import JobFactory, single
from vaeviz.ui.em.colours import PALETTE

DENSITY_RES = 256
LABEL_RES = 220
CONTOUR_LEVELS = (0.03, 0.12, 0.3, 0.55, 0.8)  # fractions of the density's maximum
_LUT = density_lut()
CELL_ALPHA = 55  # the Voronoi cells tint the background lightly
WHITE = (255, 255, 255)


def data_rect(points: np.ndarray, pad: float = 0.2) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1): the points' bounding box, padded, square enough to look right; a unit box if empty."""
    if points.shape[0] == 0:
        return (-5.0, -5.0, 5.0, 5.0)
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = hi - lo
    size = float(span.max()) if float(span.max()) > 1e-9 else 1.0  # identical points: a unit box
    span = np.maximum(span, 0.5 * size)  # a flat data set still gets a usable height
    centre = 0.5 * (lo + hi)
    half = 0.5 * span * (1 + 2 * pad)
    return (float(centre[0] - half[0]), float(centre[1] - half[1]),
            float(centre[0] + half[0]), float(centre[1] + half[1]))


def _centres(rect, res: int) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = rect
    xs = x0 + (np.arange(res) + 0.5) * (x1 - x0) / res
    ys = y0 + (np.arange(res) + 0.5) * (y1 - y0) / res
    return xs, ys


@dataclass(frozen=True, eq=False)
class DensityLayer:
    """The mixture density on the grid (scaled to max 1, coloured) and its contours as line segments: the
    points (contour_x[2m], contour_y[2m]) and (contour_x[2m + 1], contour_y[2m + 1]) are segment m's ends."""

    rect: tuple[float, float, float, float]
    pixels: np.ndarray  # (res, res) uint32 0xffRRGGBB, [row from the top, x index]: the LUT over the background
    contour_x: np.ndarray
    contour_y: np.ndarray
    has_contours: bool = True  # False: computed without them (not shown); empty arrays


def density_layer(gmm: GaussianMixture, rect, res: int = DENSITY_RES, background=WHITE,
                  contours: bool = True) -> DensityLayer:
    xs, ys = _centres(rect, res)
    dens = _scaled_density(gmm, xs, ys[::-1])  # rows from the top, as drawn
    cx = cy = np.zeros(0)
    if contours:  # vectorised marching squares: ~0.5 ms for five levels on 256², pyqtgraph's isocurve ~50
        cx, cy = segments_to_xy(contour_segments(dens[::-1].T, CONTOUR_LEVELS), rect, (res, res))
    index = (dens * dens.dtype.type(255.0) + dens.dtype.type(0.5)).astype(np.uint8)  # dens is in [0, 1]
    return DensityLayer(rect, np.take(_over_background(background), index), cx, cy, contours)


@functools.lru_cache(maxsize=4)
def _over_background(background: tuple[int, int, int]) -> np.ndarray:
    return over_background(_LUT, background)


def _scaled_density(gmm: GaussianMixture, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The density on the grid scaled to max 1, [y index, x index]: float32 :func:`grid_density`, or the
    float64 log-density where that underflows (every grid point far from every component)."""
    if gmm.n_features == 2:
        try:
            with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
                dens = grid_density(gmm, xs, ys)
                top = float(dens.max())
        except np.linalg.LinAlgError:
            top = float("nan")
        if np.isfinite(top) and top > 1e-30:
            dens *= np.float32(1.0 / top)
            return dens
    gx, gy = np.meshgrid(xs, ys)
    logp = gmm.log_prob(np.column_stack([gx.ravel(), gy.ravel()])).reshape(len(ys), len(xs))
    top = float(np.max(logp))
    return np.exp(logp - top) if np.isfinite(top) else np.zeros_like(logp)


def density_job(gmm: GaussianMixture, rect, background=WHITE, contours: bool = True) -> JobFactory:
    return single(lambda ctx: density_layer(gmm, rect, background=tuple(background), contours=contours))


def label_grid(centres: np.ndarray, rect, res: int = LABEL_RES) -> np.ndarray:
    """Index of the nearest centre for every grid cell, (res, res) uint8: k-means' Voronoi cells."""
    xs, ys = _centres(rect, res)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    best = np.full(gx.shape, np.inf)
    labels = np.zeros(gx.shape, dtype=np.uint8)
    for k, (cx, cy) in enumerate(np.asarray(centres, dtype=np.float64)):  # K passes: no (res², K) array
        d2 = (gx - cx) ** 2 + (gy - cy) ** 2
        closer = d2 < best
        best[closer] = d2[closer]
        labels[closer] = k
    return labels


def cells_image(labels: np.ndarray, background=WHITE) -> np.ndarray:
    """The Voronoi cells of :func:`label_grid` in their components' colours over the background: (res, res)
    uint32 0xffRRGGBB, [row from the top, x index]."""
    tints = np.column_stack([np.rint(PALETTE * 255), np.full(len(PALETTE), CELL_ALPHA)])
    return np.ascontiguousarray(np.take(over_background(tints, background), labels.T[::-1], mode="clip"))


def voronoi_job(centres: np.ndarray, rect, background=WHITE) -> JobFactory:
    return single(lambda ctx: (rect, cells_image(label_grid(centres, rect), background)))

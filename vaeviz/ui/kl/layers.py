"""The KL lab's work for the compute thread: p's heatmap and contours, and the KL values by quadrature.

Colouring pixels belongs to the UI (core holds no colours), but a 200 × 200 heatmap costs more than a GUI
frame may, so these factories run in the worker, through :class:`~vaeviz.ui.kl.controller.KlController`
requests, and hand back packed pixels and contour lines ready to draw. Nothing here touches a widget.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from vaeviz.core.contours import contour_segments, segments_to_xy
from vaeviz.core.jobs import JobFactory, single
from vaeviz.core.kl.lab import density
from vaeviz.core.kl.quadrature import grid_axes, grid_kl
from vaeviz.core.kl.targets import Gaussian, Mixture, Target
from vaeviz.ui.items.pixels import pack_rgb32
from vaeviz.ui.theme import plot_colours, rgb

HEAT_CELLS = 200  # per axis: finer than a plot's pixels at the dock's usual size
# Cells per axis for the table's quadrature: the midpoint rule on smooth, decaying integrands converges
# fast; 150 cells are within 1e-5 nats of a 1,200-cell reference on every 2-D preset.
QUADRATURE_CELLS = 150
DRAG_QUADRATURE_CELLS = 100  # while p is dragged: within 2e-4 nats of a fine reference, at half the cost
DRAG_HEAT_CELLS = 150  # p's heatmap while dragged (the release draws it at HEAT_CELLS)
Q_BOX_SIGMAS = 7.0  # KL(q‖p) is integrated over q's mean ± this many of its standard deviations
CONTOUR_FRACTIONS = (0.7, 0.4, 0.15, 0.04)  # of p's peak: the contours drawn over the heatmap
HEAT_COLOUR = {False: "#3b6fb6", True: "#7fb0ff"}  # the density's colour at its peak, per theme (dark?)
HEAT_LEVELS = 256  # shades from the background to the peak's colour (what 8-bit channels can show)


@dataclass(frozen=True)
class Heat:
    """p drawn: packed pixels (rows from the top, y high to low) over ``rect`` and contour lines."""

    pixels: np.ndarray
    rect: tuple[float, float, float, float]
    contour_x: np.ndarray
    contour_y: np.ndarray


def heat_of(target: Target, extent: tuple[tuple[float, float], ...], dark: bool,
            n: int = HEAT_CELLS) -> Heat:
    """p's density as a heatmap (background at 0, :data:`HEAT_COLOUR` at the peak) and its contours; in
    1-D no pixels and the density's curve as (``contour_x``, ``contour_y``)."""
    if len(extent) == 1:
        (x0, x1), = extent
        values = np.exp(density(target, extent, 4 * n).log_density)
        xs = np.linspace(x0, x1, 4 * n, endpoint=False) + (x1 - x0) / (8 * n)
        return Heat(np.zeros((0, 0), np.uint32), (x0, 0.0, x1, 0.0), xs, np.nan_to_num(values))
    grid = density(target, extent, n)  # log p, rows: x₂ from low to high
    log_p = np.where(np.isfinite(grid.log_density), grid.log_density, -np.inf)
    top = float(log_p.max())
    if math.isfinite(top):
        shade = np.exp(0.5 * (log_p[::-1] - top))  # √(p / peak): the tails stay visible; row 0 at the top
        packed = _heat_colours(dark)[(shade * (HEAT_LEVELS - 1) + 0.5).astype(np.intp)]
    else:
        packed = np.full(log_p.shape, _heat_colours(dark)[0], np.uint32)
    (x0, x1), (y0, y1) = extent
    if math.isfinite(top):
        levels = [top + math.log(f) for f in CONTOUR_FRACTIONS]
        field = log_p.T  # contour_segments wants field[i, j] at (x_i, y_j)
        x, y = segments_to_xy(contour_segments(field, levels), (x0, y0, x1, y1), field.shape)
    else:
        x = y = np.empty(0)
    return Heat(packed, (x0, y0, x1, y1), x, y)


@functools.cache
def _heat_colours(dark: bool) -> np.ndarray:
    """The heatmap's colour table: :data:`HEAT_LEVELS` packed colours from the background to the peak's."""
    background = np.asarray(rgb(plot_colours(dark)["background"]), dtype=np.float64)
    colour = np.asarray(rgb(HEAT_COLOUR[dark]), dtype=np.float64)
    shade = np.linspace(0.0, 1.0, HEAT_LEVELS)[:, None]
    table = pack_rgb32(np.clip(np.rint(background + shade * (colour - background)), 0, 255))
    table.setflags(write=False)
    return table


def heat_job(target: Target, extent, dark: bool, n: int = HEAT_CELLS) -> JobFactory:
    """Latest-wins request: :func:`heat_of` (a few ms: too much for a GUI frame while dragging)."""
    return single(lambda ctx: heat_of(target, extent, dark, n))


@dataclass(frozen=True)
class GridValues:
    """KL(p‖q) and KL(q‖p) by quadrature, one pair per q asked about (NaN where a q is missing)."""

    forward: tuple[float, ...]
    reverse: tuple[float, ...]


def _own_box(g: Gaussian) -> tuple[tuple[float, float], ...]:
    return tuple((m - Q_BOX_SIGMAS * s, m + Q_BOX_SIGMAS * s)
                 for m, s in zip(g.mean, np.sqrt(np.diag(g.cov)), strict=True))


def mass_box(p: Target, extent) -> tuple[tuple[float, float], ...]:
    """The plotted box, widened to every Gaussian part of p's own box (a dragged mean may take p's mass
    beyond the plot, which stays put while dragging)."""
    parts = [p] if isinstance(p, Gaussian) else [c for w, c in zip(p.weights, p.components, strict=True)
                                                   if w > 0] if isinstance(p, Mixture) else []
    boxes = [extent] + [_own_box(g) for g in parts]
    return tuple((min(b[i][0] for b in boxes), max(b[i][1] for b in boxes)) for i in range(len(extent)))


def grid_values(p: Target, qs: tuple[Gaussian | None, ...], extent, n: int = QUADRATURE_CELLS) -> GridValues:
    """KL(p‖q) on a box holding p's mass (p's log-density computed once for every q) and KL(q‖p) on q's own
    ±:data:`Q_BOX_SIGMAS` σ box, where all of q's mass is, so a narrow q is resolved as well as a wide one."""
    axes, cell = grid_axes(mass_box(p, extent), n)
    log_p = p.log_prob_grid(axes)
    p_weight = np.exp(log_p)
    forward, reverse = [], []
    for q in qs:
        if q is None:
            forward.append(math.nan)
            reverse.append(math.nan)
            continue
        forward.append(float(np.sum(p_weight * (log_p - q.log_prob_grid(axes))) * cell))
        reverse.append(grid_kl(q, p, _own_box(q), n))
    return GridValues(tuple(forward), tuple(reverse))


def grid_job(p: Target, qs: tuple[Gaussian | None, ...], extent, n: int = QUADRATURE_CELLS) -> JobFactory:
    """Latest-wins request: :func:`grid_values` (several ms: always in the worker)."""
    return single(lambda ctx: grid_values(p, qs, extent, n))


@dataclass(frozen=True)
class DragPreview:
    """A dragged p drawn and measured: its heatmap and the table's KL values, answered together."""

    heat: Heat
    grid: GridValues


def drag_job(p: Target, qs: tuple[Gaussian | None, ...], extent, dark: bool) -> JobFactory:
    """Latest-wins request while p is dragged: :func:`heat_of` and :func:`grid_values` at the drag's
    resolutions, in one round trip to the worker (and never one without the other)."""
    return single(lambda ctx: DragPreview(heat_of(p, extent, dark, DRAG_HEAT_CELLS),
                                          grid_values(p, qs, extent, DRAG_QUADRATURE_CELLS)))

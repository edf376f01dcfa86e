"""Grids over a plot's rectangle: where a 2-D figure is shown and the cells a density is evaluated on."""

from __future__ import annotations

import numpy as np

Rect = tuple[float, float, float, float]  # (x0, y0, x1, y1)


def data_rect(points: np.ndarray, pad: float = 0.2) -> Rect:
    """(x0, y0, x1, y1): the points' bounding box, padded, square enough to look right;
    a unit box if empty."""
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


def cell_centres(rect: Rect, res: int) -> tuple[np.ndarray, np.ndarray]:
    """The x and y centres of a res × res grid of cells over ``rect``."""
    x0, y0, x1, y1 = rect
    xs = x0 + (np.arange(res) + 0.5) * (x1 - x0) / res
    ys = y0 + (np.arange(res) + 0.5) * (y1 - y0) / res
    return xs, ys

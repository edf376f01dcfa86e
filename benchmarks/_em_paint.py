"""The EM benchmark's colour blending; the point raster (:class:`PointRaster`), the grid density
(:func:`grid_density`) and its colour table now live in the app and are re-exported from here.

See :mod:`benchmarks.em`'s docstring for the figures."""

from __future__ import annotations

import numpy as np

from vaeviz.core.em.density_grid import grid_density
from vaeviz.ui.em.layers import density_lut
from vaeviz.ui.items.point_raster import POINT_ALPHA, POINT_SIZE_PX, PointRaster

# tab10's first colours, as in the app (vaeviz.ui.em.colours.HEX).
PALETTE_HEX = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf"]
PALETTE = np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in PALETTE_HEX], dtype=np.float32)


def blend_colours(resp: np.ndarray, palette: np.ndarray = PALETTE) -> np.ndarray:
    """Blend component colours by responsibility: (N, K) → (N, 3) uint8 RGB."""
    rgb = np.asarray(resp, dtype=np.float32) @ palette[: resp.shape[1]]
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


__all__ = ["PALETTE", "PALETTE_HEX", "POINT_ALPHA", "POINT_SIZE_PX", "PointRaster", "blend_colours",
           "density_lut", "grid_density"]

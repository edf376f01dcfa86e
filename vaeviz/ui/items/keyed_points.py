"""Points coloured by 12-bit colour keys, drawn the cheap way for their number: the EM and k-means scatters.

Up to ``RASTER_MIN_N`` points a ``ScatterPlotItem`` with shared brushes (:class:`BrushCache`) draws them;
beyond, a :class:`~vaeviz.ui.items.point_raster.PointRaster` does: recolouring 1e4 points then costs ~0.3 ms
instead of ~40 ms with brushes. The scatter keeps the positions in both cases (picking, self-checks).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vaeviz.ui.items.colour_keys import GREY_KEY, BrushCache, keys_packed
from vaeviz.ui.items.point_raster import PointRaster

RASTER_MIN_N = 2_000


class KeyedPoints:
    """The points of one plot; add :attr:`items` to it. Call :meth:`set_points` for new positions and
    :meth:`set_keys` for new colours (skipped when they did not change)."""

    def __init__(self, plot: pg.PlotItem, size_px: float, alpha: int = 210) -> None:
        self.plot = plot
        self.size_px = size_px
        self.cache = BrushCache(alpha=alpha)
        self.scatter = pg.ScatterPlotItem(size=size_px, pen=None)
        self.raster = PointRaster(size_px=size_px, alpha=alpha)
        self.raster.item.hide()
        self.items = (self.raster.item, self.scatter)
        self._points = np.zeros((0, 2))
        self._keys: np.ndarray | None = None
        box = plot.getViewBox()
        box.sigRangeChanged.connect(self._rebuild_raster)
        box.sigResized.connect(self._rebuild_raster)

    @property
    def rastered(self) -> bool:
        """Whether the raster draws the points (many of them) rather than the scatter's brushes."""
        return len(self._points) > RASTER_MIN_N

    @property
    def points(self) -> np.ndarray:
        return self._points

    def set_points(self, points: np.ndarray, keys: np.ndarray | None = None) -> None:
        """New positions (another data version) and their colour keys (None: grey)."""
        self._points = np.asarray(points, dtype=np.float64)
        self._keys = self._full_keys(keys)
        if self.rastered:
            self.scatter.setData(pos=self._points, brush=self.cache.brushes(self._keys[:1])[0], pen=None,
                                 size=self.size_px)
            self.scatter.hide()
            self.raster.item.show()
            self._rebuild_raster()
        else:
            self.raster.item.hide()
            self.scatter.show()
            self.scatter.setData(pos=self._points, brush=self.cache.brushes(self._keys), pen=None,
                                 size=self.size_px)

    def set_keys(self, keys: np.ndarray | None) -> None:
        keys = self._full_keys(keys)
        if self._keys is not None and np.array_equal(keys, self._keys):
            return
        self._keys = keys
        if self.rastered:
            self._recolour_raster()
        else:
            self.scatter.setBrush(self.cache.brushes(keys))

    def _rebuild_raster(self, *_) -> None:
        """Rasterise the points again for the current view range and size (the raster is in pixels)."""
        if self.rastered and self.raster.set_points_in_view(self._points, self.plot.getViewBox()):
            self._recolour_raster()

    def _recolour_raster(self) -> None:
        if self.raster.n_points == len(self._points) and self._keys is not None:
            self.raster.recolour_packed(keys_packed(self._keys))

    def _full_keys(self, keys: np.ndarray | None) -> np.ndarray:
        if keys is None or len(keys) != len(self._points):
            return np.full(len(self._points), GREY_KEY, dtype=np.uint16)
        return keys

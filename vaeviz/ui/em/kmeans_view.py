"""k-means beside the GMM: hard assignments, centres and the Voronoi cells of the centres.

The two views show the same range (linked) and the same colours for the same cluster: each k-means
cluster takes the colour of the GMM component whose mean is nearest its centre (Hungarian matching,
:func:`kmeans_colours`), since the two runs may number their clusters differently.

The cells are a raster (nearest centre per grid cell, computed and coloured in the worker, see
:mod:`vaeviz.ui.em.layers`) drawn as one opaque image, so they cost one texture, not K polygons.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vaeviz.core.em.align import align_components
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.kmeans import KMeansState
from vaeviz.ui.em.colours import PALETTE, colour
from vaeviz.ui.em.em_view import style_plot
from vaeviz.ui.items.cheap_items import Markers
from vaeviz.ui.items.colour_keys import blend_keys
from vaeviz.ui.items.fast_image import FastImage
from vaeviz.ui.items.keyed_points import KeyedPoints
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.theme import plot_colours, rgb


def kmeans_colours(state: KMeansState | None, gmm: GaussianMixture | None) -> np.ndarray | None:
    """The colour index of each k-means cluster: the GMM component matched to its centre (None: by index)."""
    # (K ≤ 20: a Hungarian matching this small is cheap enough for every frame in the GUI thread)
    if state is None or gmm is None or state.centres.shape != gmm.means.shape:
        return None
    if not (np.all(np.isfinite(state.centres)) and np.all(np.isfinite(gmm.means))):
        return None
    return np.asarray(align_components(state.centres, gmm.means), dtype=np.intp)


def centres_in_colour_order(centres: np.ndarray, colours: np.ndarray | None) -> np.ndarray:
    """The centres reordered so that centre j has colour j (for the cells, coloured by nearest index)."""
    if colours is None:
        return centres
    ordered = np.empty_like(centres)
    ordered[colours] = centres
    return ordered


class KMeansView(pg.PlotWidget):
    """Scatter in hard cluster colours over the centres' Voronoi cells."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("kmeans-figure")
        plot = self.getPlotItem()
        plot.setTitle("k-means (same start, lockstep)", size="10pt")
        setup_data_plot(plot, "x₁")
        # Not aspect-locked: its range is the GMM scatter's (linked by the figure), which is.
        self.setMinimumSize(160, 160)
        self.cells = FastImage()
        self.cells.setZValue(-20)
        self.background = (255, 255, 255)  # what the cells are composited over
        self.points = KeyedPoints(plot, size_px=5, alpha=230)
        self.scatter = self.points.scatter
        self.centres = Markers("x", size=17, pen=pg.mkPen(20, 20, 20, width=1.2))
        self.centres.setZValue(20)
        for item in (self.cells, *self.points.items, self.centres):
            plot.addItem(item)
        self._brushes = [pg.mkBrush(colour(j)) for j in range(len(PALETTE))]
        self._labels: np.ndarray | None = None
        self._colours: np.ndarray | None = None
        self.state: KMeansState | None = None
        self.colours: np.ndarray | None = None  # the colour index of each cluster (None: its own index)

    def set_points(self, points: np.ndarray) -> None:
        self._labels = None
        self.points.set_points(points)  # grey until k-means assigns them

    def set_state(self, state: KMeansState | None, colours: np.ndarray | None = None) -> None:
        """Show ``state``; cluster j in colour ``colours[j]`` (see :func:`kmeans_colours`)."""
        self.state = state
        if state is None:
            self.centres.set_data([])
            return
        k = state.centres.shape[0]
        order = np.arange(k) if colours is None else np.asarray(colours)
        self.colours = order
        self.centres.set_data(state.centres, brushes=[self._brushes[c % len(self._brushes)] for c in order])
        labels = state.labels
        if labels is None or len(labels) != len(self.points.points):
            labels = None
        if labels is None and self._labels is None:
            return
        same_colours = self._colours is not None and np.array_equal(order, self._colours)
        if (labels is not None and self._labels is not None and np.array_equal(labels, self._labels)
                and same_colours):
            return
        self._labels = labels
        self._colours = order
        # hard assignments: each point the pure colour of its cluster (None: grey)
        palette = PALETTE[order % len(PALETTE)]
        self.points.set_keys(None if labels is None else blend_keys(np.eye(k)[labels], palette))

    def set_cells(self, rect, pixels: np.ndarray | None) -> None:
        """The cells (:func:`vaeviz.ui.em.layers.cells_image`) over ``rect`` = (x0, y0, x1, y1).

        None: no cells."""
        if pixels is None:
            self.cells.hide()
            return
        self.cells.set_image(pixels, rect, "rgb32")
        self.cells.show()

    def apply_theme(self, dark: bool) -> None:
        colours = plot_colours(dark)
        self.setBackground(colours["background"])
        self.background = rgb(colours["background"])
        style_plot(self.getPlotItem(), dark)
        self.centres.set_pen(pg.mkPen(colours["foreground"], width=1.2))  # the X outlines stay visible

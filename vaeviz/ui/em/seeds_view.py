"""Problem 2, identifiability: EM from several seeds, as small multiples.

Each panel shows one run's converged mixture with components coloured by the index EM gave them. As
found, the same clusters get different colours in different runs at the same likelihood (label
switching); aligned to the lab's fit (:func:`vaeviz.core.em.align.align_components`), the colours agree.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vaeviz.core.em.edit import ellipse
from vaeviz.core.em.problems import SeedRun
from vaeviz.ui.em.colours import colour
from vaeviz.ui.em.em_view import style_plot
from vaeviz.ui.theme import plot_colours

MAX_POINTS = 1500  # grey context points per panel


class SeedsView(pg.GraphicsLayoutWidget):
    """A 2×2 grid of runs; :meth:`set_runs` then :meth:`set_aligned` to switch colourings."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("seeds-figure")
        self.setMinimumSize(160, 160)
        self.runs: list[SeedRun] = []
        self.aligned = False
        self.plots: list[pg.PlotItem] = []
        self._points = np.zeros((0, 2))
        self._dark = False

    def set_runs(self, runs: list[SeedRun], points: np.ndarray) -> None:
        self.runs = list(runs)
        step = max(1, len(points) // MAX_POINTS)
        self._points = np.asarray(points)[::step]
        self._draw()

    def set_aligned(self, aligned: bool) -> None:
        self.aligned = aligned
        self._draw()

    def _draw(self) -> None:
        self.clear()
        self.plots = []
        for i, run in enumerate(self.runs):
            if i and i % 2 == 0:
                self.nextRow()
            gmm = run.aligned if self.aligned else run.gmm
            plot = self.addPlot()
            plot.setTitle(f"seed {run.seed}: ℓ = {run.log_likelihood:,.1f}", size="9pt")
            plot.setAspectLocked(True)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setMenuEnabled(False)
            plot.addItem(pg.ScatterPlotItem(pos=self._points, size=3, pen=None,
                                            brush=pg.mkBrush(140, 140, 140, 110)))
            for k in range(gmm.n_components):
                for n_sigma, width in ((1.0, 2.2), (2.0, 1.0)):
                    pts = ellipse(gmm.means[k], gmm.covariances[k], n_sigma)
                    plot.plot(pts[:, 0], pts[:, 1], pen=pg.mkPen(colour(k), width=width))
                text = pg.TextItem(str(k + 1), color=colour(k), anchor=(0.5, 0.5))
                text.setPos(*gmm.means[k])
                plot.addItem(text)
            style_plot(plot, self._dark)
            self.plots.append(plot)

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        self.setBackground(plot_colours(dark)["background"])
        for plot in self.plots:
            style_plot(plot, dark)

"""Holes drawn on a latent plot: the grid tiles counted as holes outlined, where N(0, I) lives, and the
prior samples that were decoded.

A model's holes are measured on the "fit to the data" grid (:func:`vaeviz.core.vae.lab_views.holes`):
an n × n grid over the model's own codes. This overlay outlines the tiles whose decoding is farther
from every training image than 95 % of the training images are from their nearest neighbour, draws
the prior's 2σ circle (|z| = 2: most of N(0, I)'s mass) and marks the z of the prior samples in the
strip, so an autoencoder whose codes spread over ±20 shows how small a patch the prior covers.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from vaeviz.core.vae.lab_types import HoleView

HOLE_COLOUR = "#ffd400"  # gold: no class colour (tab10), visible on the black tiles of either theme
PRIOR_SYMBOL = "d"


def hole_caption(view: HoleView) -> str:
    """The numbers in the figure: the grid's and the prior samples' hole fractions."""
    n = view.n
    count = int(view.holes.sum())
    return (f"holes: {view.fraction:.1%} of the {n}×{n} grid over its codes ({count} outlined) · "
            f"{view.prior_fraction:.1%} of {n * n} prior samples")


def tile_outlines(view: HoleView) -> tuple[np.ndarray, np.ndarray]:
    """Segments (x, y pairs for ``connect="pairs"``) around every hole tile, in latent coordinates."""
    (x0, x1), (y0, y1) = view.z_range
    n = view.n
    dx = (x1 - x0) / (n - 1) if n > 1 else 1.0
    dy = (y1 - y0) / (n - 1) if n > 1 else 1.0
    xs, ys = [], []
    for row, col in zip(*np.nonzero(view.holes), strict=True):
        cx, cy = x0 + col * dx, y1 - row * dy  # row 0 is the top (highest z₂)
        left, right, bottom, top = cx - 0.45 * dx, cx + 0.45 * dx, cy - 0.45 * dy, cy + 0.45 * dy
        for (ax, ay), (bx, by) in (((left, bottom), (right, bottom)), ((right, bottom), (right, top)),
                                   ((right, top), (left, top)), ((left, top), (left, bottom))):
            xs += [ax, bx]
            ys += [ay, by]
    return np.array(xs, np.float64), np.array(ys, np.float64)


class HoleOverlay:
    """The hole outlines, the prior's circle and the prior samples' marks on one latent plot."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.outlines = pg.PlotCurveItem(pen=pg.mkPen(HOLE_COLOUR, width=2), connect="pairs")
        # The prior's circle and marks lie on black tiles and on the plot's background alike: white
        # dashes over a black line, white diamonds ringed in black, a label on a white box.
        t = np.linspace(0, 2 * np.pi, 129)
        self.prior_under = pg.PlotCurveItem(2 * np.cos(t), 2 * np.sin(t), pen=pg.mkPen("#000000", width=3))
        self.prior_circle = pg.PlotCurveItem(2 * np.cos(t), 2 * np.sin(t),
                                             pen=pg.mkPen("#ffffff", width=1.5, style=Qt.PenStyle.DashLine))
        self.prior_label = pg.TextItem("N(0, I): |z| = 2", anchor=(0.5, 1), color="#000000",
                                       fill=pg.mkBrush(255, 255, 255, 200))
        self.prior_label.setPos(0.0, 2.0)  # above the circle, centred: inside the smallest grid
        self.prior_marks = pg.ScatterPlotItem(size=10, symbol=PRIOR_SYMBOL, brush=pg.mkBrush("#ffffff"),
                                              pen=pg.mkPen("#000000", width=1.2))
        self.items = (self.outlines, self.prior_under, self.prior_circle, self.prior_label, self.prior_marks)
        for item in self.items:
            plot.addItem(item, ignoreBounds=True)
            item.setZValue(6)
        self.view: HoleView | None = None
        self.clear()

    def show(self, view: HoleView) -> None:
        self.view = view
        self.outlines.setData(*tile_outlines(view))
        for item in self.items:
            item.show()

    def set_prior(self, z: np.ndarray | None) -> None:
        """The z of the prior samples shown in the strip (drawn while the holes are on show)."""
        self.prior_marks.setData(pos=np.zeros((0, 2)) if z is None else np.asarray(z)[:, :2])

    def clear(self) -> None:
        self.view = None
        for item in self.items:
            item.hide()

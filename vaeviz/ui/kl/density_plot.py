"""One 2-D plot of the KL lab: p's density (heatmap and contours) with a fitted q's 1σ and 2σ ellipses.

Handles the user drags: q's start (⊕), p's means (●) and one covariance handle per component (◆, on p's
1σ ellipse: mean + the first column of Σ's Cholesky factor). A drag's moves are reported with
``finished=False``, its release with ``finished=True``; positions the lab sets are never reported.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from vaeviz.core.kl.targets import Gaussian
from vaeviz.ui.items.fast_image import FastImage
from vaeviz.ui.items.handles import HandleRow
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.kl.layers import Heat
from vaeviz.ui.theme import plot_colours

# The fits' colours per theme (dark?): forward KL, reverse KL, D_α
ROLE_COLOURS = {
    False: {"forward": "#d9480f", "reverse": "#862e9c", "alpha": "#2b8a3e", "p": "#1d3f73"},
    True: {"forward": "#ffa94d", "reverse": "#e599f7", "alpha": "#8ce99a", "p": "#d0e4ff"},
}
_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * math.pi, 97)), np.sin(np.linspace(0, 2 * math.pi, 97))])


def ellipse(q: Gaussian, k: float) -> tuple[np.ndarray, np.ndarray]:
    """The k-σ ellipse of a 2-D Gaussian as a closed polyline."""
    points = q.mean[:, None] + k * np.linalg.cholesky(q.cov) @ _CIRCLE
    return points[0], points[1]


def style_plot(plot: pg.PlotItem, dark: bool) -> None:
    fg = plot_colours(dark)["foreground"]
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(fg)
        axis.setTextPen(fg)
    plot.titleLabel.setText(plot.titleLabel.text, color=fg)


class DensityPlot(pg.PlotWidget):
    """p's density and one fitted q (``role``: "forward", "reverse", "alpha" or "vi")."""

    start_dragged = Signal(float, float, bool)  # x, y, finished
    mean_dragged = Signal(int, float, float, bool)  # component, x, y, finished
    cov_dragged = Signal(int, float, float, bool)

    def __init__(self, role: str, title: str) -> None:
        super().__init__()
        self.role = role
        self.dark = False
        self.caption = title
        self.note = ""
        plot = self.getPlotItem()
        plot.setTitle(title, size="10pt")
        setup_data_plot(plot, "x₁", "x₂")
        plot.setAspectLocked(True)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        self.heat = FastImage()
        self.heat.setZValue(-10)
        plot.addItem(self.heat)
        self.contours = pg.PlotCurveItem(connect="pairs")
        self.q_1sigma = pg.PlotCurveItem()
        self.q_2sigma = pg.PlotCurveItem()
        self.q_mean = pg.ScatterPlotItem(size=9, symbol="+")
        self.starts = pg.PlotCurveItem(connect="finite")  # several starts: their ends' 1σ ellipses
        self.start_marks = pg.ScatterPlotItem(size=7, symbol="o")
        self.starts_arrows = pg.PlotCurveItem(connect="pairs")
        for item in (self.contours, self.starts, self.starts_arrows, self.start_marks, self.q_2sigma,
                     self.q_1sigma, self.q_mean):
            plot.addItem(item)
        self.start_handle = pg.TargetItem(size=14, movable=True, symbol="crosshair")
        self.start_handle.setZValue(20)
        plot.addItem(self.start_handle)
        self.start_handle.sigPositionChanged.connect(self._start_moved)
        self.start_handle.sigPositionChangeFinished.connect(self._start_released)
        self.means = HandleRow(plot, size=11, symbol="o")
        self.covs = HandleRow(plot, size=9, symbol="d")
        self.means.moved.connect(self.mean_dragged)
        self.covs.moved.connect(self.cov_dragged)
        self._placing = False
        self.apply_theme(False)

    # ----- what is drawn ---------------------------------------------------------------------------
    def set_heat(self, heat: Heat) -> None:
        self.heat.set_image(heat.pixels, heat.rect)
        self.contours.setData(heat.contour_x, heat.contour_y)

    def set_range(self, extent) -> None:
        (x0, x1), (y0, y1) = extent
        self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def set_q(self, q: Gaussian | None) -> None:
        """q's 1σ and 2σ ellipses and its mean (nothing for no q, or for one that is not finite)."""
        try:
            if q is None or not (np.all(np.isfinite(q.mean)) and np.all(np.isfinite(q.cov))):
                raise np.linalg.LinAlgError
            one, two = ellipse(q, 1.0), ellipse(q, 2.0)
        except np.linalg.LinAlgError:  # (a q that diverged is stopped by the core: this is a safeguard)
            for curve in (self.q_1sigma, self.q_2sigma):
                curve.setData([], [])
            self.q_mean.setData([], [])
            return
        self.q_1sigma.setData(*one)
        self.q_2sigma.setData(*two)
        self.q_mean.setData([q.mean[0]], [q.mean[1]])

    def set_starts(self, starts: tuple[Gaussian, ...], ends: tuple[Gaussian, ...]) -> None:
        """Several starts: a dot at each start, a line to where its fit ended, and the end's 1σ ellipse."""
        if not starts:
            self.starts.setData([], [])
            self.start_marks.setData([], [])
            self.starts_arrows.setData([], [])
            return
        xs, ys = [], []
        for q in ends:
            x, y = ellipse(q, 1.0)
            xs += [*x, np.nan]
            ys += [*y, np.nan]
        self.starts.setData(np.asarray(xs), np.asarray(ys))
        self.start_marks.setData([s.mean[0] for s in starts], [s.mean[1] for s in starts])
        pairs = np.array([[s.mean, e.mean] for s, e in zip(starts, ends, strict=True)]).reshape(-1, 2)
        self.starts_arrows.setData(pairs[:, 0], pairs[:, 1])

    def set_title(self, text: str) -> None:
        self.caption = text
        shown = f"{text}<br>{self.note}" if self.note else text
        self.getPlotItem().setTitle(shown, size="10pt", color=plot_colours(self.dark)["foreground"])

    def set_note(self, note: str) -> None:
        """A second title line (what several starts found), "" for none."""
        self.note = note
        self.set_title(self.caption)

    # ----- handles --------------------------------------------------------------------------------
    def show_start(self, xy: tuple[float, float] | None) -> None:
        self.start_handle.setVisible(xy is not None)
        if xy is not None:
            self._place(self.start_handle, xy)

    def show_p_handles(self, means, cov_points) -> None:
        """One mean handle and one covariance handle per component of p (none for a banana or a ring)."""
        self.means.show(means)
        self.covs.show(cov_points)

    @property
    def mean_handles(self) -> list[pg.TargetItem]:
        return self.means.handles

    def _place(self, handle: pg.TargetItem, xy) -> None:
        x, y = float(xy[0]), float(xy[1])
        here = handle.pos()
        if here.x() == x and here.y() == y:
            return  # (unmoved: no relayout)
        self._placing = True
        try:
            handle.setPos(x, y)
        finally:
            self._placing = False

    def _start_moved(self, handle) -> None:
        if not self._placing:
            self.start_dragged.emit(handle.pos().x(), handle.pos().y(), False)

    def _start_released(self, handle) -> None:
        self.start_dragged.emit(handle.pos().x(), handle.pos().y(), True)

    # ----- theme ----------------------------------------------------------------------------------------
    def _style_handles(self) -> None:
        colour = ROLE_COLOURS[self.dark]["p"]
        for row in (self.means, self.covs):
            row.style(pg.mkPen(colour, width=2), brush=pg.mkBrush(plot_colours(self.dark)["background"]))

    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        colours = ROLE_COLOURS[dark]
        fg = plot_colours(dark)["foreground"]
        self.setBackground(plot_colours(dark)["background"])
        style_plot(self.getPlotItem(), dark)
        self.set_title(self.caption)
        q_colour = colours.get(self.role, colours["reverse"])
        self.contours.setPen(pg.mkPen(colours["p"], width=1))
        self.q_1sigma.setPen(pg.mkPen(q_colour, width=3))
        self.q_2sigma.setPen(pg.mkPen(q_colour, width=2, style=Qt.PenStyle.DashLine))
        self.q_mean.setPen(pg.mkPen(q_colour, width=2))
        self.starts.setPen(pg.mkPen(q_colour, width=1.5))
        self.starts_arrows.setPen(pg.mkPen(fg, width=1, style=Qt.PenStyle.DotLine))
        self.start_marks.setBrush(pg.mkBrush(fg))
        self.start_marks.setPen(pg.mkPen(None))
        self.start_handle.setPen(pg.mkPen(fg, width=2))
        self._style_handles()

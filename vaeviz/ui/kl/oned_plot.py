"""The 1-D mode's plot: p (a 1-D mixture) and both fitted Gaussians on one axis, with draggable means.

Handles sit on the x axis: q's start (⊕) and each component's mean (●); dragging moves them along x only.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from vaeviz.core.kl.targets import Gaussian
from vaeviz.ui.items.legend import add_legend, style_legend
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.kl.density_plot import ROLE_COLOURS, style_plot
from vaeviz.ui.kl.layers import Heat
from vaeviz.ui.theme import plot_colours

ROLE_NAMES = {"forward": "q by KL(p‖q)", "reverse": "q by KL(q‖p)"}  # (the α fit is 2-D only)


class OneDPlot(pg.PlotWidget):
    start_dragged = Signal(float, float, bool)
    mean_dragged = Signal(int, float, float, bool)

    def __init__(self) -> None:
        super().__init__()
        self.dark = False
        plot = self.getPlotItem()
        plot.setTitle("1-D: both fits on one axis", size="10pt")
        setup_data_plot(plot, "x", "density")
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(False, False)
        self.legend = add_legend(plot, offset=(-6, 6))
        self.p_curve = pg.PlotCurveItem(fillLevel=0.0)
        plot.addItem(self.p_curve)
        self.legend.addItem(self.p_curve, "p")
        self.q_curves: dict[str, pg.PlotCurveItem] = {}
        for role, name in ROLE_NAMES.items():
            curve = pg.PlotCurveItem()
            plot.addItem(curve)
            self.q_curves[role] = curve
            self.legend.addItem(curve, name)
        self.xs = np.linspace(-6, 6, 400)
        self.tops = {"p": 1.0}  # each curve's peak: the y range holds them all
        self.start_handle = pg.TargetItem(size=14, movable=True, symbol="crosshair")
        self.start_handle.setZValue(20)
        plot.addItem(self.start_handle)
        self.start_handle.sigPositionChanged.connect(lambda h: self._moved(h, -1, False))
        self.start_handle.sigPositionChangeFinished.connect(lambda h: self._moved(h, -1, True))
        self.mean_handles: list[pg.TargetItem] = []
        self._placing = False
        self.apply_theme(False)

    def set_range(self, extent) -> None:
        (x0, x1), = extent
        self.xs = np.linspace(x0, x1, 400)
        self.getPlotItem().setXRange(x0, x1, padding=0)

    def set_heat(self, heat: Heat) -> None:
        self.p_curve.setData(heat.contour_x, heat.contour_y)
        self.tops["p"] = float(np.max(heat.contour_y)) if len(heat.contour_y) else 1.0
        self._fit_y()

    def _fit_y(self) -> None:
        top = max(v for v in self.tops.values() if math.isfinite(v))
        self.getPlotItem().setYRange(0.0, 1.2 * top if top > 0 else 1.0, padding=0)

    def set_q(self, role: str, q: Gaussian | None) -> None:
        curve = self.q_curves.get(role)
        if curve is None:
            return
        if q is None or not np.all(np.isfinite(q.cov)):
            curve.setData([], [])
            curve.setVisible(False)
            self.tops.pop(role, None)
            return
        curve.setVisible(True)
        density = np.exp(q.log_prob(self.xs[:, None]))
        curve.setData(self.xs, density)
        self.tops[role] = float(np.exp(q.log_prob(q.mean[None, :]))[0])
        self._fit_y()

    def show_handles(self, start: float, means) -> None:
        plot = self.getPlotItem()
        while len(self.mean_handles) < len(means):
            j = len(self.mean_handles)
            handle = pg.TargetItem(size=11, movable=True, symbol="o")
            handle.setZValue(15)
            plot.addItem(handle)
            handle.sigPositionChanged.connect(lambda h, j=j: self._moved(h, j, False))
            handle.sigPositionChangeFinished.connect(lambda h, j=j: self._moved(h, j, True))
            self.mean_handles.append(handle)
        self.apply_theme(self.dark)
        self._placing = True
        try:
            self.start_handle.setPos(float(start), 0.0)
            for j, handle in enumerate(self.mean_handles):
                handle.setVisible(j < len(means))
                if j < len(means):
                    handle.setPos(float(means[j]), 0.0)
        finally:
            self._placing = False

    def _moved(self, handle, j: int, finished: bool) -> None:
        # GUI-thread signals of the plot's own items (never a worker's): lambdas are safe here
        if self._placing:
            return
        x = handle.pos().x()
        if handle.pos().y() != 0.0:
            self._placing = True
            handle.setPos(x, 0.0)  # along the axis only
            self._placing = False
        if j < 0:
            self.start_dragged.emit(x, 0.0, finished)
        else:
            self.mean_dragged.emit(j, x, 0.0, finished)

    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        colours = ROLE_COLOURS[dark]
        fg = plot_colours(dark)["foreground"]
        self.setBackground(plot_colours(dark)["background"])
        style_plot(self.getPlotItem(), dark)
        self.p_curve.setPen(pg.mkPen(colours["p"], width=3))
        fill = pg.mkColor(colours["p"])
        fill.setAlpha(50)
        self.p_curve.setBrush(pg.mkBrush(fill))
        for role, curve in self.q_curves.items():
            style = Qt.PenStyle.DashLine if role == "alpha" else Qt.PenStyle.SolidLine
            curve.setPen(pg.mkPen(colours[role], width=3, style=style))
        self.start_handle.setPen(pg.mkPen(fg, width=2))
        for handle in self.mean_handles:
            handle.setPen(pg.mkPen(colours["p"], width=2))
            handle.setBrush(pg.mkBrush(plot_colours(dark)["background"]))
        style_legend(self.legend, dark)

"""The lecture's 1-D mixture: components p(x|z), weighted components π_k p(x|z), the marginal
p(x) = Σ_z p(x|z) p(z), and the posterior P(z|x) beneath, with draggable means and a hover readout.

Everything here is a few thousand Gaussian evaluations, cheap enough for the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot

from vaeviz.core.em.problems import crossover, curves_1d
from vaeviz.ui.em.colours import colour
from vaeviz.ui.em.em_view import style_plot
from vaeviz.ui.items.plot_grid import show_cached_grid
from vaeviz.ui.theme import plot_colours

X_RANGE = (-30.0, 30.0)


class OneDView(pg.GraphicsLayoutWidget):
    """Two stacked plots sharing x; emits ``mean_dragged(k, value)`` while a mean line is dragged."""

    mean_dragged = Signal(int, float)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("em-1d-figure")
        self.x = np.linspace(*X_RANGE, 1201)
        self.top = self.addPlot(title="components p(x|z), weighted π·p(x|z) and marginal p(x)")
        self.top.titleLabel.setText(self.top.titleLabel.text, size="10pt")
        self.top.addLegend(offset=(6, 6), labelTextSize="9pt", verSpacing=-4)
        self.nextRow()
        self.bottom = self.addPlot(title="posterior P(z|x)")
        self.bottom.titleLabel.setText(self.bottom.titleLabel.text, size="10pt")
        self.bottom.setXLink(self.top)
        self.bottom.setYRange(0, 1, padding=0.03)
        self.bottom.addLegend(offset=(6, 6), labelTextSize="9pt", verSpacing=-4)
        self.top.setLabel("left", "density")
        self.bottom.setLabel("bottom", "x")
        self.bottom.setLabel("left", "P(z|x)")
        for plot in (self.top, self.bottom):
            for name in ("left", "bottom"):
                plot.getAxis(name).enableAutoSIPrefix(False)
            show_cached_grid(plot)
            plot.setXRange(*X_RANGE, padding=0)
            plot.setMouseEnabled(y=False)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.comp = []
        self.weighted = []
        self.post = []
        self.mean_lines = []
        for k in range(2):
            c = colour(k)
            self.comp.append(self.top.plot(pen=pg.mkPen(c, width=1.5, style=Qt.PenStyle.DashLine),
                                           name=f"p(x|z={k + 1})"))
            fill = pg.mkBrush(colour(k, 60))
            self.weighted.append(self.top.plot(pen=pg.mkPen(c, width=2.5), fillLevel=0, brush=fill,
                                               name=f"π{k + 1}·p(x|z={k + 1})"))
            self.post.append(self.bottom.plot(pen=pg.mkPen(c, width=2.5), name=f"P(z={k + 1}|x)"))
            line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(c, width=1.5),
                                   label=f"μ{k + 1}", labelOpts={"position": 0.93, "color": c})
            line.sigPositionChanged.connect(self._on_mean_moved)
            self.top.addItem(line)
            self.mean_lines.append(line)
        self.marginal = self.top.plot(pen=pg.mkPen("#202020", width=3), name="p(x) = Σ_z p(x|z)p(z)")
        self.boundary = pg.InfiniteLine(angle=90, pen=pg.mkPen(120, 120, 120, width=1.2,
                                                               style=Qt.PenStyle.DotLine),
                                        label="P = ½", labelOpts={"position": 0.5, "color": (90, 90, 90)})
        self.bottom.addItem(self.boundary)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(150, 150, 150, 160))
        self.readout = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220),
                                   border=pg.mkPen(160, 160, 160), color="#202020")
        self.bottom.addItem(self.cursor)
        self.top.addItem(self.readout)
        self.readout.setZValue(50)
        self.readout.hide()
        self.cursor.hide()
        self.params = ((0.5, 0.5), (-10.0, 10.0), (5.0, 5.0))
        self._updating = False
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def set_params(self, weights, means, sigmas) -> None:
        self.params = (tuple(weights), tuple(means), tuple(sigmas))
        c = curves_1d(self.x, weights, means, sigmas)
        for k in range(2):
            self.comp[k].setData(self.x, c.components[k])
            self.weighted[k].setData(self.x, c.weighted[k])
            self.post[k].setData(self.x, c.posterior[k])
        self.marginal.setData(self.x, c.marginal)
        self._updating = True
        try:
            for k, line in enumerate(self.mean_lines):
                if not line.moving:
                    line.setValue(means[k])
        finally:
            self._updating = False
        x_star = crossover(weights, means, sigmas)
        if x_star is None or not X_RANGE[0] <= x_star <= X_RANGE[1]:
            self.boundary.hide()
        else:
            self.boundary.setValue(x_star)
            self.boundary.label.setFormat(f"P = ½ at x = {x_star:.2f}")
            self.boundary.show()

    @Slot(object)
    def _on_mean_moved(self, line) -> None:
        if not self._updating:
            self.mean_dragged.emit(self.mean_lines.index(line), float(line.value()))

    def readout_text(self, x: float) -> str:
        weights, means, sigmas = self.params
        c = curves_1d(np.array([x]), weights, means, sigmas)
        parts = [f"x = {x:.2f}   p(x) = {c.marginal[0]:.4f}"]
        for k in range(2):
            parts.append(f"z={k + 1}: p(x|z) = {c.components[k, 0]:.4f}, π·p = {c.weighted[k, 0]:.4f}, "
                         f"P(z|x) = {c.posterior[k, 0]:.3f}")
        return "\n".join(parts)

    @Slot(object)
    def _on_mouse_moved(self, scene_pos) -> None:
        for plot in (self.top, self.bottom):
            if plot.vb.sceneBoundingRect().contains(scene_pos):
                x = plot.vb.mapSceneToView(scene_pos).x()
                self.cursor.setValue(x)
                self.cursor.show()
                self.readout.setText(self.readout_text(x))
                (x0, x1), (y0, y1) = self.top.vb.viewRange()
                self.readout.setPos(x0 + 0.01 * (x1 - x0), y1)
                self.readout.show()
                return
        self.cursor.hide()
        self.readout.hide()

    def apply_theme(self, dark: bool) -> None:
        self.setBackground(plot_colours(dark)["background"])
        for plot in (self.top, self.bottom):
            style_plot(plot, dark)
        self.marginal.setPen(pg.mkPen(plot_colours(dark)["foreground"], width=3))

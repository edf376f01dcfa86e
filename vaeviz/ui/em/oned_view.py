"""The lecture's 1-D mixture: components p(x|z), weighted components π_k p(x|z), the marginal
p(x) = Σ_z p(x|z) p(z), and the posterior P(z|x) beneath, with draggable means, a hover readout and the
samples of the generative process (points coloured by z and their histogram).

The title states π, μ and σ, so two exported figures of different mixtures say how they differ. The top
plot's y range is set from the curves (never from the readout or the samples), so hovering does not move
it. Everything here is a few thousand Gaussian evaluations, cheap enough for the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot

from vaeviz.core.em.problems import crossover, curves_1d
from vaeviz.ui.em.colours import colour
from vaeviz.ui.em.em_view import probe_style, style_plot
from vaeviz.ui.em.explain import fmt
from vaeviz.ui.em.generative import histogram_density
from vaeviz.ui.items.cheap_items import Markers
from vaeviz.ui.items.legend import add_legend, style_legend
from vaeviz.ui.items.plot_grid import show_cached_grid
from vaeviz.ui.theme import plot_colours

X_RANGE = (-30.0, 30.0)
HIST_EDGES = np.linspace(*X_RANGE, 61)
SUB = "₀₁₂₃₄₅₆₇₈₉"
RUG = (-0.075, -0.015)  # the samples' band under the axis, as fractions of the density's maximum


def pair(values) -> str:
    return "(" + ", ".join(fmt(v, 3) for v in values) + ")"


def oned_title(weights, means, sigmas) -> str:
    return (f"π = {pair(weights)}, μ = {pair(means)}, σ = {pair(sigmas)}: components p(x|z), "
            "weighted π<sub>k</sub>·p(x|z) and marginal p(x)")


class OneDView(pg.GraphicsLayoutWidget):
    """Two stacked plots sharing x; emits ``mean_dragged(k, value)`` while a mean line is dragged and
    ``hidden`` when it is hidden (the dock closed, the 2-D page shown: the sampling stops)."""

    mean_dragged = Signal(int, float)
    hidden = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("em-1d-figure")
        self.x = np.linspace(*X_RANGE, 1201)
        self._dark = False
        self.top = self.addPlot(title="")
        self.top.legend = add_legend(self.top)
        self.nextRow()
        self.bottom = self.addPlot(title="posterior P(z|x)")
        self.bottom.titleLabel.setText(self.bottom.titleLabel.text, size="10pt")
        self.bottom.setXLink(self.top)
        self.bottom.setYRange(0, 1, padding=0.03)
        self.bottom.legend = add_legend(self.bottom)
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
            c, sub = colour(k), SUB[k + 1]
            self.comp.append(self.top.plot(pen=pg.mkPen(c, width=1.5, style=Qt.PenStyle.DashLine),
                                           name=f"p(x|z={k + 1})"))
            fill = pg.mkBrush(colour(k, 60))
            self.weighted.append(self.top.plot(pen=pg.mkPen(c, width=2.5), fillLevel=0, brush=fill,
                                               name=f"π{sub}·p(x|z={k + 1})"))
            self.post.append(self.bottom.plot(pen=pg.mkPen(c, width=2.5), name=f"P(z={k + 1}|x)"))
            line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(c, width=1.5),
                                   label=f"μ{sub}", labelOpts={"position": 0.93, "color": c})
            line.sigPositionChanged.connect(self._on_mean_moved)
            self.top.addItem(line, ignoreBounds=True)
            self.mean_lines.append(line)
        self.marginal = self.top.plot(pen=pg.mkPen("#202020", width=3),
                                      name="p(x) = Σ<sub>z</sub> p(x|z) p(z)")
        self._make_sample_items()
        self.boundary = pg.InfiniteLine(angle=90, pen=pg.mkPen(120, 120, 120, width=1.2,
                                                               style=Qt.PenStyle.DotLine),
                                        label="P = ½", labelOpts={"position": 0.5, "color": "#202020"})
        self.bottom.addItem(self.boundary, ignoreBounds=True)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(150, 150, 150, 160))
        text_colour, fill, border = probe_style(False)
        self.readout = pg.TextItem(anchor=(1, 0), fill=fill, border=border, color=text_colour)
        self.bottom.addItem(self.cursor, ignoreBounds=True)
        self.top.addItem(self.readout, ignoreBounds=True)
        self.readout.setZValue(50)
        self.readout.hide()
        self.cursor.hide()
        self.hover_x: float | None = None
        self.params = ((0.5, 0.5), (-10.0, 10.0), (5.0, 5.0))
        self._top_height = 0.1
        self._updating = False
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.set_params(*self.params)

    def _make_sample_items(self) -> None:
        """The generative process's items: the histogram of the samples, the samples on a band under the
        axis coloured by z, the last draw spelled out (hidden until sampling starts)."""
        self.histogram = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(110, 110, 110, 220),
                                         brush=pg.mkBrush(128, 128, 128, 70))
        self.histogram.setZValue(-5)
        # One set of plain dots per z, each in its component's colour: drawn as the points of one round pen,
        # where a ScatterPlotItem with a brush per point took longer than a frame at 4,000 samples.
        self.samples = [Markers("o", size=5, brush=colour(k, 190)) for k in range(2)]
        _colour, fill, border = probe_style(False)
        self.sample_text = pg.TextItem(anchor=(0.5, 0), fill=fill, border=border)  # readable over the bars
        for item in (self.histogram, *self.samples, self.sample_text):
            self.top.addItem(item, ignoreBounds=True)
            item.hide()
        self.sample_count = 0

    # ----- the mixture --------------------------------------------------------------------------
    def set_params(self, weights, means, sigmas) -> None:
        self.params = (tuple(weights), tuple(means), tuple(sigmas))
        c = curves_1d(self.x, weights, means, sigmas)
        for k in range(2):
            self.comp[k].setData(self.x, c.components[k])
            self.weighted[k].setData(self.x, c.weighted[k])
            self.post[k].setData(self.x, c.posterior[k])
        self.marginal.setData(self.x, c.marginal)
        self.top.setTitle(oned_title(weights, means, sigmas), size="10pt",
                          color=plot_colours(self._dark)["foreground"])
        # A fixed y range from the curves: hovering or sampling must not rescale the plot.
        self._top_height = float(np.max(c.components)) * 1.12
        self.top.setYRange(RUG[0] * 1.25 * self._top_height, self._top_height, padding=0)
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
        if self.readout.isVisible() and self.hover_x is not None:  # the numbers of the new mixture
            self._show_readout(self.hover_x)

    @Slot(object)
    def _on_mean_moved(self, line) -> None:
        if not self._updating:
            self.mean_dragged.emit(self.mean_lines.index(line), float(line.value()))

    # ----- the hover readout ------------------------------------------------------------------------
    def readout_text(self, x: float) -> str:
        weights, means, sigmas = self.params
        c = curves_1d(np.array([x]), weights, means, sigmas)
        parts = [f"x = {x:.2f}   p(x) = {c.marginal[0]:.4f}"]
        for k in range(2):
            parts.append(f"z={k + 1}: p(x|z) = {c.components[k, 0]:.4f}, π{SUB[k + 1]}·p = "
                         f"{c.weighted[k, 0]:.4f}, P(z|x) = {c.posterior[k, 0]:.3f}")
        return "\n".join(parts)

    def _show_readout(self, x: float) -> None:
        self.hover_x = x
        self.cursor.setValue(x)
        self.cursor.show()
        self.readout.setText(self.readout_text(x))
        (x0, x1), (_y0, y1) = self.top.vb.viewRange()
        self.readout.setPos(x1 - 0.01 * (x1 - x0), y1)  # top right: the legend is top left
        self.readout.show()

    def hide_readout(self) -> None:
        self.hover_x = None
        self.cursor.hide()
        self.readout.hide()

    @Slot(object)
    def _on_mouse_moved(self, scene_pos) -> None:
        for plot in (self.top, self.bottom):
            if plot.vb.sceneBoundingRect().contains(scene_pos):
                self._show_readout(plot.vb.mapSceneToView(scene_pos).x())
                return
        self.hide_readout()

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.hide_readout()  # a fast exit gives no last mouse move outside the plots
        super().leaveEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.hide_readout()
        self.hidden.emit()
        super().hideEvent(event)

    # ----- samples of the generative process --------------------------------------------------------
    def set_samples(self, z: np.ndarray, x: np.ndarray) -> None:
        """Show the samples (z 0-based): on the band under the axis and as a histogram density."""
        n = len(x)
        self.sample_count = n
        for item in (self.histogram, *self.samples, self.sample_text):
            item.setVisible(n > 0)
        if n == 0:
            return
        height = self._top_height
        # a fixed pseudo-random height per sample in the band, so the points do not pile up on a line
        jitter = (np.arange(n) * 0.6180339887) % 1.0
        y = height * (RUG[0] + (RUG[1] - RUG[0]) * jitter)
        for k, dots in enumerate(self.samples):
            drawn = z == k
            dots.set_data(np.column_stack([x[drawn], y[drawn]]))
        self.histogram.setData(HIST_EDGES, histogram_density(x, HIST_EDGES))
        last_z, last_x = int(z[-1]), float(x[-1])
        sub = SUB[last_z + 1]
        self.sample_text.setHtml(
            f"<span style='color:{plot_colours(self._dark)['foreground']};font-size:9pt'>"
            f"P(x, z) = P(x|z) P(z): z ~ Cat(π) gave <b style='color:{colour(last_z).name()}'>z = "
            f"{last_z + 1}</b>, then x ~ N(μ{sub}, σ{sub}²) gave x = {last_x:.2f}<br>"
            f"{n:,} samples (dots under the axis, coloured by z); their histogram (grey) → p(x)</span>")
        (x0, x1), _ = self.top.vb.viewRange()
        self.sample_text.setPos((x0 + x1) / 2, height)  # top centre: legend left, readout right

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        fg = plot_colours(dark)["foreground"]
        self.setBackground(plot_colours(dark)["background"])
        for plot in (self.top, self.bottom):
            style_plot(plot, dark)
            style_legend(plot.legend, dark)
        self.marginal.setPen(pg.mkPen(fg, width=3))
        self.boundary.label.setColor(fg)
        text_colour, fill, border = probe_style(dark)
        self.readout.setColor(text_colour)
        for box in (self.readout, self.sample_text):
            box.fill = fill
            box.border = border
            box.update()
        self.set_params(*self.params)

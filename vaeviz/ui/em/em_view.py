"""The GMM scatter: points in soft colours, component ellipses and handles, density layer, hover probe.

The view box doubles as the data editor: in the Add / Spray / Erase tools a left click or drag edits the
data (``data_edit`` signal) instead of panning. The hover probe shows P(z = k | x) at the cursor, which
costs K Gaussian evaluations at one point, so it is computed right here in the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal, Slot

from vaeviz.core.em.edit import ellipses, principal_axes
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.ui.em.colours import HEX
from vaeviz.ui.em.component_items import ComponentItems
from vaeviz.ui.em.layers import DensityLayer
from vaeviz.ui.items.cheap_items import Markers, Polylines
from vaeviz.ui.items.fast_image import FastImage
from vaeviz.ui.items.keyed_points import KeyedPoints
from vaeviz.ui.items.legend import add_legend, style_legend
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.theme import plot_colours, rgb

TOOLS = ("select", "add", "spray", "erase")
BRUSH_FRACTION = 0.04  # spray/erase radius as a fraction of the visible width
# A component whose σ along an axis is under HIDDEN_PX pixels is drawn ENLARGED_PX wide along it (and says
# so): a collapsed or floored component (σ ~ 1e-3 or less) was drawn as nothing, hidden by its 16 px mean
# handle; at 7 px its 2σ ring shows around the handle. Thin but real ellipses are drawn as they are.
HIDDEN_PX = 2.0
ENLARGED_PX = 7.0
TITLE = "Gaussian mixture (EM)"


def probe_style(dark: bool) -> tuple[str, pg.QtGui.QBrush, pg.QtGui.QPen]:
    """Text colour, fill and border of a hover read-out box in the theme (EM scatter, 1-D figure)."""
    colours = plot_colours(dark)
    fill = pg.mkColor(colours["background"])
    fill.setAlpha(235)
    return colours["foreground"], pg.mkBrush(fill), pg.mkPen(128, 128, 128, 200)


def legend_sample(pen=None, symbol: str | None = None, brush=None, symbol_pen=None, size: float = 11):
    """An item the legend draws a sample of (never added to a plot): a line, or a symbol."""
    if symbol is None:
        return pg.PlotDataItem(pen=pen)
    return pg.ScatterPlotItem(symbol=symbol, size=size, pen=symbol_pen, brush=brush)


def style_plot(plot: pg.PlotItem, dark: bool) -> None:
    """Axis colours for the theme (pyqtgraph items do not read the Qt palette)."""
    fg = plot_colours(dark)["foreground"]
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(fg)
        axis.setTextPen(fg)
    plot.titleLabel.setText(plot.titleLabel.text, color=fg)


class EditViewBox(pg.ViewBox):
    """A view box that edits the data instead of panning when a data tool is active."""

    def __init__(self, owner: EmView) -> None:
        super().__init__()
        self.owner = owner
        self.tool = "select"

    def _data_pos(self, scene_pos) -> tuple[float, float]:
        p = self.mapSceneToView(scene_pos)
        return (p.x(), p.y())

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:  # select: pick the point the Explain pane follows
            ev.accept()
            self.owner.data_edit.emit(self.tool, self._data_pos(ev.scenePos()), "click")
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.tool in ("spray", "erase", "add") and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            stage = "start" if ev.isStart() else "finish" if ev.isFinish() else "move"
            self.owner.data_edit.emit(self.tool, self._data_pos(ev.scenePos()), stage)
            return
        super().mouseDragEvent(ev, axis)


class EmView(pg.PlotWidget):
    """Scatter of the data with the mixture drawn over it."""

    component_edited = Signal(int, str, object, bool)
    data_edit = Signal(str, object, str)  # tool, (x, y), "click" | "start" | "move" | "finish"

    def __init__(self, title: str = TITLE) -> None:
        self.box = EditViewBox(self)
        super().__init__(viewBox=self.box)
        self.setObjectName("em-figure")
        plot = self.getPlotItem()
        plot.setTitle(title, size="10pt")
        setup_data_plot(plot, "x₁", "x₂")
        self.setAspectLocked(True)
        self.setMinimumSize(200, 160)
        self.heat = FastImage()
        self.heat.setZValue(-20)
        self.background = (255, 255, 255)  # what the density layer is composited over (opaque: cheap to draw)
        self.contours = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(90, 90, 160, 170, width=1))
        self.contours.setZValue(-5)
        self.outlines = Polylines()  # every component's 1σ and 2σ ellipses
        self.outlines.setZValue(5)
        self.points = KeyedPoints(plot, size_px=6)
        self.scatter = self.points.scatter
        self.raster = self.points.raster
        self.brush_circle = pg.PlotCurveItem(pen=pg.mkPen(120, 120, 120, 200, width=1,
                                                          style=Qt.PenStyle.DashLine))
        self.picked = Markers("o", size=15, pen=pg.mkPen("#d62728", width=2))
        self.picked.setZValue(15)
        text_colour, fill, border = probe_style(False)
        self.probe = pg.TextItem(anchor=(-0.05, 1.1), fill=fill, border=border)
        self.probe.setZValue(100)
        self._probe_colour = text_colour
        self.title = title
        self._title_shown: tuple | None = None
        self.enlarged_notes: list[pg.TextItem] = []  # "drawn enlarged" beside a component too small to see
        self._dark = False
        self._legend_items = self._make_legend(plot)
        for item in (self.heat, self.contours, self.outlines, *self.points.items, self.picked,
                     self.brush_circle, self.probe):
            plot.addItem(item)
        self.heat.hide()
        self.contours.hide()
        self.brush_circle.hide()
        self.probe.hide()
        self.components: list[ComponentItems] = []
        self.gmm: GaussianMixture | None = None
        self.selected: int | None = None
        self.handles_visible = True
        self.probe_enabled = True
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.box.sigRangeChanged.connect(self._on_range_changed)

    def _make_legend(self, plot: pg.PlotItem) -> dict[str, pg.GraphicsObject]:
        """What the marks mean: the mean and axis handles, the 1σ and 2σ ellipses, contours, the picked
        point. Grey samples: every component draws them in its own colour."""
        self.legend = add_legend(plot, offset=(6, -6), size="8pt")  # bottom left: data_rect centres the data
        self.legend.setColumnCount(2)  # flat: it sits over the plot's corner, away from the data
        grey, dark = (110, 110, 110), pg.mkPen(20, 20, 20, 200, width=1.2)
        items = {
            "mean": legend_sample(symbol="o", brush=grey, symbol_pen=dark, size=13),
            "axis": legend_sample(symbol="s", brush=(170, 170, 170), symbol_pen=dark, size=8),
            "one": legend_sample(pen=pg.mkPen(grey, width=2.2)),
            "two": legend_sample(pen=pg.mkPen(grey, width=1, style=Qt.PenStyle.DashLine)),
            "contours": legend_sample(pen=self.contours.opts["pen"]),
            "picked": legend_sample(symbol="o", brush=pg.mkBrush(None), size=13,
                                    symbol_pen=pg.mkPen("#d62728", width=2)),
        }
        names = {"mean": "mean μ<sub>k</sub>", "axis": "axis handle", "one": "1σ ellipse",
                 "two": "2σ ellipse", "contours": "contours of p(x)", "picked": "picked point"}
        for key, item in items.items():
            if key != "contours":
                self.legend.addItem(item, names[key])
        self._legend_names = names
        return items

    def legend_texts(self) -> list[str]:
        """The legend's entries as shown (plain text)."""
        return [label.item.toPlainText() for _sample, label in self.legend.items]

    def set_caption(self, text: str) -> None:
        """What the scatter shows now, after its title (a collapsed component, the floor holding one)."""
        title = f"{self.title} — {text}" if text else self.title
        if (title, self._dark) == self._title_shown:  # (every frame asks; a new title re-lays out the plot)
            return
        self._title_shown = (title, self._dark)
        self.getPlotItem().setTitle(title, size="10pt", color=plot_colours(self._dark)["foreground"])

    def caption(self) -> str:
        return self.getPlotItem().titleLabel.item.toPlainText()

    # ----- points --------------------------------------------------------------------------
    def set_points(self, points: np.ndarray, keys: np.ndarray | None) -> None:
        """New positions (another data version) and their colour keys (None: grey)."""
        self.points.set_points(points, keys)

    @property
    def rastered(self) -> bool:
        """Whether the points are drawn by the PointRaster (many points) rather than the scatter's brushes."""
        return self.points.rastered

    def set_keys(self, keys: np.ndarray | None) -> None:
        """Recolour (skipped when nothing changed: an M-step keeps the E-step's colours)."""
        self.points.set_keys(keys)

    def set_picked(self, point) -> None:
        """Ring the point whose numbers the Explain pane shows (None: no ring)."""
        self.picked.set_data([] if point is None else [tuple(point)])

    # ----- mixture ------------------------------------------------------------------------
    def set_mixture(self, gmm: GaussianMixture | None, skip=None) -> None:
        """Draw ``gmm`` (None: nothing). ``skip``: the handle being dragged, left where the mouse is."""
        self.gmm = gmm
        k = 0 if gmm is None else gmm.n_components
        while len(self.components) < k:
            items = ComponentItems(self.getPlotItem(), len(self.components))
            items.edited.connect(self.component_edited)
            self.components.append(items)
        for j, items in enumerate(self.components):
            items.set_visible(j < k, self.handles_visible)
            if j < k:
                items.set_component(gmm.means[j], gmm.covariances[j], skip=skip)
        self._draw_outlines()

    def _pixel(self) -> float:
        """One pixel in data units (0 before the view has a size; the aspect is locked: x and y alike)."""
        (x0, x1), _ = self.box.viewRange()
        width = self.box.width()
        return (x1 - x0) / width if width > 1 else 0.0

    def _draw_outlines(self) -> None:
        lines = []
        notes = []
        pixel = self._pixel()
        min_sigma = ENLARGED_PX * pixel
        for j in range(0 if self.gmm is None else self.gmm.n_components):
            mean, cov = self.gmm.means[j], self.gmm.covariances[j]
            sig, axes = principal_axes(cov)
            if pixel > 0 and np.all(np.isfinite(sig)) and sig.min() < HIDDEN_PX * pixel:
                # Drawn at the smallest visible size along the axes that are too thin (a line stays a line).
                wide = np.maximum(sig, min_sigma)
                cov = (axes * wide**2) @ axes.T
                notes.append((j, mean, float(sig.min())))
            one, two = ellipses(mean, cov, (1.0, 2.0))
            pens = self.components[j].pens
            lines += [(one, pens[1] if j == self.selected else pens[0]), (two, pens[2])]
        self.outlines.set_lines(lines)
        self._show_enlarged_notes(notes, min_sigma)

    def _show_enlarged_notes(self, notes: list, min_sigma: float) -> None:
        while len(self.enlarged_notes) < len(notes):
            note = pg.TextItem(anchor=(0, 0))
            note.setZValue(30)
            self.getPlotItem().addItem(note, ignoreBounds=True)
            self.enlarged_notes.append(note)
        for i, note in enumerate(self.enlarged_notes):
            note.setVisible(i < len(notes))
            if i < len(notes):
                j, mean, sigma = notes[i]
                true_size = "0" if sigma <= 0 else f"{sigma:.1g}"
                note.setHtml(f"<span style='color:{HEX[j % len(HEX)]};font-size:8pt'>{j + 1}: drawn "
                             f"enlarged (σ = {true_size})</span>")
                note.setPos(float(mean[0]) + 2.2 * min_sigma, float(mean[1]) - 2.2 * min_sigma)

    @Slot()
    def _on_range_changed(self) -> None:
        if self.gmm is not None:  # the smallest drawn size is in pixels: a zoom changes it in data units
            self._draw_outlines()

    def set_handles_visible(self, visible: bool) -> None:
        self.handles_visible = visible
        k = 0 if self.gmm is None else self.gmm.n_components
        for j, items in enumerate(self.components):
            items.set_visible(j < k, visible)

    def select(self, k: int | None) -> None:
        """Emphasise component ``k``'s 1σ ellipse (None: none)."""
        if k != self.selected:
            self.selected = k
            self._draw_outlines()

    def dragging(self):
        return next((h for c in self.components if (h := c.dragging()) is not None), None)

    # ----- density layer ------------------------------------------------------------------
    def set_density(self, layer: DensityLayer | None, heat: bool, contours: bool) -> None:
        self.heat.setVisible(layer is not None and heat)
        self.contours.setVisible(layer is not None and contours)
        if layer is None:
            return
        self.heat.set_image(layer.pixels, layer.rect, "rgb32")
        self.contours.setData(layer.contour_x, layer.contour_y)

    # ----- tools and probe ----------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.box.tool = tool
        self.set_handles_visible(tool == "select")
        self.brush_circle.setVisible(False)

    def brush_radius(self) -> float:
        (x0, x1), _ = self.box.viewRange()
        return BRUSH_FRACTION * (x1 - x0)

    @Slot(object)
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if not self.box.sceneBoundingRect().contains(scene_pos):
            self.probe.hide()
            self.brush_circle.hide()
            return
        p = self.box.mapSceneToView(scene_pos)
        x, y = p.x(), p.y()
        if self.box.tool in ("spray", "erase"):
            t = np.linspace(0, 2 * np.pi, 49)
            r = self.brush_radius()
            self.brush_circle.setData(x + r * np.cos(t), y + r * np.sin(t))
            self.brush_circle.show()
        self.show_probe(x, y)

    def show_probe(self, x: float, y: float) -> None:
        """Show P(z = k | x) at (x, y) under the drawn mixture."""
        if self.gmm is None or not self.probe_enabled:
            self.probe.hide()
            return
        post = self.gmm.responsibilities(np.array([[x, y]]))[0]
        rows = " ".join(f"<span style='color:{HEX[k % len(HEX)]}'>■</span>{k + 1}: {p:.2f}"
                        for k, p in enumerate(post))
        self.probe.setHtml(f"<span style='color:{self._probe_colour};font-size:9pt'>P(z|x) {rows}</span>")
        self.probe.setPos(x, y)
        self.probe.show()

    def probe_text(self) -> str:
        return self.probe.textItem.toPlainText() if self.probe.isVisible() else ""

    def show_contours_in_legend(self, shown: bool) -> None:
        item = self._legend_items["contours"]
        if shown and item not in [sample.item for sample, _label in self.legend.items]:
            self.legend.addItem(item, self._legend_names["contours"])
        elif not shown:
            self.legend.removeItem(item)

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        self.setBackground(plot_colours(dark)["background"])
        self.background = rgb(plot_colours(dark)["background"])
        style_plot(self.getPlotItem(), dark)
        style_legend(self.legend, dark)
        self._probe_colour, fill, border = probe_style(dark)
        self.probe.fill = fill
        self.probe.border = border
        self.probe.update()

"""The Density lab's figure (what File > Export figure writes): a title saying what is shown, the plots and
the held-out table.

2-D: the heatmap with contours and the data (training points filled, held-out points as rings, samples
from the model as crosses) with the marginal p(x₁) above and p(x₂) on the right, the slice x₁ = a (a
draggable line) and its conditional p(x₂ | x₁ = a) beside; for the VAE the ELBO map on the same colour
scale beside log p(x). 1-D: the fits' curves over the true density and the data. The table below lists
every estimator's mean log-likelihood on the training and the held-out points.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vaeviz.ui.data_tools import DataEditViewBox
from vaeviz.ui.items.caption import Caption
from vaeviz.ui.items.cheap_items import StillScatter
from vaeviz.ui.items.fast_image import FastImage
from vaeviz.ui.items.handles import HandleRow
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.theme import plot_colours

COLOURS = {  # per theme (dark?)
    False: {"train": "#1b1b1b", "held": "#d9480f", "samples": "#c2255c", "contours": "#0b2a55",
            "curve": "#1c5aa6", "slice": "#e8590c", "truth": "#1b1b1b",
            "histogram": "#868e96", "kde": "#1c7ed6", "gmm": "#e8590c", "component": "#0b7285"},
    True: {"train": "#f1f3f5", "held": "#ffa94d", "samples": "#f783ac", "contours": "#e7f5ff",
           "curve": "#74c0fc", "slice": "#ffa94d", "truth": "#f1f3f5",
           "histogram": "#adb5bd", "kde": "#74c0fc", "gmm": "#ffa94d", "component": "#66d9e8"},
}
CURVE_NAMES = {"histogram": "histogram", "kde": "KDE", "gmm": "Gaussian mixture", "truth": "true density"}


def fmt(value: float) -> str:
    """A log-likelihood for the table: −∞ said as such, NaN as a dash."""
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    return f"{value:.3f}"


def style_plot(plot: pg.PlotItem, dark: bool) -> None:
    fg = plot_colours(dark)["foreground"]
    for name in ("left", "bottom", "top", "right"):
        axis = plot.getAxis(name)
        axis.setPen(fg)
        axis.setTextPen(fg)
    plot.titleLabel.setText(plot.titleLabel.text, color=fg)


def _fit_range(plot: pg.PlotItem, axis: int, top: float) -> None:
    """Show [0, top] along ``axis`` (0: x, 1: y) with a little room, the range kept while ``top`` stays
    within it and above half of it (new ticks and a relayout on every drag frame would cost a frame)."""
    top = max(top, 1e-12)
    current = plot.getViewBox().viewRange()[axis][1]
    if not (0.5 * current < top * 1.05 <= current):
        if axis == 0:
            plot.setXRange(0, top * 1.1, padding=0)
        else:
            plot.setYRange(0, top * 1.1, padding=0)


def _set_title(plot: pg.PlotItem, text: str, size: str = "9pt") -> None:
    if plot.titleLabel.text != text:  # (a title's layout costs: only when it changes)
        plot.setTitle(text, size=size)


class HeldOutTable(QTableWidget):
    """One row per estimator: mean log-likelihood per point on the training and on the held-out points."""

    HEADERS = ("estimator", "train log-lik. / point", "held-out log-lik. / point")

    def __init__(self) -> None:
        super().__init__(0, 3)
        self.setObjectName("density-table")
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for j in (1, 2):
            self.horizontalHeader().setSectionResizeMode(j, QHeaderView.ResizeMode.ResizeToContents)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.verticalHeader().setDefaultSectionSize(22)
        self.rows: list = []

    def show_table(self, table, current_key: str | None) -> None:
        """Fill from a :class:`~vaeviz.core.density.lab.HeldOutTable`; the best held-out row and the shown
        estimator's row are bold."""
        self.rows = list(table.rows) if table is not None else []
        self.setRowCount(len(self.rows))
        finite = [r.held for r in self.rows if math.isfinite(r.held) and r.key != "truth"]
        best = max(finite) if finite else None
        for i, row in enumerate(self.rows):
            label = row.label + (f" ({row.problem})" if row.problem else "")
            is_best = best is not None and row.held == best and row.key != "truth"
            label += "  ← best held-out" if is_best else ""
            texts = (label, fmt(row.train), fmt(row.held))
            for j, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                font = QFont(item.font())
                font.setBold(row.key == current_key or (best is not None and row.held == best and j == 2))
                item.setFont(font)
                if row.problem or (j == 2 and math.isinf(row.held)):
                    item.setToolTip(row.problem or "a held-out point fell where the model's density is 0 "
                                    "(an empty bin): log 0 = −∞")
                self.setItem(i, j, item)
        # as tall as its rows (an export has no empty table area below them)
        rows = max(len(self.rows), 1)
        row_height = self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(self.horizontalHeader().height() + rows * row_height + 2 * self.frameWidth() + 2)

    def value(self, i: int, j: int) -> str:
        item = self.item(i, j)
        return item.text() if item is not None else ""


class MainPlot(pg.PlotItem):
    """The heatmap plot: density, contours, data, samples, the slice line, a mixture's component handles."""

    component_dragged = Signal(int, float, float, bool)  # k, x, y, finished

    def __init__(self, title: str, editable: bool) -> None:
        self.box = DataEditViewBox() if editable else pg.ViewBox()
        super().__init__(viewBox=self.box)
        self.setTitle(title, size="10pt")
        setup_data_plot(self, "x₁", "x₂")
        self.setMenuEnabled(False)
        self.hideButtons()
        self.heat = FastImage()
        self.heat.setZValue(-10)
        self.addItem(self.heat)
        self.contours = pg.PlotCurveItem(connect="pairs")
        self.addItem(self.contours)
        # (the points stay put while a drag repaints the heatmap under them at every move)
        self.train = StillScatter(size=3.5, pen=None)
        self.held = StillScatter(size=6, brush=None)
        self.samples = StillScatter(size=6, symbol="x", pen=None)
        for item in (self.train, self.held, self.samples):
            self.addItem(item)
        self.note = pg.TextItem(anchor=(0.5, 0.5))
        self.note.setZValue(50)
        self.addItem(self.note)
        self.probe = pg.TextItem(anchor=(-0.05, 1.1))
        self.probe.setZValue(60)
        self.addItem(self.probe)
        self.probe.hide()
        self.components = HandleRow(self, size=13, z=35)
        self.components.moved.connect(self.component_dragged)
        self.components_shown = False

    # ----- a mixture's components: one handle (◎) at each mean ------------------------------------------
    def show_components(self, means) -> None:
        """A draggable handle at each mean of ``means`` ((K, 2)); None hides them."""
        means = [] if means is None else list(means)
        self.components_shown = bool(means)
        self.components.show(means)

    @property
    def component_handles(self) -> list[pg.TargetItem]:
        return self.components.handles

    def set_heat(self, heat) -> None:
        if heat is None:
            self.heat.hide()
            self.contours.setData([], [])
            return
        self.heat.set_image(heat.pixels, heat.rect)
        self.heat.show()
        self.contours.setData(heat.contour_x, heat.contour_y)

    def set_note(self, text: str) -> None:
        """A sentence in the middle of the plot (why there is no density), "" for none."""
        if text != self.note.toPlainText():  # (laying out a text item costs: only when it changes)
            self.note.setText(text)
        self.note.setVisible(bool(text))
        (x0, x1), (y0, y1) = self.box.viewRange()
        self.note.setPos((x0 + x1) / 2, (y0 + y1) / 2)


class DensityFigure(QWidget):
    """The whole figure: title, the 2-D or 1-D page, the table."""

    slice_dragged = Signal(float, bool)  # a, finished
    mouse_moved = Signal(float, float)  # the cursor over the heatmap, in data coordinates

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("density-figure")
        self.dark = False
        self.side: str | None = None
        self._samples: np.ndarray | None = None
        self.title = Caption()  # (says h while the bandwidth slider is dragged: no relayout per move)
        self.graphics = pg.GraphicsLayoutWidget()
        layout = self.graphics.ci
        layout.setSpacing(2)
        self.top = layout.addPlot(row=0, col=0)
        self.main = MainPlot("", editable=True)
        layout.addItem(self.main, row=1, col=0)
        self.right = layout.addPlot(row=1, col=1)
        self.cond = layout.addPlot(row=1, col=2)
        self.elbo = MainPlot("ELBO map (same colours)", editable=False)
        self.elbo_widget = pg.PlotWidget(plotItem=self.elbo)
        self.elbo_widget.hide()
        for plot in (self.top, self.right, self.cond):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(False, False)
            for name in ("left", "bottom"):
                plot.getAxis(name).enableAutoSIPrefix(False)
        self.top.setXLink(self.main)
        self.right.setYLink(self.main)
        self.cond.setYLink(self.main)
        self.top.setTitle("marginal p(x₁)", size="9pt")
        self.right.setTitle("marginal p(x₂)", size="9pt")
        self.cond.setTitle("p(x₂|x₁=a)", size="9pt")
        self.top.setMaximumHeight(110)
        self.right.setMaximumWidth(130)
        self.cond.setMaximumWidth(170)
        self.top.getAxis("bottom").setStyle(showValues=False)
        self.right.getAxis("left").setStyle(showValues=False)
        self.cond.getAxis("left").setStyle(showValues=False)
        self.top_curve = pg.PlotCurveItem(fillLevel=0.0)
        self.right_curve = pg.PlotCurveItem()
        # fillLevel fills down to y = level: for this sideways curve the fill must reach x = 0 instead, so it
        # is the curve closed along x = 0, filled as one polygon (a FillBetweenItem rebuilt two per change)
        self.right_fill = pg.PlotCurveItem(fillLevel="enclosed", pen=None)
        self.cond_curve = pg.PlotCurveItem()
        self.cond_outline = pg.PlotCurveItem()  # the marginal p(x₂) for comparison, dashed
        self.top.addItem(self.top_curve)
        self.right.addItem(self.right_fill)
        self.right.addItem(self.right_curve)
        self.cond.addItem(self.cond_outline)
        self.cond.addItem(self.cond_curve)
        self.slice = pg.InfiniteLine(angle=90, movable=True)
        self.slice.setZValue(40)
        self.main.addItem(self.slice)
        self.slice_top = pg.InfiniteLine(angle=90, movable=False)
        self.top.addItem(self.slice_top)
        self.slice.sigPositionChanged.connect(self._slice_moved)
        self.slice.sigPositionChangeFinished.connect(self._slice_released)
        self._placing = False
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.oned = pg.PlotWidget()
        oned = self.oned.getPlotItem()
        setup_data_plot(oned, "x", "p(x)")
        oned.setMenuEnabled(False)
        oned.addLegend(offset=(10, 10))
        self.oned_curves = {}
        for key in ("truth", "histogram", "kde", "gmm"):
            curve = pg.PlotCurveItem(name=CURVE_NAMES[key])
            oned.addItem(curve)  # (named: the legend lists it)
            self.oned_curves[key] = curve
        self.oned_train = pg.ScatterPlotItem(size=6, symbol="|")
        self.oned_held = pg.ScatterPlotItem(size=6, symbol="|")
        oned.addItem(self.oned_train)
        oned.addItem(self.oned_held)

        self.page2d = QWidget()
        row = QHBoxLayout(self.page2d)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.graphics, 2)  # (the map beside is aspect-locked: as wide as the main map)
        row.addWidget(self.elbo_widget, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.page2d)
        self.pages.addWidget(self.oned)
        self.table = HeldOutTable()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.title)
        column.addWidget(self.pages, 1)
        column.addWidget(self.table)
        self.apply_theme(False)

    # ----- layout ---------------------------------------------------------------------------------
    def set_mode(self, mode: str, side: str | None) -> None:
        """The page, and what the second map beside the density shows: "elbo" (the VAE's ELBO map),
        "samples" (p_model's samples over the same density, beside the data) or None."""
        self.pages.setCurrentWidget(self.oned if mode == "1d" else self.page2d)
        if side != self.side:
            self.side = side
            # (not linked: with locked aspects, plots of different shapes linked on x would disagree on y)
            self.elbo_widget.setVisible(side is not None)
            self.elbo.train.setVisible(side == "elbo")
            if side == "samples":
                self.elbo.setTitle("p_model: samples (×) from the fit", size="10pt")
            self.set_samples(self._samples)

    def set_title(self, text: str) -> None:
        self.title.setText(f"<b>{text}</b>")

    def set_range(self, rect) -> None:
        x0, y0, x1, y1 = rect
        for plot in (self.main, self.elbo):
            plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            plot.setAspectLocked(True)

    # ----- 2-D --------------------------------------------------------------------------------------
    def set_points(self, train: np.ndarray, held: np.ndarray) -> None:
        self.main.train.setData(pos=train if len(train) else np.empty((0, 2)))
        self.main.held.setData(pos=held if len(held) else np.empty((0, 2)))
        self.main.setTitle(f"p_data: {len(train):,} training (●), {len(held):,} held-out (○) points"
                           if len(train) else "", size="10pt")
        self.elbo.train.setData(pos=train if len(train) else np.empty((0, 2)))

    def set_samples(self, samples: np.ndarray | None) -> None:
        """Samples from the model: beside the data when the side map shows them, else over the data."""
        self._samples = samples
        shown = samples if samples is not None and len(samples) else np.empty((0, 2))
        beside = self.side == "samples"
        for plot, points in ((self.main, np.empty((0, 2)) if beside else shown),
                             (self.elbo, shown if beside else np.empty((0, 2)))):
            if len(points) or len(plot.samples.data):  # (none before and none now: its drawing is kept)
                plot.samples.setData(pos=points)

    def set_marginals(self, rect, res: int, mx: np.ndarray | None, my: np.ndarray | None) -> None:
        if mx is None or my is None:
            self.top_curve.setData([], [])
            self.right_curve.setData([], [])
            self.right_fill.setData([], [])
            return
        x0, y0, x1, y1 = rect
        xs = x0 + (np.arange(res) + 0.5) * (x1 - x0) / res
        ys = y0 + (np.arange(res) + 0.5) * (y1 - y0) / res
        self.top_curve.setData(xs, np.nan_to_num(mx, posinf=0.0))
        density = np.nan_to_num(my, posinf=0.0)
        self.right_curve.setData(density, ys)
        self.right_fill.setData(np.concatenate(([0.0], density, [0.0])),
                                np.concatenate(([ys[0]], ys, [ys[-1]])))
        _fit_range(self.top, 1, float(np.max(mx)))
        _fit_range(self.right, 0, float(np.max(my)))

    def set_conditional(self, rect, res: int, a: float | None, values: np.ndarray | None,
                        marginal: np.ndarray | None = None) -> None:
        shown = a is not None and values is not None
        for item in (self.slice, self.slice_top):
            item.setVisible(a is not None)
        if a is not None:
            self._placing = True
            try:
                self.slice.setValue(a)
            finally:
                self._placing = False
            self.slice_top.setValue(a)
        if not shown:
            self.cond_curve.setData([], [])
            self.cond_outline.setData([], [])
            _set_title(self.cond, "p(x₂|x₁=a): slice off")
            return
        _, y0, _, y1 = rect
        ys = y0 + (np.arange(res) + 0.5) * (y1 - y0) / res
        values = np.nan_to_num(values, posinf=0.0)
        self.cond_curve.setData(values, ys)
        top = float(values.max()) if values.size else 0.0
        if marginal is not None:
            self.cond_outline.setData(np.nan_to_num(marginal, posinf=0.0), ys)
            top = max(top, float(np.max(marginal)))
        _fit_range(self.cond, 0, top)
        empty = "" if top > 0 else " — 0 here (no data in this slice)"
        _set_title(self.cond, f"p(x₂|x₁={a:.2f}){empty}")

    def _slice_moved(self, line) -> None:
        if not self._placing:
            self.slice_top.setValue(line.value())
            self.slice_dragged.emit(float(line.value()), False)

    def _slice_released(self, line) -> None:
        if not self._placing:
            self.slice_dragged.emit(float(line.value()), True)

    def _on_mouse_moved(self, scene_pos) -> None:
        # (a GUI-thread signal of the figure's own scene)
        box = self.main.box
        if not box.sceneBoundingRect().contains(scene_pos):
            self.main.probe.hide()
            return
        p = box.mapSceneToView(scene_pos)
        self.mouse_moved.emit(p.x(), p.y())

    def show_probe(self, x: float, y: float, text: str) -> None:
        self.main.probe.setText(text)
        self.main.probe.setPos(x, y)
        self.main.probe.setVisible(bool(text))

    # ----- 1-D --------------------------------------------------------------------------------------
    def show_oned(self, snapshot) -> None:
        xs = snapshot.xs
        self.oned_curves["truth"].setData(xs, snapshot.truth)
        for key in ("histogram", "kde", "gmm"):
            self.oned_curves[key].setData(xs, snapshot.curves[key])
        top = max(float(np.max(c)) for c in (snapshot.truth, *snapshot.curves.values()))
        self.oned_train.setData(snapshot.train, np.full(len(snapshot.train), -0.03 * top))
        self.oned_held.setData(snapshot.held, np.full(len(snapshot.held), -0.06 * top))
        plot = self.oned.getPlotItem()
        plot.setXRange(float(xs[0]), float(xs[-1]), padding=0)
        plot.setYRange(-0.09 * top, 1.1 * top, padding=0)

    # ----- theme ---------------------------------------------------------------------------------------
    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        c = COLOURS[dark]
        bg, fg = plot_colours(dark)["background"], plot_colours(dark)["foreground"]
        self.graphics.setBackground(bg)
        self.elbo_widget.setBackground(bg)
        self.oned.setBackground(bg)
        self.title.setStyleSheet(f"background: {bg}; color: {fg}; padding: 3px;")
        for plot in (self.main, self.elbo, self.top, self.right, self.cond, self.oned.getPlotItem()):
            style_plot(plot, dark)
        for plot in (self.main, self.elbo):
            plot.contours.setPen(pg.mkPen(c["contours"], width=1))
            plot.train.setBrush(pg.mkBrush(c["train"]))
            plot.held.setPen(pg.mkPen(c["held"], width=1.5))
            plot.held.setBrush(pg.mkBrush(None))
            plot.samples.setPen(pg.mkPen(c["samples"], width=1.5))
            plot.samples.setBrush(pg.mkBrush(c["samples"]))
            plot.note.setColor(fg)
            plot.probe.setColor(fg)
            plot.probe.fill = pg.mkBrush(bg)
            plot.components.style(pg.mkPen(c["component"], width=2.5), pg.mkPen(c["component"], width=4))
        curve = pg.mkColor(c["curve"])
        fill = pg.mkColor(c["curve"])
        fill.setAlpha(70)
        for item in (self.top_curve, self.right_curve):
            item.setPen(pg.mkPen(curve, width=1.5))
            item.setBrush(pg.mkBrush(fill))
        self.right_fill.setBrush(pg.mkBrush(fill))
        self.cond_curve.setPen(pg.mkPen(c["slice"], width=2.5))
        self.cond_outline.setPen(pg.mkPen(curve, width=1, style=Qt.PenStyle.DashLine))
        self.slice.setPen(pg.mkPen(c["slice"], width=2.5))
        self.slice.setHoverPen(pg.mkPen(c["slice"], width=4))
        self.slice_top.setPen(pg.mkPen(c["slice"], width=1.5))
        self.oned_curves["truth"].setPen(pg.mkPen(c["truth"], width=2.5, style=Qt.PenStyle.DashLine))
        for key in ("histogram", "kde", "gmm"):
            self.oned_curves[key].setPen(pg.mkPen(c[key], width=2))
        self.oned_train.setPen(pg.mkPen(c["train"], width=1))
        self.oned_held.setPen(pg.mkPen(c["held"], width=1))
        legend = self.oned.getPlotItem().legend
        legend.setLabelTextColor(fg)
        for _sample, label in legend.items:  # (pyqtgraph re-colours only labels made afterwards)
            label.setText(label.text, color=fg)
        self.oned.getPlotItem().legend.setBrush(pg.mkBrush(bg))

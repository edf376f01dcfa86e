"""The content of a placeholder dock: a pyqtgraph sketch of the lab's figure and a list of features."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter

from vaeviz.ui.theme import plot_colours

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c"]


def gaussian(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def sketch_density(plot: pg.PlotItem) -> None:
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(-1.5, 0.6, 300), rng.normal(1.2, 0.9, 500)])
    counts, edges = np.histogram(data, bins=30, density=True)
    plot.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=counts, brush=(120, 160, 220, 120)))
    x = np.linspace(-4, 4, 400)
    plot.plot(x, gaussian(x, data.mean(), data.std()), pen=pg.mkPen("#d9534f", width=2))
    plot.setLabel("bottom", "x")
    plot.setLabel("left", "p(x)")


def sketch_em(plot: pg.PlotItem) -> None:
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2 * np.pi, 100)
    for colour, (cx, cy) in zip(COLOURS, [(-2.0, 0.0), (2.0, 1.0), (0.0, -2.5)], strict=True):
        pts = rng.normal((cx, cy), 0.7, size=(120, 2))
        plot.plot(pts[:, 0], pts[:, 1], pen=None, symbol="o", symbolSize=5,
                  symbolBrush=pg.mkColor(colour), symbolPen=None)
        for k in (1, 2):
            plot.plot(cx + 0.7 * k * np.cos(t), cy + 0.7 * k * np.sin(t), pen=pg.mkPen(colour, width=1.5))
    plot.setAspectLocked(True)
    plot.setLabel("bottom", "x₁")
    plot.setLabel("left", "x₂")


def sketch_kl(plot: pg.PlotItem) -> None:
    x = np.linspace(-6, 6, 500)
    p = 0.5 * gaussian(x, -2.0, 0.7) + 0.5 * gaussian(x, 2.0, 0.7)
    plot.addLegend(offset=(10, 10))
    plot.plot(x, p, pen=pg.mkPen("#777777", width=2), name="p (two modes)")
    plot.plot(x, gaussian(x, 0.0, 2.1), pen=pg.mkPen("#1f77b4", width=2), name="q: min KL(p‖q)")
    plot.plot(x, gaussian(x, 2.0, 0.72), pen=pg.mkPen("#d9534f", width=2, style=Qt.PenStyle.DashLine),
              name="q: min KL(q‖p)")
    plot.setLabel("bottom", "x")
    plot.setLabel("left", "density")


def sketch_latent(plot: pg.PlotItem) -> None:
    rng = np.random.default_rng(2)
    for k in range(10):
        angle = 2 * np.pi * k / 10
        pts = rng.normal((1.6 * np.cos(angle), 1.6 * np.sin(angle)), 0.35, size=(60, 2))
        plot.plot(pts[:, 0], pts[:, 1], pen=None, symbol="o", symbolSize=4,
                  symbolBrush=pg.intColor(k, hues=10), symbolPen=None)
    plot.addItem(pg.TargetItem(pos=(0.3, -0.4), size=14, movable=False))
    plot.setAspectLocked(True)
    plot.setLabel("bottom", "z₁")
    plot.setLabel("left", "z₂")


SKETCHES = {"density": sketch_density, "em": sketch_em, "kl": sketch_kl, "latent": sketch_latent}


class PlaceholderView(QSplitter):
    """Sketch on the left, 'coming in its lab' list on the right."""

    def __init__(self, dock_id: str, title: str, coming: list[str]) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName(f"{dock_id}-figure")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        for name in ("left", "bottom"):
            self.plot.getPlotItem().getAxis(name).enableAutoSIPrefix(False)
        SKETCHES.get(dock_id, lambda plot: None)(self.plot.getPlotItem())
        items = "".join(f"<li>{line}</li>" for line in coming)
        self.info = QLabel(f"<b>{html.escape(title.replace('&&', '&'))}</b> — "
                           f"coming in its lab:<ul>{items}</ul>")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.info.setMargin(8)
        self.info.setMinimumWidth(160)
        self.addWidget(self.plot)
        self.addWidget(self.info)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)

    def apply_theme(self, dark: bool) -> None:
        colours = plot_colours(dark)
        self.plot.setBackground(colours["background"])
        for name in ("left", "bottom"):
            axis = self.plot.getPlotItem().getAxis(name)
            axis.setPen(colours["foreground"])
            axis.setTextPen(colours["foreground"])

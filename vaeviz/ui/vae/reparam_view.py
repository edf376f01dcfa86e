"""The reparameterisation trick, visible: ε-space beside z-space, each draw numbered in both.

Left, the 8 draws ε ~ N(0, I) with the circle |ε| = 2; right, the same draws mapped by z = μ + σ ⊙ ε,
zoomed so q(z|x)'s 2σ ellipse (the image of that circle) fills most of the panel. Draw k carries the
number k in both panels and in the strip of decodings under them, which links the three. The marks are
stars in the theme's foreground colour: no class of the scatter uses it (the classes use "tab10"), nor
the red of the q(z|x) ellipse.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from vaeviz.core.vae.lab_types import Strip
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.theme import plot_colours

ELLIPSE_COLOUR = "#d62728"  # as the ellipse on the scatter
EPS_SYMBOL = "star"
EPS_RANGE = 3.2  # ε panel: ±3.2 holds all but a few in 10,000 draws
FILL = 0.8  # the 2σ ellipse spans this much of the z panel along its longer axis


def _circle(cx: float, cy: float, rx: float, ry: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 97)
    return cx + rx * np.cos(t), cy + ry * np.sin(t)


def z_panel_range(mu: np.ndarray, sigma: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of the z panel: centred on μ, the 2σ ellipse spanning ``FILL`` of it (a point,
    σ = 0, gets a small fixed window)."""
    half = 2.0 * float(np.max(sigma[:2])) / FILL if np.any(sigma[:2] > 0) else 0.5
    x, y = float(mu[0]), float(mu[1]) if len(mu) > 1 else 0.0
    return x - half, x + half, y - half, y + half


def crowded(eps: np.ndarray, near: float = 0.3) -> np.ndarray:
    """Which draws lie within ``near`` (in ε, ~10 px in the ε panel) of an earlier one: their numbers go on
    the left. The z panel is ε stretched by σ, so the same draws crowd there."""
    d = np.linalg.norm(eps[:, None, :2] - eps[None, :, :2], axis=2)
    return np.array([bool((d[k, :k] < near).any()) for k in range(len(eps))], bool)


class _DrawPlot(pg.PlotItem):
    """One panel: the numbered star marks of the draws, a curve (circle or ellipse), a centre mark."""

    def __init__(self, x_name: str, y_name: str) -> None:
        super().__init__()
        self.setAspectLocked(True)
        setup_data_plot(self, x_name, y_name)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.curve = pg.PlotCurveItem(pen=pg.mkPen(ELLIPSE_COLOUR, width=2))
        self.centre = pg.ScatterPlotItem(size=12, symbol="+", pen=pg.mkPen(ELLIPSE_COLOUR, width=2))
        self.marks = pg.ScatterPlotItem(size=13, symbol=EPS_SYMBOL, pen=pg.mkPen("#ffffff", width=0.8),
                                        brush=pg.mkBrush("#111111"))
        for item in (self.curve, self.centre, self.marks):
            self.addItem(item)
        self.numbers: list[pg.TextItem] = []
        self._fg = "#111111"

    def set_draws(self, xy: np.ndarray, left: np.ndarray | None = None) -> None:
        """The draws' marks and numbers; ``left[k]``: number k goes left of its mark (it would cover an
        earlier draw's number on the right)."""
        self.marks.setData(pos=xy)
        while len(self.numbers) < len(xy):
            label = pg.TextItem("", anchor=(-0.15, 0.85), color=self._fg)
            label.setZValue(6)
            self.addItem(label, ignoreBounds=True)
            self.numbers.append(label)
        for k, label in enumerate(self.numbers):
            label.setVisible(k < len(xy))
            if k < len(xy):
                label.setText(str(k + 1))
                label.setAnchor((1.15, 0.85) if left is not None and left[k] else (-0.15, 0.85))
                label.setPos(float(xy[k, 0]), float(xy[k, 1]))

    def apply_theme(self, dark: bool) -> None:
        fg = plot_colours(dark)["foreground"]
        self._fg = fg
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)
        # stars in the foreground colour, ringed in the background's so they stand out on either
        self.marks.setBrush(pg.mkBrush(fg))
        self.marks.setPen(pg.mkPen(plot_colours(dark)["background"], width=0.8))
        for label in self.numbers:
            label.setColor(fg)
        self.titleLabel.setAttr("color", fg)
        self.setTitle(self.titleLabel.text, size="9pt", color=fg)


class ReparamView:
    """The ε and z panels of one model pane (the pane places them; the strip of decodings is the
    pane's own, numbered here)."""

    def __init__(self) -> None:
        self.eps_plot = _DrawPlot("ε₁", "ε₂")
        self.z_plot = _DrawPlot("z₁", "z₂")
        self.eps_plot.curve.setPen(pg.mkPen("#888888", width=1.5, style=Qt.PenStyle.DashLine))
        self.eps_plot.centre.setPen(pg.mkPen("#888888", width=2))
        self.eps_plot.curve.setData(*_circle(0, 0, 2, 2))
        self.eps_plot.centre.setData(pos=[(0.0, 0.0)])
        self.eps_plot.setRange(xRange=(-EPS_RANGE, EPS_RANGE), yRange=(-EPS_RANGE, EPS_RANGE), padding=0)
        self.eps_plot.setTitle("ε ~ N(0, I): the draws<br>|ε| = 2 dashed", size="9pt")
        self.z_plot.setTitle("z = μ + σ ⊙ ε<br>q(z|x)'s 2σ ellipse", size="9pt")
        self.strip: Strip | None = None

    def show(self, s: Strip) -> None:
        """Draw a "samples" strip's ε and z (first two dimensions)."""
        self.strip = s
        eps = np.zeros((len(s.z), 2), np.float32) if s.eps is None else np.asarray(s.eps)[:, :2]
        mu = np.zeros(2, np.float32) if s.mu is None else np.asarray(s.mu, np.float32)
        sigma = np.zeros(2, np.float32) if s.sigma is None else np.asarray(s.sigma, np.float32)
        left = crowded(eps)
        self.eps_plot.set_draws(eps, left)
        self.z_plot.set_draws(np.asarray(s.z)[:, :2], left)
        self.z_plot.centre.setData(pos=[(float(mu[0]), float(mu[1]))])
        if np.isfinite(sigma[:2]).all() and sigma[:2].any():
            self.z_plot.curve.setData(*_circle(float(mu[0]), float(mu[1]), 2 * float(sigma[0]),
                                               2 * float(sigma[1])))
            shown = ", ".join(f"{v:.2f}" for v in sigma[:2])
            self.z_plot.setTitle(f"z = μ + σ ⊙ ε<br>σ = ({shown}), q(z|x)'s 2σ ellipse", size="9pt")
        else:
            self.z_plot.curve.setData([], [])
            self.z_plot.setTitle("z = μ + σ ⊙ ε<br>σ = 0: every z is μ", size="9pt")
        x0, x1, y0, y1 = z_panel_range(mu, sigma)
        self.z_plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def items(self) -> tuple[pg.PlotItem, pg.PlotItem]:
        return self.eps_plot, self.z_plot

    def apply_theme(self, dark: bool) -> None:
        for plot in self.items():
            plot.apply_theme(dark)

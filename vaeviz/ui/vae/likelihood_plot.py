"""log p(x) ≥ ELBO for the picked image: the importance-sampled estimate against K, the ELBO as a line.

The lecture's "we optimise a lower bound on an intractable likelihood", made a visible gap: with K = 1
sample from q(z|x) the estimate is the ELBO in expectation; as K grows it rises to log p(x). The x axis
is log₁₀ K drawn with K's own tick labels (1, 10, 100, 1000), so the error bars share it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from vaeviz.core.vae.lab_types import Likelihood
from vaeviz.ui.theme import plot_colours

ESTIMATE_COLOUR = "#1f77b4"
HINT = "click a data point: its log p(x) against K"
NO_PX = "no p(x) for an autoencoder:<br>it has no prior and no q(z|x)"
TITLE = "log p̂<sub>K</sub>(x) ± s.e. against K"
K_TICKS = [[(0.0, "1"), (1.0, "10"), (2.0, "100"), (3.0, "1000")]]


def gap_caption(lik: Likelihood) -> str:
    """Two short lines: the estimate with the most samples and its standard error; the ELBO and the gap."""
    k, est, err = lik.counts[-1], lik.log_px[-1], lik.stderr[-1]
    plus = f" ± {err:.2f}" if math.isfinite(err) else ""
    return f"log p(x) ≈ {est:.1f}{plus} (K {k})<br>≥ ELBO {lik.elbo:.1f}, gap {est - lik.elbo:.1f} nats"


class LikelihoodPlot(pg.PlotItem):
    """Estimate ± standard error against K (log axis), the ELBO a dashed line; a message when there is
    nothing to plot (no pick yet, an autoencoder)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.getAxis("bottom").setTicks(K_TICKS)
        self.setLabel("bottom", "K samples from q(z|x)", **{"font-size": "8pt"})
        self.setLabel("left", "nats", **{"font-size": "8pt"})
        for name in ("left", "bottom"):
            self.getAxis(name).setStyle(tickFont=_small_font())
        self.errors = pg.ErrorBarItem(pen=pg.mkPen(ESTIMATE_COLOUR, width=1), beam=0.06)
        self.estimate = pg.PlotDataItem(pen=pg.mkPen(ESTIMATE_COLOUR, width=2), symbol="o", symbolSize=5,
                                        symbolBrush=ESTIMATE_COLOUR, symbolPen=None)
        self.elbo = pg.InfiniteLine(angle=0, movable=False,
                                    pen=pg.mkPen("#555555", width=1.5, style=Qt.PenStyle.DashLine),
                                    label="ELBO", labelOpts={"position": 0.92, "anchors": [(1, 0), (1, 0)]})
        self.message = pg.TextItem("", anchor=(0.5, 0.5))
        for item in (self.errors, self.estimate, self.elbo):
            self.addItem(item)
        self.addItem(self.message, ignoreBounds=True)
        self.lik: Likelihood | None = None
        self._foreground = "#202020"
        self._text = ""
        self.show_hint()

    def _set_text_mode(self, text: str) -> None:
        """Only ``text`` in the middle of the box (the axes would have nothing to measure)."""
        self.lik = None
        self.errors.setData(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0))
        self.estimate.setData([], [])
        self.elbo.hide()
        for name in ("left", "bottom"):
            self.hideAxis(name)
        self.setTitle(None)
        self._text = text
        self.message.setHtml(f"<div style='text-align:center; color:{self._foreground}; font-size:8pt'>"
                             f"{text}</div>")
        self.message.show()
        self.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self.message.setPos(0.5, 0.5)

    def show_hint(self) -> None:
        self._set_text_mode(HINT)

    def show_no_px(self) -> None:
        self._set_text_mode(NO_PX)

    def is_plotting(self) -> bool:
        return self.lik is not None

    def show_likelihood(self, lik: Likelihood) -> None:
        if not lik.defined:
            self.show_no_px()
            return
        self.lik = lik
        self.message.hide()
        for name in ("left", "bottom"):
            self.showAxis(name)
        x = np.log10(np.asarray(lik.counts, np.float64))
        y = np.asarray(lik.log_px, np.float64)
        err = np.nan_to_num(np.asarray(lik.stderr, np.float64), nan=0.0)
        self.estimate.setData(x, y)
        self.errors.setData(x=x, y=y, height=2 * err)
        self.elbo.setValue(lik.elbo)
        self.elbo.show()
        low = min(float((y - err).min()), lik.elbo)
        high = max(float((y + err).max()), lik.elbo)
        span = high - low or 1.0
        # room under the lowest value for the ELBO's label, which hangs below its line
        self.setRange(xRange=(-0.12, float(x.max()) + 0.35), yRange=(low - 0.3 * span, high + 0.12 * span),
                      padding=0)
        self.setTitle(TITLE, size="8pt", color=self._foreground)

    def apply_theme(self, dark: bool) -> None:
        colours = plot_colours(dark)
        fg = colours["foreground"]
        self._foreground = fg
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)
        line = "#bbbbbb" if dark else "#555555"
        self.elbo.setPen(pg.mkPen(line, width=1.5, style=Qt.PenStyle.DashLine))
        self.elbo.label.setColor(fg)
        if self.lik is not None:
            self.setTitle(TITLE, size="8pt", color=fg)
        else:
            self._set_text_mode(self._text)


def _small_font():
    from PySide6.QtGui import QFont

    font = QFont()
    font.setPointSizeF(7.5)
    return font

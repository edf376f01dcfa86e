"""The variational-inference view: the toy model's exact posterior p(z | x) with q's ellipses, and a
stacked bar log p(x) = ELBO + KL(q ‖ p(z|x)) whose KL part shrinks while q improves."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.kl.density_plot import ROLE_COLOURS, DensityPlot, style_plot
from vaeviz.ui.theme import plot_colours

ELBO_COLOURS = {False: "#4c6ef5", True: "#91a7ff"}


class EvidenceBar(pg.PlotWidget):
    """One stacked bar: the ELBO from a floor up, the KL on top of it, reaching log p(x)."""

    def __init__(self) -> None:
        super().__init__()
        self.dark = False
        plot = self.getPlotItem()
        plot.setTitle("log p(x) = ELBO + KL", size="10pt")
        setup_data_plot(plot, "", "nats")
        plot.getAxis("bottom").setTicks([[(0.0, "q now")]])
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(False, False)
        self.elbo_bar = pg.BarGraphItem(x=[0.0], y0=[0.0], height=[0.0], width=0.6)
        self.kl_bar = pg.BarGraphItem(x=[0.0], y0=[0.0], height=[0.0], width=0.6)
        self.evidence = pg.InfiniteLine(angle=0, movable=False)
        self.elbo_text = pg.TextItem(anchor=(0, 0.5))
        self.kl_text = pg.TextItem(anchor=(0, 0.5))
        self.evidence_text = pg.TextItem(anchor=(0, 1))
        for item in (self.elbo_bar, self.kl_bar, self.evidence, self.elbo_text, self.kl_text,
                     self.evidence_text):
            plot.addItem(item)
        plot.setXRange(-0.5, 1.6, padding=0)
        self.floor: float | None = None
        self.apply_theme(False)

    def set_values(self, log_evidence: float, elbo: float, first_elbo: float) -> None:
        """The bar for the shown q. Its floor sits a fixed distance below log p(x), set by the first frame's
        KL (at least 2 nats), so the KL part visibly shrinks while the ELBO part grows."""
        if not (math.isfinite(log_evidence) and math.isfinite(elbo)):
            return
        first_kl = log_evidence - first_elbo if math.isfinite(first_elbo) else log_evidence - elbo
        kl = max(log_evidence - elbo, 0.0)
        depth = max(2.0, 1.5 * min(first_kl, 6.0), 1.2 * kl)  # (a KL beyond 6 nats fills the bar)
        floor = math.floor(log_evidence - depth)
        self.elbo_bar.setOpts(y0=[floor], height=[elbo - floor])
        self.kl_bar.setOpts(y0=[elbo], height=[kl])
        self.evidence.setPos(log_evidence)
        self.elbo_text.setText(f"ELBO {elbo:.3f}")
        self.elbo_text.setPos(0.32, (floor + elbo) / 2)
        self.kl_text.setText(f"KL {kl:.3f}")
        self.kl_text.setPos(0.32, elbo + kl / 2)
        self.evidence_text.setText(f"log p(x) {log_evidence:.3f}")
        self.evidence_text.setPos(-0.45, log_evidence)
        top = log_evidence + 0.15 * (log_evidence - floor)
        self.getPlotItem().setYRange(floor, top, padding=0)

    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        fg = plot_colours(dark)["foreground"]
        self.setBackground(plot_colours(dark)["background"])
        style_plot(self.getPlotItem(), dark)
        self.elbo_bar.setOpts(brush=pg.mkBrush(ELBO_COLOURS[dark]), pen=pg.mkPen(fg, width=1))
        self.kl_bar.setOpts(brush=pg.mkBrush(ROLE_COLOURS[dark]["reverse"]), pen=pg.mkPen(fg, width=1))
        self.evidence.setPen(pg.mkPen(fg, width=2, style=Qt.PenStyle.DashLine))
        for text in (self.elbo_text, self.kl_text, self.evidence_text):
            text.setColor(fg)


class VIView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.posterior = DensityPlot("vi", "p(z | x) exact (grid) and q fitted by maximising the ELBO")
        self.posterior.getPlotItem().setLabel("bottom", "z₁")
        self.posterior.getPlotItem().setLabel("left", "z₂")
        self.bar = EvidenceBar()
        row.addWidget(self.posterior, 3)
        row.addWidget(self.bar, 1)

    def show_frame(self, frame, first) -> None:
        self.posterior.set_q(frame.q)
        self.bar.set_values(frame.log_evidence, frame.elbo, first.elbo if first is not None else np.nan)

    def apply_theme(self, dark: bool) -> None:
        self.posterior.apply_theme(dark)
        self.bar.apply_theme(dark)

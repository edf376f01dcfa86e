"""The lab's figure (what File > Export figure writes): the fits' plots on top — side by side on p in 2-D,
on one axis in 1-D, the posterior and the ELBO bar in the VI view — and the traces and the table below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QStackedWidget, QWidget

from vaeviz.ui.kl.density_plot import DensityPlot
from vaeviz.ui.kl.numbers import KLTable
from vaeviz.ui.kl.oned_plot import OneDPlot
from vaeviz.ui.kl.traces import TracePlot
from vaeviz.ui.kl.vi_view import VIView

TITLES = {
    "forward": "q by KL(p‖q): right / hard / mass-covering",
    "reverse": "q by KL(q‖p): wrong / easy / mode-seeking",
}


def alpha_title(alpha: float) -> str:
    return f"q by D_α, α = {alpha:.2f}: between the two"


class KlFigure(QSplitter):
    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Vertical)
        self.setObjectName("kl-figure")
        self.plots = {role: DensityPlot(role, title) for role, title in TITLES.items()}
        self.plots["alpha"] = DensityPlot("alpha", alpha_title(0.5))
        # (not linked: with locked aspects, plots of different widths linked on x would disagree on y)
        self.page2d = QWidget()
        row = QHBoxLayout(self.page2d)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        for plot in self.plots.values():
            row.addWidget(plot, 1)
        self.oned = OneDPlot()
        self.vi = VIView()
        self.pages = QStackedWidget()
        for page in (self.page2d, self.oned, self.vi):
            self.pages.addWidget(page)
        self.trace = TracePlot()
        self.table = KLTable()
        # a layout, not a splitter: its stretch holds at any size, so the table's four numbers stay in view
        self.bottom = QWidget()
        row = QHBoxLayout(self.bottom)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.trace, 2)
        row.addWidget(self.table, 3)
        self.addWidget(self.pages)
        self.addWidget(self.bottom)
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)
        self.mode = "2d"

    def set_mode(self, mode: str, show_alpha: bool) -> None:
        self.mode = mode
        self.pages.setCurrentWidget({"2d": self.page2d, "1d": self.oned, "vi": self.vi}[mode])
        self.plots["alpha"].setVisible(mode == "2d" and show_alpha)

    def apply_theme(self, dark: bool) -> None:
        for view in (*self.plots.values(), self.oned, self.vi, self.trace):
            view.apply_theme(dark)

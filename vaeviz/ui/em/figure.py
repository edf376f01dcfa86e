"""The lab's figure (what File > Export figure writes): the 2-D page — GMM scatter, k-means or seed runs
beside it, curves below — or the 1-D lecture page."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QStackedWidget

from vaeviz.ui.em.curves import CurvesView
from vaeviz.ui.em.em_view import EmView
from vaeviz.ui.em.kmeans_view import KMeansView
from vaeviz.ui.em.oned_view import OneDView
from vaeviz.ui.em.seeds_view import SeedsView


class EmFigure(QStackedWidget):
    """Page 0: the 2-D lab; page 1: the 1-D mixture."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("em-figure-stack")
        self.em_view = EmView()
        self.km_view = KMeansView()
        self.seeds_view = SeedsView()
        self.curves = CurvesView()
        self.oned = OneDView()
        self.side = QStackedWidget()
        self.side.addWidget(self.km_view)
        self.side.addWidget(self.seeds_view)
        self.top = QSplitter(Qt.Orientation.Horizontal)
        self.top.addWidget(self.em_view)
        self.top.addWidget(self.side)
        # k-means beside the GMM at the same size and range (linked): the same clusters in the same place.
        self.km_view.setXLink(self.em_view)
        self.km_view.setYLink(self.em_view)
        self.top.setStretchFactor(0, 1)
        self.top.setStretchFactor(1, 1)
        self.top.setChildrenCollapsible(False)
        self.page2d = QSplitter(Qt.Orientation.Vertical)
        self.page2d.addWidget(self.top)
        self.page2d.addWidget(self.curves)
        # The curves get a third: with their caption they must stay readable on a slide.
        self.page2d.setStretchFactor(0, 2)
        self.page2d.setStretchFactor(1, 1)
        self.page2d.setChildrenCollapsible(False)
        self.addWidget(self.page2d)
        self.addWidget(self.oned)
        self.side_kind: str | None = "kmeans"

    def set_side(self, kind: str | None) -> None:
        """What sits beside the GMM scatter: "kmeans", "seeds" or nothing."""
        self.side_kind = kind
        self.side.setVisible(kind is not None)
        if kind is not None:
            self.side.setCurrentWidget(self.km_view if kind == "kmeans" else self.seeds_view)
        self.curves.show_kmeans(kind == "kmeans")

    def set_mode(self, mode: str) -> None:
        self.setCurrentWidget(self.oned if mode == "1d" else self.page2d)

    def apply_theme(self, dark: bool) -> None:
        for view in (self.em_view, self.km_view, self.seeds_view, self.curves, self.oned):
            view.apply_theme(dark)

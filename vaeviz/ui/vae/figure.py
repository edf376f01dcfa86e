"""The latent dock's figure: the VAE pane, the AE pane, or both side by side, in one exportable scene."""

from __future__ import annotations

import pyqtgraph as pg

from vaeviz.ui.theme import plot_colours
from vaeviz.ui.vae.pane import LatentPane

MODES = {"vae": ("vae",), "ae": ("ae",), "both": ("vae", "ae")}


class LatentFigure(pg.PlotWidget):
    """A PlotWidget whose scene lays out one or two :class:`LatentPane` (each with its images).

    A PlotWidget, like every dock's figure, so the export framework and the window treat it the same;
    its ``plotItem`` is the VAE pane's latent plot. The central item is a layout instead of that plot
    alone, so the decoded images and strips sit beside it in the same scene (and the same PNG/SVG).
    """

    def __init__(self, parent=None) -> None:
        vae_plot = pg.PlotItem()
        super().__init__(parent, plotItem=vae_plot)
        self.setObjectName("latent-figure")
        self.root = pg.GraphicsLayout()
        self.root.layout.setContentsMargins(6, 6, 6, 6)
        self.root.layout.setHorizontalSpacing(18)
        self.setCentralItem(self.root)
        self.panes = {"vae": LatentPane("vae", vae_plot), "ae": LatentPane("ae")}
        self.mode = ""
        self.set_mode("vae")

    def set_mode(self, mode: str) -> None:
        """Show the VAE ("vae"), the autoencoder ("ae") or both side by side ("both")."""
        if mode not in MODES:
            raise ValueError(f"unknown view mode {mode!r}")
        if mode == self.mode:
            return
        self.mode = mode
        for pane in self.panes.values():
            if pane.parentItem() is self.root:
                self.root.removeItem(pane)
        for col, role in enumerate(MODES[mode]):
            self.root.addItem(self.panes[role], row=0, col=col)
            self.root.layout.setColumnStretchFactor(col, 1)
        self.fit_to_view()

    def fit_to_view(self) -> None:
        """Lay the panes out in the view again. Qt grows a layout to its items' minimum sizes but never
        shrinks it back: after a pane drops its ε panels the figure would stay too wide for the view."""
        if self.centralWidget is not None:
            self.centralWidget.setGeometry(self.range)

    def roles(self) -> tuple[str, ...]:
        """The model slots on show."""
        return MODES[self.mode]

    def apply_theme(self, dark: bool) -> None:
        self.setBackground(plot_colours(dark)["background"])
        for pane in self.panes.values():
            pane.apply_theme(dark)

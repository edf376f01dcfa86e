"""A plot legend readable in both themes: text at the theme's full foreground colour on a nearly opaque
box of the background colour (pyqtgraph's default text is grey 150, faint on white and on black)."""

from __future__ import annotations

import pyqtgraph as pg

from vaeviz.ui.theme import plot_colours


def add_legend(plot: pg.PlotItem, offset=(6, 6), size: str = "9pt") -> pg.LegendItem:
    """A legend in ``plot``'s corner ``offset`` (pyqtgraph's convention: negative counts from the right or
    bottom), styled for the light theme until :func:`style_legend` says otherwise."""
    legend = plot.addLegend(offset=offset, labelTextSize=size, verSpacing=-4)
    style_legend(legend, False)
    return legend


def style_legend(legend: pg.LegendItem, dark: bool) -> None:
    colours = plot_colours(dark)
    legend.setLabelTextColor(colours["foreground"])
    for _sample, label in legend.items:  # (pyqtgraph stores the colour but does not redraw the labels)
        label.setText(label.text)
    background = pg.mkColor(colours["background"])
    background.setAlpha(225)
    legend.setBrush(pg.mkBrush(background))
    legend.setPen(pg.mkPen(128, 128, 128, 140, width=1))

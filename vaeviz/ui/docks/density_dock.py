"""Density lab dock (placeholder until its lab lands): 1-D/2-D density estimation."""

from __future__ import annotations

from vaeviz.ui.docks.placeholder import PlaceholderDock


class DensityDock(PlaceholderDock):
    dock_id = "density"
    title = "Density"
    shortcut = "Ctrl+1"
    coming = [
        '1-D and 2-D data you can add, spray, erase and move',
        'drag a Gaussian and watch the likelihood change',
        'histogram and kernel density estimates beside a fitted Gaussian',
    ]

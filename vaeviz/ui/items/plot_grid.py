"""Grid lines that stay cheap to repaint.

pyqtgraph draws a plot's grid lines as part of its axis items; translucent lines across a whole plot
cost 10+ ms a repaint. Caching the axes as pixmaps redraws them only when the view or their pens change,
so dragging an item or recolouring points repaints in a few milliseconds.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsItem


def show_cached_grid(plot, alpha: float = 0.15, axes: tuple[str, ...] = ("left", "bottom")) -> None:
    """``plot.showGrid(x=True, y=True, alpha=alpha)`` with the grid-carrying axes cached as pixmaps."""
    plot.showGrid(x=True, y=True, alpha=alpha)
    for name in axes:
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def setup_data_plot(plot, x_label: str, y_label: str | None = None) -> None:
    """A data plot's common set-up: the cached grid, axis labels, plain numbers (no SI prefixes)."""
    show_cached_grid(plot)
    plot.setLabel("bottom", x_label)
    if y_label is not None:
        plot.setLabel("left", y_label)
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)

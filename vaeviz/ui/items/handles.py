"""A row of draggable markers on a plot, one per point: what the labs let the user drag (p's means and
covariance handles in the KL lab, a mixture's components in the Density lab)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal


class HandleRow(QObject):
    """As many draggable markers as :meth:`show` is given points, made when first needed.

    Moves made with the mouse are reported as ``moved(k, x, y, finished)``; placing them (:meth:`show`) is
    not. A marker already where it is asked to be is left alone: a drag moves one handle, and every other
    one placed again would be a relayout per move.
    """

    moved = Signal(int, float, float, bool)  # which marker, where, released?

    def __init__(self, plot: pg.PlotItem, size: float, symbol: str = "o", z: float = 15.0) -> None:
        super().__init__(plot)
        self.plot = plot
        self.size, self.symbol, self.z = size, symbol, z
        self.handles: list[pg.TargetItem] = []
        self._pens = (pg.mkPen("k", width=2), None, pg.mkBrush(None))
        self._placing = False

    def show(self, points) -> None:
        """A marker at each of ``points`` (x, y) and none beyond them."""
        points = [(float(p[0]), float(p[1])) for p in points]
        while len(self.handles) < len(points):
            k = len(self.handles)
            handle = pg.TargetItem(size=self.size, movable=True, symbol=self.symbol)
            handle.setZValue(self.z)
            self.plot.addItem(handle)
            # (GUI-thread signals of the plot's own items, never a worker's: lambdas are fine here)
            handle.sigPositionChanged.connect(lambda h, k=k: self._report(h, k, False))
            handle.sigPositionChangeFinished.connect(lambda h, k=k: self._report(h, k, True))
            self.handles.append(handle)
            self._style(handle)
        for k, handle in enumerate(self.handles):
            handle.setVisible(k < len(points))
            if k < len(points) and (handle.pos().x(), handle.pos().y()) != points[k]:
                self._placing = True
                try:
                    handle.setPos(*points[k])
                finally:
                    self._placing = False

    def style(self, pen, hover_pen=None, brush=None) -> None:
        """The markers' outline, their outline under the mouse (default: the outline) and their fill."""
        self._pens = (pen, hover_pen, brush if brush is not None else pg.mkBrush(None))
        for handle in self.handles:
            self._style(handle)

    def _style(self, handle: pg.TargetItem) -> None:
        pen, hover_pen, brush = self._pens
        handle.setPen(pen)
        if hover_pen is not None:
            handle.setHoverPen(hover_pen)
        handle.setBrush(brush)

    def _report(self, handle: pg.TargetItem, k: int, finished: bool) -> None:
        if not self._placing:
            self.moved.emit(k, handle.pos().x(), handle.pos().y(), finished)

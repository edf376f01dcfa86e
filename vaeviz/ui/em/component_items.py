"""One mixture component's handles on the scatter: a draggable mean and two axis handles (its 1σ and 2σ
ellipses are drawn with the others' by one item, see :meth:`vaeviz.ui.em.em_view.EmView.set_mixture`).

The handles are pyqtgraph ``TargetItem``s: ``sigPositionChanged`` while dragging (cheap: the dock
recomputes the mixture and asks the worker for the new likelihood, latest-wins) and
``sigPositionChangeFinished`` on release (the edit becomes a frame of the history). Tests drive the
same path with ``handle.setPos(...)`` followed by ``handle.sigPositionChangeFinished.emit(handle)``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal, Slot

from vaeviz.core.em.edit import axis_handles
from vaeviz.ui.em.colours import colour


class ComponentItems(QObject):
    """The graphics of component ``k``; emits ``edited(k, part, (x, y), finished)``.

    ``part`` is "mean", "axis0" or "axis1". Positions set from code (a new frame) do not emit.
    """

    edited = Signal(int, str, object, bool)

    def __init__(self, plot: pg.PlotItem, k: int) -> None:
        super().__init__()
        self.k = k
        self._updating = False
        c = colour(k)
        dark = pg.mkPen(20, 20, 20, 200, width=1.2)
        # The pens of the 1σ ellipse (emphasised when selected) and of the 2σ one. The dashed one is 1 px:
        # Qt draws wider dashes ~8× slower (0.17 against 0.02 ms for three ellipses, at every EM frame).
        self.pens = (pg.mkPen(c, width=2.2), pg.mkPen(c, width=3.4),
                     pg.mkPen(c, width=1, style=Qt.PenStyle.DashLine))
        self.mean = pg.TargetItem(size=16, symbol="o", pen=dark, brush=pg.mkBrush(c),
                                  hoverBrush=pg.mkBrush(255, 255, 255, 230), label=str(k + 1),
                                  labelOpts={"color": c, "offset": (9, -9)})
        self.axes = [pg.TargetItem(size=9, symbol="s", pen=dark, brush=pg.mkBrush(c.lighter(130)),
                                   hoverBrush=pg.mkBrush(255, 255, 255, 230)) for _ in range(2)]
        for z, item in enumerate([*self.axes, self.mean]):
            item.setZValue(20 + z)
            plot.addItem(item)
        self.mean.setToolTip(f"Component {k + 1}: drag the mean")
        for i, handle in enumerate(self.axes):
            handle.setToolTip(f"Component {k + 1}: drag to stretch and turn principal axis {i + 1}")
        self._parts = {self.mean: "mean", self.axes[0]: "axis0", self.axes[1]: "axis1"}
        for handle in self._parts:
            handle.sigPositionChanged.connect(self._on_moved)
            handle.sigPositionChangeFinished.connect(self._on_finished)

    def items(self) -> list:
        return [self.mean, *self.axes]

    def set_component(self, mean: np.ndarray, cov: np.ndarray, *, skip=None) -> None:
        """Place the handles for ``(mean, cov)`` without emitting ``edited``.

        ``skip`` is the handle being dragged: moving it from code would fight the mouse.
        """
        self._updating = True
        try:
            if skip is not self.mean:
                self.mean.setPos(float(mean[0]), float(mean[1]))
            for handle, pos in zip(self.axes, axis_handles(mean, cov), strict=True):
                if skip is not handle:
                    handle.setPos(float(pos[0]), float(pos[1]))
        finally:
            self._updating = False

    def set_visible(self, visible: bool, handles: bool = True) -> None:
        for item in (self.mean, *self.axes):
            item.setVisible(visible and handles)

    def dragging(self):
        """The handle the mouse is dragging, if any."""
        return next((h for h in self._parts if getattr(h, "moving", False)), None)

    @Slot(object)
    def _on_moved(self, handle) -> None:
        if not self._updating:
            pos = handle.pos()
            self.edited.emit(self.k, self._parts[handle], (pos.x(), pos.y()), False)

    @Slot(object)
    def _on_finished(self, handle) -> None:
        if not self._updating:
            pos = handle.pos()
            self.edited.emit(self.k, self._parts[handle], (pos.x(), pos.y()), True)

"""pyqtgraph items that cost less per repaint while something is being dragged.

Measured on the latent dock while dragging ⊕ (every decoded image triggers a repaint):

* ``ScatterPlotItem.boundingRect`` recomputes the pixel padding (``pixelVectors``, Python) on every
  call, and the scene asks each item for it about twice per repaint: ~1 ms per repaint with ten
  scatters. :class:`BoundsCachedScatter` keeps the rectangle until the data, the spot sizes or the view
  transform change.
* ``LabelItem.setText`` re-measures the text and calls ``updateGeometry``, so a changing caption
  re-lays out the whole ``GraphicsLayout`` it sits in, on every change. :class:`FixedSizeLabel` is sized
  once for the widest text it will show and then only swaps its text.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QRectF

# pyqtgraph drops mouse moves beyond 100 per second by default, which caps a drag through the latent space
# below a fast display's rate; Qt itself already delivers at most one move per event-loop pass.
MOUSE_MOVES_PER_S = 500


def paint_now(scene) -> None:
    """Paint what changed in ``scene`` now rather than a few event-loop passes later.

    A change in a QGraphicsScene reaches the screen in three hops through the event queue (the scene's
    queued dirty-item pass, the view's update request, the paint), each waiting behind whatever else is
    queued: a mouse move and its repaint, typically. For the one latency-critical update (a decoded image
    while dragging) this runs those hops at once: ~1 ms sooner on screen.
    """
    if scene is None:
        return
    QCoreApplication.sendPostedEvents(scene, QEvent.Type.MetaCall.value)  # the dirty-item pass
    for view in scene.views():
        QCoreApplication.sendPostedEvents(view.window(), QEvent.Type.UpdateRequest.value)


def configure_pyqtgraph() -> None:
    """App-wide pyqtgraph options (before the first plot is built)."""
    pg.setConfigOptions(mouseRateLimit=MOUSE_MOVES_PER_S)


class BoundsCachedScatter(pg.ScatterPlotItem):
    """A ScatterPlotItem whose bounding rectangle is computed once per data, spot-size or view change."""

    def __init__(self, *args, **kwargs) -> None:
        self._rect: QRectF | None = None
        super().__init__(*args, **kwargs)

    def boundingRect(self) -> QRectF:
        if self._rect is None:
            self._rect = super().boundingRect()
        return QRectF(self._rect)

    # Every change of the rectangle goes through one of these three (data: addPoints → prepareGeometryChange;
    # zoom/resize: viewTransformChanged → prepareGeometryChange; sizes: _updateMaxSpotSizes; clear).
    def prepareGeometryChange(self) -> None:
        self._rect = None
        super().prepareGeometryChange()

    def _updateMaxSpotSizes(self, **kwargs) -> None:
        self._rect = None
        super()._updateMaxSpotSizes(**kwargs)

    def clear(self) -> None:
        self._rect = None
        super().clear()


class FixedSizeLabel(pg.LabelItem):
    """A LabelItem sized for ``widest`` at creation; later texts change without a layout pass.

    Texts longer than ``widest`` are clipped by nothing but may overlap neighbours, so ``widest`` should be
    the longest text the label will show (same number of lines too). Texts are plain, with ``<br>`` for a
    line break: setting plain text is ~0.15 ms cheaper than the HTML a LabelItem builds, per change.
    """

    def __init__(self, widest: str, text: str = "", **opts) -> None:
        self._frozen = False
        super().__init__(widest, **opts)
        self._frozen = True
        self.setText(text)

    def setText(self, text: str, **args) -> None:  # noqa: N802 (Qt's name)
        if not getattr(self, "_frozen", False):
            super().setText(text, **args)
            return
        self.opts.update(args)
        self.text = text
        if "size" in self.opts:  # what the HTML's font-size did, for plain text
            font = self.item.font()
            size = float(str(self.opts["size"]).removesuffix("pt"))
            if font.pointSizeF() != size:
                font.setPointSizeF(size)
                self.item.setFont(font)
        colour = self.opts["color"] if self.opts["color"] is not None else pg.getConfigOption("foreground")
        self.item.setDefaultTextColor(pg.mkColor(colour))
        self.item.setPlainText(text.replace("<br>", "\n"))
        self.resizeEvent(None)  # re-centres the text; the size stays

    def updateMin(self) -> None:
        if not self._frozen:
            super().updateMin()

    def updateGeometry(self) -> None:
        if not getattr(self, "_frozen", False):  # called by QGraphicsWidget before __init__ finishes
            super().updateGeometry()

"""pyqtgraph items that cost less per repaint while something is being dragged.

Measured on the latent dock while dragging ⊕ (every decoded image triggers a repaint):

* ``ScatterPlotItem.boundingRect`` recomputes the pixel padding (``pixelVectors``, Python) on every
  call, and the scene asks each item for it about twice per repaint: ~1 ms per repaint with ten
  scatters. :class:`BoundsCachedScatter` keeps the rectangle until the data, the spot sizes or the view
  transform change.
* points that stay while the heatmap under them changes are redrawn in full at every repaint:
  :class:`StillScatter` has Qt keep them drawn in a pixmap (the Density lab's data under a dragged
  bandwidth: ~1 ms a frame for 1,500 points).
* ``LabelItem.setText`` re-measures the text and calls ``updateGeometry``, so a changing caption
  re-lays out the whole ``GraphicsLayout`` it sits in, on every change. :class:`FixedSizeLabel` is sized
  once for the widest text it will show and then only swaps its text.

Measured on the EM dock, where a few markers change at every EM frame:

* a ``ScatterPlotItem`` costs ~0.4 ms per ``setData`` and ~0.15 ms per repaint whatever its size (even
  empty). :class:`Markers` draws a handful of symbols of one size with a few QPainter calls: ~0.02 ms.
* each ``PlotCurveItem`` adds ~0.1 ms a repaint (Python bounds and paint) to the few microseconds Qt
  needs for a short line: :class:`Polylines` draws many short lines (the mixture's ellipses) as one item.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.functions import create_qpolygonf, ndarray_from_qpolygonf
from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem

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


class StillScatter(BoundsCachedScatter):
    """A scatter that stays put while what lies under it repaints at every frame (the data points over a
    density whose bandwidth is being dragged): Qt draws it once into a pixmap and reuses that, drawing it
    anew only when its points or the view change. Exports paint it afresh, as vectors."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def setExportMode(self, export, opts=None):  # noqa: N802 (pyqtgraph's name)
        # (a cached item would go into an SVG or PDF as its pixmap)
        self.setCacheMode(QGraphicsItem.CacheMode.NoCache if export
                          else QGraphicsItem.CacheMode.DeviceCoordinateCache)
        return super().setExportMode(export, opts)


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


class PixelPaddedItem(pg.GraphicsObject):
    """Bounds = a data rectangle grown by a reach in screen pixels (pens, symbols), computed once per data
    or view change: pyqtgraph's own items recompute theirs in Python at every repaint. Subclasses set
    ``_data_rect`` and ``_reach`` through :meth:`_set_bounds`."""

    def __init__(self) -> None:
        super().__init__()
        self._data_rect = QRectF()
        self._reach = 0.0
        self._rect: QRectF | None = None

    def _set_bounds(self, data_rect: QRectF, reach: float) -> None:
        self.prepareGeometryChange()
        self._data_rect, self._reach, self._rect = data_rect, reach, None

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name): the pixel padding changes
        self.prepareGeometryChange()
        self._rect = None

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        if self._rect is None:
            px, py = self.pixelVectors()  # one screen pixel in the item's units (None while in no view)
            pad_x = 0.0 if px is None else self._reach * (abs(px.x()) + abs(px.y()))
            pad_y = 0.0 if py is None else self._reach * (abs(py.x()) + abs(py.y()))
            empty = self._data_rect.isNull() and self._reach == 0.0
            self._rect = QRectF() if empty else self._data_rect.adjusted(-pad_x, -pad_y, pad_x, pad_y)
        return QRectF(self._rect)


class Markers(PixelPaddedItem):
    """A few symbols (pyqtgraph's names: "o", "x", "t1", ...) of one size in screen pixels at data positions.

    For a handful of points (centres, a ring round a picked point, dots on a curve), where a
    ScatterPlotItem's per-call overhead dominates. ``brushes``, one per position, override ``brush``.
    """

    def __init__(self, symbol: str = "o", size: float = 10.0, pen=None, brush=None) -> None:
        super().__init__()
        self._symbol = symbol
        self._path = QTransform.fromScale(size, size).map(Symbols[symbol])
        self._size = float(size)
        self._pen = pg.mkPen(pen)  # cosmetic: its width stays in pixels
        self._brush = pg.mkBrush(brush)
        self._pos = np.zeros((0, 2))
        self._brushes: list | None = None
        self._polygon = create_qpolygonf(0)
        self._dots: QPen | None = None
        self._set_dots()

    def _set_dots(self) -> None:
        """Discs without an outline in one colour are drawn as points of a round pen."""
        plain = self._symbol == "o" and self._pen.style() == Qt.PenStyle.NoPen and self._brushes is None
        self._dots = None
        if plain:
            self._dots = QPen(self._brush.color(), self._size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            self._dots.setCosmetic(True)

    @property
    def positions(self) -> np.ndarray:
        return self._pos

    def set_data(self, pos, brushes: list | None = None) -> None:
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        if brushes is not None and len(brushes) != len(pos):
            raise ValueError(f"{len(brushes)} brushes for {len(pos)} positions")
        self._pos = pos
        self._brushes = None if brushes is None else [pg.mkBrush(b) for b in brushes]
        self._set_dots()
        self._polygon = _polygon(pos)
        self._set_marker_bounds()
        self.update()

    def _set_marker_bounds(self) -> None:
        reach = 0.5 * self._size + self._pen.widthF() + 1.0 if len(self._pos) else 0.0
        self._set_bounds(self._polygon.boundingRect(), reach)

    def set_pen(self, pen) -> None:
        self._pen = pg.mkPen(pen)
        self._set_dots()
        self._set_marker_bounds()
        self.update()

    def set_brush(self, brush) -> None:
        """The fill of the symbols without brushes of their own (a theme change)."""
        self._brush = pg.mkBrush(brush)
        self._set_dots()
        self.update()

    def paint(self, painter, *args) -> None:
        if len(self._pos) == 0:
            return
        painter.save()
        # as ScatterPlotItem renders its symbols
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self._dots is not None:  # plain discs: one call, a round pen as wide as the symbol
            painter.setPen(self._dots)
            painter.drawPoints(self._polygon)
            painter.restore()
            return
        transform = painter.transform()
        painter.resetTransform()  # symbols in pixels, upright
        painter.setPen(self._pen)
        for i, (x, y) in enumerate(self._pos):
            painter.setBrush(self._brush if self._brushes is None else self._brushes[i])
            painter.drawPath(self._path.translated(transform.map(QPointF(x, y))))
        painter.restore()


def _polygon(points: np.ndarray):
    """(n, 2) points → QPolygonF, filled through its memory (no per-point Python)."""
    polygon = create_qpolygonf(len(points))
    if len(points):  # (an empty polygon's array is read-only)
        ndarray_from_qpolygonf(polygon)[:] = points
    return polygon


class Polylines(PixelPaddedItem):
    """Open polylines, each with its own (cosmetic) pen, drawn by one item: :meth:`set_lines` takes
    (points (n, 2), pen) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: list = []  # (QPolygonF, QPen)

    def set_lines(self, lines) -> None:
        """(points, pen) pairs: points array-like (n, 2), pen a QPen or what ``pg.mkPen`` takes."""
        self._lines, reach, rect = [], 0.0, QRectF()
        for points, pen in lines:
            polygon = _polygon(np.asarray(points, dtype=np.float64).reshape(-1, 2))
            pen = pen if isinstance(pen, QPen) else pg.mkPen(pen)
            self._lines.append((polygon, pen))
            if not polygon.isEmpty():  # (Qt's bounds: numpy's axis-0 min and max cost ~10 µs a line)
                bounds = polygon.boundingRect()
                rect = bounds if rect.isNull() else rect.united(bounds)
            reach = max(reach, 0.5 * pen.widthF() + 1.0)
        self._set_bounds(rect, reach)  # reach: the widest pen's half width, in pixels
        self.update()

    def paint(self, painter, *args) -> None:
        for poly, pen in self._lines:
            painter.setPen(pen)
            painter.drawPolyline(poly)


"""Items that repaint cheaply: cached scatter bounds, fixed-size labels, a few markers, many short lines."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor

from vaeviz.ui.items.cheap_items import BoundsCachedScatter, FixedSizeLabel, Markers, Polylines, StillScatter


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 300)
    with qtbot.waitExposed(widget):
        widget.show()
    return widget


def test_cached_scatter_bounds_follow_data_and_zoom(plot):
    """The cached rectangle equals pyqtgraph's own after new data, new sizes and a zoom (never stale)."""
    item = BoundsCachedScatter(size=10, pen=None)
    plot.addItem(item)
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    item.setData(pos=[(1, 1), (2, 3)])
    first = item.boundingRect()
    assert first == pg.ScatterPlotItem.boundingRect(item) and first.right() > 2
    item.setData(pos=[(5, 5), (9, 8)])
    assert item.boundingRect() == pg.ScatterPlotItem.boundingRect(item) and item.boundingRect().right() > 9
    item.setSize(30)
    assert item.boundingRect() == pg.ScatterPlotItem.boundingRect(item)
    plot.setRange(xRange=(0, 100), yRange=(0, 100), padding=0)  # pixel padding in data units grows
    plot.getViewBox().prepareForPaint()
    assert item.boundingRect() == pg.ScatterPlotItem.boundingRect(item)
    item.clear()
    assert item.boundingRect() == pg.ScatterPlotItem.boundingRect(item)


def _count_red(plot) -> int:
    image = plot.grab().toImage()
    return sum(QColor(image.pixel(x, y)).red() > 200 and QColor(image.pixel(x, y)).green() < 60
               for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))


def test_still_scatter_is_drawn_from_its_pixmap_until_it_changes(plot):
    """Cached between repaints of what lies under it, yet never stale: new points and a new brush show."""
    from PySide6.QtWidgets import QGraphicsItem

    item = StillScatter(size=14, pen=None, brush="#ff0000")
    plot.addItem(item)
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    item.setData(pos=[(2, 2)])
    assert item.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
    painted = []
    paint = item.paint
    item.paint = lambda *args: (painted.append(1), paint(*args))  # noqa: B023
    one = _count_red(plot)
    drawn = len(painted)
    assert drawn > 0
    under = pg.PlotCurveItem([0, 10], [5, 5], pen="#0000ff")  # something under it changes: no new drawing
    under.setZValue(-1)
    plot.addItem(under)
    plot.grab()
    assert len(painted) == drawn and one > 0
    item.setData(pos=[(2, 2), (7, 7)])  # new points are drawn
    assert _count_red(plot) > 1.5 * one
    item.setBrush("#00ff00")
    assert _count_red(plot) == 0
    item.setExportMode(True)  # exports paint it afresh (an SVG would get the pixmap)
    assert item.cacheMode() == QGraphicsItem.CacheMode.NoCache
    item.setExportMode(False)
    assert item.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache


def test_fixed_size_label_keeps_its_size_and_layout(qtbot):
    """Sized once for the widest text: new texts neither resize it nor ask the layout for a new pass."""
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    label = FixedSizeLabel("decoded at<br>z = (−888.88, −888.88)", "short", size="10pt")
    view.addItem(label)
    with qtbot.waitExposed(view):
        view.show()
    size = label.size()
    asked = []
    label.updateGeometry = lambda: asked.append(True)  # noqa: B023 (what a re-layout would call)
    for text in ("decoded at<br>z = (1.00, 2.00)", "x", "decoded at<br>z = (−100.25, 3.50)"):
        label.setText(text)
        assert label.size() == size and label.item.toPlainText() == text.replace("<br>", "\n")
    assert asked == []
    label.setAttr("color", "#ff0000")
    label.setText("red")
    assert label.item.defaultTextColor().name() == "#ff0000"
    assert label.item.font().pointSizeF() == 10.0
    assert np.isclose(label.size().width(), size.width())


def test_paint_now_paints_a_scene_change_without_the_event_loop(plot, qtbot):
    """A change in a shown scene is on screen when paint_now returns (no event-loop pass needed)."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from vaeviz.ui.items.cheap_items import paint_now

    painted = []

    class Count(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Paint:
                painted.append(event.region().boundingRect())
            return False

    counter = Count()
    plot.viewport().installEventFilter(counter)
    image = pg.ImageItem(np.zeros((4, 4), np.float32))
    plot.addItem(image)
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    for _ in range(3):  # what is pending now is painted by the event loop, before the change under test
        QApplication.processEvents()
    painted.clear()
    image.setImage(np.ones((4, 4), np.float32), levels=(0, 1))
    paint_now(plot.scene())
    assert painted, "paint_now did not paint"
    paint_now(None)  # no scene: nothing to do


def _pixel(plot, x: float, y: float) -> QColor:
    image = plot.viewport().grab().toImage()
    return QColor(image.pixel(plot.mapFromScene(plot.getViewBox().mapViewToScene(pg.Point(x, y)))))


def test_markers_draw_each_symbol_in_its_colour_at_its_position(plot):
    plot.setBackground("w")
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    item = Markers("o", size=14, pen=None)
    plot.addItem(item)
    item.set_data([(2, 2), (7, 6)], brushes=["#ff0000", "#0000ff"])
    assert _pixel(plot, 2, 2).name() == "#ff0000" and _pixel(plot, 7, 6).name() == "#0000ff"
    assert _pixel(plot, 4.5, 4).name() == "#ffffff"
    with pytest.raises(ValueError, match="3 brushes for 2 positions"):
        item.set_data([(1, 1), (2, 2)], brushes=["r", "g", "b"])
    item.set_data([])
    assert _pixel(plot, 2, 2).name() == "#ffffff" and item.boundingRect().isEmpty()
    dots = Markers("o", size=10, brush="#00ff00")  # plain discs: drawn as round points in one call
    plot.addItem(dots)
    dots.set_data(np.array([(2, 2), (5, 5), (8, 3)]))
    assert dots._dots is not None
    assert all(_pixel(plot, x, y).name() == "#00ff00" for x, y in ((2, 2), (5, 5), (8, 3)))
    px = plot.getViewBox().viewPixelSize()[0]
    assert _pixel(plot, 5 + 8 * px, 5).name() == "#ffffff"  # 10 px across: nothing 8 px from the centre


def test_marker_bounds_cover_the_symbols_pixels_at_any_zoom(plot):
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    item = Markers("x", size=20, pen=pg.mkPen("k", width=2))
    plot.addItem(item)
    item.set_data([(3, 4), (6, 5)])
    box = plot.getViewBox()
    for span in (10, 100):
        plot.setRange(xRange=(0, span), yRange=(0, span), padding=0)
        box.prepareForPaint()
        px = box.viewPixelSize()[0]
        rect = item.boundingRect()
        assert rect.left() <= 3 - 11 * px and rect.right() >= 6 + 11 * px  # half the size and the pen
        assert rect.width() < 3 + 40 * px  # and not much more


def test_polylines_draw_each_line_with_its_pen_and_bound_them(plot):
    plot.setBackground("w")
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    item = Polylines()
    plot.addItem(item)
    item.set_lines([([(1, 2), (9, 2)], pg.mkPen("#ff0000", width=5)),
                    ([(5, 4), (5, 9)], pg.mkPen("#0000ff", width=5))])
    assert _pixel(plot, 3, 2).name() == "#ff0000" and _pixel(plot, 5, 7).name() == "#0000ff"
    assert _pixel(plot, 3, 6).name() == "#ffffff"
    rect = item.boundingRect()
    px = plot.getViewBox().viewPixelSize()[0]
    assert rect.left() <= 1 - 2.5 * px and rect.right() >= 9 + 2.5 * px and rect.top() <= 2 - 2.5 * px
    item.set_lines([])
    assert item.boundingRect().isEmpty() and _pixel(plot, 3, 2).name() == "#ffffff"


"""A row of draggable markers: placed without a report, moved by the user with one, made as needed."""

from __future__ import annotations

import pyqtgraph as pg
import pytest

from vaeviz.ui.items.handles import HandleRow


@pytest.fixture
def row(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    row = HandleRow(widget.getPlotItem(), size=11)
    reports: list[tuple] = []
    row.moved.connect(lambda *args: reports.append(args))  # (a GUI-thread signal)
    row.reports = reports
    row.widget = widget  # (kept alive with the row)
    return row


def test_show_places_markers_without_reporting_moves(row):
    row.show([(1.0, 2.0), (3.0, -1.0)])
    assert [(h.pos().x(), h.pos().y()) for h in row.handles] == [(1.0, 2.0), (3.0, -1.0)]
    row.show([(1.0, 2.0)])  # fewer points: the rest hidden, kept for later
    assert [h.isVisible() for h in row.handles] == [True, False] and row.reports == []
    row.show([(0.5, 0.5), (4.0, 4.0), (5.0, 5.0)])
    assert len(row.handles) == 3 and all(h.isVisible() for h in row.handles) and row.reports == []


def test_a_users_move_is_reported_with_its_index_and_its_end(row):
    row.show([(1.0, 2.0), (3.0, -1.0)])
    row.handles[1].setPos(3.5, -0.5)  # what a mouse drag does
    row.handles[1].sigPositionChangeFinished.emit(row.handles[1])
    assert row.reports == [(1, 3.5, -0.5, False), (1, 3.5, -0.5, True)]


def test_a_marker_already_in_place_is_left_alone(row):
    row.show([(1.0, 2.0), (3.0, -1.0)])
    moved = []
    row.handles[0].sigPositionChanged.connect(lambda h: moved.append(h))
    row.show([(1.0, 2.0), (9.0, 9.0)])
    assert moved == []  # (placing it again would relayout at every move of the other)


def test_style_applies_to_markers_made_later(row):
    row.style(pg.mkPen("#ff0000", width=3), pg.mkPen("#00ff00", width=5))
    row.show([(0.0, 0.0)])
    assert row.handles[0].pen.color().name() == "#ff0000"
    assert row.handles[0].hoverPen.color().name() == "#00ff00"

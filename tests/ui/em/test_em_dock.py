"""GMM & EM dock, the core loop: stepping, the scrubber, dragging parameters, k-means lockstep, running,
data editing and keyboard actions. Built with an inline compute client: fast and deterministic."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from em_helpers import make_dock, no_nan_text
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest


@pytest.fixture
def dock(qtbot):
    d = make_dock(qtbot)
    yield d
    d.shutdown()


def test_builds_with_shared_data_and_an_initial_frame(dock):
    lab = dock.lab
    assert len(lab.points) == 600 and lab.data.n == 600
    assert [f.phase for f in lab.runner.frames] == ["init"]
    assert "initialisation" in lab.transport.position.text()
    assert lab.transport.e_step.isEnabled() and not lab.transport.m_step.isEnabled()
    assert len(lab.figure.em_view.scatter.data) == 600
    assert no_nan_text(lab)


def test_e_then_m_change_the_state_and_the_scrubber_restores_it_exactly(dock):
    lab, t = dock.lab, dock.lab.transport
    first = lab.runner.frame
    numbers0 = lab.numbers.texts()[1:]
    summary0 = lab.numbers.texts()[0].split("<br>")[1:]  # all but the position ("half-step 0 of N")
    t.e_step.click()
    e = lab.runner.frame
    assert e.phase == "E" and e.keys is not None and e.gmm is first.gmm  # E changes colours, not parameters
    t.m_step.click()
    m = lab.runner.frame
    assert m.phase == "M" and not np.allclose(m.gmm.means, first.gmm.means)
    assert m.em.log_likelihood > first.em.log_likelihood
    assert t.scrubber.maximum() == 2 and t.scrubber.value() == 2
    t.scrubber.setValue(0)  # back to the start: exactly the first state
    assert lab.runner.pos == 0 and lab.runner.frame is first
    assert lab.figure.em_view.gmm is first.gmm
    assert lab.numbers.texts()[1:] == numbers0 and lab.numbers.texts()[0].split("<br>")[1:] == summary0
    mean = lab.figure.em_view.components[0].mean.pos()
    assert (mean.x(), mean.y()) == tuple(first.gmm.means[0])
    t.scrubber.setValue(2)
    assert lab.runner.frame is m and len(lab.runner.frames) == 3  # nothing recomputed


def test_ellipses_follow_the_shown_frame_and_the_selected_component_is_drawn_wider(dock):
    from pyqtgraph.functions import ndarray_from_qpolygonf

    lab = dock.lab
    view = lab.figure.em_view
    lab.transport.step.click()
    gmm = lab.runner.frame.gmm
    lines = view.outlines._lines
    assert len(lines) == 2 * gmm.n_components  # a 1σ and a 2σ ellipse each
    for j in range(gmm.n_components):
        for level, (poly, _pen) in zip((1.0, 2.0), lines[2 * j: 2 * j + 2], strict=True):
            d = ndarray_from_qpolygonf(poly) - gmm.means[j]
            maha = np.einsum("ni,ij,nj->n", d, np.linalg.inv(gmm.covariances[j]), d)
            assert np.allclose(maha, level**2)
    widths = lambda: [pen.widthF() for _poly, pen in view.outlines._lines[::2]]  # noqa: E731
    view.select(1)
    assert widths()[1] > widths()[0] == widths()[2]
    view.select(None)
    assert len(set(widths())) == 1
    view.set_mixture(None)
    assert view.outlines._lines == []


def test_marginal_log_likelihood_never_decreases_with_the_floor_on(dock):
    lab = dock.lab
    lab.runner.goto(40)
    ll = lab.runner.series()["ll"]
    assert len(ll) > 10 and np.all(np.diff(ll) >= -1e-9)


def test_dragging_a_mean_updates_the_likelihood_live_and_em_continues_from_the_edit(dock):
    lab = dock.lab
    lab.transport.step.click()
    handle = lab.figure.em_view.components[0].mean
    before = lab.numbers.texts()[0]
    start = lab.runner.frame
    handle.setPos(handle.pos().x() + 1.5, handle.pos().y() - 1.0)  # what a drag does on every move
    assert "editing" in lab.numbers.texts()[0] and lab.numbers.texts()[0] != before
    assert len(lab.runner.frames) == 3  # a preview: not in the history yet
    handle.sigPositionChangeFinished.emit(handle)  # the release
    edited = lab.runner.frame
    assert edited.note == "edited" and edited.phase == "E" and len(lab.runner.frames) == 4
    assert edited.em.log_likelihood != start.em.log_likelihood
    assert np.allclose(edited.gmm.means[0], start.gmm.means[0] + [1.5, -1.0])
    lab.transport.m_step.click()  # EM goes on from the edited parameters
    assert lab.runner.frame.phase == "M" and lab.runner.frame.em.log_likelihood > edited.em.log_likelihood


def test_a_real_mouse_drag_moves_the_mean(dock, qtbot):
    pg.setConfigOption("mouseRateLimit", -1)
    view = dock.lab.figure.em_view
    view.scene().minDragTime = 0
    try:
        items = view.components[1]
        start = view.mapFromScene(items.mean.scenePos())
        end = start + QPointF(40, 25).toPoint()
        viewport = view.viewport()
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        for f in (0.3, 0.6, 1.0):
            QTest.mouseMove(viewport, start + (end - start) * f)
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    finally:
        pg.setConfigOption("mouseRateLimit", 100)
    frame = dock.lab.runner.frame
    assert frame.note == "edited"
    assert not np.allclose(frame.gmm.means[1], dock.lab.runner.frames[0].gmm.means[1])


def test_dragging_an_axis_handle_and_a_weight(dock):
    lab = dock.lab
    axis = lab.figure.em_view.components[2].axes[0]
    mean = lab.runner.frame.gmm.means[2]
    axis.setPos(mean[0] + 3.0, mean[1])
    axis.sigPositionChangeFinished.emit(axis)
    cov = lab.runner.frame.gmm.covariances[2]
    assert np.isclose(np.linalg.eigvalsh(cov).max(), 9.0)
    handle = lab.figure.curves.weight_handles[0]
    handle.setPos(1.0, 0.6)
    handle.sigPositionChangeFinished.emit(handle)
    w = lab.runner.frame.gmm.weights
    assert np.isclose(w[0], 0.6) and np.isclose(w.sum(), 1.0)


def test_user_placed_init_starts_from_where_the_means_were_dragged(dock):
    lab = dock.lab
    lab.side.init.setCurrentIndex(lab.side.init.findData("user"))
    handle = lab.figure.em_view.components[0].mean
    handle.setPos(5.0, 5.0)
    handle.sigPositionChangeFinished.emit(handle)
    lab.transport.reset.click()
    first = lab.runner.frames[0]
    assert len(lab.runner.frames) == 1 and first.phase == "init"
    assert np.allclose(first.gmm.means[0], [5.0, 5.0]) and np.allclose(first.km.centres[0], [5.0, 5.0])


def test_kmeans_steps_in_lockstep_from_the_same_start(dock):
    lab = dock.lab
    first = lab.runner.frame
    assert np.array_equal(first.km.centres, first.gmm.means)
    lab.transport.e_step.click()
    assert lab.runner.frame.km.phase == "assign"
    assert lab.figure.km_view.state is lab.runner.frame.km
    lab.transport.m_step.click()
    km = lab.runner.frame.km
    assert km.phase == "update" and km.iteration == 1 and not np.allclose(km.centres, first.km.centres)
    lab.runner.goto(30)
    objective = lab.runner.series()["km"][1:]
    assert np.all(np.diff(objective[np.isfinite(objective)]) <= 1e-9)  # k-means never gets worse


def test_run_plays_to_convergence_and_pause_stops(dock, qtbot):
    lab = dock.lab
    lab.transport.speed.setValue(30)
    lab.transport.run.click()
    assert lab.runner.playing
    qtbot.waitUntil(lambda: not lab.runner.playing, timeout=15000)
    assert not lab.transport.run.isChecked()
    assert lab.runner.pos == len(lab.runner.frames) - 1 and lab.runner.end.reason == "converged"
    assert "Converged" in lab.messages.text()
    lab.transport.scrubber.setValue(3)
    lab.transport.run.click()
    lab.transport.run.click()  # pause at once
    assert not lab.runner.playing and lab.runner.pos <= 4


def test_data_tools_edit_the_shared_points_with_undo_and_redo(dock):
    lab = dock.lab
    view = lab.figure.em_view
    lab.set_tool("add")
    assert not view.components[0].mean.isVisible()  # handles hidden while editing data
    view.data_edit.emit("add", (20.0, 20.0), "click")
    assert len(lab.points) == 601 and lab.data.n == 601 and lab.runner.frame.phase == "init"
    lab.set_tool("spray")
    view.data_edit.emit("spray", (0.0, 0.0), "start")
    view.data_edit.emit("spray", (0.5, 0.0), "move")
    assert len(lab.points) == 613 and lab.data.n == 613  # drawn at once...
    view.data_edit.emit("spray", (0.5, 0.0), "finish")  # ...EM restarts when the stroke ends
    assert lab.runner.data.n == 613
    lab.set_tool("erase")
    view.data_edit.emit("erase", (20.0, 20.0), "click")
    assert len(lab.points) == 612
    lab.tools.undo()
    assert len(lab.points) == 613 and lab.runner.data.n == 613
    lab.tools.redo()
    assert len(lab.points) == 612


def test_shortcuts_are_listed_and_work_inside_the_dock(dock, qtbot):
    actions = {a.text().replace("&&", "&"): a for a in dock.actions()}
    keys = {text: a.shortcut().toString() for text, a in actions.items()}
    assert keys["GMM & EM: E-step"] == "E" and keys["GMM & EM: run / pause"] == "Space"
    assert keys["GMM & EM: previous half-step"] == "Left" and keys["GMM & EM: reset EM"] == "R"
    assert keys["GMM & EM: undo data edit"] == "Ctrl+Z" and keys["GMM & EM: redo data edit"] == "Ctrl+Shift+Z"
    assert all(a.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut for a in actions.values())
    lab = dock.lab
    lab.figure.em_view.setFocus()
    qtbot.waitUntil(lab.figure.em_view.hasFocus)
    QTest.keyClick(lab.figure.em_view, Qt.Key.Key_E)
    assert lab.runner.frame.phase == "E"
    QTest.keyClick(lab.figure.em_view, Qt.Key.Key_M)
    assert lab.runner.frame.phase == "M"
    QTest.keyClick(lab.figure.em_view, Qt.Key.Key_Left)
    assert lab.runner.pos == 1
    QTest.keyClick(lab.figure.em_view, Qt.Key.Key_R)
    assert len(lab.runner.frames) == 1


def test_clicking_a_point_makes_the_explain_pane_work_through_it(dock):
    lab = dock.lab
    lab.transport.e_step.click()
    target = lab.data.x[42]
    lab.figure.em_view.data_edit.emit("select", (target[0] + 1e-9, target[1]), "click")
    assert lab.probe_index == 42 and lab.tabs.currentWidget() is lab.explain
    text = lab.explain.toPlainText()
    assert "n = 43" in text and "γnk" in text and "E-step (just done)" in text


def test_hover_probe_shows_posteriors(dock):
    lab = dock.lab
    mean = lab.runner.frame.gmm.means[0]
    lab.figure.em_view.show_probe(*mean)
    text = lab.figure.em_view.probe_text()
    assert text.startswith("P(z|x)") and "1:" in text and "3:" in text


def test_numbers_are_drawn_when_their_tab_is_shown(dock, qtbot):
    """A hidden Numbers pane keeps only the latest frame and fills its table when it is shown."""
    lab = dock.lab
    lab.transport.step.click()
    if lab.numbers.isVisible():
        lab.tabs.setCurrentWidget(lab.explain)
    lab.transport.step.click()
    position = lab.position_text(lab.runner.frame)
    assert position not in lab.numbers.summary.text()  # hidden: not drawn yet
    with qtbot.waitExposed(dock):
        dock.show()
    lab.tabs.setCurrentWidget(lab.numbers)
    assert position in lab.numbers.summary.text() and lab.numbers.table.columnCount() == 3

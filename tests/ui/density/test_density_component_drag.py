"""Dragging a mixture's component: the moved mixture drawn while held, EM's fit back on release, no edit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ui.density.conftest import small
from tests.ui.density.test_density_dock import pixels


def visible_handles(lab) -> list[tuple[float, float]]:
    return [(h.pos().x(), h.pos().y()) for h in lab.figure.main.component_handles if h.isVisible()]


def test_each_component_of_the_mixture_has_a_handle_and_other_estimators_none(dock):
    lab = dock.lab
    assert lab.apply_state(small(estimator="gmm"))
    means = lab.heat.snapshot.fitted.gmm.means
    np.testing.assert_allclose(visible_handles(lab), means)
    assert "its means ◎ (drag one)" in lab.figure.title.text()  # (the title says what the handles are)
    assert lab.apply_state(small(estimator="kde"))
    assert visible_handles(lab) == [] and "◎" not in lab.figure.title.text()


def test_a_held_component_moves_the_picture_and_its_release_shows_the_fit_again(dock):
    lab = dock.lab
    assert lab.apply_state(small(estimator="gmm"))
    state, fit_picture = lab.state, pixels(lab)
    fit = lab.heat.snapshot
    k, target = 1, (fit.fitted.gmm.means[1][0] + 2.0, fit.fitted.gmm.means[1][1] - 2.0)
    lab.figure.main.component_dragged.emit(k, *target, False)
    moved = lab.heat.snapshot
    np.testing.assert_allclose(moved.fitted.gmm.means[k], target)
    others = [j for j in range(len(fit.fitted.gmm.means)) if j != k]
    np.testing.assert_array_equal(moved.fitted.gmm.means[others], fit.fitted.gmm.means[others])
    assert not np.array_equal(pixels(lab), fit_picture)
    # a fit is a maximum of the likelihood: the moved mixture explains the held-out points worse
    assert moved.held_ll < fit.held_ll
    title = lab.figure.title.text()
    assert "component 2 moved by hand" in title and f"{moved.held_ll:.3f}" in title
    assert not lab.figure.table.isEnabled()  # (the table's numbers are the fit's)
    lab.figure.main.component_dragged.emit(k, *target, True)
    assert lab.heat.snapshot is fit and np.array_equal(pixels(lab), fit_picture)
    assert lab.state == state and lab.figure.table.isEnabled() and "moved" not in lab.figure.title.text()
    np.testing.assert_allclose(visible_handles(lab), fit.fitted.gmm.means)  # the handle went back too


def test_an_answer_that_arrives_after_the_release_is_not_shown(dock):
    from vaeviz.core.density.lab import moved_component_layer
    from vaeviz.ui.density.layers import heat_of

    lab = dock.lab
    assert lab.apply_state(small(estimator="gmm"))
    fit_picture = pixels(lab)
    snapshot = lab.heat.snapshot
    lab.figure.main.component_dragged.emit(0, 3.0, 3.0, False)
    lab.figure.main.component_dragged.emit(0, 3.0, 3.0, True)
    late = heat_of(moved_component_layer(snapshot, lab.state, lab.train, lab.held, 0, (-3.0, 3.0), 32),
                   lab.state.view.scale, lab.dark)
    lab.component_drag._on_moved(late)
    assert np.array_equal(pixels(lab), fit_picture)


def test_only_a_mixtures_components_move():
    from vaeviz.core.data.density_presets import DensityInputError, make_density_preset
    from vaeviz.core.density.lab import fit_layer, moved_component_layer, plot_rect
    from vaeviz.core.density.mixture import GmmSettings

    x = make_density_preset("blobs", 300, 0).points
    state = small(estimator="kde")
    snap = fit_layer(state, x[:200], x[200:], plot_rect(x), 32)
    with pytest.raises(DensityInputError, match="mixture"):
        moved_component_layer(snap, state, x[:200], x[200:], 0, (0.0, 0.0), 32)
    fitted = GmmSettings(3).fit(x)
    for k, mean in ((3, (0.0, 0.0)), (0, (np.nan, 0.0)), (0, (1.0,))):
        with pytest.raises(DensityInputError):
            fitted.with_mean(k, mean)


@pytest.mark.parametrize("tool", ["select", "add", "erase"])
def test_a_mouse_drag_of_a_handle_moves_its_component(dock, qtbot, tool):
    # the whole path a user takes: press on the handle, move, release (mouse events on the plot's view)
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    lab = dock.lab
    dock.resize(1100, 800)
    with qtbot.waitExposed(dock):
        dock.show()
    assert lab.apply_state(small(estimator="gmm"))
    lab.set_tool(tool)  # whatever data tool is on, a press on a handle takes the handle
    QApplication.processEvents()
    view, box = lab.figure.graphics, lab.figure.main.getViewBox()
    fit = lab.heat.snapshot
    start = fit.fitted.gmm.means[0]
    points = lab.points.points.copy()

    def at(x: float, y: float):
        return view.mapFromScene(box.mapViewToScene(QPointF(x, y)))

    def send(kind, pos, buttons):
        event = QMouseEvent(kind, QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)),
                            Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view.viewport(), event)

    held = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, at(*start), held)
    for f in (0.25, 0.5, 0.75, 1.0):
        send(QEvent.Type.MouseMove, at(start[0] + 2.0 * f, start[1] - 2.0 * f), held)
    QApplication.processEvents()
    moved = lab.heat.snapshot
    assert moved is not fit and "component 1 moved by hand" in lab.figure.title.text()
    assert moved.fitted.gmm.means[0] == pytest.approx(start + np.array([2.0, -2.0]), abs=0.15)
    send(QEvent.Type.MouseButtonRelease, at(start[0] + 2.0, start[1] - 2.0), Qt.MouseButton.NoButton)
    QApplication.processEvents()
    assert lab.heat.snapshot is fit and lab.figure.table.isEnabled()
    np.testing.assert_allclose(visible_handles(lab)[0], start)
    assert np.array_equal(lab.points.points, points)  # (the drag took the handle, not the data tools)

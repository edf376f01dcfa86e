"""The lecture's 1-D page: titles that state the mixture, the hover readout, the generative process."""

from __future__ import annotations

import numpy as np
import pytest
from em_helpers import apply_preset, make_dock
from PySide6.QtCore import QEvent, QPointF

from vaeviz.core.em.problems import curves_1d
from vaeviz.ui.em.generative import draw_samples, histogram_density
from vaeviz.ui.em.oned_sampling import MAX_SAMPLES
from vaeviz.ui.em.oned_view import HIST_EDGES


@pytest.fixture
def dock(qtbot):
    d = make_dock(qtbot)
    yield d
    d.shutdown()


def test_the_two_lecture_presets_state_their_mixture_in_the_title(dock):
    titles = []
    for name in ("lecture-1d-two-gaussians", "lecture-1d-unequal-weights"):
        apply_preset(dock, name)
        titles.append(dock.lab.figure.oned.top.titleLabel.item.toPlainText())
    assert titles[0] != titles[1]
    assert "π = (0.5, 0.5)" in titles[0] and "π = (0.2, 0.8)" in titles[1]
    assert all("μ = (-10, 10)" in t and "σ = (5, 5)" in t for t in titles)


def hover(view, x: float, y_fraction: float = 0.5) -> None:
    """A mouse move over the top plot at data x (the scene's signal, as pyqtgraph sends it)."""
    vb = view.top.vb
    (_x0, _x1), (y0, y1) = vb.viewRange()
    scene_pos = vb.mapViewToScene(QPointF(x, y0 + y_fraction * (y1 - y0)))
    view.scene().sigMouseMoved.emit(scene_pos)


def test_hover_readout_is_off_the_legend_keeps_the_range_follows_drags_and_hides_on_leave(dock, qtbot):
    apply_preset(dock, "lecture-1d-two-gaussians")
    lab = dock.lab
    view = lab.figure.oned
    qtbot.waitExposed(view)
    y_range = view.top.vb.viewRange()[1]
    hover(view, -10.0)
    assert view.readout.isVisible() and "x = -10.00" in view.readout.textItem.toPlainText()
    readout = view.readout.sceneBoundingRect()
    assert not readout.intersects(view.top.legend.sceneBoundingRect())
    assert view.top.vb.viewRange()[1] == y_range  # hovering does not rescale the plot
    hover(view, 12.0, 0.95)
    assert view.top.vb.viewRange()[1] == y_range
    # a drag of μ₂ (through the state, as the line's drag does): the readout shows the new numbers
    view.mean_lines[1].setValue(4.0)
    assert lab.state.oned.means[1] == 4.0
    text = view.readout.textItem.toPlainText()
    assert text == view.readout_text(12.0)
    weights, means, sigmas = view.params
    assert f"p(x) = {curves_1d(np.array([12.0]), weights, means, sigmas).marginal[0]:.4f}" in text
    view.leaveEvent(QEvent(QEvent.Type.Leave))
    assert not view.readout.isVisible() and not view.cursor.isVisible()


def test_sampling_draws_z_then_x_animated_coloured_by_z_and_stops(dock, qtbot):
    apply_preset(dock, "lecture-1d-unequal-weights")
    lab = dock.lab
    page, view = lab.oned, lab.figure.oned
    lab.side.sample_1d.click()
    assert page.sampler.running and lab.side.sample_1d.text() == "Stop"
    qtbot.waitUntil(lambda: view.sample_count >= 20, timeout=5000)
    assert view.histogram.isVisible()
    z, x = page.sampler.z, page.sampler.x
    for k, dots in enumerate(view.samples):  # the draws with z = k, in component k's colour
        assert np.array_equal(np.sort(dots.positions[:, 0]), np.sort(x[z == k]))
        assert dots._brush.color().rgb() == view.comp[k].opts["pen"].color().rgb()
    assert "P(x, z) = P(x|z) P(z)" in view.sample_text.toPlainText()
    lab.side.sample_1d.click()  # stop
    assert not page.sampler.running and lab.side.sample_1d.text() == "Sample"
    assert not page.sampler.timer.isActive()  # nothing more arrives
    lab.side.means_1d[0].setValue(-5.0)  # another mixture: its samples start again
    assert view.sample_count == 0 and not any(s.isVisible() for s in view.samples)


def test_sampling_stops_when_the_dock_closes_or_the_2d_page_is_shown(dock, qtbot):
    apply_preset(dock, "lecture-1d-two-gaussians")
    lab = dock.lab
    lab.side.sample_1d.click()
    qtbot.waitUntil(lambda: lab.oned.sampler.count > 0, timeout=5000)
    lab.side.mode.setCurrentIndex(lab.side.mode.findData("2d"))
    assert not lab.oned.sampler.running
    lab.side.mode.setCurrentIndex(lab.side.mode.findData("1d"))
    lab.side.sample_1d.click()
    assert lab.oned.sampler.running
    dock.close()
    assert not lab.oned.sampler.running and not lab.side.sample_1d.isChecked()


def test_the_samples_histogram_converges_to_the_marginal():
    rng = np.random.default_rng(0)
    weights, means, sigmas = (0.2, 0.8), (-10.0, 10.0), (5.0, 5.0)
    z, x = draw_samples(rng, weights, means, sigmas, 200_000)
    assert abs(np.mean(z == 1) - 0.8) < 0.005  # z ~ Cat(π)
    for k in range(2):  # x | z ~ N(μ_z, σ_z²)
        assert abs(x[z == k].mean() - means[k]) < 0.1 and abs(x[z == k].std() - sigmas[k]) < 0.1
    density = histogram_density(x, HIST_EDGES)
    centres = 0.5 * (HIST_EDGES[1:] + HIST_EDGES[:-1])
    marginal = curves_1d(centres, weights, means, sigmas).marginal
    assert np.abs(density - marginal).sum() * np.diff(HIST_EDGES)[0] < 0.02  # L1 distance of densities


def test_the_sampler_stops_by_itself_once_the_histogram_is_full(dock, qtbot):
    apply_preset(dock, "lecture-1d-two-gaussians")
    sampler = dock.lab.oned.sampler
    sampler.timer.setInterval(0)
    sampler.start()
    with qtbot.waitSignal(sampler.running_changed, timeout=20_000) as stopped:
        pass
    assert stopped.args == [False] and sampler.count == MAX_SAMPLES

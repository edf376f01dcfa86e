"""The Density lab's generative-process view: a step lights its component then shows its point, play and
pause, reset, speed, theme, bad mixtures refused, and the GIF export (frames grabbed in the GUI thread,
encoded by an ``InlineRunner``)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from vaeviz.core.density.estimators import DensityInputError
from vaeviz.ui.density.generative_colours import component_hex
from vaeviz.ui.density.generative_view import (
    EXPORT_FINAL_N,
    EXPORT_ONE_BY_ONE,
    MAX_VISIBLE,
    SPEED_STEPS,
    GenerativeView,
    export_schedule,
)
from vaeviz.ui.theme import plot_colours
from vaeviz.workers.bridge import InlineRunner

WEIGHTS = [0.6, 0.4]
MEANS = [[-2.0, 0.0], [2.0, 0.5]]
COVS = [[[1.0, 0.3], [0.3, 0.6]], [[0.5, 0.0], [0.0, 1.2]]]


@pytest.fixture
def view(qtbot):
    v = GenerativeView(seed=3)
    qtbot.addWidget(v)
    v.resize(1100, 440)
    v.show()
    qtbot.waitExposed(v)
    v.set_mixture(WEIGHTS, MEANS, COVS)
    yield v
    v.pause()


def test_a_step_lights_its_component_then_shows_its_point(view, qtbot):
    view.step()
    snap = view.snapshot
    assert view.n_draws == 1 and view.lit_component == snap.last_z >= 0
    # the first stage: z is lit (its bar outlined, its caption in its colour), x is not drawn yet
    assert view.n_shown == 0
    pens = view.bars.opts["pens"]
    assert pens[snap.last_z].widthF() == 3
    assert all(p.style() == Qt.PenStyle.NoPen for k, p in enumerate(pens) if k != snap.last_z)
    faded = [b.color().alpha() for b in view.bars.opts["brushes"]]
    assert faded[snap.last_z] == 255 and all(a < 255 for k, a in enumerate(faded) if k != snap.last_z)
    assert f"z = {snap.last_z + 1}" in view.z_caption.text
    assert view.z_caption.opts["color"] == component_hex(snap.last_z, False)
    # the second stage: the point appears, ringed, in the lit component's colour
    qtbot.waitUntil(lambda: view.n_shown == 1)
    np.testing.assert_array_equal(view.last_point.positions, [snap.last_x])
    assert view.lit_component == snap.last_z
    assert "N = 1 " in view.hist_caption.text


def test_the_next_step_shows_the_previous_point_at_once(view, qtbot):
    view.step()
    view.step()  # before the first point's reveal
    assert view.n_draws == 2 and view.n_shown == 1
    qtbot.waitUntil(lambda: view.n_shown == 2)


def test_play_draws_until_paused(view, qtbot):
    view.set_speed(2000)
    view.start()
    assert view.running and view.play_button.text() == "Pause" and view.play_button.isChecked()
    qtbot.waitUntil(lambda: view.n_draws > 300, timeout=5000)
    view.pause()
    assert not view.running and not view.timer.isActive() and view.play_button.text() == "Play"
    n = view.n_draws
    assert view.snapshot.counts.sum() + view.snapshot.outside == n
    assert view.n_shown == min(n, MAX_VISIBLE)
    assert view.lit_component == -1  # batches light no single component
    view.play_button.click()  # the button plays and pauses too
    assert view.running
    qtbot.waitUntil(lambda: view.n_draws > n)
    view.play_button.click()
    assert not view.running


def test_slow_play_lights_first_then_reveals(view, qtbot):
    view.set_speed(SPEED_STEPS[-1])
    view.set_speed(2)
    assert view.speed == 2 and view.speed_label.text() == "2 draws/s"
    view._on_tick()  # one timer tick, as the running timer would call it
    assert view.n_draws == 1 and view.lit_component >= 0 and view.n_shown == 0
    qtbot.waitUntil(lambda: view.n_shown == 1)


def test_reset_clears(view, qtbot):
    view.set_speed(5000)
    view._show_until(3000, lit=False)
    assert view.n_shown == MAX_VISIBLE
    background = view._lut[0]
    assert (view.heat.image != background).any()
    view.reset()
    assert view.n_draws == 0 and view.n_shown == 0 and view.lit_component == -1
    assert (view.heat.image == background).all()
    assert "N = 0 " in view.hist_caption.text and view.snapshot.tv is None
    view.step()  # the same seed: the same first draw again
    first = view.snapshot.last_x.copy()
    view.reset()
    view.step()
    np.testing.assert_array_equal(view.snapshot.last_x, first)


def test_speed_control(view):
    view.set_speed(1e9)
    assert view.speed == SPEED_STEPS[-1] and view.speed_slider.value() == len(SPEED_STEPS) - 1
    view.speed_slider.setValue(0)
    assert view.speed == SPEED_STEPS[0]
    view.set_speed(900)
    assert view.speed == 900 and SPEED_STEPS[view.speed_slider.value()] == 1000


def test_the_histogram_converges_on_screen(view):
    view._show_until(100, lit=False)
    tv_100 = view.snapshot.tv
    view._show_until(100_000, lit=False)
    assert view.snapshot.tv < tv_100 / 4
    assert f"{view.snapshot.tv:.3f}" in view.hist_caption.text and "N = 100,000" in view.hist_caption.text
    assert f"last {MAX_VISIBLE:,} shown" in view.x_caption.text


def test_bad_mixture_is_refused_and_the_old_one_kept(view):
    view._show_until(50, lit=False)
    stream = view.stream
    with pytest.raises(DensityInputError, match="positive definite"):
        view.set_mixture(WEIGHTS, MEANS, [COVS[0], [[1.0, 2.0], [2.0, 1.0]]])
    with pytest.raises(DensityInputError, match="≥ 0"):
        view.set_mixture([-1.0, 2.0], MEANS, COVS)
    assert view.stream is stream and view.n_draws == 50


def test_dark_theme_restyles(view):
    view._show_until(500, lit=False)
    view.set_dark(True)
    assert view.figure.backgroundBrush().color().name() == plot_colours(True)["background"]
    assert view.heat.image.min() > 0 and view._lut[0] != view._lut[-1]
    view.set_dark(False)
    assert view.figure.backgroundBrush().color().name() == plot_colours(False)["background"]


def test_export_schedule_one_by_one_then_faster():
    schedule = export_schedule()
    assert schedule[:EXPORT_ONE_BY_ONE] == list(range(1, EXPORT_ONE_BY_ONE + 1))
    assert schedule[-1] == EXPORT_FINAL_N and schedule == sorted(set(schedule)) and len(schedule) <= 120


def test_gif_export_writes_several_frames_and_restores_the_view(view, qtbot, tmp_path):
    view._show_until(40, lit=False)
    before = view.snapshot.x.copy()
    results = []
    path = str(tmp_path / "process.gif")
    animation = view.export_animation(path, lambda p, error: results.append((p, error)),
                                      compute=InlineRunner(), schedule=[1, 2, 3, 300, 3000])
    assert animation is not None and not view.play_button.isEnabled()  # no Play while frames are grabbed
    qtbot.waitUntil(lambda: bool(results), timeout=20_000)
    assert results == [(path, "")]
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames > 1 and gif.width <= 760
    assert view.n_draws == 40 and view.play_button.isEnabled()  # put back: the same 40 draws
    np.testing.assert_array_equal(view.snapshot.x, before)


def test_export_problems_reach_then(view, tmp_path):
    results = []
    view.export_animation(str(tmp_path / "a.png"), lambda p, e: results.append(e), compute=InlineRunner())
    view.export_animation(str(tmp_path / "a.gif"), lambda p, e: results.append(e))  # no compute runner
    assert ".png" in results[0] and "compute" in results[1]


def test_mp4_export_with_ffmpeg_and_the_message_without(view, qtbot, tmp_path, monkeypatch):
    from tests.ui.fake_ffmpeg import install_fake_ffmpeg
    from vaeviz.ui.animation import NO_ENCODER

    results = []
    video = tmp_path / "process.mp4"
    monkeypatch.delenv("VAEVIZ_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    view.export_animation(str(video), lambda p, e: results.append(e), compute=InlineRunner())
    assert results == [NO_ENCODER] and not video.exists()
    install_fake_ffmpeg(tmp_path, monkeypatch)
    view.export_animation(str(video), lambda p, e: results.append(e), compute=InlineRunner(),
                          schedule=[1, 2, 50])
    qtbot.waitUntil(lambda: len(results) == 2, timeout=20_000)
    assert results[1] == "" and video.read_text().split()[0].isdigit()
    assert int(video.read_text().split()[0]) >= 3  # three frames, the last one held

"""The KL dock on an InlineRunner: frames, transport, checks, drags, bad input, sessions."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tests.ui.dock_checks import run_self_check
from tests.ui.kl.conftest import GAUSSIAN, TINY, tiny
from vaeviz.core.kl.state import STATE_VERSION, state_to_json
from vaeviz.ui.kl.dock import KlDock
from vaeviz.ui.kl.drags import CLAMP_MESSAGE, MIN_SPREAD, cov_from_handle, cov_handle


def test_dock_version_is_the_core_state_version():
    assert KlDock.state_version == STATE_VERSION


def test_start_shows_step_zero_then_step_and_run_reach_the_end(dock, qtbot):
    lab = dock.lab
    frames = lab.runner.frames
    assert [f.step for f in frames] == [0, 3, 6, 9, 12] and frames[-1].done
    assert lab.runner.frame.step == 0
    lab.controls.step.click()
    assert lab.runner.frame.step == 3
    fig = lab.figure
    assert len(fig.trace.curves["forward"].getData()[0]) == 2
    lab.controls.run.click()
    qtbot.waitUntil(lambda: lab.runner.at_end and not lab.runner.playing, timeout=5000)
    assert lab.runner.frame.step == 12
    assert lab.controls.run.isEnabled() and not lab.controls.pause.isEnabled()


def test_both_plots_show_their_own_fit_and_the_table_both_values(dock):
    lab = dock.lab
    lab.runner.goto_step(12)
    frame = lab.runner.frame
    for role in ("forward", "reverse"):
        x, y = lab.figure.plots[role].q_1sigma.getData()
        centre = np.array([x[:-1].mean(), y[:-1].mean()])
        np.testing.assert_allclose(centre, getattr(frame, role).q.mean, atol=1e-6)
        assert lab.figure.plots[role].heat.image is not None
    table = lab.figure.table
    labels = [table.verticalHeaderItem(i).text() for i in range(table.rowCount())]
    assert labels[:2] == ["fit by KL(p‖q)", "fit by KL(q‖p)"] and "optimum of KL(p‖q)" in labels
    # the forward fit's reverse KL (the asymmetry) and its Monte Carlo error beside the grid value
    reverse_of_forward = frame.forward.reverse
    assert table.value(0, 2).startswith(f"{reverse_of_forward.value:.3f} ± ")
    grid = float(table.value(0, 3))
    assert abs(grid - reverse_of_forward.value) < 5 * reverse_of_forward.stderr + 0.05
    assert "nan" not in " ".join(table.value(i, j) for i in range(table.rowCount()) for j in range(4))


def test_controller_names_start_with_the_dock_id(dock):
    controller = dock.lab.controller
    assert all(c.name.startswith("kl:") for c in controller._channels)
    assert controller.key("grid") == "kl:grid"


def test_q_equals_p_reads_zero_for_a_gaussian_in_the_family(dock):
    lab = dock.lab
    assert lab.apply_state(tiny(target=GAUSSIAN))
    lab.controls.q_equals_p.click()
    table = lab.figure.table
    assert table.rowCount() == 1 and table.verticalHeaderItem(0).text() == "q = p"
    assert table.value(0, 0) == "0.000 (exact)" and table.value(0, 2) == "0.000 (exact)"
    assert abs(float(table.value(0, 1))) < 1e-3 and abs(float(table.value(0, 3))) < 1e-3
    assert "both 0" in lab.messages.text()


def test_q_equals_p_is_refused_when_p_is_not_in_the_family(dock):
    lab = dock.lab
    assert lab.apply_state(tiny(target=GAUSSIAN, fit=replace(TINY.fit, family="diag")))
    lab.controls.q_equals_p.click()
    assert "needs p in q's family" in lab.messages.text()
    assert lab.figure.table.verticalHeaderItem(0).text() == "fit by KL(p‖q)"


def test_a_covariance_drag_across_the_mean_is_clamped_with_a_message(dock):
    lab = dock.lab
    mean = lab.state.target.means[0]
    plot = lab.figure.plots["forward"]
    plot.cov_dragged.emit(0, mean[0] - 1.0, mean[1] + 0.4, True)
    cov = np.array(lab.state.target.covariances[0])
    assert np.linalg.eigvalsh(cov).min() > 0
    assert math.isclose(math.sqrt(cov[0, 0]), MIN_SPREAD)
    assert "positive definite" in lab.messages.text() or CLAMP_MESSAGE in lab.messages.text()
    assert lab.runner.frames[0].step == 0  # the fit restarted on the new p


def test_the_covariance_handle_is_on_the_1_sigma_ellipse_and_round_trips():
    mean, cov = (1.0, -1.0), ((2.0, 0.7), (0.7, 1.0))
    x, y = cov_handle(mean, cov)
    offset = np.array([x - mean[0], y - mean[1]])
    assert math.isclose(offset @ np.linalg.inv(cov) @ offset, 1.0)
    again, clamped = cov_from_handle(mean, cov, x, y)
    np.testing.assert_allclose(again, cov, atol=1e-12)
    assert not clamped


def test_dragging_a_mean_previews_then_commits(dock):
    lab = dock.lab
    plot = lab.figure.plots["reverse"]
    before = lab.state
    plot.mean_dragged.emit(1, 3.5, 1.0, False)
    assert lab.state == before and lab.drags.preview.means[1] == (3.5, 1.0)
    assert lab.figure.plots["forward"].mean_handles[1].pos().x() == pytest.approx(3.5)  # follows everywhere
    plot.mean_dragged.emit(1, 3.5, 1.0, True)
    assert lab.state.target.means[1] == (3.5, 1.0) and lab.drags.preview is None


def test_a_mean_drag_updates_both_kl_values_of_the_q_on_show(dock):
    from vaeviz.core.kl.quadrature import grid_kl

    lab = dock.lab
    table = lab.figure.table
    lab.runner.goto_step(12)
    q = lab.runner.frame.forward.q
    before = (float(table.value(0, 1)), float(table.value(0, 3)))
    lab.figure.plots["forward"].mean_dragged.emit(1, 4.5, -2.0, False)
    moved = lab.drags.preview.build()
    during = (float(table.value(0, 1)), float(table.value(0, 3)))
    # the grid values are the shown q's against the dragged p: they change, and match a fine quadrature
    assert during != before
    box = ((-12.0, 12.0), (-12.0, 12.0))
    assert during[0] == pytest.approx(grid_kl(moved, q, box, 600), abs=2e-3)
    assert during[1] == pytest.approx(grid_kl(q, moved, box, 600), abs=2e-3)
    # the fits' Monte Carlo values were of the p before the drag: not shown until the release refits
    assert table.value(0, 0) == "—" and table.value(0, 2) == "—"
    lab.figure.plots["forward"].mean_dragged.emit(1, 4.5, -2.0, True)
    assert table.value(0, 0) != "—"


def test_a_mean_drag_redraws_p_and_a_late_answer_after_the_release_is_not_shown(dock):
    from vaeviz.ui.kl.layers import DragPreview, grid_values, heat_of

    lab = dock.lab
    view, table, plot = lab.view, lab.figure.table, lab.figure.plots["forward"]
    lab.runner.goto_step(12)
    before = plot.heat.image.copy()
    plot.mean_dragged.emit(1, 4.5, -2.0, False)
    dragged = plot.heat.image.copy()
    assert dragged.shape != before.shape or not np.array_equal(dragged, before)  # p's heatmap follows
    late_p = lab.drags.preview.build()
    plot.mean_dragged.emit(1, -1.0, 1.0, True)  # released somewhere else
    shown = (plot.heat.image.copy(), [table.value(0, c) for c in range(4)])
    late = DragPreview(heat_of(late_p, view.extent, lab.dark, 40),
                       grid_values(late_p, tuple(r.q for r in view.rows), view.extent, 40))
    view._on_drag_preview(late)  # the answer to a move before the release, delivered after it
    assert np.array_equal(plot.heat.image, shown[0])
    assert [table.value(0, c) for c in range(4)] == shown[1]


def test_dragging_q_start_restarts_the_fit_there(dock):
    lab = dock.lab
    lab.figure.plots["forward"].start_dragged.emit(-1.0, 2.0, True)
    assert lab.state.fit.start_mean == (-1.0, 2.0)
    np.testing.assert_allclose(lab.runner.frames[0].forward.q.mean, (-1.0, 2.0), atol=1e-6)


def test_a_diverging_learning_rate_stops_with_the_last_good_q(dock):
    lab = dock.lab
    assert lab.apply_state(tiny(fit=replace(TINY.fit, lr=10.0, samples=50, max_steps=40)))
    lab.runner.goto_step(40)
    frame = lab.runner.frame
    assert frame.done and frame.stopped and "diverged" in lab.messages.text()
    for fit in (frame.forward, frame.reverse):
        assert np.all(np.isfinite(fit.q.cov)) and np.all(np.isfinite(fit.q.mean))
    for role in ("forward", "reverse"):
        x, y = lab.figure.plots[role].q_1sigma.getData()
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))


@pytest.mark.parametrize("weights, message", [((0.0, 0.0), "positive"), ((-1.0, 1.0), "weight")])
def test_bad_weights_are_refused_and_change_nothing(dock, weights, message):
    lab = dock.lab
    before = lab.state
    bad = replace(before, target=replace(before.target, weights=weights))
    assert not lab.apply_state(bad)
    assert lab.state == before and message in lab.messages.text()
    assert lab.controls.weights[0].value() == before.target.weights[0]


def test_the_alpha_plot_shows_only_when_asked(dock):
    lab = dock.lab
    assert lab.figure.plots["alpha"].isHidden()
    assert lab.apply_state(tiny(show_alpha=True, fit=replace(TINY.fit, alpha=0.3)))
    assert not lab.figure.plots["alpha"].isHidden()
    assert lab.runner.frames[-1].alpha is not None
    assert "0.30" in lab.figure.plots["alpha"].caption
    lab.runner.goto_step(12)
    x, _ = lab.figure.plots["alpha"].q_1sigma.getData()
    assert len(x) > 0


def test_widget_edits_go_through_apply_state(dock):
    lab = dock.lab
    lab.controls.family.setCurrentIndex(lab.controls.family.findData("isotropic"))
    assert lab.state.fit.family == "isotropic"
    q = lab.runner.frames[-1].reverse.q
    assert math.isclose(q.cov[0, 0], q.cov[1, 1], rel_tol=1e-6)
    lab.controls.mode.setCurrentIndex(lab.controls.mode.findData("1d"))
    assert lab.state.mode == "1d" and lab.state.target.dim == 1


def test_one_d_mode_draws_p_and_both_fits_on_one_axis(dock):
    lab = dock.lab
    lab.controls.mode.setCurrentIndex(lab.controls.mode.findData("1d"))
    lab.runner.goto_step(12)
    oned = lab.figure.oned
    assert lab.figure.pages.currentWidget() is oned
    assert len(oned.p_curve.getData()[0]) > 100
    for role in ("forward", "reverse"):
        _, y = oned.q_curves[role].getData()
        assert np.all(np.isfinite(y)) and y.max() > 0


def test_vi_view_shows_the_evidence_split(dock):
    lab = dock.lab
    assert lab.apply_state(tiny(mode="vi", fit=replace(TINY.fit, start_mean=(0.5, 0.0))))
    lab.runner.goto_step(12)
    frame = lab.runner.frame
    assert frame.kl >= -0.05 and math.isclose(frame.elbo + frame.kl, frame.log_evidence)
    bar = lab.figure.vi.bar
    assert bar.kl_bar.opts["y0"][0] == pytest.approx(frame.elbo)
    assert bar.kl_bar.opts["height"][0] == pytest.approx(max(frame.kl, 0.0))
    assert lab.figure.vi.posterior.heat.image is not None
    grid = float(lab.figure.table.value(0, 3))
    assert abs(grid - frame.kl) < 5 * frame.elbo_stderr + 0.02  # quadrature beside Monte Carlo
    assert lab.figure.trace.evidence.isVisible()


def test_session_round_trip_and_a_bad_session_is_refused_whole(dock, qtbot):
    lab = dock.lab
    assert lab.apply_state(tiny(target=GAUSSIAN, fit=replace(TINY.fit, seed=7, lr=0.02)))
    saved = dock.state()
    assert saved["version"] == STATE_VERSION
    other = KlDock(dock.compute)
    qtbot.addWidget(other)
    other.ensure_built()
    other.validate_state(saved)
    other.restore_state(saved)
    assert other.lab.state == lab.state
    bad = state_to_json(TINY)
    bad["target"]["weights"] = [-1.0, 1.0]
    with pytest.raises(ValueError, match="weight"):
        other.validate_state(bad)
    with pytest.raises(ValueError, match="newer"):
        other.validate_state({**saved, "version": 99})
    other.shutdown()


def test_several_starts_draws_one_ellipse_per_start(dock):
    lab = dock.lab
    assert lab.apply_state(tiny(fit=replace(TINY.fit, starts=3)))
    lab.controls.several_starts.click()
    plot = lab.figure.plots["reverse"]
    assert len(plot.start_marks.data) == 3
    x, _ = plot.starts.getData()
    assert np.isnan(x).sum() == 3  # three closed ellipses, separated by NaN (never drawn)
    assert "different optima" in lab.messages.text()
    assert "3 random starts" in plot.getPlotItem().titleLabel.text  # the figure says it too (exports)
    lab.restart()  # a new fit clears them, title included
    assert plot.note == "" and len(plot.start_marks.data) == 0


def test_self_check_passes(dock, qtbot):
    assert run_self_check(qtbot, dock) == []


@pytest.mark.parametrize("name", [p.name for p in KlDock.presets()])
def test_every_preset_exports_a_non_blank_figure(dock, name):
    from vaeviz.ui.docks.registry import find_preset
    from vaeviz.ui.export import export_widget, is_blank

    find_preset("kl", name).apply(dock, 3)  # three fit steps: the preset's own take seconds
    lab = dock.lab
    assert lab.runner.frame is not None and lab.runner.frame.step == 3 and not lab.controller.busy
    figure = dock.figure_widget()
    figure.resize(800, 560)
    assert not is_blank(export_widget(figure))
    if name == "several-starts":
        assert len(lab.figure.plots["reverse"].start_marks.data) == lab.state.fit.starts


def test_the_fit_exports_as_a_gif_and_the_shown_frame_is_put_back(dock, qtbot, tmp_path, monkeypatch):
    from PIL import Image

    lab = dock.lab
    dock.resize(1200, 800)  # a figure big enough that each frame's ellipses differ in pixels
    dock.show()
    lab.runner.goto_step(6)
    gif = tmp_path / "fit.gif"
    monkeypatch.setattr(lab.animation, "ask_save_path", lambda *args: str(gif))
    lab.controls.export_animation.click()
    qtbot.waitUntil(lambda: "written" in lab.messages.text(), timeout=20000)
    with Image.open(gif) as image:
        assert image.n_frames == len(lab.runner.frames) == 5 and image.width <= 760
        first = np.asarray(image.convert("RGB"))
        image.seek(image.n_frames - 1)
        last = np.asarray(image.convert("RGB"))
    assert np.abs(first.astype(int) - last).sum() > 0  # the ellipses moved between the first and last
    assert lab.runner.frame.step == 6


def test_the_fit_exports_as_mp4_with_ffmpeg_and_says_so_without(dock, qtbot, tmp_path, monkeypatch):
    from tests.ui.fake_ffmpeg import install_fake_ffmpeg
    from vaeviz.ui.animation import NO_ENCODER

    lab = dock.lab
    video = tmp_path / "fit.mp4"
    monkeypatch.setattr(lab.animation, "ask_save_path", lambda *args: str(video))
    monkeypatch.delenv("VAEVIZ_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    lab.controls.export_animation.click()
    assert NO_ENCODER in lab.messages.text() and not video.exists()
    install_fake_ffmpeg(tmp_path, monkeypatch)
    lab.controls.export_animation.click()
    qtbot.waitUntil(lambda: "written" in lab.messages.text(), timeout=20000)
    assert video.read_text().startswith(f"{5 + 7} frames of ")  # five frames, the last held ~1.5 s

"""The Density dock on an InlineRunner: the picture follows the controls, the slice, the held-out table,
the data tools on the shared set, bad input explained (never NaN drawn), sessions, presets, self-check."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tests.ui.density.conftest import SMALL, small
from tests.ui.dock_checks import run_self_check
from vaeviz.core.density.state import STATE_VERSION, DataChoice, EstimatorSettings, state_to_json
from vaeviz.ui.density.controls import BANDWIDTH_STEPS, bandwidth_of_slider
from vaeviz.ui.density.dock import DensityDock


def pixels(lab) -> np.ndarray:
    return lab.figure.main.heat.image.copy()


def test_dock_version_is_the_core_state_version():
    assert DensityDock.state_version == STATE_VERSION


def test_the_first_view_is_a_finished_figure(dock):
    lab = dock.lab
    assert lab.heat is not None and lab.figure.main.heat.image is not None
    assert len(lab.train) + len(lab.held) == 400
    x, _ = lab.figure.main.contours.getData()
    assert len(x) > 0
    assert lab.figure.top_curve.getData()[0] is not None and len(lab.figure.top_curve.getData()[0]) > 0
    assert lab.table is not None and {r.key for r in lab.table.rows} >= {"histogram", "kde", "gmm"}
    assert "Kernel density" in lab.figure.title.text() and lab.messages.text() == ""


def test_controller_names_start_with_the_dock_id(dock):
    controller = dock.lab.controller
    assert all(c.name.startswith("density:") for c in controller._channels)
    assert controller.key("heat") == "density:heat"


def test_a_bandwidth_slider_changes_the_picture_while_held_and_the_table_on_release(dock):
    lab = dock.lab
    before = pixels(lab)
    slider = lab.controls.bandwidth
    lab.controls.rule.setCurrentIndex(lab.controls.rule.findData("manual"))
    assert lab.state.settings.bandwidth_rule == "manual"
    slider.setSliderDown(True)
    slider.setValue(BANDWIDTH_STEPS // 6)  # h ≈ 0.03
    held = pixels(lab)
    assert not np.array_equal(held, before)
    assert lab.state.settings.bandwidth == pytest.approx(bandwidth_of_slider(BANDWIDTH_STEPS // 6))
    assert math.isnan(lab.heat.snapshot.held_ll)  # live frames leave the exact sums for the release
    assert not lab.figure.table.isEnabled()  # (greyed: its numbers are of the fit before the drag)
    slider.setValue(BANDWIDTH_STEPS // 2)
    assert not np.array_equal(pixels(lab), held)
    slider.setSliderDown(False)
    slider.sliderReleased.emit()
    assert math.isfinite(lab.heat.snapshot.held_ll)
    assert lab.table.row("kde").label.startswith("KDE, h = ") and lab.figure.table.isEnabled()


def test_bins_and_k_and_the_scale_change_the_picture(dock):
    lab = dock.lab
    lab.apply_state(small(estimator="histogram"))
    first = pixels(lab)
    lab.controls.bins_spin.setValue(8)
    assert lab.state.settings.bins == 8 and not np.array_equal(pixels(lab), first)
    lab.apply_state(small(estimator="gmm"))
    first = pixels(lab)
    lab.controls.components.setValue(6)
    assert not np.array_equal(pixels(lab), first)
    first = pixels(lab)
    lab.controls.scale.setCurrentIndex(lab.controls.scale.findData("log"))
    assert lab.state.view.scale == "log" and not np.array_equal(pixels(lab), first)


def test_dragging_the_slice_changes_the_conditional_and_the_release_commits(dock):
    lab = dock.lab
    _, ys = lab.figure.cond_curve.getData()
    before, _ = lab.figure.cond_curve.getData()
    before = before.copy()
    lab.figure.slice.setValue(-1.5)  # as a drag's move: the line reports it
    moved, _ = lab.figure.cond_curve.getData()
    assert not np.allclose(moved, before)
    assert lab.state.view.slice_at == 0.5  # not committed yet
    lab.figure.slice.sigPositionChangeFinished.emit(lab.figure.slice)
    assert lab.state.view.slice_at == pytest.approx(-1.5)
    assert "x₁=-1.50" in lab.figure.cond.titleLabel.text


def test_held_out_table_ranks_tiny_and_huge_bandwidths_below_scott(dock):
    lab = dock.lab
    assert lab.apply_state(small(view=replace(SMALL.view, compare_bandwidths=(0.01, 10.0))))
    rows = {r.key: r for r in lab.table.rows}
    assert rows["kde-0.01"].held < rows["kde"].held and rows["kde-10"].held < rows["kde"].held
    table = lab.figure.table
    labels = [table.value(i, 0) for i in range(table.rowCount())]
    assert any(label.startswith("KDE, h = 0.01") for label in labels)
    assert "nan" not in " ".join(table.value(i, j) for i in range(table.rowCount()) for j in range(3))


def test_samples_from_the_model_are_drawn_beside_the_data(dock):
    lab = dock.lab
    assert lab.apply_state(small(estimator="gmm", view=replace(SMALL.view, samples=300)))
    assert lab.figure.side == "samples" and lab.figure.elbo_widget.isVisibleTo(lab.figure)
    assert len(lab.figure.elbo.samples.data) == 300 and len(lab.figure.main.samples.data) == 0
    assert lab.figure.elbo.heat.image is not None


def test_data_tools_edit_the_shared_set_with_undo_and_redo(dock):
    from vaeviz.ui.shared_data import shared_pointset

    lab = dock.lab
    points = shared_pointset(dock)
    assert points is lab.points
    n = len(points)
    lab.controls.tools["add"].setChecked(True)
    lab.figure.main.box.data_edit.emit("add", (0.0, 3.5), "click")
    assert len(points) == n + 1 and len(lab.train) + len(lab.held) == n + 1
    assert lab.state.data.preset == "custom"
    lab.figure.main.box.data_edit.emit("erase", (0.0, 3.5), "start")
    assert len(points) == n
    lab.controls.undo.click()
    assert len(points) == n + 1
    lab.controls.redo.click()
    assert len(points) == n


def test_csv_round_trip_through_the_data_tools(dock, tmp_path, monkeypatch):
    lab = dock.lab
    path = tmp_path / "points.csv"
    monkeypatch.setattr(lab, "ask_save_path", lambda *a: str(path))
    lab.controls.export_csv.click()
    assert path.exists()
    lab.points.replace(np.zeros((3, 2)) + [[0, 0], [1, 0], [0, 1]])
    monkeypatch.setattr(lab, "ask_open_path", lambda *a: str(path))
    lab.controls.import_csv.click()
    assert len(lab.points) == 400


def test_samples_from_the_model_export_as_csv(dock, tmp_path, monkeypatch):
    from vaeviz.core.data.pointset_io import import_csv

    lab = dock.lab
    assert lab.apply_state(replace(lab.state, view=replace(lab.state.view, samples=300)))
    path = tmp_path / "samples.csv"
    monkeypatch.setattr(lab, "ask_save_path", lambda *a: str(path))
    lab.controls.export_samples.click()
    written = import_csv(path)
    shown = lab.heat.snapshot.samples
    assert len(shown) == 300
    np.testing.assert_array_equal(written[0], shown)  # repr-exact floats: the same samples
    assert "samples" in lab.messages.text()
    assert lab.apply_state(replace(lab.state, view=replace(lab.state.view, samples=0)))
    path.unlink()
    lab.controls.export_samples.click()
    assert not path.exists() and "no samples" in lab.messages.text()


@pytest.mark.parametrize("points, words", [
    (np.empty((0, 2)), "N = 0"),
    (np.array([[1.0, 1.0]]), "at least 2 points"),
    (np.ones((40, 2)), "identical"),
])
def test_degenerate_data_are_explained_and_nothing_nan_is_drawn(dock, points, words):
    lab = dock.lab
    lab.points.replace(points)
    assert words in lab.messages.text()
    assert lab.heat is None and not lab.figure.main.heat.isVisible()
    assert "No density" in lab.figure.main.note.toPlainText()
    lab.points.replace(np.random.default_rng(0).normal(size=(200, 2)))
    assert lab.heat is not None and lab.messages.text() == ""


@pytest.mark.parametrize("change, words", [
    (dict(settings=EstimatorSettings(bins=0)), "at least 1 bin"),
    (dict(settings=EstimatorSettings(bandwidth_rule="manual", bandwidth=0.0)), "bandwidth must be"),
    (dict(data=DataChoice("two moons", 1, 0)), "N = 1"),
    (dict(data=DataChoice("two moons", 0, 0)), "N = 0"),
    (dict(settings=EstimatorSettings(components=0)), "K = 1"),
])
def test_bad_settings_are_refused_with_a_message_and_nothing_changes(dock, change, words):
    lab = dock.lab
    before, image = lab.state, pixels(lab)
    assert not lab.apply_state(replace(SMALL, **change))
    assert words in lab.messages.text()
    assert lab.state == before and np.array_equal(pixels(lab), image)


def test_bins_zero_typed_in_the_panel_is_refused(dock):
    lab = dock.lab
    lab.controls.bins_spin.setValue(0)
    assert "at least 1 bin" in lab.messages.text() and lab.state.settings.bins == SMALL.settings.bins
    assert lab.controls.bins_spin.value() == SMALL.settings.bins  # the panel shows the state again


def test_k_larger_than_n_is_explained_in_the_table_and_the_plot(dock):
    lab = dock.lab
    lab.points.replace(np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 2.0], [0.5, 1.5]]))
    assert lab.apply_state(replace(lab.state, estimator="gmm", settings=EstimatorSettings(components=8)))
    assert "K = 8" in lab.messages.text()
    assert lab.heat is None
    assert "K = 8" in lab.figure.table.value([r.key for r in lab.table.rows].index("gmm"), 0) \
        if lab.table is not None else True


def test_a_bad_image_changes_nothing_and_says_why(dock, tmp_path):
    lab = dock.lab
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    before = lab.points.points.copy()
    lab.load_image(str(bad))
    assert "Could not use the image" in lab.messages.text() and "Nothing was changed" in lab.messages.text()
    assert np.array_equal(lab.points.points, before)


def test_an_image_becomes_points_where_it_is_bright(dock, tmp_path):
    from PIL import Image

    image = np.zeros((40, 40), np.uint8)
    image[:, 30:] = 255  # bright on the right only
    path = tmp_path / "right.png"
    Image.fromarray(image).save(path)
    lab = dock.lab
    lab.load_image(str(path), n=300)
    assert len(lab.points) == 300 and (lab.points.points[:, 0] > 0).all()
    assert lab.state.data.preset == "custom" and lab.heat is not None


def test_the_one_d_mode_draws_three_fits_over_the_truth(dock):
    lab = dock.lab
    lab.controls.mode.setCurrentIndex(lab.controls.mode.findData("1d"))
    assert lab.state.mode == "1d" and lab.oned is not None
    for key in ("truth", "histogram", "kde", "gmm"):
        _, y = lab.figure.oned_curves[key].getData()
        assert y is not None and np.isfinite(y).all() and y.max() > 0
    assert "truth" in {r.key for r in lab.table.rows}
    x, _ = lab.figure.oned_curves["truth"].getData()
    assert x[0] < -10 and x[-1] > 10


def test_the_vae_trains_and_shows_log_px_beside_the_elbo(dock):
    lab = dock.lab
    assert lab.apply_state(small(estimator="vae", settings=EstimatorSettings(vae_steps=100, vae_k=16)))
    assert lab.heat is None and "Train" in lab.figure.main.note.toPlainText()
    lab.controls.train.click()
    assert lab.vae_heat is not None and lab.figure.elbo.heat.image is not None
    assert lab.controls.progress.value() == 1000
    assert "ELBO ≤ log p(x)" in lab.figure.elbo.titleLabel.text
    keys = {r.key for r in lab.figure.table.rows}
    assert {"vae", "vae-elbo"} <= keys


def test_session_round_trip_and_a_bad_session_is_refused_whole(dock, qtbot):
    lab = dock.lab
    assert lab.apply_state(small(estimator="gmm", settings=EstimatorSettings(components=4),
                                 view=replace(SMALL.view, scale="log", slice_at=-1.0)))
    saved = dock.state()
    assert saved["version"] == STATE_VERSION
    other = DensityDock(dock.compute)
    qtbot.addWidget(other)
    other.ensure_built()
    other.validate_state(saved)
    other.restore_state(saved)
    assert other.lab.state == lab.state
    bad = state_to_json(SMALL)
    bad["settings"]["bins"] = 0
    with pytest.raises(ValueError, match="bin"):
        other.validate_state(bad)
    with pytest.raises(ValueError, match="newer"):
        other.validate_state({**saved, "version": 99})
    other.shutdown()


def test_self_check_passes(dock, qtbot):
    assert run_self_check(qtbot, dock) == []


@pytest.mark.parametrize("name", [p.name for p in DensityDock.presets()])
def test_every_preset_exports_a_non_blank_figure(dock, name):
    from vaeviz.ui.docks.registry import find_preset
    from vaeviz.ui.export import export_widget, is_blank

    find_preset("density", name).apply(dock, 60)  # (60 VAE steps: the preset's own take seconds)
    lab = dock.lab
    assert not lab.controller.busy and "error" not in lab.messages.text().lower()
    figure = dock.figure_widget()
    figure.resize(900, 640)
    assert not is_blank(export_widget(figure))
    if lab.state.mode == "2d" and name != "generative-process":
        assert lab.heat is not None and not np.isnan(lab.heat.snapshot.log_density).any()
    if name == "vae-density-vs-elbo":
        assert lab.figure.elbo.heat.image is not None
    if name == "generative-process":
        assert figure is lab.generative.figure_widget() and lab.generative.n_draws > 0


def test_back_from_one_d_the_shared_points_are_kept(dock):
    lab = dock.lab
    before = lab.points.points.copy()
    lab.controls.mode.setCurrentIndex(lab.controls.mode.findData("1d"))
    lab.controls.mode.setCurrentIndex(lab.controls.mode.findData("2d"))
    assert lab.state.mode == "2d" and lab.state.data.preset == "custom"
    assert np.array_equal(lab.points.points, before) and lab.heat is not None


def test_the_sideways_marginal_is_filled_to_its_own_axis(dock):
    # a fill to y = 0 (pyqtgraph's fillLevel) would paint bands across the x₂ marginal: it fills to x = 0
    figure = dock.lab.figure
    density, ys = figure.right_curve.getData()
    fill_x, fill_y = figure.right_fill.getData()
    assert len(ys) > 0 and figure.right_fill.opts["fillLevel"] == "enclosed"
    # the filled polygon: from x = 0 along the curve and back to x = 0, closed along the x₂ axis
    assert fill_x[0] == 0 and fill_x[-1] == 0 and np.array_equal(fill_x[1:-1], density)
    assert np.array_equal(fill_y[1:-1], ys) and fill_y[0] == ys[0] and fill_y[-1] == ys[-1]


def test_the_generative_process_exports_from_its_animation_button(dock, qtbot, tmp_path, monkeypatch):
    from PIL import Image

    lab = dock.lab
    assert lab.show_generative()
    view = lab.generative
    gif = tmp_path / "process.gif"
    monkeypatch.setattr(view, "ask_save_path", lambda *args: str(gif))
    view.animation_button.click()
    assert not view.animation_button.isEnabled()  # no second export (or Play) while frames are grabbed
    qtbot.waitUntil(lambda: "Animation written" in lab.messages.text(), timeout=30000)
    with Image.open(gif) as image:
        assert image.n_frames > 10
    assert view.animation_button.isEnabled()

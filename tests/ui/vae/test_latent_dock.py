"""The VAE latent dock: drag, click, ε, A → B, drawing, training, checkpoints, data, state, presets.

Most tests use the dock alone with an InlineRunner (jobs run synchronously: no waiting), small shapes
data and a 15-step quick model; the last ones run in the window with the real worker."""

from __future__ import annotations

import json

import numpy as np
import pytest
from dock_checks import run_self_check
from PIL import Image
from vae_helpers import _choose_data, _image, _pane, dock, one_torch_thread, small_lab  # noqa: F401

from vaeviz.core.data.datasets import make_shapes, save_npz, write_idx
from vaeviz.core.vae.checkpoint import save_checkpoint
from vaeviz.core.vae.models import ModelConfig, build_model
from vaeviz.ui.docks.registry import find_preset
from vaeviz.ui.export import export_widget, is_blank
from vaeviz.ui.vae.dock import LatentDock
from vaeviz.workers.bridge import InlineRunner

PRESETS = ["overview", "latent-explorer", "manifold-grid", "ae-vs-vae", "reparameterisation"]


# ----- start-up (drag, click, ε and strips: test_latent_drag.py) ------------------------------------
def test_dock_starts_with_a_quick_model_and_a_labelled_scatter(dock):
    pane = _pane(dock)
    assert pane.point_count() == 200
    assert [label.text for _, label in pane.legend.items][:2] == ["circle", "square"]
    assert "quick model" in pane.title.text and "No shipped VAE" in dock.messages.text()
    assert dock.training.start.isEnabled() and not dock.training.stop.isEnabled()
    assert "cpu" in dock.training.device.text()
    assert pane.decoded.has_image() and "prior" in pane.strip.label.text  # the strip starts with samples


def test_self_check_decodes_through_the_compute_path(dock, qtbot):
    assert run_self_check(qtbot, dock) == []


def test_prior_samples_and_a_drawing(dock):
    pane = _pane(dock)
    dock.explore.prior.click()
    assert "prior" in pane.strip.label.text and _image(pane.strip).shape[1] == 8 * 28 + 14
    dock.explore.canvas.stroke([(40, 40), (120, 130), (40, 130)])
    inspection = dock.controller.inspections["vae"]
    assert inspection.index is None and inspection.original.max() > 0.5
    assert "your drawing" in pane.numbers.text and len(pane.ellipse.getData()[0]) == 97
    dock.explore.clear.click()
    assert dock.explore.canvas.is_empty()


def test_manifold_underlay_grid_only_and_size(dock):
    pane = _pane(dock)
    dock.set_view("vae", "underlay", 5, 2.0)
    assert pane.grid_image.isVisible() and pane.grid_image.opacity() == pytest.approx(0.45)
    assert pane.grid_image.image.shape == (5 * 28, 5 * 28) and pane.points_visible()
    dock.set_view("vae", "grid", 7, 2.0)
    assert pane.grid_image.image.shape == (7 * 28, 7 * 28) and not pane.points_visible()
    dock.set_view("vae", "off")
    assert not pane.grid_image.isVisible() and pane.points_visible()


def test_side_by_side_shows_the_autoencoder_with_sigma_zero(dock):
    dock.set_view("both", "underlay", 5, 2.0, fit=True)
    assert dock.figure.roles() == ("vae", "ae") and dock.session.ready(["vae", "ae"])
    ae = _pane(dock, "ae")
    assert "Autoencoder" in ae.title.text and ae.grid_image.isVisible()
    dock.click(int(dock.session.snapshots["ae"].indices[2]))
    assert (dock.controller.inspections["ae"].sigma == 0).all() and len(ae.ellipse.getData()[0]) == 0
    assert len(_pane(dock).ellipse.getData()[0]) == 97
    dock.explore.resample.click()
    assert "σ = 0" in ae.strip.label.text


# ----- training ------------------------------------------------------------------------------------
def test_a_few_training_steps_update_curves_scatter_and_numbers(dock):
    version = dock.session.snapshots["vae"].version
    dock.training.batch.setValue(64)
    assert dock.start_training(max_steps=5)
    assert dock.training.curve_points() == 5 and dock.training.progress.value() == 1000
    assert dock.session.snapshots["vae"].version > version
    assert "trained here (5 steps" in _pane(dock).title.text
    assert dock.session.numbers["vae"].where.startswith("mean over")
    assert not dock.session.training and dock.training.start.isEnabled()


def test_beta_slider_and_retrain(dock):
    dock.training.beta_slider.setValue(40)
    assert dock.training.beta.value() == 4.0
    dock.training.epochs.setValue(1)
    dock.training.retrain.click()
    assert dock.session.models["vae"].beta == dock.session.numbers["vae"].beta == 4.0
    assert "β = 4" in _pane(dock).title.text


def test_training_an_autoencoder_shows_its_pane(dock):
    dock.training.kind.setCurrentText("mlp-ae")
    dock.start_training(max_steps=3)
    assert dock.figure.roles() == ("ae",) and "trained here" in _pane(dock, "ae").title.text


def test_nan_loss_stops_with_a_message_and_keeps_a_model(dock):
    dock.training.lr.setValue(10.0)
    dock.training.epochs.setValue(5)
    dock.training.start.click()
    assert dock.messages.level == "error" and "too high" in dock.messages.text()
    assert np.isfinite(_image(_pane(dock).decoded)).all() and "vae" in dock.session.models
    assert dock.training.start.isEnabled()


# ----- checkpoints and data --------------------------------------------------------------------------
def test_checkpoint_of_another_architecture_shows_a_message_and_keeps_the_model(dock, tmp_path, monkeypatch):
    path = tmp_path / "conv.safetensors"
    save_checkpoint(path, build_model(ModelConfig(kind="conv-vae", hidden=(16,), channels=(4, 8))))
    before = dock.session.models["vae"]
    monkeypatch.setattr(dock.files, "ask_open_path", lambda *args: str(path))
    dock.training.load.click()
    assert dock.messages.level == "error" and "Choose conv-vae" in dock.messages.text()
    assert "unchanged" in dock.messages.text() and dock.session.models["vae"] == before


def test_checkpoint_save_and_load(dock, tmp_path, monkeypatch):
    path = tmp_path / "mine.safetensors"
    monkeypatch.setattr(dock.files, "ask_save_path", lambda *args: str(path))
    dock.training.save.click()
    assert path.is_file() and "saved" in dock.messages.text()
    monkeypatch.setattr(dock.files, "ask_open_path", lambda *args: str(path))
    dock.training.load.click()
    assert dock.session.models["vae"].origin == "checkpoint mine.safetensors"
    assert "checkpoint mine.safetensors" in _pane(dock).title.text


def test_bad_data_and_offline_download_keep_the_current_data(dock, tmp_path, monkeypatch):
    version = dock.session.data.data_version
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    monkeypatch.setattr(dock.files, "ask_open_path", lambda *args: str(tmp_path / "bad.npz"))
    _choose_data(dock, "npz")
    assert "not an .npz archive" in dock.messages.text() and "Staying on Shapes" in dock.messages.text()
    assert dock.training.data.currentData() == "shapes"
    _choose_data(dock, "mnist-download")
    assert "offline" in dock.messages.text() and dock.session.data.data_version == version
    assert dock.session.ready(["vae"])


def test_npz_data_set_of_another_size(dock, tmp_path, monkeypatch):
    save_npz(tmp_path / "small.npz", make_shapes(80, seed=4, size=16))
    monkeypatch.setattr(dock.files, "ask_open_path", lambda *args: str(tmp_path / "small.npz"))
    _choose_data(dock, "npz")
    assert dock.session.data.image_shape == (16, 16) and dock.explore.canvas.target_shape == (16, 16)
    assert _image(_pane(dock).decoded).shape == (16, 16)
    assert "80 images of 16×16" in dock.training.data_label.text()


def test_idx_files_and_an_image_folder_chosen_in_dialogs(dock, tmp_path, monkeypatch):
    shapes = make_shapes(60, seed=2)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", (shapes.images * 255).astype(np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", shapes.labels.astype(np.uint8))
    answers = iter([str(tmp_path / "t10k-images-idx3-ubyte"), str(tmp_path / "t10k-labels-idx1-ubyte")])
    monkeypatch.setattr(dock.files, "ask_open_path", lambda *args: next(answers))
    _choose_data(dock, "idx")
    assert dock.session.source.key == "mnist-t10k" and dock.session.data.size == 60
    assert dock.training.data.currentData() == "idx" and "10 classes" in dock.training.data_label.text()
    folder = tmp_path / "pictures"
    folder.mkdir()
    for k in range(12):
        Image.fromarray((shapes.images[k] * 255).astype(np.uint8)).save(folder / f"{k:02d}.png")
    monkeypatch.setattr(dock.files, "ask_folder", lambda *args: str(folder))
    _choose_data(dock, "folder")
    assert dock.session.data.size == 12 and "unlabelled" in dock.training.data_label.text()
    assert _pane(dock).point_count() == 12 and not _pane(dock).legend.isVisible()


def test_a_shipped_checkpoint_is_used_when_present(qtbot, small_lab):
    model = build_model(ModelConfig(hidden=(64,)), seed=3)
    save_checkpoint(f"{small_lab.checkpoint_dir}/shapes-vae.safetensors", model, dataset="shapes")
    dock = LatentDock(InlineRunner())  # not shown: presets, sessions and the self-check start it
    qtbot.addWidget(dock)
    dock.ensure_started()
    assert "shipped checkpoint shapes-vae.safetensors" in _pane(dock).title.text
    assert dock.messages.text() == "" and not dock.training.curve_points()


# ----- state, presets, self-check -----------------------------------------------------------------------
def test_session_state_round_trip(dock, qtbot, tmp_path):
    path = tmp_path / "mine.safetensors"
    dock.session.save("vae", str(path))
    dock.training.beta.setValue(2.5)
    dock.set_view("vae", "underlay", 9, 2.5)
    _pane(dock).set_target(1.25, -0.5)
    dock.click(int(dock.session.snapshots["vae"].indices[4]))
    state = json.loads(json.dumps(dock.state()))
    assert state["version"] == 2
    assert state["view"] == {"mode": "vae", "manifold": "underlay", "grid_n": 9, "grid_range": 2.5,
                             "grid_fit": False}
    assert state["model"]["beta"] == 2.5 and state["points"]["vae"] == [1.25, -0.5]

    state["checkpoints"] = {"vae": str(path), "ae": None}
    other = LatentDock(InlineRunner())
    qtbot.addWidget(other)
    other.validate_state(state)
    other.restore_state(state)
    other.ensure_started()
    restored = other.state()
    keys = ("view", "model", "train", "points", "picks", "data", "checkpoints")
    assert {k: restored[k] for k in keys} == {k: state[k] for k in keys}
    assert other.session.models["vae"].origin == "checkpoint mine.safetensors"
    assert other.controller.inspections["vae"].index == state["picks"][0]

    for bad, message in [({"view": {"mode": "3d"}}, "view.mode"), ({"model": {"beta": -1}}, "model.beta"),
                         ({"checkpoints": {"vae": "/no/such.safetensors"}}, "does not exist"),
                         ({"data": {"kind": "npz", "paths": ["/no/such.npz"]}}, "does not exist"),
                         ({"picks": [1, 2, 3]}, "picks"), ({"picks": [10**12]}, "picks"),
                         ({"picks": [500]}, "from 0 to 499"), ({"version": 99}, "newer")]:
        with pytest.raises(ValueError, match=message):
            other.validate_state(dict(state, **bad))


def test_a_version_1_session_file_opens(dock):
    from pathlib import Path

    from vaeviz.core import session as session_format

    path = Path(__file__).parents[1] / "old_sessions" / "latent-v1.vaeviz"
    raw = session_format.read_session(path)["docks"]["latent"]
    assert raw["version"] == 1
    dock.validate_state(raw)
    dock.restore_state(raw)
    state = dock.lab_state
    assert state.view.mode == "both" and dock.figure.roles() == ("vae", "ae")
    assert (state.view.manifold, state.view.grid_n, state.view.grid_range) == ("grid", 9, 2.5)
    assert state.points.vae == (0.75, -0.5) and _pane(dock).target_xy() == (0.75, -0.5)
    assert dock.state()["version"] == 2 and dock.state()["train"]["lr"] == 0.001


def test_apply_state_reloads_data_and_models_only_when_they_differ(dock, tmp_path, monkeypatch):
    from dataclasses import replace

    from vaeviz.core.vae.lab_data import DataSource
    from vaeviz.core.vae.state import ViewSettings

    setups = []
    real_setup = dock.session.setup

    def counting_setup(*args, **kwargs) -> None:
        setups.append(args)
        real_setup(*args, **kwargs)

    monkeypatch.setattr(dock.session, "setup", counting_setup)
    dock.apply_state(replace(dock.lab_state, view=ViewSettings("vae", "underlay", 5, 2.0)))
    dock.apply_state(replace(dock.lab_state, points=replace(dock.lab_state.points, vae=(1.0, 1.0))))
    assert setups == [] and _pane(dock).grid_image.isVisible()
    save_npz(tmp_path / "small.npz", make_shapes(80, seed=4, size=16))
    dock.apply_state(replace(dock.lab_state, data=DataSource("npz", (str(tmp_path / "small.npz"),))))
    assert len(setups) == 1 and dock.session.data.size == 80
    dock.apply_state(dock.lab_state)  # the same again: nothing to load
    assert len(setups) == 1
    path = tmp_path / "mine.safetensors"
    dock.session.save("vae", str(path))
    dock.apply_state(dock.lab_state.with_checkpoint("vae", str(path)))
    assert len(setups) == 2 and dock.session.models["vae"].path == str(path)
    dock.apply_state(dock.lab_state)
    assert len(setups) == 2


def test_widget_edits_make_a_new_state(dock):
    dock.training.beta_slider.setValue(30)
    dock.training.lr.setValue(0.01)
    dock.explore.grid_n.setValue(7)
    dock.explore.manifold.setCurrentIndex(dock.explore.manifold.findData("grid"))
    state = dock.lab_state
    assert state.model.beta == 3.0 and state.train.lr == 0.01
    assert (state.view.manifold, state.view.grid_n) == ("grid", 7)
    assert _pane(dock).grid_image.image.shape == (7 * 28, 7 * 28)
    _pane(dock).set_target(0.5, -1.0)
    dock.click(int(dock.session.snapshots["vae"].indices[3]))
    assert dock.lab_state.points.vae == (0.5, -1.0)
    assert dock.lab_state.picks == (int(dock.session.snapshots["vae"].indices[3]),)
    dock.explore.mode.setCurrentIndex(dock.explore.mode.findData("both"))
    assert dock.lab_state.view.mode == "both" and dock.figure.roles() == ("vae", "ae")


def test_a_bad_state_changes_nothing(dock):
    from dataclasses import replace

    from vaeviz.core.vae.state import ViewSettings

    before = dock.lab_state
    with pytest.raises(ValueError, match="view.grid_n"):
        dock.apply_state(replace(before, view=ViewSettings(grid_n=10**6)))
    assert dock.lab_state == before and dock.explore.grid_n.value() == 15


def test_self_check_reports_a_failed_decoding(dock, qtbot, monkeypatch):
    def broken(ref, role, xy):
        def factory(ctx):
            raise RuntimeError("no decoder here")
            yield None

        return factory

    monkeypatch.setattr("vaeviz.ui.vae.controller.decode_job", broken)
    problems = run_self_check(qtbot, dock)
    assert len(problems) == 1 and "decoding failed" in problems[0] and "no decoder here" in problems[0]


def test_self_check_reports_a_blank_image():
    from vaeviz.ui.vae.self_check import image_problems

    assert image_problems(np.zeros((4, 4))) == ["latent: the decoded image is blank"]
    assert "finite" in image_problems(np.full((4, 4), np.nan))[0]
    assert image_problems(np.eye(4)) == []


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_exports_a_non_blank_png(qtbot, small_lab, tmp_path, name):
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    find_preset("latent", name).apply(dock, 3 if name == "overview" else None)
    figure = dock.figure_widget()
    figure.setParent(None)
    qtbot.addWidget(figure)
    figure.resize(900, 600)
    figure.show()  # alone, at a fixed size, as the export CLI renders it
    image = export_widget(figure, tmp_path / f"{name}.png")
    assert not is_blank(image) and (tmp_path / f"{name}.png").stat().st_size > 1000
    if name == "overview":
        assert "trained here (3 steps" in dock.figure.panes["vae"].title.text
    if name == "ae-vs-vae":
        assert dock.figure.roles() == ("vae", "ae") and dock.controller.strips["ae"].kind == "prior"
    if name == "reparameterisation":
        assert len(dock.figure.panes["vae"].samples.getData()[0]) == 8


# ----- in the window, with the real worker ------------------------------------------------------------------
def test_in_the_window_drag_and_training_go_through_the_worker(small_lab, window, qtbot):
    dock = window.docks["latent"]
    dock.raise_()
    qtbot.waitUntil(lambda: dock.session.ready(["vae"]), timeout=60000)
    pane = _pane(dock)
    pane.set_target(1.0, 1.0)
    qtbot.waitUntil(lambda: "z = (1.00, 1.00)" in pane.decoded.label.text, timeout=10000)
    dock.training.epochs.setValue(1)
    dock.training.start.click()
    qtbot.waitUntil(lambda: not dock.session.training and dock.training.curve_points() == 4, timeout=30000)
    qtbot.waitUntil(lambda: window.status.state_label.text() == "worker: idle", timeout=10000)
    assert run_self_check(qtbot, dock) == []


def test_closing_the_window_mid_training_exits_cleanly(small_lab, window, qtbot):
    dock = window.docks["latent"]
    dock.raise_()
    qtbot.waitUntil(lambda: dock.session.ready(["vae"]), timeout=60000)
    dock.training.epochs.setValue(500)
    dock.training.start.click()
    qtbot.waitUntil(lambda: dock.training.curve_points() > 2, timeout=30000)
    assert dock.session.training
    dock.training.pause.click()
    qtbot.waitUntil(lambda: window.status.state_label.text() == "worker: paused", timeout=10000)
    dock.training.pause.click()
    qtbot.waitUntil(lambda: window.status.state_label.text() == "worker: running latent:main", timeout=10000)
    window.close()
    assert window.shutdown(2.0)
    assert not window.worker.isRunning()


def test_self_check_reports_a_lab_without_models(qtbot, small_lab, tmp_path):
    from vaeviz.core.vae.lab_data import DataSource
    from vaeviz.core.vae.state import LatentState

    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    other = LatentDock(InlineRunner())  # not started: the self-check starts it, on data that fails
    qtbot.addWidget(other)
    other.apply_state(LatentState(data=DataSource("npz", (str(tmp_path / "bad.npz"),))))
    problems = run_self_check(qtbot, other)
    assert len(problems) == 1 and "no model ready" in problems[0] and "not an .npz" in problems[0]

"""The VAE latent dock: drag, click, ε, A → B, drawing, training, checkpoints, data, state, presets.

Most tests use the dock alone with an InlineRunner (jobs run synchronously: no waiting), small shapes
data and a 15-step quick model; the last ones run in the window with the real worker."""

from __future__ import annotations

import json

import numpy as np
import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from vaeviz.core.datasets import make_shapes, save_npz, write_idx
from vaeviz.core.vae.checkpoint import save_checkpoint
from vaeviz.core.vae.lab_types import LabOptions
from vaeviz.core.vae.models import ModelConfig, build_model
from vaeviz.ui.docks.latent_dock import LatentDock
from vaeviz.ui.docks.registry import find_preset
from vaeviz.ui.export import export_widget, is_blank
from vaeviz.workers.bridge import InlineRunner

PRESETS = ["overview", "latent-explorer", "manifold-grid", "ae-vs-vae", "reparameterisation"]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """InlineRunner jobs run torch in this process: one thread, like the worker under tests/conftest.py."""
    import torch

    threads, _ = torch.get_num_threads(), torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def small_lab(tmp_path, monkeypatch) -> LabOptions:
    """Small data, a 15-step quick model, no shipped checkpoints, no network."""
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    options = LabOptions(shapes_n=500, subset=200, quick_steps=15, checkpoint_dir=str(folder),
                         mnist_base_url="http://127.0.0.1:9/", mnist_cache=str(tmp_path / "cache"))
    monkeypatch.setattr(LatentDock, "lab_options", options)
    return options


@pytest.fixture
def dock(qtbot, small_lab) -> LatentDock:
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    dock.resize(1280, 760)
    with qtbot.waitExposed(dock):
        dock.show()
    dock.ensure_started()  # InlineRunner: the lab is ready when this returns
    assert dock.session.ready(["vae"])
    return dock


def _pane(dock, role="vae"):
    return dock.figure.panes[role]


def _image(box) -> np.ndarray:  # what an ImageBox shows, in [0, 1] (grey images are drawn as RGBA)
    return np.array(box.image.image)[..., 0] / 255.0


def _choose_data(dock, value: str) -> None:
    """Pick a data set in the combo as the user does (``activated``, not a programmatic change)."""
    dock.training.data.setCurrentIndex(dock.training.data.findData(value))
    dock.training.data.activated.emit(dock.training.data.currentIndex())


def _mouse(widget, kind, pos, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier):
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def _viewport_pos(dock, x, y):
    scene = _pane(dock).plot.getViewBox().mapViewToScene(QPointF(x, y))
    return dock.figure.mapFromScene(scene)


# ----- start-up, drag, click ----------------------------------------------------------------------
def test_dock_starts_with_a_quick_model_and_a_labelled_scatter(dock):
    pane = _pane(dock)
    assert pane.point_count() == 200
    assert [label.text for _, label in pane.legend.items][:2] == ["circle", "square"]
    assert "quick model" in pane.title.text and "No shipped VAE" in dock.messages.text()
    assert dock.training.start.isEnabled() and not dock.training.stop.isEnabled() and "cpu" in dock.training.device.text()
    assert pane.decoded.has_image() and "prior" in pane.strip.label.text  # the strip starts with samples


def test_moving_the_latent_point_decodes_at_once(dock):
    pane = _pane(dock)
    pane.set_target(-2.0, 0.5)
    left = _image(pane.decoded)
    assert "z = (-2.00, 0.50)" in pane.decoded.label.text and pane.vline.value() == -2.0
    pane.set_target(2.0, -1.5)
    assert not np.allclose(left, _image(pane.decoded))


def test_dragging_the_target_with_the_mouse(dock, monkeypatch):
    monkeypatch.setitem(pg.getConfigOption.__globals__["CONFIG_OPTIONS"], "mouseRateLimit", -1)
    dock.figure.scene().minDragTime = 0
    pane = _pane(dock)
    pane.set_range(-3, 3, -3, 3)
    start, end = _viewport_pos(dock, 0, 0), _viewport_pos(dock, 1.5, -1.0)
    viewport = dock.figure.viewport()
    left, none, event = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton, QEvent.Type
    _mouse(viewport, event.MouseButtonPress, start, left, left)
    for t in np.linspace(0.1, 1.0, 6):
        _mouse(viewport, event.MouseMove, start + (end - start) * t, none, left)
    assert pane.target.moving and not pane.vline.isVisible()  # no plot-wide lines while dragging
    _mouse(viewport, event.MouseButtonRelease, end, left, none)
    x, y = pane.target_xy()
    assert x == pytest.approx(1.5, abs=0.15) and y == pytest.approx(-1.0, abs=0.15)
    assert f"z = ({x:.2f}, {y:.2f})" in pane.decoded.label.text
    assert pane.vline.isVisible() and (pane.vline.value(), pane.hline.value()) == (x, y)


def test_clicking_a_data_point_shows_its_ellipse_and_reconstruction(dock, qtbot):
    pane = _pane(dock)
    snap = dock.session.snapshots["vae"]
    pane.set_range(*(snap.mu[7, 0] + np.array([-3, 3])), *(snap.mu[7, 1] + np.array([-3, 3])))
    with qtbot.waitSignal(dock.controller.inspected):
        qtbot.mouseClick(dock.figure.viewport(), Qt.MouseButton.LeftButton,
                         pos=_viewport_pos(dock, *snap.mu[7, :2]))
    index = dock.controller.selected.index
    assert index in snap.indices
    xs, ys = pane.ellipse.getData()
    assert len(xs) == 97 and np.isfinite(xs).all()
    mu, sigma = dock.controller.inspections["vae"].mu, dock.controller.inspections["vae"].sigma
    assert xs.max() == pytest.approx(mu[0] + 2 * sigma[0], rel=1e-3)
    assert pane.original.has_image() and pane.reconstruction.has_image()
    assert f"#{index}" in pane.numbers.text and "KL" in pane.numbers.text
    assert "ELBO ≈" in dock.explain.toHtml()


def test_resample_eps_draws_eight_points_and_a_strip(dock):
    pane = _pane(dock)
    assert not dock.controller.resample()  # nothing selected yet: says what to do
    assert "Click a data point" in dock.messages.text()
    dock.click(int(dock.session.snapshots["vae"].indices[3]))
    dock.explore.resample.click()
    first = pane.samples.getData()
    assert len(first[0]) == 8 and len(np.unique(first[0])) == 8
    assert _image(pane.strip).shape == (28, 8 * 28 + 7 * 2) and "ε" in pane.strip.label.text
    dock.explore.resample.click()
    assert not np.allclose(first[0], pane.samples.getData()[0])


def test_shift_click_interpolates_and_the_strip_and_gif_export(dock, tmp_path, monkeypatch):
    a, b = (int(i) for i in dock.session.snapshots["vae"].indices[[0, 5]])
    dock.click(a)
    dock.click(b, shift=True)
    pane = _pane(dock)
    assert len(pane.path.getData()[0]) == 10 and [p.index for p in dock.controller.picks] == [a, b]
    assert all(label.isVisible() for label in pane.pick_labels)
    monkeypatch.setattr(dock, "ask_save_path", lambda *args: str(tmp_path / "path"))
    dock.explore.export_strip.click()
    with Image.open(tmp_path / "path.png") as image:
        assert image.size[0] > 10 * 28 * 3 and len(np.unique(np.asarray(image.convert("L")))) > 2
    monkeypatch.setattr(dock, "ask_save_path", lambda *args: str(tmp_path / "walk.gif"))
    dock.explore.export_gif.click()
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames > 10
    assert "walk.gif" in dock.messages.text()


def test_self_check_decodes_through_the_compute_path(dock):
    assert dock.self_check() == []


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
    monkeypatch.setattr(dock, "ask_open_path", lambda *args: str(path))
    dock.training.load.click()
    assert dock.messages.level == "error" and "Choose conv-vae" in dock.messages.text()
    assert "unchanged" in dock.messages.text() and dock.session.models["vae"] == before


def test_checkpoint_save_and_load(dock, tmp_path, monkeypatch):
    path = tmp_path / "mine.safetensors"
    monkeypatch.setattr(dock, "ask_save_path", lambda *args: str(path))
    dock.training.save.click()
    assert path.is_file() and "saved" in dock.messages.text()
    monkeypatch.setattr(dock, "ask_open_path", lambda *args: str(path))
    dock.training.load.click()
    assert dock.session.models["vae"].origin == "checkpoint mine.safetensors"
    assert "checkpoint mine.safetensors" in _pane(dock).title.text


def test_bad_data_and_offline_download_keep_the_current_data(dock, tmp_path, monkeypatch):
    version = dock.session.data.data_version
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    monkeypatch.setattr(dock, "ask_open_path", lambda *args: str(tmp_path / "bad.npz"))
    _choose_data(dock, "npz")
    assert "not an .npz archive" in dock.messages.text() and "Staying on Shapes" in dock.messages.text()
    assert dock.training.data.currentData() == "shapes"
    _choose_data(dock, "mnist-download")
    assert "offline" in dock.messages.text() and dock.session.data.data_version == version
    assert dock.session.ready(["vae"])


def test_npz_data_set_of_another_size(dock, tmp_path, monkeypatch):
    save_npz(tmp_path / "small.npz", make_shapes(80, seed=4, size=16))
    monkeypatch.setattr(dock, "ask_open_path", lambda *args: str(tmp_path / "small.npz"))
    _choose_data(dock, "npz")
    assert dock.session.data.image_shape == (16, 16) and dock.explore.canvas.target_shape == (16, 16)
    assert _image(_pane(dock).decoded).shape == (16, 16) and "80 images of 16×16" in dock.training.data_label.text()


def test_idx_files_and_an_image_folder_chosen_in_dialogs(dock, tmp_path, monkeypatch):
    shapes = make_shapes(60, seed=2)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", (shapes.images * 255).astype(np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", shapes.labels.astype(np.uint8))
    answers = iter([str(tmp_path / "t10k-images-idx3-ubyte"), str(tmp_path / "t10k-labels-idx1-ubyte")])
    monkeypatch.setattr(dock, "ask_open_path", lambda *args: next(answers))
    _choose_data(dock, "idx")
    assert dock.session.source.key == "mnist-t10k" and dock.session.data.size == 60
    assert dock.training.data.currentData() == "idx" and "10 classes" in dock.training.data_label.text()
    folder = tmp_path / "pictures"
    folder.mkdir()
    for k in range(12):
        Image.fromarray((shapes.images[k] * 255).astype(np.uint8)).save(folder / f"{k:02d}.png")
    monkeypatch.setattr(dock, "ask_folder", lambda *args: str(folder))
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
    assert state["view"] == {"mode": "vae", "manifold": "underlay", "grid_n": 9, "grid_range": 2.5,
                             "grid_fit": False}
    assert state["model"]["beta"] == 2.5 and state["points"]["vae"] == [1.25, -0.5]

    state["checkpoints"] = {"vae": str(path)}
    other = LatentDock(InlineRunner())
    qtbot.addWidget(other)
    other.validate_state(state)
    other.restore_state(state)
    other.ensure_started()
    restored = other.state()
    assert {k: restored[k] for k in ("view", "model", "points", "picks", "data", "checkpoints")} == \
        {k: state[k] for k in ("view", "model", "points", "picks", "data", "checkpoints")}
    assert other.session.models["vae"].origin == "checkpoint mine.safetensors"
    assert other.controller.inspections["vae"].index == state["picks"][0]

    for bad, message in [({"view": {"mode": "3d"}}, "view.mode"), ({"model": {"beta": -1}}, "model.beta"),
                         ({"checkpoints": {"vae": "/no/such.safetensors"}}, "does not exist"),
                         ({"data": {"kind": "npz", "paths": ["/no/such.npz"]}}, "does not exist"),
                         ({"picks": [1, 2, 3]}, "picks"), ({"version": 99}, "newer")]:
        with pytest.raises(ValueError, match=message):
            other.validate_state(dict(state, **bad))


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
        assert dock.figure.roles() == ("vae", "ae") and len(dock.figure.panes["ae"].path.getData()[0]) == 10
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
    assert dock.self_check() == []


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
    qtbot.waitUntil(lambda: window.status.state_label.text() == "worker: running latent lab", timeout=10000)
    window.close()
    assert window.shutdown(2.0)
    assert not window.worker.isRunning()

"""core/vae/lab*: the latent lab's Qt-free holder, its views, training, set-up and job factories.

No Qt here. Small data (a few hundred shapes) and a handful of training steps keep it fast.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from vaeviz.core.data.datasets import DatasetError, make_shapes, save_npz
from vaeviz.core.jobs import run_to_end
from vaeviz.core.vae import lab_views
from vaeviz.core.vae.checkpoint import CheckpointError, save_checkpoint
from vaeviz.core.vae.images import mosaic, strip
from vaeviz.core.vae.lab import LabError, LatentLab
from vaeviz.core.vae.lab_data import DataSource, ShapesBuilder
from vaeviz.core.vae.lab_jobs import LabRef, decode_job, setup_job, train_job
from vaeviz.core.vae.lab_train import load_checkpoint_event, setup, train
from vaeviz.core.vae.lab_types import LabEvent, LabOptions, TrainProgress, role_of
from vaeviz.core.vae.models import ModelConfig, build_model
from vaeviz.core.vae.train import TrainConfig


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Two torch threads on a busy two-core machine spin-wait each other: one is faster and steadier."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def options(tmp_path) -> LabOptions:
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    return LabOptions(shapes_n=400, subset=150, quick_steps=6, checkpoint_dir=str(folder),
                      mnist_base_url="http://127.0.0.1:9/", mnist_cache=str(tmp_path / "cache"))


def _ready(options: LabOptions, roles=("vae",)) -> tuple[LatentLab, list[LabEvent]]:
    lab = LatentLab(options)
    events = list(setup(lab, DataSource("shapes"), list(roles)))
    return lab, events


@pytest.fixture
def lab(options) -> LatentLab:
    return _ready(options)[0]


# ----- data -----------------------------------------------------------------------------------
def test_shapes_builder_in_pieces_equals_make_shapes():
    builder = ShapesBuilder(300, seed=3)
    first = builder.render(np.array([250, 7, 100]))
    list(builder.remaining(chunk=64))
    ds, expected = builder.dataset(), make_shapes(300, seed=3)
    assert np.array_equal(ds.images, expected.images) and np.array_equal(ds.labels, expected.labels)
    assert np.array_equal(first, expected.images[[250, 7, 100]])
    assert all(np.array_equal(ds.factors[k], expected.factors[k]) for k in expected.factors)


def test_data_source_keys_and_round_trip(tmp_path):
    assert DataSource().key == "mnist-t10k" and DataSource("shapes").key == "shapes"
    assert DataSource("mnist-download").key == "mnist-t10k"
    mnist = DataSource("idx", ("/d/t10k-images-idx3-ubyte.gz", "/d/t10k-labels-idx1-ubyte.gz"))
    assert mnist.key == "mnist-t10k"
    npz = DataSource("npz", (str(tmp_path / "a.npz"),))
    assert npz.key.startswith("npz:") and DataSource.from_dict(npz.to_dict()) == npz
    assert npz.missing_files() == [str(tmp_path / "a.npz")]
    for bad in ({"kind": "tape"}, {"kind": "npz"}, {"paths": []}, "shapes"):
        with pytest.raises(ValueError):
            DataSource.from_dict(bad)


def test_bad_file_or_offline_download_leaves_the_data_unchanged(lab, tmp_path):
    version = lab.data_version
    with pytest.raises(DatasetError, match="does not exist"):
        list(lab.load_data(DataSource("folder", (str(tmp_path / "missing"),))))
    with pytest.raises(DatasetError, match="offline"):
        list(lab.load_data(DataSource("mnist-download")))
    assert lab.data_version == version and lab.data_key == "shapes" and lab.dataset is not None


def test_npz_data_set_replaces_the_models(lab, tmp_path):
    save_npz(tmp_path / "few.npz", make_shapes(60, seed=5, size=16))
    source = DataSource("npz", (str(tmp_path / "few.npz"),))
    events = list(setup(lab, source, ["vae"]))
    assert lab.image_shape == (16, 16) and lab.data_size == 60
    assert lab.model("vae").config.image_shape == (1, 16, 16)
    assert any("No shipped VAE" in note for note in events[-1].notes)


# ----- set-up -----------------------------------------------------------------------------------
def test_setup_without_checkpoints_trains_a_quick_model(options):
    lab, events = _ready(options, roles=("vae", "ae"))
    last = events[-1]
    assert last.done and last.data.complete and last.data.size == 400
    assert set(last.models) == {"vae", "ae"} and set(last.snapshots) == {"vae", "ae"}
    assert "quick model" in last.models["vae"].origin
    assert any(e.train is not None for e in events)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) or max(fractions) == 1.0
    snap = last.snapshots["vae"]
    assert snap.mu.shape == (150, 2) and (snap.sigma > 0).all() and snap.label_names[0] == "circle"
    assert (last.snapshots["ae"].sigma == 0).all()
    assert math.isfinite(last.evaluations["vae"].elbo) and last.evaluations["ae"].kl == 0


def test_setup_prefers_the_shipped_checkpoint_and_shows_points_before_the_data_is_complete(options):
    model = build_model(ModelConfig(kind="mlp-vae", hidden=(32,)), seed=1)
    save_checkpoint(f"{options.checkpoint_dir}/shapes-vae.safetensors", model, dataset="shapes")
    lab = LatentLab(options)
    events = list(setup(lab, DataSource("shapes"), ["vae"]))
    assert not any(e.train for e in events)
    first_scatter = next(e for e in events if e.snapshots)
    assert not first_scatter.data.complete  # the scatter came before the rest of the images
    assert events[-1].models["vae"].origin == "shipped checkpoint shapes-vae.safetensors"
    assert not events[-1].notes


def test_setup_with_the_same_data_keeps_fitting_models(lab, options):
    model = lab.model("vae")
    events = list(setup(lab, DataSource("shapes"), ["vae"]))
    assert lab.model("vae") is model and len(events) <= 3


# ----- views ---------------------------------------------------------------------------------------
def test_views_decode_grid_inspect_and_strips(lab):
    decoded = lab_views.decode(lab, "vae", (0.5, -0.5))
    assert decoded.image.shape == (28, 28) and decoded.z.tolist() == [0.5, -0.5]
    grid = lab_views.grid(lab, "vae", 5, -2.0, 2.0)
    assert grid.mosaic.shape == (140, 140) and 0 <= grid.mosaic.min() and grid.mosaic.max() <= 1
    index = int(lab.subset[3])
    seen = lab_views.inspect(lab, "vae", index)
    assert seen.index == index
    assert seen.label in ("circle", "square", "triangle", "cross", "ring", "semicircle")
    assert np.array_equal(seen.original, lab.image(index)) and seen.reconstruction.shape == (28, 28)
    assert (seen.sigma > 0).all() and seen.kl > 0 and seen.recon_nll > 0
    samples = lab_views.resample(lab, "vae", index, k=8, seed=1)
    assert samples.z.shape == (8, 2) and samples.images.shape == (8, 28, 28)
    assert len(np.unique(samples.z[:, 0])) == 8
    assert not np.array_equal(samples.z, lab_views.resample(lab, "vae", index, k=8, seed=2).z)
    path = lab_views.interpolate(lab, "vae", int(lab.subset[0]), index, steps=6)
    assert np.allclose(path.z[0], lab_views.inspect(lab, "vae", int(lab.subset[0])).mu, atol=1e-5)
    assert np.allclose(path.z[-1], seen.mu, atol=1e-5) and path.images.shape == (6, 28, 28)
    assert lab_views.prior(lab, "vae", k=8).images.shape == (8, 28, 28)


def test_a_drawing_is_encoded_like_an_image(lab):
    drawing = np.zeros((28, 28), np.float32)
    drawing[8:20, 12:16] = 1.0
    seen = lab_views.inspect(lab, "vae", drawing)
    assert seen.index is None and seen.label is None and seen.mu.shape == (2,)
    with pytest.raises(LabError, match="the model needs"):
        lab_views.inspect(lab, "vae", np.zeros((10, 10), np.float32))


def test_autoencoder_resampling_gives_mu_every_time(options):
    lab, _ = _ready(options, roles=("ae",))
    strip_ = lab_views.resample(lab, "ae", int(lab.subset[0]), k=4)
    assert (strip_.sigma == 0).all() and np.allclose(strip_.z, strip_.mu[None])
    assert "σ = 0" in strip_.title


def test_larger_latent_space_decodes_first_two_dims_with_others_at_zero(lab):
    list(train(lab, lab.config_for("mlp-vae", 4, 1.0), TrainConfig(max_steps=2, epochs=1)))
    decoded = lab_views.decode(lab, "vae", (1.0, 2.0))
    assert decoded.z.tolist() == [1.0, 2.0, 0.0, 0.0]
    assert lab_views.snapshot(lab, "vae").mu.shape == (150, 4)


# ----- training ------------------------------------------------------------------------------------
def test_training_yields_curves_and_live_scatter_and_stopping_keeps_weights(lab):
    before = lab_views.decode(lab, "vae", (0.3, 0.3)).image
    steps = train(lab, lab.config_for("mlp-vae", 2, 1.0), TrainConfig(epochs=5, batch_size=64), fresh=True)
    reports = [next(steps) for _ in range(4)]
    steps.close()  # "Stop": the model keeps the weights it reached
    assert all(isinstance(r, TrainProgress) for r in reports)
    assert [len(r.history) for r in reports] == [1, 2, 3, 4]
    assert reports[0].snapshot is not None and reports[0].total_steps == 35
    assert not np.array_equal(lab_views.decode(lab, "vae", (0.3, 0.3)).image, before)
    assert not lab.model("vae").training


def test_continuing_training_keeps_the_model_and_uses_the_new_beta(lab):
    model = lab.model("vae")
    *_, last = train(lab, lab.config_for("mlp-vae", 2, 4.0), TrainConfig(max_steps=3), fresh=False)
    assert lab.model("vae") is model and last.done and last.model.beta == 4.0
    assert lab_views.evaluate(lab, "vae").beta == 4.0


def test_nan_loss_stops_with_a_reason_and_finite_weights(lab):
    *_, last = train(lab, lab.config_for("mlp-vae", 2, 1.0), TrainConfig(lr=10.0, epochs=3))
    assert last.done and "too high" in last.stopped_reason
    assert all(np.isfinite(p.detach().numpy()).all() for p in lab.model("vae").parameters())
    assert np.isfinite(lab_views.decode(lab, "vae", (0, 0)).image).all()


def test_conv_models_need_sizes_divisible_by_four(lab):
    assert lab.config_for("conv-vae", 2, 1.0).kind == "conv-vae"
    lab.image_shape = (30, 30)
    with pytest.raises(LabError, match="divisible by 4"):
        lab.config_for("conv-ae", 2, 1.0)


# ----- checkpoints -----------------------------------------------------------------------------------
def test_safetensors_header_starting_like_a_pickle_loads(lab, tmp_path):
    # a header of 0x0380 bytes begins 0x80 0x03, like a protocol-3 pickle: pad the metadata until it does
    path = tmp_path / "odd.safetensors"
    model = build_model(ModelConfig(hidden=(32,)))
    for pad in range(300):
        save_checkpoint(path, model, dataset="shapes" + " " * pad)
        data = path.read_bytes()
        if data[0] == 0x80 and 2 <= data[1] <= 5:
            break
    assert data[0] == 0x80
    event = load_checkpoint_event(lab, str(path), None)
    assert event.models["vae"].path == str(path)


def test_checkpoint_of_another_architecture_is_refused_and_the_model_kept(lab, tmp_path):
    other = tmp_path / "conv.safetensors"
    save_checkpoint(other, build_model(ModelConfig(kind="conv-vae", hidden=(16,), channels=(4, 8))))
    model = lab.model("vae")
    with pytest.raises(LabError, match="Choose conv-vae and latent size 2"):
        load_checkpoint_event(lab, str(other), ("mlp-vae", 2))
    small = tmp_path / "small.safetensors"
    save_checkpoint(small, build_model(ModelConfig(image_shape=(1, 16, 16), hidden=(16,))))
    with pytest.raises(LabError, match="1×16×16 images"):
        load_checkpoint_event(lab, str(small), ("mlp-vae", 2))
    pickle = tmp_path / "model.pt"
    pickle.write_bytes(b"\x80\x04junk")
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint_event(lab, str(pickle), ("mlp-vae", 2))
    assert lab.model("vae") is model


def test_save_and_load_round_trip(lab, tmp_path):
    path = tmp_path / "mine.safetensors"
    lab.save("vae", path)
    expected = lab_views.decode(lab, "vae", (0.2, 0.1)).image
    list(train(lab, lab.config_for("mlp-vae", 2, 1.0), TrainConfig(max_steps=3)))
    event = load_checkpoint_event(lab, str(path), ("mlp-vae", 2))
    assert event.models["vae"].path == str(path) and event.models["vae"].trained_on == "shapes"
    assert np.allclose(lab_views.decode(lab, "vae", (0.2, 0.1)).image, expected, atol=1e-6)


# ----- images and GIF ----------------------------------------------------------------------------------
def test_mosaic_and_strip_layout():
    tiles = np.arange(6, dtype=np.float32)[:, None, None] * np.ones((6, 2, 3), np.float32)
    grid = mosaic(tiles, 2, 3)
    assert grid.shape == (4, 9) and grid[0, 3] == 1 and grid[2, 0] == 3
    row = strip(tiles[:3], pad=1, fill=-1)
    assert row.shape == (2, 11) and row[0, 3] == -1


def test_drag_walk_goes_there_and_back(lab):
    walk = lab_views.drag_walk(lab, "vae", int(lab.subset[0]), int(lab.subset[1]), frames=6)
    assert walk.path.shape == (10, 2) and walk.images.shape == (10, 28, 28)
    assert np.array_equal(walk.path[1], walk.path[-1])  # the walk back reuses the frames
    assert walk.points.shape == (len(lab.subset), 2) and len(walk.labels) == len(lab.subset)


# ----- job factories -----------------------------------------------------------------------------------
def test_jobs_run_against_one_lab(options):
    ref = LabRef(options)
    last = run_to_end(setup_job(ref, DataSource("shapes"), ["vae"]))
    assert last.done and "vae" in last.models
    decoded = run_to_end(decode_job(ref, "vae", (0.0, 1.0)))
    assert decoded.image.shape == (28, 28)
    progress = run_to_end(train_job(ref, "mlp-vae", 2, 1.0, 1e-3, 64, 1, max_steps=2))
    assert progress.done and progress.step == 2 and role_of("mlp-ae") == "ae"


def test_train_job_passes_urgent_through(options):
    """Under an urgent context the train job yields None between micro-batches (never as progress)."""
    from vaeviz.core.jobs import JobContext

    ref = LabRef(options)
    run_to_end(setup_job(ref, DataSource("shapes"), ["vae"]))
    job = train_job(ref, "mlp-vae", 2, 1.0, 1e-3, 64, 1, max_steps=2)
    items = list(job(JobContext(1, "cpu", lambda: True)))
    reports = [i for i in items if i is not None]
    assert items.count(None) >= 2 and [r.step for r in reports] == [1, 2] and reports[-1].done
    assert isinstance(reports[-1], TrainProgress) and reports[-1].snapshot is not None


def test_the_job_module_does_not_import_torch():
    code = "import sys, vaeviz.core.vae.lab_jobs, vaeviz.core.vae.lab_types; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


# ----- the shipped default data set ------------------------------------------------------------
def test_the_default_data_is_the_shipped_mnist_with_its_shipped_model():
    lab = LatentLab(LabOptions(subset=150, quick_steps=6))  # the app's resources
    last = list(setup(lab, DataSource(), ["vae"]))[-1]
    assert last.data.key == "mnist-t10k" and last.data.size == 10000 and last.data.complete
    info = last.models["vae"]
    assert info.origin.startswith("shipped checkpoint mnist10k-vae") and info.trained_on == "mnist-t10k"


def test_damaged_shipped_mnist_falls_back_to_the_shapes_with_a_note(options, monkeypatch):
    def damaged():
        raise DatasetError("the shipped MNIST file t10k-images-idx3-ubyte.gz is damaged")

    monkeypatch.setattr("vaeviz.core.vae.lab.load_shipped_mnist", damaged)
    lab = LatentLab(options)
    events = list(setup(lab, DataSource(), ["vae"]))
    notes = [note for event in events for note in event.notes]
    assert any("damaged" in note and "Shapes instead" in note for note in notes)
    assert events[-1].done and events[-1].data.key == "shapes"


def test_recognisability_is_read_from_metadata_only_when_it_holds_numbers():
    from vaeviz.core.vae.lab import recognisability_figure

    good = {"ratio": 0.87, "originals": 0.93, "reconstructions": 0.81, "chance": 0.1, "n_test": 1000}
    assert recognisability_figure({"recognisability": good}) == {k: float(v) for k, v in good.items()}
    assert recognisability_figure({}) is None
    for bad in ("0.9", None, float("nan"), True, [1]):
        assert recognisability_figure({"recognisability": {**good, "ratio": bad}}) is None
    assert recognisability_figure({"recognisability": [good]}) is None


# ----- the lecture's views (#12): ε, log p(x), holes --------------------------------------------------------
def test_resampling_returns_the_eps_behind_each_z(lab):
    s = lab_views.resample(lab, "vae", 3, k=8, seed=5)
    assert s.eps.shape == s.z.shape
    np.testing.assert_allclose(s.z, s.mu[None] + s.sigma[None] * s.eps, rtol=1e-6)


def test_likelihood_of_a_vae_and_none_for_an_autoencoder(options):
    lab = _ready(options, ("vae", "ae"))[0]
    lik = lab_views.likelihood(lab, "vae", 4, k=200)
    assert lik.defined and lik.counts[0] == 1 and lik.counts[-1] == 200 and lik.index == 4
    assert math.isfinite(lik.elbo) and all(math.isfinite(v) for v in lik.log_px)
    ae = lab_views.likelihood(lab, "ae", 4)
    assert not ae.defined and math.isnan(ae.elbo)


def test_holes_are_measured_once_per_weights_and_again_after_training(lab):
    first = lab_views.holes(lab, "vae", n=7)
    h, w = lab.image_shape
    assert first.mosaic.shape == (7 * h, 7 * w) and first.holes.shape == (7, 7)
    assert first.fraction == pytest.approx(first.holes.mean())
    assert lab_views.holes(lab, "vae", n=7) is first  # cached: the same weights and data
    assert lab_views.holes(lab, "vae", n=9) is not first  # another grid
    config = lab.model("vae").config
    list(train(lab, config, TrainConfig(lr=1e-3, batch_size=32, epochs=1, max_steps=2), fresh=False))
    assert lab_views.holes(lab, "vae", n=7) is not first  # the weights moved: measured again


def test_the_beta4_preset_brings_its_shipped_checkpoint_and_the_data_it_was_trained_on():
    from pathlib import Path

    from vaeviz.core.vae.presets import find_preset
    from vaeviz.core.vae.state import LatentState

    mine = LatentState(data=DataSource("shapes")).with_checkpoint("ae", "/a.safetensors")
    applied = find_preset("reparameterisation-beta4").state_for(mine)
    assert applied.data == DataSource() and applied.model.beta == 4.0
    assert Path(applied.checkpoints.vae).name == "mnist10k-vae-beta4.safetensors"
    assert Path(applied.checkpoints.vae).is_file() and applied.checkpoints.ae is None
    applied.validate()
    applied.check_files()


def test_the_eps_view_picks_a_wide_q_on_a_class_boundary():
    from vaeviz.core.vae.presets import draws_across_classes

    rng = np.random.default_rng(0)
    mu = np.concatenate([rng.normal(-1, 0.2, (100, 2)), rng.normal(1, 0.2, (100, 2)), [[0.0, 0.0]]])
    labels = np.array([0] * 100 + [1] * 100 + [0])
    sigma = np.full((201, 2), 0.1)
    sigma[:100] = 0.3  # wide, but among their own class only
    sigma[200] = 0.6  # between the two clusters: its draws reach both
    assert draws_across_classes(mu, sigma, labels, candidates=150) == 200


def test_a_view_requests_cpu_retry_moves_the_models_there_and_back(options, monkeypatch):
    from vaeviz.core.jobs import JobContext

    ref = LabRef(options)
    run_to_end(setup_job(ref, DataSource("shapes"), ["vae"]))
    lab = ref.get()
    moves = []
    original = type(lab).use_device

    def recording(self, name):
        moves.append(name)
        original(self, "cpu")  # this machine has only the CPU: record the move, stay there
        self.device = name

    monkeypatch.setattr(type(lab), "use_device", recording)
    lab.device = "mps"  # as if the models lived on an Apple GPU
    decoded = run_to_end(decode_job(ref, "vae", (0.0, 0.0)), JobContext(job_id=1, device="cpu"))
    assert moves == [] and decoded is not None  # not a retry: views run where the models are
    run_to_end(decode_job(ref, "vae", (0.5, 0.5)), JobContext(job_id=2, device="cpu", retry=True))
    assert moves == ["cpu", "mps"] and lab.device == "mps"  # the retry: to the CPU and back

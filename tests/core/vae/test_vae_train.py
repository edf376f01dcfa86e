"""core/vae/train.py: training lowers the loss, is deterministic, stops safely on NaN; encode/decode
helpers."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from vaeviz.core.vae.loss import elbo_terms
from vaeviz.core.vae.models import ModelConfig, build_model
from vaeviz.core.vae.train import (
    TrainConfig,
    TrainReport,
    decode_grid,
    decode_points,
    encode_dataset,
    latent_grid,
    train_steps,
)

TIMING = {"samples_per_s", "elapsed_s", "message"}


def bars(n: int = 192, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """8×8 images of one of four bars (two horizontal, two vertical) plus a little noise, in [0, 1]."""
    rng = np.random.default_rng(seed)
    protos = np.zeros((4, 8, 8), np.float32)
    protos[0, 1:3, :], protos[1, 5:7, :], protos[2, :, 1:3], protos[3, :, 5:7] = 1, 1, 1, 1
    labels = rng.integers(0, 4, n)
    images = np.clip(protos[labels] + rng.normal(0, 0.05, (n, 8, 8)), 0, 1).astype(np.float32)
    return images[:, None], labels


def mlp(kind: str = "mlp-vae", seed: int = 0, **kw):
    return build_model(ModelConfig(kind=kind, image_shape=(1, 8, 8), hidden=(32,), channels=(4, 8), **kw),
                       seed=seed)


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def data_loss(model, images) -> float:
    x = torch.from_numpy(images)
    with torch.no_grad():
        return elbo_terms(model, x, eps=torch.zeros(len(x), model.config.latent_dim)).loss.item()


def without_timing(report: TrainReport) -> dict:
    return {k: v for k, v in dataclasses.asdict(report).items() if k not in TIMING}


@pytest.mark.parametrize("kind", ["mlp-vae", "conv-vae", "mlp-ae", "conv-ae"])
def test_training_lowers_the_loss(kind):
    """A few epochs on the bars data set lower the full-data loss and the reported curve."""
    images, labels = bars()
    model = mlp(kind)
    before = data_loss(model, images)
    reports = list(train_steps(model, TrainConfig(lr=1e-2, batch_size=32, epochs=8), images, labels))
    assert data_loss(model, images) < 0.7 * before
    assert np.mean([r.loss for r in reports[-4:]]) < np.mean([r.loss for r in reports[:4]])
    if kind.endswith("-ae"):
        assert all(r.kl == 0.0 for r in reports)


def test_report_fields_and_progress():
    """One report per step with consistent step/epoch/fraction counters, metrics and a message."""
    images, _ = bars(100)
    reports = list(train_steps(mlp(), TrainConfig(batch_size=32, epochs=2), images))
    assert [r.step for r in reports] == list(range(1, 9))  # ceil(100/32) = 4 steps per epoch
    assert [r.epoch for r in reports] == [1] * 4 + [2] * 4
    assert [r.epoch_fraction for r in reports] == [0.25, 0.5, 0.75, 1.0] * 2
    assert [r.fraction for r in reports] == [s / 8 for s in range(1, 9)]
    assert [r.done for r in reports] == [False] * 7 + [True]
    for r in reports:
        assert r.total_steps == 8 and r.epochs == 2 and r.stopped_reason is None
        assert r.elbo == pytest.approx(-(r.recon + r.kl)) and r.loss == pytest.approx(r.recon + r.kl)
        assert r.samples_per_s > 0 and r.elapsed_s > 0 and r.message
    assert reports[0].message.startswith("epoch 1/2 · step 1/8 · loss")
    assert reports[-1].message.startswith("finished")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reports[0].step = 3  # type: ignore[misc]


def test_report_every_max_steps_and_averaging():
    """report_every k yields every k steps plus the last; max_steps caps the run; metrics are averaged."""
    images, _ = bars(64)
    config = TrainConfig(batch_size=8, epochs=3, report_every=5, max_steps=17)
    every = list(train_steps(mlp(), config, images))
    assert [r.step for r in every] == [5, 10, 15, 17] and every[-1].done and every[-1].fraction == 1.0
    single = list(train_steps(mlp(), TrainConfig(batch_size=8, epochs=3, max_steps=17), images))
    assert every[0].loss == pytest.approx(np.mean([r.loss for r in single[:5]]), rel=1e-5)
    assert every[-1].loss == pytest.approx(np.mean([r.loss for r in single[15:]]), rel=1e-5)


def test_deterministic_with_seed():
    """Same initial weights and seed → identical reports and weights; another seed shuffles differently."""
    images, _ = bars(96)
    cfg = TrainConfig(lr=5e-3, batch_size=16, epochs=2, seed=11)
    runs = []
    for seed in (11, 11, 12):
        model = mlp(seed=0)
        reports = [without_timing(r) for r in train_steps(model, dataclasses.replace(cfg, seed=seed), images)]
        runs.append((reports, weights(model)))
    assert runs[0][0] == runs[1][0] and same(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0] and not same(runs[0][1], runs[2][1])


def run_recording(model, config, images):
    """Train, recording the weights after every report (history[s] = weights after s steps)."""
    history = {0: weights(model)}
    reports = []
    for report in train_steps(model, config, images):
        reports.append(report)
        if report.stopped_reason is None:
            history[report.step] = weights(model)
    return reports, history


def test_nan_guard_huge_learning_rate():
    """lr=1e6 diverges: training stops with a reason and the weights are finite, the last good ones."""
    images, _ = bars(128)
    model = mlp()
    reports, history = run_recording(model, TrainConfig(lr=1e6, batch_size=16, epochs=5), images)
    last = reports[-1]
    assert last.done and last.stopped_reason and "learning rate 1e+06" in last.stopped_reason
    assert last.step < last.total_steps and not math.isfinite(last.loss)
    assert last.message.startswith("stopped")
    assert all(r.stopped_reason is None for r in reports[:-1])
    # the loss of step S was not finite: the last weights that gave a finite loss are those after S-2 steps
    assert last.restored_step == last.step - 2
    now = weights(model)
    assert all(torch.isfinite(t).all() for t in now.values())
    assert same(now, history[last.restored_step])


@pytest.mark.parametrize("guard_every", [1, 3])
def test_nan_guard_injected_nan(guard_every):
    """A NaN from the decoder at step 7 rolls back to the last guarded weights (at most guard_every back)."""
    images, _ = bars(128)
    model = mlp()
    original, calls = model.decode, []

    def poisoned(z):
        calls.append(1)
        out = original(z)
        return out * math.nan if len(calls) == 7 else out

    model.decode = poisoned
    config = TrainConfig(batch_size=16, epochs=2, guard_every=guard_every)
    reports, history = run_recording(model, config, images)
    last = reports[-1]
    assert last.step == 7 and "nan" in last.stopped_reason and len(reports) == 7
    expected = {1: 5, 3: 3}[guard_every]  # guard copies are taken at steps 1, 4, 7, … for guard_every=3
    assert last.restored_step == expected
    assert same(weights(model), history[expected])


def test_close_keeps_latest_weights():
    """Closing the generator stops training at once; the model keeps the weights of the last report."""
    images, _ = bars(96)
    model = mlp()
    model.eval()
    gen = train_steps(model, TrainConfig(batch_size=16, epochs=3), images)
    for _ in range(3):
        report = next(gen)
    snapshot = weights(model)
    gen.close()
    assert report.step == 3 and same(weights(model), snapshot)
    assert not same(snapshot, weights(mlp()))
    assert not model.training  # its previous mode is given back


# ----- urgent: steps split into layer-sized chunks while a request waits ---------------------------
def reports_and_nones(gen) -> tuple[list, list]:
    items = list(gen)
    return [r for r in items if r is not None], items


@pytest.mark.parametrize("kind", ["mlp-vae", "conv-vae", "mlp-ae", "conv-ae"])
@pytest.mark.parametrize("decoder", ["bernoulli", "gaussian"])
def test_urgent_split_steps_give_the_same_training(kind, decoder, monkeypatch):
    """urgent always true: the same weights and reports (to float rounding) as whole steps, with None
    yielded between chunks; never None without it. CHUNK_MACS = 1 puts every piece in its own chunk
    (and does each big group's backward in two calls)."""
    import vaeviz.core.vae.train_split as split_module

    images, _ = bars(160)
    config = TrainConfig(lr=5e-3, batch_size=80, epochs=2, seed=3, beta=0.5)
    runs = {}
    for name, urgent, chunk in (("plain", None, None), ("calm", lambda: False, None),
                                ("split", lambda: True, None), ("fine", lambda: True, 1)):
        if chunk is not None:
            monkeypatch.setattr(split_module, "CHUNK_MACS", chunk)
        model = mlp(kind, seed=1, decoder=decoder)
        runs[name] = (*reports_and_nones(train_steps(model, config, images, urgent=urgent)), weights(model))
    full, full_items, full_w = runs["calm"]
    assert None not in full_items and len(full) == 4
    assert [without_timing(r) for r in full] == [without_timing(r) for r in runs["plain"][0]]
    assert same(full_w, runs["plain"][2])
    split_items = runs["split"][1]  # tiny model: one chunk per step, then a pause before the optimiser
    assert split_items == [x for r in runs["split"][0] for x in (None, r)]
    assert all(n >= 8 for n in _nones_per_step(runs["fine"][1]))
    assert not same(full_w, weights(mlp(kind, seed=1, decoder=decoder)))
    for name in ("split", "fine"):
        reports, _, w = runs[name]
        assert [r.step for r in reports] == [1, 2, 3, 4] and reports[-1].done
        for a, b in zip(full, reports, strict=True):
            assert a.loss == pytest.approx(b.loss, rel=1e-5)
            assert a.kl == pytest.approx(b.kl, rel=1e-4, abs=1e-6)
        for key in full_w:
            torch.testing.assert_close(w[key], full_w[key], rtol=1e-5, atol=1e-5)


def _nones_per_step(items: list) -> list[int]:
    counts, n = [], 0
    for item in items:
        if item is None:
            n += 1
        else:
            counts.append(n)
            n = 0
    return counts


def test_urgent_hold_and_pause_after_the_optimiser(monkeypatch):
    """A step splits when urgent now or within URGENT_HOLD_S; a split step without a report pauses after
    the optimiser step too; a model the splitter does not know trains in whole steps."""
    import vaeviz.core.vae.train as train_module
    from vaeviz.core.vae.models import LatentModel
    from vaeviz.core.vae.train_split import split_plan

    images, _ = bars(128)
    calls = []

    def once() -> bool:  # urgent only at the first look
        calls.append(1)
        return len(calls) == 1

    config = TrainConfig(batch_size=64, epochs=2, seed=0)
    # a hold longer than any run (the real one lasts 0.25 s: a slow machine may take longer for 4 steps)
    monkeypatch.setattr(train_module, "URGENT_HOLD_S", 3600.0)
    _, items = reports_and_nones(train_steps(mlp(), config, images, urgent=once))
    assert items.count(None) == 4  # held: all 4 steps split (one chunk each for this tiny model)
    _, items = reports_and_nones(train_steps(mlp(), dataclasses.replace(config, report_every=2), images,
                                             urgent=lambda: True))
    assert _nones_per_step(items) == [3, 3]  # step 1: before and after the optimiser; step 2: before
    monkeypatch.setattr(train_module, "URGENT_HOLD_S", 0.0)
    calls.clear()
    _, items = reports_and_nones(train_steps(mlp(), config, images, urgent=once))
    assert items.count(None) == 1  # only the first step

    class Custom(LatentModel):
        pass

    model = mlp()
    model.__class__ = Custom
    assert split_plan(model) is None
    _, items = reports_and_nones(train_steps(model, config, images, urgent=lambda: True))
    assert None not in items


def test_urgent_nan_guard_and_close():
    """Split steps keep the NaN guard, and closing at a None keeps the last step's weights."""
    images, _ = bars(128)
    model = mlp()
    history, reports = {0: weights(model)}, []
    config = TrainConfig(lr=1e6, batch_size=64, epochs=20)
    for item in train_steps(model, config, images, urgent=lambda: True):
        if item is not None:
            reports.append(item)
            if item.stopped_reason is None:
                history[item.step] = weights(model)
    last = reports[-1]
    assert last.stopped_reason and last.step < last.total_steps
    assert same(weights(model), history[last.restored_step])

    model = mlp()
    model.eval()
    gen = train_steps(model, TrainConfig(batch_size=64, epochs=3), images, urgent=lambda: True)
    items = [next(gen) for _ in range(7)]  # None, report 1, None, report 2, None, report 3, None
    assert items[0] is None and items[1].step == 1 and items[3].step == 2 and items[6] is None
    snapshot = weights(model)
    gen.close()
    assert same(weights(model), snapshot) and not model.training


def test_input_forms():
    """(N, H, W) grey images and torch tensors are accepted like (N, C, H, W) numpy arrays."""
    images, _ = bars(32)
    a = [without_timing(r) for r in train_steps(mlp(), TrainConfig(epochs=1), images)]
    b = [without_timing(r) for r in train_steps(mlp(), TrainConfig(epochs=1), images[:, 0])]
    c = [without_timing(r) for r in train_steps(mlp(), TrainConfig(epochs=1), torch.from_numpy(images))]
    assert a == b == c


@pytest.mark.parametrize("images, labels, words", [
    (np.zeros((4, 1, 9, 9), np.float32), None, "the model needs (N, 1, 8, 8)"),
    (np.zeros((4, 1, 8, 8), np.uint8), None, "floats"),
    (np.full((4, 1, 8, 8), 2.0, np.float32), None, "[0, 1]"),
    (np.full((4, 1, 8, 8), np.nan, np.float32), None, "[0, 1]"),
    (np.zeros((0, 1, 8, 8), np.float32), None, "empty"),
    (np.zeros((4, 1, 8, 8), np.float32), [1, 2], "2 labels for 4 images"),
    ([[0.0]], None, "numpy array or a tensor"),
])
def test_bad_data_is_refused_at_call_time(images, labels, words):
    """Bad data raises ValueError when train_steps is called, before any training."""
    with pytest.raises(ValueError) as err:
        train_steps(mlp(), TrainConfig(), images, labels)
    assert words in str(err.value)


@pytest.mark.parametrize("field, value", [("lr", 0.0), ("lr", math.inf), ("batch_size", 0), ("epochs", 0),
                                          ("report_every", 0), ("guard_every", 1.5), ("max_steps", 0),
                                          ("beta", -1.0)])
def test_train_config_validation(field, value):
    """Invalid training settings are ValueErrors naming the field."""
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_encode_dataset_matches_encode_in_batches():
    """encode_dataset equals one big encode, whatever the batch size; AEs give logvar = -inf."""
    images, _ = bars(50)
    model = mlp()
    mu, logvar = encode_dataset(model, images, batch=7)
    with torch.no_grad():
        ref_mu, ref_logvar = model.encode(torch.from_numpy(images))
    assert mu.shape == logvar.shape == (50, 2) and mu.dtype == np.float32
    np.testing.assert_allclose(mu, ref_mu.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logvar, ref_logvar.numpy(), rtol=1e-5, atol=1e-6)
    ae_mu, ae_logvar = encode_dataset(mlp("mlp-ae"), images[:, 0], device="cpu")
    assert ae_mu.shape == (50, 2) and np.isneginf(ae_logvar).all()
    empty_mu, _ = encode_dataset(model, images[:0])
    assert empty_mu.shape == (0, 2)


def test_encode_in_pieces_yields_between_small_pieces_only_when_urgent(monkeypatch):
    """While urgent: pieces of about CHUNK_MACS with a None (preemption point) after each, no eval mode
    held across a yield, the same encodings; when calm: whole batches and no yields."""
    from vaeviz.core.jobs import drain
    from vaeviz.core.vae import decoding

    images, _ = bars(50)
    model = mlp()
    per_image = sum(p.numel() for p in model.encoder.parameters())
    monkeypatch.setattr(decoding, "CHUNK_MACS", 8 * per_image)  # 8 images a piece
    model.train()
    gen = decoding.encode_in_pieces(model, images, batch=1024, urgent=lambda: True)
    nones = 0
    for item in gen_items(gen):
        assert item is None and model.training and torch.is_grad_enabled()  # nothing leaks across yields
        nones += 1
    mu, logvar = drain(decoding.encode_in_pieces(model, images, urgent=lambda: True))[0]
    ref_mu, ref_logvar = encode_dataset(model, images)
    assert nones == 7  # ceil(50 / 8)
    np.testing.assert_allclose(mu, ref_mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logvar, ref_logvar, rtol=1e-5, atol=1e-6)
    assert list(gen_items(decoding.encode_in_pieces(model, images, urgent=lambda: False))) == []


def gen_items(gen):
    """The items a generator yields (its return value is dropped)."""
    while True:
        try:
            yield next(gen)
        except StopIteration:
            return


def test_latent_grid_layout():
    """Rows run from high to low z2 (top to bottom), columns from low to high z1; other dims at base."""
    grid = latent_grid(2.0, 3)
    assert grid.shape == (9, 2)
    np.testing.assert_allclose(grid[0], [-2, 2])
    np.testing.assert_allclose(grid[2], [2, 2])
    np.testing.assert_allclose(grid[8], [2, -2])
    g3 = latent_grid((-1.0, 1.0), 2, latent_dim=3, dims=(2, 0), base=[0.5, 0.5, 0.5])
    np.testing.assert_allclose(g3, [[1, 0.5, -1], [1, 0.5, 1], [-1, 0.5, -1], [-1, 0.5, 1]])
    assert latent_grid(1.0, 4, latent_dim=1).shape == (4, 1)
    with pytest.raises(ValueError):
        latent_grid(1.0, 3, dims=(0, 0))


def test_decode_grid_and_points():
    """decode_grid is decode_points of latent_grid; images are (n*n, H, W) in [0, 1]."""
    model = mlp(kind="conv-vae")
    grid = decode_grid(model, 3.0, 5)
    assert grid.shape == (25, 8, 8) and grid.dtype == np.float32
    assert 0.0 <= grid.min() and grid.max() <= 1.0
    exact = decode_points(model, latent_grid(3.0, 5))
    np.testing.assert_allclose(decode_grid(model, 3.0, 5, fast=False), exact, rtol=1e-6)
    # Display precision (bfloat16 where the CPU has it natively) stays within 0.03, ~8 of 255 grey levels.
    np.testing.assert_allclose(grid, exact, atol=0.03)
    with torch.no_grad():
        one = model.decode_image(torch.tensor([[-3.0, 3.0]]))[0, 0].numpy()
    np.testing.assert_allclose(exact[0], one, rtol=1e-5, atol=1e-6)
    assert decode_points(model, [0.0, 0.0]).shape == (1, 8, 8)
    assert decode_points(model, np.zeros((0, 2))).shape == (0, 8, 8)
    with pytest.raises(ValueError, match="needs"):
        decode_points(model, np.zeros((3, 5)))


def test_decode_colour_and_one_dimensional_latent():
    """Colour images come back channel-last; a 1-D latent space gives one row of n images."""
    colour = build_model(ModelConfig(image_shape=(3, 4, 4), hidden=(8,)), seed=0)
    assert decode_grid(colour, 2.0, 3).shape == (9, 4, 4, 3)
    line = build_model(ModelConfig(image_shape=(1, 4, 4), hidden=(8,), latent_dim=1), seed=0)
    assert decode_grid(line, 2.0, 6).shape == (6, 4, 4)


def test_evaluating_switches_to_eval_only_where_it_changes_the_output():
    """Dropout/normalisation layers see eval mode (and get train mode back); other models are left as they
    are (switching walks every module: ~70 µs per decode while dragging)."""
    from torch import nn

    from vaeviz.core.vae.decoding import _evaluating

    drop = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train()
    with _evaluating(drop):
        assert not drop.training and not drop[1].training and not torch.is_grad_enabled()
    assert drop.training and drop[1].training
    plain = nn.Sequential(nn.Linear(2, 2), nn.ReLU()).train()
    with _evaluating(plain):
        assert plain.training and torch.is_inference_mode_enabled()
    assert plain.training

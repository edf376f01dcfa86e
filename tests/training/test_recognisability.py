"""training.recognisability: 1-NN accuracy of reconstructions over originals, stored in the checkpoint."""

from __future__ import annotations

import numpy as np

from training.recognisability import main, nearest_neighbour_labels
from vaeviz.core.vae.checkpoint import read_metadata, save_checkpoint
from vaeviz.core.vae.models import ModelConfig, build_model


def test_nearest_neighbour_labels_equal_brute_force():
    rng = np.random.default_rng(0)
    refs, queries = rng.uniform(size=(60, 4, 4)), rng.uniform(size=(25, 4, 4))
    labels = rng.integers(5, size=60)
    distances = ((queries.reshape(25, 1, 16) - refs.reshape(1, 60, 16)) ** 2).sum(axis=2)
    expected = labels[np.argmin(distances, axis=1)]
    assert np.array_equal(nearest_neighbour_labels(queries, refs, labels, batch=7), expected)


def test_the_cli_writes_the_figure_into_the_checkpoint_and_keeps_the_weights(tmp_path, capsys):
    model = build_model(ModelConfig(kind="mlp-vae", hidden=(32,)), seed=0)
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, dataset="mnist-t10k", metrics={"elbo": -200.0})
    before = path.read_bytes()
    assert main([str(path), "--train", "9000", "--reference", "300"]) == 0
    meta = read_metadata(path)
    figure = meta.metrics["recognisability"]
    assert meta.metrics["elbo"] == -200.0 and meta.dataset == "mnist-t10k"
    assert figure["n_test"] == 1000 and figure["n_reference"] == 300 and figure["held_out"] == [9000, 10000]
    assert 0.5 < figure["originals"] <= 1.0  # 1-NN on real digits
    assert figure["ratio"] == round(figure["reconstructions"] / figure["originals"], 4)
    assert figure["ratio"] < 0.5  # an untrained model's reconstructions are not digits
    assert path.read_bytes() != before and " = " in capsys.readouterr().out


def test_bad_arguments_exit_with_status_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing.safetensors")]) == 2
    assert main([str(tmp_path / "x.safetensors"), "--train", "20000"]) == 2

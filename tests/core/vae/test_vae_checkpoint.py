"""core/vae/checkpoint.py: safetensors round trip with metadata, and every refusal (never unpickling)."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import pytest
import safetensors
import safetensors.torch
import torch

import vaeviz
from vaeviz.core.vae import checkpoint
from vaeviz.core.vae.checkpoint import (
    CheckpointError,
    CheckpointMetadata,
    load_checkpoint,
    read_metadata,
    save_checkpoint,
)
from vaeviz.core.vae.models import KINDS, ModelConfig, build_model


def config(kind: str = "mlp-vae", **kw) -> ModelConfig:
    return ModelConfig(kind=kind, image_shape=(1, 8, 8), hidden=(16,), channels=(4, 8), **kw)


class MakesMarker:
    """Unpickling this object creates a folder: proof that code in a pickle ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


@pytest.fixture
def saved(tmp_path):
    model = build_model(config(), seed=0)
    path = save_checkpoint(tmp_path / "model.safetensors", model, dataset="bars", epoch=3,
                           metrics={"loss": 12.5, "elbo": -12.0}, extra={"note": "é"})
    return path, model


@pytest.fixture
def no_unpickling(monkeypatch):
    """Make every unpickling entry point fail loudly, to prove the loader never reaches one."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the checkpoint loader tried to unpickle")

    for module, name in ((torch, "load"), (pickle, "load"), (pickle, "loads"), (pickle, "Unpickler")):
        monkeypatch.setattr(module, name, forbidden)


def rewrite(path, tensors=None, metadata=None):
    """Re-save a checkpoint with changed tensors and/or metadata (as a tampered or foreign file)."""
    with safetensors.safe_open(str(path), "pt") as fh:
        old_meta = fh.metadata()
        old = {k: fh.get_tensor(k) for k in fh.keys()}
    safetensors.torch.save_file(tensors if tensors is not None else old, str(path),
                                metadata=old_meta if metadata is None else metadata)


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_gives_the_same_outputs(tmp_path, kind):
    """A loaded checkpoint encodes and decodes exactly like the saved model, for every kind."""
    model = build_model(config(kind, decoder="gaussian", beta=2.0), seed=1)
    path = save_checkpoint(tmp_path / "m.safetensors", model)
    loaded, meta = load_checkpoint(path, expected_config=model.config)
    assert meta.config == model.config and not loaded.training
    x, z = torch.rand(5, 1, 8, 8), torch.randn(5, 2)
    with torch.no_grad():
        for a, b in zip(model.encode(x), loaded.encode(x), strict=True):
            assert torch.equal(a, b)
        assert torch.equal(model.decode_image(z), loaded.decode_image(z))
    assert os.listdir(tmp_path) == ["m.safetensors"]  # no temporary file left behind


def test_metadata_is_in_the_safetensors_header(saved):
    """One file: the header's string map holds the config (JSON), data set, epoch, metrics and versions."""
    path, model = saved
    with safetensors.safe_open(str(path), "pt") as fh:
        header = fh.metadata()
    assert all(isinstance(v, str) for v in header.values())
    assert json.loads(header["config"]) == model.config.to_dict()
    assert header["dataset"] == "bars" and header["epoch"] == "3"
    assert header["vaeviz_version"] == vaeviz.__version__ and header["torch_version"] == torch.__version__
    meta = read_metadata(path)
    assert meta == CheckpointMetadata(config=model.config, dataset="bars", epoch=3,
                                      metrics={"loss": 12.5, "elbo": -12.0},
                                      vaeviz_version=vaeviz.__version__, torch_version=torch.__version__,
                                      format_version=1, extra={"note": "é"})


def test_save_replaces_atomically_and_fails_cleanly(tmp_path, saved):
    """Saving over a checkpoint replaces it whole; an unwritable target raises OSError and writes nothing."""
    path, _ = saved
    other = build_model(config(latent_dim=3), seed=2)
    save_checkpoint(path, other, epoch=9)
    assert read_metadata(path).config.latent_dim == 3 and read_metadata(path).epoch == 9
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "missing" / "m.safetensors", other)
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]


def test_save_refuses_pickle_names_and_non_finite_weights(tmp_path):
    """Saving as .pt is refused (we never write pickles); NaN weights could never be loaded back."""
    model = build_model(config(), seed=0)
    with pytest.raises(CheckpointError, match="pickle"):
        save_checkpoint(tmp_path / "model.pt", model)
    with torch.no_grad():
        model.mu_head.weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match="non-finite"):
        save_checkpoint(tmp_path / "model.safetensors", model)
    assert os.listdir(tmp_path) == []


def test_architecture_mismatch_is_explained(saved):
    """Loading for another architecture names both; β and σ are not architecture."""
    path, _ = saved
    rewrite(path, tensors=build_model(config("conv-vae")).state_dict(),
            metadata={**read_header(path), "config": json.dumps(config("conv-vae").to_dict())})
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, expected_config=config("mlp-vae", latent_dim=3))
    message = str(err.value)
    assert "checkpoint is for conv-vae latent 2" in message and "this view needs mlp-vae latent 3" in message
    assert "kind" in message and "latent_dim" in message
    model, _ = load_checkpoint(path, expected_config=config("conv-vae", beta=5.0, decoder_sigma=0.3))
    assert model.config.kind == "conv-vae"


def read_header(path) -> dict:
    with safetensors.safe_open(str(path), "pt") as fh:
        return fh.metadata()


@pytest.mark.parametrize("change, words", [
    (lambda t: t.pop("mu_head.bias"), "missing tensors mu_head.bias"),
    (lambda t: t.update(extra=torch.zeros(2)), "unexpected tensors extra"),
    (lambda t: t.update({"mu_head.weight": torch.zeros(2, 17)}), "'mu_head.weight' has shape (2, 17)"),
    (lambda t: t.update({"mu_head.bias": torch.tensor([1.0, float("inf")])}), "NaN or infinite"),
    (lambda t: t.update({"mu_head.bias": torch.tensor([1, 2])}), "floating point"),
])
def test_tensor_names_and_shapes_are_checked(saved, change, words, no_unpickling):
    """Missing, unexpected, misshapen, non-finite or integer tensors are refused with their names."""
    path, model = saved
    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    change(tensors)
    rewrite(path, tensors=tensors)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert words in str(err.value)


@pytest.mark.parametrize("metadata, words", [
    (None, "no vaeviz metadata"),
    ({"format": "something-else"}, "no vaeviz metadata"),
    ({"format": checkpoint.FORMAT, "format_version": "2"}, "newer vaeviz"),
    ({"format": checkpoint.FORMAT, "format_version": "x"}, "format version"),
    ({"format": checkpoint.FORMAT, "format_version": "1", "config": "{nope"}, "'config' is not valid JSON"),
    ({"format": checkpoint.FORMAT, "format_version": "1", "config": '{"kind": "gan"}'}, "unknown model kind"),
    ({"format": checkpoint.FORMAT, "format_version": "1"}, "has no model config"),
])
def test_missing_or_bad_metadata(tmp_path, metadata, words):
    """A plain safetensors file, another format or broken metadata is refused with the reason."""
    path = tmp_path / "weights.safetensors"
    safetensors.torch.save_file(build_model(config()).state_dict(), str(path), metadata=metadata)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert words in str(err.value)


@pytest.mark.parametrize("cut", [0, 5, 9, 40, -1])
def test_truncated_files(saved, cut, no_unpickling):
    """A file cut anywhere (empty, inside the length, the header or the tensor data) is refused."""
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut >= 0 else data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt|truncated|not a safetensors"):
        load_checkpoint(path)


def test_corrupt_header_and_garbage(saved, tmp_path, no_unpickling):
    """A damaged JSON header or random bytes are refused as not-safetensors."""
    path, _ = saved
    data = bytearray(path.read_bytes())
    data[8:12] = b"{{{{"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_checkpoint(path)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError):
        load_checkpoint(garbage)


def test_missing_file(tmp_path):
    """A file that does not exist is a CheckpointError naming it."""
    with pytest.raises(CheckpointError, match="cannot read nothing.safetensors"):
        load_checkpoint(tmp_path / "nothing.safetensors")


def test_the_marker_pickle_is_live(tmp_path):
    """Control: unpickling the payload really creates the marker (so its absence below means something)."""
    marker = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(MakesMarker(marker)))
    assert marker.exists()


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".pkl", ".ckpt", ".PT"])
def test_pickle_extensions_are_refused_unread(tmp_path, suffix, no_unpickling):
    """A .pt/.pth/pickle file carrying code is refused by its name; the code never runs."""
    marker = tmp_path / "marker"
    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle.dumps(MakesMarker(marker)))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="pickle"):
        read_metadata(path)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_pickles_disguised_as_safetensors_are_refused(tmp_path, protocol, no_unpickling):
    """A pickle renamed .safetensors is recognised by its bytes (or fails as non-safetensors); no code
    runs."""
    marker = tmp_path / "marker"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(MakesMarker(marker), protocol=protocol))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, expected_config=config())
    if protocol >= 2:
        assert "pickle" in str(err.value)
    assert not marker.exists()


def test_torch_save_zip_disguised_as_safetensors_is_refused(tmp_path, monkeypatch):
    """A torch.save file (a zip holding a pickle) with a harmless name is refused by its magic bytes."""
    marker = tmp_path / "marker"
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(2), "payload": MakesMarker(marker)}, buffer)
    assert zipfile.is_zipfile(io.BytesIO(buffer.getvalue()))
    path = tmp_path / "model.safetensors"
    path.write_bytes(buffer.getvalue())
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    with pytest.raises(CheckpointError, match="zip archive"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("hidden, words", [
    ((3000, 3000), "does not match its own architecture"),  # within the limit, not what the file holds
    ((12000, 12000), "the limit is 25,000,000"),  # cost +1.17 GB before it was refused
    ((60000, 60000), "the limit is 25,000,000"),  # asked for 14.4 GB at once
])
def test_metadata_cannot_decide_memory_before_it_is_checked(saved, hidden, words, no_unpickling):
    """A small file whose metadata claims huge layers is refused before any model is built."""
    import tracemalloc

    path, _model = saved
    with safetensors.safe_open(str(path), "pt") as fh:
        meta = fh.metadata()
    big = dict(json.loads(meta["config"]), hidden=list(hidden))
    rewrite(path, metadata=dict(meta, config=json.dumps(big)))
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=words):
            load_checkpoint(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20
    assert path.stat().st_size < 20_000

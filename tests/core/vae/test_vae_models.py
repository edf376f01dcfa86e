"""core/vae/models.py: ModelConfig validation and JSON round trip, the four model kinds, reparameterise."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import pytest
import torch

from vaeviz.core.vae.models import (
    KINDS,
    Autoencoder,
    LatentModel,
    ModelConfig,
    build_model,
    reparameterise,
)

SMALL = {"hidden": (16,), "channels": (4, 8)}


def small(kind: str, shape=(1, 8, 8), **kw) -> ModelConfig:
    return ModelConfig(kind=kind, image_shape=shape, **{**SMALL, **kw})


def test_defaults():
    """The default is an MLP VAE for MNIST-sized images with a 2-D latent space and a Bernoulli decoder."""
    cfg = ModelConfig()
    assert (cfg.kind, cfg.image_shape, cfg.latent_dim, cfg.decoder, cfg.beta) == (
        "mlp-vae", (1, 28, 28), 2, "bernoulli", 1.0)
    assert cfg.variational and not cfg.convolutional
    assert not ModelConfig(kind="conv-ae").variational and ModelConfig(kind="conv-ae").convolutional


@pytest.mark.parametrize("kind", KINDS)
def test_dict_round_trip_through_json(kind):
    """to_dict is JSON-ready; from_dict(json) gives back an equal (hashable) config."""
    cfg = ModelConfig(kind=kind, image_shape=(3, 32, 32), latent_dim=5, hidden=(64, 32), channels=(8, 16),
                      decoder="gaussian", beta=4.0, decoder_sigma=0.2)
    back = ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg and hash(back) == hash(cfg)
    assert isinstance(back.image_shape, tuple) and isinstance(back.hidden, tuple)


def test_from_dict_defaults_and_integer_floats():
    """Missing fields take defaults; JSON integers are accepted for float fields."""
    cfg = ModelConfig.from_dict({"kind": "conv-vae", "beta": 2})
    assert cfg == ModelConfig(kind="conv-vae", beta=2.0) and isinstance(cfg.beta, float)


@pytest.mark.parametrize("data, words", [
    ([1, 2], "JSON object"),
    ({}, "no 'kind'"),
    ({"kind": "gan"}, "unknown model kind"),
    ({"kind": "mlp-vae", "colour": 1}, "unknown model config field"),
    ({"kind": "mlp-vae", "image_shape": [28, 28]}, "(C, H, W)"),
    ({"kind": "mlp-vae", "image_shape": [1, 0, 28]}, "positive"),
    ({"kind": "mlp-vae", "image_shape": "28x28"}, "list of integers"),
    ({"kind": "conv-vae", "image_shape": [1, 30, 30]}, "divisible by 4"),
    ({"kind": "conv-vae", "channels": []}, "at least one"),
    ({"kind": "mlp-vae", "latent_dim": 0}, "latent_dim"),
    ({"kind": "mlp-vae", "latent_dim": True}, "latent_dim"),
    ({"kind": "mlp-vae", "hidden": [64, -1]}, "hidden"),
    ({"kind": "mlp-vae", "decoder": "poisson"}, "unknown decoder"),
    ({"kind": "mlp-vae", "beta": -1}, "beta"),
    ({"kind": "mlp-vae", "beta": float("nan")}, "beta"),
    ({"kind": "mlp-vae", "decoder_sigma": 0}, "decoder_sigma"),
])
def test_from_dict_rejects_with_clear_message(data, words):
    """Every invalid config is a ValueError whose message names the problem."""
    with pytest.raises(ValueError) as err:
        ModelConfig.from_dict(data)
    assert words in str(err.value)


def test_config_is_frozen_and_describes_itself():
    """Configs are immutable; describe() names kind, latent size and shape for user messages."""
    cfg = ModelConfig(kind="conv-vae")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.latent_dim = 3  # type: ignore[misc]
    text = cfg.describe()
    assert text.startswith("conv-vae latent 2") and "1×28×28" in text
    assert set(cfg.architecture()) == {"kind", "image_shape", "latent_dim", "hidden", "channels", "decoder"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 12)])
def test_shapes_for_every_kind(kind, shape):
    """encode/forward/decode/decode_image have the documented shapes; images are in [0, 1]."""
    model = build_model(small(kind, shape, latent_dim=3), seed=0)
    x = torch.rand(4, *shape)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (4, 3)
    out = model(x)
    assert out.z.shape == (4, 3) and out.decoded.shape == (4, *shape)
    img = model.decode_image(out.z)
    assert img.shape == (4, *shape) and 0.0 <= img.min() and img.max() <= 1.0
    assert model.sample(5).shape == (5, *shape)
    assert isinstance(model, Autoencoder) == kind.endswith("-ae")


@pytest.mark.parametrize("kind", ["mlp-ae", "conv-ae"])
def test_autoencoder_is_the_sigma_zero_limit(kind):
    """An AE's logvar is -inf (σ = 0 exactly), its z is mu, and it has no variance head."""
    model = build_model(small(kind), seed=0)
    x = torch.rand(3, 1, 8, 8)
    mu, logvar = model.encode(x)
    assert torch.isneginf(logvar).all()
    assert torch.equal(torch.exp(0.5 * logvar), torch.zeros_like(mu))
    out = model(x)
    assert torch.equal(out.z, mu)
    assert torch.equal(model.reparameterise(mu, logvar, torch.randn_like(mu)), mu)
    assert not any("logvar" in name for name in model.state_dict())


def test_ae_has_the_same_encoder_and_decoder_as_the_vae():
    """The AE differs from the VAE of the same config only by the missing variance head."""
    vae = set(build_model(small("conv-vae")).state_dict())
    ae = set(build_model(small("conv-ae")).state_dict())
    assert vae - ae == {"logvar_head.weight", "logvar_head.bias"} and ae < vae


def test_reparameterise_with_given_eps():
    """z = mu + exp(0.5·logvar)·eps, element by element, with the given eps."""
    mu = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    logvar = torch.tensor([[0.0, math.log(4.0)], [math.log(0.25), -2.0]])
    eps = torch.tensor([[1.0, 1.5], [-2.0, 0.3]])
    sigma = torch.tensor([[1.0, 2.0], [0.5, math.exp(-1.0)]])
    expected = mu + sigma * eps
    torch.testing.assert_close(reparameterise(mu, logvar, eps), expected)
    model = build_model(small("mlp-vae"))
    torch.testing.assert_close(model.reparameterise(mu, logvar, eps), expected)


def test_reparameterise_draws_reproducible_noise_and_checks_shape():
    """Without eps it draws N(0, 1) from the generator; a wrongly shaped eps is refused."""
    mu, logvar = torch.zeros(1000, 2), torch.zeros(1000, 2)
    a = reparameterise(mu, logvar, generator=torch.Generator().manual_seed(1))
    b = reparameterise(mu, logvar, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and abs(float(a.mean())) < 0.1 and abs(float(a.std()) - 1) < 0.1
    with pytest.raises(ValueError, match="eps has shape"):
        reparameterise(mu, logvar, torch.zeros(3, 2))


def test_forward_uses_given_eps():
    """forward(x, eps) decodes exactly mu + σ·eps."""
    model = build_model(small("mlp-vae"), seed=0)
    x = torch.rand(2, 1, 8, 8)
    eps = torch.randn(2, 2)
    mu, logvar = model.encode(x)
    out = model(x, eps=eps)
    torch.testing.assert_close(out.z, mu + torch.exp(0.5 * logvar) * eps)
    torch.testing.assert_close(out.decoded, model.decode(out.z))


def test_decoders():
    """Bernoulli decode returns logits (sigmoid gives the image); Gaussian decode returns the mean itself."""
    z = torch.randn(4, 2) * 3
    bern = build_model(small("mlp-vae"), seed=0)
    torch.testing.assert_close(bern.decode_image(z), torch.sigmoid(bern.decode(z)))
    gauss = build_model(small("mlp-vae", decoder="gaussian"), seed=0)
    mean = gauss.decode(z)
    assert 0.0 <= mean.min() and mean.max() <= 1.0
    torch.testing.assert_close(gauss.decode_image(z), mean)


def test_build_model_seed_is_deterministic_and_local():
    """Same seed → same weights; the global RNG is left as it was."""
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = build_model(small("conv-vae"), seed=7).state_dict()
    b = build_model(small("conv-vae"), seed=7).state_dict()
    c = build_model(small("conv-vae"), seed=8).state_dict()
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    assert isinstance(build_model(small("conv-vae")), LatentModel)


def test_package_does_not_import_torch_or_qt():
    """Importing vaeviz.core.vae is free; its modules import torch but never Qt, pyqtgraph, workers or ui."""
    code = (
        "import sys; import vaeviz.core.vae; assert 'torch' not in sys.modules, 'package imported torch'\n"
        "import vaeviz.core.vae.models, vaeviz.core.vae.loss\n"
        "import vaeviz.core.vae.train, vaeviz.core.vae.checkpoint\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')"
        " or m.startswith(('vaeviz.workers', 'vaeviz.ui'))]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

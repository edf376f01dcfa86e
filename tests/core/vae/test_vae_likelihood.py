"""Importance-sampled log p(x) against quadrature over the 2-D latent plane, and the ELBO below it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vaeviz.core.vae.likelihood import importance_log_px
from vaeviz.core.vae.loss import reconstruction_nll
from vaeviz.core.vae.models import ModelConfig, build_model
from vaeviz.core.vae.train import TrainConfig, train_steps


@pytest.fixture(scope="module")
def trained():
    """A small VAE trained a little on 8×8 bars, and one of its images."""
    rng = np.random.default_rng(0)
    protos = np.zeros((4, 8, 8), np.float32)
    protos[0, 1:3, :], protos[1, 5:7, :], protos[2, :, 1:3], protos[3, :, 5:7] = 1, 1, 1, 1
    images = np.clip(protos[rng.integers(0, 4, 256)] + rng.normal(0, 0.05, (256, 8, 8)), 0, 1)
    images = images.astype(np.float32)[:, None]
    model = build_model(ModelConfig(kind="mlp-vae", image_shape=(1, 8, 8), hidden=(32,)), seed=0)
    list(train_steps(model, TrainConfig(batch_size=32, epochs=20, lr=3e-3), images))
    return model.eval(), images[3, 0]


def _quadrature_log_px(model, image, half_width=6.0, n=601) -> float:
    """log ∫ p(x|z) p(z) dz on an n × n grid over [-w, w]² (the prior's mass outside is < 1e-8)."""
    axis = torch.linspace(-half_width, half_width, n)
    zz = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), dim=-1).reshape(-1, 2)
    x = torch.as_tensor(image).reshape(1, 1, 8, 8)
    with torch.no_grad():
        log_lik = torch.cat([-reconstruction_nll(model.decode(part), x.expand(len(part), 1, 8, 8))
                             for part in zz.split(40_000)])
    log_joint = log_lik.double() - 0.5 * (zz.double() ** 2).sum(1) - math.log(2 * math.pi)
    cell = float(axis[1] - axis[0]) ** 2
    return float(torch.logsumexp(log_joint, 0)) + math.log(cell)


def test_the_estimate_converges_to_the_quadrature_value_and_stays_above_the_elbo(trained):
    model, image = trained
    exact = _quadrature_log_px(model, image)
    est = importance_log_px(model, image, k=1000, seed=1)
    assert est.counts == (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
    assert abs(est.log_px[-1] - exact) <= max(4 * est.stderr[-1], 1e-3)
    assert est.elbo <= exact  # the ELBO is a lower bound on log p(x)
    assert est.elbo <= est.log_px[-1] + 4 * est.stderr[-1]
    assert math.isnan(est.stderr[0]) and est.stderr[-1] < est.stderr[2]


def test_with_one_sample_the_estimate_averages_to_the_elbo(trained):
    model, image = trained
    singles = [importance_log_px(model, image, k=1, seed=s).log_px[0] for s in range(400)]
    elbo = importance_log_px(model, image, k=4000, seed=0)
    spread = np.std(singles) / math.sqrt(len(singles))
    assert abs(np.mean(singles) - elbo.elbo) <= 4 * spread + 4 * elbo.elbo_stderr


def test_an_autoencoder_has_no_likelihood():
    model = build_model(ModelConfig(kind="mlp-ae", image_shape=(1, 8, 8), hidden=(16,)), seed=0)
    with pytest.raises(ValueError, match="autoencoder"):
        importance_log_px(model, np.zeros((8, 8), np.float32))

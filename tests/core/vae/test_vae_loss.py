"""core/vae/loss.py: the ELBO terms against a hand computation, and the reparameterised gradient."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vaeviz.core.vae.loss import elbo_terms, kl_divergence, reconstruction_nll, terms_from_output
from vaeviz.core.vae.models import ModelConfig, ModelOutput, build_model

# Three 2×2 images (4 pixels), values in [0, 1] including exact 0 and 1.
X = np.array([[0.0, 1.0, 0.5, 0.25], [1.0, 1.0, 0.0, 0.0], [0.2, 0.4, 0.6, 0.8]])


def tiny(latent: int, kind: str = "mlp-vae", **kw):
    """A linear VAE (no hidden layer) on 4-pixel images with fixed, hand-chosen weights."""
    model = build_model(ModelConfig(kind=kind, image_shape=(1, 2, 2), latent_dim=latent, hidden=(), **kw))
    rng = np.random.default_rng(latent)
    weights = {name: rng.uniform(-1.0, 1.0, size=tuple(t.shape)).round(2)
               for name, t in model.state_dict().items()}
    model.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in weights.items()})
    return model, weights


def by_hand(w, x, eps, decoder="bernoulli", sigma=0.1, variational=True):
    """The ELBO terms in numpy, written out from the formulas."""
    mu = x @ w["mu_head.weight"].T + w["mu_head.bias"]
    if variational:
        logvar = x @ w["logvar_head.weight"].T + w["logvar_head.bias"]
        z = mu + np.exp(0.5 * logvar) * eps
    else:
        logvar, z = None, mu
    out = z @ w["decoder.0.weight"].T + w["decoder.0.bias"]
    if decoder == "bernoulli":
        p = 1.0 / (1.0 + np.exp(-out))
        recon = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(1)
    else:
        mean = 1.0 / (1.0 + np.exp(-out))
        recon = (0.5 * ((x - mean) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi)).sum(1)
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1 - logvar).sum(1) if variational else np.zeros(len(x))
    return recon.mean(), kl.mean()


@pytest.mark.parametrize("latent", [1, 2])
@pytest.mark.parametrize("beta", [1.0, 4.0, 0.0])
def test_bernoulli_terms_equal_hand_computation(latent, beta):
    """recon = BCE summed over pixels, kl = ½Σ(μ²+σ²−1−log σ²), batch means; loss = recon + β·kl."""
    model, w = tiny(latent, beta=beta)
    eps = np.array([[0.3, -1.2], [1.0, 0.5], [-0.7, 2.0]])[:, :latent]
    terms = elbo_terms(model, torch.tensor(X, dtype=torch.float32).reshape(3, 1, 2, 2),
                       eps=torch.tensor(eps, dtype=torch.float32))
    recon, kl = by_hand(w, X, eps)
    got = terms.as_floats()
    assert got["recon"] == pytest.approx(recon, rel=1e-5)
    assert got["kl"] == pytest.approx(kl, rel=1e-5)
    assert got["loss"] == pytest.approx(recon + beta * kl, rel=1e-5)
    assert got["elbo"] == pytest.approx(-(recon + kl), rel=1e-5)


def test_gaussian_terms_equal_hand_computation_with_the_constant():
    """The Gaussian decoder's recon is the full NLL, log σ and ½ log 2π included."""
    model, w = tiny(2, decoder="gaussian", decoder_sigma=0.3)
    eps = np.array([[0.3, -1.2], [1.0, 0.5], [-0.7, 2.0]])
    terms = elbo_terms(model, torch.tensor(X, dtype=torch.float32).reshape(3, 1, 2, 2),
                       eps=torch.tensor(eps, dtype=torch.float32))
    recon, kl = by_hand(w, X, eps, decoder="gaussian", sigma=0.3)
    got = terms.as_floats()
    assert got["recon"] == pytest.approx(recon, rel=1e-5)
    assert got["kl"] == pytest.approx(kl, rel=1e-5)


def test_beta_argument_overrides_config():
    """elbo_terms(beta=...) replaces the config's β in the loss only; the ELBO does not change."""
    model, _ = tiny(2, beta=1.0)
    x = torch.tensor(X, dtype=torch.float32).reshape(3, 1, 2, 2)
    eps = torch.zeros(3, 2)
    plain = elbo_terms(model, x, eps).as_floats()
    heavy = elbo_terms(model, x, eps, beta=10.0).as_floats()
    assert heavy["loss"] == pytest.approx(plain["recon"] + 10 * plain["kl"], rel=1e-6)
    assert heavy["elbo"] == pytest.approx(plain["elbo"])


def test_autoencoder_has_zero_kl():
    """For an AE the KL is 0, loss = recon = BCE of decode(mu), elbo = −recon; β is irrelevant."""
    model, w = tiny(2, kind="mlp-ae", beta=5.0)
    terms = elbo_terms(model, torch.tensor(X, dtype=torch.float32).reshape(3, 1, 2, 2))
    recon, _ = by_hand(w, X, None, variational=False)
    got = terms.as_floats()
    assert got["kl"] == 0.0
    assert got["recon"] == pytest.approx(recon, rel=1e-5) and got["loss"] == got["recon"]
    assert got["elbo"] == -got["recon"]


def test_terms_are_batch_means_of_per_example_sums():
    """Doubling the batch (same images, same ε) leaves every term unchanged."""
    model, _ = tiny(2)
    x = torch.tensor(X, dtype=torch.float32).reshape(3, 1, 2, 2)
    eps = torch.randn(3, 2)
    once = elbo_terms(model, x, eps).as_floats()
    twice = elbo_terms(model, torch.cat([x, x]), torch.cat([eps, eps])).as_floats()
    assert once == pytest.approx(twice, rel=1e-6)


def test_kl_closed_form_properties():
    """KL is 0 at the prior, positive elsewhere, and ½(μ²+σ²−1−log σ²) per dimension."""
    assert torch.equal(kl_divergence(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))
    mu, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]])
    expected = 0.5 * (1.0 + 0.0) + 0.5 * (4.0 - 1.0 - math.log(4.0))
    assert float(kl_divergence(mu, logvar)) == pytest.approx(expected)


def test_reconstruction_checks_its_inputs():
    """A shape mismatch or an unknown decoder is a ValueError, not a silent broadcast."""
    with pytest.raises(ValueError, match="shape"):
        reconstruction_nll(torch.zeros(2, 1, 2, 2), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="decoder"):
        reconstruction_nll(torch.zeros(2, 4), torch.zeros(2, 4), decoder="poisson")


def test_bernoulli_recon_is_stable_for_large_logits():
    """Logits of ±100 against matching targets give ~0, not inf or NaN."""
    logits = torch.tensor([[100.0, -100.0]])
    value = reconstruction_nll(logits, torch.tensor([[1.0, 0.0]]))
    assert torch.isfinite(value).all() and float(value) < 1e-6


def _loss_at(model, x, mu, logvar, eps):
    z = model.reparameterise(mu, logvar, eps)
    return terms_from_output(model.config, x, ModelOutput(mu, logvar, z, model.decode(z))).loss


@pytest.mark.parametrize("decoder", ["bernoulli", "gaussian"])
def test_reparameterised_gradient_matches_finite_differences(decoder):
    """With ε fixed, autograd's d loss/d mu and d loss/d logvar equal central differences (float64)."""
    cfg = ModelConfig(image_shape=(1, 2, 2), latent_dim=2, hidden=(5,), decoder=decoder, beta=2.0,
                      decoder_sigma=0.5)
    model = build_model(cfg, seed=3).double()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand((3, 1, 2, 2), generator=gen, dtype=torch.float64)
    eps = torch.randn((3, 2), generator=gen, dtype=torch.float64)
    with torch.no_grad():
        mu0, logvar0 = model.encode(x)
    mu = mu0.clone().requires_grad_(True)
    logvar = logvar0.clone().requires_grad_(True)
    _loss_at(model, x, mu, logvar, eps).backward()

    h = 1e-6
    for which, grad in (("mu", mu.grad), ("logvar", logvar.grad)):
        numeric = torch.zeros_like(grad)
        for idx in np.ndindex(*grad.shape):
            args = {"mu": mu0.clone(), "logvar": logvar0.clone()}
            args[which][idx] += h
            plus = _loss_at(model, x, args["mu"], args["logvar"], eps).item()
            args[which][idx] -= 2 * h
            minus = _loss_at(model, x, args["mu"], args["logvar"], eps).item()
            numeric[idx] = (plus - minus) / (2 * h)
        torch.testing.assert_close(grad, numeric, rtol=1e-6, atol=1e-8, msg=f"d loss / d {which}")


def test_gradient_reaches_encoder_weights_through_z():
    """The trick makes the loss differentiable in the encoder's weights: d loss/d W matches a difference."""
    model = build_model(ModelConfig(image_shape=(1, 2, 2), latent_dim=1, hidden=()), seed=1).double()
    x = torch.tensor(X, dtype=torch.float64).reshape(3, 1, 2, 2)
    eps = torch.tensor([[0.5], [-1.0], [1.5]], dtype=torch.float64)
    elbo_terms(model, x, eps).loss.backward()
    weight = model.logvar_head.weight
    analytic = float(weight.grad[0, 1])
    h = 1e-6
    with torch.no_grad():
        weight[0, 1] += h
        plus = elbo_terms(model, x, eps).loss.item()
        weight[0, 1] -= 2 * h
        minus = elbo_terms(model, x, eps).loss.item()
    assert analytic == pytest.approx((plus - minus) / (2 * h), rel=1e-6)
    assert analytic != 0.0

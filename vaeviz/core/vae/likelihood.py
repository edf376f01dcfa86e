"""log p(x) by importance sampling: the intractable likelihood the ELBO bounds from below.

p(x) = ∫ p(x|z) p(z) dz has no closed form for a neural decoder, which is why a VAE maximises the ELBO.
Sampling z_k from the encoder's q(z|x) and weighting, p(x) = E_q[p(x|z) p(z) / q(z|x)], so

    log p̂_K(x) = log (1/K) Σ_k w_k,   log w_k = log p(x|z_k) + log p(z_k) − log q(z_k|x),

which is ≤ log p(x) in expectation and tends to it as K grows (Burda et al.'s IWAE bound); with K = 1
its expectation is the ELBO. The gap log p(x) − ELBO is KL(q(z|x) ‖ p(z|x)).

The standard error of p̂_K is the sample standard deviation of the w_k over √K; divided by p̂_K (the
delta method) it is the standard error of log p̂_K. Computed on the model's device in float32; the
statistics in float64 on the host.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vaeviz.core.vae.loss import kl_divergence, reconstruction_nll
from vaeviz.core.vae.models import LatentModel

SAMPLE_COUNTS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class LogLikelihoodEstimate:
    """Importance-sampled log p(x) of one image, with the first K of the samples for each K in ``counts``.

    ``log_px[i]`` and ``stderr[i]`` belong to ``counts[i]`` (stderr is NaN for K = 1); ``elbo`` is
    E_q[log p(x|z)] (Monte Carlo over all samples) − KL(q(z|x) ‖ p(z)) (closed form), ``elbo_stderr``
    the Monte Carlo part's standard error. All in nats.
    """

    counts: tuple[int, ...]
    log_px: tuple[float, ...]
    stderr: tuple[float, ...]
    elbo: float
    elbo_stderr: float


def _normal_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + _LOG_2PI).sum(dim=1)


@torch.no_grad()
def importance_log_px(model: LatentModel, image: np.ndarray, k: int = 1000, seed: int = 0,
                      counts: tuple[int, ...] = SAMPLE_COUNTS) -> LogLikelihoodEstimate:
    """Estimate log p(x) for one image (H, W) or (C, H, W) in [0, 1] with ``k`` samples from q(z|x).

    Raises ValueError for an autoencoder, which has no q(z|x) and no p(x).
    """
    if not model.config.variational:
        raise ValueError("an autoencoder defines no p(x): it has no prior and no q(z|x) to sample")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    device = next(model.parameters()).device
    shape = tuple(model.config.image_shape)
    x = torch.as_tensor(np.array(image, dtype=np.float32).reshape(shape), device=device)[None]  # a copy
    was_training = model.training
    model.eval()
    try:
        mu, logvar = model.encode(x)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        eps = torch.randn((k, mu.shape[1]), generator=generator).to(device)
        z = mu + (0.5 * logvar).exp() * eps
        decoded = model.decode(z)
        log_px_given_z = -reconstruction_nll(decoded, x.expand(k, *shape), model.config.decoder,
                                             model.config.decoder_sigma)
        log_pz = -0.5 * (z * z + _LOG_2PI).sum(dim=1)
        log_q = _normal_log_density(z, mu, logvar)
        log_w = (log_px_given_z + log_pz - log_q).cpu().numpy().astype(np.float64)
        recon = log_px_given_z.cpu().numpy().astype(np.float64)
        kl = float(kl_divergence(mu, logvar).cpu().numpy()[0])
    finally:
        model.train(was_training)
    shown = tuple(c for c in counts if c <= k) or (k,)
    estimates, errors = [], []
    for count in shown:
        part = log_w[:count]
        top = part.max()
        ratios = np.exp(part - top)
        mean = ratios.mean()
        estimates.append(float(top + math.log(mean)))
        errors.append(float(ratios.std(ddof=1) / (math.sqrt(count) * mean)) if count > 1 else math.nan)
    elbo_err = float(recon.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan
    return LogLikelihoodEstimate(shown, tuple(estimates), tuple(errors), float(recon.mean() - kl), elbo_err)

"""The ELBO and its two terms, as numbers a student can check by hand.

Conventions (every function here): a term is first **summed over an example's pixels** (reconstruction)
or **latent dimensions** (KL), then **averaged over the batch**. So ``recon`` is in nats per image and
``loss`` is on the scale of the per-image ELBO, independent of the batch size.

- ``recon = −E_q[log p(x|z)]``, estimated with the one z the model sampled (the reparameterised ε).
  Bernoulli: binary cross-entropy with logits. Gaussian with fixed σ: ``½((x−μ)/σ)² + log σ + ½ log 2π``
  per pixel, constant included so the value is a true negative log-likelihood.
- ``kl = KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)``, in closed form.
- ``loss = recon + β·kl`` (what training minimises), ``elbo = −(recon + kl)`` (β-free, the bound itself).

For the deterministic autoencoders the KL is defined as 0, so ``loss = recon`` and ``elbo = −recon``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from vaeviz.core.vae.models import LatentModel, ModelConfig, ModelOutput

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class LossTerms:
    """Batch means of the ELBO terms, as 0-d tensors (``loss`` keeps its graph for ``backward``)."""

    recon: torch.Tensor
    kl: torch.Tensor
    loss: torch.Tensor
    elbo: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        """Return ``{"recon", "kl", "loss", "elbo"}`` as Python floats (one device sync)."""
        values = torch.stack([self.recon, self.kl, self.loss, self.elbo]).detach().cpu().tolist()
        return dict(zip(("recon", "kl", "loss", "elbo"), values, strict=True))


def reconstruction_nll(decoded: torch.Tensor, x: torch.Tensor, decoder: str = "bernoulli",
                       sigma: float = 0.1) -> torch.Tensor:
    """Return −log p(x|z) per example, summed over pixels: shape ``(B,)``.

    Parameters
    ----------
    decoded
        The decoder output ``(B, ...)``: Bernoulli logits, or the Gaussian mean.
    x
        Targets of the same shape, in [0, 1].
    decoder
        ``"bernoulli"`` or ``"gaussian"``.
    sigma
        The Gaussian decoder's fixed standard deviation.
    """
    if decoded.shape != x.shape:
        raise ValueError(f"decoder output has shape {tuple(decoded.shape)}; images have {tuple(x.shape)}")
    if decoder == "bernoulli":
        # the logits form is exact where sigmoid would round to 0 or 1 and BCE would clamp log(0)
        per_pixel = F.binary_cross_entropy_with_logits(decoded, x, reduction="none")
    elif decoder == "gaussian":
        per_pixel = 0.5 * ((x - decoded) / sigma) ** 2 + (math.log(sigma) + _HALF_LOG_2PI)
    else:
        raise ValueError(f"unknown decoder {decoder!r}")
    return per_pixel.flatten(1).sum(1)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Return KL(N(mu, exp(logvar)) ‖ N(0, I)) per example, summed over latent dims: shape ``(B,)``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def terms_from_output(config: ModelConfig, x: torch.Tensor, out: ModelOutput,
                      beta: float | None = None) -> LossTerms:
    """Return the :class:`LossTerms` of a model output for the images ``x``.

    Parameters
    ----------
    config
        The model's config (decoder type, σ, β, whether it is variational).
    x
        The images ``(B, C, H, W)`` the output was computed from.
    out
        The model's :class:`ModelOutput`; build one by hand to differentiate with respect to mu/logvar.
    beta
        Overrides ``config.beta`` when given.
    """
    recon = reconstruction_nll(out.decoded, x, config.decoder, config.decoder_sigma).mean()
    if config.variational:
        kl = kl_divergence(out.mu, out.logvar).mean()
    else:
        kl = torch.zeros((), dtype=recon.dtype, device=recon.device)
    weight = config.beta if beta is None else beta
    loss = recon + weight * kl if config.variational else recon
    return LossTerms(recon=recon, kl=kl, loss=loss, elbo=-(recon + kl))


def elbo_terms(model: LatentModel, x: torch.Tensor, eps: torch.Tensor | None = None, *,
               beta: float | None = None, generator: torch.Generator | None = None) -> LossTerms:
    """Run ``model`` on ``x`` and return the batch-mean ELBO terms.

    Parameters
    ----------
    model
        A model from :func:`vaeviz.core.vae.models.build_model`.
    x
        Images ``(B, C, H, W)`` in [0, 1].
    eps
        The reparameterisation noise ``(B, latent_dim)``; drawn from ``generator`` when ``None``.
        Ignored by autoencoders (σ = 0).
    beta
        Overrides the model's β when given.
    generator
        Random generator for ε, on ``x``'s device.

    Returns
    -------
    LossTerms
        ``recon``, ``kl``, ``loss = recon + β·kl`` and ``elbo = −(recon + kl)``; see the module docstring.
    """
    return terms_from_output(model.config, x, model(x, eps=eps, generator=generator), beta=beta)

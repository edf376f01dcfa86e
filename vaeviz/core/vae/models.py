"""VAE and autoencoder models with one interface: encode, reparameterise, decode.

Every model maps images ``(B, C, H, W)`` in [0, 1] to a latent code and back:

- ``encode(x) -> (mu, logvar)``: the parameters of q(z|x) = N(mu, diag(exp(logvar))). An autoencoder
  is the σ = 0 limit: its ``logvar`` is ``-inf`` everywhere, so ``exp(0.5 * logvar) == 0`` exactly.
- ``reparameterise(mu, logvar, eps) -> z = mu + exp(0.5 * logvar) * eps``, with ``eps`` optionally
  given (tests, and the UI's "resample ε") so the trick is visible rather than hidden in a sampler.
- ``decode(z)``: the decoder's raw output: Bernoulli *logits*, or the Gaussian *mean* (in [0, 1]).
- ``decode_image(z)``: pixel values in [0, 1] for display (sigmoid of the logits, or the mean).
- ``forward(x, eps=None)``: a :class:`ModelOutput` (mu, logvar, z, decoded) ready for
  :func:`vaeviz.core.vae.loss.terms_from_output`.

The Gaussian decoder has a *fixed* standard deviation ``ModelConfig.decoder_sigma`` shared by all
pixels. A learned σ lets the model shrink σ towards 0 on pixels it reconstructs well and makes the
likelihood unbounded; a fixed σ keeps the loss comparable between runs and makes its rôle explicit:
σ² trades reconstruction against KL exactly like 1/β does.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import nn

KINDS = ("mlp-vae", "conv-vae", "mlp-ae", "conv-ae")
DECODERS = ("bernoulli", "gaussian")

# Fields that decide the tensors in the state dict or what decode() means: a checkpoint must match them.
ARCHITECTURE_FIELDS = ("kind", "image_shape", "latent_dim", "hidden", "channels", "decoder")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _int_tuple(name: str, value: Any, *, positive: bool = True) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not all(_is_int(v) for v in value):
        raise ValueError(f"{name} must be a list of integers, got {value!r}")
    if positive and any(v < 1 for v in value):
        raise ValueError(f"{name} must contain positive integers, got {list(value)}")
    return tuple(value)


@dataclass(frozen=True)
class ModelConfig:
    """What to build: the kind of model, its sizes and its decoder.

    Parameters
    ----------
    kind
        ``"mlp-vae"``, ``"conv-vae"``, ``"mlp-ae"`` or ``"conv-ae"`` (the ``-ae`` kinds are
        deterministic autoencoders with the same encoder/decoder shapes, for comparison).
    image_shape
        ``(C, H, W)``. Conv kinds need H and W divisible by ``2 ** len(channels)`` (4 by default).
    latent_dim
        Size of z.
    hidden
        Fully connected hidden sizes of the encoder (the decoder mirrors them). For conv kinds these
        layers sit between the flattened conv features and the latent heads; ``()`` means none.
    channels
        Conv kinds only: output channels of the stride-2 convolutions (each halves H and W).
    decoder
        ``"bernoulli"`` (decode returns logits) or ``"gaussian"`` (decode returns a mean in [0, 1]).
    beta
        Weight of the KL term in the training loss (β-VAE); 1 is the plain ELBO.
    decoder_sigma
        Fixed standard deviation of the Gaussian decoder (not learned, see the module docstring).
    """

    kind: str = "mlp-vae"
    image_shape: tuple[int, int, int] = (1, 28, 28)
    latent_dim: int = 2
    hidden: tuple[int, ...] = (512, 256)
    channels: tuple[int, ...] = (32, 64)
    decoder: str = "bernoulli"
    beta: float = 1.0
    decoder_sigma: float = 0.1

    def __post_init__(self) -> None:
        # Coerce JSON-ish lists to tuples so configs compare and hash by value.
        for name in ("image_shape", "hidden", "channels"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        self._validate()

    def _validate(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        shape = _int_tuple("image_shape", self.image_shape)
        if len(shape) != 3:
            raise ValueError(f"image_shape must be (C, H, W), got {list(shape)}")
        if not _is_int(self.latent_dim) or self.latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {self.latent_dim!r}")
        _int_tuple("hidden", self.hidden)
        channels = _int_tuple("channels", self.channels)
        if self.convolutional:
            if not channels:
                raise ValueError("conv models need at least one entry in channels")
            factor = 2 ** len(channels)
            if shape[1] % factor or shape[2] % factor:
                raise ValueError(
                    f"{self.kind} with {len(channels)} stride-2 layers needs H and W divisible by {factor}; "
                    f"got {shape[1]}×{shape[2]}"
                )
        if self.decoder not in DECODERS:
            raise ValueError(f"unknown decoder {self.decoder!r}; expected one of {', '.join(DECODERS)}")
        if not _is_number(self.beta) or self.beta < 0:
            raise ValueError(f"beta must be a finite number ≥ 0, got {self.beta!r}")
        if not _is_number(self.decoder_sigma) or self.decoder_sigma <= 0:
            raise ValueError(f"decoder_sigma must be a finite number > 0, got {self.decoder_sigma!r}")

    @property
    def variational(self) -> bool:
        """True for VAEs, False for the deterministic autoencoders."""
        return self.kind.endswith("-vae")

    @property
    def convolutional(self) -> bool:
        """True for the conv kinds."""
        return self.kind.startswith("conv-")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (tuples become lists)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ModelConfig:
        """Build a config from :meth:`to_dict` output (e.g. parsed JSON), checking every field.

        Missing fields take their defaults, except ``kind``, which is required.

        Raises
        ------
        ValueError
            For a non-dict, a missing ``kind``, unknown fields or invalid values, naming the problem.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a model config must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config field(s): {', '.join(map(str, unknown))}")
        if "kind" not in data:
            raise ValueError("the model config has no 'kind'")
        values = dict(data)
        for name in ("beta", "decoder_sigma"):
            if name in values and _is_int(values[name]):
                values[name] = float(values[name])  # JSON writes 1.0 as 1
        return cls(**values)

    def architecture(self) -> dict[str, Any]:
        """Return the fields a checkpoint's weights depend on (see ``ARCHITECTURE_FIELDS``)."""
        return {name: getattr(self, name) for name in ARCHITECTURE_FIELDS}

    def describe(self) -> str:
        """Return a one-line human description, e.g. ``conv-vae latent 2 (1×28×28, …)``."""
        parts = ["×".join(map(str, self.image_shape))]
        parts.append("hidden " + ("-".join(map(str, self.hidden)) or "none"))
        if self.convolutional:
            parts.append("channels " + "-".join(map(str, self.channels)))
        parts.append(f"{self.decoder} decoder")
        return f"{self.kind} latent {self.latent_dim} ({', '.join(parts)})"


class ModelOutput(NamedTuple):
    """What ``forward`` returns: everything the loss needs, nothing computed twice."""

    mu: torch.Tensor  # (B, latent)
    logvar: torch.Tensor  # (B, latent); -inf for autoencoders (σ = 0)
    z: torch.Tensor  # (B, latent)
    decoded: torch.Tensor  # (B, C, H, W): Bernoulli logits or Gaussian mean


def reparameterise(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Return ``z = mu + exp(0.5 * logvar) * eps``: a sample of N(mu, σ²) differentiable in mu, logvar.

    Parameters
    ----------
    mu, logvar
        Tensors of the same shape.
    eps
        Standard normal noise of that shape; drawn (with ``generator`` if given) when ``None``.
    generator
        Random generator on ``mu``'s device, for reproducible noise.
    """
    if eps is None:
        eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device, generator=generator)
    elif eps.shape != mu.shape:
        raise ValueError(f"eps has shape {tuple(eps.shape)}; mu has shape {tuple(mu.shape)}")
    return mu + torch.exp(0.5 * logvar) * eps


class LatentModel(nn.Module):
    """A VAE: ``encoder`` features → (mu, logvar) heads; ``decoder`` maps z to ``(B, C, H, W)``.

    Build instances with :func:`build_model`; :class:`Autoencoder` is the deterministic variant.
    """

    def __init__(self, config: ModelConfig, encoder: nn.Module, features: int, decoder: nn.Module):
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.mu_head = nn.Linear(features, config.latent_dim)
        if config.variational:
            self.logvar_head = nn.Linear(features, config.latent_dim)
        self.decoder = decoder

    @property
    def variational(self) -> bool:
        """True when the model has a posterior variance (VAE), False for an autoencoder."""
        return self.config.variational

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(mu, logvar)``, each ``(B, latent_dim)``, for images ``x`` of shape ``(B, C, H, W)``."""
        h = self.encoder(x)
        return self.mu_head(h), self.logvar_head(h)

    def reparameterise(self, mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """Return ``mu + exp(0.5 * logvar) * eps`` (see the module-level :func:`reparameterise`)."""
        return reparameterise(mu, logvar, eps, generator)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Return the decoder output ``(B, C, H, W)``: Bernoulli logits or the Gaussian mean in [0, 1]."""
        out = self.decoder(z)
        # A sigmoid mean keeps Gaussian reconstructions in the data's range without clipping.
        return torch.sigmoid(out) if self.config.decoder == "gaussian" else out

    def decode_image(self, z: torch.Tensor) -> torch.Tensor:
        """Return pixel values in [0, 1], shape ``(B, C, H, W)``: the decoder's mean for z."""
        out = self.decode(z)
        return torch.sigmoid(out) if self.config.decoder == "bernoulli" else out

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> ModelOutput:
        """Encode, sample z with the reparameterisation trick, decode; see :class:`ModelOutput`."""
        mu, logvar = self.encode(x)
        z = self.reparameterise(mu, logvar, eps, generator)
        return ModelOutput(mu, logvar, z, self.decode(z))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` draws from the prior N(0, I); return images in [0, 1], ``(n, C, H, W)``."""
        device = self.mu_head.weight.device
        z = torch.randn((n, self.config.latent_dim), device=device, generator=generator)
        return self.decode_image(z)


class Autoencoder(LatentModel):
    """The deterministic autoencoder: same encoder and decoder, no variance head, z = mu."""

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(mu, logvar)`` with ``logvar = -inf``: σ = 0, so every "sample" is mu itself."""
        mu = self.mu_head(self.encoder(x))
        return mu, torch.full_like(mu, -math.inf)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> ModelOutput:
        """Encode and decode mu directly (no noise is drawn: σ = 0)."""
        mu, logvar = self.encode(x)
        return ModelOutput(mu, logvar, mu, self.decode(mu))


def _dense(width: int, sizes: tuple[int, ...]) -> tuple[list[nn.Module], int]:
    """Linear+ReLU layers from ``width`` through ``sizes``; return them and the final width."""
    layers: list[nn.Module] = []
    for size in sizes:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    return layers, width


def _mlp_parts(config: ModelConfig) -> tuple[nn.Module, int, nn.Module]:
    pixels = math.prod(config.image_shape)
    enc, features = _dense(pixels, config.hidden)
    dec, width = _dense(config.latent_dim, tuple(reversed(config.hidden)))
    decoder = nn.Sequential(*dec, nn.Linear(width, pixels), nn.Unflatten(1, config.image_shape))
    return nn.Sequential(nn.Flatten(), *enc), features, decoder


def _conv_parts(config: ModelConfig) -> tuple[nn.Module, int, nn.Module]:
    c, h, w = config.image_shape
    factor = 2 ** len(config.channels)
    # kernel 4, stride 2, padding 1 halves even sizes exactly and its transpose doubles them back
    conv: list[nn.Module] = []
    width = c
    for ch in config.channels:
        conv += [nn.Conv2d(width, ch, 4, stride=2, padding=1), nn.ReLU()]
        width = ch
    inner = (width, h // factor, w // factor)
    flat = math.prod(inner)
    enc, features = _dense(flat, config.hidden)
    encoder = nn.Sequential(*conv, nn.Flatten(), *enc)

    dec, d_width = _dense(config.latent_dim, tuple(reversed(config.hidden)))
    deconv: list[nn.Module] = [nn.Linear(d_width, flat), nn.ReLU(), nn.Unflatten(1, inner)]
    outs = (c, *config.channels[:-1])
    for i, out in enumerate(reversed(outs)):
        deconv.append(nn.ConvTranspose2d(width, out, 4, stride=2, padding=1))
        if i < len(outs) - 1:
            deconv.append(nn.ReLU())
        width = out
    return encoder, features, nn.Sequential(*dec, *deconv)


def build_model(config: ModelConfig, seed: int | None = None) -> LatentModel:
    """Build the model a config describes, on the CPU, in float32.

    Parameters
    ----------
    config
        What to build.
    seed
        When given, the initial weights depend only on it (the global torch RNG is left untouched).

    Returns
    -------
    LatentModel
        A :class:`LatentModel` for the VAE kinds, an :class:`Autoencoder` for the AE kinds.
    """
    parts = _conv_parts if config.convolutional else _mlp_parts
    cls = LatentModel if config.variational else Autoencoder
    if seed is None:
        return cls(config, *parts(config))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(config, *parts(config))

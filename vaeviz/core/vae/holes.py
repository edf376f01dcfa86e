"""Holes in a latent space, measured: how much of it decodes to images unlike any training image.

The lecture's point about autoencoders: nothing pulls their codes together, so between and around the
clusters lie regions that decode to garbage, and sampling z ~ N(0, I) lands in them; a VAE's prior fills
them. Measured here as: decode an n × n grid spanning the model's *own* codes (the range of its encoded
means, so each model is judged where its data lives), and count the decodings farther (Euclidean, on the
pixels) from every reference training image than the 95th percentile of the training images' own
nearest-neighbour distances. A training image is that far from its neighbours only 5 % of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vaeviz.core.vae.decoding import decode_points, encode_dataset, latent_grid
from vaeviz.core.vae.models import LatentModel


@dataclass(frozen=True)
class HoleFigure:
    """``fraction`` of the ``n × n`` grid over ``z_range`` (per axis: low, high) that decodes to holes,
    and ``prior_fraction`` of ``n × n`` decoded samples z ~ N(0, I) that do."""

    fraction: float
    prior_fraction: float
    n: int
    z_range: tuple[tuple[float, float], tuple[float, float]]
    threshold: float  # the training images' 95th-percentile nearest-neighbour distance
    distances: np.ndarray  # (n*n,) each grid decoding's distance to its nearest reference image


def _flat(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(images, dtype=np.float32).reshape(len(images), -1))  # a copy


def nearest_distances(queries: np.ndarray, references: np.ndarray, exclude_self: bool = False,
                      batch: int = 512) -> np.ndarray:
    """Distance from each query image to its nearest reference image (float64; ``exclude_self``: the
    queries are the references, and each one's distance to itself does not count)."""
    ref = _flat(references).double()
    ref_sq = (ref * ref).sum(dim=1)
    q_all = _flat(queries).double()
    out = np.empty(len(q_all))
    for start in range(0, len(q_all), batch):
        q = q_all[start: start + batch]
        d2 = (q * q).sum(dim=1, keepdim=True) - 2.0 * q @ ref.T + ref_sq[None, :]
        if exclude_self:
            rows = torch.arange(len(q))
            d2[rows, rows + start] = float("inf")
        out[start: start + len(q)] = d2.min(dim=1).values.clamp_min(0.0).sqrt().numpy()
    return out


def latent_extent(model: LatentModel, images: np.ndarray, margin: float = 0.05) -> tuple:
    """(low, high) per latent axis of the encoded means (1st to 99th percentile), widened by ``margin``."""
    mu, _ = encode_dataset(model, images[:, None] if images.ndim == 3 else images)
    low, high = np.percentile(mu[:, :2], 1, axis=0), np.percentile(mu[:, :2], 99, axis=0)
    pad = margin * (high - low)
    return tuple((float(a), float(b)) for a, b in zip(low - pad, high + pad, strict=True))


def hole_fraction(model: LatentModel, images: np.ndarray, n: int = 15, n_reference: int = 2000,
                  quantile: float = 95.0, seed: int = 0) -> HoleFigure:
    """Measure the holes of a model with a 2-D latent space on its training images (see the module)."""
    if model.config.latent_dim != 2:
        raise ValueError(f"holes are measured on a 2-D latent plane, not {model.config.latent_dim}-D")
    references = images[:n_reference]
    threshold = float(np.percentile(nearest_distances(references, references, exclude_self=True), quantile))
    extent = latent_extent(model, images)
    (x0, x1), (y0, y1) = extent
    grid = latent_grid(n=n, z_range=(0.0, 1.0))  # unit square, then stretched to each axis's range
    z = np.empty_like(grid)
    z[:, 0] = x0 + (x1 - x0) * grid[:, 0]
    z[:, 1] = y0 + (y1 - y0) * grid[:, 1]
    shape = (len(z), *references.shape[1:])
    distances = nearest_distances(decode_points(model, z).reshape(shape), references)
    prior = np.random.default_rng(seed).standard_normal((len(z), 2)).astype(np.float32)
    prior_distances = nearest_distances(decode_points(model, prior).reshape(shape), references)
    return HoleFigure(float(np.mean(distances > threshold)), float(np.mean(prior_distances > threshold)), n,
                      extent, threshold, distances)

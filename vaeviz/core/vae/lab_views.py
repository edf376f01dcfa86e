"""What the latent views ask of a :class:`~vaeviz.core.vae.lab.LatentLab`: encodings, decodings, strips.

Functions of the lab rather than methods, to keep each file readable; like the lab's methods they run
in the compute thread only (from job factories). A "source" is a data set index or an image array
(e.g. the user's drawing), so the same calls serve clicks on points and the drawing canvas.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Generator

import numpy as np
import torch

from vaeviz.core.jobs import drain
from vaeviz.core.vae.decoding import encode_in_pieces
from vaeviz.core.vae.images import mosaic
from vaeviz.core.vae.lab import LabError, LatentLab
from vaeviz.core.vae.lab_types import (
    Decoded,
    DragWalk,
    Evaluation,
    GridImage,
    HoleView,
    Inspection,
    LatentSnapshot,
    Likelihood,
    Strip,
)
from vaeviz.core.vae.loss import elbo_terms, kl_divergence, reconstruction_nll
from vaeviz.core.vae.train import decode_grid, decode_points, encode_dataset

Source = int | np.ndarray


def _sigma(logvar: np.ndarray) -> np.ndarray:
    # an autoencoder's logvar is -inf: exp gives exactly 0, which is what σ is; a diverged model's
    # huge logvar gives inf, which the views skip rather than warn about
    with np.errstate(over="ignore"):
        return np.exp(0.5 * logvar).astype(np.float32)


def snapshot(lab: LatentLab, role: str) -> LatentSnapshot:
    """Encode the scatter's subset (means and σ) with the slot's model."""
    return drain(snapshot_in_pieces(lab, role))[0]


def snapshot_in_pieces(lab: LatentLab, role: str, urgent: Callable[[], bool] | None = None
                       ) -> Generator[None, None, LatentSnapshot]:
    """:func:`snapshot` for a job: small pieces with preemption points while ``urgent()`` (a drag's
    decode requests keep being served while training re-encodes the scatter)."""
    model = lab.model(role)
    mu, logvar = yield from encode_in_pieces(model, lab.subset_images, urgent=urgent)
    lab.snapshot_count += 1
    return LatentSnapshot(role=role, version=lab.snapshot_count, data_version=lab.data_version,
                          indices=lab.subset.copy(), mu=mu, sigma=_sigma(logvar),
                          labels=None if lab.subset_labels is None else lab.subset_labels.copy(),
                          label_names=lab.label_names)


def latent_point(lab: LatentLab, role: str, xy) -> np.ndarray:
    """The full latent vector for a point of the 2-D view: other dimensions at 0 (the prior's mean)."""
    z = np.zeros(lab.model(role).config.latent_dim, np.float32)
    xy = np.asarray(xy, np.float32).ravel()
    z[:min(len(z), len(xy))] = xy[:len(z)]
    return z


def decode(lab: LatentLab, role: str, xy) -> Decoded:
    z = latent_point(lab, role, xy)
    return Decoded(role, z, decode_points(lab.model(role), z)[0])


def grid(lab: LatentLab, role: str, n: int, low: float, high: float) -> GridImage:
    """The manifold figure: an n×n grid over [low, high]² in the first two latent dimensions."""
    tiles = decode_grid(lab.model(role), (float(low), float(high)), int(n))
    return GridImage(role, int(n), float(low), float(high), mosaic(tiles, int(n), int(n)))


def _image_of(lab: LatentLab, source: Source) -> np.ndarray:
    if isinstance(source, (int, np.integer)):
        return lab.image(int(source))
    image = np.asarray(source, np.float32)
    if image.shape != lab.require_data():
        raise LabError(f"the image is {image.shape}; the model needs {lab.require_data()}")
    return np.clip(image, 0.0, 1.0)


def _encode(lab: LatentLab, role: str, source: Source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    image = _image_of(lab, source)
    mu, logvar = encode_dataset(lab.model(role), image[None])
    return image, mu[0], logvar[0]


def inspect(lab: LatentLab, role: str, source: Source, seed: int = 0) -> Inspection:
    """An image through the model: q(z|x), its reconstruction at z = μ, and its own ELBO terms."""
    model = lab.model(role)
    image, mu, logvar = _encode(lab, role, source)
    device = next(model.parameters()).device
    x = torch.from_numpy(image[None, None].copy()).to(device)
    m, lv = torch.from_numpy(mu[None]).to(device), torch.from_numpy(logvar[None]).to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        z = model.reparameterise(m, lv, generator=generator) if model.variational else m
        config = model.config
        nll = float(reconstruction_nll(model.decode(z), x, config.decoder, config.decoder_sigma)[0])
        kl = float(kl_divergence(m, lv)[0]) if model.variational else 0.0
    model.train(was_training)
    index = int(source) if isinstance(source, (int, np.integer)) else None
    return Inspection(role=role, data_version=lab.data_version, index=index,
                      label=lab.label_of(index) if index is not None else None, original=image,
                      reconstruction=decode_points(model, mu)[0], mu=mu, sigma=_sigma(logvar),
                      recon_nll=nll, kl=kl)


def resample(lab: LatentLab, role: str, source: Source, k: int = 8, seed: int = 0) -> Strip:
    """Draw ``k`` z = μ + σ ⊙ ε for one image and decode them (the reparameterisation trick, visible)."""
    _, mu, logvar = _encode(lab, role, source)
    eps = np.random.default_rng(seed).standard_normal((k, len(mu))).astype(np.float32)
    sigma = _sigma(logvar)
    z = mu[None] + sigma[None] * eps
    images = decode_points(lab.model(role), z)
    what = "σ = 0 for an autoencoder: every draw is μ" if not sigma.any() else f"{k} draws of ε ~ N(0, I)"
    return Strip(role, "samples", f"z = μ + σ ⊙ ε — {what}", z, images, mu=mu, sigma=sigma, eps=eps)


def interpolation_path(lab: LatentLab, role: str, a: Source, b: Source, steps: int) -> np.ndarray:
    """The straight line between the encoded means of two sources: ``(steps, D)``."""
    za, zb = _encode(lab, role, a)[1], _encode(lab, role, b)[1]
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * za[None] + t * zb[None]


def interpolate(lab: LatentLab, role: str, a: Source, b: Source, steps: int = 10) -> Strip:
    z = interpolation_path(lab, role, a, b, steps)
    return Strip(role, "interpolation", f"A → B: {steps} points on the straight line between their μ",
                 z, decode_points(lab.model(role), z))


def prior(lab: LatentLab, role: str, k: int = 8, seed: int = 0) -> Strip:
    """Decode ``k`` draws from the prior N(0, I): what generation from the model looks like."""
    dim = lab.model(role).config.latent_dim
    z = np.random.default_rng(seed).standard_normal((k, dim)).astype(np.float32)
    return Strip(role, "prior", f"z ~ N(0, I): {k} samples from the prior, decoded", z,
                 decode_points(lab.model(role), z))


def evaluate(lab: LatentLab, role: str, n: int = 500, seed: int = 0) -> Evaluation:
    """Per-image means of the ELBO terms on up to ``n`` images of the scatter's subset."""
    model = lab.model(role)
    device = next(model.parameters()).device
    x = torch.from_numpy(lab.subset_images[:n, None].copy()).to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        terms = elbo_terms(model, x, generator=generator).as_floats()
    model.train(was_training)
    values = [terms["recon"], terms["kl"], terms["elbo"]]
    if not all(math.isfinite(v) for v in values):
        raise LabError("the model's ELBO is not finite on this data")
    return Evaluation(role, len(x), terms["recon"], terms["kl"], terms["elbo"], model.config.beta)


def likelihood(lab: LatentLab, role: str, source: Source, k: int = 1000, seed: int = 0) -> Likelihood:
    """Importance-sampled log p(x) for K = 1…k beside the ELBO; an autoencoder's has no counts."""
    from vaeviz.core.vae.likelihood import importance_log_px

    model = lab.model(role)
    index = int(source) if isinstance(source, (int, np.integer)) else None
    if not model.config.variational:
        return Likelihood(role, lab.data_version, index, (), (), (), math.nan, math.nan)
    est = importance_log_px(model, _image_of(lab, source), k=k, seed=seed)
    return Likelihood(role, lab.data_version, index, est.counts, est.log_px, est.stderr, est.elbo,
                      est.elbo_stderr)


def boundary_pick(lab: LatentLab, role: str) -> int:
    """Data set index of a scatter image whose ε draws decode to different images (see
    :func:`vaeviz.core.vae.presets.draws_across_classes`), from a fresh encoding of the scatter."""
    from vaeviz.core.vae.presets import draws_across_classes

    snap = snapshot(lab, role)
    return int(snap.indices[draws_across_classes(snap.mu, snap.sigma, snap.labels)])


# Hole figures by model: ~1 s each, so measured once per set of weights and data (a weak key: a replaced
# model's entry goes with it). Parameters' version counters grow with every in-place update (an
# optimiser step, a loaded state), so trained weights are measured again.
_HOLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _weights_version(model) -> tuple[int, ...]:
    return tuple(p._version for p in model.parameters())


def holes(lab: LatentLab, role: str, n: int = 15) -> HoleView:
    """The model's holes on the data set (see :mod:`vaeviz.core.vae.holes`), with the grid decoded."""
    from vaeviz.core.vae.holes import hole_fraction

    model = lab.model(role)
    if lab.dataset is None:
        raise LabError("the data set is still loading; measure the holes when it is ready")
    key = (_weights_version(model), lab.data_version, int(n))
    cached = _HOLES.get(model)
    if cached is not None and cached[0] == key:
        return cached[1]
    figure = hole_fraction(model, lab.dataset.images, n=int(n))
    (x0, x1), (y0, y1) = figure.z_range
    cols, rows = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y1, y0, n))  # row 0: highest z₂
    z = np.zeros((n * n, model.config.latent_dim), np.float32)
    z[:, 0], z[:, 1] = cols.ravel(), rows.ravel()
    tiles = decode_points(model, z)
    is_hole = (figure.distances > figure.threshold).reshape(n, n)
    view = HoleView(role, lab.data_version, figure.fraction, figure.prior_fraction, int(n), figure.z_range,
                    figure.threshold, mosaic(tiles, n, n), is_hole)
    _HOLES[model] = (key, view)
    return view


def drag_walk(lab: LatentLab, role: str, a: Source, b: Source, frames: int = 24) -> DragWalk:
    """Walk the latent point from A to B and back, decoding each frame (the GIF's content)."""
    z = interpolation_path(lab, role, a, b, frames)
    z = np.concatenate([z, z[-2:0:-1]])  # there and back again, so the loop has no jump
    images = decode_points(lab.model(role), z)
    snap = snapshot(lab, role)
    return DragWalk(role, snap.mu[:, :2], snap.labels, z[:, :2], images)

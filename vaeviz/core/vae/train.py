"""Training as a generator of snapshots, plus batched encode/decode helpers for the latent-space views.

:func:`train_steps` trains a model *in place* and yields an immutable :class:`TrainReport` every
``report_every`` steps. Closing the generator at any time stops training and leaves the latest weights
in the model. Speed: the data set lives on the device as one tensor and batches are taken with a
``randperm`` index, which avoids a DataLoader's per-example indexing and collation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from vaeviz.core.vae.loss import elbo_terms
from vaeviz.core.vae.models import LatentModel


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Parameters
    ----------
    lr, batch_size, epochs
        Adam's learning rate; images per step (an epoch's last batch may be smaller); passes over the data.
    seed
        Seeds the shuffling and the ε noise (the initial weights come from ``build_model(seed=...)``).
    beta, device
        Override the model's β when given; torch device name (``train_steps(device=...)`` overrides it).
    max_steps
        Stop after this many steps even if epochs remain (``None``: no limit).
    report_every
        Yield a report every this many steps (and always after the last one). Metrics in a report are
        averaged over the images of the steps since the previous report.
    guard_every
        How often (in steps) the NaN guard copies the weights. The copy costs one memcpy of the
        parameters (a few MB, well under a step's time for these models); with 1 a divergence rolls
        back to exactly the last weights that gave a finite loss, with k > 1 it rolls back up to k
        steps further for k times less copying.
    """

    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 10
    seed: int = 0
    beta: float | None = None
    device: str = "cpu"
    max_steps: int | None = None
    report_every: int = 1
    guard_every: int = 1

    def __post_init__(self) -> None:
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        for name in ("batch_size", "epochs", "report_every", "guard_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 1):
            raise ValueError(f"max_steps must be None or an integer ≥ 1, got {self.max_steps!r}")
        if self.beta is not None and not (math.isfinite(self.beta) and self.beta >= 0):
            raise ValueError(f"beta must be None or a finite number ≥ 0, got {self.beta!r}")


@dataclass(frozen=True)
class TrainReport:
    """A snapshot of training after ``step`` optimisation steps.

    ``fraction`` (overall progress in [0, 1]) and ``message`` are what the status bar reads. On the
    report of a stopped run (``stopped_reason`` set) the metrics are the non-finite values that
    stopped it and ``restored_step`` says which weights the model now holds.
    """

    step: int  # steps done (1-based count), or the step that failed on a stopped report
    total_steps: int
    epoch: int  # 1-based epoch this step belongs to
    epochs: int
    epoch_fraction: float  # fraction of the current epoch done, in (0, 1]
    fraction: float  # fraction of the whole run done, in [0, 1]
    loss: float  # recon + β·kl, batch mean (see vaeviz.core.vae.loss)
    recon: float
    kl: float
    elbo: float  # −(recon + kl)
    samples_per_s: float  # images per second of compute since the previous report
    elapsed_s: float  # compute time so far (time spent suspended at ``yield`` is not counted)
    message: str
    done: bool = False
    stopped_reason: str | None = None
    restored_step: int | None = None  # weights now in the model are those after this many steps


def _adam(params: Any, lr: float, device: torch.device) -> torch.optim.Optimizer:
    # The fused kernel updates all tensors in one pass; fall back where a build lacks it.
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(params, lr=lr, fused=True)
        except (RuntimeError, TypeError, ValueError):
            pass
    return torch.optim.Adam(params, lr=lr)


def _check_images(images: Any, shape: tuple[int, int, int]) -> Any:
    """Return ``images`` as (N, C, H, W) (adding C for (N, H, W) grey images) or raise ValueError."""
    if not isinstance(images, (np.ndarray, torch.Tensor)):
        raise ValueError(f"images must be a numpy array or a tensor, got {type(images).__name__}")
    if images.ndim == 3 and shape[0] == 1:
        images = images[:, None]
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(shape):
        raise ValueError(f"images have shape {tuple(images.shape)}; the model needs (N, {', '.join(map(str, shape))})")
    floating = images.is_floating_point() if isinstance(images, torch.Tensor) else images.dtype.kind == "f"
    if not floating:
        raise ValueError(f"images must be floats in [0, 1], got dtype {images.dtype} (divide uint8 by 255)")
    return images


def _to_tensor(images: Any, device: torch.device) -> torch.Tensor:
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    return images.to(device=device, dtype=torch.float32).contiguous()


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def train_steps(model: LatentModel, config: TrainConfig, train_images: Any, labels: Sequence | None = None,
                device: str | None = None) -> Iterator[TrainReport]:
    """Train ``model`` in place with Adam on the ELBO loss; yield a :class:`TrainReport` as it goes.

    Parameters
    ----------
    model
        A model from :func:`vaeviz.core.vae.models.build_model`; it is moved to the device.
    config
        The :class:`TrainConfig`.
    train_images
        Float images ``(N, C, H, W)`` (or ``(N, H, W)`` for one channel) in [0, 1], numpy or torch.
    labels
        Optional, one per image. Training is unsupervised: they are only checked for length, so
        callers can pass a labelled data set as it is.
    device
        Overrides ``config.device`` when given.

    Raises
    ------
    ValueError
        At call time (the data moves to the device on the first ``next()``) for images of the wrong
        shape or type, values outside [0, 1], or labels of the wrong length.

    Notes
    -----
    Deterministic for a given seed, initial weights and device. If the loss becomes non-finite (too
    high a learning rate), the weights saved by the guard (``TrainConfig.guard_every``) are put back,
    a last report with ``stopped_reason`` is yielded and the generator ends.
    """
    images = _check_images(train_images, model.config.image_shape)
    if len(images) == 0:
        raise ValueError("the training set is empty")
    low, high = float(images.min()), float(images.max())
    if not (0.0 <= low and high <= 1.0):  # also false for NaN
        raise ValueError(f"image values must be in [0, 1]; found values from {low:g} to {high:g}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(labels)} labels for {len(images)} images")
    return _train(model, config, images, torch.device(device or config.device))


def _train(model: LatentModel, config: TrainConfig, images: Any, dev: torch.device) -> Iterator[TrainReport]:
    clock = time.perf_counter
    resumed = clock()
    model.to(dev)
    was_training = model.training
    model.train()
    data = _to_tensor(images, dev)
    n = data.shape[0]
    batch = min(config.batch_size, n)
    per_epoch = math.ceil(n / batch)
    total = per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    gen = torch.Generator(device=dev)
    gen.manual_seed(config.seed)
    optimiser = _adam(model.parameters(), config.lr, dev)
    # state_dict() tensors alias the live parameters, so copy_ in either direction needs no lookups.
    live = list(model.state_dict().values())
    saved = [t.detach().clone() for t in live]
    saved_step = 0

    def restore() -> None:
        with torch.no_grad():
            for target, source in zip(live, saved, strict=True):
                target.copy_(source)

    busy = 0.0  # compute seconds, excluding time suspended at yield
    window_busy, window_n = 0.0, 0
    sums = [0.0, 0.0, 0.0]  # image-weighted loss, recon, kl since the last report

    def report(epoch: int, in_epoch: int, values: Sequence[float], done: bool = False,
               reason: str | None = None, restored: int | None = None) -> TrainReport:
        loss, recon, kl = values
        rate = window_n / window_busy if window_busy > 0 else 0.0
        if reason:
            message = f"stopped: {reason}"
        else:
            head = "finished" if done else f"epoch {epoch}/{config.epochs}"
            message = (f"{head} · step {step}/{total} · loss {loss:.2f} (recon {recon:.2f}, KL {kl:.2f})"
                       f" · {rate:,.0f} img/s")
        return TrainReport(step=step, total_steps=total, epoch=epoch, epochs=config.epochs,
                           epoch_fraction=in_epoch / per_epoch, fraction=min(step / total, 1.0),
                           loss=loss, recon=recon, kl=kl, elbo=-(recon + kl), samples_per_s=rate,
                           elapsed_s=busy, message=message, done=done, stopped_reason=reason,
                           restored_step=restored)

    def stopped(epoch: int, in_epoch: int, values: Sequence[float], what: str) -> TrainReport:
        restore()
        before = "the initial weights" if saved_step == 0 else f"the weights after step {saved_step}"
        reason = (f"{what} (is the learning rate {config.lr:g} too high?); "
                  f"training stopped and {before} were restored")
        return report(epoch, in_epoch, values, done=True, reason=reason, restored=saved_step)

    try:
        for step in range(1, total + 1):
            started = clock()
            epoch, position = divmod(step - 1, per_epoch)
            epoch, in_epoch = epoch + 1, position + 1
            if position == 0:
                order = torch.randperm(n, generator=gen, device=dev)
            x = data[order[position * batch:(position + 1) * batch]]
            terms = elbo_terms(model, x, beta=config.beta, generator=gen)
            # one device→host transfer per step: the guard needs the loss, the reports the terms
            values = torch.stack([terms.loss, terms.recon, terms.kl]).detach().cpu().tolist()
            if not all(math.isfinite(v) for v in values):
                busy += clock() - resumed
                yield stopped(epoch, in_epoch, values, f"the loss became {values[0]} at step {step}")
                return
            if (step - 1) % config.guard_every == 0:
                with torch.no_grad():  # these weights just gave a finite loss: keep them
                    for target, source in zip(saved, live, strict=True):
                        target.copy_(source)
                saved_step = step - 1
            optimiser.zero_grad(set_to_none=True)
            terms.loss.backward()
            optimiser.step()
            sums = [s + v * x.shape[0] for s, v in zip(sums, values, strict=True)]
            window_n += x.shape[0]
            window_busy += clock() - started
            if step % config.report_every and step < total:
                continue
            busy += clock() - resumed
            if step == total and not _all_finite(live):
                # the last update itself overflowed, and no later loss will reveal it
                yield stopped(epoch, in_epoch, [math.nan] * 3, f"the weights became non-finite at step {step}")
                return
            yield report(epoch, in_epoch, [s / window_n for s in sums], done=step == total)
            resumed = clock()
            sums, window_n, window_busy = [0.0, 0.0, 0.0], 0, 0.0
    finally:
        model.train(was_training)


def _all_finite(tensors: Sequence[torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors if t.is_floating_point())


@contextmanager
def _evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no autograd for a block; the model gets its previous mode back."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def _display(images: torch.Tensor) -> np.ndarray:
    """(B, C, H, W) tensor → float32 numpy (B, H, W) for one channel, (B, H, W, C) otherwise."""
    out = images[:, 0] if images.shape[1] == 1 else images.permute(0, 2, 3, 1)
    return out.detach().to("cpu", torch.float32).numpy()


def encode_dataset(model: LatentModel, images: Any, batch: int = 1024,
                   device: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Encode many images in batches; return ``(mu, logvar)`` as float32 numpy ``(N, latent_dim)``.

    Parameters
    ----------
    model
        The model; moved to ``device`` when one is given, else used where it is.
    images
        ``(N, C, H, W)`` (or ``(N, H, W)``) floats in [0, 1], numpy or torch.
    batch
        Images per forward pass (bounds the memory used on the device).
    device
        Where to compute; ``None`` means the model's device.

    Returns
    -------
    tuple of numpy.ndarray
        ``mu`` and ``logvar``; an autoencoder's ``logvar`` is ``-inf`` (σ = 0).
    """
    images = _check_images(images, model.config.image_shape)
    if device is not None:
        model.to(device)
    dev = _model_device(model)
    mus, logvars = [], []
    with _evaluating(model):
        for start in range(0, max(len(images), 1), batch):  # an empty set still gives (0, latent) arrays
            mu, logvar = model.encode(_to_tensor(images[start:start + batch], dev))
            mus.append(mu.float().cpu().numpy())
            logvars.append(logvar.float().cpu().numpy())
    return np.concatenate(mus), np.concatenate(logvars)


def decode_points(model: LatentModel, z: Any, batch: int = 4096) -> np.ndarray:
    """Decode latent points to display images in [0, 1].

    Parameters
    ----------
    model
        The model (used on its current device).
    z
        ``(M, latent_dim)`` or a single ``(latent_dim,)`` point, numpy, list or tensor.
    batch
        Points per decoder pass.

    Returns
    -------
    numpy.ndarray
        float32 ``(M, H, W)`` for one channel, ``(M, H, W, C)`` otherwise.
    """
    dev = _model_device(model)
    points = z if isinstance(z, torch.Tensor) else torch.from_numpy(np.asarray(z, dtype=np.float32))
    points = points.to(dev, torch.float32)
    if points.ndim == 1:
        points = points[None]
    if points.ndim != 2 or points.shape[1] != model.config.latent_dim:
        raise ValueError(f"z has shape {tuple(points.shape)}; the model needs (M, {model.config.latent_dim})")
    chunks = []
    with _evaluating(model):
        for start in range(0, max(points.shape[0], 1), batch):
            chunks.append(_display(model.decode_image(points[start:start + batch])))
    return np.concatenate(chunks)


def latent_grid(z_range: float | tuple[float, float] = 3.0, n: int = 15, latent_dim: int = 2,
                dims: tuple[int, int] = (0, 1), base: Any = None) -> np.ndarray:
    """Return the latent points of :func:`decode_grid`: ``(n*n, latent_dim)`` float32 (``(n, 1)`` in 1-D).

    Row-major, like the classic figure: rows go from high to low ``z[dims[1]]`` (top to bottom),
    columns from low to high ``z[dims[0]]``. Other dimensions take ``base`` (default 0).
    """
    low, high = (-abs(z_range), abs(z_range)) if isinstance(z_range, (int, float)) else z_range
    if n < 1 or not high > low:
        raise ValueError(f"need n ≥ 1 and a range low < high, got n={n}, range=({low}, {high})")
    axis = np.linspace(low, high, n, dtype=np.float32)
    if latent_dim == 1:
        return axis[:, None]
    if len(set(dims)) != 2 or not all(0 <= d < latent_dim for d in dims):
        raise ValueError(f"dims must be two different latent dimensions below {latent_dim}, got {dims}")
    point = np.zeros(latent_dim, np.float32) if base is None else np.asarray(base, np.float32).reshape(latent_dim)
    grid = np.tile(point, (n * n, 1))
    cols, rows = np.meshgrid(axis, axis[::-1])
    grid[:, dims[0]] = cols.ravel()
    grid[:, dims[1]] = rows.ravel()
    return grid


def decode_grid(model: LatentModel, z_range: float | tuple[float, float] = 3.0, n: int = 15,
                dims: tuple[int, int] = (0, 1), base: Any = None) -> np.ndarray:
    """Decode an ``n × n`` grid of latent points in one batched pass (the "manifold" figure).

    Parameters
    ----------
    model
        The model (used on its current device).
    z_range
        ``r`` for [−r, r] on both axes, or ``(low, high)``.
    n
        Points per axis.
    dims
        The two latent dimensions spanned (others are fixed at ``base``).
    base
        The latent point the grid passes through in the other dimensions (default 0).

    Returns
    -------
    numpy.ndarray
        float32 ``(n*n, H, W)`` (``(n*n, H, W, C)`` for colour) in the order of :func:`latent_grid`;
        a 1-D latent space gives a single row, ``(n, H, W)``.
    """
    return decode_points(model, latent_grid(z_range, n, model.config.latent_dim, dims, base))

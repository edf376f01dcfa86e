"""Encoding and decoding with a trained model, for the views: batched, in eval mode, no autograd.

Split from :mod:`vaeviz.core.vae.train` (which re-exports these names) so each file stays small.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from vaeviz.core.jobs import drain
from vaeviz.core.vae.models import LatentModel
from vaeviz.core.vae.train_split import CHUNK_MACS


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _check_images(images: Any, shape: tuple[int, int, int]) -> Any:
    """Return ``images`` as (N, C, H, W) (adding C for (N, H, W) grey images) or raise ValueError."""
    if not isinstance(images, (np.ndarray, torch.Tensor)):
        raise ValueError(f"images must be a numpy array or a tensor, got {type(images).__name__}")
    if images.ndim == 3 and shape[0] == 1:
        images = images[:, None]
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(shape):
        needed = ", ".join(map(str, shape))
        raise ValueError(f"images have shape {tuple(images.shape)}; the model needs (N, {needed})")
    floating = images.is_floating_point() if isinstance(images, torch.Tensor) else images.dtype.kind == "f"
    if not floating:
        raise ValueError(f"images must be floats in [0, 1], got dtype {images.dtype} (divide uint8 by 255)")
    return images


def _to_tensor(images: Any, device: torch.device) -> torch.Tensor:
    if isinstance(images, np.ndarray):
        array = np.ascontiguousarray(images, dtype=np.float32)
        # Data sets hold read-only arrays; torch may not share those (writing through it would be
        # undefined), so they are copied here, once.
        images = torch.from_numpy(array if array.flags.writeable else array.copy())
    return images.to(device=device, dtype=torch.float32).contiguous()


def _mode_matters(model: torch.nn.Module) -> bool:
    """Whether eval and train mode compute differently (dropout or normalisation layers); cached on the
    model. Switching modes walks every submodule (~70 µs a decode while dragging), so it is skipped when it
    would change nothing, as for all of vaeviz's own models."""
    cached = model.__dict__.get("_vaeviz_mode_matters")
    if cached is None:
        kinds = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._NormBase)
        cached = any(isinstance(m, kinds) for m in model.modules())
        model.__dict__["_vaeviz_mode_matters"] = cached
    return cached


@contextmanager
def _evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no autograd for a block; the model gets its previous mode back."""
    was_training = model.training
    switch = was_training and _mode_matters(model)
    if switch:
        model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        if switch:
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
    if device is not None:
        model.to(device)
    return drain(encode_in_pieces(model, images, batch))[0]


def encode_in_pieces(model: LatentModel, images: Any, batch: int = 1024,
                     urgent: Callable[[], bool] | None = None
                     ) -> Generator[None, None, tuple[np.ndarray, np.ndarray]]:
    """:func:`encode_dataset` (on the model's device) as a generator for the compute worker.

    While ``urgent()`` (requests waiting or arriving), the images go through in small pieces of about
    ``CHUNK_MACS`` multiply-accumulates (~0.3 ms on one CPU thread) with ``None`` (a preemption point)
    yielded after each, so a decode request waits for one piece, not for the whole set (2,000 images
    through an MLP encoder take ~20 ms). Eval/inference mode is entered per piece, never held across a
    yield: what the worker runs in between must not inherit it. Returns ``(mu, logvar)``.
    """
    images = _check_images(images, model.config.image_shape)
    dev = _model_device(model)
    per_image = max(1, sum(p.numel() for p in model.encoder.parameters()))  # ≈ MACs of an MLP encoder
    small = max(1, CHUNK_MACS // per_image)
    mus, logvars = [], []
    start = 0
    while start < max(len(images), 1):  # an empty set still gives (0, latent) arrays
        size = small if urgent is not None and urgent() else batch
        with _evaluating(model):
            mu, logvar = model.encode(_to_tensor(images[start:start + size], dev))
        mus.append(mu.float().cpu().numpy())
        logvars.append(logvar.float().cpu().numpy())
        start += size
        if size == small and urgent is not None:
            yield None
    return np.concatenate(mus), np.concatenate(logvars)


def decode_points(model: LatentModel, z: Any, batch: int = 4096, fast: bool = False) -> np.ndarray:
    """Decode latent points to display images in [0, 1].

    Parameters
    ----------
    model
        The model (used on its current device).
    z
        ``(M, latent_dim)`` or a single ``(latent_dim,)`` point, numpy, list or tensor.
    batch
        Points per decoder pass.
    fast
        Decode in bfloat16 where the device multiplies it natively (display quality, pixel values within
        about 0.02 of float32); float32 otherwise.

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
    with _evaluating(model), _display_precision(dev, fast):
        for start in range(0, max(points.shape[0], 1), batch):
            chunks.append(_display(model.decode_image(points[start:start + batch])))
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def native_bf16(device: torch.device) -> bool:
    """Whether bfloat16 matrix products are native (hence faster) on ``device``."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def _display_precision(device: torch.device, fast: bool):
    # Pictures on screen need ~8 bits per pixel; bfloat16 decoding differs from float32 by < 0.02 and is
    # about twice as fast where the hardware multiplies bfloat16 natively. Elsewhere it would be slower.
    if fast and native_bf16(device):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


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
    if base is None:
        point = np.zeros(latent_dim, np.float32)
    else:
        point = np.asarray(base, np.float32).reshape(latent_dim)
    grid = np.tile(point, (n * n, 1))
    cols, rows = np.meshgrid(axis, axis[::-1])
    grid[:, dims[0]] = cols.ravel()
    grid[:, dims[1]] = rows.ravel()
    return grid


def decode_grid(model: LatentModel, z_range: float | tuple[float, float] = 3.0, n: int = 15,
                dims: tuple[int, int] = (0, 1), base: Any = None, fast: bool = True) -> np.ndarray:
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
    fast
        Display precision (see :func:`decode_points`); on by default since the grid is only shown.

    Returns
    -------
    numpy.ndarray
        float32 ``(n*n, H, W)`` (``(n*n, H, W, C)`` for colour) in the order of :func:`latent_grid`;
        a 1-D latent space gives a single row, ``(n, H, W)``.
    """
    return decode_points(model, latent_grid(z_range, n, model.config.latent_dim, dims, base), fast=fast)

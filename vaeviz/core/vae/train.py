"""Training as a generator of snapshots, plus batched encode/decode helpers for the latent-space views.

:func:`train_steps` trains a model *in place* and yields an immutable :class:`TrainReport` every
``report_every`` steps. Closing the generator at any time stops training and leaves the latest weights
in the model. Speed: the data set lives on the device as one tensor and batches are taken with a
``randperm`` index, which avoids a DataLoader's per-example indexing and collation.

Latency: given ``urgent`` (the worker's "a request is waiting"), a step that starts while it is true,
or was true within ``URGENT_HOLD_S``, computes its gradient layer group by layer group
(:mod:`vaeviz.core.vae.train_split`) and yields ``None`` between chunks of about a millisecond, before
the optimiser step and after it, so a drag's decode waits for one chunk, not a whole step. The gradient
is the full batch's, the same up to float rounding; without urgency steps run whole, as before.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from vaeviz.core.vae.decoding import _check_images, _to_tensor
from vaeviz.core.vae.loss import elbo_terms
from vaeviz.core.vae.models import LatentModel
from vaeviz.core.vae.train_split import split_gradient, split_plan

URGENT_HOLD_S = 0.25  # keep splitting steps this long after the last sight of a waiting request


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


def train_steps(model: LatentModel, config: TrainConfig, train_images: Any, labels: Sequence | None = None,
                device: str | None = None,
                urgent: Callable[[], bool] | None = None) -> Iterator[TrainReport | None]:
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
    urgent
        Optional; returns true while a latency-critical request waits for this thread (the compute
        worker's ``JobContext.urgent``). Steps then run in short chunks and the generator also yields
        ``None`` between them (see the module docstring). Without it only reports are yielded.

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
    return _train(model, config, images, torch.device(device or config.device), urgent)


def _train(model: LatentModel, config: TrainConfig, images: Any, dev: torch.device,
           urgent: Callable[[], bool] | None = None) -> Iterator[TrainReport | None]:
    clock = time.perf_counter
    last_urgent = -math.inf

    def hurry() -> bool:
        # urgent now, or lately: a drag's next request is likely to come during this step
        nonlocal last_urgent
        now = clock()
        if urgent():
            last_urgent = now
            return True
        return now - last_urgent < URGENT_HOLD_S

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
    plan = split_plan(model) if urgent is not None else None  # None: whole steps only
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
            terms, split = None, plan is not None and hurry()
            if split:
                optimiser.zero_grad(set_to_none=True)
                values, suspended = yield from split_gradient(model, plan, x, config.beta, gen, hurry)
                started += suspended  # time suspended at a yield is not compute time
                resumed += suspended
            else:
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
            if terms is not None:
                optimiser.zero_grad(set_to_none=True)
                terms.loss.backward()
            optimiser.step()
            sums = [s + v * x.shape[0] for s, v in zip(sums, values, strict=True)]
            window_n += x.shape[0]
            window_busy += clock() - started
            if step % config.report_every and step < total:
                if split:  # a request may get in before the next step's first chunk
                    paused = clock()
                    yield None
                    resumed += clock() - paused
                continue
            busy += clock() - resumed
            if step == total and not _all_finite(live):
                # the last update itself overflowed, and no later loss will reveal it
                why = f"the weights became non-finite at step {step}"
                yield stopped(epoch, in_epoch, [math.nan] * 3, why)
                return
            yield report(epoch, in_epoch, [s / window_n for s in sums], done=step == total)
            resumed = clock()
            sums, window_n, window_busy = [0.0, 0.0, 0.0], 0, 0.0
    finally:
        model.train(was_training)


def _all_finite(tensors: Sequence[torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors if t.is_floating_point())


# The views' encode/decode helpers live in decoding.py; re-exported for existing callers.
from vaeviz.core.vae.decoding import (  # noqa: E402
    decode_grid,
    decode_points,
    encode_dataset,
    latent_grid,
    native_bf16,
)

__all__ = ["TrainConfig", "TrainReport", "train_steps", "decode_grid", "decode_points", "encode_dataset",
           "latent_grid", "native_bf16"]

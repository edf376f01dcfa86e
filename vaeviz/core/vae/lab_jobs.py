"""Job factories of the latent lab: the only way anything reaches a :class:`LatentLab`.

Importing this module does not import torch (the GUI imports it while building the dock); each
factory imports the lab's modules when it runs, which is in the compute thread (or the caller's
thread under the export CLI's InlineRunner). :class:`LabRef` creates the lab on first use in that
thread and keeps it there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vaeviz.core.jobs import JobContext, JobFactory
from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.lab_types import LabOptions


class LabRef:
    """Owns the lab, created lazily by the first job (so torch loads in the compute thread)."""

    def __init__(self, options: LabOptions | None = None) -> None:
        self.options = options or LabOptions()
        self._lab = None

    def get(self, ctx: JobContext | None = None):
        """Return the lab (compute thread only); a context moves it to the job's device first."""
        if self._lab is None:
            from vaeviz.core.vae.lab import LatentLab

            self._lab = LatentLab(self.options)
        if ctx is not None:
            self._lab.use_device(ctx.device)
        return self._lab


def view_job(ref: LabRef, what: str, *args: Any, **kwargs: Any) -> JobFactory:
    """A one-shot request calling ``lab_views.<what>(lab, *args)``: decode, grid, inspect, resample,
    interpolate, prior, evaluate, snapshot or drag_gif. Its result is that function's return value."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        from vaeviz.core.vae import lab_views

        if False:  # a generator without snapshots: the return value is the result
            yield None
        return getattr(lab_views, what)(ref.get(), *args, **kwargs)

    return factory


def setup_job(ref: LabRef, source: DataSource, roles: list[str], files: dict[str, str | None] | None = None,
              kind: str = "mlp-vae", latent_dim: int = 2, beta: float = 1.0) -> JobFactory:
    """Load data and models (see :func:`vaeviz.core.vae.lab_train.setup`); yields LabEvents (and
    ``None`` preemption points while a quick model trains)."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        from vaeviz.core.vae.lab_train import setup

        last = None
        for event in setup(ref.get(ctx), source, list(roles), dict(files or {}), kind, latent_dim, beta,
                           urgent=ctx.urgent):
            if event is not None:  # None: a preemption point while a quick model trains
                last = event
            yield event
        return last

    return factory


def train_job(ref: LabRef, kind: str, latent_dim: int, beta: float, lr: float, batch_size: int, epochs: int,
              fresh: bool = True, seed: int = 0, max_steps: int | None = None) -> JobFactory:
    """Train the slot of ``kind`` on the whole data set; yields TrainProgress after every step (and
    ``None`` between parts of a step while a request waits: see ``JobContext.urgent``)."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        from vaeviz.core.vae.lab_train import train
        from vaeviz.core.vae.train import TrainConfig

        lab = ref.get(ctx)
        config = lab.config_for(kind, latent_dim, beta)
        settings = TrainConfig(lr=lr, batch_size=batch_size, epochs=epochs, seed=seed, max_steps=max_steps,
                               guard_every=5)
        yield from train(lab, config, settings, fresh=fresh, urgent=ctx.urgent)

    return factory


def load_job(ref: LabRef, path: str, want: tuple[str, int] | None) -> JobFactory:
    """Load the user's checkpoint; fails with a message for the user and keeps the current model."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        from vaeviz.core.vae.lab_train import load_checkpoint_event

        if False:
            yield None
        return load_checkpoint_event(ref.get(ctx), path, want)

    return factory


def save_job(ref: LabRef, role: str, path: str) -> JobFactory:
    """Write a slot's model to a checkpoint; the result is the path written."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        if False:
            yield None
        return str(ref.get().save(role, path))

    return factory

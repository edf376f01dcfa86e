"""Job factories of the latent lab: the only way anything reaches a :class:`LatentLab`.

Importing this module does not import torch (the GUI imports it while building the dock); each
factory imports the lab's modules when it runs, which is in the compute thread (or the caller's
thread under the export CLI's InlineRunner). :class:`LabRef` creates the lab on first use in that
thread and keeps it there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def _view(ref: LabRef, compute: Callable[[Any, Any], Any]) -> JobFactory:
    """A one-shot request: ``compute(lab_views, lab)`` is its result (lab_views imports torch, so it is
    imported when the job runs)."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        from vaeviz.core.vae import lab_views

        if False:  # a generator without snapshots: the return value is the result
            yield None
        lab = ref.get()
        home = lab.device
        if not ctx.retry or ctx.device == home:  # views run where the models are
            return compute(lab_views, lab)
        # The CPU retry of a request that failed on the models' device: they go to the CPU for this answer
        # and back afterwards, between two slices of any training, whose optimiser state stays where it was.
        lab.use_device(ctx.device)
        try:
            return compute(lab_views, lab)
        finally:
            lab.use_device(home)

    return factory


def decode_job(ref: LabRef, role: str, xy) -> JobFactory:
    """The slot's decoding at the 2-D latent point ``xy``: a :class:`Decoded`."""
    return _view(ref, lambda views, lab: views.decode(lab, role, xy))


def grid_job(ref: LabRef, role: str, n: int, low: float, high: float) -> JobFactory:
    """The manifold: an n×n grid of decodings over [low, high]²: a :class:`GridImage`."""
    return _view(ref, lambda views, lab: views.grid(lab, role, n, low, high))


def inspect_job(ref: LabRef, role: str, source) -> JobFactory:
    """A data point (index) or drawing (array) through the model: an :class:`Inspection`."""
    return _view(ref, lambda views, lab: views.inspect(lab, role, source))


def resample_job(ref: LabRef, role: str, source, k: int, seed: int) -> JobFactory:
    """``k`` draws of z = μ + σ ⊙ ε for one image, decoded: a :class:`Strip`."""
    return _view(ref, lambda views, lab: views.resample(lab, role, source, k=k, seed=seed))


def interpolate_job(ref: LabRef, role: str, a, b, steps: int) -> JobFactory:
    """``steps`` decodings on the straight line between the means of A and B: a :class:`Strip`."""
    return _view(ref, lambda views, lab: views.interpolate(lab, role, a, b, steps=steps))


def prior_job(ref: LabRef, role: str, k: int, seed: int) -> JobFactory:
    """``k`` draws from the prior, decoded: a :class:`Strip`."""
    return _view(ref, lambda views, lab: views.prior(lab, role, k=k, seed=seed))


def likelihood_job(ref: LabRef, role: str, source, k: int = 1000, seed: int = 0) -> JobFactory:
    """Importance-sampled log p(x) of one image for K = 1…k beside its ELBO: a :class:`Likelihood`."""
    return _view(ref, lambda views, lab: views.likelihood(lab, role, source, k=k, seed=seed))


def holes_job(ref: LabRef, role: str, n: int = 15) -> JobFactory:
    """The slot's holes over its own codes, measured and decoded (~1 s, cached per weights): a
    :class:`HoleView`."""
    return _view(ref, lambda views, lab: views.holes(lab, role, n))


def boundary_pick_job(ref: LabRef, role: str) -> JobFactory:
    """The data set index of an image on a class boundary with a wide q(z|x) (the ε view's pick): an
    ``int``."""
    return _view(ref, lambda views, lab: views.boundary_pick(lab, role))


def snapshot_job(ref: LabRef, role: str) -> JobFactory:
    """The scatter re-encoded with the slot's model: a :class:`LatentSnapshot`."""
    return _view(ref, lambda views, lab: views.snapshot(lab, role))


def evaluate_job(ref: LabRef, role: str) -> JobFactory:
    """The slot's ELBO terms on the scatter's images: an :class:`Evaluation`."""
    return _view(ref, lambda views, lab: views.evaluate(lab, role))


def drag_walk_job(ref: LabRef, role: str, a, b, frames: int) -> JobFactory:
    """The latent point from A to B and back with its decodings: a :class:`DragWalk` (for the GIF)."""
    return _view(ref, lambda views, lab: views.drag_walk(lab, role, a, b, frames))


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

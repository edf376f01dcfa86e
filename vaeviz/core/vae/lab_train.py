"""Long lab jobs as generators: training with a live scatter, and set-up (data + models) at launch.

Both run in the compute thread (see :mod:`vaeviz.core.vae.lab`). They yield often (every training
step, every piece of data drawn) so the worker can serve "decode" requests in between: a drag stays
live while a model trains. Closing a generator stops it and keeps whatever it reached: training
leaves the latest weights in the model slot, set-up leaves the models loaded so far.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator

import numpy as np

from vaeviz.core.vae import lab_views
from vaeviz.core.vae.lab import LabError, LatentLab
from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.lab_types import LabEvent, LatentSnapshot, ModelInfo, TrainProgress, role_of
from vaeviz.core.vae.models import ModelConfig, build_model
from vaeviz.core.vae.train import TrainConfig, train_steps


def train(lab: LatentLab, config: ModelConfig, settings: TrainConfig, fresh: bool = True,
          origin: str = "trained here",
          urgent: Callable[[], bool] | None = None) -> Iterator[TrainProgress | None]:
    """Train the slot of ``config.kind``; yield a :class:`TrainProgress` after every step.

    ``urgent`` (the worker's ``JobContext.urgent``) goes to :func:`train_steps`: while a request waits,
    each step runs in ~1 ms chunks with ``None`` (a preemption point, no snapshot) between them.

    A new model is built when ``fresh`` is true or the slot's model has another architecture;
    otherwise training continues from the current weights with ``config.beta``. The model is put in
    its slot before the first step, so the views show it as it learns. The scatter is re-encoded
    every ``options.snapshot_every_s`` seconds and after the last step.
    """
    data = lab.train_tensor()
    role = role_of(config.kind)
    model = lab.models.get(role)
    if fresh or model is None or model.config.architecture() != config.architecture():
        model = build_model(config, seed=settings.seed)
    else:
        model.config = dataclasses.replace(model.config, beta=config.beta)  # train (and save) with the new β
    trained_on = lab.data_key
    info = lab.install(model, origin, trained_on)
    settings = dataclasses.replace(settings, beta=config.beta, device=lab.device)
    steps = train_steps(model, settings, data, urgent=urgent)
    history: np.ndarray | None = None
    latest: LatentSnapshot | None = None
    last_encoded = -math.inf
    try:
        for report in steps:
            if report is None:
                yield None
                continue
            if history is None:
                history = np.full((report.total_steps, 4), np.nan, np.float32)
            k = min(report.step, len(history)) - 1
            history[k] = (report.step, report.elbo, report.recon, report.kl)
            now = time.perf_counter()
            # While a drag streams requests (urgent), this job runs at a fraction of its speed and
            # re-encoding the scatter would take most of it: snapshots come four times less often then.
            every = lab.options.snapshot_every_s * (4.0 if urgent is not None and urgent() else 1.0)
            if report.done or now - last_encoded >= every:
                # after a NaN stop: the restored weights
                latest = yield from lab_views.snapshot_in_pieces(lab, role, urgent)
                last_encoded = now
            if report.done:
                what = f"{origin} ({report.step} steps on {lab.data_name}, β = {config.beta:g})"
                info = lab.infos[role] = lab.describe(role, what, trained_on)
            done_rows = history[:k + 1]
            yield TrainProgress(
                role=role, step=report.step, total_steps=report.total_steps, epoch=report.epoch,
                epochs=report.epochs, fraction=report.fraction, message=report.message, elbo=report.elbo,
                recon=report.recon, kl=report.kl, history=done_rows[np.isfinite(done_rows[:, 1])].copy(),
                snapshot=latest, model=info, done=report.done, stopped_reason=report.stopped_reason)
    finally:
        steps.close()
        model.eval()


def quick_train(lab: LatentLab, role: str, kind: str, latent_dim: int = 2,
                beta: float = 1.0,
                urgent: Callable[[], bool] | None = None) -> Iterator[TrainProgress | None]:
    """The model trained on the spot when no shipped checkpoint fits the data (a few hundred steps)."""
    if role_of(kind) != role:
        kind = "mlp-vae" if role == "vae" else "mlp-ae"
    config = lab.config_for(kind, latent_dim, beta)
    steps = lab.options.quick_steps
    epochs = max(1, math.ceil(steps * 128 / max(lab.data_size, 1)))
    settings = TrainConfig(lr=1e-3, batch_size=128, epochs=epochs, max_steps=steps, seed=0, guard_every=20)
    yield from train(lab, config, settings, fresh=True, origin="quick model trained at start-up",
                     urgent=urgent)


def setup(lab: LatentLab, source: DataSource, roles: list[str], files: dict[str, str | None] | None = None,
          kind: str = "mlp-vae", latent_dim: int = 2, beta: float = 1.0,
          urgent: Callable[[], bool] | None = None) -> Iterator[LabEvent | None]:
    """Bring the lab to ``source`` with a model in each of ``roles``.

    For each slot, in order of preference: the file named in ``files`` (a session's checkpoint), the
    kept model (same data, still fits), the shipped checkpoint for the data set, or a quick model
    trained here. Models that need no training come first, so the scatter and the decoded image show
    while the rest of the data is drawn. Problems with files become ``notes``, never a failure: the
    lab always ends with working models. Data that cannot be loaded raises (nothing is changed).
    With ``urgent``, quick training also yields ``None`` preemption points (see :func:`train`).
    """
    files = files or {}
    notes: list[str] = []
    changed = lab.source != source or lab.image_shape is None
    if changed:
        for event in lab.load_data(source):
            notes.extend(event.notes)  # e.g. the shipped data set could not be used
            yield event
        lab.models.clear()  # models of other data must not be shown on this data
        lab.infos.clear()
    events = LabEvent(0.4, "models", data=lab.data_info())
    to_train = []
    for role in roles:
        path = files.get(role)
        if path:
            try:
                lab.load_file(path)
                continue
            except (LabError, ValueError, OSError) as exc:
                notes.append(f"{role.upper()}: {exc}")
        if not changed and lab.fits_data(role):
            continue
        info, note = lab.load_shipped(role)
        if note:
            notes.append(note)
        if info is None:
            to_train.append(role)
    ready = {r: lab.infos[r] for r in roles if r in lab.models}
    yield dataclasses.replace(events, models=ready,
                              snapshots={r: lab_views.snapshot(lab, r) for r in ready})
    yield from lab.finish_data()
    for role in to_train:
        notes.append(f"No shipped {role.upper()} checkpoint for {lab.data_name}: trained a quick one "
                     f"({lab.options.quick_steps} steps). Press Start under Training for a better model.")
        for progress in quick_train(lab, role, kind, latent_dim, beta, urgent):
            if progress is None:
                yield None
                continue
            yield LabEvent(0.4 + 0.6 * progress.fraction, f"quick {role.upper()}: {progress.message}",
                           train=progress)
    roles_ready = [r for r in roles if r in lab.models]
    yield LabEvent(1.0, "ready", data=lab.data_info(), models={r: lab.infos[r] for r in roles_ready},
                   snapshots={r: lab_views.snapshot(lab, r) for r in roles_ready},
                   evaluations={r: lab_views.evaluate(lab, r) for r in roles_ready},
                   notes=tuple(notes), done=True)


def load_checkpoint_event(lab: LatentLab, path: str, want: tuple[str, int] | None) -> LabEvent:
    """Load a checkpoint chosen by the user; raises (with the message to show) if it cannot be used."""
    info: ModelInfo = lab.load_file(path, want)
    notes = ()
    if info.trained_on and info.trained_on != lab.data_key:
        notes = (f"{info.origin} was trained on '{info.trained_on}'; the data shown is {lab.data_name}.",)
    return LabEvent(1.0, f"loaded {info.origin}", models={info.role: info},
                    snapshots={info.role: lab_views.snapshot(lab, info.role)},
                    evaluations={info.role: lab_views.evaluate(lab, info.role)}, notes=notes, done=True)

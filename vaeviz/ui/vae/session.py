"""The GUI thread's view of the latent lab: long jobs (set-up, training, checkpoints) and what they report.

:class:`LabSession` owns the two job channels of the dock and the latest state the compute thread sent
back (data, models, scatters, ELBO numbers). It emits signals in the GUI thread; the controller turns
them into pictures. Its channels:

- ``main`` (``"latent:main"``): set-up, data sets, checkpoint loading and training, one at a time (a new
  one cancels the running one: loading other data stops training, which keeps its latest weights);
- ``aux`` (``"latent:aux"``): the other model slot's model (e.g. the AE for "side by side") while
  ``main`` trains.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from vaeviz.core.jobs import JobFactory
from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.lab_jobs import (
    LabRef,
    evaluate_job,
    load_job,
    save_job,
    setup_job,
    snapshot_job,
    train_job,
)
from vaeviz.core.vae.lab_types import (
    DataInfo,
    Evaluation,
    LabEvent,
    LabOptions,
    LatentSnapshot,
    ModelInfo,
    TrainProgress,
    role_of,
)
from vaeviz.core.vae.state import ModelChoice
from vaeviz.ui.lab.controller import LabController, user_message
from vaeviz.ui.lab.message_bar import MessageBar
from vaeviz.ui.vae.explain import Numbers

__all__ = ["LabSession", "user_message"]


class LabSession(LabController):
    """Long lab jobs and their results, in the GUI thread; the latent lab's :class:`LabController`
    (``lab_id`` ``"latent"``: channels ``"latent:main"`` and ``"latent:aux"``, keys
    ``"latent:decode:vae"``…)."""

    data_changed = Signal(object)  # DataInfo of new data (every view of old data is stale)
    model_changed = Signal(object)  # ModelInfo
    snapshot_ready = Signal(object)  # LatentSnapshot (a new scatter: the model changed)
    numbers_changed = Signal(str)  # role whose ELBO numbers changed
    train_progress = Signal(object)  # TrainProgress of the user's training (not of quick models)
    running_changed = Signal()  # the main channel started or ended something
    ready_changed = Signal()  # a set-up or load ended
    setup_step = Signal(str, float)  # set-up step (data drawing, download, quick model): message, fraction

    def __init__(self, compute, messages: MessageBar, options: LabOptions | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(compute, "latent", messages, parent)
        self.ref = LabRef(options)
        # the handlers run before the lab's idle check: the lab is idle once it took the result
        self.main = self.channel("main", on_progress=self._on_main_progress,
                                 on_finished=self._on_main_finished, on_failed=self._on_main_failed,
                                 on_cancelled=self._on_main_cancelled)
        self.aux = self.channel("aux", on_progress=self._on_aux_progress, on_finished=self._on_aux_finished,
                                on_failed=self._on_aux_failed)
        self.source = DataSource()  # the data in use (or, before the first load, the one to load)
        self.loading: DataSource | None = None
        self.data: DataInfo | None = None
        self.models: dict[str, ModelInfo] = {}
        self.snapshots: dict[str, LatentSnapshot] = {}
        self.numbers: dict[str, Numbers] = {}
        self.task = ""  # what ``main`` runs: "setup", "train", "load" or ""
        self.aux_role: str | None = None
        self.train_role: str | None = None
        self._ready_waits: list[tuple[tuple[str, ...], Callable[[], None]]] = []

    # ----- state ------------------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self.task == "train"

    @property
    def data_ready(self) -> bool:
        return self.data is not None and self.data.complete and self.task != "setup"

    def ready(self, roles) -> bool:
        """Whether every slot in ``roles`` has a model and a scatter (and no set-up is running)."""
        if self.task in ("setup", "load"):
            return False
        return all(r in self.models and r in self.snapshots for r in roles)

    def when_ready(self, roles, callback: Callable[[], None]) -> None:
        """Call ``callback`` once :meth:`ready` holds for ``roles`` (at once if it does now, as always
        under the export CLI's InlineRunner; later, without a nested event loop, with the real worker)."""
        if self.ready(roles):
            callback()
        else:
            self._ready_waits.append((tuple(roles), callback))

    def _check_ready(self) -> None:
        """Run the :meth:`when_ready` callbacks whose slots are in (after the dock took the news)."""
        if self.closed or not self._ready_waits:
            return
        waits, self._ready_waits = self._ready_waits, []
        for roles, callback in waits:
            if self.ready(roles):
                callback()
            else:
                self._ready_waits.append((roles, callback))

    def shutdown(self) -> None:
        self._ready_waits.clear()
        super().shutdown()

    # ----- long jobs -----------------------------------------------------------------------------------
    def setup(self, source: DataSource, roles, choice: ModelChoice, files: dict | None = None) -> None:
        """Load ``source`` (if it is not the current data) and models for ``roles``."""
        self._replace_main("setup")
        self.aux.cancel()
        self.aux_role = None
        self.loading = source
        self.main.submit(setup_job(self.ref, source, list(roles), files or {}, choice.kind, choice.latent_dim,
                                   choice.beta), progress="every")

    def prepare(self, role: str, choice: ModelChoice) -> None:
        """Get a model into ``role`` beside whatever ``main`` does (after the data is in)."""
        if role in self.models or self.data is None or self.task == "setup" or self.aux.busy:
            return
        self.aux_role = role
        job = setup_job(self.ref, self.source, [role], {}, choice.kind, choice.latent_dim, choice.beta)
        self.aux.submit(job, progress="every")

    def train(self, choice: ModelChoice, lr: float, batch_size: int, epochs: int, fresh: bool,
              max_steps: int | None = None) -> bool:
        if not self.data_ready:
            self.report("The data set is still loading; start training when it is ready.", "info")
            return False
        role = role_of(choice.kind)
        if role == self.aux_role:
            self.aux.cancel()
            self.aux_role = None
        self._replace_main("train")
        self.train_role = role
        job = train_job(self.ref, choice.kind, choice.latent_dim, choice.beta, lr, batch_size, epochs,
                        fresh=fresh, max_steps=max_steps)
        self.main.submit(job, progress="latest")
        return True

    def load(self, path: str, choice: ModelChoice) -> None:
        self._replace_main("load")
        self.main.submit(load_job(self.ref, path, (choice.kind, choice.latent_dim)))

    def stop(self) -> None:
        """Stop training now; the model keeps the weights it reached."""
        self.main.cancel()

    def pause(self, paused: bool) -> None:
        if paused:
            self.main.pause()
        else:
            self.main.resume()

    def _replace_main(self, task: str) -> None:
        self.main.cancel()  # before setting the task: its 'cancelled' belongs to the old one
        self.task = task
        self.running_changed.emit()

    def request_view(self, name: tuple[str, ...], factory: JobFactory, on_result, on_failed=None,
                     interactive: bool = False) -> int:
        """A latest-wins request to the lab (a job factory of :mod:`vaeviz.core.vae.lab_jobs`: decode,
        grid, inspect, strips…) keyed ``key(*name)`` (``("decode", "vae")`` → ``"latent:decode:vae"``);
        errors become messages unless ``on_failed``. ``interactive``: one of a stream the user makes by
        dragging (:meth:`LabController.stream`)."""
        send = self.stream if interactive else self.request
        return send(name, factory, on_result, on_failed)

    def save(self, role: str, path: str) -> None:
        """Write a slot's model to a checkpoint (a request: training goes on meanwhile)."""
        def done(written: str) -> None:
            self.report(f"Checkpoint saved to {written}.", "info")

        def failed(message: str, _details: str) -> None:
            self.report(f"Could not save the checkpoint: {user_message(message)}. "
                        "Any previous file is untouched.")

        self.request("save", save_job(self.ref, role, path), done, failed)

    def refresh(self, role: str) -> None:
        """Re-encode the scatter and re-evaluate the ELBO of ``role`` (after training stopped)."""
        self.request_view(("snapshot", role), snapshot_job(self.ref, role), self._on_refreshed)
        self.request_view(("eval", role), evaluate_job(self.ref, role), self._take_evaluation)

    # ----- results ----------------------------------------------------------------------------------------
    def _apply(self, event, curves: bool) -> None:
        if self.closed:
            return
        if isinstance(event, TrainProgress):
            self._take_progress(event, curves)
            return
        if not isinstance(event, LabEvent):
            return
        if curves:  # the main channel's set-up: say what it is doing (downloads take a while)
            self.setup_step.emit(event.message, event.fraction)
        if event.data is not None:
            self._take_data(event.data)
        for info in event.models.values():
            self._take_model(info)
        for snap in event.snapshots.values():
            self._take_snapshot(snap)
        for evaluation in event.evaluations.values():
            self._take_evaluation(evaluation)
        if event.train is not None:
            self._take_progress(event.train, curves=False)
        if event.done and event.notes:
            self.report(" ".join(event.notes), "info")

    def _take_data(self, info: DataInfo) -> None:
        new = self.data is None or info.data_version != self.data.data_version
        self.data = info
        if new:
            self.source = self.loading or self.source
            if info.key == "shapes" and self.source.key != "shapes":  # the lab fell back to the shapes
                self.source = DataSource("shapes")
            self.models.clear()
            self.snapshots.clear()
            self.numbers.clear()
            self.data_changed.emit(info)
        self.running_changed.emit()  # "complete" may have changed: training may start now

    def _take_model(self, info: ModelInfo) -> None:
        if self.models.get(info.role) != info:
            self.models[info.role] = info
            self.model_changed.emit(info)

    def _take_snapshot(self, snap: LatentSnapshot) -> None:
        old = self.snapshots.get(snap.role)
        if self.data is None or snap.data_version != self.data.data_version:
            return  # encodings of data that has since been replaced
        if old is not None and old.version >= snap.version:
            return
        self.snapshots[snap.role] = snap
        self.snapshot_ready.emit(snap)

    def _on_refreshed(self, snap: LatentSnapshot) -> None:
        self._take_snapshot(snap)
        self._check_ready()

    def _take_evaluation(self, e: Evaluation) -> None:
        self.numbers[e.role] = Numbers(e.recon, e.kl, f"mean over {e.n} images", e.beta)
        self.numbers_changed.emit(e.role)

    def _take_progress(self, p: TrainProgress, curves: bool) -> None:
        self._take_model(p.model)
        if p.snapshot is not None:
            self._take_snapshot(p.snapshot)
            self.numbers[p.role] = Numbers(p.recon, p.kl, f"last training batch, step {p.step}", p.model.beta)
            self.numbers_changed.emit(p.role)
        if curves:
            self.train_progress.emit(p)
        if p.stopped_reason:
            self.report(f"Training stopped: {p.stopped_reason}. Nothing else was lost.")

    # ----- channel slots ------------------------------------------------------------------------------------
    @Slot(object)
    def _on_main_progress(self, event) -> None:
        self._apply(event, curves=self.task in ("train", "setup"))

    @Slot(object)
    def _on_main_finished(self, result) -> None:
        task, self.task = self.task, ""
        self._apply(result, curves=task == "train")
        if task == "train":
            self.refresh(result.role)  # the ELBO over 500 images, not one batch
        self.running_changed.emit()
        if task in ("setup", "load"):
            self.ready_changed.emit()
        self._check_ready()

    @Slot(str, str)
    def _on_main_failed(self, message: str, _details: str) -> None:
        task, self.task = self.task, ""
        text = user_message(message)
        if task == "setup":
            what = self.loading.describe() if self.loading is not None else "the data"
            stay = f" Staying on {self.data.name}." if self.data is not None else ""
            self.report(f"Could not load {what}: {text}.{stay}")
            self.loading = self.source
        elif task == "load":
            keep = "" if "unchanged" in text else " The current model is unchanged."
            self.report(f"Could not load the checkpoint: {text}{keep}")
        else:
            self.report(f"Training failed: {text}. The model keeps its latest weights.")
        self.running_changed.emit()
        self.ready_changed.emit()
        self._check_ready()

    @Slot()
    def _on_main_cancelled(self) -> None:
        task, self.task = self.task, ""
        if task == "train" and not self.closed and self.train_role is not None:
            self.report("Training stopped: the model keeps the weights it reached.", "info")
            self.refresh(self.train_role)
        self.running_changed.emit()
        self._check_ready()

    @Slot(object)
    def _on_aux_progress(self, event) -> None:
        self._apply(event, curves=False)

    @Slot(object)
    def _on_aux_finished(self, result) -> None:
        self.aux_role = None
        self._apply(result, curves=False)
        self.ready_changed.emit()
        self._check_ready()

    @Slot(str, str)
    def _on_aux_failed(self, message: str, _details: str) -> None:
        role, self.aux_role = self.aux_role, None
        self.report(f"Could not prepare the {(role or '').upper()} model: {user_message(message)}")
        self.ready_changed.emit()
        self._check_ready()

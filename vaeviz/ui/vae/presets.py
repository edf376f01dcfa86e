"""The latent dock's presets (data in :mod:`vaeviz.core.vae.presets`) applied to the dock.

Applying one is: start the lab, :meth:`~vaeviz.ui.vae.dock.LatentDock.apply_state` the preset's state,
train its steps if any, clear the selection, then run its named follow-up. Nothing blocks in a nested
event loop: each step is a callback run when what it needs is in
(:meth:`~vaeviz.ui.vae.session.LabSession.when_ready` for models and scatters,
:meth:`~vaeviz.ui.lab.controller.LabController.when_idle` for training and requests). Under the export
CLI the dock's compute is an InlineRunner, so every callback runs at once and the preset has finished
when ``apply`` returns; with the real worker ``done`` (if given) is called when it has.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaeviz.core.vae.lab_jobs import boundary_pick_job
from vaeviz.core.vae.presets import (
    PRESETS,
    LatentPreset,
    emptiest_point,
    nearest_code,
    two_classes,
)
from vaeviz.ui.docks.base import Preset
from vaeviz.ui.lab.controller import user_message

Done = Callable[[], None]


def apply_preset(dock, preset: LatentPreset, steps: int | None, done: Done | None = None) -> None:
    """Put the dock in ``preset``'s view; ``steps``: training steps (None: the preset's own)."""
    steps = preset.train_steps if steps is None else steps

    def ready() -> None:
        if steps:
            dock.train_steps(steps, lambda: dock.session.when_ready(dock.figure.roles(), trained))
        else:
            trained()

    def trained() -> None:
        dock.controller.clear_selection()
        dock.controller.fill_empty_strips()  # prior samples, unless the follow-up shows another strip
        if preset.follow_up is None:
            finish()
        else:
            FOLLOW_UPS[preset.follow_up](dock, finish)

    def finish() -> None:
        if done is not None:
            done()

    dock.ensure_built()
    dock.ensure_started()
    dock.apply_state(preset.state_for(dock.lab_state), then=ready)


# ----- follow-ups: what depends on the trained model ---------------------------------------------------
def _click_nearest(dock, role: str, point) -> None:
    snap = dock.session.snapshots[role]
    dock.click(int(snap.indices[nearest_code(snap.mu, point)]))


def prior_samples(dock, finish: Done) -> None:
    role = dock.figure.roles()[0]
    _click_nearest(dock, role, dock.figure.panes[role].target_xy())  # x, its reconstruction, log p(x)
    dock.controller.prior()
    finish()


def _pick_two_classes(dock) -> tuple[int, int]:
    snap = dock.session.snapshots["vae"]
    a, b = two_classes(snap.mu, snap.labels, snap.indices)
    dock.click(a)
    dock.click(b, shift=True)
    return a, b


def between_two_classes(dock, finish: Done) -> None:
    a, _b = _pick_two_classes(dock)

    def between() -> None:  # the inspection of B is in
        snap = dock.session.snapshots["vae"]
        mu_a = snap.mu[int(np.searchsorted(snap.indices, a)), :2]
        mid = 0.5 * (mu_a + dock.controller.inspections["vae"].mu[:2])  # between the clusters
        dock.figure.panes["vae"].set_target(*mid)
        finish()

    dock.session.when_idle(between)


def holes(dock, finish: Done) -> None:
    """One typical image picked, ⊕ where each model has seen no data, prior samples under each grid."""
    snap = dock.session.snapshots["vae"]
    _click_nearest(dock, "vae", np.nanmedian(snap.mu[:, :2], axis=0))
    for role in dock.figure.roles():  # what each model decodes where it has seen no data
        dock.figure.panes[role].set_target(*emptiest_point(dock.session.snapshots[role].mu))
    dock.controller.prior()
    dock.session.when_idle(finish)


def reparameterise(dock, finish: Done) -> None:
    """Pick an image whose draws reach other classes (chosen in the worker: ~15 ms), then draw ε."""
    def picked(index: int) -> None:
        dock.click(index)
        dock.controller.resample()
        dock.session.when_idle(finish)

    def failed(message: str, _details: str) -> None:
        dock.session.report(f"Could not pick an image for the ε view: {user_message(message)}")
        finish()

    dock.session.request_view(("boundary-pick",), boundary_pick_job(dock.session.ref, "vae"), picked, failed)


FOLLOW_UPS: dict[str, Callable[[object, Done], None]] = {
    "prior-samples": prior_samples,
    "between-two-classes": between_two_classes,
    "holes": holes,
    "reparameterise": reparameterise,
}


def _applier(preset: LatentPreset) -> Callable:
    def apply(dock, steps: int | None, done: Done | None = None) -> None:
        apply_preset(dock, preset, steps, done)

    return apply


def dock_presets() -> list[Preset]:
    """The presets as the dock registry lists them."""
    return [Preset(p.name, p.description, _applier(p)) for p in PRESETS]

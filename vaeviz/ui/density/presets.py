"""The Density dock's presets (data in :mod:`vaeviz.core.density.presets`) applied to the dock.

Applying one goes through the lab's ``apply_state`` with its data sampled again, then runs its follow-up
("train-vae": the VAE trained and mapped; "generative": the mixture's generative process shown with a few
thousand draws) — each step in a ``when_idle`` callback, so under the export CLI's InlineRunner the preset
has finished when ``apply`` returns. The "generative-process" preset is offered only when the generative
view is part of this build.
"""

from __future__ import annotations

import importlib.util

from vaeviz.core.density.presets import DENSITY_PRESETS, GENERATIVE, DensityPreset
from vaeviz.ui.docks.base import Preset

GENERATIVE_DRAWS = 3000  # draws shown by the generative-process preset: the histogram has taken shape


def apply_preset(dock, preset: DensityPreset, steps: int | None) -> None:
    """Apply ``preset``; ``steps`` (the export CLI's ``--steps``): the VAE's training steps instead of the
    state's own."""
    lab = dock.lab
    state = preset.state
    if steps is not None and preset.follow_up == "train-vae":
        from dataclasses import replace

        state = replace(state, settings=replace(state.settings, vae_steps=max(1, steps)))
    lab.views.setCurrentWidget(lab.figure)
    lab.controls.preset.setCurrentIndex(lab.controls.preset.findData(preset.name))  # (no signal: a choice)
    if not lab.apply_state(state, reload_data=True):
        return

    def loaded() -> None:
        if preset.follow_up == "train-vae":
            lab.train_vae()
        elif preset.follow_up == "generative":
            lab.controller.when_idle(lambda: lab.show_generative(GENERATIVE_DRAWS))

    lab.controller.when_idle(loaded)


def generative_available() -> bool:
    return importlib.util.find_spec("vaeviz.ui.density.generative_view") is not None


def density_presets() -> list[Preset]:
    presets = DENSITY_PRESETS + ((GENERATIVE,) if generative_available() else ())
    return [Preset(p.name, p.description, lambda dock, steps, p=p: apply_preset(dock, p, steps),
                   max_steps=20_000) for p in presets]

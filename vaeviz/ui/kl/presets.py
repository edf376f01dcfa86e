"""The KL dock's presets (data in :mod:`vaeviz.core.kl.presets`) applied to the dock.

Applying one goes through the lab's ``apply_state`` (which starts the fit), then shows the frame at the
preset's step once the fit's frames are in, then runs its follow-up — each step in a ``when_idle``
callback, so under the export CLI's InlineRunner the preset has finished when ``apply`` returns.
"""

from __future__ import annotations

from dataclasses import replace

from vaeviz.core.kl.presets import KL_PRESETS, KLPreset
from vaeviz.ui.docks.base import Preset


def apply_preset(dock, preset: KLPreset, steps: int | None) -> None:
    """Apply ``preset``; ``steps`` (the export CLI's ``--steps``): fit that many steps instead of the
    preset's own (the fit then ends there, so a short export is quick)."""
    lab = dock.lab
    state = preset.state
    shown = preset.steps
    if steps is not None:
        shown = max(1, min(steps, state.fit.max_steps))
        state = replace(state, fit=replace(state.fit, max_steps=shown,
                                           steps_per_frame=min(state.fit.steps_per_frame, shown)))
    lab.runner.pause()
    if not lab.apply_state(state, restart=False):
        return
    lab.restart()

    def fitted() -> None:
        lab.runner.goto_step(shown)
        if preset.follow_up == "several-starts":
            lab.run_several_starts()

    lab.controller.when_idle(fitted)


def kl_presets() -> list[Preset]:
    return [Preset(p.name, p.description, lambda dock, steps, p=p: apply_preset(dock, p, steps),
                   max_steps=p.state.fit.max_steps) for p in KL_PRESETS]

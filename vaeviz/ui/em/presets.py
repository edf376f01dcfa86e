"""The GMM & EM dock's presets: :mod:`vaeviz.core.em.presets` (states + steps + follow-ups) made into
:class:`~vaeviz.ui.docks.base.Preset` objects for the lecture and the export CLI.

Light at import (``vaeviz export --list`` lists the presets without building the dock). Applying one goes
through the lab's ``apply_state``, loads the state's data preset, runs ``steps`` EM iterations and then
its follow-up, each step chained on the previous one's result (``when_idle``; no nested event loops). In
the app the preset finishes when the worker has answered; inline (CLI, tests) at once.
"""

from __future__ import annotations

from vaeviz.core.em.presets import EM_PRESETS, EmPreset
from vaeviz.ui.docks.base import Preset


def _follow_up(lab, preset: EmPreset, steps: int) -> None:
    """What comes after the preset's data: EM for ``steps`` iterations, then the follow-up."""
    if preset.follow_up == "singular":
        _singular(lab, steps)
        return
    lab.restart(n_half=2 * steps)
    if preset.follow_up == "marginal":
        lab.problems.show_problem("marginal")
    elif preset.follow_up in ("seeds", "seeds-aligned"):  # (the state says whether the runs are aligned)
        lab.controller.when_idle(lab.problems.run_seeds)


def _singular(lab, steps: int) -> None:
    """Converge a little first (so the other components sit on the blobs), then snap and step."""

    def snap() -> None:
        lab.select_component(lab.state.model.k - 1)
        lab.problems.snap_shrink()
        if steps:  # the snap acts as an E-step: its M-step comes next
            lab.controller.when_idle(lambda: lab.runner.goto(lab.runner.pos + 2 * steps - 1))

    lab.restart(n_half=10)
    lab.controller.when_idle(snap)


def _apply(preset: EmPreset):
    def apply(dock, steps: int | None) -> None:
        lab = dock.lab
        lab.transport.run.setChecked(False)
        if preset.state.mode == "1d":
            lab.apply_state(preset.state)
            return
        n_steps = preset.steps if steps is None else steps
        lab.problems.clear()
        lab.apply_state(preset.state, restart=False)  # the data below restart EM
        data = preset.state.data
        lab.load_data_preset(data.preset, data.n, 0, then=lambda: _follow_up(lab, preset, n_steps))

    return apply


def em_presets() -> list[Preset]:
    return [Preset(p.name, p.description, _apply(p)) for p in EM_PRESETS]

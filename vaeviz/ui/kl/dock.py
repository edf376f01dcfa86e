"""KL divergence lab dock: fit a simple q to a complex p by KL(p‖q) and by KL(q‖p), side by side.

The dock is thin: the lab lives in :mod:`vaeviz.ui.kl` (imported in :meth:`KlDock.build`, so start-up
imports neither pyqtgraph nor numpy-heavy modules, and never torch), its maths in :mod:`vaeviz.core.kl`.
Sessions are the lab's :class:`~vaeviz.core.kl.state.KLLabState` as JSON, applied by ``apply_state``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtWidgets import QWidget

from vaeviz.ui.docks.base import LabDock, Preset, delete_at_exit

STATE_VERSION = 1  # vaeviz.core.kl.state.STATE_VERSION (checked by the tests; not imported at start-up)


class KlDock(LabDock):
    dock_id = "kl"
    title = "KL divergence"
    shortcut = "Ctrl+3"
    state_version = STATE_VERSION
    start_state: ClassVar[Any] = None  # the KLLabState shown first; None: "overview"s (tests: a tiny one)

    def build(self) -> QWidget:
        from vaeviz.core.kl.presets import preset
        from vaeviz.ui.kl.lab import KlLab

        start = self.start_state or preset("overview").state
        self.lab = KlLab(self.compute, [(p.name, p.description) for p in self.presets()], start)
        self.lab.controls.apply_preset.clicked.connect(self._on_apply_preset)
        delete_at_exit(self.lab.figure, self)
        return self.lab

    def _on_apply_preset(self) -> None:
        name = self.lab.controls.preset.currentData()
        preset = next(p for p in self.presets() if p.name == name)
        preset.apply(self, None)

    def figure_widget(self) -> QWidget:
        self.ensure_built()
        return self.lab.figure

    def state(self) -> dict:
        from vaeviz.core.kl.state import state_to_json

        self.ensure_built()
        return state_to_json(self.lab.state)

    def validate_state(self, state: dict) -> None:
        from vaeviz.core.kl.state import state_from_json

        super().validate_state(state)
        state_from_json(dict(state))

    def restore_state(self, state: dict) -> None:
        from vaeviz.core.kl.state import state_from_json

        self.ensure_built()
        self.lab.runner.pause()
        self.lab.apply_state(state_from_json(dict(state)))

    def self_check(self, done) -> None:
        from vaeviz.ui.kl.self_check import check_lab

        problems = self.content_problems()
        check_lab(self.lab, lambda found: done(problems + found))

    @classmethod
    def presets(cls) -> list[Preset]:
        from vaeviz.ui.kl.presets import kl_presets

        return kl_presets()


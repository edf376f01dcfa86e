"""Density lab dock: estimate p_data from points (histogram, KDE, Gaussian mixture, autoregressive, a VAE),
sample p_model, held-out log-likelihoods, tractable versus intractable densities.

The dock is thin: the lab lives in :mod:`vaeviz.ui.density` (imported in :meth:`DensityDock.build`, so
start-up imports neither pyqtgraph nor numpy-heavy modules, and never torch), its maths in
:mod:`vaeviz.core.density`. Its data are the window's shared point set (:mod:`vaeviz.ui.shared_data`).
Sessions are the lab's :class:`~vaeviz.core.density.state.DensityLabState` as JSON, applied by
``apply_state``; the points themselves are saved by the GMM & EM dock, which shares them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtWidgets import QWidget

from vaeviz.ui.docks.base import LabDock, Preset, delete_at_exit

STATE_VERSION = 1  # vaeviz.core.density.state.STATE_VERSION (checked by the tests; not imported at start-up)


class DensityDock(LabDock):
    dock_id = "density"
    title = "Density"
    shortcut = "Ctrl+1"
    state_version = STATE_VERSION
    start_state: ClassVar[Any] = None  # the DensityLabState shown first; None: the presets' START

    def build(self) -> QWidget:
        from vaeviz.core.data.density_presets import make_density_preset
        from vaeviz.core.density.presets import START
        from vaeviz.ui.density.lab import DensityLab
        from vaeviz.ui.shared_data import shared_pointset

        start = self.start_state or START
        points = shared_pointset(self)
        if len(points) == 0 and start.mode == "2d":  # first lab to open: a finished figure at once
            data = make_density_preset(start.data.preset, start.data.n, start.data.seed)
            points.replace(data.points, None, text=f"load preset {start.data.preset}")
            points.clear_history()
        self.lab = DensityLab(self.compute, points, [(p.name, p.description) for p in self.presets()], start)
        self.lab.controls.apply_preset.clicked.connect(self._on_apply_preset)
        delete_at_exit(self.lab.figure, self)
        return self.lab

    def _on_apply_preset(self) -> None:
        name = self.lab.controls.preset.currentData()
        preset = next(p for p in self.presets() if p.name == name)
        preset.apply(self, None)

    def figure_widget(self) -> QWidget:
        self.ensure_built()
        return self.lab.current_figure()

    def state(self) -> dict:
        from vaeviz.core.density.state import state_to_json

        self.ensure_built()
        return state_to_json(self.lab.state)

    def validate_state(self, state: dict) -> None:
        from vaeviz.core.density.state import state_from_json

        super().validate_state(state)
        state_from_json(dict(state))

    def restore_state(self, state: dict) -> None:
        from vaeviz.core.density.state import state_from_json

        self.ensure_built()
        self.lab.apply_state(state_from_json(dict(state)))

    def self_check(self, done) -> None:
        from vaeviz.ui.density.self_check import check_lab

        problems = self.content_problems()
        check_lab(self.lab, lambda found: done(problems + found))

    @classmethod
    def presets(cls) -> list[Preset]:
        from vaeviz.ui.density.presets import density_presets

        return density_presets()


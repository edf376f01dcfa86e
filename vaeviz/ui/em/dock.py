"""GMM & EM lab dock: EM one half-step at a time on the app-wide data, k-means beside it in lockstep,
draggable parameters, the three hidden-data problems and the lecture's 1-D mixture.

The dock is thin: the lab lives in :mod:`vaeviz.ui.em` (imported in :meth:`EmDock.build`, so start-up
imports neither pyqtgraph nor the lab), its maths in :mod:`vaeviz.core.em.lab` and friends. The data
are the window's shared :class:`~vaeviz.core.data.pointset.PointSet` (:mod:`vaeviz.ui.shared_data`).
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from vaeviz.core.em.state import STATE_VERSION
from vaeviz.ui.docks.base import LabDock, Preset, delete_at_exit


class EmDock(LabDock):
    dock_id = "em"
    title = "GMM && EM"  # "&&": Qt shows one "&" (a single one would underline the next letter)
    shortcut = "Ctrl+2"
    state_version = STATE_VERSION  # 2: the lab state of core/em/state.py; 1 still opens

    def build(self) -> QWidget:
        from vaeviz.core.data.pointset_presets import apply_preset
        from vaeviz.ui.em.lab import EmLab
        from vaeviz.ui.shared_data import shared_pointset

        points = shared_pointset(self)
        self.lab = EmLab(self.compute, points, [(p.name, p.description) for p in self.presets()])
        self.lab.side.apply_preset.clicked.connect(self._on_apply_preset)
        delete_at_exit(self.lab.figure, self)
        if len(points) == 0:  # first lab to open: start with data to play with (not an undoable edit)
            apply_preset(points, "blobs")
            points.clear_history()
        else:
            self.lab.refresh_data()
        return self.lab

    def _on_apply_preset(self) -> None:
        name = self.lab.side.lab_preset.currentData()
        preset = next(p for p in self.presets() if p.name == name)
        preset.apply(self, None)

    def figure_widget(self) -> QWidget:
        self.ensure_built()
        return self.lab.figure

    def actions(self) -> list[QAction]:
        return list(self.lab.lab_actions) if self.built else []

    def state(self) -> dict:
        from vaeviz.ui.em.session import lab_session

        self.ensure_built()
        return {**lab_session(self.lab), "version": self.state_version}

    def validate_state(self, state: dict) -> None:
        from vaeviz.core.em.session import session_from_json

        super().validate_state(state)
        session_from_json(state)

    def restore_state(self, state: dict) -> None:
        from vaeviz.core.em.session import session_from_json
        from vaeviz.ui.em.session import restore_session

        self.ensure_built()
        restore_session(self.lab, session_from_json(state))

    def self_check(self, done) -> None:
        from vaeviz.ui.em.self_check import check_lab

        problems = self.content_problems()
        check_lab(self.lab, lambda found: done(problems + found))

    @classmethod
    def presets(cls) -> list[Preset]:
        from vaeviz.ui.em.presets import em_presets

        return em_presets()


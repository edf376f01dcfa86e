"""A dock whose lab is still to come: it shows what it will hold, with a sketch of its figure.

Each lab issue replaces its placeholder subclass with the real dock; the registry, export, sessions
and self-test stay as they are.
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QWidget

from vaeviz.ui.docks.base import LabDock, Preset


class PlaceholderDock(LabDock):
    """Shows a sketch of the lab's figure and a list of what the lab will let the user do."""

    coming: ClassVar[list[str]] = []

    def build(self) -> QWidget:
        from vaeviz.ui.docks.placeholder_view import PlaceholderView  # pyqtgraph: not at start-up

        self.view = PlaceholderView(self.dock_id, self.title, self.coming)
        return self.view

    def figure_widget(self) -> QWidget:
        self.ensure_built()
        return self.view.plot

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        if self.built:
            self.view.apply_theme(dark)

    def content_problems(self) -> list[str]:
        problems = super().content_problems()
        if not self.view.plot.getPlotItem().listDataItems():
            problems.append(f"{self.dock_id}: the sketch has no data")
        return problems

    @classmethod
    def presets(cls) -> list[Preset]:
        return [Preset("overview", f"{cls.title.replace('&&', '&')}: what the lab will show",
                       lambda dock, steps: None)]

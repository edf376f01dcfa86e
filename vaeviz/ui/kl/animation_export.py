"""The fit as a GIF or MP4: every frame the runner holds (at most the shared limit, evenly spaced), each
shown with its table's grid values in before it is grabbed (:class:`~vaeviz.ui.animation.FrameAnimation`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog

from vaeviz.core.video import find_mp4_encoder
from vaeviz.ui.animation import FrameAnimation, animation_filters, animation_target


class FitAnimationExport(QObject):
    def __init__(self, lab) -> None:
        super().__init__(lab)
        self.lab = lab
        self.animation: FrameAnimation | None = None

    def ask_save_path(self, title: str, filters: str, name: str) -> str:
        """The save dialog (replaced in tests)."""
        return QFileDialog.getSaveFileName(self.lab, title, name, filters)[0]

    def dialog(self) -> None:
        path = self.ask_save_path("Export the fit as an animation", animation_filters(find_mp4_encoder()),
                                  "kl-fit.gif")
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """The fit's frames as a GIF, or an MP4 when ``path`` ends in .mp4 (which needs ffmpeg)."""
        encoder = find_mp4_encoder() if Path(path).suffix.lower() == ".mp4" else None
        path, fmt, problem = animation_target(path, encoder)
        if problem:
            self.lab.controller.report(problem)
            return
        lab, runner = self.lab, self.lab.runner
        shown = runner.pos
        runner.pause()
        self.animation = FrameAnimation(
            lab.figure, lab.controller.compute, path, len(runner.frames),
            render=self._render, restore=lambda: runner.goto_index(shown), fmt=fmt, ffmpeg=encoder,
            empty="There is no fit to animate yet.", parent=self)
        self.animation.done.connect(self._on_done)
        lab.controller.report("Rendering the animation…", "info")
        self.animation.start()

    def _render(self, index: int, then) -> None:
        self.lab.runner.goto_index(index)
        self.lab.controller.when_idle(then)  # the frame's grid values are in the table when it is grabbed

    @Slot(str, str)
    def _on_done(self, path: str, error: str) -> None:
        if error:
            self.lab.controller.report(f"The animation could not be exported: {error}")
        else:
            self.lab.controller.report(f"Animation written to {Path(path).name}.", "info")

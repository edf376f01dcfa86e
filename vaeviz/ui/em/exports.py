"""The lab's exports: the EM run as a GIF or MP4 animation, and the shown mixture's parameters as CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from vaeviz.core.video import find_mp4_encoder
from vaeviz.ui.animation import FrameAnimation, animation_filters, animation_target
from vaeviz.ui.em.parameters_csv import write_parameters
from vaeviz.ui.em.raster_layers import RasterLayers
from vaeviz.ui.em.runner import EmRunner


class Exports(QObject):
    """Writes the lab's files and says how it went in the message bar.

    Parameters
    ----------
    runner, layers, figure, compute
        The frames, their raster layers, the figure grabbed for each picture and the compute client that
        encodes the animation.
    ask_save_path
        The lab's save dialog ``(title, filters, name) -> path`` (replaced in tests).
    set_message
        The lab's ``set_message(kind, text)``.
    """

    def __init__(self, runner: EmRunner, layers: RasterLayers, figure: QWidget, compute,
                 ask_save_path: Callable[[str, str, str], str],
                 set_message: Callable[[str, str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.layers = layers
        self.figure = figure
        self.compute = compute
        self._ask_save_path = ask_save_path
        self._set_message = set_message
        self._animation: FrameAnimation | None = None

    def animation_dialog(self) -> None:
        filters = animation_filters(find_mp4_encoder())
        path = self._ask_save_path("Export EM animation", filters, "em-run.gif")
        if path:
            self.export_animation(path)

    def export_animation(self, path: str) -> None:
        """The EM run as a GIF, or as an MP4 when ``path`` ends in .mp4 (which needs ffmpeg)."""
        encoder = find_mp4_encoder() if Path(path).suffix.lower() == ".mp4" else None
        path, fmt, problem = animation_target(path, encoder)
        if problem:
            self._set_message("io", problem)
            return
        runner, shown = self.runner, self.runner.pos
        runner.pause()
        self._animation = FrameAnimation(
            self.figure, self.compute, path, len(runner.frames),
            render=lambda i, then: self.layers.render_frame(runner.first + i, then),  # absolute numbers
            restore=lambda: runner.show(shown), fmt=fmt, ffmpeg=encoder,
            empty="There is no EM run to animate yet.", parent=self)
        self._animation.done.connect(self._on_animation_done)
        self._set_message("info", "Rendering the animation…")
        self._animation.start()

    def _on_animation_done(self, path: str, error: str) -> None:
        if error:
            self._set_message("io", f"The animation could not be exported: {error}")
        else:
            self._set_message("info", f"Animation written to {Path(path).name}.")

    def parameters_dialog(self) -> None:
        path = self._ask_save_path("Export parameters", "CSV files (*.csv)", "em-parameters.csv")
        if path:
            self.export_parameters(path if Path(path).suffix else path + ".csv")

    def export_parameters(self, path: str) -> bool:
        """π, μ and Σ of the shown mixture as CSV; False (and a message) if there is none or it failed."""
        frame = self.runner.frame
        if frame is None:
            self._set_message("io", "There is no mixture to export yet.")
            return False
        try:
            write_parameters(path, frame.gmm)
        except OSError as exc:
            self._set_message("io", f"Could not write {path}: {exc.strerror or exc}")
            return False
        self._set_message("info", f"Parameters written to {Path(path).name}.")
        return True

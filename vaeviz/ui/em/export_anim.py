"""Exports of the lab beyond the figure: the EM run as an animated GIF or MP4, and the parameters as CSV.

The animation is made in two stages. Frames must be rendered by the GUI thread (widgets only paint there), so
the exporter shows each half-step in turn — one per event-loop turn, waiting for the frame's density and
Voronoi layers when they are on — and grabs the figure. Encoding (palette quantisation of every frame) is
the slow part, so it runs in the worker with Pillow — or, for an MP4, with ffmpeg when it is on the PATH
(:mod:`vaeviz.core.video`) — and the file is written atomically: a failed export leaves no half-written file.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from vaeviz.core.atomic import write_bytes_atomic, write_text_atomic
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.jobs import JobContext, Progress
from vaeviz.core.video import encode_mp4_steps

MAX_FRAMES = 120
WIDTH = 760
HOLD_MS = 1500  # the animation lingers this long on the result
NO_ENCODER = "MP4 needs ffmpeg on the PATH; GIF works without it."


def animation_filters(encoder: str | None) -> str:
    """The save dialog's filters: GIF always, MP4 when there is an encoder."""
    return "GIF animation (*.gif)" + (";;MP4 video (*.mp4)" if encoder else "")


def animation_target(path: str, encoder: str | None) -> tuple[str, str, str]:
    """``(path, format, problem)`` for a chosen file name: the format follows the extension (none: GIF).

    ``problem`` is a message for the user ('' when the export can go ahead).
    """
    suffix = Path(path).suffix.lower()
    if not suffix:
        return path + ".gif", "gif", ""
    if suffix == ".gif":
        return path, "gif", ""
    if suffix == ".mp4":
        return path, "mp4", "" if encoder else NO_ENCODER
    return path, "", f"Animations are exported as .gif or .mp4, not {suffix}."


def frame_indices(n_frames: int, limit: int = MAX_FRAMES) -> list[int]:
    """Every frame when there are few; otherwise ``limit`` evenly spaced ones, always with the last."""
    if n_frames <= limit:
        return list(range(n_frames))
    return sorted(set(np.linspace(0, n_frames - 1, limit).round().astype(int).tolist()))


def qimage_to_rgb(image: QImage, width: int = WIDTH) -> tuple[int, int, bytes]:
    """(w, h, RGB bytes) of a QImage scaled to ``width``, copied so the QImage may go."""
    if image.width() > width:
        image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w = rgb.width()
    h = rgb.height()
    bpl = rgb.bytesPerLine()
    raw = bytes(rgb.constBits())[: bpl * h]
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(h, bpl)[:, : 3 * w]
    return w, h, rows.tobytes()


def encode_gif_job(frames: list[tuple[int, int, bytes]], path: str, duration_ms: int):
    """Job: quantise and encode the frames with Pillow, then write the GIF atomically."""

    def factory(ctx: JobContext):
        from PIL import Image

        images = []
        for i, (w, h, data) in enumerate(frames):
            images.append(Image.frombytes("RGB", (w, h), data).quantize(colors=128, dither=Image.Dither.NONE))
            if i % 8 == 0:
                yield Progress(0.9 * (i + 1) / len(frames), "encoding GIF")
        buffer = io.BytesIO()
        durations = [duration_ms] * (len(images) - 1) + [max(duration_ms, HOLD_MS)]  # linger on the result
        images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=durations,
                       loop=0, optimize=False)
        write_bytes_atomic(path, buffer.getvalue())
        return path

    return factory


def encode_mp4_job(frames: list[tuple[int, int, bytes]], path: str, duration_ms: int, ffmpeg: str):
    """Job: encode the frames as an MP4 with ffmpeg (the last one held like the GIF's), written atomically."""
    hold = max(0, round(HOLD_MS / duration_ms) - 1) if frames else 0
    frames = list(frames) + [frames[-1]] * hold if frames else []
    return lambda ctx: encode_mp4_steps(frames, path, 1000.0 / duration_ms, ffmpeg)


class AnimationExporter(QObject):
    """Drives the frames through the lab, grabs the figure, hands the pictures to the encoder.

    ``fmt`` is ``"gif"`` or ``"mp4"`` (which needs ``ffmpeg``). ``done(path, error)``: error is '' on
    success. ``layers.render_frame`` shows a frame and answers once its raster layers are drawn.
    """

    done = Signal(str, str)

    def __init__(self, runner, layers, figure: QWidget, compute, path: str, fmt: str = "gif",
                 ffmpeg: str | None = None, duration_ms: int = 180, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if fmt == "mp4" and not ffmpeg:
            raise ValueError(NO_ENCODER)
        self.runner = runner
        self.layers = layers
        self.figure = figure
        self.compute = compute
        self.path = path
        self.fmt = fmt
        self.ffmpeg = ffmpeg
        self.duration_ms = duration_ms
        self.indices = [runner.first + i for i in frame_indices(len(runner.frames))]  # absolute numbers
        self.images: list[tuple[int, int, bytes]] = []
        self._restore = runner.pos
        self._i = 0

    def start(self) -> None:
        if not self.indices:
            self.done.emit(self.path, "There is no EM run to animate yet.")
            return
        self.runner.pause()
        QTimer.singleShot(0, self._next)

    def _next(self) -> None:
        if self._i >= len(self.indices):
            self._encode()
            return
        self.layers.render_frame(self.indices[self._i], self._grab)

    def _grab(self) -> None:
        self.images.append(qimage_to_rgb(self.figure.grab().toImage()))
        self._i += 1
        QTimer.singleShot(0, self._next)

    def _encode(self) -> None:
        self.runner.show(self._restore)
        if self.fmt == "mp4":
            job = encode_mp4_job(self.images, self.path, self.duration_ms, self.ffmpeg)
        else:
            job = encode_gif_job(self.images, self.path, self.duration_ms)
        self.images = []  # the job holds them now
        self.compute.submit(job, f"export {self.fmt.upper()}",
                            on_finished=lambda path: self.done.emit(path, ""),
                            on_failed=lambda message, details: self.done.emit(self.path, message))


def parameters_csv(gmm: GaussianMixture) -> str:
    """One line per component: k, weight, mean and the covariance's three entries."""
    lines = ["k,weight,mean_x,mean_y,cov_xx,cov_xy,cov_yy"]
    for k in range(gmm.n_components):
        m, c = gmm.means[k], gmm.covariances[k]
        values = (gmm.weights[k], m[0], m[1], c[0, 0], c[0, 1], c[1, 1])
        lines.append(f"{k + 1}," + ",".join(repr(float(v)) for v in values))  # repr: exact round trip
    return "\n".join(lines) + "\n"


def write_parameters(path: str, gmm: GaussianMixture) -> Path:
    return write_text_atomic(path, parameters_csv(gmm))

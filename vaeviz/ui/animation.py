"""Animations of a lab's frames, shared by every lab: GIF (Pillow) or MP4 (ffmpeg when on the PATH).

Frames must be rendered by the GUI thread (widgets only paint there), so :class:`FrameAnimation` shows
each frame in turn through the lab's ``render(index, then)`` — one per event-loop turn; ``then`` runs once
the frame is drawn, its layers included — and grabs the figure. Encoding (palette quantisation of every
frame) is the slow part, so it runs in the worker with Pillow — or, for an MP4, with ffmpeg
(:mod:`vaeviz.core.video`) — and the file is written atomically: a failed export leaves no half-written
file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from vaeviz.core.atomic import write_bytes_atomic
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


class FrameAnimation(QObject):
    """Shows ``count`` frames (at most :data:`MAX_FRAMES`, evenly spaced, the last always) through
    ``render``, grabs ``figure`` after each and hands the pictures to the encoder in the worker.

    ``fmt`` is ``"gif"`` or ``"mp4"`` (which needs ``ffmpeg``). ``restore()`` puts the lab back as it was
    once every frame is grabbed. ``done(path, error)``: error is '' on success, ``empty`` when there is no
    frame.
    """

    done = Signal(str, str)

    def __init__(self, figure: QWidget, compute, path: str, count: int,
                 render: Callable[[int, Callable[[], None]], None], restore: Callable[[], None],
                 fmt: str = "gif", ffmpeg: str | None = None, duration_ms: int = 180,
                 empty: str = "There is nothing to animate yet.", parent: QObject | None = None) -> None:
        super().__init__(parent)
        if fmt == "mp4" and not ffmpeg:
            raise ValueError(NO_ENCODER)
        self.figure = figure
        self.compute = compute
        self.path = path
        self.fmt = fmt
        self.ffmpeg = ffmpeg
        self.duration_ms = duration_ms
        self.indices = frame_indices(count)
        self.images: list[tuple[int, int, bytes]] = []
        self._render = render
        self._restore = restore
        self._empty = empty
        self._i = 0

    def start(self) -> None:
        if not self.indices:
            self.done.emit(self.path, self._empty)
            return
        QTimer.singleShot(0, self._next)

    def _next(self) -> None:
        if self._i >= len(self.indices):
            self._encode()
            return
        self._render(self.indices[self._i], self._grab)

    def _grab(self) -> None:
        self.images.append(qimage_to_rgb(self.figure.grab().toImage()))
        self._i += 1
        QTimer.singleShot(0, self._next)

    def _encode(self) -> None:
        self._restore()
        if self.fmt == "mp4":
            job = encode_mp4_job(self.images, self.path, self.duration_ms, self.ffmpeg)
        else:
            job = encode_gif_job(self.images, self.path, self.duration_ms)
        self.images = []  # the job holds them now
        self.compute.submit(job, f"export {self.fmt.upper()}",
                            on_finished=lambda path: self.done.emit(path, ""),
                            on_failed=lambda message, details: self.done.emit(self.path, message))

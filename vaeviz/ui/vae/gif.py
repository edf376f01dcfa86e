"""Colours and pixels of the latent lab: label colours, and the drag-path GIF drawn with Pillow.

The GIF is drawn in the compute thread: :func:`gif_job` runs the core's walk (decodings along A → B and
the scatter) and then draws and writes the frames, atomically. Nothing here imports Qt or torch.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vaeviz.core.atomic import write_bytes_atomic
from vaeviz.core.jobs import JobContext, JobFactory
from vaeviz.core.vae.lab_jobs import LabRef, drag_walk_job

# Matplotlib's "tab10": ten categorical colours that stay distinguishable on white and on dark grey.
PALETTE: list[tuple[int, int, int]] = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
]
GIF_FRAMES = 24  # latent points from A to B (the walk back reuses them)
GIF_FRAME_MS = 70


def label_colour(label: int) -> tuple[int, int, int]:
    """Colour of a class label (labels past ten reuse the palette)."""
    return PALETTE[int(label) % len(PALETTE)]


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def drag_frames(points: np.ndarray, labels: np.ndarray | None, path: np.ndarray, images: np.ndarray,
                size: int = 200) -> list:
    """Frames of the latent point walking along ``path``: a mini scatter beside the decoded image.

    Parameters
    ----------
    points
        ``(M, 2)`` encoded means (the scatter), in latent coordinates.
    labels
        ``(M,)`` class labels for the colours, or None.
    path
        ``(F, 2)`` the latent point at each frame.
    images
        ``(F, H, W)`` the decoding at each frame, in [0, 1].
    size
        Side of each of the two panels in pixels.

    Returns
    -------
    list of PIL.Image.Image
        RGB frames ``(2*size, size)``.
    """
    from PIL import Image, ImageDraw

    everything = np.concatenate([points, path]) if len(points) else path
    low, high = np.percentile(everything, 1, axis=0), np.percentile(everything, 99, axis=0)
    low, high = np.minimum(low, path.min(0)), np.maximum(high, path.max(0))
    centre, half = (low + high) / 2, max(float((high - low).max()) / 2 * 1.1, 1e-3)

    def pixel(z: np.ndarray) -> np.ndarray:  # latent → panel pixels, z₂ upwards
        u = (z - centre) / half
        return np.stack([(u[..., 0] + 1) / 2 * (size - 1), (1 - u[..., 1]) / 2 * (size - 1)], -1)

    base = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(base)
    for k, (x, y) in enumerate(pixel(points)):
        colour = label_colour(labels[k]) if labels is not None else (90, 90, 90)
        draw.rectangle([x - 1, y - 1, x + 1, y + 1], fill=colour)
    line = [tuple(p) for p in pixel(path)]
    if len(line) > 1:
        draw.line(line, fill=(40, 40, 40), width=2)
    frames = []
    for (x, y), image in zip(pixel(path), images, strict=True):
        frame = Image.new("RGB", (2 * size, size), (0, 0, 0))
        panel = base.copy()
        ImageDraw.Draw(panel).ellipse([x - 6, y - 6, x + 6, y + 6], outline=(220, 0, 0), width=3)
        frame.paste(panel, (0, 0))
        decoded = Image.fromarray(_to_uint8(image), "L").resize((size, size), Image.Resampling.NEAREST)
        frame.paste(decoded.convert("RGB"), (size, 0))
        frames.append(frame)
    return frames


def write_gif(path: str | os.PathLike, frames: list, duration_ms: int = 60) -> Path:
    """Write frames as a looping GIF, atomically (a failed write leaves no partial file)."""
    if not frames:
        raise ValueError("no frames to write")
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms,
                   loop=0, optimize=False)
    return write_bytes_atomic(path, buffer.getvalue())


def gif_job(ref: LabRef, role: str, a, b, path: str | os.PathLike, frames: int = GIF_FRAMES) -> JobFactory:
    """Walk the latent point from A to B and back (in the lab), draw the frames and write the GIF; the
    result is the path written."""
    walk_factory = drag_walk_job(ref, role, a, b, frames)

    def factory(ctx: JobContext) -> Iterator[Any]:
        walk = yield from walk_factory(ctx)
        rendered = drag_frames(walk.points, walk.labels, walk.path, walk.images)
        return write_gif(path, rendered, duration_ms=GIF_FRAME_MS)

    return factory

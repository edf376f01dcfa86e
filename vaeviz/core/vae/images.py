"""Image arrays for the latent lab's figures: tiling, strips, label colours, and the drag-path GIF.

Torch-free and Qt-free: the GIF is drawn with Pillow in the compute thread and written atomically.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from vaeviz.core.atomic import write_bytes_atomic

# Matplotlib's "tab10": ten categorical colours that stay distinguishable on white and on dark grey.
PALETTE: list[tuple[int, int, int]] = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
]


def label_colour(label: int) -> tuple[int, int, int]:
    """Colour of a class label (labels past ten reuse the palette)."""
    return PALETTE[int(label) % len(PALETTE)]


def mosaic(tiles: np.ndarray, rows: int, cols: int, pad: int = 0, fill: float = 0.0) -> np.ndarray:
    """Tile ``rows*cols`` images ``(K, H, W)`` row-major into one ``(rows*H + …, cols*W + …)`` image.

    Missing tiles (K < rows*cols) and the ``pad`` pixels between tiles take the value ``fill``.
    """
    tiles = np.asarray(tiles, np.float32)
    k, h, w = tiles.shape
    if k > rows * cols:
        raise ValueError(f"{k} tiles do not fit in {rows}×{cols}")
    out = np.full((rows * h + (rows - 1) * pad, cols * w + (cols - 1) * pad), fill, np.float32)
    for i in range(k):
        r, c = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tiles[i]
    return out


def strip(images: np.ndarray, pad: int = 2, fill: float = 0.5) -> np.ndarray:
    """Images ``(K, H, W)`` side by side, separated by ``pad`` grey pixels."""
    images = np.asarray(images, np.float32)
    return mosaic(images, 1, len(images), pad, fill)


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

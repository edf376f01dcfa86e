"""Image arrays for the latent lab's figures: tiling decodings into mosaics and strips.

Torch-free and Qt-free, and free of colours and pixels: label colours and the drag-path GIF are drawn
by :mod:`vaeviz.ui.vae.gif` (in the compute thread).
"""

from __future__ import annotations

import numpy as np


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

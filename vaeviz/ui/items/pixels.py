"""Qt pixel formats packed from numpy colours: what the shared image items draw.

Layers drawn under everything else are composited over the plot's background first, so Qt can draw an
opaque RGB32 image, the cheapest kind; point rasters are RGBA8888, whose alpha the raster ors in.
"""

from __future__ import annotations

import numpy as np


def pack_rgb32(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) RGB in 0..255 → (...) uint32 0xffRRGGBB: Qt's opaque RGB32 pixels."""
    c = np.asarray(rgb).astype(np.uint32)
    return np.uint32(0xFF000000) | (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]


def pack_rgba8888(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) RGB in 0..255 → (...) uint32 r | g << 8 | b << 16: RGBA8888 pixels in memory on
    little-endian CPUs, alpha 0 (to be or-ed in)."""
    c = np.asarray(rgb).astype(np.uint32)
    return c[..., 0] | (c[..., 1] << 8) | (c[..., 2] << 16)


def over_background(rgba: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """Colours (..., 4) uint8 RGBA composited over an opaque ``background`` RGB, packed as opaque 32-bit
    0xffRRGGBB (Qt's RGB32): a colour table for layers drawn under everything else."""
    c = np.asarray(rgba, dtype=np.float64)
    alpha = c[..., 3:] / 255.0
    return pack_rgb32(np.rint(c[..., :3] * alpha + np.asarray(background, dtype=np.float64) * (1.0 - alpha)))

"""12-bit colour keys: soft colours quantised to 4 bits per channel, and the brushes and pixels for them.

A scatter of thousands of points recolours fast only when many points share the *same* QBrush objects
(per-point brushes built afresh cost ~300 ms per 1e4 points), so blended colours are quantised to keys
and each key's brush is made once (:class:`BrushCache`); point rasters look keys up in one packed table.
:func:`blend_keys` runs in the compute thread too (a lab's jobs colour their frames there): numpy only.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QBrush, QColor

from vaeviz.ui.items.pixels import pack_rgba8888

GREY_KEY = 0x888  # a point nothing is responsible for yet
_LEVELS = 15  # 4 bits per channel


def blend_keys(weights: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Blend palette colours (K, 3 in [0, 1]) by per-point weights (N, K) and quantise to (N,) keys."""
    k = weights.shape[1]
    # (3, N), element-wise work over N-long rows: ~3× quicker than over (N, 3) (the weights are usually
    # the (N, K) view of a (K, N) array, so weights.T is contiguous)
    rgb = np.asarray(palette[:k], dtype=np.float64).T @ np.asarray(weights).T
    np.clip(rgb, 0.0, 1.0, out=rgb)
    q = np.rint(rgb * _LEVELS).astype(np.uint16)
    return (q[0] << 8) | (q[1] << 4) | q[2]


def key_rgb(key: int) -> tuple[int, int, int]:
    """The 8-bit RGB colour of a key from :func:`blend_keys`."""
    return (((key >> 8) & 15) * 17, ((key >> 4) & 15) * 17, (key & 15) * 17)


def keys_rgb(keys: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 RGB of colour keys (vectorised :func:`key_rgb`)."""
    k = np.asarray(keys, dtype=np.uint16)
    return (np.stack([(k >> 8) & 15, (k >> 4) & 15, k & 15], axis=1) * 17).astype(np.uint8)


_KEYS_PACKED = pack_rgba8888(keys_rgb(np.arange(4096, dtype=np.uint16)))


def keys_packed(keys: np.ndarray) -> np.ndarray:
    """(N,) RGBA8888 colours (alpha 0) of colour keys: one lookup."""
    return np.take(_KEYS_PACKED, np.asarray(keys, dtype=np.uint16))


class BrushCache:
    """QBrush per colour key, created on first use; :meth:`brushes` maps a key array to brushes."""

    def __init__(self, alpha: int = 210) -> None:
        self.alpha = alpha
        self._table = np.empty(4096, dtype=object)

    def brushes(self, keys: np.ndarray) -> np.ndarray:
        missing = [int(k) for k in np.unique(keys) if self._table[k] is None]
        for k in missing:
            self._table[k] = QBrush(QColor(*key_rgb(k), self.alpha))
        return self._table[keys]

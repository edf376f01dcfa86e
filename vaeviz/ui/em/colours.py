"""Component colours and the brush cache that keeps recolouring thousands of points fast.

Per-point brushes built afresh cost ~300 ms per 1e4 points; pyqtgraph is much faster when many points
share the *same* QBrush objects, so soft colours are quantised to 12-bit keys
(:func:`vaeviz.core.em_lab.blend_keys`) and each key's brush is made once and reused.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QBrush, QColor

from vaeviz.core.em_lab import key_rgb
from vaeviz.ui.theme import rgb

# tab10 then the light tab20 shades: 20 distinguishable colours, the first ones the most distinct.
HEX = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
       "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
       "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]
PALETTE = np.array([rgb(h) for h in HEX]) / 255


def colour(k: int, alpha: int = 255) -> QColor:
    c = QColor(HEX[k % len(HEX)])
    c.setAlpha(alpha)
    return c


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

"""The GMM & EM lab's component colours, and the colour keys its frames carry for the scatters."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from vaeviz.ui.items.colour_keys import blend_keys
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


def responsibility_keys(resp: np.ndarray) -> np.ndarray:
    """The colour key of each point: its components' colours blended by its responsibilities (N, K).
    Frames keep these instead of responsibilities (see :class:`vaeviz.core.em.lab.LabData`)."""
    return blend_keys(resp, PALETTE)

"""The Density lab's component colours for the generative process, and the histogram's colour ramp.

The components follow the app's convention (the GMM & EM lab's tab10 order, so component k has the same
colour in both labs), with a lighter variant of each for the dark theme: tab10's blue, brown and grey are
too dark to read on the dark plot background. The histogram ramp runs from the plot's background to a
saturated ink, so an empty cell is the background and the contours of p(x) (orange) stay visible over it.
"""

from __future__ import annotations

import numpy as np

from vaeviz.ui.items.pixels import pack_rgb32, pack_rgba8888
from vaeviz.ui.theme import plot_colours, rgb

# tab10, then tab20's light shades: as the EM lab (vaeviz.ui.em.colours), which this lab may not import
LIGHT_HEX = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
             "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
             "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]
# the same hues, lighter where tab10 is dark (contrast ≥ 4.5 : 1 on #1b1d21)
DARK_HEX = ["#5aa9e6", "#ff9d45", "#4fca4f", "#ff6b6b", "#b794e0", "#c9917f", "#f08fd0", "#b0b0b0",
            "#d6d63a", "#3dd8eb", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
            "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]

# the running histogram: background → ink, and the true density's contours over it
RAMP_STOPS = {
    False: ["#ffffff", "#dbe7f3", "#9cc3e0", "#4a8fc7", "#1c5a9c", "#0b2f63"],
    True: ["#1b1d21", "#1e3550", "#2d5f8f", "#4f94cc", "#96c8ee", "#e4f3ff"],
}
CONTOUR_HEX = {False: "#d9480f", True: "#ffa94d"}


def component_hex(k: int, dark: bool) -> str:
    """Component k's colour (0-based) as "#rrggbb"."""
    table = DARK_HEX if dark else LIGHT_HEX
    return table[k % len(table)]


def component_rgb(n: int, dark: bool) -> np.ndarray:
    """(n, 3) uint8 RGB of components 0 … n - 1."""
    return np.array([rgb(component_hex(k, dark)) for k in range(n)], dtype=np.uint8)


def component_packed(n: int, dark: bool) -> np.ndarray:
    """(n,) RGBA8888 colours of components 0 … n - 1, alpha 0: for a point raster's ``recolour_packed``."""
    return pack_rgba8888(component_rgb(n, dark))


def ramp_lut(dark: bool, size: int = 256) -> np.ndarray:
    """(size,) opaque RGB32 pixels of the histogram's ramp, index 0 = the plot's background."""
    stops = np.array([rgb(h) for h in RAMP_STOPS[dark]], dtype=np.float64)
    stops[0] = rgb(plot_colours(dark)["background"])
    t = np.linspace(0.0, 1.0, size)
    at = np.linspace(0.0, 1.0, len(stops))
    channels = np.stack([np.interp(t, at, stops[:, c]) for c in range(3)], axis=1)
    return pack_rgb32(np.rint(channels))

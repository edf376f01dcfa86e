"""The lecture's generative process in 1-D, Qt-free: z ~ Cat(π), then x | z ~ N(μ_z, σ_z²), so that
P(x, z) = P(x|z) P(z); the histogram of many such x approaches the marginal p(x) = Σ_z P(x|z) P(z).

Plain numpy, cheap enough for the GUI thread at the sizes the 1-D page draws (a few points a tick, a
histogram of a few thousand). It could live in ``vaeviz.core.em`` as well: nothing here is about drawing.
"""

from __future__ import annotations

import numpy as np


def draw_samples(rng: np.random.Generator, weights, means, sigmas, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` draws of (z, x): z ~ Cat(π) (0-based), then x | z ~ N(μ_z, σ_z²)."""
    w = np.asarray(weights, dtype=np.float64)
    z = rng.choice(len(w), size=n, p=w / w.sum())
    x = rng.normal(np.asarray(means, dtype=np.float64)[z], np.asarray(sigmas, dtype=np.float64)[z])
    return z, x


def histogram_density(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin divided by (all samples × bin width): a density, comparable with p(x). Samples
    outside the edges count in the total (the density is of all of them), not in any bin."""
    counts, _ = np.histogram(x, bins=edges)
    total = max(len(x), 1)
    return counts / (total * np.diff(edges))

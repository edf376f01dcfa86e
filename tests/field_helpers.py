"""Smooth 2-D test fields (sums of Gaussian bumps), shared by the contour tests in tests/core and tests/ui."""

from __future__ import annotations

import numpy as np


def bumps(shape: tuple[int, int], seed: int, n: int = 5,
          width: tuple[float, float] = (4.0, 9.0)) -> np.ndarray:
    """``n`` Gaussian bumps of random centre, width and height on a grid of ``shape``."""
    rng = np.random.default_rng(seed)
    ii, jj = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    out = np.zeros(shape)
    for _ in range(n):
        ci, cj, s = rng.uniform(0, shape[0]), rng.uniform(0, shape[1]), rng.uniform(*width)
        out += rng.uniform(0.5, 1.5) * np.exp(-((ii - ci) ** 2 + (jj - cj) ** 2) / (2 * s * s))
    return out

"""KL divergences by quadrature on a grid: the check on the Monte Carlo estimates (1-D and 2-D)."""

from __future__ import annotations

import numpy as np

from vaeviz.core.kl.targets import Target


def grid_points(extent: tuple[tuple[float, float], ...], n: int) -> tuple[np.ndarray, float]:
    """Cell centres of an n (1-D) or n × n (2-D) grid over ``extent`` and the area of one cell."""
    axes = [np.linspace(lo, hi, n, endpoint=False) + (hi - lo) / (2 * n) for lo, hi in extent]
    cell = float(np.prod([(hi - lo) / n for lo, hi in extent]))
    if len(axes) == 1:
        return axes[0][:, None], cell
    xx, yy = np.meshgrid(*axes, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1), cell


def grid_kl(a: Target, b: Target, extent: tuple[tuple[float, float], ...], n: int = 800) -> float:
    """KL(a ‖ b) = ∫ a log(a / b) by the midpoint rule; ``extent`` must hold nearly all of a's mass."""
    points, cell = grid_points(extent, n)
    log_a, log_b = a.log_prob(points), b.log_prob(points)
    weight = np.exp(log_a)
    return float(np.sum(weight * (log_a - log_b)) * cell)

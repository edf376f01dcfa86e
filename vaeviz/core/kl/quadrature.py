"""KL divergences by quadrature on a grid: the check on the Monte Carlo estimates (1-D and 2-D)."""

from __future__ import annotations

import numpy as np

from vaeviz.core.kl.targets import Target


def grid_axes(extent: tuple[tuple[float, float], ...], n: int) -> tuple[tuple[np.ndarray, ...], float]:
    """The cell centres of an n (1-D) or n × n (2-D) grid over ``extent``, one axis per dimension, and the
    area of one cell."""
    axes = tuple(np.linspace(lo, hi, n, endpoint=False) + (hi - lo) / (2 * n) for lo, hi in extent)
    cell = float(np.prod([(hi - lo) / n for lo, hi in extent]))
    return axes, cell


def grid_points(extent: tuple[tuple[float, float], ...], n: int) -> tuple[np.ndarray, float]:
    """Cell centres of an n (1-D) or n × n (2-D) grid over ``extent`` as points (x₁ varies slowest), and
    the area of one cell."""
    axes, cell = grid_axes(extent, n)
    if len(axes) == 1:
        return axes[0][:, None], cell
    xx, yy = np.meshgrid(*axes, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1), cell


def grid_kl(a: Target, b: Target, extent: tuple[tuple[float, float], ...], n: int = 800) -> float:
    """KL(a ‖ b) = ∫ a log(a / b) by the midpoint rule; ``extent`` must hold nearly all of a's mass."""
    axes, cell = grid_axes(extent, n)
    log_a, log_b = a.log_prob_grid(axes), b.log_prob_grid(axes)
    weight = np.exp(log_a)
    return float(np.sum(weight * (log_a - log_b)) * cell)

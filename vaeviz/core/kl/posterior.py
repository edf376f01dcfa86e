"""Variational inference on a toy latent-variable model whose exact posterior a grid can still compute.

The model: z ∈ R² with prior p(z) = N(0, I), and one observation x ∈ R² with
p(x | z) = N(x | (z₁ + z₂, z₁ z₂), s² I). Swapping z₁ and z₂ gives the same x, so the posterior p(z | x)
has two modes — a "complex p" in the lecture's sense. On a fine grid, p(x) = ∫ p(x|z) p(z) dz and so the
exact posterior are computable here (they are not for a VAE's decoder), which lets the lab show

    log p(x) = ELBO(q) + KL(q(z) ‖ p(z | x))

as numbers: fitting q by maximising the ELBO is minimising the KL to the exact posterior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vaeviz.core.kl.quadrature import grid_points
from vaeviz.core.kl.targets import Gaussian, TargetError, on_grid

_LOG_2PI = math.log(2.0 * math.pi)
EXTENT = ((-6.0, 6.0), (-6.0, 6.0))  # holds all but ~1e-8 of the prior's mass


@dataclass(frozen=True)
class ToyModel:
    """p(z) = N(0, I₂), p(x | z) = N(x | (z₁ + z₂, z₁ z₂), noise² I₂), observed ``x``."""

    x: tuple[float, float] = (1.0, -0.5)
    noise: float = 0.25  # small enough that the posterior's two modes stay apart

    def __post_init__(self) -> None:
        if len(self.x) != 2 or not all(math.isfinite(v) for v in self.x):
            raise TargetError("the observation x must be two finite numbers")
        if not (math.isfinite(self.noise) and self.noise > 0):
            raise TargetError("the observation noise must be a number > 0")

    def log_joint(self, z: np.ndarray) -> np.ndarray:
        """log p(x, z) = log p(z) + log p(x | z) for points z (N, 2)."""
        z = np.asarray(z, dtype=np.float64).reshape(-1, 2)
        prior = -0.5 * (z * z).sum(axis=1) - _LOG_2PI
        mean = np.stack([z[:, 0] + z[:, 1], z[:, 0] * z[:, 1]], axis=1)
        resid = (np.asarray(self.x) - mean) / self.noise
        return prior - 0.5 * (resid * resid).sum(axis=1) - 2 * math.log(self.noise) - _LOG_2PI

    def log_joint_torch(self, z):
        prior = -0.5 * (z * z).sum(dim=1) - _LOG_2PI
        r1 = (self.x[0] - (z[:, 0] + z[:, 1])) / self.noise
        r2 = (self.x[1] - z[:, 0] * z[:, 1]) / self.noise
        return prior - 0.5 * (r1 * r1 + r2 * r2) - 2 * math.log(self.noise) - _LOG_2PI

    def log_evidence(self, n: int = 1200) -> float:
        """log p(x) = log ∫ p(x, z) dz by the midpoint rule on an n × n grid over :data:`EXTENT`."""
        points, cell = grid_points(EXTENT, n)
        log_joint = self.log_joint(points)
        top = log_joint.max()
        return float(top + math.log(np.exp(log_joint - top).sum() * cell))

    def posterior(self, n: int = 1200) -> Posterior:
        return Posterior(self, self.log_evidence(n))


@dataclass(frozen=True)
class Posterior:
    """The exact posterior p(z | x) = p(x, z) / p(x), normalised by the grid's log p(x): a KL target."""

    model: ToyModel
    log_evidence: float
    dim = 2

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        return self.model.log_joint(z) - self.log_evidence

    def log_prob_grid(self, axes: tuple[np.ndarray, ...]) -> np.ndarray:
        return on_grid(self.log_prob, axes)

    def log_prob_torch(self, z):
        return self.model.log_joint_torch(z) - self.log_evidence

    def sample(self, n: int, rng: np.random.Generator, grid: int = 600) -> np.ndarray:
        """Samples from the grid's posterior (a cell drawn by its mass, a uniform point within it)."""
        points, cell = grid_points(EXTENT, grid)
        weights = np.exp(self.log_prob(points)) * cell
        picks = rng.choice(len(points), size=n, p=weights / weights.sum())
        half = np.array([(hi - lo) / (2 * grid) for lo, hi in EXTENT])
        return points[picks] + rng.uniform(-1.0, 1.0, size=(n, 2)) * half


def elbo_by_quadrature(model: ToyModel, q: Gaussian, n: int = 1200) -> float:
    """ELBO(q) = ∫ q(z) [log p(x, z) − log q(z)] dz on the grid."""
    points, cell = grid_points(EXTENT, n)
    log_q = q.log_prob(points)
    weight = np.exp(log_q)
    return float(np.sum(weight * (model.log_joint(points) - log_q)) * cell)


def elbo_monte_carlo(model: ToyModel, q: Gaussian, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """ELBO(q) from n samples of q, and its standard error."""
    z = q.sample(n, rng)
    terms = model.log_joint(z) - q.log_prob(z)
    return float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(n))

"""Data presets of the Density lab: 2-D shapes and the lecture's 1-D mixture, with their true densities.

Every preset is deterministic given ``(n, seed)`` and returns float64 points, (n, 2) or (n, 1) for the
1-D preset, and where it is known in closed form the true log-density as a callable (points → (n,)),
so the lab can show the held-out log-likelihood of the truth next to an estimator's. Where the true
density has no closed form (moons, rings, spiral: a curve blurred by Gaussian noise) it is None.

:class:`DensityInputError` lives here, in shared core, so the image reader
(:mod:`vaeviz.core.data.density_image`) can raise it too; :mod:`vaeviz.core.density` re-exports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vaeviz.core.data.pointset_presets import make_blobs

_LOG_2PI = math.log(2.0 * math.pi)


class DensityInputError(ValueError):
    """Input a density cannot be estimated from (no points, bandwidth 0, an all-black image, …).

    The message is a short sentence for the user.
    """


LogDensity = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DensityPresetData:
    """One sampled preset.

    Attributes
    ----------
    points : numpy.ndarray
        (n, 2) float64, or (n, 1) for a 1-D preset.
    log_density : callable or None
        The true log-density: (m, d) points → (m,) float64 (-inf where the density is 0), or None when it
        has no closed form.
    """

    points: np.ndarray
    log_density: LogDensity | None


@dataclass(frozen=True)
class DensityPresetSpec:
    """A named preset: ``make(n, seed)`` returns :class:`DensityPresetData` with ``n`` points of ``dim``."""

    name: str
    description: str
    dim: int
    make: Callable[[int, int], DensityPresetData]
    default_n: int = 2000


def _check_n(n) -> int:
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise DensityInputError(f"the number of points must be a whole number ≥ 0, got {n!r}")
    return int(n)


def _points(x) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    return arr[:, None] if arr.ndim == 1 else arr


def gaussian_mixture_log_density(weights, means, covariances) -> LogDensity:
    """The log-density of a Gaussian mixture as a callable (numpy only: shared core uses no lab's code).

    Parameters
    ----------
    weights : array_like, shape (K,)
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)
    """
    w = np.asarray(weights, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    cov = np.asarray(covariances, dtype=np.float64)
    chol = np.linalg.cholesky(cov)
    log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    d = mu.shape[1]
    log_w = np.log(w)

    def log_density(x) -> np.ndarray:
        pts = _points(x)
        rows = []
        for k in range(w.size):
            z = np.linalg.solve(chol[k], (pts - mu[k]).T)  # L⁻¹ (x - μ): its squared norm is the Mahalanobis
            rows.append(log_w[k] - 0.5 * (d * _LOG_2PI + log_det[k] + (z * z).sum(axis=0)))
        stacked = np.stack(rows)
        top = stacked.max(axis=0)
        return top + np.log(np.exp(stacked - top).sum(axis=0))

    return log_density


def make_blobs_density(n: int, seed: int = 0) -> DensityPresetData:
    """The point-set preset's three round blobs (:func:`~vaeviz.core.data.pointset_presets.make_blobs`)."""
    data = make_blobs(_check_n(n), seed)
    return DensityPresetData(data.points, gaussian_mixture_log_density(data.weights, data.means,
                                                                       data.covariances))


def make_two_moons(n: int, seed: int = 0) -> DensityPresetData:
    """Two interleaved half circles (as scikit-learn's ``make_moons``), scaled by 2, noise σ = 0.2."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    upper = n // 2
    t = rng.uniform(0.0, math.pi, n)
    outer = np.stack([np.cos(t), np.sin(t)], axis=1)
    inner = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    pts = np.where((np.arange(n) < upper)[:, None], outer, inner)
    pts = 2.0 * (pts - [0.5, 0.25]) + 0.2 * rng.standard_normal((n, 2))
    return DensityPresetData(pts[rng.permutation(n)], None)


def make_rings(n: int, seed: int = 0) -> DensityPresetData:
    """Two concentric rings (radius 1.5 and 3.5, a third of the points on the inner one), noise σ = 0.2."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    radius = np.where(rng.uniform(size=n) < 1.0 / 3.0, 1.5, 3.5)
    angle = rng.uniform(0.0, 2.0 * math.pi, n)
    pts = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return DensityPresetData(pts + 0.2 * rng.standard_normal((n, 2)), None)


def make_spiral(n: int, seed: int = 0) -> DensityPresetData:
    """One arm of an Archimedean spiral (r ∝ angle, 1.75 turns, r up to 4), noise σ = 0.15."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    # sqrt of a uniform: equal numbers of points per unit of arc length (the arc grows ∝ r dr)
    s = np.sqrt(rng.uniform(0.0, 1.0, n))
    angle = 3.5 * math.pi * s
    radius = 4.0 * s
    pts = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return DensityPresetData(pts + 0.15 * rng.standard_normal((n, 2)), None)


CHECKER_SIDE = 4  # squares per side over [-2, 2]²; half of them (the "black" ones) hold the density


def _checker_log_density(x) -> np.ndarray:
    pts = _points(x)
    inside = np.all((pts >= -2.0) & (pts < 2.0), axis=1)
    cell = np.floor(np.clip(pts, -2.0, 2.0 - 1e-12) + 2.0).astype(np.int64)
    black = (cell[:, 0] + cell[:, 1]) % 2 == 0
    squares = CHECKER_SIDE * CHECKER_SIDE // 2
    return np.where(inside & black, -math.log(squares), -np.inf)  # uniform over 8 unit squares


def make_checkerboard(n: int, seed: int = 0) -> DensityPresetData:
    """Uniform on the "black" squares of a 4 × 4 checkerboard over [-2, 2]²: a density with edges."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    squares = np.array([(i, j) for i in range(CHECKER_SIDE) for j in range(CHECKER_SIDE) if (i + j) % 2 == 0],
                       dtype=np.float64)
    which = rng.integers(0, squares.shape[0], n)
    pts = squares[which] + rng.uniform(0.0, 1.0, (n, 2)) - 2.0
    return DensityPresetData(pts, _checker_log_density)


# The lecture's 1-D mixture: two bumps at ±10 of different widths, like the textbook figure.
MIXTURE_1D_WEIGHTS = (0.5, 0.5)
MIXTURE_1D_MEANS = (-10.0, 10.0)
MIXTURE_1D_SIGMAS = (2.0, 3.0)


def make_mixture_1d(n: int, seed: int = 0, means=MIXTURE_1D_MEANS, sigmas=MIXTURE_1D_SIGMAS,
                    weights=MIXTURE_1D_WEIGHTS) -> DensityPresetData:
    """The lecture's 1-D mixture 0.5 N(-10, 2²) + 0.5 N(10, 3²): (n, 1) points and the true density."""
    n = _check_n(n)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mu = np.asarray(means, dtype=np.float64)
    sd = np.asarray(sigmas, dtype=np.float64)
    rng = np.random.default_rng(seed)
    z = rng.choice(w.size, size=n, p=w)
    pts = (mu[z] + sd[z] * rng.standard_normal(n))[:, None]
    log_density = gaussian_mixture_log_density(w, mu[:, None], (sd * sd)[:, None, None])
    return DensityPresetData(pts, log_density)


DENSITY_PRESETS: dict[str, DensityPresetSpec] = {
    spec.name: spec
    for spec in (
        DensityPresetSpec("blobs", "Three round Gaussian blobs (true density known)", 2, make_blobs_density),
        DensityPresetSpec("two moons", "Two interleaved half circles", 2, make_two_moons),
        DensityPresetSpec("rings", "Two concentric noisy rings", 2, make_rings),
        DensityPresetSpec("spiral", "One noisy spiral arm", 2, make_spiral),
        DensityPresetSpec("checkerboard",
                          "Uniform on the black squares of a 4 × 4 board (true density known)",
                          2, make_checkerboard),
        DensityPresetSpec("1-D mixture",
                          "The lecture's 0.5 N(-10, 2²) + 0.5 N(10, 3²) (true density known)",
                          1, make_mixture_1d, default_n=500),
    )
}


def make_density_preset(name: str, n: int | None = None, seed: int = 0) -> DensityPresetData:
    """Sample preset ``name`` (a key of :data:`DENSITY_PRESETS`) with ``n`` points (its default if None)."""
    try:
        spec = DENSITY_PRESETS[name]
    except KeyError:
        raise DensityInputError(f"unknown preset {name!r}; choose one of {', '.join(DENSITY_PRESETS)}") \
            from None
    return spec.make(spec.default_n if n is None else n, seed)

"""Preset data sets for the Density and GMM/EM labs, each sampled from a known mixture.

Every preset is deterministic given ``(n, seed)`` and returns the points, their true component
labels ``z`` and the true mixture parameters, so the UI can draw the truth next to EM's fit.
Sampling uses a Cholesky factor rather than ``Generator.multivariate_normal`` (whose SVD may differ
between numpy builds) so the same seed gives the same points everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vaeviz.core.data.pointset import UNLABELLED, PointSet


@dataclass(frozen=True)
class PresetData:
    """One sampled preset.

    Attributes
    ----------
    points : numpy.ndarray
        (n, 2) float64.
    labels : numpy.ndarray
        (n,) int64 true component of each point (``UNLABELLED`` for a point outside the mixture).
    weights : numpy.ndarray
        (K,) mixing weights, summing to 1.
    means : numpy.ndarray
        (K, 2) component means.
    covariances : numpy.ndarray
        (K, 2, 2) component covariances (all zero for the degenerate "identical" preset).
    """

    points: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


@dataclass(frozen=True)
class PresetSpec:
    """A named preset: ``make(n, seed)`` returns :class:`PresetData` with ``n`` points."""

    name: str
    description: str
    make: Callable[[int, int], PresetData]
    default_n: int = 600


def _counts(n: int, weights: np.ndarray) -> np.ndarray:
    """Split ``n`` by ``weights`` exactly (largest remainder), so counts never vary with the seed."""
    raw = n * weights
    counts = np.floor(raw).astype(np.int64)
    short = n - int(counts.sum())
    counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _sample(n: int, seed: int, weights, means, covariances) -> PresetData:
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a whole number >= 0, got {n}")
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mu = np.asarray(means, dtype=np.float64)
    cov = np.asarray(covariances, dtype=np.float64)
    rng = np.random.default_rng(seed)
    counts = _counts(int(n), w)
    pts, labels = [np.zeros((0, 2))], [np.zeros(0, dtype=np.int64)]
    for k, count in enumerate(counts):
        chol = np.linalg.cholesky(cov[k]) if np.any(cov[k]) else np.zeros((2, 2))
        pts.append(mu[k] + rng.standard_normal((count, 2)) @ chol.T)
        labels.append(np.full(count, k, dtype=np.int64))
    # shuffle so the order of the points does not give the components away
    order = rng.permutation(int(n))
    return PresetData(np.concatenate(pts)[order], np.concatenate(labels)[order], w, mu, cov)


def _iso(*sigmas: float) -> np.ndarray:
    return np.array([s * s * np.eye(2) for s in sigmas])


def make_blobs(n: int, seed: int = 0) -> PresetData:
    """Three well-separated round clusters of equal size and spread."""
    return _sample(n, seed, [1, 1, 1], [[-3.0, -1.5], [3.0, -1.5], [0.0, 3.0]], _iso(0.8, 0.8, 0.8))


def make_anisotropic(n: int, seed: int = 0) -> PresetData:
    """Three round clusters sheared by the same linear map (``x @ A``): elongated, tilted clusters."""
    shear = np.array([[0.6, -0.64], [-0.41, 0.85]])
    means = np.array([[-4.0, -2.0], [3.0, -3.0], [0.5, 4.0]]) @ shear
    # x = u @ A with u ~ N(m, s^2 I)  =>  Cov[x] = s^2 A^T A
    covs = np.array([s * s * shear.T @ shear for s in (1.2, 1.2, 1.2)])
    return _sample(n, seed, [1, 1, 1], means, covs)


def make_overlapping(n: int, seed: int = 0) -> PresetData:
    """Two heavily overlapping Gaussians: EM's responsibilities stay soft in the middle."""
    covs = [[[1.0, 0.3], [0.3, 1.0]], [[1.2, -0.2], [-0.2, 0.8]]]
    return _sample(n, seed, [0.5, 0.5], [[-0.6, 0.0], [0.6, 0.3]], covs)


def make_varied_sizes(n: int, seed: int = 0) -> PresetData:
    """Three clusters with very different spreads and counts (60 % wide, 30 % medium, 10 % tight)."""
    return _sample(n, seed, [0.6, 0.3, 0.1], [[-2.0, 0.0], [3.5, 2.5], [3.0, -2.5]], _iso(1.8, 0.6, 0.15))


def make_two_gaussians(n: int, seed: int = 0) -> PresetData:
    """The lecture's example: two unequal 2-D Gaussians (weights 0.3 / 0.7) with correlated shapes."""
    covs = [[[0.5, 0.2], [0.2, 0.4]], [[1.5, -0.6], [-0.6, 1.0]]]
    return _sample(n, seed, [0.3, 0.7], [[-2.5, 1.0], [1.5, -0.5]], covs)


def make_single_point_stack(n: int, seed: int = 0) -> PresetData:
    """The blobs plus one isolated point far away, where a component can collapse (likelihood -> inf).

    The isolated point is labelled ``UNLABELLED``: it is not drawn from the (three-blob) mixture.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n}")
    blobs = make_blobs(int(n) - 1, seed)
    points = np.concatenate((blobs.points, [[7.0, 6.0]]))
    labels = np.concatenate((blobs.labels, [UNLABELLED]))
    return PresetData(points, labels, blobs.weights, blobs.means, blobs.covariances)


def make_identical(n: int, seed: int = 0) -> PresetData:
    """All points at the same place (degenerate: zero covariance), for the edge-case demo.

    ``seed`` is accepted for a uniform signature and ignored.
    """
    return _sample(n, seed, [1.0], [[1.0, 1.0]], np.zeros((1, 2, 2)))


PRESETS: dict[str, PresetSpec] = {
    spec.name: spec
    for spec in (
        PresetSpec("blobs", "Three round, well-separated clusters", make_blobs),
        PresetSpec("anisotropic", "Three sheared (elongated, tilted) clusters", make_anisotropic),
        PresetSpec("overlapping", "Two heavily overlapping Gaussians", make_overlapping),
        PresetSpec("varied sizes", "Clusters with very different spreads and counts", make_varied_sizes),
        PresetSpec(
            "two gaussians", "The lecture's two 2-D Gaussians (weights 0.3 / 0.7)", make_two_gaussians
        ),
        PresetSpec(
            "single point stack",
            "Blobs plus one isolated point (the singularity demo)",
            make_single_point_stack,
        ),
        PresetSpec("identical", "Every point identical (the edge-case demo)", make_identical, default_n=50),
    )
}


def apply_preset(pointset: PointSet, name: str, n: int | None = None, seed: int = 0) -> PresetData:
    """Sample preset ``name`` and load it into ``pointset`` as one undoable step.

    Parameters
    ----------
    pointset : PointSet
        Target; unchanged if sampling or loading fails.
    name : str
        A key of :data:`PRESETS`.
    n : int, optional
        Number of points; the preset's ``default_n`` when omitted.
    seed : int
        Random seed; the same ``(name, n, seed)`` always gives the same data.

    Returns
    -------
    PresetData
        The sampled data, including the true mixture parameters.
    """
    try:
        spec = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
    data = spec.make(spec.default_n if n is None else n, seed)
    pointset.replace(data.points, data.labels, text=f"load preset {name}")
    return data

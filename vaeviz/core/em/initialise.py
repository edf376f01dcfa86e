"""Starting points for EM, and the argument checks the EM generators share.

Every initialisation returns a valid :class:`~vaeviz.core.em.gmm.GaussianMixture`; the ones that do not
come from k-means use equal weights and the data's own spread as every covariance, which is broad enough
that no point starts out unexplained. :mod:`vaeviz.core.em.algorithm` re-exports the ``init_*`` functions.
"""

from __future__ import annotations

import numpy as np

from vaeviz.core.em.gmm import GaussianMixture, check_covariance_type, to_full, validate_data
from vaeviz.core.em.kmeans import kmeanspp_init

# A starting variance this small relative to the data's is degenerate (identical or collinear points).
_JITTER_RTOL = 1e-9


def check_reg(reg: float) -> float:
    """Return the covariance floor as a float, or raise ValueError unless it is finite and ≥ 0."""
    if not np.isfinite(reg) or reg < 0:
        raise ValueError(f"the covariance floor reg must be a finite number ≥ 0, got {reg!r}")
    return float(reg)


def check_labels(z_true, n_points: int, n_components: int) -> np.ndarray | None:
    """Validate optional true component labels: None, or N integers in [0, K)."""
    if z_true is None:
        return None
    z = np.asarray(z_true)
    if z.shape != (n_points,) or not np.issubdtype(z.dtype, np.integer):
        raise ValueError(f"z_true must be {n_points} integer labels, got {z.dtype} array of shape {z.shape}")
    if z.min() < 0 or z.max() >= n_components:
        raise ValueError(f"z_true labels must lie in [0, {n_components}), got [{z.min()}, {z.max()}]")
    return z.astype(np.intp)


def data_scale(x: np.ndarray) -> float:
    """Mean per-coordinate variance of the data; 1 when the points are all identical (no scale)."""
    # One coordinate at a time: numpy reduces axis 0 of an (N, d) array ~10× slower when d is small.
    var = float(np.mean([x[:, j].var() for j in range(x.shape[1])]))
    return var if var > 0.0 else 1.0


def spread_covariance(x: np.ndarray, covariance_type: str, reg: float = 1e-6) -> np.ndarray:
    """The data's own covariance in the type's structure, plus ``reg``: a broad, safe starting shape.

    Degenerate data (identical or collinear points) with ``reg=0`` would give a singular matrix, so a
    jitter of 1e-6 of the data's variance is added then.
    """
    d = x.shape[1]
    cov = np.atleast_2d(np.cov(x, rowvar=False, bias=True)).reshape(d, d)
    if covariance_type in ("diag", "spherical"):
        diag = np.diag(cov) if covariance_type == "diag" else np.full(d, np.mean(np.diag(cov)))
        cov = np.diag(diag)
    cov = cov + reg * np.eye(d)
    if np.linalg.eigvalsh(cov).min() <= _JITTER_RTOL * data_scale(x):
        cov = cov + 1e-6 * data_scale(x) * np.eye(d)
    return cov


def _spread_mixture(x: np.ndarray, means: np.ndarray, covariance_type: str, reg: float) -> GaussianMixture:
    k = means.shape[0]
    cov = np.broadcast_to(spread_covariance(x, covariance_type, reg), (k, x.shape[1], x.shape[1]))
    return GaussianMixture(np.full(k, 1.0 / k), means, cov, covariance_type)


def init_user(x, means, covariance_type: str = "full", reg: float = 1e-6) -> GaussianMixture:
    """Start from user-placed means, with equal weights and the data's spread as every covariance.

    Parameters
    ----------
    x : array_like, shape (N, d)
    means : array_like, shape (K, d)
        Where the user put the components.
    covariance_type : {"full", "diag", "spherical", "tied"}
    reg : float
        Covariance floor.
    """
    x = validate_data(x)
    mu = np.asarray(means, dtype=np.float64)
    mu = mu[:, None] if mu.ndim == 1 and x.shape[1] == 1 else mu
    if mu.ndim != 2 or mu.shape[1] != x.shape[1]:
        raise ValueError(f"means must have shape (K, {x.shape[1]}), got {mu.shape}")
    validate_data(x, mu.shape[0])
    return _spread_mixture(x, mu, check_covariance_type(covariance_type), check_reg(reg))


def init_random(x, n_components: int, rng=None, covariance_type: str = "full",
                reg: float = 1e-6) -> GaussianMixture:
    """Start from K distinct data points chosen uniformly at random as means (scikit-learn's
    "random_from_data"), equal weights and the data's spread as every covariance."""
    x = validate_data(x, n_components)
    idx = np.random.default_rng(rng).choice(x.shape[0], size=n_components, replace=False)
    return _spread_mixture(x, x[idx], check_covariance_type(covariance_type), check_reg(reg))


def init_kmeanspp(x, n_components: int, rng=None, covariance_type: str = "full",
                  reg: float = 1e-6) -> GaussianMixture:
    """Start from k-means++ seeds as means, equal weights and the data's spread as every covariance."""
    x = validate_data(x, n_components)
    means = kmeanspp_init(x, n_components, rng)
    return _spread_mixture(x, means, check_covariance_type(covariance_type), check_reg(reg))


def init_from_kmeans(x, centres, labels, covariance_type: str = "full", reg: float = 1e-6) -> GaussianMixture:
    """Start from a k-means result: the centres as means, cluster sizes as weights, the clusters'
    scatter (about their centres) as covariances.

    An empty cluster counts as one point for its weight, and a cluster whose scatter is singular (one
    point, collinear points) gets the data's spread instead, so the start is always valid.
    """
    x = validate_data(x)
    mu = np.asarray(centres, dtype=np.float64)
    mu = mu[:, None] if mu.ndim == 1 and x.shape[1] == 1 else mu
    k, d = mu.shape[0], x.shape[1]
    validate_data(x, k)
    covariance_type, reg = check_covariance_type(covariance_type), check_reg(reg)
    lab = check_labels(labels, x.shape[0], k)
    counts = np.bincount(lab, minlength=k).astype(np.float64)
    scatter = np.empty((k, d, d))
    for j in range(k):
        diff = x[lab == j] - mu[j]
        scatter[j] = diff.T @ diff / max(counts[j], 1.0)
    if covariance_type == "tied":
        scatter[:] = np.einsum("k,kij->ij", counts, scatter) / x.shape[0]
    elif covariance_type in ("diag", "spherical"):
        diag = scatter[:, np.arange(d), np.arange(d)]
        diag = diag if covariance_type == "diag" else np.repeat(diag.mean(axis=1, keepdims=True), d, axis=1)
        scatter = to_full(diag, "diag", k, d)
    # Judge degeneracy before adding the floor: a one-point cluster would otherwise start as a tiny dot.
    degenerate = np.linalg.eigvalsh(scatter).min(axis=1) <= _JITTER_RTOL * data_scale(x)
    scatter[:, np.arange(d), np.arange(d)] += reg
    scatter[degenerate] = spread_covariance(x, covariance_type, reg)  # tied: all equal, all replaced
    weights = np.maximum(counts, 1.0)
    return GaussianMixture(weights / weights.sum(), mu, scatter, covariance_type)

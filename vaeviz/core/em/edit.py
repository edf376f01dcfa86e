"""Editing a Gaussian mixture by hand, Qt-free: what dragging a mean, an axis handle or a weight does.

Every edit returns a new, valid :class:`~vaeviz.core.em.gmm.GaussianMixture` of the same covariance family:
a "diag" component keeps axis-aligned axes, a "spherical" one stays round, and editing one "tied"
covariance edits all of them (they are one matrix). Handles sit at the ends of the 1σ principal axes.
"""

from __future__ import annotations

import numpy as np

from vaeviz.core.em.gmm import GaussianMixture

MIN_WEIGHT = 1e-3  # a dragged weight stays in [MIN_WEIGHT, 1 - MIN_WEIGHT·(K-1)]
_MIN_VAR_RTOL = 1e-8  # a dragged axis cannot shrink below this fraction of the larger axis (stays drawable)


def principal_axes(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (σ_1, σ_2) and the unit axes (columns) of a 2×2 covariance, largest first."""
    w, v = np.linalg.eigh(0.5 * (cov + cov.T))
    w = np.maximum(w, 0.0)
    order = np.argsort(w)[::-1]
    return np.sqrt(w[order]), v[:, order]


def axis_handles(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """The two handle positions μ + σ_i v_i (shape (2, 2)), at the ends of the 1σ axes."""
    sig, v = principal_axes(cov)
    return mean + (v * sig).T


_UNIT_CIRCLES: dict[int, np.ndarray] = {}


def ellipses(mean: np.ndarray, cov: np.ndarray, n_sigmas, n: int = 97) -> list[np.ndarray]:
    """Points (n, 2) of each n_sigma ellipse {x: (x-μ)ᵀ Σ⁻¹ (x-μ) = n_sigma²}, closed (first = last);
    the axes are found once for all of them (EM redraws them at every frame)."""
    sig, v = principal_axes(cov)
    if n not in _UNIT_CIRCLES:
        t = np.linspace(0.0, 2.0 * np.pi, n)
        _UNIT_CIRCLES[n] = np.stack([np.cos(t), np.sin(t)])
    shape = (v * sig) @ _UNIT_CIRCLES[n]
    return [mean + n_sigma * shape.T for n_sigma in n_sigmas]


def ellipse(mean: np.ndarray, cov: np.ndarray, n_sigma: float, n: int = 97) -> np.ndarray:
    """Points (n, 2) of the n_sigma ellipse {x: (x-μ)ᵀ Σ⁻¹ (x-μ) = n_sigma²}, closed (first = last)."""
    return ellipses(mean, cov, (n_sigma,), n)[0]


def _with(gmm: GaussianMixture, weights=None, means=None, covariances=None) -> GaussianMixture:
    return GaussianMixture(gmm.weights if weights is None else weights,
                           gmm.means if means is None else means,
                           gmm.covariances if covariances is None else covariances, gmm.covariance_type)


def move_mean(gmm: GaussianMixture, k: int, position) -> GaussianMixture:
    """Component ``k``'s mean moved to ``position``."""
    means = gmm.means.copy()
    means[k] = np.asarray(position, dtype=np.float64)
    return _with(gmm, means=means)


def _fit_type(cov: np.ndarray, covariance_type: str) -> np.ndarray:
    """Project a symmetric positive definite 2×2 matrix onto the family (diag, spherical)."""
    if covariance_type == "diag":
        return np.diag(np.diag(cov))
    if covariance_type == "spherical":
        return np.eye(cov.shape[0]) * float(np.mean(np.diag(cov)))
    return cov


def set_covariance(gmm: GaussianMixture, k: int, cov: np.ndarray) -> GaussianMixture:
    """Component ``k``'s covariance replaced (projected onto the family; "tied": every component's)."""
    cov = _fit_type(0.5 * (cov + cov.T), gmm.covariance_type)
    covs = gmm.covariances.copy()
    if gmm.covariance_type == "tied":
        covs[:] = cov
    else:
        covs[k] = cov
    return _with(gmm, covariances=covs)


def drag_axis(gmm: GaussianMixture, k: int, axis: int, position) -> GaussianMixture:
    """Component ``k`` after dragging the handle of its principal axis ``axis`` (0 or 1) to ``position``.

    "full": that axis takes the handle's direction and length, the other stays perpendicular with its
    length. "diag": only the coordinate the axis lies along changes. "spherical": the radius is the
    handle's distance. "tied": as "full", for all components at once.
    """
    mean = gmm.means[k]
    cov = gmm.covariances[k]
    sig, v = principal_axes(cov)
    u = np.asarray(position, dtype=np.float64) - mean
    length = float(np.hypot(*u))
    floor = max(_MIN_VAR_RTOL * float(sig.max()), 1e-12)
    length = max(length, np.sqrt(floor))
    kind = gmm.covariance_type
    if kind == "spherical":
        new = np.eye(2) * length**2
    elif kind == "diag":
        coord = int(np.argmax(np.abs(v[:, axis])))  # the coordinate this axis lies along
        var = np.diag(cov).copy()
        var[coord] = max(abs(float(u[coord])), np.sqrt(floor)) ** 2
        new = np.diag(var)
    else:
        direction = u / max(float(np.hypot(*u)), 1e-300) if np.hypot(*u) > 0 else v[:, axis]
        other = np.array([-direction[1], direction[0]])
        lengths = sig.copy()
        lengths[axis] = length
        lengths[1 - axis] = max(lengths[1 - axis], np.sqrt(floor))
        basis = np.zeros((2, 2))
        basis[:, axis], basis[:, 1 - axis] = direction, other
        new = (basis * lengths**2) @ basis.T
    return set_covariance(gmm, k, new)


def set_weight(gmm: GaussianMixture, k: int, value: float) -> GaussianMixture:
    """Component ``k``'s weight set to ``value``; the others are rescaled so the weights sum to 1.

    The others keep their proportions to each other, which is what a user dragging one bar expects.
    """
    kk = gmm.n_components
    if kk == 1:
        return gmm
    value = float(np.clip(value, MIN_WEIGHT, 1.0 - MIN_WEIGHT * (kk - 1)))
    w = gmm.weights.copy()
    rest = np.delete(np.arange(kk), k)
    others = w[rest]
    total = others.sum()
    others = np.full(kk - 1, 1.0 / (kk - 1)) if total <= 0 else others / total
    w[rest] = np.maximum(others * (1.0 - value), MIN_WEIGHT * 1e-3)
    w[k] = value
    return _with(gmm, weights=w / w.sum())


def snap_and_shrink(gmm: GaussianMixture, x: np.ndarray, k: int, scale: float = 1e-3) -> GaussianMixture:
    """Put component ``k`` on the data point the *other* components explain worst, and make it tiny.

    This is the classic way to make EM collapse: that component becomes responsible for one point only,
    its M-step variance is 0, and with the covariance floor off the likelihood runs to +∞.
    ``scale`` is the new variance as a fraction of the data's. The weight becomes 1/N.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    kk = gmm.n_components
    if kk > 1:
        others = np.delete(np.arange(kk), k)
        rest = GaussianMixture(gmm.weights[others] / gmm.weights[others].sum(), gmm.means[others],
                               gmm.covariances[others], gmm.covariance_type)
        target = x[int(np.argmin(rest.log_prob(x)))]
    else:
        target = x[0]
    var = max(float(np.mean(np.var(x, axis=0))), 1e-12) * scale
    out = move_mean(gmm, k, target)
    out = set_covariance(out, k, np.eye(x.shape[1]) * var)
    return set_weight(out, k, max(1.0 / max(n, 1), MIN_WEIGHT))

"""Gaussian-mixture density estimator: the EM lab's mixture maths, fitted with its EM to convergence.

Each restart starts from k-means++ seeds (:func:`~vaeviz.core.em.kmeans.kmeanspp_init`, seeded by
``seed + restart``), either as the means directly ("kmeans++") or refined by k-means first, with the
clusters' sizes and scatter as the weights and covariances ("kmeans", scikit-learn's default). Then
float64 EM (:func:`~vaeviz.core.em.algorithm.em_steps`) runs until the mean log-likelihood changes by
less than ``tol``; the restart with the highest log-likelihood wins. The fit is a generator
(:func:`gmm_fit_steps`) so the lab's worker can show progress and cancel it; ``fit`` runs it to the end.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vaeviz.core.density.estimators import (
    LOG_2PI,
    DensityInputError,
    FittedDensity,
    check_count,
    check_points,
    check_rect,
    check_res,
    logsumexp_rows,
    to_rng,
)
from vaeviz.core.em.algorithm import em_steps
from vaeviz.core.em.gmm import MAX_COMPONENTS, GaussianMixture
from vaeviz.core.em.initialise import init_from_kmeans, init_kmeanspp
from vaeviz.core.em.kmeans import kmeans_steps, kmeanspp_init
from vaeviz.core.grid import Rect, cell_centres

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
INITS = ("kmeans", "kmeans++")
KMEANS_MAX_ITER = 100
MAX_RESTARTS = 20
FAR_TAIL = 1e-300  # a grid cell whose summed density (relative to the highest peak) is below this is
# evaluated again by the per-point log-sum-exp: its terms may have underflowed (e^-690 ≈ 1e-300)


@dataclass(frozen=True)
class GmmSettings:
    """A Gaussian mixture fitted by EM.

    Attributes
    ----------
    n_components : int
        K, 1 to 20 (the EM lab's limit), at most the number of distinct points.
    covariance_type : {"full", "diag", "spherical", "tied"}
    restarts : int
        Independent k-means++ starts; the best log-likelihood wins.
    seed : int
        Restart r is seeded by ``seed + r``: the fit is deterministic.
    reg : float
        Covariance floor added to every variance (scikit-learn's ``reg_covar``), > 0 so no component
        collapses onto a point.
    max_iter : int
        EM iterations per restart, at most.
    tol : float
        Convergence: the mean log-likelihood per point changes by less than this.
    init : {"kmeans", "kmeans++"}
        EM's start: a k-means run from k-means++ seeds (its clusters' weights, means and scatter), or
        the k-means++ seeds as means with equal weights and the data's spread as covariances.
    """

    n_components: int = 3
    covariance_type: str = "full"
    restarts: int = 1
    seed: int = 0
    reg: float = 1e-6
    max_iter: int = 300
    tol: float = 1e-6
    init: str = "kmeans"

    def fit(self, x) -> FittedGmm:
        """Run :func:`gmm_fit_steps` to the end and return its result."""
        steps = gmm_fit_steps(x, self)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                return stop.value


@dataclass(frozen=True, eq=False)
class GmmFitProgress:
    """A snapshot of the fit: after each EM iteration of each restart.

    Attributes
    ----------
    restart : int
        0-based restart index.
    iteration : int
        EM iteration within the restart.
    mean_log_likelihood : float
        Of the current mixture, per point.
    gmm : GaussianMixture
        The current mixture (read-only arrays).
    best_mean_log_likelihood : float
        The best finished restart so far (-inf before the first finishes).
    """

    restart: int
    iteration: int
    mean_log_likelihood: float
    gmm: GaussianMixture
    best_mean_log_likelihood: float


def check_gmm_settings(settings: GmmSettings, x: np.ndarray) -> None:
    """Raise DensityInputError unless K, the covariance type and the counts suit the points."""
    k = settings.n_components
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_COMPONENTS:
        raise DensityInputError(f"the number of components K must be 1 to {MAX_COMPONENTS}, got {k!r}")
    if settings.covariance_type not in COVARIANCE_TYPES:
        raise DensityInputError(f"the covariance type must be one of {', '.join(COVARIANCE_TYPES)}, "
                                f"got {settings.covariance_type!r}")
    if settings.init not in INITS:
        raise DensityInputError(f"the start must be one of {', '.join(INITS)}, got {settings.init!r}")
    r = settings.restarts
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 1 <= r <= MAX_RESTARTS:
        raise DensityInputError(f"restarts must be 1 to {MAX_RESTARTS}, got {r!r}")
    if not (math.isfinite(settings.reg) and settings.reg > 0):
        raise DensityInputError(f"the covariance floor must be a number > 0, got {settings.reg!r}")
    n = x.shape[0]
    if n < k:
        raise DensityInputError(f"N = {n} points cannot support K = {k} components: each needs points of "
                                "its own")
    distinct = np.unique(x, axis=0).shape[0]
    if distinct == 1:
        raise DensityInputError("all points are identical: a Gaussian fitted to them has no spread "
                                "(its variance is 0)")
    if distinct < k:
        raise DensityInputError(f"only {distinct} distinct points: K = {k} components need at least {k}")


def gmm_fit_steps(x, settings: GmmSettings = GmmSettings()) -> Iterator[GmmFitProgress]:
    """Fit a mixture by EM from k-means++ starts, one snapshot per EM iteration.

    Yields
    ------
    GmmFitProgress

    Returns
    -------
    FittedGmm
        The best restart's mixture (a restart that collapsed is skipped; if all do, DensityInputError).
    """
    pts = check_points(x)
    check_gmm_settings(settings, pts)
    n = pts.shape[0]
    best: GaussianMixture | None = None
    best_ll = -np.inf
    iterations = 0
    for restart in range(int(settings.restarts)):
        init = _start(pts, settings, settings.seed + restart)
        last = None
        for state in em_steps(pts, init, settings.covariance_type, settings.reg, settings.max_iter,
                              tol=settings.tol):
            if state.singular is not None:
                last = None
                break
            last = state
            if state.phase == "M":
                yield GmmFitProgress(restart, state.iteration, state.mean_log_likelihood, state.gmm, best_ll)
        finished = last is not None and math.isfinite(last.mean_log_likelihood)
        if finished and last.mean_log_likelihood > best_ll:
            best, best_ll, iterations = last.gmm, last.mean_log_likelihood, last.iteration
    if best is None:
        raise DensityInputError("every EM restart collapsed a component onto a point: raise the covariance "
                                "floor or use fewer components")
    note = ""
    if iterations >= settings.max_iter:
        note = f"EM stopped after {settings.max_iter} iterations before converging"
    return FittedGmm(best, note, n)


def _start(pts: np.ndarray, settings: GmmSettings, seed: int) -> GaussianMixture:
    k = int(settings.n_components)
    if settings.init == "kmeans++":
        return init_kmeanspp(pts, k, seed, settings.covariance_type, settings.reg)
    *_, last = kmeans_steps(pts, kmeanspp_init(pts, k, seed), KMEANS_MAX_ITER)
    labels = last.labels if last.labels is not None else np.zeros(pts.shape[0], dtype=np.int64)
    return init_from_kmeans(pts, last.centres, labels, settings.covariance_type, settings.reg)


def _normal_pdf(values: np.ndarray, mean: np.ndarray, var: np.ndarray, log_weights: np.ndarray) -> np.ndarray:
    """Σ_k exp(log_weights_k) N(values | mean_k, var_k) for 1-D values: (m,)."""
    z = (values[:, None] - mean[None, :]) ** 2 / var[None, :]
    log = log_weights[None, :] - 0.5 * (LOG_2PI + np.log(var)[None, :] + z)
    return np.exp(logsumexp_rows(log))


class FittedGmm(FittedDensity):
    """A fitted Gaussian mixture.

    Attributes
    ----------
    gmm : GaussianMixture
        The mixture (full (K, d, d) covariances whatever the type).
    """

    def __init__(self, gmm: GaussianMixture, note: str = "", n_points: int = 0):
        self.gmm = gmm
        self.dim = gmm.n_features
        self.note = note
        self.n_points = n_points
        with np.errstate(divide="ignore"):
            self._log_weights = np.log(gmm.weights)

    def with_mean(self, k: int, mean) -> FittedGmm:
        """This mixture with component k's mean moved to ``mean`` (everything else as fitted): what the
        Density lab draws while a component is dragged."""
        if not 0 <= k < self.gmm.n_components:
            raise DensityInputError(f"the mixture has no component {k}")
        mean = np.asarray(mean, dtype=np.float64)
        if mean.shape != (self.dim,) or not np.all(np.isfinite(mean)):
            raise DensityInputError(f"a component's mean must be {self.dim} finite numbers")
        means = np.array(self.gmm.means, dtype=np.float64)
        means[k] = mean
        moved = GaussianMixture(self.gmm.weights, means, self.gmm.covariances, self.gmm.covariance_type)
        return FittedGmm(moved, self.note, self.n_points)

    def log_density(self, x) -> np.ndarray:
        """log Σ_k π_k N(x | μ_k, Σ_k), exact (the EM lab's log_prob)."""
        return np.asarray(self.gmm.log_prob(check_points(x, self.dim)), dtype=np.float64)

    def log_density_grid(self, rect: Rect, res: int) -> np.ndarray:
        """log p on the cell centres, ``out[iy, ix]`` (row = y index), exact.

        Each component's quadratic form is built from per-axis (res,) offsets by broadcasting, which is
        several times cheaper than evaluating res² points one by one. The components' densities are summed
        relative to the highest peak any of them has (π_k N(μ_k | μ_k, Σ_k)), one plane at a time: no
        per-cell maximum over K planes. Cells where every term underflows (p below e^-690 of that peak,
        far from all components) are evaluated again by the per-point log-sum-exp.
        """
        self._need(2, "log_density_grid")
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        gmm = self.gmm
        parts = []
        for k in range(gmm.n_components):
            if np.isfinite(self._log_weights[k]):  # (a component of weight 0 adds nothing)
                p = np.linalg.inv(gmm.covariances[k])
                parts.append((k, p, self._log_weights[k] - LOG_2PI + 0.5 * math.log(np.linalg.det(p))))
        peak = max(log_norm for _, _, log_norm in parts)  # exp(term - peak) ≤ 1 everywhere
        total = np.zeros((res, res))
        plane = np.empty((res, res))
        for k, p, log_norm in parts:
            dx = xs - gmm.means[k, 0]
            dy = ys - gmm.means[k, 1]
            np.multiply(-p[0, 1] * dy[:, None], dx[None, :], out=plane)
            plane += (log_norm - peak - 0.5 * p[0, 0] * dx * dx)[None, :]
            plane += (-0.5 * p[1, 1] * dy * dy)[:, None]
            np.exp(plane, out=plane)
            total += plane
        far = total < FAR_TAIL
        with np.errstate(divide="ignore"):
            out = np.log(total)
        out += peak
        if far.any():
            gx, gy = np.meshgrid(xs, ys)
            out[far] = self.log_density(np.column_stack([gx[far], gy[far]]))
        return out

    def sample(self, n: int, rng=None) -> np.ndarray:
        """Ancestral sampling: a component by its weight, then its Gaussian."""
        return self.gmm.sample(check_count(n), to_rng(rng))[1]

    def conditional(self, a: float, ys) -> np.ndarray:
        """The Gaussian conditionals of the components, weighted by π_k N(a | μ_k1, Σ_k11) (normalised)."""
        self._need(2, "conditional")
        a, ys = self._scalar(a), self._values(ys)
        mu, cov = self.gmm.means, self.gmm.covariances
        var1 = cov[:, 0, 0]
        log_w = self._log_weights - 0.5 * (LOG_2PI + np.log(var1) + (a - mu[:, 0]) ** 2 / var1)
        log_w = log_w - logsumexp_rows(log_w[None, :])[0]
        mean = mu[:, 1] + cov[:, 1, 0] / var1 * (a - mu[:, 0])
        var = cov[:, 1, 1] - cov[:, 1, 0] ** 2 / var1
        return _normal_pdf(ys, mean, np.maximum(var, np.finfo(float).tiny), log_w)

    def marginals(self, rect: Rect, res: int) -> tuple[np.ndarray, np.ndarray]:
        """The mixtures of each coordinate's Gaussians: Σ_k π_k N(x_j | μ_kj, Σ_kjj)."""
        self._need(2, "marginals")
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        mu, cov = self.gmm.means, self.gmm.covariances
        return (_normal_pdf(xs, mu[:, 0], cov[:, 0, 0], self._log_weights),
                _normal_pdf(ys, mu[:, 1], cov[:, 1, 1], self._log_weights))

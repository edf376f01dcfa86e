"""Gaussian mixture models: parameters, densities, sampling and model-selection scores.

A mixture is p(x) = Σ_k π_k N(x | μ_k, Σ_k). :class:`GaussianMixture` always stores the covariances as
full (K, d, d) matrices whatever its ``covariance_type``: "diag", "spherical" and "tied" mixtures are
stored *expanded* (diagonal matrices, multiples of the identity, K copies of one matrix). One layout
keeps the plotting and density code free of per-type branches; :func:`to_full` and :func:`from_full`
convert from and to scikit-learn's per-type shapes.

The log-density follows scikit-learn's formulation (Cholesky factor of the precision) so that the EM in
:mod:`vaeviz.core.em.algorithm` reproduces scikit-learn's numbers, not just its fixed points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vaeviz.core.em.choices import COVARIANCE_TYPES
from vaeviz.core.em.log_rows import logsumexp_rows, normalise_log_rows

MAX_COMPONENTS = 20
_LOG_2PI = math.log(2.0 * math.pi)


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def check_covariance_type(covariance_type: str) -> str:
    """Return ``covariance_type`` or raise ValueError naming the allowed ones."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}")
    return covariance_type


def check_n_components(n_components: int, n_points: int | None = None) -> int:
    """Check a number of mixture components K against the lab's limit and the number of points.

    Parameters
    ----------
    n_components : int
        K, the number of components (or clusters).
    n_points : int, optional
        N, the number of data points; K may not exceed it.

    Returns
    -------
    int
        ``n_components``.

    Raises
    ------
    ValueError
        If K < 1, K > :data:`MAX_COMPONENTS` or N < K.
    """
    k = int(n_components)
    if k != n_components or k < 1:
        raise ValueError(f"the number of components K must be a positive integer, got {n_components!r}")
    if k > MAX_COMPONENTS:
        raise ValueError(
            f"K={k} components is more than the lab supports (K ≤ {MAX_COMPONENTS}): every component gets "
            f"its own colour in the plots, and the fast EM path is sized for K ≤ {MAX_COMPONENTS}"
        )
    if n_points is not None and n_points < k:
        raise ValueError(
            f"N={n_points} points cannot support K={k} components: each component needs at least one point "
            "of its own, otherwise its mean and covariance are undefined"
        )
    return k


def validate_data(x, n_components: int | None = None) -> np.ndarray:
    """Return data as a C-contiguous float64 (N, d) array, or raise a ValueError saying what is wrong.

    Parameters
    ----------
    x : array_like
        (N, d) points, or a 1-D array of N scalar values (taken as d = 1).
    n_components : int, optional
        If given, also check K with :func:`check_n_components`.

    Returns
    -------
    numpy.ndarray
        The data, shape (N, d), float64 (a copy only if a conversion was needed).
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data must be numeric: {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"data must be a 1-D array of values or an (N, d) array of points, got shape {arr.shape}"
        )
    n, d = arr.shape
    if n == 0:
        raise ValueError("there is no data (N=0): a mixture cannot be fitted to an empty data set")
    if d == 0:
        raise ValueError("the data points have no coordinates (d=0)")
    # One sum first (a NaN or inf makes it non-finite): per-row checks of an (N, 2) array take ~30× longer,
    # and EM checks its data at every start, i.e. at every Step of the lab.
    with np.errstate(over="ignore"):
        total = float(arr.sum())
    if not math.isfinite(total) and not (finite := np.isfinite(arr).all(axis=1)).all():
        bad = np.flatnonzero(~finite)
        raise ValueError(
            f"the data contain NaN or infinite values ({bad.size} point(s), first at row {int(bad[0])}): "
            "densities and averages over such points are undefined"
        )
    if n_components is not None:
        check_n_components(n_components, n)
    return np.ascontiguousarray(arr)


def to_full(covariances, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """Expand scikit-learn-shaped covariances to full (K, d, d) matrices.

    Parameters
    ----------
    covariances : array_like
        "full": (K, d, d); "diag": (K, d) variances; "spherical": (K,) variances; "tied": (d, d).
    covariance_type : {"full", "diag", "spherical", "tied"}
    n_components, n_features : int
        K and d, used to check the shape.

    Returns
    -------
    numpy.ndarray
        A new float64 array of shape (K, d, d).
    """
    check_covariance_type(covariance_type)
    cov = np.asarray(covariances, dtype=np.float64)
    k, d = n_components, n_features
    expected = {"full": (k, d, d), "diag": (k, d), "spherical": (k,), "tied": (d, d)}[covariance_type]
    if cov.shape != expected:
        raise ValueError(f"{covariance_type!r} covariances must have shape {expected}, got {cov.shape}")
    if covariance_type == "full":
        return cov.copy()
    if covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d)).copy()
    full = np.zeros((k, d, d))
    idx = np.arange(d)
    full[:, idx, idx] = cov if covariance_type == "diag" else cov[:, None]
    return full


def from_full(covariances, covariance_type: str) -> np.ndarray:
    """Convert full (K, d, d) covariances to scikit-learn's shape for ``covariance_type``.

    The inverse of :func:`to_full` for covariances that have the type's structure: "diag" keeps the
    diagonals (K, d), "spherical" the mean of each diagonal (K,), "tied" the first matrix (d, d).
    """
    check_covariance_type(covariance_type)
    cov = np.asarray(covariances, dtype=np.float64)
    if cov.ndim != 3 or cov.shape[1] != cov.shape[2]:
        raise ValueError(f"full covariances must have shape (K, d, d), got {cov.shape}")
    idx = np.arange(cov.shape[1])
    if covariance_type == "full":
        return cov.copy()
    if covariance_type == "tied":
        return cov[0].copy()
    diag = cov[:, idx, idx]
    return diag.copy() if covariance_type == "diag" else diag.mean(axis=1)


def information_criteria(log_likelihood: float, n_parameters: int, n: int) -> tuple[float, float]:
    """(BIC, AIC) = (−2ℓ + p log N, −2ℓ + 2p) from a total log-likelihood ℓ over N points (lower is better).

    NaN without points or with an undefined ℓ; −∞ for a singular mixture (ℓ = +∞).
    """
    ll = float(log_likelihood)
    if n < 1 or math.isnan(ll):
        return math.nan, math.nan
    if math.isinf(ll):
        return -ll, -ll
    return -2.0 * ll + n_parameters * math.log(n), -2.0 * ll + 2.0 * n_parameters


def _has_cholesky(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """Parameters of a Gaussian mixture, validated and read-only.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixing proportions π_k ≥ 0 summing to 1.
    means : array_like, shape (K, d)
        Component means μ_k; a 1-D (K,) array means d = 1.
    covariances : array_like, shape (K, d, d)
        Component covariances Σ_k, symmetric positive definite, always *full* even when
        ``covariance_type`` is "diag" (diagonal matrices), "spherical" (σ_k² I) or "tied" (K equal
        matrices). For d = 1 a (K,) array of variances is accepted.
    covariance_type : {"full", "diag", "spherical", "tied"}
        Which family the mixture belongs to; it decides :meth:`n_parameters` and is checked against
        the structure of ``covariances``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"
    # Cholesky factor U_k of the precision (Σ_k⁻¹ = U_k U_kᵀ) and log|U_k|, as scikit-learn uses them.
    precision_cholesky: np.ndarray = field(init=False, repr=False)
    log_det_precision_cholesky: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        check_covariance_type(self.covariance_type)
        w = np.array(self.weights, dtype=np.float64)
        mu = np.array(self.means, dtype=np.float64)
        if mu.ndim == 1:
            mu = mu[:, None]
        cov = np.array(self.covariances, dtype=np.float64)
        if cov.ndim == 1 and mu.shape[1] == 1:
            cov = cov[:, None, None]
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"weights must be a non-empty 1-D array, got shape {w.shape}")
        k = w.size
        if mu.ndim != 2 or mu.shape[0] != k:
            raise ValueError(f"means must have shape (K, d) with K={k} (from weights), got {mu.shape}")
        d = mu.shape[1]
        if cov.shape != (k, d, d):
            raise ValueError(f"covariances must have shape (K, d, d) = {(k, d, d)}, got {cov.shape}")
        # One scalar test first: mixtures are built on every EM half-step, and per-array checks add up.
        if not math.isfinite(float(w.sum()) + float(mu.sum()) + float(cov.sum())):
            for name, arr in (("weights", w), ("means", mu), ("covariances", cov)):
                if not np.all(np.isfinite(arr)):
                    raise ValueError(f"{name} contain NaN or infinite values")
        if w.min() < 0:
            raise ValueError(f"weights must be non-negative, got {w}")
        if abs(w.sum() - 1.0) > 1e-8:
            raise ValueError(f"weights must sum to 1, they sum to {w.sum():.12g}")
        cov_chol = self._check_covariances(cov)
        prec_chol = np.linalg.inv(cov_chol).transpose(0, 2, 1)
        log_det = np.log(prec_chol.reshape(k, -1)[:, :: d + 1]).sum(axis=1)
        for name, arr in (("weights", w), ("means", mu), ("covariances", cov),
                          ("precision_cholesky", prec_chol), ("log_det_precision_cholesky", log_det)):
            object.__setattr__(self, name, _readonly(np.ascontiguousarray(arr)))

    def _check_covariances(self, cov: np.ndarray) -> np.ndarray:
        """Check symmetry, the type's structure and positive definiteness; return the Cholesky factors."""
        d = cov.shape[1]
        if not np.array_equal(cov, cov.transpose(0, 2, 1)):  # exact symmetry is the common case
            scale = np.abs(cov).max(axis=(1, 2))
            asym = np.abs(cov - cov.transpose(0, 2, 1)).max(axis=(1, 2))
            bad = np.flatnonzero(asym > 1e-10 * scale)
            if bad.size:
                raise ValueError(f"covariance of component {bad[0]} is not symmetric")
        kind = self.covariance_type
        idx = np.arange(d)
        diag = cov[:, idx, idx]
        if kind in ("diag", "spherical") and np.count_nonzero(cov) > np.count_nonzero(diag):
            raise ValueError(f"{kind!r} covariances must be diagonal matrices (stored expanded to (K, d, d))")
        if kind == "spherical" and np.any(np.abs(diag - diag[:, :1]) > 1e-12 * np.abs(diag[:, :1])):
            raise ValueError("'spherical' covariances must be multiples of the identity, σ_k² I")
        if kind == "tied" and np.any(np.abs(cov - cov[:1]) > 1e-12 * np.abs(cov[:1]).max()):
            raise ValueError("'tied' covariances must be one matrix shared by all components (K copies)")
        try:
            return np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            j = next(j for j in range(cov.shape[0]) if not _has_cholesky(cov[j]))
            raise ValueError(
                f"covariance of component {j} is not positive definite: every variance must be > 0"
            ) from None

    @classmethod
    def unchecked(cls, weights, means, covariances, covariance_type: str) -> GaussianMixture:
        """A mixture from arrays an algorithm has just made valid (fast EM's M-steps): the Cholesky
        factors without the checks (~0.07 ms of a 1.3 ms iteration); one that fails goes to the checked
        constructor."""
        try:
            chol = np.linalg.cholesky(covariances)
        except np.linalg.LinAlgError:
            return cls(weights, means, covariances, covariance_type)
        self = object.__new__(cls)
        prec_chol = np.linalg.inv(chol).transpose(0, 2, 1)
        log_det = np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
        object.__setattr__(self, "covariance_type", covariance_type)
        for name, arr in (("weights", weights), ("means", means), ("covariances", covariances),
                          ("precision_cholesky", prec_chol), ("log_det_precision_cholesky", log_det)):
            object.__setattr__(self, name, _readonly(np.array(arr, dtype=np.float64, order="C")))
        return self

    @classmethod
    def from_typed(cls, weights, means, covariances, covariance_type: str = "full") -> GaussianMixture:
        """Build a mixture from scikit-learn-shaped covariances (see :func:`to_full`)."""
        mu = np.asarray(means, dtype=np.float64)
        mu = mu[:, None] if mu.ndim == 1 else mu
        full = to_full(covariances, covariance_type, mu.shape[0], mu.shape[1])
        return cls(weights, mu, full, covariance_type)

    @property
    def n_components(self) -> int:
        """K, the number of components."""
        return int(self.weights.size)

    @property
    def n_features(self) -> int:
        """d, the dimension of the data space."""
        return int(self.means.shape[1])

    def typed_covariances(self) -> np.ndarray:
        """Return the covariances in scikit-learn's shape for this mixture's ``covariance_type``."""
        return from_full(self.covariances, self.covariance_type)

    def _points(self, x) -> np.ndarray:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 1 and self.n_features == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != self.n_features:
            raise ValueError(f"x must have shape (N, {self.n_features}), got {arr.shape}")
        return arr

    def component_log_prob(self, x) -> np.ndarray:
        """Return log π_k + log N(x_n | μ_k, Σ_k) for every point and component.

        Parameters
        ----------
        x : array_like, shape (N, d)
            Points (a 1-D array when d = 1).

        Returns
        -------
        numpy.ndarray, shape (N, K)
            The log joint density log p(x_n, z_n = k). A zero weight gives -inf, never NaN.
        """
        x = self._points(x)
        d = self.n_features
        # Computed transposed, (K, N) from the (d, N) data, and returned as its (N, K) view (column-major):
        # numpy's element-wise loops over an (N, 2) or (N, 3) array run ~10× slower than over N-long rows.
        xt = np.ascontiguousarray(x.T)
        out = np.empty((self.n_components, x.shape[0]))
        with np.errstate(divide="ignore"):
            log_weights = np.log(self.weights)
        for k in range(self.n_components):
            u = self.precision_cholesky[k]
            # scikit-learn's order of operations (y = x U - μ U, Σ_j y_j², then the constants), transposed,
            # so EM matches it to rounding error.
            y = u.T @ xt
            y -= (self.means[k] @ u)[:, None]
            sq = y[0] * y[0]
            for j in range(1, d):
                sq += y[j] * y[j]
            row = out[k]
            np.multiply(-0.5, d * _LOG_2PI + sq, out=row)
            row += self.log_det_precision_cholesky[k]
            row += log_weights[k]
        return out.T

    def log_prob(self, x) -> np.ndarray:
        """Return the mixture's log density log p(x_n) = log Σ_k π_k N(x_n | μ_k, Σ_k), shape (N,)."""
        return logsumexp_rows(self.component_log_prob(x))

    def responsibilities(self, x) -> np.ndarray:
        """Return the posteriors p(z_n = k | x_n), shape (N, K); every row sums to 1."""
        return normalise_log_rows(self.component_log_prob(x))[1]

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw n points by ancestral sampling: z ~ Categorical(π), then x ~ N(μ_z, Σ_z).

        Parameters
        ----------
        n : int
            Number of samples (≥ 0).
        rng : numpy.random.Generator or int or None
            Random generator, or a seed for one.

        Returns
        -------
        z : numpy.ndarray, shape (n,)
            Component index of each sample.
        x : numpy.ndarray, shape (n, d)
            The samples.
        """
        if int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        rng = np.random.default_rng(rng)
        z = rng.choice(self.n_components, size=int(n), p=self.weights)
        eps = rng.standard_normal((int(n), self.n_features))
        chol = np.linalg.cholesky(self.covariances)
        x = self.means[z] + np.einsum("nij,nj->ni", chol[z], eps)
        return z, x

    def n_parameters(self) -> int:
        """Return the number of free parameters, counted as scikit-learn does for the covariance type.

        K - 1 weights, K·d means, and K·d(d+1)/2 ("full"), K·d ("diag"), K ("spherical") or
        d(d+1)/2 ("tied") covariance entries.
        """
        k, d = self.n_components, self.n_features
        cov_params = {"full": k * d * (d + 1) // 2, "diag": k * d, "spherical": k,
                      "tied": d * (d + 1) // 2}[self.covariance_type]
        return cov_params + k * d + k - 1

    def bic(self, x) -> float:
        """Bayesian information criterion -2 log L + p log N (lower is better)."""
        lp = self.log_prob(x)
        return information_criteria(lp.sum(), self.n_parameters(), lp.shape[0])[0]

    def aic(self, x) -> float:
        """Akaike information criterion -2 log L + 2p (lower is better)."""
        lp = self.log_prob(x)
        return information_criteria(lp.sum(), self.n_parameters(), lp.shape[0])[1]

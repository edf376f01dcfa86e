"""Expectation-Maximisation for Gaussian mixtures, one half-step at a time.

:func:`em_steps` is a generator of immutable :class:`EMState` snapshots: first the initial
parameters ("init"), then alternately "E" (responsibilities from the current parameters) and "M"
(parameters re-estimated from those responsibilities), so the lab can show each half-step. The float64
arithmetic mirrors scikit-learn's ``GaussianMixture`` (same formulas, same ``reg_covar`` floor), so from
the same start both produce the same parameters to rounding error.

With the covariance floor off (``reg=0``) a component can collapse onto a point (or a line) and the
likelihood runs to +∞. That is part of the lesson, so it is detected and reported in the snapshot
(:class:`Singularity`) instead of surfacing as NaN, and the generator stops there. The test is
scale-free: a variance counts as 0 relative to the data's own spread along each axis
(:func:`find_collapse`). With the floor on, every variance is ≥ ``reg`` in the data's units, as in
scikit-learn, and only a floor too small for float64 to resolve at the data's scale can let one collapse.

The complete-data log-likelihood ℓ_c needs the true labels numbered like EM's components, which EM
numbers arbitrarily and may reorder during a run: every snapshot matches the true classes to its own
components by their means (:class:`CompleteData`).

The fast float32 torch path for large N is :func:`em_fast_steps` (implemented in
:mod:`vaeviz.core.em.fast`, imported lazily so importing this module never imports torch).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vaeviz.core.em.align import linear_assignment
from vaeviz.core.em.gmm import (
    GaussianMixture,
    check_covariance_type,
    to_full,
    validate_data,
)
from vaeviz.core.em.initialise import (
    check_labels,
    check_reg,
    init_from_kmeans,
    init_kmeanspp,
    init_random,
    init_user,
    spread_covariance,
)
from vaeviz.core.em.log_rows import column_sums, normalise_log_rows

__all__ = [
    "PHASES", "SINGULAR_RTOL", "CompleteData", "EMState", "Singularity", "SingularCovarianceError",
    "axis_scales", "e_step", "m_step", "em_steps", "em_fast_steps", "find_collapse", "find_singularity",
    "floor_variances", "init_random", "init_kmeanspp", "init_from_kmeans", "init_user",
    "spread_covariance",
]

PHASES = ("init", "E", "M")
# With the floor off, an eigenvalue of Σ_k below this fraction of the data's variance (per axis, after
# standardising) counts as collapsed: float64 cannot tell it from 0 once it is added to the data's scale,
# and the likelihood is already astronomically large.
SINGULAR_RTOL = 1e-12


@dataclass(frozen=True)
class Singularity:
    """Why EM had to stop: a component's covariance became singular (likelihood → +∞).

    ``component`` is the 0-based index of the first collapsed component, ``components`` all of them;
    ``reason`` is a sentence for the user.
    """

    component: int
    reason: str
    components: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class EMState:
    """One snapshot of EM; every array is read-only.

    Attributes
    ----------
    iteration : int
        0 for "init"; t for the E- and M-half-steps of the t-th iteration.
    phase : {"init", "E", "M"}
    gmm : GaussianMixture
        The parameters at this point: the initial ones, the ones the E-step used, or the M-step's new
        ones. In a singular state the collapsed covariances are floored just enough to be drawable.
    responsibilities : numpy.ndarray or None, shape (N, K)
        "E": p(z_n = k | x_n) under ``gmm``; "M": the responsibilities the M-step used. None for
        "init" (not computed yet) and, on the fast path, when N is above its snapshot limit.
    log_likelihood : float
        Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k) for ``gmm``; +inf in a singular state.
    mean_log_likelihood : float
        ``log_likelihood / N`` (what scikit-learn calls the lower bound).
    complete_log_likelihood : float or None
        Σ_n log p(x_n, z_n) with the true labels, when they were given, each true class standing for the
        component of ``gmm`` whose mean matches it (see :class:`CompleteData`).
    singular : Singularity or None
        Set when a component collapsed; the generator ends after this state.
    converged : bool
        True when the M-step changed the mean log-likelihood by less than ``tol``; the generator ends.
    precision_note : str or None
        Set on every state of a fast float32 run after it had to continue in float64, saying why.
    """

    iteration: int
    phase: str
    gmm: GaussianMixture
    responsibilities: np.ndarray | None
    log_likelihood: float
    mean_log_likelihood: float
    complete_log_likelihood: float | None = None
    singular: Singularity | None = None
    converged: bool = False
    precision_note: str | None = None

    def __post_init__(self) -> None:
        resp = self.responsibilities
        if resp is not None and (not isinstance(resp, np.ndarray) or resp.dtype != np.float64
                                 or resp.flags.writeable):
            # Copy unless already read-only float64, so the E and M states of one iteration can share it.
            resp = np.array(resp, dtype=np.float64)
            resp.setflags(write=False)
            object.__setattr__(self, "responsibilities", resp)


class CompleteData:
    """The true labels of the data, and the complete-data log-likelihood ℓ_c they give a mixture.

    EM's components come out in arbitrary order (label switching), and a run may reorder them, so a
    labelling matched once, to the starting mixture, goes stale. :meth:`value` matches the true classes
    to the given mixture's components afresh each time: each class goes to the component whose mean is
    nearest its own mean, one to one (the Hungarian algorithm). Classes without points drop out.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, d)
    labels : numpy.ndarray of int, shape (N,)
        The true class of each point, in [0, K).
    n_components : int
    """

    def __init__(self, x: np.ndarray, labels: np.ndarray, n_components: int):
        self.labels = labels
        self.n_components = n_components
        counts = np.bincount(labels, minlength=n_components)
        self.classes = np.flatnonzero(counts)
        self.class_means = np.stack([np.bincount(labels, weights=x[:, i], minlength=n_components)
                                     for i in range(x.shape[1])], axis=1)[self.classes]
        self.class_means /= counts[self.classes, None]

    def matching(self, means: np.ndarray) -> np.ndarray:
        """component[j]: the component of a mixture with these means that true class ``classes[j]`` plays."""
        cost = ((self.class_means[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
        return linear_assignment(cost)[1]

    def class_sums(self, log_joint: np.ndarray) -> np.ndarray:
        """(classes, K): Σ over the points of each true class of log π_k N(x_n | μ_k, Σ_k)."""
        k = self.n_components
        sums = np.stack([np.bincount(self.labels, weights=log_joint[:, j], minlength=k) for j in range(k)],
                        axis=1)
        return sums[self.classes]

    def value(self, log_joint: np.ndarray, means: np.ndarray) -> float:
        """ℓ_c = Σ_n log p(x_n, z_n) for a mixture: its (N, K) log-joints and its means (K, d)."""
        return self.from_class_sums(self.class_sums(log_joint), means)

    def from_class_sums(self, sums: np.ndarray, means: np.ndarray) -> float:
        """ℓ_c from the per-class sums of the log-joints (:meth:`class_sums`, or computed another way)."""
        return float(sums[np.arange(len(self.classes)), self.matching(means)].sum())


class SingularCovarianceError(ValueError):
    """Raised by :func:`m_step` when a component collapses; ``singularity`` says which and why."""

    def __init__(self, singularity: Singularity):
        super().__init__(singularity.reason)
        self.singularity = singularity


def e_step(x, gmm: GaussianMixture) -> tuple[np.ndarray, np.ndarray]:
    """Compute responsibilities and per-point log densities under ``gmm``.

    Parameters
    ----------
    x : array_like, shape (N, d)
    gmm : GaussianMixture

    Returns
    -------
    responsibilities : numpy.ndarray, shape (N, K)
        p(z_n = k | x_n); rows sum to 1.
    log_prob : numpy.ndarray, shape (N,)
        log p(x_n); its sum is the log-likelihood.
    """
    log_prob, resp = normalise_log_rows(gmm.component_log_prob(validate_data(x)))
    return resp, log_prob


def _estimate(x: np.ndarray, resp: np.ndarray, covariance_type: str, reg: float):
    """Maximum-likelihood parameters for fixed responsibilities, with scikit-learn's exact formulas.

    Returns weights, means, full covariances and the soft counts N_k.
    """
    k = resp.shape[1]
    d = x.shape[1]
    # The 10·eps keeps an abandoned component's mean at 0/tiny instead of 0/0, as in scikit-learn.
    nk = column_sums(resp) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ x) / nk[:, None]
    if covariance_type == "full":
        cov = np.empty((k, d, d))
        # (d, N): the element-wise work runs over N-long rows, ~10× quicker than over (N, d)
        xt = np.ascontiguousarray(x.T)
        for j in range(k):
            diff_t = xt - means[j][:, None]
            cov[j] = ((resp[:, j] * diff_t) @ diff_t.T) / nk[j]  # scikit-learn's operations, transposed
            cov[j].flat[:: d + 1] += reg
        typed = cov
    elif covariance_type == "tied":
        typed = (x.T @ x - nk * means.T @ means) / nk.sum()
        typed.flat[:: d + 1] += reg
    else:
        diag = (resp.T @ (x * x)) / nk[:, None] - means**2 + reg
        typed = diag if covariance_type == "diag" else diag.mean(axis=1)
    return nk / nk.sum(), means, to_full(typed, covariance_type, k, d), nk


def axis_scales(x: np.ndarray) -> np.ndarray:
    """The data's standard deviation along each axis, the unit in which collapse is judged.

    An axis along which all points agree gets the mean of the others' (1 when all are 0), so a component
    flattened onto such an axis still reads as collapsed rather than dividing by 0.
    """
    std = np.array([x[:, j].std() for j in range(x.shape[1])])  # per column: faster than axis=0 for small d
    spread = std[std > 0]
    return np.where(std > 0, std, spread.mean() if spread.size else 1.0)


def _floor_hint(reg: float, scales: np.ndarray) -> str:
    if reg == 0:
        return " A covariance floor (reg > 0) prevents this."
    return (f" The covariance floor (reg = {reg:.3g}) is too small for float64 to hold at this data's scale "
            f"(standard deviation up to {scales.max():.3g}): raise it.")


def find_collapse(covariances: np.ndarray, scales: np.ndarray, reg: float) -> Singularity | None:
    """Collapsed components of EM's new covariances (data units), judged consistently with the floor.

    With ``reg > 0`` every variance is ≥ ``reg`` by construction, so only a floor that float64 cannot
    resolve (half of it lost to rounding) or a covariance without a Cholesky factor counts. With
    ``reg = 0`` a variance counts as 0 below ``SINGULAR_RTOL`` times the data's variance along the axes it
    spans: the covariance is standardised by ``scales`` (:func:`axis_scales`) first, so the test does not
    depend on the data's units.
    """
    hint = _floor_hint(reg, scales)
    if reg > 0:
        return find_singularity(covariances, 0.5 * reg, hint)
    return find_singularity(covariances / np.outer(scales, scales), SINGULAR_RTOL, hint)


def collapsed_shown(covariances: np.ndarray, covariance_type: str, scales: np.ndarray,
                    reg: float) -> np.ndarray:
    """Collapsed covariances raised just enough to be drawn (and evaluated): to the floor, or with the
    floor off to the collapse threshold in standardised units."""
    if reg > 0:
        return floor_variances(covariances, covariance_type, reg)
    outer = np.outer(scales, scales)
    return floor_variances(covariances / outer, covariance_type, SINGULAR_RTOL) * outer


def find_singularity(covariances: np.ndarray, threshold: float | np.ndarray,
                     hint: str = " A covariance floor (reg > 0) prevents this.") -> Singularity | None:
    """Report collapsed components: an eigenvalue ≤ ``threshold``, non-finite, or no Cholesky factor.

    Parameters
    ----------
    covariances : numpy.ndarray, shape (K, d, d)
    threshold : float or numpy.ndarray, shape (K,)
        Variances at or below this count as 0 (one value, or one per component).
    hint : str
        Appended to the reason: what would prevent the collapse.

    Returns
    -------
    Singularity or None
    """
    k, d = covariances.shape[:2]
    finite = np.isfinite(covariances).all(axis=(1, 2))
    safe = np.where(finite[:, None, None], covariances, 0.0)
    limit = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (k,))[:, None]
    rank = np.sum(np.linalg.eigvalsh(0.5 * (safe + safe.transpose(0, 2, 1))) > limit, axis=1)
    if finite.all() and np.all(rank == d):
        try:
            np.linalg.cholesky(covariances)
            return None  # the common case, decided with two batched calls
        except np.linalg.LinAlgError:
            pass
    found: list[tuple[int, str]] = []
    for j in range(k):
        if not finite[j]:
            found.append((j, f"component {j + 1}'s covariance became NaN or infinite."))
            continue
        r = int(rank[j])
        if r == d:
            try:
                np.linalg.cholesky(covariances[j])
                continue
            except np.linalg.LinAlgError:
                r = d - 1
        where = "a single point" if r == 0 else "a line" if r == 1 else f"a {r}-dimensional subspace"
        across = "" if r == 0 else " across it"
        # Numbered from 1 in the text, as on screen; Singularity.component stays 0-based for code.
        found.append((j, f"component {j + 1} collapsed onto {where}: its variance{across} went to 0, "
                         "so the likelihood runs to +∞."))
    if not found:
        return None
    return Singularity(found[0][0], found[0][1] + hint, tuple(j for j, _ in found))


def floor_variances(cov: np.ndarray, covariance_type: str, floor: float | np.ndarray) -> np.ndarray:
    """Raise every variance (eigenvalue) to at least ``floor``, one value or one per component.

    Keeps the type's structure ("tied" uses the largest floor for all), so a collapsed component can
    still be drawn, as a tiny ellipse, and NaN/inf entries become 0 before flooring.
    """
    cov = np.where(np.isfinite(cov), cov, 0.0)
    k, d = cov.shape[:2]
    lim = np.broadcast_to(np.asarray(floor, dtype=np.float64), (k,))
    lim = np.full((k, 1), lim.max()) if covariance_type == "tied" else lim[:, None]
    if covariance_type in ("diag", "spherical"):
        out = np.zeros_like(cov)
        idx = np.arange(d)
        out[:, idx, idx] = np.maximum(cov[:, idx, idx], lim)
        return out
    w, v = np.linalg.eigh(0.5 * (cov + cov.transpose(0, 2, 1)))
    out = (v * np.maximum(w, lim)[:, None, :]) @ v.transpose(0, 2, 1)
    return 0.5 * (out + out.transpose(0, 2, 1))


def m_step(x, resp, covariance_type: str = "full", reg: float = 1e-6) -> GaussianMixture:
    """Re-estimate a mixture from responsibilities (the M-step).

    Parameters
    ----------
    x : array_like, shape (N, d)
    resp : array_like, shape (N, K)
        Responsibilities; rows should sum to 1.
    covariance_type : {"full", "diag", "spherical", "tied"}
    reg : float
        Added to every variance (scikit-learn's ``reg_covar``); 0 turns the floor off.

    Returns
    -------
    GaussianMixture

    Raises
    ------
    SingularCovarianceError
        If a component collapsed (only possible with a tiny or zero ``reg``).
    """
    x = validate_data(x)
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim != 2 or resp.shape[0] != x.shape[0]:
        raise ValueError(f"resp must have shape (N, K) with N={x.shape[0]}, got {resp.shape}")
    reg = check_reg(reg)
    weights, means, cov, _ = _estimate(x, resp, check_covariance_type(covariance_type), reg)
    singular = find_collapse(cov, axis_scales(x), reg)
    if singular is not None:
        raise SingularCovarianceError(singular)
    return GaussianMixture(weights, means, cov, covariance_type)


def check_run(x, init: GaussianMixture, covariance_type: str | None, reg: float, max_iter: int,
              tol: float | None) -> tuple[np.ndarray, str, float]:
    """Shared argument checks of the EM generators; returns (data, covariance_type, reg)."""
    x = validate_data(x, init.n_components)
    if x.shape[1] != init.n_features:
        raise ValueError(
            f"data have d={x.shape[1]} coordinates but the initial mixture has d={init.n_features}"
        )
    if int(max_iter) != max_iter or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got {max_iter!r}")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be None or ≥ 0, got {tol!r}")
    return x, check_covariance_type(covariance_type or init.covariance_type), check_reg(reg)


def em_steps(x, init: GaussianMixture, covariance_type: str | None = None, reg: float = 1e-6,
             max_iter: int = 100, z_true=None, tol: float | None = None) -> Iterator[EMState]:
    """Run EM in float64, yielding a snapshot after every half-step.

    Parameters
    ----------
    x : array_like, shape (N, d)
        Data (a 1-D array for d = 1). N ≥ K, finite.
    init : GaussianMixture
        Starting parameters (see the ``init_*`` functions).
    covariance_type : {"full", "diag", "spherical", "tied"}, optional
        Family the M-step estimates; defaults to ``init.covariance_type``.
    reg : float
        Covariance floor added to every variance, like scikit-learn's ``reg_covar``; 0 turns it off,
        which lets components collapse (reported, see :class:`Singularity`).
    max_iter : int
        Number of (E, M) iterations.
    z_true : array_like of int, optional
        True class of each point, in [0, K), for the complete-data log-likelihood (matched to the
        components afresh in every snapshot, see :class:`CompleteData`).
    tol : float, optional
        Stop once an M-step changes the mean log-likelihood per point by less than ``tol``. None runs all
        ``max_iter`` iterations (like scikit-learn with ``tol=0``).

    Yields
    ------
    EMState
        "init", then "E" and "M" for iterations 1, 2, ... The last state is the one after
        ``max_iter`` iterations, the converged one, or a singular one.
    """
    x, covariance_type, reg = check_run(x, init, covariance_type, reg, max_iter, tol)
    z = check_labels(z_true, x.shape[0], init.n_components)
    n = x.shape[0]
    scales = axis_scales(x)
    truth = None if z is None else CompleteData(x, z, init.n_components)

    def complete(log_joint: np.ndarray, mixture: GaussianMixture) -> float | None:
        return None if truth is None else truth.value(log_joint, mixture.means)

    gmm = init
    log_joint = gmm.component_log_prob(x)
    log_norm, resp = normalise_log_rows(log_joint)
    resp.setflags(write=False)
    ll = float(log_norm.sum())
    cll = complete(log_joint, gmm)
    yield EMState(0, "init", gmm, None, ll, ll / n, cll)
    for it in range(1, int(max_iter) + 1):
        yield EMState(it, "E", gmm, resp, ll, ll / n, cll)
        weights, means, cov, _ = _estimate(x, resp, covariance_type, reg)
        singular = find_collapse(cov, scales, reg)
        if singular is not None:
            shown_cov = collapsed_shown(cov, covariance_type, scales, reg)
            shown = GaussianMixture(weights, means, shown_cov, covariance_type)
            yield EMState(it, "M", shown, resp, np.inf, np.inf, complete(shown.component_log_prob(x), shown),
                          singular)
            return
        gmm = GaussianMixture(weights, means, cov, covariance_type)
        log_joint = gmm.component_log_prob(x)
        log_norm, new_resp = normalise_log_rows(log_joint)
        new_resp.setflags(write=False)
        new_ll = float(log_norm.sum())
        cll = complete(log_joint, gmm)
        converged = tol is not None and abs(new_ll - ll) / n < tol
        yield EMState(it, "M", gmm, resp, new_ll, new_ll / n, cll, converged=converged)
        if converged:
            return
        resp, ll = new_resp, new_ll


def em_fast_steps(x, init: GaussianMixture, covariance_type: str | None = "full", reg: float = 1e-6,
                  max_iter: int = 100, device: str = "cpu", **kwargs) -> Iterator[EMState]:
    """Float32 torch EM for large N; see :func:`vaeviz.core.em.fast.em_fast_steps` for all arguments."""
    from vaeviz.core.em.fast import em_fast_steps as fast

    return fast(x, init, covariance_type, reg, max_iter, device, **kwargs)

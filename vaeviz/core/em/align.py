"""Matching mixture components across fits, so colours stay put when EM is re-run.

Two fits of the same data find the same components in arbitrary order (label switching).
:func:`align_components` finds the relabelling that puts each component next to its counterpart, by
solving the assignment problem with a small Hungarian algorithm (scipy is not a run-time dependency).
"""

from __future__ import annotations

import numpy as np

from vaeviz.core.em.gmm import GaussianMixture


def linear_assignment(cost) -> tuple[np.ndarray, np.ndarray]:
    """Solve min Σ cost[i, col[i]] over one-to-one assignments (the Hungarian algorithm, O(n²m)).

    Shortest augmenting paths with row and column potentials (Kuhn–Munkres as refined by Jonker and
    Volgenant), the same problem as ``scipy.optimize.linear_sum_assignment``.

    Parameters
    ----------
    cost : array_like, shape (n, m)
        Finite costs; rectangular matrices assign min(n, m) pairs.

    Returns
    -------
    rows, cols : numpy.ndarray of int
        Row i = rows[t] goes with column cols[t]; ``rows`` is sorted.
    """
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost must be a 2-D matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("cost must contain only finite values")
    if c.shape[0] > c.shape[1]:  # the algorithm below needs n ≤ m; solve the transpose
        cols, rows = linear_assignment(c.T)
        order = np.argsort(rows)
        return rows[order], cols[order]
    n, m = c.shape
    # 1-based with a dummy column 0 that holds the row being inserted, as in the classic formulation.
    a = np.zeros((n + 1, m + 1))
    a[1:, 1:] = c
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, dtype=np.intp)  # p[j]: row matched to column j (0 = none)
    way = np.zeros(m + 1, dtype=np.intp)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:  # grow a shortest augmenting path from row i until it reaches a free column
            used[j0] = True
            i0 = p[j0]
            free = ~used
            free[0] = False
            reduced = a[i0] - u[i0] - v
            better = free & (reduced < minv)
            minv[better] = reduced[better]
            way[better] = j0
            cand = np.where(free, minv, np.inf)
            j1 = int(np.argmin(cand))
            delta = cand[j1]
            u[p[used]] += delta
            v[used] -= delta
            minv[free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:  # flip the matched / unmatched edges along the path
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    matched = np.flatnonzero(p[1:]) + 1
    rows = p[matched] - 1
    order = np.argsort(rows)
    return rows[order], (matched - 1)[order]


def align_components(reference_means, means) -> np.ndarray:
    """Find the relabelling of ``means`` that best matches ``reference_means``.

    Parameters
    ----------
    reference_means : array_like, shape (K, d)
        Means whose order is to be kept (e.g. the previous fit).
    means : array_like, shape (K, d)
        Means in arbitrary order.

    Returns
    -------
    numpy.ndarray of int, shape (K,)
        ``perm`` such that ``means[perm[i]]`` is the counterpart of ``reference_means[i]``; the total
        squared distance Σ_i ||reference_means[i] - means[perm[i]]||² is minimal.
    """
    ref = np.asarray(reference_means, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    ref = ref[:, None] if ref.ndim == 1 else ref
    mu = mu[:, None] if mu.ndim == 1 else mu
    if ref.ndim != 2 or ref.shape != mu.shape:
        raise ValueError(f"both sets of means must have the same shape (K, d), got {ref.shape}, {mu.shape}")
    cost = ((ref[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2)
    return linear_assignment(cost)[1]


def permute(gmm: GaussianMixture, perm) -> GaussianMixture:
    """Return the mixture with its components reordered: new component i is old component ``perm[i]``."""
    perm = np.asarray(perm)
    k = gmm.n_components
    if perm.shape != (k,) or not np.array_equal(np.sort(perm), np.arange(k)):
        raise ValueError(f"perm must be a permutation of 0..{k - 1}, got {perm.tolist()}")
    return GaussianMixture(gmm.weights[perm], gmm.means[perm], gmm.covariances[perm], gmm.covariance_type)

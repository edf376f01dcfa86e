"""Lloyd's k-means, one half-step at a time, and k-means++ seeding.

:func:`kmeans_steps` yields immutable :class:`KMeansState` snapshots: the initial centres ("init"),
then alternately "assign" (each point to its nearest centre) and "update" (each centre to the mean of
its points). From the same initial centres it reproduces scikit-learn's ``KMeans(algorithm="lloyd")``.

One deliberate difference: a cluster that loses all its points keeps its previous centre (and is listed
in ``KMeansState.empty``), where scikit-learn relocates it to a far-away point. Keeping it is easier to
follow on screen, and the lab shows the empty cluster instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vaeviz.core.em.gmm import validate_data

PHASES = ("init", "assign", "update")


@dataclass(frozen=True, eq=False)
class KMeansState:
    """One snapshot of Lloyd's algorithm; every array is read-only.

    Attributes
    ----------
    iteration : int
        0 for "init"; t for the assign and update half-steps of the t-th iteration.
    phase : {"init", "assign", "update"}
    centres : numpy.ndarray, shape (K, d)
        The centres at this point (for "update": the new ones).
    labels : numpy.ndarray or None, shape (N,)
        The cluster of each point (None for "init").
    objective : float or None
        Sum of squared distances of the points to their cluster's centre (the inertia), for these
        centres and labels; None for "init". It never increases from one half-step to the next.
    converged : bool
        True when an assignment left every label unchanged: the update would give the same centres.
    empty : tuple of int
        Clusters that had no point at this update and so kept their previous centre.
    """

    iteration: int
    phase: str
    centres: np.ndarray
    labels: np.ndarray | None
    objective: float | None
    converged: bool = False
    empty: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name in ("centres", "labels"):
            arr = getattr(self, name)
            if arr is not None:
                arr = np.array(arr)
                arr.setflags(write=False)
                object.__setattr__(self, name, arr)


def _check_centres(x: np.ndarray, centres) -> np.ndarray:
    c = np.array(centres, dtype=np.float64)
    if c.ndim == 1 and x.shape[1] == 1:
        c = c[:, None]
    if c.ndim != 2 or c.shape[1] != x.shape[1]:
        raise ValueError(f"centres must have shape (K, {x.shape[1]}), got {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("centres contain NaN or infinite values")
    validate_data(x, c.shape[0])
    return c


# The helpers below work on K rows of N numbers (the data transposed): numpy's element-wise loops and
# reductions over an (N, 2) or (N, K) array with few columns run ~10× slower than over N-long rows.
def _sq_dist(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(N, K) squared distances, returned as the transposed view of a (K, N) array."""
    xt = np.ascontiguousarray(x.T)
    out = np.empty((c.shape[0], x.shape[0]))
    for k in range(c.shape[0]):  # a loop over K keeps memory at N·K instead of N·K·d
        row = out[k]
        diff = xt[0] - c[k, 0]
        np.multiply(diff, diff, out=row)
        for j in range(1, xt.shape[0]):
            diff = xt[j] - c[k, j]
            row += diff * diff
    return out.T


def _nearest(dist: np.ndarray) -> np.ndarray:
    """``np.argmin(dist, axis=1)`` (ties to the lowest index), one column at a time for few columns."""
    if dist.shape[1] >= 8:
        return np.argmin(dist, axis=1)
    best = dist[:, 0].copy()
    labels = np.zeros(dist.shape[0], dtype=np.intp)
    for k in range(1, dist.shape[1]):
        closer = dist[:, k] < best
        labels[closer] = k
        np.minimum(best, dist[:, k], out=best)
    return labels


def _inertia(x: np.ndarray, c: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for j in range(x.shape[1]):
        diff = x[:, j] - c[labels, j]
        total += float(diff @ diff)
    return total


def squared_distances(x, centres) -> np.ndarray:
    """Return the (N, K) squared Euclidean distances between points and centres."""
    x = validate_data(x)
    return _sq_dist(x, np.asarray(centres, dtype=np.float64).reshape(-1, x.shape[1]))


def assign_labels(x, centres) -> np.ndarray:
    """Return the index of the nearest centre for every point (ties go to the lowest index)."""
    return _nearest(squared_distances(x, centres))


def inertia(x, centres, labels) -> float:
    """Return Σ_n ||x_n - c_{label_n}||², the k-means objective."""
    x = validate_data(x)
    return _inertia(x, np.asarray(centres, dtype=np.float64).reshape(-1, x.shape[1]), np.asarray(labels))


def update_centres(x, labels, centres) -> tuple[np.ndarray, tuple[int, ...]]:
    """Move every centre to the mean of its points.

    Parameters
    ----------
    x : array_like, shape (N, d)
    labels : array_like of int, shape (N,)
    centres : array_like, shape (K, d)
        The current centres; an empty cluster keeps its centre.

    Returns
    -------
    new_centres : numpy.ndarray, shape (K, d)
    empty : tuple of int
        The clusters that had no points.
    """
    x = validate_data(x)
    old = np.asarray(centres, dtype=np.float64).reshape(-1, x.shape[1])
    k = old.shape[0]
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=x[:, j], minlength=k) for j in range(x.shape[1])], axis=1)
    new = old.copy()
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    return new, tuple(int(j) for j in np.flatnonzero(~filled))


def kmeans_steps(x, init_centres, max_iter: int = 100) -> Iterator[KMeansState]:
    """Run Lloyd's algorithm, yielding a snapshot after every half-step.

    Parameters
    ----------
    x : array_like, shape (N, d)
        Data (a 1-D array for d = 1); N ≥ K, finite.
    init_centres : array_like, shape (K, d)
        Starting centres, e.g. from :func:`kmeanspp_init`.
    max_iter : int
        Number of (assign, update) iterations.

    Yields
    ------
    KMeansState
        "init", then "assign" and "update" for iterations 1, 2, ...; ends after ``max_iter``
        iterations or at an assignment that changed no label (that state has ``converged=True``).
    """
    x = validate_data(x)
    centres = _check_centres(x, init_centres)
    if int(max_iter) != max_iter or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got {max_iter!r}")
    yield KMeansState(0, "init", centres, None, None)
    previous: np.ndarray | None = None
    for it in range(1, int(max_iter) + 1):
        labels = _nearest(_sq_dist(x, centres))
        converged = previous is not None and np.array_equal(labels, previous)
        yield KMeansState(it, "assign", centres, labels, _inertia(x, centres, labels), converged)
        if converged:
            return
        centres, empty = update_centres(x, labels, centres)
        yield KMeansState(it, "update", centres, labels, _inertia(x, centres, labels), empty=empty)
        previous = labels


def kmeanspp_init(x, n_components: int, rng=None) -> np.ndarray:
    """Choose K starting centres by k-means++ (D² sampling).

    The first centre is a uniformly random point; each next one is a point drawn with probability
    proportional to its squared distance to the nearest centre chosen so far, which spreads the seeds
    out. This is the textbook version (one candidate per step, unlike scikit-learn's greedy variant).

    Parameters
    ----------
    x : array_like, shape (N, d)
    n_components : int
        K (1 ≤ K ≤ 20, K ≤ N).
    rng : numpy.random.Generator or int or None
        Random generator, or a seed for one.

    Returns
    -------
    numpy.ndarray, shape (K, d)
        The chosen centres (copies of data points).
    """
    x = validate_data(x, n_components)
    rng = np.random.default_rng(rng)
    n = x.shape[0]
    chosen = [int(rng.integers(n))]
    d2 = np.einsum("nd,nd->n", x - x[chosen[0]], x - x[chosen[0]])
    for _ in range(1, n_components):
        total = d2.sum()
        # All remaining points coincide with a centre (duplicated data): any point is as good as another.
        idx = int(rng.integers(n)) if total <= 0 else int(rng.choice(n, p=d2 / total))
        chosen.append(idx)
        diff = x - x[idx]
        d2 = np.minimum(d2, np.einsum("nd,nd->n", diff, diff))
    return x[chosen].copy()

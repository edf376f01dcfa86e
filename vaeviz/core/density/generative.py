"""The generative process of a 2-D Gaussian mixture, draw by draw: z ~ Cat(π) picks a component, then
x | z ~ N(μ_z, Σ_z). Qt-free and colour-free; the Density lab's "generative process" view animates it.

:class:`GenerativeStream` draws in batches of any size and keeps, incrementally (O(new draws) per batch):

* every draw's (z, x), up to :data:`MAX_STORED` of them (the first ones; later draws still count in the
  histogram and the tallies, and :attr:`GenerativeSnapshot.note` says so);
* the running 2-D histogram of all draws on a fixed grid of cells over a rectangle, the same counts as
  ``np.histogram2d(x[:, 0], x[:, 1], bins=(edges_x, edges_y))`` (same edges, same edge rules);
* how far that histogram is from the true p(x) on the same cells: the L1 distance
  Σ_cells |p̂_cell − p_cell| and the total variation TV = L1 / 2, both in [0, 2] and [0, 1].

The true cell probabilities p_cell are the mixture's density integrated over each cell by the midpoint
rule on a finer grid (:data:`SUBCELLS` × :data:`SUBCELLS` points per cell) and normalised to sum to 1 on the
grid; p̂_cell = counts / (draws inside the grid). Both are distributions *on the grid* (draws outside it
are counted in :attr:`GenerativeSnapshot.outside`, not in the distance), so the distance goes to 0 as
N grows, up to the midpoint rule's error (TV ≈ 1e-3 for cells about σ wide, ≈ 1e-4 for cells of σ / 3).

The draws do not depend on how they are batched: z comes from one generator's uniforms and x from another's
standard normals, both consumed one value per draw (two per x), so drawing 10 then 90 gives the same 100
draws as drawing 100 at once. A view can therefore animate in any batches and still redraw, e.g. after an
export, exactly the draws it showed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vaeviz.core.density.estimators import DensityInputError, check_rect
from vaeviz.core.em.gmm import MAX_COMPONENTS
from vaeviz.core.grid import Rect

MAX_STORED = 200_000  # draws kept as arrays (3.2 MB of x); the histogram counts every draw
MAX_BATCH = 1_000_000  # draws per call, at most (a 16 MB batch)
MAX_BINS = 512  # cells per side of the running histogram
DEFAULT_BINS = 48
SUBCELLS = 4  # midpoint-rule points per cell and axis for the true cell probabilities
RECT_SIGMAS = 3.5  # the default rectangle reaches this many standard deviations past every mean
SYMMETRY_TOL = 1e-9  # relative asymmetry of a covariance still taken as symmetric (rounding)


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def check_mixture(weights, means, covariances) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a 2-D Gaussian mixture and return (π normalised to sum 1, μ (K, 2), Σ (K, 2, 2)).

    Raises
    ------
    DensityInputError
        (a ``ValueError``) with a sentence for the user: weights not ≥ 0 or summing to 0, shapes that do
        not match, values that are not finite, a covariance not symmetric or not positive definite.
    """
    try:
        w = np.array(weights, dtype=np.float64)
        mu = np.array(means, dtype=np.float64)
        cov = np.array(covariances, dtype=np.float64)
    except (TypeError, ValueError):
        raise DensityInputError("the mixture's weights, means and covariances must be numbers") from None
    if w.ndim != 1 or w.size == 0:
        raise DensityInputError(f"the weights π must be a list of K ≥ 1 numbers, got shape {w.shape}")
    k = w.size
    if k > MAX_COMPONENTS:
        raise DensityInputError(f"a mixture of at most {MAX_COMPONENTS} components, got K = {k}")
    if mu.shape != (k, 2):
        raise DensityInputError(f"the means μ must be K = {k} points in 2-D, shape ({k}, 2), got {mu.shape}")
    if cov.shape != (k, 2, 2):
        raise DensityInputError(f"the covariances Σ must be K = {k} 2 × 2 matrices, shape ({k}, 2, 2), "
                                f"got {cov.shape}")
    for name, arr in (("weights π", w), ("means μ", mu), ("covariances Σ", cov)):
        if not np.isfinite(arr).all():
            raise DensityInputError(f"the {name} contain NaN or infinite values")
    if (w < 0).any():
        j = int(np.flatnonzero(w < 0)[0])
        raise DensityInputError(f"the weights π must be ≥ 0: π_{j + 1} = {w[j]:g}")
    total = float(w.sum())
    if not total > 0:
        raise DensityInputError("the weights π sum to 0: at least one component needs a weight > 0")
    for j in range(k):
        c = cov[j]
        if abs(c[0, 1] - c[1, 0]) > SYMMETRY_TOL * max(abs(c).max(), 1e-300):
            raise DensityInputError(f"the covariance Σ_{j + 1} is not symmetric ({c[0, 1]:g} ≠ {c[1, 0]:g})")
        det = c[0, 0] * c[1, 1] - c[0, 1] * c[1, 0]
        if not (c[0, 0] > 0 and c[1, 1] > 0 and det > 0):
            raise DensityInputError(f"the covariance Σ_{j + 1} is not positive definite: both variances "
                                    f"and the determinant must be > 0 (variances {c[0, 0]:g}, {c[1, 1]:g}, "
                                    f"determinant {det:g})")
    cov = 0.5 * (cov + cov.transpose(0, 2, 1))  # exactly symmetric from here on
    return w / total, mu, cov


def default_rect(means, covariances, sigmas: float = RECT_SIGMAS) -> Rect:
    """A square rectangle (x0, y0, x1, y1) holding every component's mean ± ``sigmas`` standard deviations
    (per axis): nearly all of the mixture's mass, with the same scale on both axes."""
    mu = np.asarray(means, dtype=np.float64).reshape(-1, 2)
    sd = np.sqrt(np.asarray(covariances, dtype=np.float64).reshape(-1, 2, 2)[:, [0, 1], [0, 1]])
    lo = (mu - sigmas * sd).min(axis=0)
    hi = (mu + sigmas * sd).max(axis=0)
    centre, half = 0.5 * (lo + hi), 0.5 * float((hi - lo).max())
    return (float(centre[0] - half), float(centre[1] - half),
            float(centre[0] + half), float(centre[1] + half))


def mixture_density(weights, means, covariances, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """p(x, y) = Σ_k π_k N((x, y) | μ_k, Σ_k) at points given by equal-shape coordinate arrays, for a
    mixture already validated by :func:`check_mixture` (closed-form 2 × 2 inverses: no warnings for π_k
    = 0, no per-point Python)."""
    out = np.zeros(np.broadcast(x, y).shape)
    for w, mu, c in zip(weights, means, covariances, strict=True):
        if w == 0:
            continue
        det = c[0, 0] * c[1, 1] - c[0, 1] * c[1, 0]
        dx, dy = x - mu[0], y - mu[1]
        maha = (c[1, 1] * dx * dx - 2.0 * c[0, 1] * dx * dy + c[0, 0] * dy * dy) / det
        out += (w / (2.0 * math.pi * math.sqrt(det))) * np.exp(-0.5 * maha)
    return out


def cell_probabilities(weights, means, covariances, rect: Rect, bins: tuple[int, int],
                       subcells: int = SUBCELLS) -> np.ndarray:
    """The mixture's probability of each cell of the ``bins`` grid over ``rect``, shape (bins_x, bins_y)
    indexed [ix, iy] like ``np.histogram2d``, normalised to sum to 1 on the grid.

    Midpoint rule on ``subcells`` × ``subcells`` points per cell (density × sub-cell area, summed per cell);
    the normalisation makes it the distribution of a draw *given that it falls in the grid*.
    """
    x0, y0, x1, y1 = rect
    nx, ny = bins[0] * subcells, bins[1] * subcells
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    ys = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    fine = mixture_density(weights, means, covariances, xs[:, None], ys[None, :])
    cells = fine.reshape(bins[0], subcells, bins[1], subcells).sum(axis=(1, 3))
    total = cells.sum()
    if not total > 0:  # (the rectangle misses all of the mass, to double precision)
        raise DensityInputError("the histogram's rectangle holds none of the mixture's mass: "
                                "move or widen it")
    return cells / total


def _check_bins(bins) -> tuple[int, int]:
    pair = (bins, bins) if np.ndim(bins) == 0 else tuple(bins)
    if len(pair) != 2:
        raise DensityInputError(f"the histogram's bins are one number or two (x and y), got {bins!r}")
    out = []
    for b in pair:
        if isinstance(b, bool) or not float(b).is_integer() or not 1 <= b <= MAX_BINS:
            raise DensityInputError(f"the histogram needs 1 to {MAX_BINS} bins per axis, got {b!r}")
        out.append(int(b))
    return out[0], out[1]


def _check_count(n) -> int:
    if isinstance(n, bool) or not float(n).is_integer() or not 0 <= n <= MAX_BATCH:
        raise DensityInputError(f"the number of draws must be a whole number from 0 to {MAX_BATCH:,}, "
                                f"got {n!r}")
    return int(n)


@dataclass(frozen=True)
class GenerativeSnapshot:
    """The stream after a batch of draws. Arrays are read-only; ``z`` and ``x`` are views of what the
    stream keeps (it only appends, so they never change).

    Attributes
    ----------
    n_draws : int
        N, every draw so far.
    last_z : int
        The last draw's component, 0-based (-1 before the first draw).
    last_x : numpy.ndarray, shape (2,)
        The last draw's point (NaN before the first draw).
    z : numpy.ndarray, shape (n_stored,), int64
        The components of the first ``n_stored`` = min(N, max_stored) draws.
    x : numpy.ndarray, shape (n_stored, 2), float64
        Their points.
    batch_start : int
        Index into ``z``/``x`` of this batch's first draw (= n_stored when the batch was not stored).
    counts : numpy.ndarray, shape (bins_x, bins_y), int64
        The running histogram of all N draws, indexed [ix, iy] as ``np.histogram2d``.
    component_counts : numpy.ndarray, shape (K,), int64
        How often each component was drawn.
    outside : int
        Draws outside the histogram's rectangle.
    l1 : float or None
        Σ_cells |p̂ − p| on the grid, in [0, 2]; None while no draw is inside the grid.
    tv : float or None
        The total variation distance l1 / 2, in [0, 1]; None likewise.
    note : str
        '' or a sentence for the user (draws beyond the stored ones).
    """

    n_draws: int
    last_z: int
    last_x: np.ndarray
    z: np.ndarray
    x: np.ndarray
    batch_start: int
    counts: np.ndarray
    component_counts: np.ndarray
    outside: int
    l1: float | None
    tv: float | None
    note: str = ""

    @property
    def n_stored(self) -> int:
        return int(self.z.shape[0])

    @property
    def n_inside(self) -> int:
        return self.n_draws - self.outside


class GenerativeStream:
    """A seeded, deterministic stream of draws from a 2-D Gaussian mixture with its running histogram.

    Parameters
    ----------
    weights : array_like, shape (K,)
        π, ≥ 0 with a positive sum (normalised here).
    means : array_like, shape (K, 2)
    covariances : array_like, shape (K, 2, 2)
        Symmetric positive definite.
    rect : (x0, y0, x1, y1) or None
        The histogram's rectangle; None: :func:`default_rect` of the mixture.
    bins : int or (int, int)
        Cells per axis of the histogram.
    seed : int
        The stream's seed: the same seed gives the same draws, however they are batched.
    max_stored : int
        Draws kept as arrays (the first ones).

    Raises
    ------
    DensityInputError
        For a bad mixture, rectangle, bins or ``max_stored`` (see :func:`check_mixture`).
    """

    def __init__(self, weights, means, covariances, rect: Rect | None = None, bins=DEFAULT_BINS,
                 seed: int = 0, max_stored: int = MAX_STORED) -> None:
        self.weights, self.means, self.covariances = check_mixture(weights, means, covariances)
        self.rect: Rect = check_rect(default_rect(self.means, self.covariances) if rect is None else rect)
        self.bins = _check_bins(bins)
        if isinstance(max_stored, bool) or not float(max_stored).is_integer() or max_stored < 0:
            raise DensityInputError(f"the number of draws kept must be a whole number ≥ 0, "
                                    f"got {max_stored!r}")
        self.max_stored = int(max_stored)
        self.seed = int(seed)
        x0, y0, x1, y1 = self.rect
        self.edges_x = np.linspace(x0, x1, self.bins[0] + 1)
        self.edges_y = np.linspace(y0, y1, self.bins[1] + 1)
        self.cell_area = (x1 - x0) * (y1 - y0) / (self.bins[0] * self.bins[1])
        self.true_cell_probabilities = _readonly(
            cell_probabilities(self.weights, self.means, self.covariances, self.rect, self.bins))
        self._cumulative = np.cumsum(self.weights)
        self._cumulative[-1] = 1.0  # (rounding): a uniform in [0, 1) always picks a component
        # x = μ_z + L_z ε with L_z the lower Cholesky factor of Σ_z, written out for 2 × 2
        c = self.covariances
        l00 = np.sqrt(c[:, 0, 0])
        l10 = c[:, 1, 0] / l00
        l11 = np.sqrt(c[:, 1, 1] - l10 * l10)
        self._chol = (l00, l10, l11)
        self.reset()

    @property
    def n_components(self) -> int:
        return int(self.weights.size)

    @property
    def n_draws(self) -> int:
        return self._n

    def reset(self) -> GenerativeSnapshot:
        """Forget every draw and start the seeded stream again; return the empty snapshot."""
        z_seed, x_seed = np.random.SeedSequence(self.seed).spawn(2)
        self._z_rng = np.random.default_rng(z_seed)
        self._x_rng = np.random.default_rng(x_seed)
        self._n = 0
        self._z = np.zeros(0, dtype=np.int64)  # buffers: their first self._stored rows are the draws kept
        self._x = np.zeros((0, 2))
        self._stored = 0
        self._counts = np.zeros(self.bins[0] * self.bins[1], dtype=np.int64)  # flat [ix * bins_y + iy]
        self._component_counts = np.zeros(self.n_components, dtype=np.int64)
        self._outside = 0
        self._last_z = -1
        self._last_x = np.full(2, np.nan)
        self._last = self._snapshot(0)
        return self._last

    def _sample(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` draws of the stream, z (n,) 0-based and x (n, 2), not yet recorded."""
        u = self._z_rng.random(n)
        z = np.minimum(np.searchsorted(self._cumulative, u, side="right"), self.n_components - 1)
        eps = self._x_rng.standard_normal((n, 2))
        l00, l10, l11 = self._chol
        x = np.empty((n, 2))
        x[:, 0] = self.means[z, 0] + l00[z] * eps[:, 0]
        x[:, 1] = self.means[z, 1] + l10[z] * eps[:, 0] + l11[z] * eps[:, 1]
        return z.astype(np.int64), x

    def draw(self, n: int = 1) -> GenerativeSnapshot:
        """Draw ``n`` more (z, x), update the histogram and the distance; return the new snapshot."""
        n = _check_count(n)
        if n == 0:
            return self._last
        z, x = self._sample(n)
        batch_start = self._store(z, x)
        self._count(z, x)
        self._n += n
        self._last_z = int(z[-1])
        self._last_x = x[-1].copy()
        self._last = self._snapshot(batch_start)
        return self._last

    def draw_until(self, n_total: int) -> GenerativeSnapshot:
        """Draw until N = ``n_total`` (in batches of at most :data:`MAX_BATCH`); a smaller ``n_total``
        than N starts the stream again (the same draws, by the seed)."""
        if isinstance(n_total, bool) or not float(n_total).is_integer() or n_total < 0:
            raise DensityInputError(f"the number of draws must be a whole number ≥ 0, got {n_total!r}")
        if n_total < self._n:
            self.reset()
        while self._n < n_total:
            self.draw(min(int(n_total) - self._n, MAX_BATCH))
        return self._last

    def snapshot(self) -> GenerativeSnapshot:
        return self._last

    def density_grid(self, res: int | tuple[int, int]) -> np.ndarray:
        """The true density p(x) at the cell centres of a ``res`` grid over :attr:`rect`, [ix, iy]."""
        nx, ny = _check_bins(res) if np.ndim(res) else _check_bins(int(res))
        x0, y0, x1, y1 = self.rect
        xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
        ys = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
        return mixture_density(self.weights, self.means, self.covariances, xs[:, None], ys[None, :])

    def histogram_density(self, snapshot: GenerativeSnapshot | None = None) -> np.ndarray:
        """The running histogram as a density on the grid: counts / (draws inside × cell area), [ix, iy]
        (zeros before any draw falls inside): comparable with :meth:`density_grid` renormalised."""
        snap = self._last if snapshot is None else snapshot
        inside = snap.n_inside
        return snap.counts / (inside * self.cell_area) if inside else np.zeros(self.bins)

    # ----- incremental bookkeeping --------------------------------------------------------------------
    def _store(self, z: np.ndarray, x: np.ndarray) -> int:
        """Append what fits under ``max_stored``; return where the batch starts in the stored arrays.
        The buffers grow by doubling (amortised O(new draws)); rows once written never change."""
        start = self._stored
        take = min(len(z), self.max_stored - start)
        if take <= 0:
            return start
        need = start + take
        if need > self._z.shape[0]:
            size = min(max(need, 2 * self._z.shape[0], 1024), self.max_stored)
            z_buf = np.empty(size, dtype=np.int64)
            x_buf = np.empty((size, 2))
            z_buf[:start] = self._z[:start]
            x_buf[:start] = self._x[:start]
            self._z, self._x = z_buf, x_buf  # (snapshots keep views of the old buffers: still valid)
        self._z[start:need] = z[:take]
        self._x[start:need] = x[:take]
        self._stored = need
        return start

    def _count(self, z: np.ndarray, x: np.ndarray) -> None:
        """Add a batch to the histogram with ``np.histogramdd``'s rules, so the counts are exactly
        ``np.histogram2d``'s: bins half-open [a, b) except the last, closed at the right edge."""
        bx, by = self.bins
        ix = np.searchsorted(self.edges_x, x[:, 0], side="right")
        iy = np.searchsorted(self.edges_y, x[:, 1], side="right")
        ix[x[:, 0] == self.edges_x[-1]] -= 1
        iy[x[:, 1] == self.edges_y[-1]] -= 1
        inside = (ix >= 1) & (ix <= bx) & (iy >= 1) & (iy <= by)
        flat = (ix[inside] - 1) * by + (iy[inside] - 1)
        self._counts += np.bincount(flat, minlength=bx * by)
        self._outside += int(len(x) - np.count_nonzero(inside))
        self._component_counts += np.bincount(z, minlength=self.n_components)

    def _snapshot(self, batch_start: int) -> GenerativeSnapshot:
        counts = self._counts.reshape(self.bins).copy()
        inside = self._n - self._outside
        l1 = tv = None
        if inside:
            l1 = float(np.abs(counts / inside - self.true_cell_probabilities).sum())
            tv = 0.5 * l1
        note = ""
        if self._n > self._stored:
            note = (f"The first {self._stored:,} of {self._n:,} draws are kept as points; "
                    "the histogram counts all of them.")
        return GenerativeSnapshot(
            n_draws=self._n, last_z=self._last_z, last_x=_readonly(self._last_x.copy()),
            z=_readonly(self._z[:self._stored]), x=_readonly(self._x[:self._stored]),
            batch_start=batch_start, counts=_readonly(counts),
            component_counts=_readonly(self._component_counts.copy()), outside=self._outside,
            l1=l1, tv=tv, note=note)

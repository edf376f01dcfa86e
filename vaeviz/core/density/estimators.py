"""One interface for every density estimator of the Density lab, 1-D and 2-D.

Each estimator family has a frozen settings dataclass with ``fit(x) -> FittedDensity``:

- :class:`~vaeviz.core.density.histogram.HistogramSettings` (:mod:`~vaeviz.core.density.histogram`),
- :class:`~vaeviz.core.density.kde.KdeSettings` (:mod:`~vaeviz.core.density.kde`),
- :class:`~vaeviz.core.density.mixture.GmmSettings` (:mod:`~vaeviz.core.density.mixture`),
- :class:`~vaeviz.core.density.autoregressive.AutoregressiveSettings` (2-D only).

A :class:`FittedDensity` answers, for d = 2: :meth:`~FittedDensity.log_density` on points (exact, for the
held-out average log-likelihood), :meth:`~FittedDensity.log_density_grid` on the cells of a plot
rectangle, :meth:`~FittedDensity.sample`, :meth:`~FittedDensity.conditional` p(x₂ | x₁ = a) and
:meth:`~FittedDensity.marginals` p(x₁), p(x₂); for d = 1: :meth:`~FittedDensity.log_density`,
:meth:`~FittedDensity.log_density_line` and :meth:`~FittedDensity.sample`.

Nothing returned is NaN. A log-density is -inf only where the density is truly 0 (a histogram's empty
bin or outside its range, a uniform factor outside its support); the UI clips before drawing. Input the
estimator cannot use raises :class:`DensityInputError` with a sentence for the user; input it can use
with a stated adjustment (a widened range, a bandwidth picked at the edge of its search) says so in
``note``.
"""

from __future__ import annotations

import math

import numpy as np

from vaeviz.core.data.density_presets import DensityInputError
from vaeviz.core.grid import Rect, cell_centres

__all__ = [
    "DensityInputError", "FittedDensity", "MAX_RES", "check_points", "check_rect", "check_res",
    "fit_density", "line_centres", "logsumexp_rows", "split_held_out", "to_rng",
]

MAX_RES = 2048  # cells per side of a grid (2048² float64 is 32 MB)
LOG_2PI = math.log(2.0 * math.pi)


def check_points(x, dim: int | None = None, what: str = "points") -> np.ndarray:
    """Return points as a C-contiguous float64 (N, d) array with d in {1, 2}, or raise DensityInputError.

    A 1-D array is N values (d = 1). N = 0 and NaN/inf coordinates are refused.
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DensityInputError(f"the {what} must be numbers") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] not in (1, 2):
        raise DensityInputError(f"the {what} must be 1-D values or 2-D points, got an array of shape "
                                f"{arr.shape}")
    if dim is not None and arr.shape[1] != dim:
        raise DensityInputError(f"the {what} have {arr.shape[1]} coordinate(s); this density has {dim}")
    if arr.shape[0] == 0:
        raise DensityInputError(f"there are no {what} (N = 0): a density needs data")
    if not np.isfinite(arr).all():
        raise DensityInputError(f"some {what} have NaN or infinite coordinates")
    return np.ascontiguousarray(arr)


def check_res(res) -> int:
    """Cells per side of a grid: a whole number in [1, MAX_RES]."""
    if isinstance(res, bool) or int(res) != res or not 1 <= res <= MAX_RES:
        raise DensityInputError(f"the grid needs 1 to {MAX_RES} cells a side, got {res!r}")
    return int(res)


def check_rect(rect) -> Rect:
    """A plot rectangle (x0, y0, x1, y1) with finite corners and x1 > x0, y1 > y0."""
    x0, y0, x1, y1 = (float(v) for v in rect)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or not (x1 > x0 and y1 > y0):
        raise DensityInputError(f"the plot rectangle {rect!r} is empty or not finite")
    return (x0, y0, x1, y1)


def line_centres(x0: float, x1: float, res: int) -> np.ndarray:
    """The centres of ``res`` equal cells over [x0, x1], the 1-D counterpart of ``grid.cell_centres``."""
    x0, x1 = float(x0), float(x1)
    if not (math.isfinite(x0) and math.isfinite(x1) and x1 > x0):
        raise DensityInputError(f"the interval [{x0}, {x1}] is empty or not finite")
    res = check_res(res)
    return x0 + (np.arange(res) + 0.5) * (x1 - x0) / res


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log Σ_j exp(a[i, j]) for each row; -inf for a row of -inf (never NaN)."""
    top = a.max(axis=1)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(a - safe[:, None]).sum(axis=1))


def to_rng(rng) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed or None."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def check_count(n) -> int:
    """A number of samples: a whole number ≥ 0."""
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise DensityInputError(f"the number of samples must be a whole number ≥ 0, got {n!r}")
    return int(n)


def split_held_out(x, fraction: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split points at random into (training, held-out) parts, deterministic from ``seed``.

    Both parts get at least one point (so N ≥ 2 is needed); ``fraction`` is the held-out share.
    """
    pts = check_points(x)
    n = pts.shape[0]
    if not 0.0 < fraction < 1.0:
        raise DensityInputError(f"the held-out fraction must lie between 0 and 1, got {fraction!r}")
    if n < 2:
        raise DensityInputError("a held-out split needs at least 2 points")
    n_test = min(n - 1, max(1, round(fraction * n)))
    order = np.random.default_rng(seed).permutation(n)
    return pts[np.sort(order[n_test:])], pts[np.sort(order[:n_test])]


class FittedDensity:
    """A fitted density of d = 1 or 2 coordinates; subclasses implement the estimator's maths.

    Attributes
    ----------
    dim : int
        d, 1 or 2.
    note : str
        Empty, or a sentence saying how the fit adjusted the input (shown by the lab).
    """

    dim: int
    note: str = ""

    # -- evaluated on points -------------------------------------------------------------------------

    def log_density(self, x) -> np.ndarray:
        """Exact log p(x) at (n, d) points (a 1-D array for d = 1): (n,) float64, never NaN."""
        raise NotImplementedError

    def mean_log_likelihood(self, x) -> float:
        """The average log p(x_n) over points, e.g. a held-out part (-inf if any point has density 0)."""
        return float(np.mean(self.log_density(check_points(x, self.dim))))

    def draft(self) -> FittedDensity:
        """The same density for a drag's frames: it may evaluate grids, marginals and conditionals less
        accurately than a figure can show, for speed. Itself unless an estimator has such a mode."""
        return self

    # -- evaluated on a grid -------------------------------------------------------------------------

    def log_density_grid(self, rect: Rect, res: int) -> np.ndarray:
        """log p on the cell centres of a res × res grid over ``rect`` (d = 2).

        Returns
        -------
        numpy.ndarray, shape (res, res)
            ``out[iy, ix]`` = log p(xs[ix], ys[iy]) with ``xs, ys = grid.cell_centres(rect, res)``: rows
            are the y index (row 0 at y0, the bottom), columns the x index.
        """
        self._need(2, "log_density_grid")
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        gx, gy = np.meshgrid(xs, ys)
        return self.log_density(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(res, res)

    def log_density_line(self, x0: float, x1: float, res: int) -> np.ndarray:
        """log p on the centres of ``res`` equal cells over [x0, x1] (d = 1), shape (res,)."""
        self._need(1, "log_density_line")
        return self.log_density(line_centres(x0, x1, res)[:, None])

    # -- sampling, conditionals and marginals --------------------------------------------------------

    def sample(self, n: int, rng=None) -> np.ndarray:
        """Draw n points, (n, d) float64; deterministic given a seed (or a Generator's state)."""
        raise NotImplementedError

    def conditional(self, a: float, ys) -> np.ndarray:
        """p(x₂ | x₁ = a) at the values ``ys`` (d = 2): a 1-D density in x₂ (not its log).

        It integrates to 1 over x₂. Where p(x₁ = a) is 0 the conditional is undefined and all zeros are
        returned (a histogram column without points, a value outside the histogram's range).
        """
        raise NotImplementedError

    def marginals(self, rect: Rect, res: int) -> tuple[np.ndarray, np.ndarray]:
        """(p(x₁) at ``xs``, p(x₂) at ``ys``) with ``xs, ys = grid.cell_centres(rect, res)`` (d = 2).

        Densities, not logs; each has shape (res,).
        """
        raise NotImplementedError

    def _need(self, dim: int, what: str) -> None:
        if self.dim != dim:
            raise DensityInputError(f"{what} is for {dim}-D densities; this one is {self.dim}-D")

    @staticmethod
    def _scalar(a) -> float:
        value = float(a)
        if not math.isfinite(value):
            raise DensityInputError(f"the conditioning value must be a finite number, got {a!r}")
        return value

    @staticmethod
    def _values(ys) -> np.ndarray:
        arr = np.asarray(ys, dtype=np.float64).ravel()
        if not np.isfinite(arr).all():
            raise DensityInputError("the values to evaluate at must be finite")
        return arr


def fit_density(settings, x) -> FittedDensity:
    """Fit any estimator's settings (``HistogramSettings``, ``KdeSettings``, …) to points x."""
    return settings.fit(x)

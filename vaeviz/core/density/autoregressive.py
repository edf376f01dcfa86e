"""Autoregressive density estimator for 2-D points: p(x₁, x₂) = p(x₁) · p(x₂ | x₁).

- p(x₁) is a 1-D histogram or KDE of the points' x₁;
- p(x₂ | x₁) is piecewise in x₁: the x₁ range is cut into ``bins`` equal *slices*, and in each slice a
  1-D histogram or KDE of the x₂ of the points in that slice. A slice with fewer than
  ``min_slice_points`` points, and any x₁ outside the slices' range, uses the marginal p(x₂) of all
  points instead (too few points cannot estimate a density; outside the range there are none).

Each factor integrates to 1, so the product does: ``log_density`` is exact and normalised, and
``log_density_grid`` is the product of the factors on the grid's cells (a test checks it).
:meth:`FittedAutoregressive.conditional` returns the model's own factor p(x₂ | x₁ = a).

With histogram factors the density is 0 (log -inf) in empty bins and outside the range; with KDE factors
it is positive everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vaeviz.core.density.estimators import (
    DensityInputError,
    FittedDensity,
    check_count,
    check_points,
    check_rect,
    check_res,
    to_rng,
)
from vaeviz.core.density.histogram import FittedHistogram, HistogramSettings, axis_ranges, check_bins
from vaeviz.core.density.kde import FittedKde, KdeSettings
from vaeviz.core.grid import Rect, cell_centres

FACTORS = ("histogram", "kde")


@dataclass(frozen=True)
class AutoregressiveSettings:
    """p(x₁) · p(x₂ | x₁) from 1-D estimators.

    Attributes
    ----------
    marginal : {"histogram", "kde"}
        The estimator of p(x₁).
    conditional : {"histogram", "kde"}
        The estimator of p(x₂ | x₁) in each x₁ slice.
    bins : int
        x₁ slices (and the histograms' bins per axis).
    bandwidth : {"scott", "silverman"} or float
        The KDE factors' bandwidth, chosen per factor (each slice by its own points). "held-out" is not
        offered here: it would fit a search per slice.
    min_slice_points : int
        A slice with fewer points uses the marginal p(x₂).
    bounds : Rect, optional
        (x0, y0, x1, y1): the range of the slices and histograms; None uses the data's.
    """

    marginal: str = "histogram"
    conditional: str = "histogram"
    bins: int = 20
    bandwidth: str | float = "scott"
    min_slice_points: int = 10
    bounds: Rect | None = None

    def fit(self, x) -> FittedAutoregressive:
        """Fit p(x₁), the marginal p(x₂) and one p(x₂ | slice) per populated slice."""
        pts = check_points(x, 2)
        for name, value in (("marginal", self.marginal), ("conditional", self.conditional)):
            if value not in FACTORS:
                raise DensityInputError(f"the {name} factor must be one of {', '.join(FACTORS)}, "
                                        f"got {value!r}")
        if isinstance(self.bandwidth, str) and self.bandwidth == "held-out":
            raise DensityInputError("the autoregressive model's KDE factors take a rule (scott, silverman) "
                                    "or a number, not a held-out search")
        bins = check_bins(self.bins)
        if isinstance(self.min_slice_points, bool) or int(self.min_slice_points) < 1:
            raise DensityInputError(f"min_slice_points must be ≥ 1, got {self.min_slice_points!r}")
        ranges, note = axis_ranges(pts, self.bounds)
        (x_lo, x_hi), (y_lo, y_hi) = ranges
        edges = np.linspace(x_lo, x_hi, bins + 1)
        notes = [note] if note else []

        def factor(kind: str, values: np.ndarray, lo: float, hi: float, fallback_h=None) -> FittedDensity:
            if kind == "histogram":
                return HistogramSettings(bins, (lo, hi)).fit(values)
            if fallback_h is not None:
                try:
                    return KdeSettings(self.bandwidth).fit(values)
                except DensityInputError:  # a slice whose x₂ are all equal: borrow the marginal's h
                    return FittedKde(values, fallback_h, "marginal's")
            return KdeSettings(self.bandwidth).fit(values)

        p1 = factor(self.marginal, pts[:, :1], x_lo, x_hi)
        p2 = factor(self.conditional, pts[:, 1:], y_lo, y_hi)
        slice_of = slice_index(pts[:, 0], edges)
        slices: list[FittedDensity | None] = []
        sparse = 0
        for s in range(bins):
            ys = pts[slice_of == s, 1:]
            inside = ys[(ys[:, 0] >= y_lo) & (ys[:, 0] <= y_hi)] if self.conditional == "histogram" else ys
            if inside.shape[0] < self.min_slice_points:
                slices.append(None)
                sparse += inside.shape[0] > 0
                continue
            slices.append(factor(self.conditional, inside, y_lo, y_hi,
                                 p2.bandwidth if isinstance(p2, FittedKde) else None))
        if sparse:
            notes.append(f"{sparse} x₁ slice(s) with fewer than {self.min_slice_points} points use the "
                         "marginal p(x₂)")
        outside = int(np.count_nonzero(slice_of < 0))
        if outside:
            notes.append(f"{outside} points lie outside the x₁ range and are left out of the slices")
        return FittedAutoregressive(p1, p2, edges, slices, "; ".join(notes))


def slice_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The slice of each x₁ value (the top edge belongs to the last slice); -1 outside the range."""
    bins = edges.size - 1
    lo, hi = float(edges[0]), float(edges[-1])
    idx = np.clip(np.floor((values - lo) / (hi - lo) * bins), 0, bins - 1).astype(np.int64)
    return np.where((values >= lo) & (values <= hi), idx, -1)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    erf = np.frompyfunc(math.erf, 1, 1)
    return 0.5 * (1.0 + erf(z / math.sqrt(2.0)).astype(np.float64))


def slice_masses(p1: FittedDensity, edges: np.ndarray) -> np.ndarray:
    """P(x₁ in slice s) under p(x₁) for each slice, exactly (a histogram's counts, a KDE's normal CDFs)."""
    if isinstance(p1, FittedHistogram):
        return p1.counts / p1.n_inside
    h = float(p1.bandwidth[0])
    cdf = np.array([np.mean(_normal_cdf((e - p1.points[:, 0]) / h)) for e in edges])
    return np.diff(cdf)


class FittedAutoregressive(FittedDensity):
    """A fitted p(x₁) · p(x₂ | x₁).

    Attributes
    ----------
    p1 : FittedDensity
        1-D p(x₁).
    p2 : FittedDensity
        1-D marginal p(x₂) of all points: the fallback factor.
    edges : numpy.ndarray
        The x₁ slices' edges (bins + 1).
    slices : list of FittedDensity or None
        p(x₂ | x₁ in slice s); None where the fallback is used.
    """

    dim = 2

    def __init__(self, p1: FittedDensity, p2: FittedDensity, edges: np.ndarray,
                 slices: list[FittedDensity | None], note: str = ""):
        self.p1, self.p2, self.edges, self.slices = p1, p2, edges, slices
        self.note = note
        self.masses = slice_masses(p1, edges)

    def factor(self, s: int) -> FittedDensity:
        """The 1-D p(x₂ | x₁) used in slice s (-1: outside the range), the marginal where sparse."""
        est = self.slices[s] if s >= 0 else None
        return self.p2 if est is None else est

    def log_density(self, x) -> np.ndarray:
        """log p(x₁) + log p(x₂ | slice of x₁), exact."""
        pts = check_points(x, 2)
        out = self.p1.log_density(pts[:, :1])
        slice_of = slice_index(pts[:, 0], self.edges)
        for s in np.unique(slice_of):
            rows = slice_of == s
            out[rows] += self.factor(int(s)).log_density(pts[rows, 1:])
        return out

    def log_density_grid(self, rect: Rect, res: int) -> np.ndarray:
        """The product of the factors on the cell centres, ``out[iy, ix]`` (row = y index)."""
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        out = np.empty((res, res))
        l1 = self.p1.log_density(xs[:, None])
        slice_of = slice_index(xs, self.edges)
        for s in np.unique(slice_of):
            cols = slice_of == s
            out[:, cols] = self.factor(int(s)).log_density(ys[:, None])[:, None] + l1[None, cols]
        return out

    def sample(self, n: int, rng=None) -> np.ndarray:
        """x₁ from p(x₁), then x₂ from its slice's factor."""
        n = check_count(n)
        rng = to_rng(rng)
        x1 = self.p1.sample(n, rng)[:, 0]
        x2 = np.empty(n)
        slice_of = slice_index(x1, self.edges)
        for s in np.unique(slice_of):
            rows = slice_of == s
            x2[rows] = self.factor(int(s)).sample(int(rows.sum()), rng)[:, 0]
        return np.stack([x1, x2], axis=1)

    def conditional(self, a: float, ys) -> np.ndarray:
        """The model's own factor p(x₂ | x₁ = a) at ``ys``."""
        a, ys = self._scalar(a), self._values(ys)
        s = int(slice_index(np.array([a]), self.edges)[0])
        return np.exp(self.factor(s).log_density(ys[:, None]))

    def marginals(self, rect: Rect, res: int) -> tuple[np.ndarray, np.ndarray]:
        """p(x₁) itself, and p(x₂) = Σ_s P(slice s) p(x₂ | s) + P(outside) p₂(x₂)."""
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        px = np.exp(self.p1.log_density(xs[:, None]))
        fallback = np.exp(self.p2.log_density(ys[:, None]))
        py = max(0.0, 1.0 - float(self.masses.sum())) * fallback
        for s, mass in enumerate(self.masses):
            if mass > 0:
                est = self.slices[s]
                py = py + mass * (fallback if est is None else np.exp(est.log_density(ys[:, None])))
        return px, py

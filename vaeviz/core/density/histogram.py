"""Histogram density estimator, 1-D and 2-D: equal bins per axis over the data's range or a given one.

The density in a bin is count / (N_in · bin area), where N_in counts the points inside the range, so
the histogram integrates to 1 over its range. It is 0 (log -inf) in an empty bin and outside the range:
that is the estimator's answer, not a numerical failure.
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
from vaeviz.core.grid import Rect, cell_centres

MAX_BINS = 1000  # per axis


def check_bins(bins) -> int:
    """Bins per axis: a whole number in [1, MAX_BINS]."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= MAX_BINS:
        raise DensityInputError(f"a histogram needs 1 to {MAX_BINS} bins per axis, got {bins!r}")
    return int(bins)


def axis_ranges(x: np.ndarray, bounds) -> tuple[list[tuple[float, float]], str]:
    """(lo, hi) per axis from ``bounds`` ((x0, x1) for 1-D, a Rect (x0, y0, x1, y1) for 2-D) or the data.

    A data range of zero width (one point, identical values) is widened to ±0.5 about the value, and
    the returned note says so.
    """
    d = x.shape[1]
    if bounds is not None:
        if d == 1:
            lo, hi = (float(v) for v in bounds)
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise DensityInputError(f"the histogram's range {bounds!r} is empty or not finite")
            return [(lo, hi)], ""
        x0, y0, x1, y1 = check_rect(bounds)
        return [(x0, x1), (y0, y1)], ""
    ranges, flat = [], []
    for j in range(d):
        lo, hi = float(x[:, j].min()), float(x[:, j].max())
        if not hi > lo:
            flat.append("xy"[j] if d == 2 else "x")
            lo, hi = lo - 0.5, hi + 0.5
        ranges.append((lo, hi))
    note = ""
    if flat:
        note = (f"all points have the same {' and '.join(flat)}: the histogram's range is widened to ±0.5 "
                "about that value")
    return ranges, note


@dataclass(frozen=True)
class HistogramSettings:
    """A histogram with ``bins`` equal bins per axis.

    Attributes
    ----------
    bins : int
        Bins per axis, 1 to :data:`MAX_BINS`.
    bounds : tuple of float, optional
        The range: (x0, x1) for 1-D data, a Rect (x0, y0, x1, y1) for 2-D; None uses the data's range.
        Points outside are left out (the note says how many).
    """

    bins: int = 30
    bounds: tuple[float, ...] | None = None

    def fit(self, x) -> FittedHistogram:
        """Count the points into the bins; DensityInputError if no point lies inside the range."""
        pts = check_points(x)
        bins = check_bins(self.bins)
        ranges, note = axis_ranges(pts, self.bounds)
        edges = tuple(np.linspace(lo, hi, bins + 1) for lo, hi in ranges)
        index, inside = _bin_index(pts, ranges, bins)
        n_in = int(inside.sum())
        if n_in == 0:
            raise DensityInputError(f"none of the {pts.shape[0]} points lies inside the histogram's range")
        flat = index[inside]
        if pts.shape[1] == 2:
            flat = flat[:, 0] * bins + flat[:, 1]
        else:
            flat = flat[:, 0]
        counts = np.bincount(flat, minlength=bins ** pts.shape[1]).reshape((bins,) * pts.shape[1])
        if n_in < pts.shape[0]:
            left = pts.shape[0] - n_in
            note = "; ".join(filter(None, [note, f"{left} of {pts.shape[0]} points lie outside the range "
                                           "and are left out (the histogram is normalised over the rest)"]))
        return FittedHistogram(edges, counts, note)


def _bin_index(pts: np.ndarray, ranges, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) bin indices and whether each point lies inside the range (the top edge belongs to the
    last bin, as in numpy.histogram)."""
    index = np.empty(pts.shape, dtype=np.int64)
    inside = np.ones(pts.shape[0], dtype=bool)
    for j, (lo, hi) in enumerate(ranges):
        u = (pts[:, j] - lo) / (hi - lo) * bins
        inside &= (pts[:, j] >= lo) & (pts[:, j] <= hi)
        index[:, j] = np.clip(np.floor(np.where(np.isfinite(u), u, 0.0)), 0, bins - 1)
    return index, inside


class FittedHistogram(FittedDensity):
    """A fitted histogram.

    Attributes
    ----------
    edges : tuple of numpy.ndarray
        Bin edges per axis (bins + 1 each).
    counts : numpy.ndarray of int
        (bins,) for 1-D; (bins, bins) for 2-D, indexed ``counts[ix, iy]`` (x first, as numpy.histogram2d).
    density : numpy.ndarray
        counts / (N_in · bin area), same shape.
    """

    def __init__(self, edges: tuple[np.ndarray, ...], counts: np.ndarray, note: str = ""):
        self.edges = edges
        self.dim = len(edges)
        self.bins = edges[0].size - 1
        self.counts = counts
        self.counts.setflags(write=False)
        self.n_inside = int(counts.sum())
        self.widths = tuple(float(e[1] - e[0]) for e in edges)
        self.density = counts / (self.n_inside * math.prod(self.widths))
        self.density.setflags(write=False)
        self.note = note
        self._ranges = [(float(e[0]), float(e[-1])) for e in edges]

    def log_density(self, x) -> np.ndarray:
        """log p(x): log of the bin's density; -inf in an empty bin and outside the range."""
        pts = check_points(x, self.dim)
        index, inside = _bin_index(pts, self._ranges, self.bins)
        values = self.density[tuple(index.T)]
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(values), -np.inf)

    def log_density_grid(self, rect: Rect, res: int) -> np.ndarray:
        """log p on the cell centres, ``out[iy, ix]`` (row = y index); -inf in empty bins and outside.

        The bins are looked up per axis (res + res lookups, not res²), then the table is indexed.
        """
        self._need(2, "log_density_grid")
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        ix, x_in = _bin_index(xs[:, None], self._ranges[:1], self.bins)
        iy, y_in = _bin_index(ys[:, None], self._ranges[1:], self.bins)
        with np.errstate(divide="ignore"):
            table = np.log(self.density)
        out = table[ix[:, 0][None, :], iy[:, 0][:, None]]  # density is [ix, iy]; out is [iy, ix]
        out[~(y_in[:, None] & x_in[None, :])] = -np.inf
        return out

    def sample(self, n: int, rng=None) -> np.ndarray:
        """Pick a bin with probability count / N_in, then a uniform point inside it."""
        n = check_count(n)
        rng = to_rng(rng)
        flat = rng.choice(self.counts.size, size=n, p=(self.counts / self.n_inside).ravel())
        index = np.unravel_index(flat, self.counts.shape)
        u = rng.uniform(size=(n, self.dim))
        return np.stack([self.edges[j][index[j]] + u[:, j] * self.widths[j] for j in range(self.dim)], axis=1)

    def conditional(self, a: float, ys) -> np.ndarray:
        """The column of bins holding x₁ = a, normalised in x₂; zeros if the column is empty or a is
        outside the range."""
        self._need(2, "conditional")
        a, ys = self._scalar(a), self._values(ys)
        (x_lo, x_hi), (y_lo, y_hi) = self._ranges
        if not x_lo <= a <= x_hi:
            return np.zeros(ys.size)
        ix = min(self.bins - 1, int((a - x_lo) / (x_hi - x_lo) * self.bins))
        column = self.counts[ix]
        total = int(column.sum())
        if total == 0:
            return np.zeros(ys.size)
        iy, inside = _bin_index(ys[:, None], [(y_lo, y_hi)], self.bins)
        return np.where(inside, column[iy[:, 0]] / (total * self.widths[1]), 0.0)

    def marginals(self, rect: Rect, res: int) -> tuple[np.ndarray, np.ndarray]:
        """The 1-D histograms of x₁ and x₂ (the 2-D counts summed over the other axis)."""
        self._need(2, "marginals")
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        out = []
        for j, values in enumerate((xs, ys)):
            counts = self.counts.sum(axis=1 - j)
            idx, inside = _bin_index(values[:, None], [self._ranges[j]], self.bins)
            out.append(np.where(inside, counts[idx[:, 0]] / (self.n_inside * self.widths[j]), 0.0))
        return out[0], out[1]

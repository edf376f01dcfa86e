"""Gaussian kernel density estimation, 1-D and 2-D, with an isotropic or a diagonal bandwidth.

p(x) = (1/N) Σ_i Π_j φ((x_j - x_ij) / h_j) / h_j, φ the standard normal density. With one bandwidth h
for every axis this is scikit-learn's ``KernelDensity(kernel="gaussian", bandwidth=h)``.

Two ways to evaluate it:

- **on points** (:meth:`FittedKde.log_density`, the held-out log-likelihood): the exact sum, in float64,
  as a log-sum-exp over the points in chunks of at most :data:`CHUNK_ELEMENTS` pairs, so memory stays
  bounded and far-away points still get a finite log-density;
- **on a grid** (:meth:`FittedKde.log_density_grid`, the heat map): *binned*. The points are spread onto
  a grid of nodes by linear binning (each point's unit mass split between its 2 or 4 nearest nodes),
  then convolved with the sampled Gaussian kernel by FFT (``numpy.fft.rfft2``), on a
  grid padded by the kernel's reach (:data:`TAIL` bandwidths) so the convolution never wraps around.
  Linear binning's error is second order in node spacing Δ / bandwidth h; its leading term is on
  average a blur of variance Δ²/6, which the kernel undoes by being that much narrower
  (:func:`binning_bandwidth`). The nodes are the cells' centres, or a finer grid through them (every
  2nd, 3rd… node a centre) when a cell is wider than h/:data:`FINE_BINS_PER_BANDWIDTH`; the tests hold
  the result to 1e-3 of the peak of the exact sum at the cell centres. Where the
  kernel reaches farther than the rectangle is wide (a bandwidth above a fifth of it) the nodes are
  spaced h/8 and the sum is two small matrix products instead. Values below :data:`FLOOR_REL` of the
  peak are beneath the FFT's rounding and read as that floor, so the grid's log-density is finite
  everywhere (the true KDE is positive everywhere); use :meth:`FittedKde.log_density` for exact values
  far out in the tails.

Bandwidth rules (σ the data's standard deviation: the root mean variance of the axes for an isotropic
bandwidth, each axis's own for a diagonal one, as scipy's ``gaussian_kde`` scales its factor):
Scott h = σ N^(-1/(d+4)), Silverman h = σ (N (d+2) / 4)^(-1/(d+4)), a number by hand, or "held-out":
the factor c in h = c · h_Scott on a log-spaced grid (:data:`HELD_OUT_FACTORS`) that maximises the
average log-likelihood of a random held-out part under the KDE of the rest.
"""

from __future__ import annotations

import math
import threading
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
    line_centres,
    split_held_out,
    to_rng,
)
from vaeviz.core.grid import Rect, cell_centres

RULES = ("scott", "silverman", "held-out")
TAIL = 5.0  # the kernel is cut at 5 bandwidths: what it leaves out is e^(-12.5) ≈ 4e-6 of its peak
FLOOR_REL = 1e-12  # float64 FFT rounding is ~1e-15 of the peak; below this a binned value is noise
COARSE_BINS_PER_BANDWIDTH = 8  # bin spacing h/8 on the matrix path (finer than the FFT path's h/3)
# FFT path: nodes at most h/9 apart (cells subdivided if wider). What the average correction leaves is
# |f (1 - f) - 1/6| Δ² / 2 · φ'' per point: for a lone point at most (Δ/h)² / 12 of its peak, < 1e-3.
FINE_BINS_PER_BANDWIDTH = 9
# A drag's frames (FittedKde.draft): nodes at most h/3 apart, at most 1/108 of a lone point's peak off
# (less where points overlap: the errors of points at random offsets from the nodes average out), and a
# 2-D FFT several times smaller; the release draws the fine grid.
DRAFT_BINS_PER_BANDWIDTH = 3
MAX_NODES = 4096  # per axis on the FFT path: the subdivision stops here (2-D spectra of 4096² are 128 MB)
CHUNK_ELEMENTS = 1 << 20  # point pairs per chunk of the exact sum (8 MB of float64 per temporary)
HELD_OUT_FACTORS = tuple(float(c) for c in 10.0 ** np.linspace(-1.5, 0.5, 21))
HELD_OUT_MAX_VALIDATION = 800  # the bandwidth search's held-out points, at most
HELD_OUT_MAX_TRAINING = 4000  # and training points: 3.2 M pairs, 26 MB of distances
_KERNEL_CACHE = 4  # kernel spectra kept per fitted KDE (grid sizes seen recently)
SCRATCH_POINTS = 250_000  # binning work arrays are kept per thread for up to this many points (~30 MB)


@dataclass(frozen=True)
class KdeSettings:
    """A Gaussian KDE.

    Attributes
    ----------
    bandwidth : {"scott", "silverman", "held-out"} or float or tuple of float
        A rule, or h by hand (> 0): one number for every axis, or one per axis (a diagonal bandwidth).
    diagonal : bool
        With a rule: one bandwidth per axis from that axis's spread (True) or one for all (False).
    held_out_fraction : float
        The share of the points held out to choose the bandwidth ("held-out" only).
    seed : int
        Seeds the held-out split.
    """

    bandwidth: str | float | tuple[float, ...] = "scott"
    diagonal: bool = False
    held_out_fraction: float = 0.25
    seed: int = 0

    def fit(self, x) -> FittedKde:
        """The KDE of the points; a "held-out" bandwidth runs :func:`held_out_bandwidth_steps` to the end."""
        pts = check_points(x)
        if isinstance(self.bandwidth, str) and self.bandwidth == "held-out":
            steps = held_out_bandwidth_steps(pts, self)
            while True:
                try:
                    next(steps)
                except StopIteration as stop:
                    bandwidth, note = stop.value
                    break
            return FittedKde(pts, bandwidth, "held-out", note)
        return FittedKde(pts, resolve_bandwidth(pts, self.bandwidth, self.diagonal), str(self.bandwidth))


def bandwidth_rule(x: np.ndarray, rule: str, diagonal: bool = False) -> np.ndarray:
    """h per axis, shape (d,), by Scott's or Silverman's rule; DensityInputError if it comes out 0."""
    n, d = x.shape
    if rule == "scott":
        factor = n ** (-1.0 / (d + 4))
    elif rule == "silverman":
        factor = (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))
    else:
        raise DensityInputError(f"unknown bandwidth rule {rule!r}; choose one of {', '.join(RULES)} "
                                "or a number")
    # ptp first: the variance of equal values can come out as rounding noise (1e-33), not 0
    var = np.array([x[:, j].var(ddof=1) if n > 1 and np.ptp(x[:, j]) > 0 else 0.0 for j in range(d)])
    sigma = np.sqrt(var) if diagonal else np.full(d, math.sqrt(var.mean()))
    if not np.all(sigma > 0):
        what = "there is only one point" if n == 1 else "all points are identical" if not np.any(var > 0) \
            else f"all points have the same {'xy'[int(np.argmin(var))]}"
        raise DensityInputError(f"{what}: the {rule} rule gives bandwidth 0; set a bandwidth by hand")
    return factor * sigma


def resolve_bandwidth(x: np.ndarray, bandwidth, diagonal: bool = False) -> np.ndarray:
    """h per axis (d,) from a rule name or a number / per-axis numbers given by hand."""
    d = x.shape[1]
    if isinstance(bandwidth, str):
        return bandwidth_rule(x, bandwidth, diagonal)
    try:
        h = np.broadcast_to(np.asarray(bandwidth, dtype=np.float64), (d,)).copy()
    except (TypeError, ValueError):
        raise DensityInputError(f"the bandwidth must be a rule ({', '.join(RULES)}) or a number > 0, "
                                f"got {bandwidth!r}") from None
    if not np.all(np.isfinite(h)) or not np.all(h > 0):
        raise DensityInputError(f"the bandwidth must be a number > 0, got {bandwidth!r}")
    return h


@dataclass(frozen=True)
class BandwidthScore:
    """One step of the held-out bandwidth search.

    Attributes
    ----------
    factor : float
        c in h = c · h_Scott.
    bandwidth : tuple of float
        h per axis, for the search's training part.
    mean_log_likelihood : float
        Average log p of the held-out points under the KDE of the training part.
    best_factor : float
        The best c so far.
    """

    factor: float
    bandwidth: tuple[float, ...]
    mean_log_likelihood: float
    best_factor: float


def held_out_bandwidth_steps(x, settings: KdeSettings = KdeSettings()) -> Iterator[BandwidthScore]:
    """Choose the bandwidth by held-out likelihood, one candidate per step.

    The points are split (``settings.held_out_fraction``, ``settings.seed``); at most
    :data:`HELD_OUT_MAX_TRAINING` training and :data:`HELD_OUT_MAX_VALIDATION` held-out points are used.
    For every factor c of :data:`HELD_OUT_FACTORS`, the exact average log-likelihood of the held-out points
    under the KDE of the training points with h = c · h_Scott(training) is computed. Because h_Scott
    carries Scott's N^(-1/(d+4)), the best c transfers to all N points: the result is c · h_Scott(all).

    Yields
    ------
    BandwidthScore
        One per candidate factor.

    Returns
    -------
    (numpy.ndarray, str)
        The bandwidth per axis for all the points, and a note saying how it was chosen.
    """
    pts = check_points(x)
    if pts.shape[0] < 5:
        raise DensityInputError("choosing the bandwidth on held-out points needs at least 5 points")
    train, valid = split_held_out(pts, settings.held_out_fraction, settings.seed)
    rng = np.random.default_rng(settings.seed + 1)
    if train.shape[0] > HELD_OUT_MAX_TRAINING:
        train = train[np.sort(rng.choice(train.shape[0], HELD_OUT_MAX_TRAINING, replace=False))]
    if valid.shape[0] > HELD_OUT_MAX_VALIDATION:
        valid = valid[np.sort(rng.choice(valid.shape[0], HELD_OUT_MAX_VALIDATION, replace=False))]
    base_all = bandwidth_rule(pts, "scott", settings.diagonal)  # refuses identical points first
    try:
        base = bandwidth_rule(train, "scott", settings.diagonal)
    except DensityInputError:
        raise DensityInputError("the training part of the held-out split has no spread: use more points "
                                "or set a bandwidth by hand") from None
    d = pts.shape[1]
    # Squared distances in units of h_Scott, computed once: each candidate only rescales them.
    dist = np.zeros((valid.shape[0], train.shape[0]))
    for j in range(d):
        diff = (valid[:, j, None] - train[None, :, j]) / base[j]
        diff *= diff
        dist += diff
    const = -math.log(train.shape[0]) - float(np.log(base).sum()) - 0.5 * d * LOG_2PI
    best, best_c = -np.inf, HELD_OUT_FACTORS[0]
    for c in HELD_OUT_FACTORS:
        scaled = dist * (-0.5 / (c * c))
        top = scaled.max(axis=1)
        scaled -= top[:, None]
        np.exp(scaled, out=scaled)
        mean_ll = float(np.mean(top + np.log(scaled.sum(axis=1)))) + const - d * math.log(c)
        if mean_ll > best:
            best, best_c = mean_ll, c
        yield BandwidthScore(c, tuple(float(v) for v in c * base), mean_ll, best_c)
    share = round(100 * settings.held_out_fraction)
    note = f"bandwidth chosen on a held-out {share} % of the points: {best_c:.3g} × Scott's"
    if best_c in (HELD_OUT_FACTORS[0], HELD_OUT_FACTORS[-1]):
        note += " (at the end of the searched range)"
    return best_c * base_all, note


def kde_log_density(points: np.ndarray, bandwidth: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Exact log p(query) of the KDE of ``points`` (N, d) with ``bandwidth`` (d,): (m,) float64.

    A log-sum-exp over the points, chunked to at most :data:`CHUNK_ELEMENTS` pairs at a time.
    """
    n, d = points.shape
    scaled = points / bandwidth
    q = query / bandwidth
    const = -math.log(n) - float(np.log(bandwidth).sum()) - 0.5 * d * LOG_2PI
    out = np.empty(q.shape[0])
    rows = max(1, CHUNK_ELEMENTS // n)
    for start in range(0, q.shape[0], rows):
        block = q[start:start + rows]
        sq = block[:, 0, None] - scaled[None, :, 0]
        sq *= sq
        for j in range(1, d):
            diff = block[:, j, None] - scaled[None, :, j]
            diff *= diff
            sq += diff
        sq *= -0.5
        top = sq.max(axis=1)
        sq -= top[:, None]
        np.exp(sq, out=sq)
        out[start:start + rows] = top + np.log(sq.sum(axis=1)) + const
    return out


def fast_length(n: int) -> int:
    """The smallest 2^a 3^b 5^c ≥ n: FFT lengths with only small factors are the fast ones."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


@dataclass(frozen=True)
class _Axis:
    """How one axis of the grid is binned: nodes ``origin + m · step`` for m in [0, size)."""

    centres: np.ndarray  # the output cells' centres
    origin: float
    step: float
    size: int
    reach: int  # kernel half-width in nodes on the FFT path; -1 on the matrix path
    stride: int = 1  # FFT path: nodes per cell (the output is every stride-th node after the reach)


def _plan_axis(centres: np.ndarray, h: float, bins_per_bandwidth: int = FINE_BINS_PER_BANDWIDTH) -> _Axis:
    res = centres.size
    step = float(centres[1] - centres[0]) if res > 1 else 1.0
    if res == 1:  # one cell: no spacing to speak of; bin finely for the one value
        step = h / COARSE_BINS_PER_BANDWIDTH
    if math.ceil(TAIL * h / step) <= res and res > 1:
        stride = max(1, min(math.ceil(step * bins_per_bandwidth / h), MAX_NODES // (3 * res)))
        node = step / stride
        reach = math.ceil(TAIL * h / node)
        return _Axis(centres, float(centres[0]) - reach * node, node, stride * (res - 1) + 1 + 2 * reach,
                     reach, stride)
    # The kernel reaches farther than the grid is wide: nodes h/8 apart over the reach, independent of
    # the cells (the matrix path evaluates the kernel between any node and any centre).
    bstep = h / COARSE_BINS_PER_BANDWIDTH
    origin = float(centres[0]) - TAIL * h
    size = math.ceil((float(centres[-1]) + TAIL * h - origin) / bstep) + 1
    return _Axis(centres, origin, bstep, size, -1)


_scratch = threading.local()


def _work_array(name: str, n: int, dtype) -> np.ndarray:
    """An n-element work array kept per thread between calls (up to :data:`SCRATCH_POINTS` points).

    A fresh array of a few MB is new memory every time: the OS maps it page by page on first touch, which
    on the virtual machines measured cost more than the arithmetic (the binning of 10⁵ points took 10 ms,
    1.5 ms with its arrays kept). Kept per thread, as the compute thread fits a new KDE at every frame.
    """
    if n > SCRATCH_POINTS:
        return np.empty(n, dtype)
    arrays = _scratch.__dict__
    array = arrays.get(name)
    if array is None or array.shape[0] < n or array.dtype != dtype:
        array = arrays[name] = np.empty(max(n, 1024), dtype)
    return array[:n]


def _linear_bins(values: list[np.ndarray], axes: list[_Axis], mass: np.ndarray | None = None) -> np.ndarray:
    """Linear binning of points (one coordinate array per axis) onto the axes' nodes; an array of
    shape (size_0, size_1, …). Each point brings mass 1, or ``mass[i]`` (1-D only). Points within a node
    of the end are dropped: they lie beyond the kernel's reach from every output cell."""
    us = []
    for j, (v, ax) in enumerate(zip(values, axes, strict=True)):
        u = np.subtract(v, ax.origin, out=_work_array(f"u{j}", v.shape[0], np.float64))
        u *= 1.0 / ax.step
        us.append(u)
    # The usual case has every point inside: two reductions instead of masks and copies.
    if not all(u.size and u.min() >= 0 and u.max() < ax.size - 1 for u, ax in zip(us, axes, strict=True)):
        keep = np.ones(us[0].shape[0], dtype=bool)
        for u, ax in zip(us, axes, strict=True):
            keep &= (u >= 0) & (u < ax.size - 1)
        us = [u[keep] for u in us]
        mass = None if mass is None else mass[keep]
    lower = []
    for j, u in enumerate(us):
        i = _work_array(f"lower{j}", u.shape[0], np.intp)
        np.copyto(i, u, casting="unsafe")  # u ≥ 0: truncation is the floor
        lower.append(i)
    frac = [np.subtract(u, i, out=_work_array(f"frac{j}", u.shape[0], np.float64))
            for j, (u, i) in enumerate(zip(us, lower, strict=True))]
    shape = tuple(ax.size for ax in axes)
    if len(axes) == 1:
        i, f = lower[0], frac[0]
        if mass is not None:
            f = f * mass
        flat, weight = np.concatenate([i, i + 1]), np.concatenate([(1.0 if mass is None else mass) - f, f])
    else:
        (i0, i1), (f0, f1) = lower, frac
        n = i0.size
        # One bincount over the four corners (one pass over one output array, not four), its inputs
        # written in place rather than concatenated.
        flat = _work_array("flat", 4 * n, np.intp)
        weight = _work_array("weight", 4 * n, np.float64)
        np.multiply(i0, shape[1], out=flat[:n])
        flat[:n] += i1
        np.add(flat[:n], 1, out=flat[n:2 * n])
        np.add(flat[:n], shape[1], out=flat[2 * n:3 * n])
        np.add(flat[:n], shape[1] + 1, out=flat[3 * n:])
        g0 = np.subtract(1.0, f0, out=_work_array("g0", n, np.float64))
        g1 = np.subtract(1.0, f1, out=_work_array("g1", n, np.float64))
        np.multiply(g0, g1, out=weight[:n])
        np.multiply(g0, f1, out=weight[n:2 * n])
        np.multiply(f0, g1, out=weight[2 * n:3 * n])
        np.multiply(f0, f1, out=weight[3 * n:])
    return np.bincount(flat, weights=weight, minlength=math.prod(shape)).reshape(shape)


def _outputs(ax: _Axis) -> slice:
    """The nodes that are the output cells' centres."""
    return slice(ax.reach, ax.reach + ax.stride * (ax.centres.size - 1) + 1, ax.stride)


def binning_bandwidth(h: float, node: float) -> float:
    """The kernel width that undoes linear binning's blur on average.

    A point a fraction f of the way between nodes Δ apart is split (1 - f, f): at second order that
    widens its kernel by the variance f (1 - f) Δ², Δ²/6 on average over f. Convolving with a Gaussian of
    variance h² - Δ²/6 instead of h² cancels that leading error term. Nodes wider than h (a grid too
    coarse for the bandwidth, beyond the subdivision limit) get at most the correction for Δ = h.
    """
    return math.sqrt(h * h - min(node * node, h * h) / 6.0)


def _kernel_line(ax: _Axis, h: float, length: int) -> np.ndarray:
    """The Gaussian sampled at the node offsets, centred at index 0 and wrapped (for circular FFT).

    Normalised to sum 1 / spacing, so each point keeps its unit mass even on nodes wider than h (there
    the samples' sum differs from the integral); for spacing ≤ h the two agree to rounding.
    """
    k = np.zeros(length)
    h = binning_bandwidth(h, ax.step)
    offsets = np.arange(ax.reach + 1) * ax.step / h
    values = np.exp(-0.5 * offsets * offsets)
    values /= (values[0] + 2.0 * values[1:].sum()) * ax.step
    k[: ax.reach + 1] = values
    if ax.reach:
        k[-ax.reach:] = values[1:][::-1]
    return k


def _kernel_matrix(ax: _Axis, h: float) -> np.ndarray:
    """(res, size): the Gaussian from every node to every output centre (the matrix path)."""
    nodes = ax.origin + np.arange(ax.size) * ax.step
    h = binning_bandwidth(h, ax.step)
    u = (ax.centres[:, None] - nodes[None, :]) / h
    return np.exp(-0.5 * u * u) / (h * math.sqrt(2.0 * math.pi))


def binned_density(columns: list[np.ndarray], bandwidth: np.ndarray, centres: list[np.ndarray],
                   cache: dict | None = None, weights: np.ndarray | None = None,
                   bins_per_bandwidth: int = FINE_BINS_PER_BANDWIDTH) -> np.ndarray:
    """The binned KDE (a density, not its log) on the product of ``centres`` (one array per axis).

    Parameters
    ----------
    columns : list of numpy.ndarray
        The points' coordinates, one contiguous (N,) array per axis, in the order of the output's axes.
    bandwidth : numpy.ndarray, shape (d,)
    centres : list of numpy.ndarray
        The cells' centres per axis; ``columns[j]`` goes with ``centres[j]``.
    cache : dict, optional
        Keeps kernel spectra between calls with the same grid and bandwidth.
    weights : numpy.ndarray, optional
        1-D only: a weight per point (a weighted KDE, normalised by the weights' sum).
    bins_per_bandwidth : int
        FFT path: the nodes are at most h / this apart (the cells subdivided if wider).

    Returns
    -------
    numpy.ndarray
        Shape (len(centres[0]), …), the density before the floor.
    """
    d = len(columns)
    axes = [_plan_axis(c, float(h), bins_per_bandwidth) for c, h in zip(centres, bandwidth, strict=True)]
    counts = _linear_bins(columns, axes, weights)
    n = columns[0].shape[0] if weights is None else float(weights.sum())
    if all(ax.reach >= 0 for ax in axes):
        lengths = tuple(fast_length(ax.size) for ax in axes)
        key = (lengths, tuple((ax.reach, ax.step) for ax in axes), tuple(float(h) for h in bandwidth))
        spectrum = None if cache is None else cache.get(key)
        if spectrum is None:
            if d == 1:
                spectrum = np.fft.rfft(_kernel_line(axes[0], float(bandwidth[0]), lengths[0])).real
            else:
                # The kernel is separable and symmetric: its spectrum is the outer product of two real ones.
                s0 = np.fft.fft(_kernel_line(axes[0], float(bandwidth[0]), lengths[0])).real
                s1 = np.fft.rfft(_kernel_line(axes[1], float(bandwidth[1]), lengths[1])).real
                spectrum = s0[:, None] * s1[None, :]
            if cache is not None:
                if len(cache) >= _KERNEL_CACHE:
                    cache.pop(next(iter(cache)))
                cache[key] = spectrum
        if d == 1:
            full = np.fft.irfft(np.fft.rfft(counts, lengths[0]) * spectrum, lengths[0])
            return full[_outputs(axes[0])] / n
        full = np.fft.irfft2(np.fft.rfft2(counts, lengths) * spectrum, lengths)
        return full[_outputs(axes[0]), _outputs(axes[1])] / n
    mats = [_kernel_matrix(ax, float(h)) for ax, h in zip(axes, bandwidth, strict=True)]
    if d == 1:
        return mats[0] @ counts / n
    return mats[0] @ counts @ mats[1].T / n


def _evenly_spaced(values: np.ndarray) -> bool:
    """At least 8 increasing values, equally spaced to rounding (cell centres)."""
    if values.size < 8:
        return False
    steps = np.diff(values)
    return bool(steps[0] > 0 and np.all(np.abs(steps - steps[0]) <= 1e-9 * (steps[0] + np.abs(values).max())))


def _floored_log(density: np.ndarray, n: int, bandwidth: np.ndarray) -> np.ndarray:
    """log of a binned density, with values under FLOOR_REL of the peak (or of one point's kernel peak,
    if the grid misses the data) raised to that floor: finite, never NaN."""
    single_peak = 1.0 / (n * math.prod(float(h) for h in bandwidth) * (2 * math.pi) ** (bandwidth.size / 2))
    floor = FLOOR_REL * max(float(density.max()), single_peak)
    return np.log(np.maximum(density, floor))


class FittedKde(FittedDensity):
    """A fitted Gaussian KDE.

    Attributes
    ----------
    points : numpy.ndarray, shape (N, d)
        The data (read-only).
    bandwidth : numpy.ndarray, shape (d,)
        h per axis (equal for an isotropic bandwidth).
    rule : str
        How the bandwidth was chosen ("scott", "silverman", "held-out" or the number given).
    """

    def __init__(self, points: np.ndarray, bandwidth: np.ndarray, rule: str = "", note: str = ""):
        self.points = np.array(points, dtype=np.float64)
        self.points.setflags(write=False)
        self.dim = self.points.shape[1]
        self.bandwidth = np.array(bandwidth, dtype=np.float64)
        self.bandwidth.setflags(write=False)
        self.rule = rule
        self.note = note
        self._spectra: dict = {}
        self._bins = FINE_BINS_PER_BANDWIDTH
        # Contiguous coordinate arrays for the binning (strided columns make it ~2x slower).
        self._columns = [np.ascontiguousarray(self.points[:, j]) for j in range(self.dim)]

    def draft(self) -> FittedKde:
        """This KDE binned on nodes h/:data:`DRAFT_BINS_PER_BANDWIDTH` apart for its grids, marginals and
        conditionals (its exact values at points are unchanged): a drag's frames."""
        copy = FittedKde.__new__(FittedKde)
        copy.__dict__.update(self.__dict__)
        copy._spectra = {}
        copy._bins = DRAFT_BINS_PER_BANDWIDTH
        return copy

    def log_density(self, x) -> np.ndarray:
        """Exact log p(x), float64 log-sum-exp over the points (see :func:`kde_log_density`)."""
        return kde_log_density(self.points, self.bandwidth, check_points(x, self.dim))

    def log_density_grid(self, rect: Rect, res: int) -> np.ndarray:
        """Binned-FFT log p on the cell centres, ``out[iy, ix]`` (row = y index, row 0 at y0).

        Finite everywhere: values under :data:`FLOOR_REL` of the peak read as that floor.
        """
        self._need(2, "log_density_grid")
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        # Axis 0 of the result is y: bin (y, x) so no transpose is needed.
        h = self.bandwidth[::-1]
        density = binned_density(self._columns[::-1], h, [ys, xs], self._spectra,
                                 bins_per_bandwidth=self._bins)
        return _floored_log(density, self.points.shape[0], h)

    def log_density_line(self, x0: float, x1: float, res: int) -> np.ndarray:
        """Binned-FFT log p on ``res`` cell centres over [x0, x1] (d = 1); floored like the grid."""
        self._need(1, "log_density_line")
        xs = line_centres(x0, x1, res)
        return _floored_log(binned_density(self._columns, self.bandwidth, [xs], self._spectra,
                                           bins_per_bandwidth=self._bins),
                            self.points.shape[0], self.bandwidth)

    def sample(self, n: int, rng=None) -> np.ndarray:
        """A data point at random, plus Gaussian noise of the bandwidth."""
        n = check_count(n)
        rng = to_rng(rng)
        idx = rng.integers(0, self.points.shape[0], n)
        return self.points[idx] + rng.standard_normal((n, self.dim)) * self.bandwidth

    def conditional(self, a: float, ys) -> np.ndarray:
        """p(x₂ | x₁ = a): a mixture of Gaussians at the points' x₂, weighted by their kernel at a.

        On evenly spaced ``ys`` (a grid's cell centres, as the lab asks) it is a weighted 1-D binned KDE,
        like the grid (within 1e-3 of its peak); on other values the exact sum, leaving out points whose
        weight is below e^-30 of the largest (they cannot show).
        """
        self._need(2, "conditional")
        a, ys = self._scalar(a), self._values(ys)
        hx, hy = float(self.bandwidth[0]), float(self.bandwidth[1])
        u = (a - self.points[:, 0]) / hx
        log_w = -0.5 * u * u
        keep = log_w >= log_w.max() - 30.0
        w = np.exp(log_w[keep] - log_w.max())
        w /= w.sum()
        centres = self.points[keep, 1]
        if _evenly_spaced(ys):
            return np.maximum(binned_density([centres], self.bandwidth[1:], [ys], weights=w,
                                             bins_per_bandwidth=self._bins), 0.0)
        out = np.empty(ys.size)
        rows = max(1, CHUNK_ELEMENTS // centres.size)
        for start in range(0, ys.size, rows):
            v = (ys[start:start + rows, None] - centres[None, :]) / hy
            out[start:start + rows] = np.exp(-0.5 * v * v) @ w
        return out / (hy * math.sqrt(2.0 * math.pi))

    def marginals(self, rect: Rect, res: int) -> tuple[np.ndarray, np.ndarray]:
        """The 1-D KDEs of x₁ and x₂ with their bandwidths (exactly the 2-D KDE's marginals), binned."""
        self._need(2, "marginals")
        xs, ys = cell_centres(check_rect(rect), check_res(res))
        return tuple(np.maximum(binned_density([self._columns[j]], self.bandwidth[j:j + 1], [c],
                                               bins_per_bandwidth=self._bins), 0.0)
                     for j, c in enumerate((xs, ys)))

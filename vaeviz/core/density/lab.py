"""The Density lab's run model: what the dock shows as frozen snapshots, and the job factories making them.

Every job is a generator factory for the compute worker (:mod:`vaeviz.core.jobs`). Nothing here knows Qt,
colours or pixels (the UI colours the grids in its own worker-side module).

* :func:`fit_layer` / :func:`fit_job`: one estimator fitted to the training points and evaluated for the
  figure — log p on a grid, both marginals, the conditional p(x₂ | x₁ = a), samples from the model and
  its mean log-likelihood on the training and the held-out points (:class:`DensitySnapshot`).
* :func:`conditional_of`: the conditional alone, for a drag of the slice (the fit is kept).
* :func:`held_out_table` / :func:`table_job`: every estimator's mean held-out log-likelihood on the same
  split, with a bandwidth by Scott's rule beside the chosen one (under- and over-smoothing as numbers).
* :func:`oned_layer` / :func:`oned_job`: the lecture's 1-D mixture, histogram vs KDE vs GMM over the truth.
* :func:`vae_job`: the point VAE trained with progress, then its importance-sampled log p(x) map, the ELBO
  map on the same grid, samples and held-out numbers (:class:`VaeSnapshot`); torch is imported only here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from vaeviz.core.data.density_presets import DensityInputError, make_density_preset
from vaeviz.core.density.autoregressive import AutoregressiveSettings
from vaeviz.core.density.estimators import FittedDensity, check_points, split_held_out
from vaeviz.core.density.histogram import HistogramSettings
from vaeviz.core.density.kde import KdeSettings
from vaeviz.core.density.mixture import FittedGmm, GmmSettings
from vaeviz.core.density.state import ESTIMATORS_1D, DensityLabState, EstimatorSettings
from vaeviz.core.grid import Rect, cell_centres
from vaeviz.core.jobs import JobContext, JobFactory, single

HEAT_RES = 200  # grid cells per axis of the heatmap (finer than the plot's pixels at the dock's size)
LINE_RES = 400  # points of the 1-D curves
PLOT_MARGIN = 0.12  # of the data's span, on each side of the plotted box
ESTIMATOR_NAMES = {"histogram": "Histogram", "kde": "Kernel density (KDE)", "gmm": "Gaussian mixture (EM)",
                   "autoregressive": "Autoregressive p(x₁) p(x₂|x₁)", "vae": "VAE (importance-sampled)"}


# ----- data, split, box -----------------------------------------------------------------------------------
def plot_rect(points: np.ndarray | None, default: Rect = (-4.0, -4.0, 4.0, 4.0)) -> Rect:
    """The plotted box: the data's range with a margin, square cells (equal spans), never empty."""
    if points is None or len(points) == 0:
        return default
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2
    half = max(float((hi - lo).max()) * (0.5 + PLOT_MARGIN), 1.0)
    x0, y0 = (float(v) for v in centre - half)
    x1, y1 = (float(v) for v in centre + half)
    return (x0, y0, x1, y1)


def plot_interval(points: np.ndarray, margin: float = 0.15) -> tuple[float, float]:
    """The 1-D plotted interval: the data's range with a margin (±1 about a single value)."""
    lo, hi = float(points.min()), float(points.max())
    span = max(hi - lo, 2.0)
    return lo - margin * span, hi + margin * span


def split(points, state: DensityLabState) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) parts of the points by the state's fraction and seed (DensityInputError for
    N < 2 or points that are not finite)."""
    pts = check_points(points, what="data points")
    return split_held_out(pts, state.view.held_out, state.view.split_seed)


def estimator_of(name: str, s: EstimatorSettings, bounds=None, seed: int = 0):
    """The core settings object of estimator ``name`` (histogram, kde, gmm, autoregressive); ``bounds``:
    the plotted box, the histograms' range (so a held-out point inside the plot gets a bin)."""
    if name == "histogram":
        return HistogramSettings(bins=s.bins, bounds=bounds)
    if name == "kde":
        return KdeSettings(bandwidth=s.kde_bandwidth, seed=seed)
    if name == "gmm":
        return GmmSettings(n_components=s.components, covariance_type=s.covariance_type, seed=seed)
    if name == "autoregressive":
        return AutoregressiveSettings(marginal=s.ar_marginal, conditional=s.ar_conditional, bins=s.ar_bins,
                                      bounds=bounds)
    raise DensityInputError(f"the {name} estimator is not fitted this way")


def _mean_ll(fitted: FittedDensity, x: np.ndarray) -> float:
    return fitted.mean_log_likelihood(x) if len(x) else math.nan


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


# ----- 2-D: one estimator on the figure's grid -----------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DensitySnapshot:
    """One estimator fitted and evaluated for the 2-D figure.

    ``log_density`` is (res, res) over ``rect`` (row = y index from the bottom, as ``grid.cell_centres``),
    -inf only where the density is 0; ``marginal_x`` / ``marginal_y`` are p(x₁) at the cells' x centres and
    p(x₂) at their y centres; ``conditional`` is p(x₂ | x₁ = ``slice_at``) at the y centres (None without
    a slice); ``samples`` (n, 2) are drawn from the model. ``fitted`` is kept for the slice's drags and the
    cursor's numbers (``None`` for the VAE, whose numbers come from its maps).
    """

    estimator: str
    rect: Rect
    res: int
    log_density: np.ndarray
    marginal_x: np.ndarray
    marginal_y: np.ndarray
    slice_at: float | None
    conditional: np.ndarray | None
    samples: np.ndarray
    train_ll: float
    held_ll: float
    n_train: int
    n_held: int
    note: str
    fitted: FittedDensity | None


def fit_layer(state: DensityLabState, train: np.ndarray, held: np.ndarray, rect: Rect,
              res: int = HEAT_RES, live: bool = False) -> DensitySnapshot:
    """Fit the state's estimator (not the VAE: :func:`vae_job`) and evaluate it on the figure's grid.

    ``live`` (a drag's frames) leaves the log-likelihoods out (NaN): the exact sums cost more than the grid,
    and the table follows on release; and evaluates the fit's :meth:`~FittedDensity.draft` (a KDE binned
    more coarsely, within 1e-3 of its peak), which the release replaces.
    """
    fitted = estimator_of(state.estimator, state.settings, rect, state.view.split_seed).fit(train)
    return layer_of(fitted.draft() if live else fitted, state, train, held, rect, res, numbers=not live)


def moved_component_layer(snapshot: DensitySnapshot, state: DensityLabState, train: np.ndarray,
                          held: np.ndarray, k: int, mean, res: int) -> DensitySnapshot:
    """The snapshot's Gaussian mixture with component k's mean at ``mean`` (nothing refitted), evaluated
    as a fit is, with its log-likelihoods: what a drag of a component shows."""
    if not isinstance(snapshot.fitted, FittedGmm):
        raise DensityInputError("only a Gaussian mixture's components can be moved")
    return layer_of(snapshot.fitted.with_mean(k, mean), state, train, held, snapshot.rect, res)


def layer_of(fitted: FittedDensity, state: DensityLabState, train: np.ndarray, held: np.ndarray, rect: Rect,
             res: int, numbers: bool = True) -> DensitySnapshot:
    """A fitted density evaluated for the figure: its grid, marginals, the state's conditional and samples,
    and (``numbers``) its mean log-likelihoods on the training and held-out points (else NaN)."""
    log_p = fitted.log_density_grid(rect, res)
    mx, my = fitted.marginals(rect, res)
    v = state.view
    _, ys = cell_centres(rect, res)
    conditional = fitted.conditional(v.slice_at, ys) if v.slice_on else None
    samples = fitted.sample(v.samples, np.random.default_rng(v.split_seed + 1))
    return DensitySnapshot(state.estimator, rect, res, _frozen(log_p), _frozen(mx), _frozen(my),
                           v.slice_at if v.slice_on else None,
                           None if conditional is None else _frozen(conditional), _frozen(samples),
                           _mean_ll(fitted, train) if numbers else math.nan,
                           _mean_ll(fitted, held) if numbers else math.nan, len(train), len(held),
                           fitted.note, fitted)


def fit_job(state: DensityLabState, train: np.ndarray, held: np.ndarray, rect: Rect,
            res: int = HEAT_RES, live: bool = False) -> JobFactory:
    """Latest-wins request: :func:`fit_layer` (a few ms to tens of ms: always in the worker)."""
    return single(lambda ctx: fit_layer(state, train, held, rect, res, live))


def conditional_of(snapshot: DensitySnapshot, a: float) -> np.ndarray:
    """p(x₂ | x₁ = a) at the snapshot's y centres, from its fitted model or (VAE) its log p(x) map's
    nearest column, normalised over the grid."""
    _, ys = cell_centres(snapshot.rect, snapshot.res)
    if snapshot.fitted is not None:
        return snapshot.fitted.conditional(a, ys)
    return grid_conditional(snapshot.log_density, snapshot.rect, a)


# ----- densities known only on a grid (the VAE's maps) ----------------------------------------------------
def grid_marginals(log_p: np.ndarray, rect: Rect) -> tuple[np.ndarray, np.ndarray]:
    """p(x₁) and p(x₂) by summing a gridded density over the other axis (the grid's mass normalised to 1)."""
    res = log_p.shape[0]
    dx, dy = (rect[2] - rect[0]) / res, (rect[3] - rect[1]) / res
    top = float(np.max(log_p)) if np.isfinite(log_p).any() else 0.0
    p = np.exp(log_p - top)
    total = p.sum() * dx * dy
    if not total > 0:
        return np.zeros(res), np.zeros(res)
    p /= total
    return p.sum(axis=0) * dy, p.sum(axis=1) * dx


def grid_conditional(log_p: np.ndarray, rect: Rect, a: float) -> np.ndarray:
    """p(x₂ | x₁ = a) from the grid column nearest a, normalised (zeros outside the grid)."""
    res = log_p.shape[0]
    col = int(math.floor((a - rect[0]) / (rect[2] - rect[0]) * res))
    if not 0 <= col < res:
        return np.zeros(res)
    column = log_p[:, col]
    top = float(column.max())
    if not math.isfinite(top):
        return np.zeros(res)
    p = np.exp(column - top)
    return p / (p.sum() * (rect[3] - rect[1]) / res)


# ----- the held-out table ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TableRow:
    """One estimator's mean log-likelihood per point on the training and the held-out points (nats);
    ``problem`` says why an estimator could not be fitted (its numbers are then NaN, shown as a dash)."""

    key: str
    label: str
    train: float
    held: float
    problem: str = ""


@dataclass(frozen=True)
class HeldOutTable:
    rows: tuple[TableRow, ...]
    n_train: int
    n_held: int

    def row(self, key: str) -> TableRow:
        return next(r for r in self.rows if r.key == key)


def _kde_label(s: EstimatorSettings) -> str:
    if s.bandwidth_rule == "manual":
        return f"KDE, h = {s.bandwidth:.3g}"
    return f"KDE, {s.bandwidth_rule} bandwidth"


def table_rows(state: DensityLabState, bounds=None) -> list[tuple[str, str, object]]:
    """(key, label, core settings) of the table's estimators: each one as set, and KDE by Scott's rule;
    ``bounds``: the histograms' range (the plotted box or interval)."""
    s = state.settings
    rows: list[tuple[str, str, object]] = [
        ("histogram", f"Histogram, {s.bins} bins", estimator_of("histogram", s, bounds)),
        ("kde", _kde_label(s), estimator_of("kde", s, seed=state.view.split_seed)),
    ]
    if s.bandwidth_rule != "scott":
        rows.append(("kde-scott", "KDE, scott bandwidth", KdeSettings(bandwidth="scott")))
    for h in state.view.compare_bandwidths:
        if not (s.bandwidth_rule == "manual" and h == s.bandwidth):
            rows.append((f"kde-{h:g}", f"KDE, h = {h:g}", KdeSettings(bandwidth=h)))
    rows.append(("gmm", f"Gaussian mixture, K = {s.components}", estimator_of("gmm", s)))
    if state.mode == "2d":
        rows.append(("autoregressive", "Autoregressive p(x₁) p(x₂|x₁)",
                     estimator_of("autoregressive", s, bounds)))
    return rows


def held_out_table(state: DensityLabState, train: np.ndarray, held: np.ndarray, truth=None,
                   bounds=None) -> HeldOutTable:
    """Every estimator's mean log-likelihood on the same split (``truth``: the true log-density, a row;
    ``bounds``: the histograms' range, by default the box or interval around all the points)."""
    if bounds is None:
        every = np.concatenate([train, held])
        bounds = plot_rect(every) if every.shape[1] == 2 else plot_interval(every[:, 0])
    out = []
    for key, label, settings in table_rows(state, bounds):
        try:
            fitted = settings.fit(train)
            out.append(TableRow(key, label, _mean_ll(fitted, train), _mean_ll(fitted, held)))
        except DensityInputError as err:
            out.append(TableRow(key, label, math.nan, math.nan, str(err)))
    if truth is not None:
        out.append(TableRow("truth", "True density", float(np.mean(truth(train))),
                            float(np.mean(truth(held)))))
    return HeldOutTable(tuple(out), len(train), len(held))


def table_job(state: DensityLabState, train: np.ndarray, held: np.ndarray, truth=None,
              bounds=None) -> JobFactory:
    """Latest-wins request: :func:`held_out_table` (fits every estimator: tens of ms)."""
    return single(lambda ctx: held_out_table(state, train, held, truth, bounds))


# ----- 1-D: the lecture's mixture -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class OneDSnapshot:
    """The 1-D figure: ``curves[name]`` = p(x) of each fit at ``xs`` (densities, 0 where the model is 0),
    ``truth`` the true density there, ``train`` / ``held`` the points, ``table`` the held-out numbers."""

    xs: np.ndarray
    curves: dict
    truth: np.ndarray
    train: np.ndarray
    held: np.ndarray
    table: HeldOutTable
    notes: tuple[str, ...]


def oned_data(state: DensityLabState):
    """The 1-D preset sampled by the state's N and seed."""
    return make_density_preset(state.data.preset, state.data.n, state.data.seed)


def oned_layer(state: DensityLabState, res: int = LINE_RES) -> OneDSnapshot:
    data = oned_data(state)
    train, held = split(data.points, state)
    x0, x1 = plot_interval(data.points[:, 0])
    xs = x0 + (np.arange(res) + 0.5) * (x1 - x0) / res
    curves, notes = {}, []
    for name in ESTIMATORS_1D:
        bounds = (x0, x1) if name == "histogram" else None
        fitted = estimator_of(name, state.settings, bounds, state.view.split_seed).fit(train)
        curves[name] = _frozen(np.exp(fitted.log_density_line(x0, x1, res)))
        if fitted.note:
            notes.append(f"{name}: {fitted.note}")
    truth = np.exp(data.log_density(xs[:, None]))
    table = held_out_table(state, train, held, data.log_density, (x0, x1))
    return OneDSnapshot(_frozen(xs), curves, _frozen(truth), _frozen(train[:, 0]), _frozen(held[:, 0]), table,
                        tuple(notes))


def oned_job(state: DensityLabState) -> JobFactory:
    """Latest-wins request: :func:`oned_layer`."""
    return single(lambda ctx: oned_layer(state))


# ----- the VAE ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class VaeSnapshot:
    """The trained point VAE on the figure's grid: ``density`` (a :class:`DensitySnapshot` of the
    importance-sampled log p(x)), the ELBO map and the standard error of log p(x) on the same grid, and the
    held-out numbers (mean log p̂_K and mean ELBO per point)."""

    density: DensitySnapshot
    elbo: np.ndarray
    log_px_se: np.ndarray
    k_samples: int
    steps: int
    train_elbo: float
    held_elbo: float
    model: object


def vae_settings(state: DensityLabState, steps: int | None = None):
    from vaeviz.core.density.point_vae import PointVaeSettings

    s = state.settings
    return PointVaeSettings(latent_size=s.vae_latent, hidden=64, steps=steps or s.vae_steps, batch_size=256,
                            lr=5e-3, seed=state.view.split_seed, report_every=50)


def vae_job(state: DensityLabState, train: np.ndarray, held: np.ndarray, rect: Rect,
            res: int = 96) -> JobFactory:
    """Train the point VAE (progress: ``PointVaeProgress``), then its maps on ``res``² cells (progress:
    ``MapsProgress``); returns a :class:`VaeSnapshot`. Fractions run 0 → 0.8 for training, → 1 for maps.
    torch is imported when the job runs, in the worker's thread (never in the GUI's)."""
    k = state.settings.vae_k

    def factory(ctx: JobContext):
        from vaeviz.core.density.point_vae import (
            density_maps_job,
            point_log_px,
            sample_point_vae,
            train_point_vae_job,
        )
        from vaeviz.core.jobs import Progress

        gen = train_point_vae_job(train, vae_settings(state))(ctx)
        while True:
            try:
                item = next(gen)
            except StopIteration as stop:
                model = stop.value
                break
            if item is None:
                yield None
            else:
                if item.stopped:
                    yield Progress(0.8 * item.fraction, f"VAE training stopped: {item.stopped}")
                yield Progress(0.8 * item.fraction, f"VAE training: step {item.step:,}/{item.total:,}, "
                                                    f"ELBO {item.elbo:.3f}")
        maps_gen = density_maps_job(model, rect, res, k, seed=state.view.split_seed)(ctx)
        while True:
            try:
                item = next(maps_gen)
            except StopIteration as stop:
                maps = stop.value
                break
            yield None if item is None else Progress(0.8 + 0.2 * item.fraction, item.message)
        log_px = np.asarray(maps.log_px)
        mx, my = grid_marginals(log_px, rect)
        v = state.view
        conditional = grid_conditional(log_px, rect, v.slice_at) if v.slice_on else None
        samples = sample_point_vae(model, v.samples, seed=v.split_seed + 1, device=ctx.device)
        held_px, _, held_elbo = point_log_px(model, held, k=k, seed=v.split_seed, device=ctx.device)
        train_px, _, train_elbo = point_log_px(model, train[:2000], k=k, seed=v.split_seed, device=ctx.device)
        density = DensitySnapshot("vae", rect, res, _frozen(log_px), _frozen(mx), _frozen(my),
                                  v.slice_at if v.slice_on else None,
                                  None if conditional is None else _frozen(conditional), _frozen(samples),
                                  float(np.mean(train_px)), float(np.mean(held_px)), len(train), len(held),
                                  "", None)
        return VaeSnapshot(density, np.asarray(maps.elbo), np.asarray(maps.log_px_se), k, model.steps,
                           float(np.mean(train_elbo)), float(np.mean(held_elbo)), model)

    return factory


def with_slice(state: DensityLabState, a: float) -> DensityLabState:
    return replace(state, view=replace(state.view, slice_at=float(a)))

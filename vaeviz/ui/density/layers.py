"""The Density lab's work for the compute thread: a fitted density coloured as a heatmap with contours.

Colouring pixels belongs to the UI (core holds no colours), but a 200 × 200 heatmap costs more than a GUI
frame may, so these factories run in the worker, through the lab's controller requests, chained after the
core's fit (:mod:`vaeviz.core.density.lab`), and hand back packed pixels and contour lines ready to draw.
Nothing here touches a widget. -inf (density 0) is drawn as the background; nothing NaN is ever drawn.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from vaeviz.core.contours import contour_segments, segments_to_xy
from vaeviz.core.density.lab import DensitySnapshot, VaeSnapshot, fit_layer, vae_job
from vaeviz.core.grid import Rect
from vaeviz.core.jobs import JobContext, JobFactory, single
from vaeviz.ui.items.pixels import pack_rgb32
from vaeviz.ui.theme import plot_colours, rgb

CONTOUR_FRACTIONS = (0.7, 0.4, 0.15, 0.04)  # of the peak density, linear scale
LOG_CONTOURS = (1.0, 3.0, 6.0, 10.0)  # nats below the peak, log scale
LOG_RANGE = 14.0  # nats below the peak shown by the log scale's colours (below: the background)
# Three-stop colour ramps per theme (dark?): background-ish → mid → peak, readable under black or white dots
RAMPS = {False: ("#ffffff", "#8fb8e6", "#123c7a"), True: ("#1e1e1e", "#2f6fb0", "#d9ecff")}

# Cells per axis of a held slider's frames: a binned KDE on 128² costs a third of the 200² one, and the
# release draws the full grid (with the table's exact log-likelihoods) at once.
LIVE_RES = 128


@dataclass(frozen=True, eq=False)
class Heat:
    """A density drawn: packed pixels (rows from the top, y high to low) over ``rect``, contour lines, and
    the snapshot it came from. ``peak`` is the log-density the colours are relative to."""

    pixels: np.ndarray
    rect: Rect
    contour_x: np.ndarray
    contour_y: np.ndarray
    peak: float
    snapshot: object


LUT_SIZE = 1024  # colour steps of the ramp: finer than the eye tells apart


@functools.lru_cache(maxsize=4)
def ramp_lut(dark: bool) -> np.ndarray:
    """The theme's ramp as packed rgb32 colours (LUT_SIZE,): the background at 0, the peak's colour last."""
    stops = np.array([rgb(c) for c in RAMPS[dark]], dtype=np.float64)
    stops[0] = rgb(plot_colours(dark)["background"])
    t = np.linspace(0.0, 1.0, LUT_SIZE)[:, None]
    low = stops[0] + np.minimum(t, 0.5) * 2 * (stops[1] - stops[0])
    rgb_lut = np.where(t <= 0.5, low, stops[1] + (t - 0.5) * 2 * (stops[2] - stops[1]))
    lut = pack_rgb32(np.clip(np.rint(rgb_lut), 0, 255).astype(np.uint8)[None])[0]
    lut.setflags(write=False)
    return lut


def colour_of(log_p: np.ndarray, scale: str, dark: bool,
              peak: float | None = None) -> tuple[np.ndarray, float]:
    """(pixels (res, res) rgb32 with row 0 at the top, the peak used); ``peak`` fixes the scale (two maps
    compared on one scale), else the map's own maximum. Linear: p / p_peak; log: the top ``LOG_RANGE``
    nats. -inf (density 0) gets the background; the colours are one lookup in :func:`ramp_lut`."""
    flipped = log_p[::-1]  # row 0 at the top
    top = peak
    if top is None:
        top = float(flipped.max()) if flipped.size else -math.inf
    if not math.isfinite(top):
        return np.full(log_p.shape, ramp_lut(dark)[0], dtype=np.uint32), top
    if scale == "log":
        t = (flipped - (top - LOG_RANGE)) * ((LUT_SIZE - 1) / LOG_RANGE)
    else:
        t = np.exp(np.minimum(flipped - top, 0.0)) * (LUT_SIZE - 1)
    np.clip(t, 0.0, LUT_SIZE - 1, out=t)  # (-inf → 0, the background; exp(-inf) = 0 too)
    return ramp_lut(dark)[t.astype(np.intp)], top


def contours_of(log_p: np.ndarray, rect: Rect, scale: str, peak: float) -> tuple[np.ndarray, np.ndarray]:
    """Contour lines of log p at the scale's levels (pairs of points for ``connect="pairs"``)."""
    if not math.isfinite(peak):
        return np.empty(0), np.empty(0)
    if scale == "log":
        levels = [peak - d for d in LOG_CONTOURS]
    else:
        levels = [peak + math.log(f) for f in CONTOUR_FRACTIONS]
    field = np.where(np.isfinite(log_p), log_p, -1e300).T  # contour_segments wants field[i, j] at (x_i, y_j)
    return segments_to_xy(contour_segments(field, levels), rect, field.shape)


def heat_of(snapshot: DensitySnapshot, scale: str, dark: bool, peak: float | None = None) -> Heat:
    """The snapshot's log-density coloured, with its contours."""
    pixels, top = colour_of(snapshot.log_density, scale, dark, peak)
    x, y = contours_of(snapshot.log_density, snapshot.rect, scale, top)
    return Heat(pixels, snapshot.rect, x, y, top, snapshot)


def fit_heat_job(state, train: np.ndarray, held: np.ndarray, rect: Rect, dark: bool, live: bool = False,
                 res: int | None = None) -> JobFactory:
    """Latest-wins request: fit the state's estimator and colour it (a drag's frames: ``live``, see
    :func:`~vaeviz.core.density.lab.fit_layer`)."""
    from vaeviz.core.density.lab import HEAT_RES

    def compute(ctx):
        snapshot = fit_layer(state, train, held, rect, res or HEAT_RES, live)
        return heat_of(snapshot, state.view.scale, dark)

    return single(compute)


def recolour_job(snapshot: DensitySnapshot, scale: str, dark: bool) -> JobFactory:
    """Latest-wins request: a snapshot coloured again (scale or theme changed; nothing refitted)."""
    return single(lambda ctx: heat_of(snapshot, scale, dark))


@dataclass(frozen=True, eq=False)
class VaeHeat:
    """The VAE's two maps on one colour scale (log p(x)'s peak): ``density`` the importance-sampled
    log p(x), ``elbo`` the ELBO map (pixels and contours), and the snapshot."""

    density: Heat
    elbo: Heat
    snapshot: VaeSnapshot


def vae_heat_of(snapshot: VaeSnapshot, scale: str, dark: bool) -> VaeHeat:
    density = heat_of(snapshot.density, scale, dark)
    elbo_pixels, _ = colour_of(snapshot.elbo, scale, dark, density.peak)
    x, y = contours_of(snapshot.elbo, snapshot.density.rect, scale, density.peak)
    return VaeHeat(density, Heat(elbo_pixels, snapshot.density.rect, x, y, density.peak, snapshot), snapshot)


def vae_heat_job(state, train: np.ndarray, held: np.ndarray, rect: Rect, dark: bool) -> JobFactory:
    """A channel job: the VAE trained and mapped (:func:`vaeviz.core.density.lab.vae_job`, progress passed
    on), then both maps coloured."""
    inner = vae_job(state, train, held, rect)

    def factory(ctx: JobContext):
        gen = inner(ctx)
        while True:
            try:
                item = next(gen)
            except StopIteration as stop:
                return vae_heat_of(stop.value, state.view.scale, dark)
            yield item

    return factory


def vae_recolour_job(snapshot: VaeSnapshot, scale: str, dark: bool) -> JobFactory:
    return single(lambda ctx: vae_heat_of(snapshot, scale, dark))

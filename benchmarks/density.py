"""Density benchmark: the binned-FFT KDE heat map (issue #14).

1. ``kde_grid_512_ms_n1e5``: ``FittedKde.log_density_grid`` on a 512² grid for N = 100,000 points (the
   "blobs" preset, Scott's bandwidth), median of repeats after one warm-up call (the warm-up computes and
   caches the kernel's spectrum, as the lab's redraws at one bandwidth reuse it). ``kde_grid_512_ms_cold``
   in the details times a fresh fit each time (the spectrum computed in every call).
2. ``kde_speedup_vs_sklearn``: the same KDE on a 128² grid for N = 10,000 points, against scikit-learn's
   ``KernelDensity(kernel="gaussian", bandwidth=h).score_samples`` on the 128² cell centres, in the same
   run: ratio of the times (one sklearn call against the median of ours). The two grids must agree: the
   largest difference of the densities, relative to their maximum, is reported and asserted ≤ 1e-3.

3. ``density_drag_frame_ms``: the real Density dock on the real compute worker: one move of the held
   bandwidth slider until the refitted KDE's heatmap, contours and marginals are painted (median of 100
   moves); see :mod:`benchmarks._density_dock`.
4. ``gmm_heatmap_512_fps``: a K = 10 mixture's picture on 512² cells (log-density, marginals,
   conditional, log-likelihoods, colours, contours) redrawn per frame while a component is dragged: the
   worker's cost of such a frame of the dock's drag (see :mod:`benchmarks._density_dock`).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

REPEATS = 15
AGREEMENT = 1e-3  # max |ours - sklearn| / max(sklearn), on densities


def _data(n: int) -> np.ndarray:
    from vaeviz.core.data.density_presets import make_density_preset

    return make_density_preset("blobs", n, seed=0).points


def _rect(points: np.ndarray):
    from vaeviz.core.grid import data_rect

    return data_rect(points)


def _measure_kde_grid() -> dict:
    from vaeviz.core.density.kde import KdeSettings

    x = _data(100_000)
    rect = _rect(x)
    kde = KdeSettings("scott").fit(x)
    kde.log_density_grid(rect, 512)  # warm-up: caches the kernel spectrum
    warm = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        grid = kde.log_density_grid(rect, 512)
        warm.append((time.perf_counter() - t0) * 1000)
    assert np.isfinite(grid).all()
    cold = []
    for _ in range(5):
        fresh = KdeSettings("scott").fit(x)
        t0 = time.perf_counter()
        fresh.log_density_grid(rect, 512)
        cold.append((time.perf_counter() - t0) * 1000)
    return {"kde_grid_512_ms_n1e5": round(statistics.median(warm), 3),
            "details": {"kde_grid_512_ms_each": [round(t, 3) for t in warm],
                        "kde_grid_512_ms_cold": round(statistics.median(cold), 3),
                        "bandwidth": float(kde.bandwidth[0])}}


def _measure_speedup() -> dict:
    from sklearn.neighbors import KernelDensity

    from vaeviz.core.density.kde import KdeSettings
    from vaeviz.core.grid import cell_centres

    x = _data(10_000)
    rect = _rect(x)
    kde = KdeSettings("scott").fit(x)
    h = float(kde.bandwidth[0])
    ours = []
    for _ in range(REPEATS):
        fresh = KdeSettings(h).fit(x)  # a fresh fit: the kernel's spectrum is part of the time
        t0 = time.perf_counter()
        grid = fresh.log_density_grid(rect, 128)
        ours.append(time.perf_counter() - t0)
    xs, ys = cell_centres(rect, 128)
    gx, gy = np.meshgrid(xs, ys)
    centres = np.stack([gx.ravel(), gy.ravel()], axis=1)
    reference = KernelDensity(kernel="gaussian", bandwidth=h).fit(x)
    t0 = time.perf_counter()
    theirs = reference.score_samples(centres).reshape(128, 128)
    sklearn_s = time.perf_counter() - t0
    difference = float(np.abs(np.exp(grid) - np.exp(theirs)).max() / np.exp(theirs).max())
    assert difference <= AGREEMENT, f"binned KDE differs from scikit-learn by {difference:.3g} of the max"
    return {"kde_speedup_vs_sklearn": round(sklearn_s / statistics.median(ours), 1),
            "details": {"kde_grid_128_ms_n1e4": round(statistics.median(ours) * 1000, 3),
                        "sklearn_grid_128_ms_n1e4": round(sklearn_s * 1000, 1),
                        "max_relative_difference": difference}}


def _measure_dock_drag() -> dict:
    from benchmarks._density_dock import measure_drag
    from benchmarks._dock_frames import on_real_worker

    drag = on_real_worker(measure_drag)
    return {"density_drag_frame_ms": drag["median_ms"], "details": {"density_drag_frame": drag}}


def _measure_gmm_heatmap() -> dict:
    from benchmarks._density_dock import gmm_frame_times

    times = gmm_frame_times()
    median_ms = statistics.median(times) * 1000
    p90_ms = sorted(times)[int(0.9 * (len(times) - 1))] * 1000
    return {"gmm_heatmap_512_fps": round(1000.0 / median_ms, 1),
            "details": {"gmm_heatmap_512_frame_ms": round(median_ms, 3),
                        "gmm_heatmap_512_frame_p90_ms": round(p90_ms, 3)}}


def run() -> dict:
    metrics: dict = {}
    details: dict = {}
    for measure in (_measure_kde_grid, _measure_speedup, _measure_dock_drag, _measure_gmm_heatmap):
        result = measure()
        details.update(result.pop("details", {}))
        metrics.update(result)
    metrics["details"] = details
    return metrics

"""The Density benchmark's dock figures (figures 3 and 4 of :mod:`benchmarks.density`).

- ``density_drag_frame_ms``: a :class:`~vaeviz.ui.density.dock.DensityDock` on the real compute worker,
  shown at ``DOCK_SIZE`` with two moons (1,500 points) and a KDE whose bandwidth is set by hand. Each move
  of the held bandwidth slider (h swinging between 0.15 and 0.6, where the binned KDE works at the dock's
  cells) is timed from the slider's new value until the worker's answer — the KDE refitted, its log-density
  (128² while the slider is held; 200² on release), both marginals and the conditional, coloured with its
  contours — is in the dock and the event loop has delivered what that posted: the paint of every view that
  changed (each paints once; the rest of the dock is not repainted). Each move waits for its answer before
  the next one, so every figure is one move's whole round trip (a real drag drops the answers it overtakes).
- ``gmm_heatmap_512_fps``: what the worker computes for one frame while a component of a K = 10 mixture
  (EM's fit to 3,750 two-moons points) is dragged, on 512² cells: the moved mixture's log-density, its
  marginals, the conditional and both log-likelihoods (``moved_component_layer``, as the dock's drag asks
  for them), coloured with its contours (``ui.density.layers``); frames per second = 1000 / the median
  frame in ms. (The dock's drag draws 128² cells while the handle is held; 512² is the issue's figure.)
"""

from __future__ import annotations

import math
import time

import numpy as np

from benchmarks._dock_frames import close_dock, frame_stats_ms, shown_dock
from benchmarks._qt_wait import spin

MOVES = 100
TIMEOUT_S = 60.0
GMM_FRAMES = 60


def open_dock(bridge):
    """The Density dock on ``bridge``: two moons, a KDE with h = 0.3 by hand, shown and painted."""
    from dataclasses import replace

    from vaeviz.core.density.presets import preset
    from vaeviz.ui.density.dock import DensityDock

    state = preset("lecture-2d-density").state
    state = replace(state, settings=replace(state.settings, bandwidth_rule="manual", bandwidth=0.3))
    dock = shown_dock(DensityDock, bridge)
    lab = dock.lab
    lab.apply_state(state, reload_data=True)
    if not spin(lambda: lab.heat is not None and not lab.controller.busy and len(lab.points) == 1500,
                TIMEOUT_S):
        raise RuntimeError("the Density dock's first picture did not arrive")
    spin(lambda: False, 0.3)  # first layout and paints
    return dock


def drag_times(dock) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from vaeviz.ui.density.controls import slider_of_bandwidth

    lab = dock.lab
    arrived = [0]
    want = [0]
    loop = QEventLoop()
    on_heat = lab._on_heat

    def heat(value) -> None:  # the wait ends the moment the answer is in (no polling delay)
        on_heat(value)
        arrived[0] += 1
        if arrived[0] >= want[0]:
            loop.quit()

    lab._on_heat = heat  # the lab names it at each request: this wrapper notes each answer's arrival
    slider = lab.controls.bandwidth
    slider.setSliderDown(True)
    low, high = slider_of_bandwidth(0.15), slider_of_bandwidth(0.6)
    times = []
    try:
        for i in range(MOVES):
            position = round(low + (high - low) * (0.5 + 0.5 * math.sin(2 * math.pi * i / 25)))
            if position == slider.value():
                position += 1
            want[0] = arrived[0] + 1
            t0 = time.perf_counter()
            slider.setValue(position)
            timeout = QTimer()
            timeout.setSingleShot(True)
            timeout.timeout.connect(loop.quit)
            timeout.start(int(TIMEOUT_S * 1000))
            if arrived[0] < want[0]:
                loop.exec()
            timeout.stop()
            if arrived[0] < want[0]:
                raise RuntimeError("a bandwidth move's picture did not arrive")
            QApplication.processEvents()  # the posted updates: each changed view paints once
            times.append(time.perf_counter() - t0)
    finally:
        slider.setSliderDown(False)
        lab._on_heat = on_heat
    return times


def measure_drag(bridge) -> dict:
    dock = open_dock(bridge)
    try:
        return frame_stats_ms(drag_times(dock))
    finally:
        close_dock(dock)


def gmm_frame_times() -> list[float]:
    """What the worker computes for one frame of a component drag, on 512² cells (see the notes)."""
    from dataclasses import replace

    from vaeviz.core.data.density_presets import make_density_preset
    from vaeviz.core.density.lab import fit_layer, moved_component_layer, plot_rect
    from vaeviz.core.density.presets import preset
    from vaeviz.ui.density.layers import heat_of

    x = make_density_preset("two moons", 5000, 0).points
    train, held = x[:3750], x[3750:]
    state = preset("pdata-vs-pmodel").state
    state = replace(state, estimator="gmm", settings=replace(state.settings, components=10),
                    view=replace(state.view, samples=0))
    rect = plot_rect(x)
    fit = fit_layer(state, train, held, rect, 512)
    start = fit.fitted.gmm.means[0]
    times = []
    for i in range(GMM_FRAMES + 1):
        mean = start + 0.5 * np.array([math.cos(i / 5), math.sin(i / 5)])  # where the handle is now
        t0 = time.perf_counter()
        moved = moved_component_layer(fit, state, train, held, 0, mean, 512)
        heat = heat_of(moved, state.view.scale, False)
        elapsed = time.perf_counter() - t0
        assert np.isfinite(moved.log_density).all() and heat.pixels.shape == (512, 512)
        if i:  # (the first frame warms the caches)
            times.append(elapsed)
    return times

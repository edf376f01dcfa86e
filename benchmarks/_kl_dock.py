"""The KL benchmark's frame figures on the real KL dock (figures 3 and 4 of :mod:`benchmarks.kl`).

A :class:`~vaeviz.ui.kl.dock.KlDock` on the real compute worker, shown at ``DOCK_SIZE`` with the
``lecture-example-2`` preset (its two fits, its table of four KL values per q).

- A fit frame: the time from the runner's Step (the next frame: both q's ellipses, the traces, the table's
  Monte Carlo values, the grid values asked of the worker) until the event loop has delivered what was
  posted — the paint of every changed view (each paints once) and the answers that arrived meanwhile (the
  previous frame's grid values): what one frame of Run costs the GUI.
- A drag of p's mean: the time from a move of the mean (as the plot's drag signal gives it) until the
  worker's answer for that move, p's heatmap with its contours and both KL values of every q on show, is
  in the dock and the event loop has delivered what that posted: the paint of every view that changed
  (each paints once; the rest of the dock is not repainted, as in the app). Each move waits for its
  answer before the next one, so every figure is one move's whole round trip (a real drag drops the
  answers it overtakes).
"""

from __future__ import annotations

import math
import time

from benchmarks._dock_frames import close_dock, frame_stats_ms, shown_dock
from benchmarks._qt_wait import spin

FRAMES = 100
MOVES = 100
TIMEOUT_S = 60.0


def open_dock(bridge):
    """The KL dock on ``bridge`` with ``lecture-example-2``'s fits computed to their end, shown."""
    from dataclasses import replace

    from vaeviz.core.kl.presets import preset
    from vaeviz.ui.kl.dock import KlDock

    state = preset("lecture-example-2").state
    # one frame per step, so the fit has more than FRAMES frames to show
    state = replace(state, fit=replace(state.fit, steps_per_frame=1, max_steps=max(state.fit.max_steps,
                                                                                   FRAMES + 20)))
    dock = shown_dock(KlDock, bridge)
    lab = dock.lab
    lab.apply_state(state)
    if not spin(lambda: lab.runner.frames and lab.runner.frames[-1].done, TIMEOUT_S):
        raise RuntimeError("the KL dock's fit did not finish")
    spin(lambda: False, 0.3)  # first layout, heatmaps and paints
    return dock


def frame_times(dock) -> list[float]:
    from PySide6.QtWidgets import QApplication

    lab = dock.lab
    lab.runner.goto_step(0)
    QApplication.processEvents()
    times = []
    for _ in range(FRAMES):
        t0 = time.perf_counter()
        lab.runner.step()
        QApplication.processEvents()  # the posted updates: every view paints its new frame once
        times.append(time.perf_counter() - t0)
    return times


def drag_times(dock) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    lab = dock.lab
    view = lab.view
    arrived = [0]
    loop = QEventLoop()
    on_preview = view._on_drag_preview

    def preview(value) -> None:  # the wait ends the moment the answer is in (no polling delay)
        on_preview(value)
        arrived[0] += 1
        loop.quit()

    # the view asks for it by attribute at each request: this wrapper notes each answer's arrival
    view._on_drag_preview = preview
    plot = lab.figure.plots["forward"]
    x0, y0 = lab.state.target.means[0]
    times = []
    try:
        for i in range(MOVES):
            angle = 2 * math.pi * i / MOVES
            x, y = x0 + 1.5 * math.sin(angle), y0 + 1.0 - math.cos(angle)
            want = arrived[0] + 1
            t0 = time.perf_counter()
            plot.mean_dragged.emit(0, x, y, False)
            timeout = QTimer()
            timeout.setSingleShot(True)
            timeout.timeout.connect(loop.quit)
            timeout.start(int(TIMEOUT_S * 1000))
            if arrived[0] < want:
                loop.exec()
            timeout.stop()
            if arrived[0] < want:
                raise RuntimeError("a drag move's heatmap and KL values did not arrive")
            QApplication.processEvents()  # the posted updates: each changed view paints once
            times.append(time.perf_counter() - t0)
        plot.mean_dragged.emit(0, x0, y0, True)
        QApplication.processEvents()
    finally:
        view._on_drag_preview = on_preview
    return times


def measure(bridge) -> dict:
    """Both figures on one dock: ``{"frame": stats, "drag": stats}`` in milliseconds."""
    dock = open_dock(bridge)
    try:
        frames = frame_times(dock)
        drags = drag_times(dock)
    finally:
        close_dock(dock)
    return {"frame": frame_stats_ms(frames), "drag": frame_stats_ms(drags)}

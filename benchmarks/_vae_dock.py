"""The VAE benchmark's drag figures on the real latent dock (figures 1–3 of :mod:`benchmarks.vae`).

A :class:`~vaeviz.ui.vae.dock.LatentDock` on the real compute worker, shown at ``DOCK_SIZE``,
with the shipped MLP VAE loaded as on launch. A precise timer moves the dock's ⊕ every
``INPUT_INTERVAL_MS`` as a mouse drag does (``DragTarget.drag_to``, then ``release`` at the end); the
dock sends its own latest-wins decode requests and shows the results in its figure, which Qt repaints
when it schedules it (nothing is forced).

How "painted" is observed: an event filter on the figure's viewport delivers each paint event itself and
notes when it returned, i.e. when the frame, with the newest decoded image set before it, was drawn. The
dock's ``set_decoded`` is wrapped to note which update each decoded image belongs to (its z identifies
it: positions are float32-exact, and the worker returns z as float32).
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np

from benchmarks._qt_wait import heartbeat_ticks
from benchmarks._vae_jobs import HEARTBEAT_MS, INPUT_INTERVAL_MS, TIMEOUT_S, _ms_stats, _spin, _wait_s

DOCK_SIZE = (1280, 760)


class PaintClock:
    """Notes the end time of every paint of ``widget`` by delivering its paint events itself."""

    def __init__(self, widget, on_painted) -> None:
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtWidgets import QApplication

        clock = self

        class Filter(QObject):
            def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
                if event.type() != QEvent.Type.Paint or clock.inside:
                    return False
                clock.inside = True
                try:
                    t0 = time.perf_counter()
                    QApplication.sendEvent(obj, event)
                    t1 = time.perf_counter()
                finally:
                    clock.inside = False
                on_painted(t0, t1)
                return True

        self.inside = False
        self.widget = widget
        self.filter = Filter()
        widget.installEventFilter(self.filter)

    def remove(self) -> None:
        self.widget.removeEventFilter(self.filter)


class DockDrag:
    """One drag session on the dock's ⊕; :meth:`run` returns its figures."""

    def __init__(self, dock, role: str = "vae") -> None:
        from PySide6.QtCore import Qt, QTimer

        self.pane = dock.figure.panes[role]
        self.events: list[float] = []  # request time of update i
        self.index: dict[tuple[float, float], int] = {}  # position → update number
        self.shown = -1  # newest update whose decoded image has been set
        self.results: list[tuple[int, float]] = []  # (update, time its image was set)
        self.paints: list[tuple[int, float, float]] = []  # (update shown, paint end, paint seconds)
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(INPUT_INTERVAL_MS)
        self.timer.timeout.connect(self._move)
        self._end = 0.0
        self._set_decoded = self.pane.set_decoded
        self.pane.set_decoded = self._on_decoded  # the controller looks the method up on the pane
        self.clock = PaintClock(dock.figure.viewport(), self._on_painted)

    def _position(self, i: int) -> tuple[float, float]:
        # A Lissajous stroke that never repeats exactly; float32 values, so the decoded z maps back.
        x = np.float32(2.2 * math.cos(0.013 * i))
        y = np.float32(1.6 * math.sin(0.029 * i))
        return float(x), float(y)

    def _move(self) -> None:
        now = time.perf_counter()
        if now >= self._end:
            self.timer.stop()
            return
        i = len(self.events)
        xy = self._position(i)
        self.index[xy] = i
        self.events.append(now)
        self.pane.target.drag_to(*xy)

    def _on_decoded(self, image, z) -> None:
        i = self.index.get((float(np.float32(z[0])), float(np.float32(z[1]))), -1)
        if i >= 0:
            self.shown = max(self.shown, i)
            self.results.append((i, time.perf_counter()))
        self._set_decoded(image, z)

    def _on_painted(self, t0: float, t1: float) -> None:
        self.paints.append((self.shown, t1, t1 - t0))

    @property
    def done(self) -> bool:
        return not self.timer.isActive() and self.shown == len(self.events) - 1 and \
            bool(self.paints) and self.paints[-1][0] == self.shown

    def run(self, seconds: float) -> dict:
        self._end = time.perf_counter() + seconds
        self.timer.start()
        finished = _spin(lambda: self.done, seconds + TIMEOUT_S)
        self.close()
        self.pane.target.release()  # the mouse button is released
        if not finished:
            raise RuntimeError(f"dock drag did not finish: update {self.shown} shown of {len(self.events)}")
        return self.figures()

    def close(self) -> None:
        self.timer.stop()
        self.clock.remove()
        del self.pane.set_decoded  # back to the class's method

    def figures(self) -> dict:
        events = np.array(self.events)
        shown = np.array([s for s, _, _ in self.paints])
        ends = np.array([t for _, t, _ in self.paints])
        first = np.searchsorted(shown, np.arange(len(events)), side="left")  # first paint showing >= update i
        latency = ends[first] - events
        new_images = int(np.count_nonzero(np.diff(shown) > 0)) + int(shown[0] >= 0)
        span = ends[-1] - events[0]
        to_result = [t - events[i] for i, t in self.results]
        to_paint = [ends[np.searchsorted(shown, i)] - t for i, t in self.results]
        return {"hz": round(new_images / span, 1), "updates_per_s": round(len(events) / span, 1),
                **_ms_stats("event_to_paint_", list(latency)),
                **_ms_stats("request_to_image_set_", to_result),
                **_ms_stats("image_set_to_painted_", to_paint),
                "paint_p50_ms": round(statistics.median(p for _, _, p in self.paints) * 1000, 3),
                "paints": len(self.paints), "decoded_images_painted": new_images, "updates": len(events),
                "seconds": round(span, 3)}


def heartbeat(seconds: float) -> dict:
    """A ``HEARTBEAT_MS`` precise timer in this (GUI) thread; gaps beyond its interval are stalls."""
    from benchmarks import percentile

    ticks = heartbeat_ticks(seconds, HEARTBEAT_MS)
    gaps = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)]
    return {"max_stall_ms": round(max(0.0, max(gaps) - HEARTBEAT_MS), 3),
            "stall_p99_ms": round(max(0.0, percentile(gaps, 99) - HEARTBEAT_MS), 3), "heartbeats": len(ticks)}


def open_dock(bridge):
    """The latent dock on ``bridge``, shown at ``DOCK_SIZE``, its shipped models loaded."""
    from vaeviz.ui.vae.dock import LatentDock

    dock = LatentDock(bridge)
    dock.resize(*DOCK_SIZE)
    dock.show()
    dock.ensure_started()
    # the driver waits here, at its top level (the dock itself never runs a nested event loop)
    if not _spin(lambda: dock.session.ready(dock.figure.roles()), TIMEOUT_S):
        raise RuntimeError("the latent dock did not load its shipped model")
    _wait_s(0.3)  # first layout and paints
    return dock


def train_in_dock(dock, seconds_before: float = 0.5):
    """Start the dock's own training (the shipped model, continued) and wait until reports flow."""
    if not dock.start_training(fresh=False):
        raise RuntimeError("the latent dock did not start training")
    if not _spin(lambda: dock.session.training and dock.training.curve_points() >= 2, TIMEOUT_S):
        raise RuntimeError("training in the latent dock did not report progress")
    _wait_s(seconds_before)


def stop_training(dock) -> None:
    dock.session.stop()
    if not _spin(lambda: not dock.session.training, TIMEOUT_S):
        raise RuntimeError("training in the latent dock did not stop")

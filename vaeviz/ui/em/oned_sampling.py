"""Sampling the 1-D mixture, animated: each tick of a timer draws z ~ Cat(π) then x | z ~ N(μ_z, σ_z²)
(:mod:`vaeviz.ui.em.generative`) and the 1-D view shows the points coloured by z and their running
histogram next to the marginal p(x).

The first draws come one per tick, so the two stages can be followed; then the batches grow, so the
histogram approaches p(x) after a few dozen ticks. New mixture values start the samples again.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from vaeviz.ui.em.generative import draw_samples

TICK_MS = 60
ONE_BY_ONE = 12  # the first draws, one per tick
MAX_SAMPLES = 4000  # then it stops by itself: the histogram is close to p(x)


class Sampler(QObject):
    """Draws samples on a timer; emits ``changed(z, x)`` with all of them so far and ``running(bool)``."""

    changed = Signal(object, object)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, seed: int = 0) -> None:
        super().__init__(parent)
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self._on_tick)
        self.seed = seed
        self.params: tuple = ((0.5, 0.5), (-10.0, 10.0), (5.0, 5.0))
        self._rng = np.random.default_rng(seed)
        self.z = np.zeros(0, dtype=np.intp)
        self.x = np.zeros(0)

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    @property
    def count(self) -> int:
        return len(self.x)

    def set_params(self, weights, means, sigmas) -> None:
        """The mixture to sample; samples of other values are dropped."""
        params = (tuple(weights), tuple(means), tuple(sigmas))
        if params != self.params:
            self.params = params
            if self.count:
                self.clear()

    def start(self) -> None:
        if self.count >= MAX_SAMPLES:
            self.clear()
        if not self.running:
            self.timer.start()
            self.running_changed.emit(True)

    def stop(self) -> None:
        if self.running:
            self.timer.stop()
            self.running_changed.emit(False)

    def clear(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self.z = np.zeros(0, dtype=np.intp)
        self.x = np.zeros(0)
        self.changed.emit(self.z, self.x)

    def batch_size(self) -> int:
        """How many to draw next: one at a time at first, then about a sixth of those drawn so far."""
        n = self.count
        return 1 if n < ONE_BY_ONE else min(max(n // 6, 1), MAX_SAMPLES - n)

    @Slot()
    def _on_tick(self) -> None:
        z, x = draw_samples(self._rng, *self.params, self.batch_size())
        self.z = np.concatenate([self.z, z])
        self.x = np.concatenate([self.x, x])
        self.changed.emit(self.z, self.x)
        if self.count >= MAX_SAMPLES:
            self.stop()

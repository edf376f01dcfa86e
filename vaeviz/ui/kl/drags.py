"""Dragging in the KL lab: q's start (⊕), p's means (●) and covariance handles (◆).

A drag's moves preview p (its heatmap and the table's KL values of the q's on show streamed from the worker,
``kl:drag``, one request per move; the handles follow in every plot); the release applies the new state
through the lab's ``apply_state``, which restarts the fits. The covariance handle sits at mean + L e₁ (L:
Σ's Cholesky factor), on p's 1σ ellipse: it sets L₁₁ and L₂₁ and keeps L₂₂, so Σ = L Lᵀ stays positive
definite as long as L₁₁ > 0 — a drag across the mean would break that, so L₁₁ is clamped at
:data:`MIN_SPREAD` with a message.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Slot

from vaeviz.core.kl.state import COORDINATE_RANGE, TargetChoice
from vaeviz.core.kl.targets import TargetError

MIN_SPREAD = 0.15  # L₁₁'s floor: the smallest x-spread a covariance handle can give
CLAMP_MESSAGE = (f"p's covariance must stay positive definite: the handle stops at an x-spread of "
                 f"{MIN_SPREAD:g}")


def cov_handle(mean, cov) -> tuple[float, float]:
    """Where a component's covariance handle sits: mean + the first column of Σ's Cholesky factor."""
    chol = np.linalg.cholesky(np.asarray(cov, dtype=np.float64))
    return float(mean[0] + chol[0, 0]), float(mean[1] + chol[1, 0])


def cov_from_handle(mean, cov, x: float, y: float) -> tuple[tuple[tuple[float, float], ...], bool]:
    """The covariance a handle at (x, y) sets, and whether it had to be clamped to stay positive definite."""
    chol = np.linalg.cholesky(np.asarray(cov, dtype=np.float64))
    l11, l21, l22 = x - mean[0], y - mean[1], chol[1, 1]
    clamped = not (math.isfinite(l11) and l11 >= MIN_SPREAD)
    l11 = MIN_SPREAD if clamped else min(l11, math.sqrt(COORDINATE_RANGE))
    l21 = float(np.clip(l21, -math.sqrt(COORDINATE_RANGE), math.sqrt(COORDINATE_RANGE)))
    sigma = ((l11 * l11, l11 * l21), (l11 * l21, l21 * l21 + l22 * l22))
    return sigma, clamped


class Drags(QObject):
    def __init__(self, lab) -> None:
        super().__init__(lab)
        self.lab = lab
        self.preview: TargetChoice | None = None  # p while a drag of its handles is under way
        figure = lab.figure
        for plot in (*figure.plots.values(), figure.vi.posterior, figure.oned):
            plot.start_dragged.connect(self.on_start)
        for plot in (*figure.plots.values(), figure.oned):
            plot.mean_dragged.connect(self.on_mean)
        for plot in figure.plots.values():
            plot.cov_dragged.connect(self.on_cov)

    def show_handles(self, target: TargetChoice | None = None) -> None:
        """Place every handle where the state (or a drag's ``target``) puts it."""
        state = self.lab.state
        target = target or state.target
        figure = self.lab.figure
        start = state.fit.start_mean
        if state.mode == "1d":
            figure.oned.show_handles(start[0], [m[0] for m in target.means])
            return
        if state.mode == "vi":
            figure.vi.posterior.show_start(start)
            return
        gaussian = target.kind in ("gaussian", "mixture")
        k = 1 if target.kind == "gaussian" else len(target.means)
        means = [target.means[j] for j in range(k)] if gaussian else []
        covs = [cov_handle(target.means[j], target.covariances[j]) for j in range(k)] if gaussian else []
        for plot in figure.plots.values():
            plot.show_start(start)
            plot.show_p_handles(means, covs)

    # ----- q's start ---------------------------------------------------------------------------------
    @Slot(float, float, bool)
    def on_start(self, x: float, y: float, finished: bool) -> None:
        if not finished:
            return  # the start only matters to a new fit: nothing to preview
        state = self.lab.state
        start = (x,) if state.mode == "1d" else (x, y)
        if any(not math.isfinite(v) or abs(v) > COORDINATE_RANGE for v in start):
            self.show_handles()
            return
        self.lab.apply_state(replace(state, fit=replace(state.fit, start_mean=start)))

    # ----- p's means and covariances ------------------------------------------------------------------
    @Slot(int, float, float, bool)
    def on_mean(self, j: int, x: float, y: float, finished: bool) -> None:
        target = self.preview or self.lab.state.target
        if j >= len(target.means):
            return
        x, y = (float(np.clip(v, -COORDINATE_RANGE, COORDINATE_RANGE)) for v in (x, y))
        means = list(target.means)
        means[j] = (x,) if target.dim == 1 else (x, y)
        self._moved(replace(target, means=tuple(means)), finished)

    @Slot(int, float, float, bool)
    def on_cov(self, j: int, x: float, y: float, finished: bool) -> None:
        target = self.preview or self.lab.state.target
        if j >= len(target.means):
            return
        sigma, clamped = cov_from_handle(target.means[j], target.covariances[j], x, y)
        covs = list(target.covariances)
        covs[j] = sigma
        self._moved(replace(target, covariances=tuple(covs)), finished, CLAMP_MESSAGE if clamped else None)

    def _moved(self, target: TargetChoice, finished: bool, note: str | None = None) -> None:
        try:
            p = target.build()
        except (TargetError, ValueError) as err:  # (cannot happen with the clamps; refused all the same)
            self.lab.controller.report(str(err))
            self.show_handles(self.preview)
            return
        if finished:
            self.preview = None
            self.lab.apply_state(replace(self.lab.state, target=target))
            self.show_handles()
        else:
            self.preview = target
            self.show_handles(target)
            self.lab.view.preview_target(p)
        if note is not None:  # after apply_state, which clears the last message
            self.lab.controller.report(note, "info")

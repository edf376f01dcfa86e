"""What the lab draws from its state and the shown frame: p's heatmap, the fitted q's, the traces, the
table and the Explain pane's numbers, and the requests that compute them in the worker (``kl:heat``,
``kl:grid``, ``kl:optima``, ``kl:check``; ``kl:drag`` while p is dragged). Several starts and the "q = p"
check are drawn here too."""

from __future__ import annotations

import html
import math
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Slot

from vaeviz.core.jobs import single
from vaeviz.core.kl.fit import KLEstimate
from vaeviz.core.kl.lab import StartsResult, kl_values, known_optima, p_as_q
from vaeviz.core.kl.posterior import elbo_by_quadrature
from vaeviz.core.kl.state import KLLabState
from vaeviz.core.kl.targets import Gaussian
from vaeviz.ui.kl.explain import explain_html
from vaeviz.ui.kl.layers import (
    HEAT_CELLS,
    QUADRATURE_CELLS,
    DragPreview,
    GridValues,
    drag_job,
    grid_job,
    heat_job,
    heat_of,
)
from vaeviz.ui.kl.numbers import Row

VI_EXTENT = ((-3.0, 3.0), (-3.0, 3.0))  # the toy posterior's modes lie within ±2
ROW_NAMES = {"forward": "fit by KL(p‖q)", "reverse": "fit by KL(q‖p)", "alpha": "fit by D_α"}
DISTINCT = 0.5  # fits whose means end closer than this found the same optimum


def extent_of(state: KLLabState) -> tuple[tuple[float, float], ...]:
    """The plotted box: ±6 around the origin, larger when p reaches further (a fixed box while dragging)."""
    if state.mode == "vi":
        return VI_EXTENT
    t = state.target
    if t.kind == "banana":
        a, b = t.banana
        top = max(3.0, b * 8 * a * a)
        return ((-4.0 * a, 4.0 * a), (-top / 2 - 1.0, top / 2 + 1.0 + abs(b) * a * a))
    if t.kind == "ring":
        half = t.ring[0] + 4 * t.ring[1] + 1.5
        return ((-half, half), (-half, half))
    reach = max(abs(m) + 3.5 * math.sqrt(max(c[i][i], 0.0)) for m_vec, c in zip(t.means, t.covariances,
                                                                                strict=True)
                for i, m in enumerate(m_vec))
    half = float(max(6.0, math.ceil(reach)))
    return ((-half, half),) * t.dim


def optima_rows(state: KLLabState) -> list[Row]:
    """Rows for the analytic optima known for this p and family (run in the worker: a banana's or a
    ring's moments come from 200,000 samples)."""
    if state.mode == "vi":
        return []
    p = state.target.build()
    optima = known_optima(p, state.fit.family)
    rows = []
    if optima.forward is not None:
        rows.append(Row("optimum of KL(p‖q)", optima.forward, *kl_values(p, optima.forward)))
    if optima.reverse_diag_variances is not None:
        q = Gaussian(p.mean, np.diag(optima.reverse_diag_variances))
        rows.append(Row("optimum of KL(q‖p)", q, *kl_values(p, q)))
    return rows


def vi_grid(state: KLLabState, q: Gaussian, log_evidence: float) -> GridValues:
    """KL(q ‖ p(z|x)) = log p(x) − ELBO(q), the ELBO by quadrature."""
    return GridValues((math.nan,), (log_evidence - elbo_by_quadrature(state.vi.model(), q, 400),))


def distinct_optima(qs: list[Gaussian]) -> list[Gaussian]:
    found: list[Gaussian] = []
    for q in qs:
        if all(np.linalg.norm(q.mean - f.mean) > DISTINCT for f in found):
            found.append(q)
    return found


class FrameView(QObject):
    def __init__(self, lab) -> None:
        super().__init__(lab)
        self.lab = lab
        self.extent = ((-6.0, 6.0), (-6.0, 6.0))
        self.rows: list[Row] = []
        self.optima: list[Row] = []
        self.frame = None
        self._grid_for: tuple | None = None
        self._previewing = False  # a drag of p is under way: its answers are shown until the release

    @property
    def figure(self):
        return self.lab.figure

    @property
    def state(self) -> KLLabState:
        return self.lab.state

    # ----- p -------------------------------------------------------------------------------------
    def set_extent(self, extent) -> None:
        self.extent = extent
        if len(extent) == 1:
            self.figure.oned.set_range(extent)
        elif self.state.mode == "vi":
            self.figure.vi.posterior.set_range(extent)
        else:
            for plot in self.figure.plots.values():
                plot.set_range(extent)

    def request_heat(self) -> None:
        """p's heatmap and contours for the state, from the worker."""
        state, dark, extent = self.state, self.lab.dark, self.extent
        self._previewing = False
        if state.mode == "vi":
            factory = single(lambda ctx: heat_of(state.vi.model().posterior(), extent, dark))
        else:
            factory = heat_job(state.target.build(), extent, dark, HEAT_CELLS)
        self.lab.controller.request("heat", factory, self._on_heat)

    @Slot(object)
    def _on_heat(self, heat) -> None:
        if self.state.mode == "1d":
            self.figure.oned.set_heat(heat)
        elif self.state.mode == "vi":
            self.figure.vi.posterior.set_heat(heat)
        else:
            for plot in self.figure.plots.values():
                plot.set_heat(heat)

    def request_optima(self) -> None:
        state = self.state
        self.optima = []
        self.lab.controller.request("optima", single(lambda ctx: optima_rows(state)), self._on_optima)

    @Slot(object)
    def _on_optima(self, rows: list[Row]) -> None:
        self.optima = rows
        self._show_rows(self._fit_rows())

    # ----- a frame ---------------------------------------------------------------------------------
    @Slot(object)
    def show_frame(self, frame) -> None:
        self.frame = frame
        runner = self.lab.runner
        shown = runner.frames[: runner.pos + 1]
        if self.state.mode == "vi":
            self.figure.vi.show_frame(frame, shown[0] if shown else None)
            self.figure.trace.set_vi(shown)
        else:
            for role in ("forward", "reverse", "alpha"):
                fit = getattr(frame, role)
                q = fit.q if fit is not None else None
                if self.state.mode == "1d":
                    self.figure.oned.set_q(role, q)
                else:
                    self.figure.plots[role].set_q(q)
            self.figure.trace.set_frames(shown, self.state.fit.alpha, runner.frames)
        stopped = getattr(frame, "stopped", None)
        if stopped:
            self.lab.controller.report(html.escape(stopped, quote=False))
        self._show_rows(self._fit_rows())

    def _fit_rows(self) -> list[Row]:
        frame = self.frame
        if frame is None:
            return list(self.optima)
        if self.state.mode == "vi":
            return [Row("q by max ELBO", frame.q, None, KLEstimate(frame.kl, frame.elbo_stderr))]
        rows = [Row(ROW_NAMES[role], fit.q, fit.forward, fit.reverse)
                for role in ("forward", "reverse", "alpha") if (fit := getattr(frame, role)) is not None]
        return rows + list(self.optima)

    def _show_rows(self, rows: list[Row]) -> None:
        self.rows = rows
        self.figure.table.set_rows(rows)
        self._request_grid()
        self.update_explain()

    def _request_grid(self) -> None:
        """Both KL values of every row's q by quadrature, against p."""
        state, extent = self.state, self.extent
        qs = tuple(r.q for r in self.rows)
        shown = tuple(None if q is None else (q.mean.tobytes(), q.cov.tobytes()) for q in qs)
        key = (state, shown)
        if key == self._grid_for:
            return
        self._grid_for = key
        if state.mode == "vi":
            if self.frame is None:
                return
            q, evidence = self.frame.q, self.frame.log_evidence
            factory = single(lambda ctx: vi_grid(state, q, evidence))
        else:
            factory = grid_job(state.target.build(), qs, extent, QUADRATURE_CELLS)
        self.lab.controller.request("grid", factory, self._on_grid)

    def preview_target(self, target) -> None:
        """A drag moves p (``target``): its heatmap and the table's KL values for the q's on show follow it,
        streamed (one request per move, the newest wins) until the release applies the state."""
        self._previewing = True
        self._grid_for = None  # the release asks for the values of the p it applies, even if p is back
        # the fits' Monte Carlo values are of the p before the drag: "—" until its release refits
        self.figure.table.set_rows([replace(r, forward=None, reverse=None) for r in self.rows])
        factory = drag_job(target, tuple(r.q for r in self.rows), self.extent, self.lab.dark)
        self.lab.controller.stream("drag", factory, self._on_drag_preview)

    @Slot(object)
    def _on_drag_preview(self, preview: DragPreview) -> None:
        if self._previewing:  # a late answer to a drag that has been released is not shown
            self._on_heat(preview.heat)
            self._on_grid(preview.grid)

    @Slot(object)
    def _on_grid(self, values: GridValues) -> None:
        self.figure.table.set_grid(values.forward, values.reverse)
        self.update_explain()

    def update_explain(self) -> None:
        """The Explain pane's numbers, when it is seen (or the fit is not running: presets, exports)."""
        if not (self.lab.explain.isVisible() or not self.lab.runner.playing):
            return
        frame = self.frame
        vi = None
        if frame is not None and self.state.mode == "vi":
            vi = (frame.log_evidence, frame.elbo, frame.kl)
        self.lab.explain.show_html(explain_html(
            self.state.mode, None if frame is None else frame.step, self.rows, self.figure.table.grid, vi,
            getattr(frame, "stopped", None)))

    # ----- several starts and q = p ------------------------------------------------------------------
    def clear_starts(self) -> None:
        self.figure.plots["reverse"].set_starts((), ())
        self.figure.plots["reverse"].set_note("")

    @Slot(object)
    def show_starts(self, result: StartsResult) -> None:
        ends = [e.q for e in result.reverse_ends]
        self.figure.plots["reverse"].set_starts(result.starts, tuple(ends))
        found = distinct_optima(ends)
        self.figure.plots["reverse"].set_note(
            f"{len(ends)} random starts (●) → {len(found)} different local optima (thin ellipses)")
        means = "; ".join("(" + ", ".join(f"{v:.2f}" for v in q.mean) + ")" for q in found)
        forward = ", ".join(f"{v:.2f}" for v in result.forward_end.q.mean)
        self.lab.controller.report(
            f"KL(q‖p) from {len(ends)} random starts ended at {len(found)} different optima (means {means}); "
            f"KL(p‖q) has one, at ({forward}).", "info")

    def show_q_equals_p(self) -> None:
        state = self.state
        q = p_as_q(state) if state.mode != "vi" else None
        if q is None:
            self.lab.controller.report(
                "q = p needs p in q's family: a Gaussian p (a full-covariance q for a correlated p, a "
                "diagonal one for an axis-aligned p).", "info")
            return
        self.lab.runner.pause()
        p = state.target.build()
        self.lab.controller.request("check", single(lambda ctx: kl_values(p, q)), self._on_check)

    @Slot(object)
    def _on_check(self, values) -> None:
        forward, reverse = values
        q = p_as_q(self.state)
        for role in ("forward", "reverse"):
            self.figure.plots[role].set_q(q)
        self.lab.controller.report(f"q = p: KL(p‖q) = {forward.value:.3g} and KL(q‖p) = {reverse.value:.3g} "
                                   "— both 0, as D(p‖q) = 0 exactly when p = q.", "info")
        self._show_rows([Row("q = p", q, forward, reverse)])

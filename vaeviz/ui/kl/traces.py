"""Each fit's own objective per step: KL(p‖q) for the forward fit, KL(q‖p) for the reverse one, D_α for
the α fit (and, in the VI view, the ELBO below the line log p(x))."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from vaeviz.ui.items.axes import IntegerAxis
from vaeviz.ui.items.legend import add_legend, style_legend
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.kl.density_plot import ROLE_COLOURS, style_plot
from vaeviz.ui.theme import plot_colours

TRACE_NAMES = {"forward": "KL(p‖q) of the forward fit", "reverse": "KL(q‖p) of the reverse fit",
               "alpha": "D_α of the α fit"}


def objective_of(frame, role: str, alpha: float) -> float:
    """The value the ``role`` fit minimises, as a divergence (nats)."""
    if role == "forward":
        return frame.forward.forward.value
    if role == "reverse":
        return frame.reverse.reverse.value
    fit = frame.alpha
    # the fit's loss is −E_q[(p/q)^α] / (α(1−α)); D_α adds 1 / (α(1−α))
    return math.nan if fit is None else fit.objective + 1.0 / (alpha * (1.0 - alpha))


class TracePlot(pg.PlotWidget):
    def __init__(self) -> None:
        super().__init__(axisItems={"bottom": IntegerAxis("bottom")})
        self.dark = False
        plot = self.getPlotItem()
        plot.setTitle("Each fit's objective per step", size="10pt")
        setup_data_plot(plot, "step", "nats")
        plot.setMenuEnabled(False)
        plot.hideButtons()
        self.legend = add_legend(plot, offset=(-6, 6), size="8pt")
        self.curves: dict[str, pg.PlotCurveItem] = {}
        for role, name in TRACE_NAMES.items():
            curve = pg.PlotCurveItem()
            plot.addItem(curve)
            self.curves[role] = curve
            self.legend.addItem(curve, name)
        self._range: tuple | None = None  # the ranges set for the fit's frames (None: automatic)
        self._extent_for: tuple | None = None  # which frames the ranges were set for
        self.evidence = pg.InfiniteLine(angle=0, movable=False)
        self.evidence.setVisible(False)
        plot.addItem(self.evidence)
        self.apply_theme(False)

    def set_frames(self, frames, alpha: float, every=None) -> None:
        """The traces up to the shown frame (a NaN value is left out, never drawn), in axes that fit
        ``every`` frame of the fit (all frames that have arrived): the curves grow into a still frame
        while the fit plays, and the axes are not laid out again for each frame."""
        steps = np.array([f.step for f in frames], dtype=float)
        for role, curve in self.curves.items():
            values = np.array([objective_of(f, role, alpha) for f in frames], dtype=float)
            keep = np.isfinite(values)
            curve.setData(steps[keep], values[keep])
            curve.setVisible(bool(keep.any()))
            self._show_in_legend(curve, bool(keep.any()))
        every = every or frames
        key = (id(every[0]) if every else None, len(every), alpha)
        if key != self._extent_for:  # the whole fit's extent: computed again only when frames arrive
            self._extent_for = key
            whole = np.array([[objective_of(f, role, alpha) for role in self.curves] for f in every], float)
            whole = whole[np.isfinite(whole)]
            last = max([f.step for f in every], default=0)
            self._set_range((0.0, float(max(last, 1))),
                            (float(whole.min()), float(whole.max())) if whole.size else None)

    def _set_range(self, x: tuple[float, float], y: tuple[float, float] | None) -> None:
        if y is not None and y[1] - y[0] < 1e-9:
            y = (y[0] - 0.5, y[1] + 0.5)  # a flat trace still gets a readable axis
        wanted = (x, y)
        if wanted == self._range:
            return
        self._range = wanted
        view = self.getPlotItem().getViewBox()
        view.setXRange(*x, padding=0.02)
        if y is not None:
            view.setYRange(*y, padding=0.06)

    def set_vi(self, frames) -> None:
        """The VI view: the ELBO per step below the dashed line log p(x)."""
        self._range = self._extent_for = None
        self.getPlotItem().getViewBox().enableAutoRange()
        for role, curve in self.curves.items():
            curve.setVisible(role == "reverse")
        steps = np.array([f.step for f in frames], dtype=float)
        elbo = np.array([f.elbo for f in frames], dtype=float)
        keep = np.isfinite(elbo)
        self.curves["reverse"].setData(steps[keep], elbo[keep])
        if frames and math.isfinite(frames[-1].log_evidence):
            self.evidence.setPos(frames[-1].log_evidence)
            self.evidence.setVisible(True)
        self.legend.clear()
        self.legend.addItem(self.curves["reverse"], "ELBO of q (dashed: log p(x))")
        style_legend(self.legend, self.dark)

    def _show_in_legend(self, curve, on: bool) -> None:
        for sample, label in self.legend.items:
            if sample.item is curve:
                sample.setVisible(on)
                label.setVisible(on)

    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        colours = ROLE_COLOURS[dark]
        self.setBackground(plot_colours(dark)["background"])
        style_plot(self.getPlotItem(), dark)
        for role, curve in self.curves.items():
            curve.setPen(pg.mkPen(colours[role], width=2))
        self.evidence.setPen(pg.mkPen(plot_colours(dark)["foreground"], width=2, style=Qt.PenStyle.DashLine))
        style_legend(self.legend, dark)

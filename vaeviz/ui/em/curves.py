"""The curves under the scatter: log-likelihoods, BIC/AIC, draggable weights π and k-means' objective.

x is the absolute half-step number (init = 0, then E, M, E, …; the oldest may have been dropped), the
scrubber's unit, so a vertical line can show where the scrubber is. A singular frame has likelihood +∞:
the curve stops and says so instead.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont

from vaeviz.ui.em.colours import colour
from vaeviz.ui.em.em_view import style_plot
from vaeviz.ui.items.cheap_items import Markers, Polylines
from vaeviz.ui.items.plot_grid import show_cached_grid
from vaeviz.ui.theme import plot_colours

MARGINAL = "#1f5fa8"
COMPLETE = "#d9822b"
BIC = "#6a3d9a"
AIC = "#33a02c"


def _small_plot(layout: pg.GraphicsLayout, title: str, bottom: str = "half-step") -> pg.PlotItem:
    plot = layout.addPlot(title=title)
    plot.titleLabel.setText(title, size="9pt")
    show_cached_grid(plot)
    plot.setLabel("bottom", bottom)
    font = QFont()
    font.setPointSizeF(8.0)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.enableAutoSIPrefix(False)
        axis.setStyle(tickTextOffset=2)
        axis.setTickFont(font)
    # A fixed width that fits "-1.05e+06": pyqtgraph only widens an axis after a first paint, too late
    # for a figure exported straight after it is laid out (the labels would be dropped).
    plot.getAxis("left").setWidth(60)
    plot.setMenuEnabled(False)
    return plot


def _lines(plot: pg.PlotItem) -> Polylines:
    lines = Polylines()
    plot.addItem(lines)
    return lines


def _nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 3, 5 or 7.5 × 10^k) at or above ``value``."""
    power = 10.0 ** np.floor(np.log10(max(value, 1e-12)))
    return float(next(m * power for m in (1, 1.5, 2, 3, 5, 7.5, 10) if m * power >= value))


def _range_in_steps(plot: pg.PlotItem, x_max: float, ys: list[np.ndarray], x_min: float = 0.0) -> None:
    """Show [0, x_max] and the values ``ys``, changing the range only when they leave it (or fill only a
    small part of it), with room to grow. Auto-range moved it at every EM frame, and each move redraws the
    axes with their grid lines (~3 ms a plot): the x range now grows by half again or more each time
    (7 moves from 4 to 200 half-steps), the y range when the values leave it, by 60 % of their span
    beyond them on that side."""
    values = np.concatenate([y[np.isfinite(y)] for y in ys]) if ys else np.zeros(0)
    (_x0, x1), (y0, y1) = now = plot.getViewBox().viewRange()
    # From the oldest kept half-step ``x_min`` (0 unless older ones were dropped); widths relative to it.
    x1 -= x_min
    x_max -= x_min
    if values.size == 0:  # nothing yet (k-means has no objective before its first step): a plain frame
        empty = [[0.0, 4.0], [0.0, 1.0]]
        if now != empty:  # pyqtgraph's range of no data has ticks like "1e-163"
            plot.setRange(xRange=empty[0], yRange=empty[1], padding=0)
        return
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo or max(abs(hi) * 0.05, 1e-9)
    if not (x_max + 0.5 <= x1 <= 2.5 * max(x_max, 3.0)):  # the newest point half a step inside, at least
        x1 = _nice_ceiling(max(1.5 * x_max, x_max + 0.5, 4.0))
    x0, x1 = x_min, x1 + x_min
    if lo < y0 or hi > y1 or (y1 - y0) > 6 * span:
        # Room to grow on the side the values left by (a rising log-likelihood leaves by the top).
        below = 0.6 if lo < y0 else 0.15
        above = 0.6 if hi > y1 else 0.15
        y0, y1 = lo - below * span, hi + above * span
    if [[x0, x1], [y0, y1]] != now:  # (setRange costs ~0.1 ms even when nothing moves)
        plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)


class CurvesView(pg.GraphicsLayoutWidget):
    """Four small plots in a row; emits ``weight_edited(k, value, finished)`` when a π handle is dragged."""

    weight_edited = Signal(int, float, bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("em-curves")
        self.setMinimumHeight(150)
        self.ci.setContentsMargins(2, 2, 2, 2)
        # Coloured titles instead of legends: a legend would cover the curves of these small plots.
        self.ll = _small_plot(self.ci, f"<span style='color:{MARGINAL}'>marginal ℓ</span> and "
                                       f"<span style='color:{COMPLETE}'>complete-data ℓ<sub>c</sub></span>")
        # One Polylines item per plot draws its curves (a PlotCurveItem each added ~0.1 ms a frame).
        dash = Qt.PenStyle.DashLine
        self.pens = {"ll": pg.mkPen(MARGINAL, width=2), "cll": pg.mkPen(COMPLETE, width=2, style=dash),
                     "bic": pg.mkPen(BIC, width=2), "aic": pg.mkPen(AIC, width=2, style=dash),
                     "km": pg.mkPen("#444444", width=2)}
        self.ll_lines = _lines(self.ll)
        self.ll_dots = Markers("o", size=5, brush=MARGINAL)
        self.ll.addItem(self.ll_dots)
        self.inf_text = pg.TextItem("→ +∞", color="#c0392b", anchor=(1, 0))
        self.ll.addItem(self.inf_text)
        self.inf_text.hide()
        self.ic = _small_plot(self.ci, f"<span style='color:{BIC}'>BIC</span> / "
                                       f"<span style='color:{AIC}'>AIC</span> (lower is better)")
        self.ic_lines = _lines(self.ic)
        self.w = _small_plot(self.ci, "weights π (drag)", "component")
        self.w.setYRange(0, 1, padding=0.02)
        self.w.setMouseEnabled(x=False, y=False)
        self.w.getAxis("bottom").setTickSpacing(1, 1)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.w.addItem(self.bars)
        self.weight_handles: list[pg.TargetItem] = []
        self.km = _small_plot(self.ci, "k-means objective Σ‖x−c‖²")
        self.km_lines = _lines(self.km)
        self.cursors = []
        for plot in (self.ll, self.ic, self.km):
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(150, 150, 150, 200, width=1))
            plot.addItem(line)
            self.cursors.append(line)
        self.w.setMaximumWidth(200)  # a few bars need little room; the curves get the rest
        for col, stretch in enumerate((3, 2, 1, 2)):
            self.ci.layout.setColumnStretchFactor(col, stretch)
        self._km_shown = True
        self._updating = False
        self._weights_shown: np.ndarray | None = None
        self._complete = True
        self._history: tuple | None = None  # the last set_history arguments, to redraw with other pens
        self._drawn: dict[str, np.ndarray] = {}

    def show_kmeans(self, visible: bool) -> None:
        if visible == self._km_shown:
            return
        self._km_shown = visible
        if visible:
            self.ci.addItem(self.km, row=0, col=3)
        else:
            self.ci.removeItem(self.km)

    def show_complete(self, visible: bool) -> None:
        self._complete = visible
        self._redraw()

    def _redraw(self) -> None:
        if self._history is not None:
            self.set_history(*self._history)

    def curve(self, name: str) -> np.ndarray:
        """The points (n, 2) drawn for "ll", "cll", "bic", "aic" or "km" (empty when not drawn)."""
        return self._drawn.get(name, np.zeros((0, 2)))

    def set_history(self, ll: np.ndarray, cll: np.ndarray, bic: np.ndarray, aic: np.ndarray,
                    km: np.ndarray, m_steps: np.ndarray, first: int = 0) -> None:
        """Per-frame values (NaN where undefined; +inf where singular) from absolute half-step ``first``."""
        self._history = (ll, cll, bic, aic, km, m_steps, first)
        x = np.arange(first, first + len(ll), dtype=np.float64)
        self._drawn = {name: np.column_stack([x, v])[np.isfinite(v)]
                       for name, v in (("ll", ll), ("cll", cll), ("bic", bic), ("aic", aic), ("km", km))
                       if name != "cll" or self._complete}
        self.ll_lines.set_lines([(self._drawn[n], self.pens[n]) for n in ("ll", "cll") if n in self._drawn])
        self.ic_lines.set_lines([(self._drawn[n], self.pens[n]) for n in ("bic", "aic")])
        self.km_lines.set_lines([(self._drawn["km"], self.pens["km"])])
        finite = np.isfinite(ll)
        dots = finite & m_steps
        self.ll_dots.set_data(np.column_stack([x[dots], ll[dots]]))
        singular = np.flatnonzero(np.isposinf(ll))
        if singular.size and finite.any():
            self.inf_text.setPos(float(x[singular[0]]), float(np.nanmax(ll[finite])))
            self.inf_text.show()
        else:
            self.inf_text.hide()
        last = float(first + len(ll) - 1)
        _range_in_steps(self.ll, last, [ll[finite]] + ([cll] if self._complete else []), first)
        _range_in_steps(self.ic, last, [bic, aic], first)
        _range_in_steps(self.km, last, [km], first)

    def set_cursor(self, index: int) -> None:
        for line in self.cursors:
            line.setValue(index)

    # ----- weights -------------------------------------------------------------------------
    def set_weights(self, weights: np.ndarray | None, skip=None) -> None:
        if skip is None and weights is not None and np.array_equal(weights, self._weights_shown):
            return  # (an E frame keeps the weights; the bars cost ~0.3 ms to set)
        self._weights_shown = None if weights is None or skip is not None else np.array(weights)
        k = 0 if weights is None else len(weights)
        self.bars.setVisible(k > 0)
        if k:  # (pyqtgraph's BarGraphItem raises on empty pen lists)
            self.bars.setOpts(x=np.arange(1, k + 1), height=weights, width=0.6,
                              brushes=[colour(j, 170) for j in range(k)], pens=[pg.mkPen(None)] * k)
        while len(self.weight_handles) < k:
            j = len(self.weight_handles)
            handle = pg.TargetItem(size=11, symbol="t1", brush=pg.mkBrush(colour(j)),
                                   pen=pg.mkPen(20, 20, 20, width=1))
            handle.setToolTip(f"Drag to change π{j + 1}; the other weights rescale to keep Σπ = 1")
            handle.sigPositionChanged.connect(self._on_weight_moved)
            handle.sigPositionChangeFinished.connect(self._on_weight_finished)
            self.w.addItem(handle)
            self.weight_handles.append(handle)
        self._updating = True
        try:
            for j, handle in enumerate(self.weight_handles):
                handle.setVisible(j < k)
                if j < k and handle is not skip:
                    handle.setPos(j + 1.0, float(weights[j]))
        finally:
            self._updating = False
        self.w.setXRange(0.4, max(k, 1) + 0.6, padding=0)

    def dragging(self):
        return next((h for h in self.weight_handles if getattr(h, "moving", False)), None)

    def _weight_event(self, handle, finished: bool) -> None:
        if self._updating:
            return
        k = self.weight_handles.index(handle)
        value = float(np.clip(handle.pos().y(), 0.0, 1.0))
        self.weight_edited.emit(k, value, finished)

    @Slot(object)
    def _on_weight_moved(self, handle) -> None:
        self._weight_event(handle, False)

    @Slot(object)
    def _on_weight_finished(self, handle) -> None:
        self._weight_event(handle, True)

    def apply_theme(self, dark: bool) -> None:
        colours = plot_colours(dark)
        self.setBackground(colours["background"])
        for plot in (self.ll, self.ic, self.w, self.km):
            style_plot(plot, dark)
        self.pens["km"] = pg.mkPen(colours["foreground"], width=2)
        self._redraw()

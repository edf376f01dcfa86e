"""The curves under the scatter: log-likelihoods, their gap, BIC/AIC, draggable weights π and k-means'
objective, with a caption row under them for what a figure must say in words.

x is the absolute half-step number (init = 0, then E, M, E, …; the oldest may have been dropped), the
scrubber's unit, so a vertical line can show where the scrubber is; its ticks are whole half-steps. A
singular frame has likelihood +∞: the marginal curve rises to the top of the plot and an arrow says +∞.
A complete-data ℓ_c far below ℓ (a collapsing component drives it towards −∞) would squash ℓ flat, so
the y range follows ℓ and the values of ℓ_c below it are drawn on the bottom edge, marked off scale.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QPen

from vaeviz.ui.em.colours import colour
from vaeviz.ui.em.em_view import style_plot
from vaeviz.ui.items.axes import IntegerAxis
from vaeviz.ui.items.cheap_items import Markers, Polylines
from vaeviz.ui.items.plot_grid import show_cached_grid
from vaeviz.ui.theme import plot_colours

# The curves' colours per theme (dark: lighter shades, so titles and lines read on the dark background).
CURVE_COLOURS = {
    False: {"ll": "#1f5fa8", "cll": "#d9822b", "gap": "#8e3b8e", "bic": "#6a3d9a", "aic": "#33a02c"},
    True: {"ll": "#6fa8e8", "cll": "#f0a050", "gap": "#d590d5", "bic": "#b39ddb", "aic": "#5cc85c"},
}
INFINITY = "#c0392b"
# ℓ_c more than this many spans of ℓ below ℓ's lowest value is drawn on the bottom edge (off scale).
OFF_SCALE_SPANS = 3.0
EDITED_NOTE = "▼ parameters changed by hand (a drag, Snap & shrink): EM goes on from there"
COMPLETE_NOTE = ("ℓ<sub>c</sub>: the true labels, matched to the components by their means at every step; "
                 "ℓ<sub>c</sub> − ℓ = Σ<sub>n</sub> log P(z<sub>n</sub>|x<sub>n</sub>) ≤ 0")


def titles(dark: bool, complete: bool) -> dict[str, str]:
    """The coloured plot titles; the ℓ plot names ℓ_c only while it is drawn (no true labels, or a K
    other than theirs: no ℓ_c)."""
    c = CURVE_COLOURS[dark]
    if complete:
        ll = (f"<span style='color:{c['ll']}'>ℓ marginal</span>, "
              f"<span style='color:{c['cll']}'>ℓ<sub>c</sub> complete</span>")
    else:
        ll = f"<span style='color:{c['ll']}'>marginal log-likelihood ℓ</span>"
    return {"ll": ll, "gap": f"<span style='color:{c['gap']}'>ℓ<sub>c</sub> − ℓ = Σ log P(z|x)</span>",
            "ic": f"<span style='color:{c['bic']}'>BIC</span> / <span style='color:{c['aic']}'>AIC</span> "
                  "(lower: better)",
            "w": "weights π (drag)", "km": "k-means Σ‖x − c‖²"}

COLUMNS = ("ll", "gap", "ic", "w", "km")
STRETCH = {"ll": 3, "gap": 2, "ic": 2, "w": 1, "km": 2}


def _small_plot(title: str, bottom: str = "half-step") -> pg.PlotItem:
    axes = {"bottom": IntegerAxis("bottom")}
    plot = pg.PlotItem(title=title, axisItems=axes)
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
    plot.getAxis("left").setWidth(56)
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


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _range_in_steps(plot: pg.PlotItem, x_max: float, ys: list[np.ndarray], x_min: float = 0.0) -> bool:
    """Show [0, x_max] and the values ``ys``, changing the range only when they leave it (or fill only a
    small part of it), with room to grow. Auto-range moved it at every EM frame, and each move redraws the
    axes with their grid lines (~3 ms a plot): the x range now grows by half again or more each time
    (7 moves from 4 to 200 half-steps), the y range when the values leave it, by 60 % of their span
    beyond them on that side. Returns whether there was any value (no value: a plain frame, no y ticks)."""
    values = np.concatenate([_finite(y) for y in ys]) if ys else np.zeros(0)
    (_x0, x1), (y0, y1) = now = plot.getViewBox().viewRange()
    # From the oldest kept half-step ``x_min`` (0 unless older ones were dropped); widths relative to it.
    x1 -= x_min
    x_max -= x_min
    if not (max(x_max + 0.5, 4.0) <= x1 <= 2.5 * max(x_max, 3.0)):  # the newest half a step inside, at least
        x1 = 4.0 if x_max <= 3.5 else _nice_ceiling(max(1.5 * x_max, x_max + 0.5))
    x0, x1 = x_min, x1 + x_min
    if values.size == 0:  # nothing yet (k-means has no objective before its first step): a plain frame
        y0, y1 = 0.0, 1.0  # (pyqtgraph's range of no data has ticks like "1e-163"; the ticks are hidden)
    else:
        lo, hi = float(values.min()), float(values.max())
        span = hi - lo or max(abs(hi) * 0.05, 1e-9)
        if lo < y0 or hi > y1 or (y1 - y0) > 6 * span:
            # Room to grow on the side the values left by (a rising log-likelihood leaves by the top).
            below = 0.6 if lo < y0 else 0.15
            above = 0.6 if hi > y1 else 0.15
            y0, y1 = lo - below * span, hi + above * span
    if [[x0, x1], [y0, y1]] != now:  # (setRange costs ~0.1 ms even when nothing moves)
        plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
    axis = plot.getAxis("left")
    if axis.style["showValues"] != (values.size > 0):  # (setStyle redraws the axis and its grid)
        axis.setStyle(showValues=values.size > 0)
    return values.size > 0


def on_scale(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are within :data:`OFF_SCALE_SPANS` spans of ``reference`` below its minimum
    (NaN and infinities are not); the span is at least 1 % of the reference's size (a flat curve)."""
    ref = _finite(reference)
    ok = np.isfinite(values)
    if ref.size == 0:
        return ok
    lo, hi = float(ref.min()), float(ref.max())
    span = max(hi - lo, 0.01 * max(abs(lo), abs(hi)), 1.0)
    with np.errstate(invalid="ignore"):
        return ok & (values >= lo - OFF_SCALE_SPANS * span)


class CurvesView(pg.GraphicsLayoutWidget):
    """Small plots in a row and a caption; emits ``weight_edited(k, value, finished)`` when a π handle is
    dragged."""

    weight_edited = Signal(int, float, bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("em-curves")
        self.setMinimumHeight(150)
        self.ci.setContentsMargins(2, 2, 2, 2)
        self._dark = False
        # Coloured titles instead of legends: a legend would cover the curves of these small plots.
        names = titles(False, True)
        self.ll = _small_plot(names["ll"])
        # One Polylines item per plot draws its curves (a PlotCurveItem each added ~0.1 ms a frame).
        self.pens: dict[str, QPen] = {}
        self._set_pens(False)
        self.ll_lines = _lines(self.ll)
        self.ll_dots = Markers("o", size=5, brush=CURVE_COLOURS[False]["ll"])
        self.ll.addItem(self.ll_dots)
        # ℓ = +∞: the curve rises to the top edge, an arrow points on up, "+∞" beside it.
        self.inf_arrow = pg.ArrowItem(angle=90, headLen=13, tipAngle=40, tailLen=0, pen=None,
                                      brush=INFINITY)
        self.inf_text = pg.TextItem("ℓ → +∞", color=INFINITY, anchor=(1, 0))
        # ℓ_c below the range: drawn on the bottom edge with down-pointing marks, and the lowest value said.
        self.off_marks = Markers("t", size=7, brush=CURVE_COLOURS[False]["cll"])
        self.off_text = pg.TextItem("", anchor=(0, 1))
        self.edit_marks = Markers("t", size=9, brush=(128, 128, 128))  # frames the user edited, at the top
        for item in (self.inf_arrow, self.inf_text, self.off_marks, self.off_text, self.edit_marks):
            item.setZValue(30)
            self.ll.addItem(item, ignoreBounds=True)
            item.hide()
        self.gap = _small_plot(names["gap"])
        self.gap_lines = _lines(self.gap)
        self.gap_off_text = pg.TextItem("", anchor=(0, 1))
        self.gap.addItem(self.gap_off_text, ignoreBounds=True)
        self.ic = _small_plot(names["ic"])
        self.ic_lines = _lines(self.ic)
        self.w = _small_plot(names["w"], "component")
        self.w.setYRange(0, 1, padding=0.02)
        self.w.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.w.addItem(self.bars)
        self.weight_handles: list[pg.TargetItem] = []
        self.km = _small_plot(names["km"])
        self.km_lines = _lines(self.km)
        self.km_empty = pg.TextItem("from its first step on", color=(128, 128, 128), anchor=(0.5, 0.5))
        self.km.addItem(self.km_empty, ignoreBounds=True)
        self.cursors = []
        for plot in (self.ll, self.gap, self.ic, self.km):
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(150, 150, 150, 200, width=1))
            plot.addItem(line)
            self.cursors.append(line)
        self.w.setMaximumWidth(200)  # a few bars need little room; the curves get the rest
        self.plots = {"ll": self.ll, "gap": self.gap, "ic": self.ic, "w": self.w, "km": self.km}
        self.caption = pg.LabelItem("", size="8.5pt", justify="left")
        self._shown_columns: dict[str, bool] = dict.fromkeys(COLUMNS, False)
        self._caption_shown = False
        self._caption_key: tuple | None = None
        self._km_wanted = True
        self._problem_caption = ""
        self._updating = False
        self._weights_shown: np.ndarray | None = None
        self._complete = True
        self._history: tuple | None = None  # the last set_history arguments, to redraw with other pens
        self._drawn: dict[str, np.ndarray] = {}
        self._lay_out(gap=False, km=True)

    # ----- layout ------------------------------------------------------------------------------
    def _lay_out(self, gap: bool, km: bool) -> None:
        """Show the columns wanted, in their fixed order (the gap beside ℓ, k-means last)."""
        wanted = {"ll": True, "gap": gap, "ic": True, "w": True, "km": km}
        if wanted == self._shown_columns:
            return
        for name in COLUMNS:
            if self._shown_columns[name]:
                self.ci.removeItem(self.plots[name])
        col = 0
        for name in COLUMNS:
            if wanted[name]:
                self.ci.addItem(self.plots[name], row=0, col=col)
                self.ci.layout.setColumnStretchFactor(col, STRETCH[name])
                col += 1
        for rest in range(col, len(COLUMNS)):
            self.ci.layout.setColumnStretchFactor(rest, 0)
        self._shown_columns = wanted
        self._place_caption()

    def _place_caption(self) -> None:
        text = self.caption_text()
        key = (text, tuple(self.columns), self._dark)
        if key == self._caption_key:  # (every frame asks; re-adding the row re-lays out the plots)
            return
        self._caption_key = key
        if self._caption_shown:
            self.ci.removeItem(self.caption)
            self._caption_shown = False
        if text:
            self.caption.setText(text, color=plot_colours(self._dark)["foreground"])
            self.ci.addItem(self.caption, row=1, col=0, colspan=sum(self._shown_columns.values()))
            self._caption_shown = True

    def caption_text(self) -> str:
        """What the caption row says (the problem shown, and what ℓ_c is when it is drawn)."""
        parts = [self._problem_caption] if self._problem_caption else []
        if len(self._drawn.get("cll", ())):
            parts.append(COMPLETE_NOTE)
        if len(self._drawn.get("edited", ())):
            parts.append(EDITED_NOTE)
        return "<br>".join(parts)

    def set_caption(self, html: str) -> None:
        """A sentence about the problem on show, under the curves ('' for none)."""
        if html != self._problem_caption:
            self._problem_caption = html
            self._place_caption()

    def show_kmeans(self, visible: bool) -> None:
        self._km_wanted = visible
        self._lay_out(self._shown_columns["gap"], visible)

    @property
    def columns(self) -> list[str]:
        """The plots on show, left to right."""
        return [name for name in COLUMNS if self._shown_columns[name]]

    def show_complete(self, visible: bool) -> None:
        self._complete = visible
        self._redraw()

    def _redraw(self) -> None:
        if self._history is not None:
            self.set_history(*self._history)

    def curve(self, name: str) -> np.ndarray:
        """The points (n, 2) drawn for "ll", "cll", "gap", "bic", "aic", "km", "inf" (the rise to +∞) or
        "off" (ℓ_c on the bottom edge); empty when not drawn."""
        return self._drawn.get(name, np.zeros((0, 2)))

    # ----- the curves --------------------------------------------------------------------------
    def set_history(self, ll: np.ndarray, cll: np.ndarray, bic: np.ndarray, aic: np.ndarray,
                    km: np.ndarray, m_steps: np.ndarray, first: int = 0,
                    edited: np.ndarray | None = None) -> None:
        """Per-frame values (NaN where undefined; +inf where singular) from absolute half-step ``first``;
        ``edited`` marks the frames the user made by hand (None: none)."""
        self._history = (ll, cll, bic, aic, km, m_steps, first, edited)
        x = np.arange(first, first + len(ll), dtype=np.float64)
        cll = cll if self._complete else np.full(len(ll), np.nan)
        with np.errstate(invalid="ignore"):
            gap = cll - ll
        drawn = {name: np.column_stack([x, v])[np.isfinite(v)]
                 for name, v in (("ll", ll), ("bic", bic), ("aic", aic), ("km", km), ("gap", gap))}
        in_scale = on_scale(ll, cll)
        drawn["cll"] = np.column_stack([x, cll])[np.isfinite(cll)]
        self._drawn = drawn
        last = float(first + len(ll) - 1)
        singular = np.flatnonzero(np.isposinf(ll))
        finite = np.isfinite(ll)
        headroom = []
        if singular.size and finite.any():  # room above ℓ for the rise to +∞
            top, bottom = float(np.max(ll[finite])), float(np.min(ll[finite]))
            headroom = [np.array([top + 0.35 * max(top - bottom, 0.02 * abs(top), 1.0)])]
        _range_in_steps(self.ll, last, [ll, cll[in_scale], *headroom], first)
        self._draw_ll(x, ll, cll, in_scale, m_steps, singular)
        marks = np.zeros((0, 2))
        if edited is not None and edited.any():
            (_x0, _x1), (y0, y1) = self.ll.getViewBox().viewRange()
            marks = np.column_stack([x[edited], np.full(int(edited.sum()), y1 - 0.04 * (y1 - y0))])
        self._drawn["edited"] = marks
        self.edit_marks.set_data(marks)
        self.edit_marks.setVisible(len(marks) > 0)
        self._lay_out(bool(len(drawn["gap"])), self._km_wanted)
        title = titles(self._dark, bool(len(drawn["cll"])))["ll"]
        if self.ll.titleLabel.text != title:  # (a new title re-lays out the row)
            self.ll.titleLabel.setText(title, size="9pt", color=plot_colours(self._dark)["foreground"])
        gap_in_scale = in_scale & np.isfinite(gap)  # the frames whose ℓ_c is off scale are off here too
        _range_in_steps(self.gap, last, [gap[gap_in_scale]], first)
        self._draw_off_scale(self.gap, self.gap_lines, None, self.gap_off_text, x, gap, gap_in_scale, "gap")
        self.ic_lines.set_lines([(drawn[n], self.pens[n]) for n in ("bic", "aic")])
        _range_in_steps(self.ic, last, [bic, aic], first)
        self.km_lines.set_lines([(drawn["km"], self.pens["km"])])
        has_km = _range_in_steps(self.km, last, [km], first)
        (x0, x1), (y0, y1) = self.km.getViewBox().viewRange()
        self.km_empty.setPos((x0 + x1) / 2, (y0 + y1) / 2)
        self.km_empty.setVisible(not has_km)
        self._place_caption()

    def _draw_ll(self, x, ll, cll, in_scale, m_steps, singular) -> None:
        finite = np.isfinite(ll)
        dots = finite & (m_steps | (x == 0))  # the init too: alone, one point draws no line
        self.ll_dots.set_data(np.column_stack([x[dots], ll[dots]]))
        (_x0, _x1), (y0, y1) = self.ll.getViewBox().viewRange()
        rise = np.zeros((0, 2))
        if singular.size and finite.any():
            s = int(singular[0])
            before = np.flatnonzero(finite[:s])
            start = (x[before[-1]], ll[before[-1]]) if before.size else (x[s], y0)
            rise = np.array([start, (x[s], y1)])
            self.inf_arrow.setPos(float(x[s]), y1 - 0.01 * (y1 - y0))  # (the tip inside the frame)
            self.inf_text.setPos(float(x[s]) - 0.04 * (_x1 - _x0), y1)  # left of the arrow, clear of it
        self._drawn["inf"] = rise
        for item in (self.inf_arrow, self.inf_text):
            item.setVisible(len(rise) > 0)
        lines = [(self._drawn["ll"], self.pens["ll"])]
        if len(rise):
            lines.append((rise, self.pens["inf"]))
        self.ll_lines.set_lines(lines)
        self._draw_off_scale(self.ll, self.ll_lines, self.off_marks, self.off_text, x, cll, in_scale, "cll",
                             keep=lines)

    def _draw_off_scale(self, plot, lines_item, marks, text, x, values, in_scale, name, keep=()) -> None:
        """Draw ``values`` with the ones off scale (finite, below the range) on the bottom edge, marked."""
        (_x0, _x1), (y0, y1) = plot.getViewBox().viewRange()
        finite = np.isfinite(values)
        off = finite & ~in_scale
        inside = np.column_stack([x, values])[in_scale]
        clipped = np.column_stack([x[off], np.full(int(off.sum()), y0)])
        lines = [*keep]
        if len(inside):
            lines.append((inside, self.pens[name]))
        if len(clipped):
            # the on-scale curve continues dotted down to the edge, then along it
            path = np.column_stack([x, np.where(off, y0, values)])[finite]
            lines.append((path, self.pens["off" if name == "cll" else "gap-off"]))
            low = float(np.min(values[off]))
            label = "ℓ<sub>c</sub>" if name == "cll" else "ℓ<sub>c</sub> − ℓ"
            tint = CURVE_COLOURS[self._dark][name]
            text.setHtml(f"<span style='font-size:8pt;color:{tint}'>{label} off scale ↓ (down to "
                         f"{_short(low)})</span>")
            text.setPos(float(x[finite][0]), y0)
        self._drawn["off" if name == "cll" else "gap-off"] = clipped
        text.setVisible(len(clipped) > 0)
        if marks is not None:
            marks.set_data(clipped)
            marks.setVisible(len(clipped) > 0)
        lines_item.set_lines(lines)

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

    def _set_pens(self, dark: bool) -> None:
        c, dash, dot = CURVE_COLOURS[dark], Qt.PenStyle.DashLine, Qt.PenStyle.DotLine
        self.pens.update({
            "ll": pg.mkPen(c["ll"], width=2), "cll": pg.mkPen(c["cll"], width=2, style=dash),
            "gap": pg.mkPen(c["gap"], width=2), "bic": pg.mkPen(c["bic"], width=2),
            "aic": pg.mkPen(c["aic"], width=2, style=dash),
            "km": pg.mkPen(plot_colours(dark)["foreground"], width=2),
            "inf": pg.mkPen(INFINITY, width=2, style=dot), "off": pg.mkPen(c["cll"], width=1.5, style=dot),
            "gap-off": pg.mkPen(c["gap"], width=1.5, style=dot)})

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        colours = plot_colours(dark)
        self.setBackground(colours["background"])
        self._set_pens(dark)
        self.ll_dots.set_brush(CURVE_COLOURS[dark]["ll"])
        self.off_marks.set_brush(CURVE_COLOURS[dark]["cll"])
        names = titles(dark, bool(len(self._drawn.get("cll", ()))))
        for name, plot in self.plots.items():
            plot.titleLabel.setText(names[name], size="9pt")
            style_plot(plot, dark)
        self._place_caption()
        self._redraw()


def _short(value: float) -> str:
    """A far-off value in a few characters: −1.2e+14, −3,400."""
    return f"{value:.2g}".replace("-", "−") if abs(value) >= 1e5 else f"{value:,.0f}".replace("-", "−")

"""The generative process of a Gaussian mixture, animated in 2-D: z ~ Cat(π) lights its component, then
x | z ~ N(μ_z, Σ_z) appears in that component's colour, and the running histogram of every draw so far
converges to p(x).

Three panels, left to right:

* **z ~ Cat(π)**: a bar of π per component; the drawn category's bar flashes (full colour and an outline,
  the others faded) and the caption says which z was drawn. A tick on each bar marks how often that
  component was drawn so far, which converges to π.
* **x | z ~ N(μ_z, Σ_z)**: each component's 1σ and 2σ ellipses in its colour (the drawn one thick), and
  the latest :data:`MAX_VISIBLE` draws as points in their component's colour, the last one ringed.
* **running histogram vs p(x)**: the histogram of all N draws as a density image, with the true p(x)'s
  contours over it; the caption gives N and the total-variation distance between the two on the
  histogram's cells (:mod:`vaeviz.core.density.generative`).

The draws come from a seeded :class:`~vaeviz.core.density.generative.GenerativeStream` run in the GUI
thread. A tick at the top speed (:data:`MAX_SPEED` draws per second in :data:`TICKS_PER_S` ticks: 667 draws
a tick) costs ~1.9 ms, measured offscreen at 1100 × 440 after 50,000 draws: sampling and counting the batch
~0.25 ms, rasterising the :data:`MAX_VISIBLE` points shown ~0.8 ms, the rest bars, captions and the
histogram image; the repaint that follows ~3 ms. The batch is not what costs (its part grows by ~0.1 ms per
1,000 draws), the points drawn are, so they are capped rather than the batch, and no worker is needed.

Slow speeds (≤ :data:`TWO_STAGE_MAX_SPEED` draws per second) show the two stages of each draw apart: the
component lights first, the point appears :data:`REVEAL_FRACTION` of a draw's time later. Up to one draw
per tick each draw lights its component; above, the draws come in batches and no single component is lit
(30 different ones a second would only flicker): the frequency ticks on the bars tell the story instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from vaeviz.core.contours import contour_segments, segments_to_xy
from vaeviz.core.density.generative import DEFAULT_BINS, GenerativeSnapshot, GenerativeStream
from vaeviz.core.video import find_mp4_encoder
from vaeviz.ui.animation import FrameAnimation, animation_filters, animation_target
from vaeviz.ui.density.generative_colours import (
    CONTOUR_HEX,
    component_hex,
    component_packed,
    ramp_lut,
)
from vaeviz.ui.items.cheap_items import FixedSizeLabel, Markers, Polylines
from vaeviz.ui.items.fast_image import FastImage
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.items.point_raster import PointRaster
from vaeviz.ui.theme import plot_colours

TICKS_PER_S = 30  # timer ticks per second once draws come in batches
MIN_SPEED = 0.5  # draws per second
MAX_SPEED = 20_000.0
SPEED_STEPS = (0.5, 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000)
DEFAULT_SPEED = 2.0
TWO_STAGE_MAX_SPEED = 5.0  # up to this many draws per second, z lights before x appears
REVEAL_FRACTION = 0.45  # of a draw's time between lighting z and showing x
STEP_REVEAL_MS = 350  # the Step button's pause between the two stages
MAX_VISIBLE = 2000  # the latest draws drawn as points; the histogram has them all
CONTOUR_RES = 160  # cells per side of the grid the true density's contours are traced on
CONTOUR_FRACTIONS = (0.05, 0.2, 0.4, 0.6, 0.8)  # contour levels as fractions of the density's peak
POINT_SIZE_PX = 5.0
LAST_POINT_SIZE_PX = 15.0
FADED_ALPHA = 70  # the bars of the components not drawn, while one is lit

# The export: every draw of the first ones, then geometrically larger steps up to a converged histogram
EXPORT_ONE_BY_ONE = 60
EXPORT_FINAL_N = 20_000
EXPORT_FAST_FRAMES = 50
EXPORT_FRAME_MS = 140

# a lecture's example for the view before a mixture is set: three components, one tilted each way
DEFAULT_WEIGHTS = (0.5, 0.3, 0.2)
DEFAULT_MEANS = ((-2.0, 0.5), (2.2, 1.5), (0.5, -2.5))
DEFAULT_COVS = (((1.0, 0.6), (0.6, 1.0)), ((0.5, -0.2), (-0.2, 0.7)), ((1.6, 0.0), (0.0, 0.35)))

_CIRCLE = np.stack([np.cos(np.linspace(0.0, 2.0 * math.pi, 97)), np.sin(np.linspace(0.0, 2.0 * math.pi, 97))])


def export_schedule(one_by_one: int = EXPORT_ONE_BY_ONE, final_n: int = EXPORT_FINAL_N,
                    fast_frames: int = EXPORT_FAST_FRAMES) -> list[int]:
    """N after each frame of the exported animation: 1, 2, …, ``one_by_one``, then ``fast_frames``
    geometrically spaced values up to ``final_n``."""
    slow = list(range(1, one_by_one + 1))
    fast = np.geomspace(one_by_one, final_n, fast_frames + 1)[1:].round().astype(int).tolist()
    return slow + sorted(set(fast) - set(slow))


def speed_text(draws_per_s: float) -> str:
    if draws_per_s < 1:
        return f"{draws_per_s:g} draw/s"
    return f"{draws_per_s:,.0f} draws/s"


def nearest_speed_step(draws_per_s: float) -> int:
    """The slider position whose speed is closest to ``draws_per_s`` on a log scale."""
    return int(np.argmin(np.abs(np.log(np.asarray(SPEED_STEPS, dtype=float)) - math.log(draws_per_s))))


class GenerativeView(QWidget):
    """The animated generative process of a 2-D Gaussian mixture (see the module's docstring).

    Parameters
    ----------
    compute
        The lab's compute runner (``submit``), used only to encode an exported animation; may be given
        to :meth:`export_animation` instead.
    seed
        The stream's seed: the same mixture and seed give the same draws.

    Signals
    -------
    drawn(int)
        N after every batch of draws (and 0 after a reset or a new mixture).
    running_changed(bool)
        Play or pause.
    """

    drawn = Signal(int)
    running_changed = Signal(bool)
    exported = Signal(str, str)  # (path, error): an export from the Animation… button ended ('' = written)

    def __init__(self, parent: QWidget | None = None, compute=None, seed: int = 0) -> None:
        super().__init__(parent)
        self.compute = compute
        self.seed = seed
        self.dark = False
        self.speed = DEFAULT_SPEED
        self.stream: GenerativeStream | None = None
        self.snapshot: GenerativeSnapshot | None = None
        self.lit_component = -1  # the component lit now, -1 for none
        self.shown_until = 0  # draws [0, shown_until) are on screen (the last one may wait to be revealed)
        self.animation: FrameAnimation | None = None
        self._carry = 0.0  # fractional draws owed by the batch ticks
        self._packed = component_packed(1, False)
        self._contour_xy = (np.zeros(0), np.zeros(0))
        self._hist_peak = 1.0
        self._raster_key: tuple | None = None
        self._ellipse_key: tuple | None = None
        self._bars_key: tuple | None = None

        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_tick)
        self.reveal_timer = QTimer(self, singleShot=True)
        self.reveal_timer.timeout.connect(self._reveal)

        self._build_figure()
        self._build_controls()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.figure, 1)
        layout.addLayout(self.controls)
        self.set_dark(False)
        self.set_mixture(DEFAULT_WEIGHTS, DEFAULT_MEANS, DEFAULT_COVS)

    # ----- building ----------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        self.figure = pg.GraphicsLayoutWidget()
        self.figure.setMinimumSize(720, 300)
        layout = self.figure.ci

        self.bar_plot = layout.addPlot(row=0, col=0, title="z ~ Cat(π)")
        self.bar_plot.setLabel("bottom", "component z")
        self.bars = pg.BarGraphItem(x=[0], height=[1], width=0.7)
        self.frequency_ticks = pg.PlotCurveItem(connect="pairs")
        self.bar_plot.addItem(self.bars)
        self.bar_plot.addItem(self.frequency_ticks)

        self.scatter_plot = layout.addPlot(row=0, col=1, title="x | z ~ N(μ_z, Σ_z)")
        self.hist_plot = layout.addPlot(row=0, col=2, title="running histogram · p(x) contours")
        for plot in (self.scatter_plot, self.hist_plot):
            setup_data_plot(plot, "x₁", "x₂")
            plot.setAspectLocked(True)
        for plot in (self.bar_plot, self.scatter_plot, self.hist_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(False, False)
        self.bar_plot.getAxis("left").enableAutoSIPrefix(False)
        layout.layout.setColumnStretchFactor(0, 2)
        layout.layout.setColumnStretchFactor(1, 5)
        layout.layout.setColumnStretchFactor(2, 5)

        self.ellipses = Polylines()
        self.ellipses.setZValue(8)  # over the points: the lit component must show through a dense cloud
        self.mean_marks = Markers("x", size=9)
        self.mean_marks.setZValue(8)
        self.points = PointRaster(size_px=POINT_SIZE_PX, alpha=230)
        self.points.item.setZValue(5)
        self.last_point = Markers("o", size=LAST_POINT_SIZE_PX)
        self.last_point.setZValue(10)
        for item in (self.points.item, self.ellipses, self.mean_marks, self.last_point):
            self.scatter_plot.addItem(item)

        self.heat = FastImage()
        self.heat.setZValue(-10)
        self.contours = pg.PlotCurveItem(connect="pairs")
        self.hist_plot.addItem(self.heat)
        self.hist_plot.addItem(self.contours)

        # captions under the panels, sized once (a changing plot title would re-lay out the figure per tick)
        self.z_caption = FixedSizeLabel("drawn: z = 20 (π = 0.000)", size="10pt")
        self.x_caption = FixedSizeLabel("x = (-000.00, -000.00) · last 2,000 shown", size="10pt")
        self.hist_caption = FixedSizeLabel("N = 10,000,000 · TV(histogram, p) = 0.000", size="10pt")
        # both data panels' captions equally wide: the panels (aspect locked) show the same range
        width = max(self.x_caption.minimumWidth(), self.hist_caption.minimumWidth())
        for caption in (self.x_caption, self.hist_caption):
            caption.setMinimumWidth(width)
            caption.setPreferredWidth(width)
        layout.addItem(self.z_caption, row=1, col=0)
        layout.addItem(self.x_caption, row=1, col=1)
        layout.addItem(self.hist_caption, row=1, col=2)
        box = self.scatter_plot.getViewBox()
        box.sigRangeChanged.connect(self._on_view_changed)
        box.sigResized.connect(self._on_view_changed)

    def _build_controls(self) -> None:
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("One draw: z lights its component, then x appears")
        self.step_button.clicked.connect(self.step)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Forget every draw (the same seed draws the same points again)")
        self.reset_button.clicked.connect(self.reset)
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, len(SPEED_STEPS) - 1)
        self.speed_slider.setValue(nearest_speed_step(DEFAULT_SPEED))
        self.speed_slider.setToolTip("Draws per second: one at a time up to thousands")
        self.speed_slider.valueChanged.connect(lambda i: self.set_speed(SPEED_STEPS[i]))
        self.speed_label = QLabel(speed_text(DEFAULT_SPEED))
        self.speed_label.setMinimumWidth(self.speed_label.fontMetrics().horizontalAdvance("20,000 draws/s "))
        self.controls = QHBoxLayout()
        self.controls.setContentsMargins(6, 0, 6, 4)
        self.animation_button = QPushButton("Animation…")
        self.animation_button.setToolTip("The process as a GIF (an MP4 when ffmpeg is installed): the first "
                                         "draws one by one, then faster to a converged histogram")
        self.animation_button.clicked.connect(self.export_dialog)
        for widget in (self.play_button, self.step_button, self.reset_button):
            self.controls.addWidget(widget)
        self.controls.addSpacing(12)
        self.controls.addWidget(QLabel("Speed"))
        self.controls.addWidget(self.speed_slider, 1)
        self.controls.addWidget(self.speed_label)
        self.controls.addWidget(self.animation_button)

    # ----- public API --------------------------------------------------------------------------------
    def figure_widget(self) -> QWidget:
        """The part to export: the three panels and their captions, without the controls."""
        return self.figure

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    @property
    def n_draws(self) -> int:
        return 0 if self.snapshot is None else self.snapshot.n_draws

    @property
    def n_shown(self) -> int:
        """How many points are drawn in the middle panel now (at most :data:`MAX_VISIBLE`)."""
        return self.points.n_points

    def set_mixture(self, weights, means, covs, rect=None, bins=DEFAULT_BINS) -> None:
        """A new mixture (π (K,), μ (K, 2), Σ (K, 2, 2)); the draws start again.

        Raises
        ------
        DensityInputError
            (a ``ValueError``) for a mixture that is not one; the view keeps the mixture it had.
        """
        stream = GenerativeStream(weights, means, covs, rect=rect, bins=bins, seed=self.seed)
        self.stream = stream
        self._packed = component_packed(stream.n_components, self.dark)
        x0, y0, x1, y1 = stream.rect
        for plot in (self.scatter_plot, self.hist_plot):  # (not linked: no zooming here, and equal sizes)
            plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)
        self.bar_plot.setRange(xRange=(-0.6, stream.n_components - 0.4), yRange=(0.0, 1.05 * max(
            float(stream.weights.max()), 0.05)), padding=0)
        self.bar_plot.getAxis("bottom").setTicks([[(k, str(k + 1)) for k in range(stream.n_components)]])
        grid = stream.density_grid(CONTOUR_RES)
        peak = float(grid.max())
        segments = contour_segments(grid, [f * peak for f in CONTOUR_FRACTIONS])
        self._contour_xy = segments_to_xy(segments, stream.rect, grid.shape)
        # the ramp's top: the true density's highest cell, so a converged histogram matches p's shading
        self._hist_peak = float(stream.true_cell_probabilities.max() / stream.cell_area)
        self.contours.setData(*self._contour_xy)
        self._restart()

    def start(self) -> None:
        """Play: draw at the current speed until :meth:`pause`."""
        if not self.running:
            self._schedule()
            self.timer.start()
            self._sync_play_button(True)
            self.running_changed.emit(True)

    def pause(self) -> None:
        if self.running or self.reveal_timer.isActive():
            self.timer.stop()
            if self.reveal_timer.isActive():  # the lit draw's point appears now rather than never
                self.reveal_timer.stop()
                self._reveal()
            self._sync_play_button(False)
            self.running_changed.emit(False)

    def reset(self) -> None:
        """Forget every draw (the stream starts again from its seed); a running animation keeps running."""
        self._restart()

    def step(self) -> None:
        """One draw: its component lights at once, its point appears :data:`STEP_REVEAL_MS` later."""
        self.pause()
        self._draw(1, reveal_ms=STEP_REVEAL_MS)

    def set_speed(self, draws_per_s: float) -> None:
        """Draws per second, clamped to [:data:`MIN_SPEED`, :data:`MAX_SPEED`]; the slider follows."""
        speed = float(min(max(draws_per_s, MIN_SPEED), MAX_SPEED))
        self.speed = speed
        self.speed_label.setText(speed_text(speed))
        index = nearest_speed_step(speed)
        if self.speed_slider.value() != index:
            self.speed_slider.blockSignals(True)
            self.speed_slider.setValue(index)
            self.speed_slider.blockSignals(False)
        self._carry = 0.0
        if self.running:
            self._schedule()

    def set_dark(self, dark: bool) -> None:
        """Restyle for the dark (or light) theme: backgrounds, axes, captions, component colours, ramp."""
        self.dark = bool(dark)
        colours = plot_colours(self.dark)
        fg = colours["foreground"]
        self.figure.setBackground(colours["background"])
        for plot in (self.bar_plot, self.scatter_plot, self.hist_plot):
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(fg)
                axis.setTextPen(fg)
            plot.titleLabel.setText(plot.titleLabel.text, color=fg, size="11pt")
        for caption in (self.z_caption, self.x_caption, self.hist_caption):
            caption.setText(caption.text, color=fg)
        self.frequency_ticks.setPen(pg.mkPen(fg, width=3))
        self.mean_marks.set_pen(pg.mkPen(fg, width=2))
        self.contours.setPen(pg.mkPen(CONTOUR_HEX[self.dark], width=1.6))
        self._lut = ramp_lut(self.dark)
        if self.stream is not None:
            self._packed = component_packed(self.stream.n_components, self.dark)
            self._raster_key = self._bars_key = self._ellipse_key = None
            self._redraw()

    def ask_save_path(self, title: str, filters: str, name: str) -> str:
        """The save dialog (replaced in tests)."""
        return QFileDialog.getSaveFileName(self, title, name, filters)[0]

    @Slot()
    def export_dialog(self) -> None:
        """The Animation… button: ask where, export, and say how it went through :attr:`exported`."""
        path = self.ask_save_path("Export the generative process", animation_filters(find_mp4_encoder()),
                                  "generative-process.gif")
        if path:
            self.export_animation(path, then=self.exported.emit)

    def export_animation(self, path: str, then: Callable[[str, str], None] | None = None, compute=None,
                         ffmpeg: str | None = None,
                         schedule: list[int] | None = None) -> FrameAnimation | None:
        """The process as a GIF (or an MP4 when ``path`` ends in .mp4 and ffmpeg is found): the first
        :data:`EXPORT_ONE_BY_ONE` draws one per frame, each with its component lit, then faster up to
        :data:`EXPORT_FINAL_N` draws and a converged histogram. The view is paused and put back as it was
        afterwards (the stream is seeded, so the same draws come back).

        ``schedule``: N after each frame instead of :func:`export_schedule`'s (a frame one draw after the
        previous one lights its component). ``then(path, error)`` runs when the file is written (error '')
        or could not be (error: a sentence for the user). Returns the running
        :class:`~vaeviz.ui.animation.FrameAnimation`, or None when the export could not start (``then`` has
        been told why).
        """
        compute = compute if compute is not None else self.compute
        encoder = ffmpeg or (find_mp4_encoder() if Path(path).suffix.lower() == ".mp4" else None)
        path, fmt, problem = animation_target(path, encoder)
        done = then or (lambda _path, _error: None)
        if not problem and compute is None:
            problem = "The animation needs the lab's compute runner to encode it."
        if problem:
            done(path, problem)
            return None
        was_running, shown_n = self.running, self.n_draws
        self.pause()
        self._enable_controls(False)  # (a Play or Reset between two grabbed frames would change them)
        schedule = list(export_schedule() if schedule is None else schedule)

        def render(index: int, grabbed: Callable[[], None]) -> None:
            n_target = schedule[index]
            self._show_until(n_target, lit=n_target - (schedule[index - 1] if index else 0) == 1)
            QTimer.singleShot(0, grabbed)  # (the captions' layout settles before the grab)

        def restore() -> None:
            self._show_until(shown_n, lit=False)
            self._enable_controls(True)
            if was_running:
                self.start()

        self.animation = FrameAnimation(self.figure, compute, path, len(schedule), render=render,
                                        restore=restore, fmt=fmt, ffmpeg=encoder, duration_ms=EXPORT_FRAME_MS,
                                        parent=self)
        self.animation.done.connect(done)
        self.animation.start()
        return self.animation

    # ----- drawing -----------------------------------------------------------------------------------
    def _restart(self) -> None:
        self.reveal_timer.stop()
        self._carry = 0.0
        self.snapshot = self.stream.reset()
        self.lit_component = -1
        self.shown_until = 0
        self._raster_key = None
        self._redraw()
        self.drawn.emit(0)

    def _schedule(self) -> None:
        """The timer's interval: one draw per tick up to :data:`TICKS_PER_S` draws a second, then batches."""
        if self.speed <= TICKS_PER_S:
            self.timer.setInterval(max(1, round(1000.0 / self.speed)))
        else:
            self.timer.setInterval(round(1000.0 / TICKS_PER_S))

    @Slot()
    def _on_tick(self) -> None:
        if self.speed <= TICKS_PER_S:
            reveal = (REVEAL_FRACTION * 1000.0 / self.speed) if self.speed <= TWO_STAGE_MAX_SPEED else 0
            self._draw(1, reveal_ms=round(reveal))
            return
        self._carry += self.speed / TICKS_PER_S
        batch = int(self._carry)
        self._carry -= batch
        self._draw(batch, reveal_ms=0)

    def _draw(self, n: int, reveal_ms: int) -> None:
        """Draw ``n``; one draw lights its component (and, with ``reveal_ms``, shows its point later)."""
        if self.reveal_timer.isActive():  # the previous draw's point first
            self.reveal_timer.stop()
            self._reveal(redraw=False)
        self.snapshot = self.stream.draw(n)
        self.lit_component = self.snapshot.last_z if n == 1 else -1
        if reveal_ms > 0:
            self.shown_until = self.snapshot.n_draws - 1  # z is lit, x not yet there
            self.reveal_timer.start(reveal_ms)
        else:
            self.shown_until = self.snapshot.n_draws
        self._redraw()
        self.drawn.emit(self.snapshot.n_draws)

    @Slot()
    def _reveal(self, redraw: bool = True) -> None:
        if self.snapshot is not None:
            self.shown_until = self.snapshot.n_draws
            if redraw:
                self._redraw()

    def _show_until(self, n_total: int, lit: bool) -> None:
        """Draw until N = ``n_total`` (from the start if fewer are drawn) and show them all; ``lit``
        lights the last draw's component."""
        self.reveal_timer.stop()
        self.snapshot = self.stream.draw_until(n_total)
        self.lit_component = self.snapshot.last_z if lit else -1
        self.shown_until = self.snapshot.n_draws
        self._raster_key = None
        self._redraw()
        self.drawn.emit(self.snapshot.n_draws)

    def _redraw(self) -> None:
        if self.stream is None or self.snapshot is None:
            return
        self._draw_bars()
        self._draw_ellipses()
        self._draw_points()
        self._draw_histogram()

    def _draw_bars(self) -> None:
        stream, snap, lit = self.stream, self.snapshot, self.lit_component
        fg = plot_colours(self.dark)["foreground"]
        key = (id(stream), lit, self.dark, snap.n_draws == 0)
        if key != self._bars_key:  # (the bars and the caption change with the lit component only)
            self._bars_key = key
            brushes, pens = [], []
            for k in range(stream.n_components):
                colour = pg.mkColor(component_hex(k, self.dark))
                if lit >= 0 and k != lit:
                    colour.setAlpha(FADED_ALPHA)
                brushes.append(pg.mkBrush(colour))
                pens.append(pg.mkPen(fg, width=3) if k == lit else pg.mkPen(None))
            self.bars.setOpts(x=np.arange(stream.n_components), height=stream.weights, width=0.7,
                              brushes=brushes, pens=pens)
            if lit >= 0:
                text = f"drawn: z = {lit + 1} (π = {stream.weights[lit]:.3f})"
                self.z_caption.setText(text, color=component_hex(lit, self.dark))
            else:
                text = "bars: π · ticks: share drawn" if snap.n_draws else "press Play or Step"
                self.z_caption.setText(text, color=fg)
        if snap.n_draws:
            freq = snap.component_counts / snap.n_draws
            ks = np.arange(stream.n_components, dtype=float)
            self.frequency_ticks.setData(np.stack([ks - 0.42, ks + 0.42], axis=1).ravel(),
                                         np.repeat(freq, 2))
        else:
            self.frequency_ticks.setData([], [])

    def _draw_ellipses(self) -> None:
        stream, lit = self.stream, self.lit_component
        key = (id(stream), lit, self.dark)
        if key == self._ellipse_key:  # (most ticks: nothing lit, or the same component again)
            return
        self._ellipse_key = key
        lines, chol = [], np.linalg.cholesky(stream.covariances)
        halo = plot_colours(self.dark)["background"]
        order = [k for k in range(stream.n_components) if k != lit] + ([lit] if lit >= 0 else [])
        for k in order:  # the lit one last, on top
            colour = component_hex(k, self.dark)
            for scale, style in ((1.0, Qt.PenStyle.SolidLine), (2.0, Qt.PenStyle.DashLine)):
                width = (3.5 if k == lit else 1.8) * (1.0 if scale == 1.0 else 0.75)
                points = (stream.means[k][:, None] + scale * chol[k] @ _CIRCLE).T
                # a halo in the background colour: a line over points of its own colour stays visible
                lines.append((points, pg.mkPen(halo, width=width + 2.5)))
                lines.append((points, pg.mkPen(colour, width=width, style=style)))
        self.ellipses.set_lines(lines)
        self.mean_marks.set_data(stream.means)

    def _draw_points(self) -> None:
        """The latest :data:`MAX_VISIBLE` shown draws (of those kept), rasterised, the last one ringed."""
        snap = self.snapshot
        end = min(self.shown_until, snap.n_stored)
        start = max(0, end - MAX_VISIBLE)
        box = self.scatter_plot.getViewBox()
        key = (start, end, box.viewRect(), box.width(), box.height())
        if key != self._raster_key and self.points.set_points_in_view(snap.x[start:end], box):
            self._raster_key = key
            if end > start:
                self.points.recolour_packed(self._packed[snap.z[start:end]])
            else:
                self.points.item.changed()
        fg = plot_colours(self.dark)["foreground"]
        revealed = self.shown_until == snap.n_draws and snap.n_draws > 0
        if revealed:
            self.last_point.set_pen(pg.mkPen(fg, width=2.5))
            self.last_point.set_data([snap.last_x],
                                     brushes=[pg.mkBrush(component_hex(snap.last_z, self.dark))])
        else:
            self.last_point.set_data(np.zeros((0, 2)))
        if revealed:
            where = f"x = ({snap.last_x[0]:.2f}, {snap.last_x[1]:.2f})"
        elif snap.n_draws:
            where = "x: …"
        else:
            where = "x: none yet"
        shown = end - start
        capped = f" · last {shown:,} shown" if shown < self.shown_until else ""  # (N is under the histogram)
        self.x_caption.setText(where + capped, color=fg)

    def _draw_histogram(self) -> None:
        stream, snap = self.stream, self.snapshot
        density = stream.histogram_density(snap)  # [ix, iy]
        index = np.clip(density * ((len(self._lut) - 1) / self._hist_peak), 0, len(self._lut) - 1)
        pixels = self._lut[index.astype(np.intp).T[::-1]]  # rows from the top (y1) down
        self.heat.set_image(np.ascontiguousarray(pixels), stream.rect)
        fg = plot_colours(self.dark)["foreground"]
        tv = "–" if snap.tv is None else f"{snap.tv:.3f}"
        self.hist_caption.setText(f"N = {snap.n_draws:,} · TV(histogram, p) = {tv}", color=fg)

    @Slot()
    def _on_view_changed(self, *_) -> None:
        if self.snapshot is not None:
            self._draw_points()

    def _on_play_toggled(self, checked: bool) -> None:
        if checked:
            self.start()
        else:
            self.pause()

    def _enable_controls(self, enabled: bool) -> None:
        for widget in (self.play_button, self.step_button, self.reset_button, self.speed_slider,
                       self.animation_button):
            widget.setEnabled(enabled)

    def _sync_play_button(self, running: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(running)
        self.play_button.setText("Pause" if running else "Play")
        self.play_button.blockSignals(False)

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A hidden view (another tab, a closed dock) stops drawing."""
        self.pause()
        super().hideEvent(event)

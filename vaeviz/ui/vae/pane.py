"""One model's latent space: the scatter with its draggable point, and the images that explain it.

Layout (a pyqtgraph GraphicsLayout, so the whole figure exports as one scene)::

    title ............................................
    latent plot (scatter, grid, ⊕)   | decoded at z
                                     | x | reconstruction
                                     | log p(x) against K
    strip (ε draws, A → B, prior) ....................

While the strip holds ε draws the pane shows the reparameterisation instead (:mod:`~vaeviz.ui.vae.
reparam_view`): the ε panel and the z panel take the places of the decoding at ⊕ and of log p(x), and the
strip's decodings are numbered like the draws::

    title ..............................................
    latent plot          | ε panel      | z panel
                         | x | reconstruction ........
    strip: decodings 1 … 8 ............................

The pane only draws what it is given and reports what the user does (``point_moved``,
``point_clicked``); :mod:`vaeviz.ui.vae.controller` decides what to compute.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtWidgets import QGraphicsItem

from vaeviz.core.vae.images import strip
from vaeviz.ui.items.cheap_items import BoundsCachedScatter, paint_now
from vaeviz.ui.items.drag_target import DragTarget
from vaeviz.ui.items.plot_grid import setup_data_plot
from vaeviz.ui.items.point_raster import PointRaster
from vaeviz.ui.theme import plot_colours
from vaeviz.ui.vae.gif import label_colour
from vaeviz.ui.vae.holes_overlay import HoleOverlay
from vaeviz.ui.vae.images import ImageBox
from vaeviz.ui.vae.likelihood_plot import LikelihoodPlot
from vaeviz.ui.vae.reparam_view import ReparamView

ELLIPSE_COLOUR = "#d62728"
POINT_PX = 5.0
POINT_ALPHA = 200
GREY = (90, 90, 90)  # points without a label
PICK_NAMES = ("A", "B")
ORIGINAL_TITLE = "x"
RECON_TITLE = "decoded at μ"
NOTHING_PICKED = "click a data point"
CLICK_RADIUS_PX = 8.0  # a click picks the nearest point this close (the dots are ~5 px wide)
DECODED_TITLE = "decoded at<br>z = …"
# the longest the decoded image's title gets while dragging (sized once: no re-layout per image)
DECODED_WIDEST = "decoded at<br>z = (−88.88, −88.88, 0, …)"


class LatentPane(pg.GraphicsLayout):
    """Scatter, latent point, manifold grid, q(z|x) ellipse, ε draws and strips of one model slot."""

    point_moved = Signal(str, float, float)  # role, z₁, z₂ (while dragging, at display rate)
    point_clicked = Signal(str, int, bool)  # role, data set index, shift held

    def __init__(self, role: str, plot: pg.PlotItem | None = None) -> None:
        super().__init__()
        self.role = role
        self.layout.setContentsMargins(2, 2, 2, 2)
        self.title = pg.LabelItem("", size="10pt")
        self._title_text = ""
        self._caption = ""
        self.plot = plot if plot is not None else pg.PlotItem()
        self.addItem(self.plot, row=1, col=0, rowspan=3)
        self.decoded = ImageBox(DECODED_TITLE, title_size="10pt", widest_title=DECODED_WIDEST)
        self.pair = pg.GraphicsLayout()
        self.pair.layout.setHorizontalSpacing(6)
        # x and its reconstruction: the same title width and the same share of the row, so the two
        # thumbnails are drawn at the same size
        self.original = ImageBox(ORIGINAL_TITLE, title_size="8pt", widest_title=RECON_TITLE)
        self.reconstruction = ImageBox(RECON_TITLE, title_size="8pt", widest_title=RECON_TITLE)
        self.pair.addItem(self.original, row=0, col=0)
        self.pair.addItem(self.reconstruction, row=0, col=1)
        for col in (0, 1):
            self.pair.layout.setColumnStretchFactor(col, 1)
            self.pair.layout.setColumnPreferredWidth(col, 60)
        self.numbers = self.pair.addLabel("", row=1, col=0, colspan=2, size="8pt")
        self.likelihood = LikelihoodPlot()
        self.likelihood.setPreferredHeight(110)
        self.strip = ImageBox("")
        self.strip.setMaximumHeight(118)
        self.strip_numbers: list[pg.TextItem] = []
        self.reparam = ReparamView()
        self.arrangement = ""
        for box in (self.decoded, self.original, self.reconstruction):
            box.setPreferredWidth(70)
        self.plot.setPreferredWidth(420)
        # Labels are not shrunk by the layout: without a floor the latent plot (aspect-locked) would be
        # what gives way when side by side leaves a pane half the width.
        self.plot.setMinimumWidth(200)
        self.likelihood.setMinimumWidth(120)
        self.arrange("explore")
        self._build_plot()
        self.holes = HoleOverlay(self.plot)
        self.indices = np.empty(0, np.int64)
        self.labels: np.ndarray | None = None
        self._names: list[str] | None = None
        self._fitted = False
        self._picked = False
        self.numbers.setText(NOTHING_PICKED, size="8pt")

    def arrange(self, arrangement: str) -> None:
        """Lay the pane out for exploring ("explore") or for the reparameterisation ("reparameterise")."""
        if arrangement == self.arrangement:
            return
        self.arrangement = arrangement
        movable = (self.title, self.decoded, self.pair, self.likelihood, self.strip, *self.reparam.items())
        for item in movable:
            if item in self.items:
                self._take_out(item)
        reparam = arrangement == "reparameterise"
        cols = 3 if reparam else 2
        self.addItem(self.title, row=0, col=0, colspan=cols)
        if reparam:
            eps_plot, z_plot = self.reparam.items()
            self.addItem(eps_plot, row=1, col=1, rowspan=2)
            self.addItem(z_plot, row=1, col=2, rowspan=2)
            self.addItem(self.pair, row=3, col=1, colspan=2)
        else:
            self.addItem(self.decoded, row=1, col=1)
            self.addItem(self.pair, row=2, col=1)
            self.addItem(self.likelihood, row=3, col=1)
        self.addItem(self.strip, row=4, col=0, colspan=cols)
        # The latent plot is the figure; the images beside it get a third of the width at most. Stretch
        # factors only share space beyond the preferred widths, so those are set small for the images.
        widths = ((0, 5, 420), (1, 2, 170), (2, 0, 0)) if not reparam else ((0, 4, 330), (1, 3, 200),
                                                                            (2, 3, 200))
        for col, stretch, preferred in widths:
            self.layout.setColumnStretchFactor(col, stretch)
            self.layout.setColumnPreferredWidth(col, preferred)
        heights = ((1, 3), (2, 2), (3, 2), (4, 1)) if not reparam else ((1, 3), (2, 2), (3, 3), (4, 2))
        for row, stretch in heights:
            self.layout.setRowStretchFactor(row, stretch)
        self.strip.setMaximumHeight(150 if reparam else 118)
        for label in self.strip_numbers:
            label.setVisible(reparam and label.isVisible())

    def _take_out(self, item) -> None:
        """GraphicsLayout.removeItem, also while the pane is off the scene (a hidden model slot)."""
        self.layout.removeAt(self.itemIndex(item))
        for r, c in self.items.pop(item):
            del self.rows[r][c]
        item.geometryChanged.disconnect(self._updateItemBorder)
        for graphic in (self.itemBorders.pop(item), item):
            scene = graphic.scene()
            graphic.setParentItem(None)
            if scene is not None:
                scene.removeItem(graphic)
        self.layout.updateGeometry()

    def _build_plot(self) -> None:
        plot = self.plot
        plot.setAspectLocked(True)
        setup_data_plot(plot, "z₁", "z₂")
        plot.setMenuEnabled(False)
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        self.grid_image.setZValue(-10)
        # All data points as one RGBA raster (vaeviz.ui.items.point_raster): a training snapshot
        # re-rasterises in ~0.5 ms, where ScatterPlotItems took ~5 ms plus ~6 ms to repaint, which stalled
        # a drag.
        self.points = PointRaster(size_px=POINT_PX, alpha=POINT_ALPHA)
        self.points.item.on_click = self._on_points_clicked
        # a pixmap: a drag repaints small parts of the plot, which Qt then blits rather than re-draws
        self.points.item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._xy = np.zeros((0, 2))
        self._rgb = np.zeros((0, 3), np.uint8)
        self._points_visible = True
        self.picks = BoundsCachedScatter(size=14, brush=None, pen=pg.mkPen("#202020", width=2))
        self.pick_labels = [pg.TextItem(name, anchor=(0, 1)) for name in PICK_NAMES]
        self.path = pg.PlotDataItem(pen=pg.mkPen("#444444", width=2, style=Qt.PenStyle.DashLine),
                                    symbol="o", symbolSize=5, symbolBrush="#444444", symbolPen=None)
        self.ellipse = pg.PlotCurveItem(pen=pg.mkPen(ELLIPSE_COLOUR, width=2))
        self.mu = BoundsCachedScatter(size=12, symbol="+", pen=pg.mkPen(ELLIPSE_COLOUR, width=2))
        # the z = μ + σ ⊙ ε draws: stars in the foreground colour, like the ε panel's (no class uses it)
        self.samples = BoundsCachedScatter(size=12, symbol="star", pen=pg.mkPen("#ffffff", width=0.8),
                                           brush=pg.mkBrush("#111111"))
        dashed = pg.mkPen((120, 120, 120), width=1, style=Qt.PenStyle.DashLine)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=dashed)
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=dashed)
        self.target = DragTarget(pos=(0.0, 0.0), size=18, movable=True, pen=pg.mkPen("#111111", width=2),
                                 brush=(255, 255, 255, 90))
        self.target.setZValue(20)
        self.target.sigDragged.connect(self._on_target_dragged)
        self.target.sigPositionChanged.connect(self._on_target_moved)
        self.target.sigPositionChangeFinished.connect(self._on_target_released)
        plot.addItem(self.points.item, ignoreBounds=True)  # the raster spans the view: no bounds of its own
        for item in (self.grid_image, self.path, self.ellipse, self.mu, self.samples, self.picks,
                     *self.pick_labels, self.vline, self.hline, self.target):
            plot.addItem(item)
        for item in (self.path, self.ellipse, self.mu, self.samples, self.picks, *self.pick_labels):
            item.setZValue(5)  # above the points
        self.legend = pg.LegendItem(offset=(-6, 6), labelTextSize="8pt", brush=(255, 255, 255, 170))
        self.legend.setParentItem(plot.getViewBox())
        plot.getViewBox().sigRangeChanged.connect(self._rasterise)
        plot.getViewBox().sigResized.connect(self._rasterise)
        self.set_range(-3.5, 3.5, -3.5, 3.5)

    # ----- what the user does ---------------------------------------------------------------
    @Slot(float, float)
    def _on_target_dragged(self, x: float, y: float) -> None:
        # The plot-wide crosshair lines cost about 1 ms a repaint (each move exposes a strip of every layer
        # under them), half of a dragging frame: hidden while the mouse drags ⊕, back where it stops.
        self.vline.hide()
        self.hline.hide()
        self.point_moved.emit(self.role, x, y)

    @Slot(object)
    def _on_target_moved(self, target) -> None:
        if self.target.placing:  # drawn where a decoding on show belongs: not a move of the user's
            return
        x, y = self.target_xy()
        self.vline.setPos(x)
        self.hline.setPos(y)
        self.vline.show()
        self.hline.show()
        self.point_moved.emit(self.role, x, y)

    @Slot(object)
    def _on_target_released(self, target) -> None:
        x, y = self.target_xy()
        self.vline.setPos(x)
        self.hline.setPos(y)
        self.vline.show()
        self.hline.show()

    def _on_points_clicked(self, x: float, y: float, event) -> bool:
        """A click on the plot: the nearest data point within ``CLICK_RADIUS_PX`` (else the click is not
        ours)."""
        i = self.nearest_point(x, y)
        if i is None:
            return False
        self.click_point(int(self.indices[i]), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        return True

    def nearest_point(self, x: float, y: float, radius_px: float = CLICK_RADIUS_PX) -> int | None:
        """Row of the shown point nearest (x, y) (view coordinates) if it is within ``radius_px`` on
        screen, else None (points hidden behind the grid cannot be clicked)."""
        if not self._points_visible or not len(self._xy):
            return None
        px, py = self.plot.getViewBox().viewPixelSize()  # view units per screen pixel
        if not (px > 0 and py > 0):
            return None
        d2 = ((self._xy[:, 0] - x) / px) ** 2 + ((self._xy[:, 1] - y) / py) ** 2
        i = int(np.argmin(d2))
        return i if d2[i] <= radius_px ** 2 and i < len(self.indices) else None

    def click_point(self, index: int, shift: bool = False) -> None:
        """What a click on the data point with data set index ``index`` does (tests call it too)."""
        self.point_clicked.emit(self.role, index, shift)

    def target_xy(self) -> tuple[float, float]:
        """Where the user put ⊕ (during a drag: the latest mouse position, which ⊕ reaches when its decoding
        is shown)."""
        if self.target.pending is not None:
            return self.target.pending
        pos = self.target.pos()
        return float(pos.x()), float(pos.y())

    def show_pending_target(self) -> None:
        """Draw ⊕ where the drag is now (when nothing will be decoded there to place it)."""
        if self.target.pending is not None:
            self.target.place(*self.target.pending)

    def set_target(self, x: float, y: float) -> None:
        """Move the latent point (emits ``point_moved`` like a drag does)."""
        self.target.setPos(float(x), float(y))

    # ----- what the pane is given -------------------------------------------------------------
    def set_title(self, text: str) -> None:
        self._title_text = text
        self._show_title()

    def set_caption(self, text: str) -> None:
        """A line of numbers under the title (the holes measured in this model's latent space)."""
        self._caption = text
        self._show_title()

    def _show_title(self) -> None:
        caption = f"<br><span style='font-size:8pt'>{self._caption}</span>" if self._caption else ""
        self.title.setText(self._title_text + caption, size="10pt")

    def set_range(self, x0: float, x1: float, y0: float, y1: float) -> None:
        # Python floats: float32 bounds overflow in pyqtgraph's checks against its ±1e307 limits
        self.plot.setRange(xRange=(float(x0), float(x1)), yRange=(float(y0), float(y1)), padding=0.02)

    def set_snapshot(self, mu: np.ndarray, indices: np.ndarray, labels: np.ndarray | None,
                     names: list[str] | None, fit: bool) -> None:
        """Show encoded means (first two dimensions) coloured by label; ``fit`` re-frames the view."""
        xy = np.zeros((len(mu), 2), np.float32)
        xy[:, :min(2, mu.shape[1])] = mu[:, :2]
        ok = np.isfinite(xy).all(axis=1)
        self.indices = indices[ok]
        self.labels = labels[ok] if labels is not None else None
        keys = self.labels if self.labels is not None else np.full(len(self.indices), -1)
        colours = [label_colour(k) if k >= 0 else GREY for k in range(-1, int(keys.max(initial=-1)) + 1)]
        palette = np.array(colours, np.uint8)
        self._xy = xy[ok].astype(np.float64)
        self._rgb = palette[keys.astype(np.int64) + 1]
        self._rasterise()
        if names != self._names or labels is None:
            self._set_legend(names if labels is not None else None)
        if len(xy[ok]) and (fit or not self._fitted or self._escaped(xy[ok])):
            lo, hi = np.percentile(xy[ok], 0.5, axis=0), np.percentile(xy[ok], 99.5, axis=0)
            pad = 0.12 * float((hi - lo).max() or 1.0)
            self.set_range(lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad)
            self._fitted = True

    def _rasterise(self, *_) -> None:
        """Draw the points into the raster for the current view range and size (it is in pixels)."""
        if self.points.set_points_in_view(self._xy, self.plot.getViewBox()):
            self.points.recolour(self._rgb)

    def point_count(self) -> int:
        return len(self._xy)

    def points_visible(self) -> bool:
        return self._points_visible

    def _escaped(self, xy: np.ndarray) -> bool:
        """Whether training moved many points out of view (re-frame then, not at every snapshot)."""
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        return inside.mean() < 0.9

    def _set_legend(self, names: list[str] | None) -> None:
        self._names = names
        self.legend.clear()
        for k, name in enumerate(names or []):
            sample = BoundsCachedScatter(size=8, pen=None, brush=pg.mkBrush(*label_colour(k)))
            self.legend.addItem(sample, name)
        for sample, label in self.legend.items:  # static: blitted when ⊕ is dragged over the legend
            for item in (sample, label, label.item):
                item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.legend.setColumnCount(2 if names and len(names) > 6 else 1)
        self.legend.setVisible(bool(names))

    def set_grid(self, mosaic: np.ndarray | None, low: float = 0, high: float = 0, n: int = 1,
                 mode: str = "off", y_range: tuple[float, float] | None = None) -> None:
        """The decoded manifold behind the points ("underlay"), instead of them ("grid") or not at all.
        The grid's points run from ``low`` to ``high`` on z₁, and on z₂ too unless ``y_range`` is given."""
        show = mosaic is not None and mode != "off"
        self.grid_image.setVisible(show)
        self._points_visible = mode != "grid"
        self.points.item.setVisible(self._points_visible)
        self.legend.setVisible(mode != "grid" and bool(self._names))
        if not show:
            return
        # flip: image row 0 is the top (highest z₂) but the plot's y axis points up
        self.grid_image.setImage(np.flipud(mosaic), levels=(0.0, 1.0), autoLevels=False)
        y0, y1 = (low, high) if y_range is None else y_range
        dx = (high - low) / (n - 1) if n > 1 else 1.0
        dy = (y1 - y0) / (n - 1) if n > 1 else 1.0
        self.grid_image.setRect(QRectF(low - dx / 2, y0 - dy / 2, high - low + dx, y1 - y0 + dy))
        self.grid_image.setOpacity(0.45 if mode == "underlay" else 1.0)

    def set_decoded(self, image: np.ndarray, z: np.ndarray) -> None:
        shown = ", ".join(f"{v:.2f}" for v in z[:2])
        more = ", 0, …" if len(z) > 2 else ""  # the other dimensions stay at 0 (the explain pane says so)
        self.decoded.set_image(image, f"decoded at<br>z = ({shown}{more})")
        if self.target.pending is not None:  # dragging: ⊕ goes where this image was decoded
            self.target.place(float(z[0]), float(z[1]) if len(z) > 1 else 0.0)
        paint_now(self.scene())

    def set_inspection(self, original: np.ndarray, reconstruction: np.ndarray, mu: np.ndarray,
                       sigma: np.ndarray, what: str, numbers: str) -> None:
        """One image's q(z|x): its μ, its 2σ ellipse, the image and its reconstruction."""
        self.original.set_image(original, what)
        self.reconstruction.set_image(reconstruction, RECON_TITLE)
        self._picked = True
        self.numbers.setText(numbers, size="8pt")
        m = np.zeros(2, np.float32)
        m[:min(2, len(mu))] = mu[:2]
        s = np.zeros(2, np.float32)
        s[:min(2, len(sigma))] = sigma[:2]
        self.mu.setData(pos=[m])
        if np.isfinite(s).all() and s.any():
            t = np.linspace(0, 2 * np.pi, 97)
            self.ellipse.setData(m[0] + 2 * s[0] * np.cos(t), m[1] + 2 * s[1] * np.sin(t))
        else:
            self.ellipse.setData([], [])

    def set_samples(self, z: np.ndarray | None) -> None:
        self.samples.setData(pos=np.asarray(z)[:, :2] if z is not None else [])

    def set_path(self, z: np.ndarray | None) -> None:
        if z is None:
            self.path.setData([], [])
        else:
            self.path.setData(z[:, 0], z[:, 1])

    def set_picks(self, points: list[tuple[float, float]]) -> None:
        self.picks.setData(pos=points)
        for k, label in enumerate(self.pick_labels):
            label.setVisible(k < len(points) and len(points) > 1)
            if k < len(points):
                label.setPos(*points[k])

    def set_strip(self, images: np.ndarray | None, title: str = "") -> None:
        """A strip of decodings in the explore layout (A → B, prior samples)."""
        self.arrange("explore")
        self.strip.set_image(strip(images) if images is not None else None, title)
        self._number_strip(0)

    def show_reparameterisation(self, s, title: str) -> None:
        """ε draws (a "samples" :class:`~vaeviz.core.vae.lab_types.Strip`): the ε and z panels and the
        numbered decodings."""
        self.arrange("reparameterise")
        self.reparam.show(s)
        self.set_samples(s.z)
        self.strip.set_image(strip(s.images), title)
        self._number_strip(len(s.images), s.images.shape[2])

    def show_samples(self, s, title: str) -> None:
        """ε draws without the ε and z panels (side by side): the stars on the scatter, numbered decodings."""
        self.arrange("explore")
        self.set_samples(s.z)
        self.strip.set_image(strip(s.images), title)
        self._number_strip(len(s.images), s.images.shape[2])

    def _number_strip(self, count: int, width: int = 0) -> None:
        """Numbers 1 … count on the strip's tiles (the ε draws' numbers); none for other strips."""
        while len(self.strip_numbers) < count:
            label = pg.TextItem("", anchor=(0, 0), color="#ffffff")
            label.setZValue(5)
            self.strip.view.addItem(label)
            self.strip_numbers.append(label)
        for k, label in enumerate(self.strip_numbers):
            label.setVisible(k < count)
            if k < count:
                label.setText(str(k + 1))
                label.setPos(k * (width + 2), 0)  # strip(): 2 grey pixels between tiles

    def clear_selection(self) -> None:
        """Forget everything tied to particular images (new data or a new model)."""
        self.original.set_image(None, ORIGINAL_TITLE)
        self.reconstruction.set_image(None, RECON_TITLE)
        self.numbers.setText(NOTHING_PICKED, size="8pt")
        self.likelihood.show_hint()
        self._picked = False
        self.mu.setData(pos=[])
        self.ellipse.setData([], [])
        self.set_samples(None)
        self.set_path(None)
        self.set_picks([])
        self.set_strip(None, "")

    def apply_theme(self, dark: bool) -> None:
        colours = plot_colours(dark)
        fg = colours["foreground"]
        labels = [self.title, self.numbers] + [box.label for box in (self.decoded, self.original,
                                                                      self.reconstruction, self.strip)]
        for label in labels:
            label.setAttr("color", fg)
            label.setText(label.text)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)
        edge = "#f0f0f0" if dark else "#111111"
        self.target.setPen(pg.mkPen(edge, width=2))
        self.picks.setPen(pg.mkPen(edge, width=2))
        for label in self.pick_labels:
            label.setColor(fg)
        self.legend.setBrush(pg.mkBrush(27, 29, 33, 190) if dark else pg.mkBrush(255, 255, 255, 170))
        self.legend.setLabelTextColor(fg)
        self.samples.setBrush(pg.mkBrush(fg))
        self.samples.setPen(pg.mkPen(colours["background"], width=0.8))
        self.likelihood.apply_theme(dark)
        self.reparam.apply_theme(dark)

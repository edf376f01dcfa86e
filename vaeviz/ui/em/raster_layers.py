"""The raster layers of the 2-D figure: the mixture's density (heatmap and contours) behind the scatter
and the k-means Voronoi cells, each computed by the worker (requests ``em:heat`` and ``em:cells``).

Layers cover exactly the visible range (an SVG cannot clip them), so a pan or zoom redoes them. Callers
that must wait for a frame's layers (the GIF export) use :meth:`RasterLayers.render_frame`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaeviz.core.em.lab import Frame
from vaeviz.core.em.state import EmLabState
from vaeviz.ui.em.controller import EmController
from vaeviz.ui.em.figure import EmFigure
from vaeviz.ui.em.kmeans_view import centres_in_colour_order, kmeans_colours
from vaeviz.ui.em.layers import density_job, voronoi_job
from vaeviz.ui.em.runner import EmRunner

Rect = tuple[float, float, float, float]


def _layer_place(view) -> tuple[Rect, tuple[int, int, int]]:
    """Where a raster layer goes: the view's range (x0, y0, x1, y1), the background it is composited over."""
    (x0, x1), (y0, y1) = view.getPlotItem().vb.viewRange()
    return (x0, y0, x1, y1), view.background


class RasterLayers:
    """Asks for the shown frame's layers and draws them when they arrive.

    Parameters
    ----------
    figure, controller, runner
        The lab's figure, its controller (the requests) and its runner (the shown frame).
    state
        The lab's current state (which layers the user wants, and the mode).
    """

    def __init__(self, figure: EmFigure, controller: EmController, runner: EmRunner,
                 state: Callable[[], EmLabState]) -> None:
        self.figure = figure
        self.controller = controller
        self.runner = runner
        self._state = state
        self._heat_for = None  # the mixture whose density layer is drawn or asked for
        self._heat_layer = None
        self._cells_for = None  # the k-means centres whose cells are drawn or asked for
        self._pending: set[str] = set()
        self._waiters: list[Callable[[], None]] = []
        figure.em_view.getPlotItem().vb.sigRangeChanged.connect(lambda *_: self._on_range_changed("heat"))
        figure.km_view.getPlotItem().vb.sigRangeChanged.connect(lambda *_: self._on_range_changed("cells"))

    @property
    def heat_layer(self):
        """The last density layer drawn (None: none yet, or the data changed)."""
        return self._heat_layer

    def reset(self) -> None:
        """New data: forget and clear both layers."""
        self._heat_for = None
        self._heat_layer = None
        self._cells_for = None
        self.figure.em_view.set_density(None, False, False)
        self.figure.km_view.set_cells(None, None)

    def request(self, frame: Frame) -> None:
        """Ask for ``frame``'s layers (the ones not drawn for it already)."""
        display, view = self._state().display, self.figure.em_view
        if display.heatmap or display.contours:
            if frame.gmm is not self._heat_for:
                self._heat_for = frame.gmm
                self._pending.add("heat")
                job = density_job(frame.gmm, *_layer_place(view), display.contours)
                self.controller.request("heat", job, self._on_heat, on_failed=lambda m, d: self._done("heat"))
        else:
            view.set_density(None, False, False)
        if self.figure.side_kind == "kmeans" and frame.km is not None:
            centres = centres_in_colour_order(frame.km.centres, kmeans_colours(frame.km, frame.gmm))
            if self._cells_for is None or not np.array_equal(self._cells_for, centres):
                self._cells_for = centres
                self._pending.add("cells")
                job = voronoi_job(centres, *_layer_place(self.figure.km_view))
                self.controller.request("cells", job, self._on_cells,
                                        on_failed=lambda m, d: self._done("cells"))
        self._flush_waiters()

    def redo(self) -> None:
        """Ask again for the shown frame's layers (after a theme change: they are composited over the
        old background)."""
        self._heat_for = None
        self._cells_for = None
        self._request_shown()

    def on_display_changed(self) -> None:
        """The heatmap or contours switch changed: redraw from the layer at hand, or ask for a new one."""
        display = self._state().display
        layer, frame = self._heat_layer, self.runner.frame
        current = layer is not None and self._heat_for is (frame.gmm if frame is not None else None)
        if current and (layer.has_contours or not display.contours):
            self.figure.em_view.set_density(layer, display.heatmap, display.contours)
        elif frame is not None:
            self._heat_for = None  # (a layer without the contours now asked for)
            self.request(frame)

    def set_side(self, kind: str | None) -> None:
        """Show "kmeans", "seeds" or nothing beside the scatter (k-means needs its cells)."""
        self.figure.set_side(kind)
        if kind == "kmeans":
            self._cells_for = None
            if self.runner.frame is not None:
                self.request(self.runner.frame)

    def render_frame(self, index: int, callback: Callable[[], None]) -> None:
        """Show frame ``index`` and call ``callback`` once its layers are drawn (GIF export)."""
        self._waiters.append(callback)
        self.runner.show(index)
        self._flush_waiters()

    def _request_shown(self) -> None:
        if self.runner.frame is not None and self._state().mode == "2d":
            self.request(self.runner.frame)

    def _on_range_changed(self, layer: str) -> None:
        if layer == "heat":
            self._heat_for = None
        else:
            self._cells_for = None
        self._request_shown()

    def _on_heat(self, layer) -> None:
        self._heat_layer = layer
        display = self._state().display
        self.figure.em_view.set_density(layer, display.heatmap, display.contours)
        self._done("heat")

    def _on_cells(self, result) -> None:
        rect, pixels = result
        self.figure.km_view.set_cells(rect, pixels)
        self._done("cells")

    def _done(self, name: str) -> None:
        self._pending.discard(name)
        self._flush_waiters()

    def _flush_waiters(self) -> None:
        if not self._pending and self._waiters:
            waiters, self._waiters = self._waiters, []
            for callback in waiters:
                callback()

"""The Density lab: the figure, the side panel and the Explain pane, bound to one
:class:`~vaeviz.core.density.state.DensityLabState`, on the app-wide point set.

Every change goes through :meth:`DensityLab.apply_state` (edits, slider moves, the slice's release,
presets, sessions): it validates the state, shows it in the widgets and asks the worker for what changed —
the fitted density as a coloured heatmap with its marginals, conditional and samples (``density:heat``;
a slider still held streams ``density:heat:drag`` without the exact log-likelihoods), the held-out table
(``density:table``), the 1-D page (``density:oned``). A drag of the slice streams only the conditional
(``density:slice``); a drag of a mixture's component streams the moved mixture's picture
(``density:heat:component``, :mod:`~vaeviz.ui.density.component_drag`). The VAE trains on the
``density:vae`` channel (Train button), its maps then shown beside each other. Data edits (the point
set's notifications) refit the shown estimator.

Bad input never draws NaN: a state the lab cannot show (bins 0, bandwidth 0, N < 2, K = 0) is refused
whole with a sentence in the message bar; data a fit cannot use (all points identical, K > N, one point)
clears the density and says why; an image that is not one changes nothing.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QSplitter, QTabWidget, QVBoxLayout, QWidget

from vaeviz.core.data.density_image import load_image_density, sample_image_density
from vaeviz.core.data.density_presets import DENSITY_PRESETS, DensityInputError, make_density_preset
from vaeviz.core.data.pointset import PointSet
from vaeviz.core.data.pointset_io import export_csv
from vaeviz.core.density.lab import (
    ESTIMATOR_NAMES,
    DensitySnapshot,
    HeldOutTable,
    TableRow,
    conditional_of,
    oned_job,
    plot_rect,
    split,
    table_job,
)
from vaeviz.core.density.state import CUSTOM_DATA, DataChoice, DensityLabState
from vaeviz.core.jobs import single
from vaeviz.ui.data_tools import CSV_FILTER, DataTools
from vaeviz.ui.density.component_drag import ComponentDrag
from vaeviz.ui.density.controller import DensityController
from vaeviz.ui.density.controls import DensityControls
from vaeviz.ui.density.explain import ExplainPane, explain_html
from vaeviz.ui.density.figure import DensityFigure
from vaeviz.ui.density.layers import LIVE_RES, fit_heat_job, recolour_job, vae_heat_job, vae_recolour_job
from vaeviz.ui.lab.controller import user_message
from vaeviz.ui.lab.message_bar import MESSAGE, MessageBar

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif);;All files (*)"
IMAGE_RECT = (-4.0, -4.0, 4.0, 4.0)  # the box an image's density covers (its long side)


def _sample_preset(name: str, n: int, seed: int):
    return make_density_preset(name, n, seed)


def _preset_n(name: str) -> int:
    return DENSITY_PRESETS[name].default_n


def _fit_title(state: DensityLabState, snapshot) -> str:
    name = ESTIMATOR_NAMES[state.estimator]
    s = state.settings
    detail = {"histogram": f"{s.bins} × {s.bins} bins",
              "kde": (f"h = {s.bandwidth:.3g}" if s.bandwidth_rule == "manual"
                      else f"bandwidth by {s.bandwidth_rule}"),
              "gmm": f"K = {s.components}, {s.covariance_type} covariances",
              "autoregressive": f"p(x₁) by {s.ar_marginal}, p(x₂|x₁) by {s.ar_conditional} in {s.ar_bins} "
                                "slices",
              "vae": f"latent {s.vae_latent}, log p(x) by importance sampling with K = {s.vae_k}",
              }[state.estimator]
    data = f"{state.data.preset} data" if state.data.preset != CUSTOM_DATA else "the shared data"
    parts = [f"{name} ({detail}) of {data}, {state.view.scale} scale"]
    if snapshot is not None and state.view.samples and state.estimator != "vae":
        parts.append(f"{state.view.samples:,} samples from p_model (×, right) beside p_data (left)")
    return "; ".join(parts)


class DensityLab(QWidget):
    data_loaded = Signal()

    def __init__(self, compute, points: PointSet, presets: list[tuple[str, str]],
                 start: DensityLabState | None = None) -> None:
        super().__init__()
        self.messages = MessageBar()
        self.controller = DensityController(compute, self.messages, self)
        self.points = points
        self.figure = DensityFigure()
        self.controls = DensityControls(presets)
        self.explain = ExplainPane()
        self.tools = DataTools(points, self.controller, self, _sample_preset, _preset_n)
        self.state = DensityLabState()
        self.dark = False
        self.train = np.empty((0, 2))
        self.held = np.empty((0, 2))
        self.rect = (-4.0, -4.0, 4.0, 4.0)
        self.heat = None  # the Heat (or VaeHeat's density) on show
        self.vae_heat = None  # the last VaeHeat and what it was trained on
        self._vae_key = None
        self.table = None
        self.oned = None
        self.cursor: tuple[float, float] | None = None
        self.data_problem = ""
        self.generative = None  # the generative-process page, made when first shown
        self.vae_channel = self.controller.channel("vae", on_progress=self._on_vae_progress,
                                                   on_finished=self._on_vae_finished,
                                                   on_failed=self._on_vae_failed)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.messages)
        self.views = QTabWidget()
        self.views.addTab(self.figure, "Density")
        column.addWidget(self.views, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.controls, "Lab")
        self.tabs.addTab(self.explain, "Explain")
        # as wide as the side panel's widgets need (it scrolls down only) and its scroll bar
        self.tabs.setMinimumWidth(max(370, self.controls.widget().minimumSizeHint().width() + 30))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        c = self.controls
        c.edited.connect(self._on_edited)
        c.train.clicked.connect(self.train_vae)
        c.load_data.clicked.connect(self._on_load_data)
        c.load_image.clicked.connect(self.image_dialog)
        c.undo.clicked.connect(self.tools.undo)
        c.redo.clicked.connect(self.tools.redo)
        c.import_csv.clicked.connect(self.tools.import_dialog)
        c.export_csv.clicked.connect(self.tools.export_dialog)
        c.export_samples.clicked.connect(self.export_samples_dialog)
        c.generative.clicked.connect(self.show_generative)
        for name, button in c.tools.items():
            button.toggled.connect(lambda on, name=name: on and self.set_tool(name))  # GUI-thread signal
        self.tools.message.connect(self._on_tools_message)
        self.figure.slice_dragged.connect(self._on_slice_dragged)
        self.figure.mouse_moved.connect(self._on_mouse_moved)
        self.figure.main.box.data_edit.connect(self._on_data_edit)
        self.component_drag = ComponentDrag(self)
        self._unsubscribe = points.subscribe(self._on_points_changed)
        self._applied: DensityLabState | None = None
        self._live = False  # the picture on show is a held slider's quick frame (no numbers, no table)
        self.apply_state(start or self.state)

    # ----- the one path of every change -------------------------------------------------------------
    def apply_state(self, state: DensityLabState, live: bool = False, reload_data: bool = False) -> bool:
        """Show ``state`` (after validating it) and recompute what it changed; False (and a message) if it
        cannot be shown — the lab then keeps its state and the widgets show it again. ``live``: a slider is
        still held (quick frames, no table); ``reload_data``: sample the state's data preset again even if
        it is the one loaded (presets)."""
        try:
            state.validate()
        except ValueError as err:
            self.controller.report(html.escape(str(err), quote=False))
            self.controls.show_state(self.state)
            return False
        old = self._applied
        was_live, self._live = self._live, live
        self.state = self._applied = state
        self.messages.clear(MESSAGE)
        self.controls.show_state(state)
        self.figure.set_mode(state.mode, "elbo" if state.estimator == "vae"
                             else "samples" if state.view.samples else None)
        if state.mode == "1d":
            if old is None or old.mode != "1d" or old.settings != state.settings or old.data != state.data \
                    or old.view != state.view or reload_data:
                self.controller.request("oned", oned_job(state), self._on_oned)
            return True
        loads = state.data.preset != CUSTOM_DATA and (
            reload_data or (old is not None and (old.data != state.data or old.mode != state.mode)))
        if loads:
            self.load_data(state.data)  # the point set's notification refreshes everything
            return True
        if old is None or old.mode != state.mode or old.view.held_out != state.view.held_out \
                or old.view.split_seed != state.view.split_seed:
            self.refresh()
        elif old.estimator != state.estimator or old.settings != state.settings \
                or old.view.samples != state.view.samples:
            self.request_fit(live)
        elif old.view.scale != state.view.scale:
            self.recolour()
        elif old.view.slice_on != state.view.slice_on or old.view.slice_at != state.view.slice_at:
            if state.estimator == "vae" or state.view.slice_on != old.view.slice_on:
                self.request_fit(False)
            else:
                self.request_slice(state.view.slice_at, drag=False)
        elif old.view.compare_bandwidths != state.view.compare_bandwidths:
            self.request_table()
        elif was_live and not live:  # the slider's release: the exact numbers and the table now
            self.request_fit(False)
        return True

    @Slot(object, bool)
    def _on_edited(self, state: DensityLabState, live: bool) -> None:
        self.apply_state(state, live=live)

    # ----- data ------------------------------------------------------------------------------------------
    def load_data(self, data: DataChoice, then=None) -> None:
        """Sample a data preset into the shared point set (worker), one undoable step."""
        self.tools.load_preset(data.preset, data.n, data.seed, on_done=(lambda _d: then()) if then else None)

    def _on_load_data(self) -> None:
        state = self.state
        if state.data.preset == CUSTOM_DATA:
            self.controller.report("Choose a preset to load (custom data are the points as they are).",
                                   "info")
            return
        self.apply_state(state, reload_data=True)

    def _on_points_changed(self, _change) -> None:
        # Called inside the PointSet's notification: the set must not be edited from here.
        self.controls.undo.setEnabled(self.points.can_undo)
        self.controls.redo.setEnabled(self.points.can_redo)
        if self.state.mode == "2d":
            self.refresh()

    @Slot(str, object, str)
    def _on_data_edit(self, tool: str, pos, stage: str) -> None:
        self.tools.edit(tool, pos, stage, 0.04 * (self.rect[2] - self.rect[0]))
        if self.state.data.preset != CUSTOM_DATA and stage in ("click", "finish"):
            # the points are the user's now: a reload of the preset would lose them
            self.state = self._applied = replace(self.state,
                                                 data=replace(self.state.data, preset=CUSTOM_DATA))
            self.controls.show_state(self.state)

    def set_tool(self, tool: str) -> None:
        self.figure.main.box.tool = tool

    @Slot(str, str)
    def _on_tools_message(self, kind: str, text: str) -> None:
        if kind == "info":
            self.controller.report(html.escape(text), "info")
        elif text:
            self.controller.report(html.escape(text))
        else:
            self.messages.clear(MESSAGE)

    def refresh(self) -> None:
        """The data changed (or the split): split again, draw the points, refit, recompute the table."""
        pts = self.points.points
        self.data_problem = ""
        try:
            self.train, self.held = split(pts, self.state)
        except DensityInputError as err:
            self.train = pts.copy() if len(pts) else np.empty((0, 2))
            self.held = np.empty((0, 2))
            self.data_problem = str(err)
        self.rect = plot_rect(pts if len(pts) else None)
        self.figure.set_range(self.rect)
        self.figure.set_points(self.train, self.held)
        if self.data_problem:
            self.show_problem(self.data_problem)
            return
        self.messages.clear(MESSAGE)  # (a problem with the previous data is over)
        self.request_fit(False)

    def show_problem(self, text: str) -> None:
        """No density can be shown: say why in the bar and in the plot, draw none (never NaN)."""
        self.heat = None
        self.figure.main.set_heat(None)
        self.figure.elbo.set_heat(None)
        self.figure.set_marginals(self.rect, 1, None, None)
        self.figure.set_conditional(self.rect, 1, None, None)
        self.figure.set_samples(None)
        self.figure.main.set_note(f"No density: {text}")
        self.component_drag.show_handles(None)
        self.table = None
        self.figure.table.show_table(None, None)
        self.controller.report(html.escape(f"{text[:1].upper()}{text[1:]}.", quote=False), "error")
        self.update_titles()
        self.update_explain()

    def image_dialog(self) -> None:
        path = self.ask_open_path("Density from an image", IMAGE_FILTER)
        if path:
            self.load_image(path)

    def load_image(self, path: str, n: int | None = None) -> None:
        """Sample ``n`` points (the data's N by default) from an image's brightness (worker); a bad file
        changes nothing and says why."""
        seed = self.state.data.seed
        n = self.state.data.n if n is None else n

        def read(ctx):
            try:
                density = load_image_density(path)
            except DensityInputError as err:
                return err
            h, w = density.probabilities.shape
            x0, y0, x1, y1 = IMAGE_RECT
            half_w, half_h = (x1 - x0) / 2 * min(1.0, w / h), (y1 - y0) / 2 * min(1.0, h / w)
            rect = (-half_w, -half_h, half_w, half_h)
            return density, sample_image_density(density, rect, n, seed)

        self.controller.request("image", single(read), self._on_image)

    @Slot(object)
    def _on_image(self, result) -> None:
        if isinstance(result, DensityInputError):
            self.controller.report(html.escape(f"Could not use the image: {result}. Nothing was changed.",
                                               quote=False))
            return
        density, pts = result
        self.state = self._applied = replace(self.state, data=replace(self.state.data, preset=CUSTOM_DATA))
        self.controls.show_state(self.state)
        self.points.replace(pts, None, text="density from an image")
        note = f" ({density.note})" if density.note else ""
        self.controller.report(html.escape(f"Sampled {len(pts):,} points from the image's brightness{note}."),
                               "info")

    # ----- the density -----------------------------------------------------------------------------------
    def _vae_key_now(self):
        s = self.state.settings
        return (self.points.version, self.state.view.held_out, self.state.view.split_seed, s.vae_latent,
                s.vae_k,
                s.vae_steps, self.state.view.samples, self.state.view.slice_on)

    def request_fit(self, live: bool) -> None:
        state = self.state
        if self.data_problem:
            return
        # a held slider's frames have no numbers: the table is of the fit before, greyed until the release
        self.figure.table.setEnabled(not live)
        self.figure.main.set_note("")
        if state.estimator == "vae":
            if self.vae_heat is not None and self._vae_key == self._vae_key_now():
                self.controller.request("heat", vae_recolour_job(self.vae_heat.snapshot, state.view.scale,
                                                                 self.dark), self._on_vae_heat)
            else:
                self.show_untrained()
        else:
            factory = fit_heat_job(state, self.train, self.held, self.rect, self.dark, live=live,
                                   res=LIVE_RES if live else None)
            if live:
                self.controller.stream(("heat", "drag"), factory, self._on_heat,
                                       on_failed=self._on_fit_failed)
            else:
                self.controller.request("heat", factory, self._on_heat, on_failed=self._on_fit_failed)
        if not live:
            self.request_table()

    def show_untrained(self) -> None:
        self.heat = None
        self.component_drag.show_handles(None)
        for plot in (self.figure.main, self.figure.elbo):
            plot.set_heat(None)
        self.figure.set_marginals(self.rect, 1, None, None)
        self.figure.set_conditional(self.rect, 1, None, None)
        self.figure.set_samples(None)
        self.figure.main.set_note("Press “Train VAE”: p(x) = ∫ p(z) p(x|z) dz\nis estimated once the VAE "
                                  "is trained")
        self.update_titles()

    def request_table(self) -> None:
        if len(self.held) == 0:
            return
        # (no "true density" row in 2-D: the shared points may have been edited since the preset was loaded)
        self.controller.request("table", table_job(self.state, self.train, self.held, None, self.rect),
                                self._on_table)

    @Slot(object)
    def _on_table(self, table) -> None:
        self.table = table
        self.show_table()

    def show_table(self) -> None:
        """The held-out table, with the VAE's rows (log p̂_K and the ELBO) once it is trained on this data."""
        table = self.table
        if table is not None and self.vae_heat is not None and self._vae_key == self._vae_key_now():
            snap = self.vae_heat.snapshot
            k = snap.k_samples
            rows = (*table.rows,
                    TableRow("vae", f"VAE, log p(x) by importance sampling (K = {k})", snap.density.train_ll,
                             snap.density.held_ll),
                    TableRow("vae-elbo", "VAE, ELBO (a lower bound)", snap.train_elbo, snap.held_elbo))
            table = HeldOutTable(rows, table.n_train, table.n_held)
        self.figure.table.show_table(table, self.state.estimator)
        self.update_explain()

    @Slot(object)
    def _on_heat(self, heat) -> None:
        if not self.component_drag.fit_arrived(heat):
            self.show_heat(heat)

    def show_heat(self, heat) -> None:
        """Draw a picture: the density, its marginals and conditional, samples, handles, titles."""
        self.heat = heat
        snap: DensitySnapshot = heat.snapshot
        self.figure.main.set_heat(heat)
        if self.figure.side == "samples":
            self.figure.elbo.set_heat(heat)
        self.figure.set_marginals(snap.rect, snap.res, snap.marginal_x, snap.marginal_y)
        self.figure.set_conditional(snap.rect, snap.res, snap.slice_at, snap.conditional, snap.marginal_y)
        self.figure.set_samples(snap.samples)
        self.component_drag.show_handles(heat)
        if snap.note:
            self.controller.report(html.escape(f"Note: {snap.note}.", quote=False), "info")
        self.update_titles()
        self.update_explain()

    @Slot(str, str)
    def _on_fit_failed(self, message: str, _details: str) -> None:
        self.show_problem(user_message(message))

    def recolour(self) -> None:
        if self.state.estimator == "vae":
            self.request_fit(False)
        elif self.heat is not None:
            self.controller.request("heat",
                                    recolour_job(self.heat.snapshot, self.state.view.scale, self.dark),
                                    self._on_heat)

    def request_slice(self, a: float, drag: bool) -> None:
        """The conditional at a from the fit on show (the fit is kept; a stream while dragging)."""
        if self.heat is None:
            return
        snapshot = self.heat.snapshot

        def compute(ctx):
            return a, conditional_of(snapshot, a)

        if drag:
            self.controller.stream(("slice", "drag"), single(compute), self._on_slice)
        else:
            self.controller.request("slice", single(compute), self._on_slice)

    @Slot(object)
    def _on_slice(self, result) -> None:
        a, values = result
        if self.heat is None:
            return
        snap = self.heat.snapshot
        self.figure.set_conditional(snap.rect, snap.res, a, values, snap.marginal_y)
        self.update_explain()

    @Slot(float, bool)
    def _on_slice_dragged(self, a: float, finished: bool) -> None:
        if finished:
            self.apply_state(replace(self.state, view=replace(self.state.view, slice_at=round(a, 3))))
        else:
            self.request_slice(a, drag=True)

    # ----- the VAE ----------------------------------------------------------------------------------------
    def train_vae(self) -> None:
        if self.state.mode != "2d" or self.data_problem:
            return
        if self.state.estimator != "vae":
            self.apply_state(replace(self.state, estimator="vae"))
        self._vae_key = self._vae_key_now()
        self.controls.set_progress(0.0)
        self.controller.report("Training the VAE on the training points…", "info")
        job = vae_heat_job(self.state, self.train, self.held, self.rect, self.dark)
        self.controller.replace_job(self.vae_channel, job)

    @Slot(object)
    def _on_vae_progress(self, progress) -> None:
        fraction = getattr(progress, "fraction", None)
        if fraction is not None:
            self.controls.set_progress(fraction)

    @Slot(object)
    def _on_vae_finished(self, vae_heat) -> None:
        self.controls.set_progress(1.0)
        self.vae_heat = vae_heat
        self.messages.clear(MESSAGE)
        if self.state.estimator == "vae":
            self._on_vae_heat(vae_heat)

    @Slot(str, str)
    def _on_vae_failed(self, message: str, _details: str) -> None:
        self.controls.set_progress(None)
        self.controller.report(user_message(message))

    @Slot(object)
    def _on_vae_heat(self, vae_heat) -> None:
        self.vae_heat = vae_heat
        self.figure.main.set_note("")
        self.show_heat(vae_heat.density)
        self.figure.elbo.set_heat(vae_heat.elbo)
        snap = vae_heat.snapshot
        gap = snap.density.held_ll - snap.held_elbo  # at the held-out points: where the data are
        se = float(np.nanmedian(snap.log_px_se))
        self.figure.elbo.setTitle(f"ELBO ≤ log p(x) (gap {gap:.2f} held out)", size="10pt")
        self.figure.main.setTitle(f"log p(x) by importance sampling, K = {snap.k_samples} "
                                  f"(median SE {se:.2f})",
                                  size="10pt")
        self.show_table()

    # ----- the 1-D page -----------------------------------------------------------------------------------
    @Slot(object)
    def _on_oned(self, snapshot) -> None:
        self.oned = snapshot
        self.figure.show_oned(snapshot)
        self.figure.table.show_table(snapshot.table, self.state.estimator)
        self.table = snapshot.table
        for note in snapshot.notes:
            self.controller.report(html.escape(f"Note: {note}.", quote=False), "info")
        self.update_titles()
        self.update_explain()

    # ----- the generative process ---------------------------------------------------------------------------
    def show_generative(self, n_draws: int = 0) -> bool:
        """The generative-process page for the shown Gaussian mixture (fitted with the state's K); False if
        the view is not available or there is no mixture."""
        try:
            from vaeviz.ui.density.generative_view import GenerativeView
        except ImportError:
            self.controller.report("The generative-process view is not available in this build.", "info")
            return False
        if self.state.estimator != "gmm":
            self.apply_state(replace(self.state, estimator="gmm"))
        heat = self.heat
        fitted = getattr(heat.snapshot, "fitted", None) if heat is not None else None
        if fitted is None or not hasattr(fitted, "gmm"):
            self.controller.report("Fit a Gaussian mixture first: the process draws from it.", "info")
            return False
        if self.generative is None:
            self.generative = GenerativeView(self, self.controller.compute)
            self.generative.set_dark(self.dark)
            self.generative.exported.connect(self._on_generative_exported)
            self.views.addTab(self.generative, "Generative process")
        gmm = fitted.gmm
        self.generative.set_mixture(gmm.weights, gmm.means, gmm.covariances)
        if n_draws:
            self.generative._show_until(n_draws, lit=True)  # the view's own jump, as its export uses
        self.views.setCurrentWidget(self.generative)
        return True

    @Slot(str, str)
    def _on_generative_exported(self, path: str, error: str) -> None:
        if error:
            self.controller.report(f"The animation could not be exported: {error}")
        else:
            self.controller.report(f"Animation written to {Path(path).name}.", "info")

    def current_figure(self) -> QWidget:
        if self.generative is not None and self.views.currentWidget() is self.generative:
            return self.generative.figure_widget()
        return self.figure

    # ----- titles, the Explain pane, the cursor ------------------------------------------------------------
    def update_titles(self) -> None:
        state = self.state
        if state.mode == "1d":
            self.figure.set_title("1-D density estimation: histogram, KDE and Gaussian mixture fitted to "
                                  f"{len(self.oned.train) if self.oned else 0} training points of "
                                  "0.5 N(−10, 2²) + 0.5 N(10, 3²), over the true density (dashed); ticks: "
                                  "training (top) and held-out points")
            return
        handles = self.component_drag.caption()
        self.figure.set_title(_fit_title(state, self.heat) + (f"; {handles}" if handles else "")
                              + f" — {len(self.train):,} training points (●), "
                                f"{len(self.held):,} held out (○)")


    @Slot(float, float)
    def _on_mouse_moved(self, x: float, y: float) -> None:
        self.cursor = (x, y)
        value = self.value_at(x, y)
        text = "" if value is None else f"log p = {value:.3f}\np = {math.exp(value):.4g}" \
            if math.isfinite(value) else "p = 0 (log p = −∞)"
        self.figure.show_probe(x, y, text)
        if self.tabs.currentWidget() is self.explain:
            self.update_explain()

    def value_at(self, x: float, y: float) -> float | None:
        """The shown log-density at (x, y): the heatmap's cell there (None outside or without one)."""
        if self.heat is None:
            return None
        snap = self.heat.snapshot
        x0, y0, x1, y1 = snap.rect
        i, j = int((y - y0) / (y1 - y0) * snap.res), int((x - x0) / (x1 - x0) * snap.res)
        if not (0 <= i < snap.res and 0 <= j < snap.res):
            return None
        return float(snap.log_density[i, j])

    def update_explain(self) -> None:
        cursor = None
        if self.cursor is not None:
            value = self.value_at(*self.cursor)
            elbo = None
            if value is not None and self.state.estimator == "vae" and self.vae_heat is not None:
                snap = self.vae_heat.snapshot.density
                x0, y0, x1, y1 = snap.rect
                i = int((self.cursor[1] - y0) / (y1 - y0) * snap.res)
                j = int((self.cursor[0] - x0) / (x1 - x0) * snap.res)
                elbo = float(self.vae_heat.snapshot.elbo[i, j])
            cursor = (*self.cursor, value, elbo)
        self.explain.show_html(explain_html(self.state, self.heat.snapshot if self.heat else None, self.table,
                                            cursor))

    # ----- the model's samples as CSV --------------------------------------------------------------------
    def export_samples_dialog(self) -> None:
        path = self.ask_save_path("Export samples from p_model", CSV_FILTER, "p_model-samples.csv")
        if path:
            self.export_samples(path if Path(path).suffix else path + ".csv")

    def export_samples(self, path: str) -> None:
        """The samples of the fitted model on show (p_model, the "Samples" count) as CSV, written in the
        worker, atomically."""
        snapshot = None if self.heat is None else self.heat.snapshot
        samples = getattr(snapshot, "samples", None)
        if self.state.mode != "2d" or samples is None or len(samples) == 0:
            self.controller.report("There are no samples from the model to export: set Samples above 0 "
                                   "(2-D, a fitted estimator).", "info")
            return
        self.controller.request("samples-csv", single(lambda ctx: str(export_csv(path, samples))),
                                self._on_samples_written)

    @Slot(str)
    def _on_samples_written(self, path: str) -> None:
        self.controller.report(f"Wrote the model's samples to {Path(path).name}.", "info")

    # ----- dialogs (replaced in tests) ---------------------------------------------------------------------
    def ask_open_path(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, title, "", filters)
        return path

    def ask_save_path(self, title: str, filters: str, name: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, name, filters)
        return path

    # ----- theme and end --------------------------------------------------------------------------------
    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        self.figure.apply_theme(dark)
        if self.generative is not None:
            self.generative.set_dark(dark)
        if self.state.mode == "2d":
            self.recolour()

    def shutdown(self) -> None:
        self._unsubscribe()
        if self.generative is not None:
            self.generative.pause()
        self.controller.shutdown()


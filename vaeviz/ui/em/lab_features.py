"""The lab's features around the core loop: raster layers, the 1-D page, the three problems, exports,
keyboard actions and the theme. A mixin of :class:`vaeviz.ui.em.lab.EmLab` (it uses its attributes)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from vaeviz.core.em.choices import LECTURE_MEANS, LECTURE_SIGMAS, LECTURE_WEIGHTS
from vaeviz.core.em.edit import snap_and_shrink
from vaeviz.core.em.lab import Frame
from vaeviz.core.em.problems import crossover, seeds_job
from vaeviz.core.video import find_mp4_encoder
from vaeviz.ui.em.explain import fmt
from vaeviz.ui.em.export_anim import AnimationExporter, animation_filters, animation_target, write_parameters
from vaeviz.ui.em.layers import density_job, voronoi_job
from vaeviz.ui.em.problems import PROBLEMS, problems_html

SEED_LIMIT = 20_000  # the seed runs use at most this many (drawn) points: four full runs must stay quick


def _layer_place(view) -> tuple[tuple[float, float, float, float], tuple[int, int, int]]:
    """Where a raster layer goes: the view's range (x0, y0, x1, y1), the background it is composited over."""
    (x0, x1), (y0, y1) = view.getPlotItem().vb.viewRange()
    return (x0, y0, x1, y1), view.background


class LabFeatures:
    """Mixin: see the module docstring."""

    def init_features(self) -> None:
        self._heat_for = None
        self._heat_layer = None
        self._cells_for = None
        self._pending: set[str] = set()
        self._waiters: list = []
        self.problem: str | None = None
        self.seed_runs: list = []
        self.seeds_channel = self.controller.channel("seeds")
        self.seeds_channel.finished.connect(self._on_seeds_done)
        self.seeds_channel.failed.connect(lambda message, details: self.set_message("io", message))
        self._gif = None
        self.oned_params = (LECTURE_WEIGHTS["equal"], LECTURE_MEANS, LECTURE_SIGMAS)
        self.lab_actions = self._make_actions()
        self._problems_html = problems_html(None)
        self.problems_text.setHtml(self._problems_html)

    def connect_features(self) -> None:
        s = self.side
        s.heatmap.toggled.connect(self._on_layers_toggled)
        s.contours.toggled.connect(self._on_layers_toggled)
        s.kmeans.toggled.connect(lambda on: self.set_side("kmeans" if on else None))
        s.complete.toggled.connect(self.figure.curves.show_complete)
        s.problem1.clicked.connect(lambda: self.show_problem("marginal", run=True))
        s.problem2.clicked.connect(self.run_seeds)
        s.align.toggled.connect(self.figure.seeds_view.set_aligned)
        s.problem3.clicked.connect(self.snap_shrink)
        s.export_gif.clicked.connect(self.export_gif_dialog)
        s.export_params.clicked.connect(self.export_params_dialog)
        s.mode.currentIndexChanged.connect(lambda _i: self.set_mode(s.mode.currentData()))
        s.weights_1d.currentIndexChanged.connect(self._on_oned_controls)
        for spin in (*s.means_1d, *s.sigmas_1d):
            spin.valueChanged.connect(self._on_oned_controls)
        s.reset_1d.clicked.connect(lambda: self.set_oned("equal" if s.weights_1d.currentData() == "equal"
                                                         else "unequal", LECTURE_MEANS, LECTURE_SIGMAS))
        self.figure.oned.mean_dragged.connect(self._on_oned_mean_dragged)
        # Layers cover exactly the visible range (an SVG cannot clip them), so a pan or zoom redoes them.
        self.figure.em_view.getPlotItem().vb.sigRangeChanged.connect(lambda *_: self._on_range_changed("heat"))
        self.figure.km_view.getPlotItem().vb.sigRangeChanged.connect(lambda *_: self._on_range_changed("cells"))
        self.set_oned("equal", LECTURE_MEANS, LECTURE_SIGMAS)
        self.set_mode("2d")

    @contextmanager
    def quiet(self):
        """Set several controls without each change restarting EM."""
        widgets = [self.side.k, self.side.seed, self.side.cov_type, self.side.init, self.side.floor,
                   self.side.reg, self.side.mode, self.side.weights_1d, *self.side.means_1d, *self.side.sigmas_1d]
        before = [w.blockSignals(True) for w in widgets]  # restored, not cleared: calls may nest
        try:
            yield self.side
        finally:
            for w, old in zip(widgets, before, strict=True):
                w.blockSignals(old)

    # ----- raster layers -------------------------------------------------------------------------
    def reset_layers(self) -> None:
        self._heat_for = self._heat_layer = self._cells_for = None
        self.figure.em_view.set_density(None, False, False)
        self.figure.km_view.set_cells(None, None)

    def request_layers(self, frame: Frame) -> None:
        s, view = self.side, self.figure.em_view
        if s.heatmap.isChecked() or s.contours.isChecked():
            if frame.gmm is not self._heat_for:
                self._heat_for = frame.gmm
                self._pending.add("heat")
                job = density_job(frame.gmm, *_layer_place(view), s.contours.isChecked())
                self.controller.request("heat", job, self._on_heat,
                                        on_failed=lambda m, d: self._layer_done("heat"))
        else:
            view.set_density(None, False, False)
        if self.figure.side_kind == "kmeans" and frame.km is not None:
            centres = frame.km.centres
            if self._cells_for is None or not np.array_equal(self._cells_for, centres):
                self._cells_for = centres
                self._pending.add("cells")
                self.controller.request("cells", voronoi_job(centres, *_layer_place(self.figure.km_view)),
                                        self._on_cells, on_failed=lambda m, d: self._layer_done("cells"))
        self._flush_waiters()

    def _on_range_changed(self, layer: str) -> None:
        if layer == "heat":
            self._heat_for = None
        else:
            self._cells_for = None
        if self.runner.frame is not None and self.mode == "2d":
            self.request_layers(self.runner.frame)

    def _on_heat(self, layer) -> None:
        self._heat_layer = layer
        self.figure.em_view.set_density(layer, self.side.heatmap.isChecked(), self.side.contours.isChecked())
        self._layer_done("heat")

    def _on_cells(self, result) -> None:
        rect, pixels = result
        self.figure.km_view.set_cells(rect, pixels)
        self._layer_done("cells")

    def _layer_done(self, name: str) -> None:
        self._pending.discard(name)
        self._flush_waiters()

    def _flush_waiters(self) -> None:
        if not self._pending and self._waiters:
            waiters, self._waiters = self._waiters, []
            for callback in waiters:
                callback()

    def render_frame(self, index: int, callback) -> None:
        """Show frame ``index`` and call ``callback`` once its layers are drawn (GIF export)."""
        self._waiters.append(callback)
        self.runner.show(index)
        self._flush_waiters()

    def _on_layers_toggled(self) -> None:
        s = self.side
        layer = self._heat_layer
        if (layer is not None and self._heat_for is (self.runner.frame.gmm if self.runner.frame else None)
                and (layer.has_contours or not s.contours.isChecked())):
            self.figure.em_view.set_density(layer, s.heatmap.isChecked(), s.contours.isChecked())
        elif self.runner.frame is not None:
            self._heat_for = None  # (a layer without the contours now asked for)
            self.request_layers(self.runner.frame)

    def set_side(self, kind: str | None) -> None:
        self.figure.set_side(kind)
        if kind == "kmeans":
            self._cells_for = None
            if self.runner.frame is not None:
                self.request_layers(self.runner.frame)

    def pick_point(self, pos) -> None:
        """Make the data point nearest ``pos`` the one the Explain pane works through."""
        if self.data is None or self.data.n == 0:
            return
        shown = self.data.x_shown
        i = int(np.argmin(((shown - np.asarray(pos)) ** 2).sum(axis=1)))  # ≤ 20,000 drawn points: < 1 ms
        self.probe_index = i if self.data.shown is None else int(self.data.shown[i])
        self.figure.em_view.set_picked(self.data.x[self.probe_index])
        self.tabs.setCurrentWidget(self.explain)
        self._update_explain()

    # ----- 1-D page ------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.mode = mode
        s = self.side
        with self.quiet():
            s.mode.setCurrentIndex(s.mode.findData(mode))
        for box in (s.data_box, s.model_box, s.show_box, s.problems_box, s.export_box):
            box.setVisible(mode == "2d")
        s.oned_box.setVisible(mode == "1d")
        self.transport.setVisible(mode == "2d")
        self.figure.set_mode(mode)
        self.messages.setVisible(mode == "2d" and bool(self.messages.text()))
        self._update_oned_explain() if mode == "1d" else self._update_explain()

    def set_oned(self, weights: str, means, sigmas) -> None:
        s = self.side
        with self.quiet():
            s.weights_1d.setCurrentIndex(s.weights_1d.findData(weights))
            for k in range(2):
                s.means_1d[k].setValue(means[k])
                s.sigmas_1d[k].setValue(sigmas[k])
        self._on_oned_controls()

    def _on_oned_controls(self) -> None:
        s = self.side
        weights = LECTURE_WEIGHTS[s.weights_1d.currentData()]
        means = tuple(w.value() for w in s.means_1d)
        sigmas = tuple(w.value() for w in s.sigmas_1d)
        self.oned_params = (weights, means, sigmas)
        self.figure.oned.set_params(weights, means, sigmas)
        self._update_oned_explain()

    def _on_oned_mean_dragged(self, k: int, value: float) -> None:
        spin = self.side.means_1d[k]
        spin.setValue(round(value * 2) / 2 if abs(value - spin.value()) >= 0.25 else spin.value())

    def _update_oned_explain(self) -> None:
        if self.mode != "1d":
            return
        weights, means, sigmas = self.oned_params
        x_star = crossover(weights, means, sigmas)
        where = (f"P(z=1|x) = P(z=2|x) = ½ at x* = {fmt(x_star)}: with unequal weights the boundary moves "
                 "towards the lighter component." if x_star is not None else
                 "With unequal σ the posterior can cross ½ twice.")
        self.explain.setHtml(
            "<h4>The lecture's 1-D mixture</h4>"
            f"<p>p(z=k) = π<sub>k</sub>: π = ({fmt(weights[0])}, {fmt(weights[1])}); "
            f"p(x|z=k) = N(x | μ<sub>k</sub>, σ<sub>k</sub>²) with μ = ({fmt(means[0])}, {fmt(means[1])}), "
            f"σ = ({fmt(sigmas[0])}, {fmt(sigmas[1])}).</p>"
            "<p>Marginal: p(x) = Σ<sub>z</sub> p(x|z) p(z) — the sum of the weighted components (black).</p>"
            "<p>Posterior (Bayes): P(z=k|x) = π<sub>k</sub> p(x|z=k) / p(x) — the E-step's responsibility "
            f"of component k for a point at x.</p><p>{where}</p>")

    # ----- problems ------------------------------------------------------------------------------
    def show_problem(self, key: str | None, run: bool = False) -> None:
        self.problem = key
        if key is not None:
            self.tabs.setCurrentWidget(self.problems_text)
            self.set_message("problem", f"<b>{PROBLEMS[key][0]}</b> — see the Problems tab.")
        else:
            self.set_message("problem", "")
        if key == "marginal" and run:
            self.side.complete.setChecked(True)
            self.restart(n_half=20)
        self.update_problem_detail(self.runner.frame)

    def clear_problem(self) -> None:
        if self.problem is not None:
            self.show_problem(None)
        if self.figure.side_kind == "seeds":
            self.set_side("kmeans" if self.side.kmeans.isChecked() else None)

    def update_problem_detail(self, frame: Frame | None) -> None:
        detail = ""
        if frame is not None and self.problem == "marginal":
            cll = frame.em.complete_log_likelihood
            if cll is None:
                detail = ("The complete-data log-likelihood needs the true labels of every point with K equal "
                          "to the number of true components: load a data preset and set K to match.")
            else:
                detail = (f"Now: marginal ℓ = {fmt(frame.em.log_likelihood)}, complete ℓ<sub>c</sub> = {fmt(cll)}. "
                          f"Their difference ℓ<sub>c</sub> − ℓ = Σ<sub>n</sub> log P(z<sub>n</sub>|x<sub>n</sub>) "
                          f"= {fmt(cll - frame.em.log_likelihood)} ≤ 0.")
        elif self.problem == "seeds" and self.seed_runs:
            rows = "; ".join(f"seed {r.seed}: ℓ = {fmt(r.log_likelihood)}, order {[int(p) + 1 for p in r.perm]}"
                             for r in self.seed_runs)
            detail = f"{rows}. Tick “align the runs” to match each run's components to the fit on the left."
        elif frame is not None and self.problem == "singular":
            floor = "on" if self.side.floor.isChecked() else "off"
            detail = f"Component {self.selected + 1} was snapped onto one point. Floor {floor}; " \
                     f"ℓ now = {fmt(frame.em.log_likelihood)}. "
            detail += ("It collapsed: tick the floor (the lab steps back) and press M-step to see ℓ stay finite."
                       if frame.terminal else "Press Step and watch ℓ.")
        html = problems_html(self.problem, detail)
        if html != self._problems_html:  # every frame shown calls this; setHtml re-lays out the text
            self._problems_html = html
            self.problems_text.setHtml(html)

    def run_seeds(self) -> None:
        frame = self.runner.frame
        if self.data is None or frame is None:
            self.set_message("io", "Run from several seeds needs data and a valid K first.")
            return
        if self.settings().k < 2:
            self.set_message("io", "Label switching needs K ≥ 2 components.")
            return
        x = self.data.x_shown if self.data.n > SEED_LIMIT else self.data.x
        st = self.settings()
        self.show_problem("seeds")
        reference = frame.gmm.means if frame.gmm.n_components == st.k else None
        self.seeds_channel.submit(seeds_job(np.ascontiguousarray(x), st.k, st.covariance_type, st.reg_value,
                                            reference=reference), progress="latest")

    def _on_seeds_done(self, runs) -> None:
        self.seed_runs = list(runs)
        self.figure.seeds_view.set_runs(self.seed_runs, self.data.x_shown)
        self.figure.seeds_view.set_aligned(self.side.align.isChecked())
        self.side.align.setEnabled(True)
        self.set_side("seeds")
        self.update_problem_detail(self.runner.frame)

    def snap_shrink(self) -> None:
        frame = self.runner.frame
        if frame is None or self.data is None:
            self.set_message("io", "Snap & shrink needs a mixture first.")
            return
        if frame.gmm.covariance_type == "tied":
            self.set_message("io", "With tied covariances all components share one matrix: one component "
                                   "cannot shrink alone. Choose full, diag or spherical.")
            return
        if frame.gmm.n_components < 2:
            self.set_message("io", "Snap & shrink needs K ≥ 2: the other components keep the rest of the "
                                   "data's density positive.")
            return
        if frame.terminal:
            self.runner.show(self.runner.pos - 1)
            frame = self.runner.frame
        k = min(self.selected, frame.gmm.n_components - 1)
        self.select_component(k)
        self.show_problem("singular")
        self.runner.edit(snap_and_shrink(frame.gmm, self.data.x, k), finished=True)

    # ----- exports -------------------------------------------------------------------------------
    def export_gif_dialog(self) -> None:
        path = self.ask_save_path("Export EM animation", animation_filters(find_mp4_encoder()), "em-run.gif")
        if path:
            self.export_animation(path)

    def export_animation(self, path: str) -> None:
        """The EM run as a GIF, or as an MP4 when ``path`` ends in .mp4 (which needs ffmpeg)."""
        encoder = find_mp4_encoder() if Path(path).suffix.lower() == ".mp4" else None
        path, fmt, problem = animation_target(path, encoder)
        if problem:
            self.set_message("io", problem)
            return
        self._gif = AnimationExporter(self, path, fmt, encoder)
        self._gif.done.connect(self._on_gif_done)
        self.set_message("info", "Rendering the animation…")
        self._gif.start()

    export_gif = export_animation  # the name of the GIF-only version

    def _on_gif_done(self, path: str, error: str) -> None:
        if error:
            self.set_message("io", f"The animation could not be exported: {error}")
        else:
            self.set_message("info", f"Animation written to {Path(path).name}.")

    def export_params_dialog(self) -> None:
        path = self.ask_save_path("Export parameters", "CSV files (*.csv)", "em-parameters.csv")
        if path:
            self.export_params(path if Path(path).suffix else path + ".csv")

    def export_params(self, path: str) -> bool:
        frame = self.runner.frame
        if frame is None:
            self.set_message("io", "There is no mixture to export yet.")
            return False
        try:
            write_parameters(path, frame.gmm)
        except OSError as exc:
            self.set_message("io", f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.set_message("info", f"Parameters written to {Path(path).name}.")
        return True

    # ----- data presets, actions, theme ------------------------------------------------------------
    def load_data_preset(self, name: str, n: int | None = None, seed: int = 0, then=None) -> None:
        self.clear_problem()
        self.tools.load_preset(name, n, seed, on_done=(lambda data: then()) if then else None)

    def _make_actions(self) -> list[QAction]:
        r, t = self.runner, self.transport
        specs = [
            ("GMM && EM: E-step", "E", lambda: t.e_step.isEnabled() and r.step("E")),
            ("GMM && EM: M-step", "M", lambda: t.m_step.isEnabled() and r.step("M")),
            ("GMM && EM: full EM step", "S", lambda: t.step.isEnabled() and r.step("step")),
            ("GMM && EM: run / pause", "Space", lambda: t.run.isEnabled() and t.run.toggle()),
            ("GMM && EM: previous half-step", "Left", lambda: r.scrub(r.pos - 1)),
            ("GMM && EM: next half-step", "Right", lambda: (r.pause(), r.goto(r.pos + 1))),
            ("GMM && EM: first half-step", "Home", lambda: r.scrub(0)),
            ("GMM && EM: last computed half-step", "End", lambda: r.scrub(len(r.frames) - 1)),
            ("GMM && EM: reset EM", "R", self.reset),
            ("GMM && EM: undo data edit", QKeySequence.StandardKey.Undo, self.tools.undo),
            ("GMM && EM: redo data edit", "Ctrl+Shift+Z", self.tools.redo),
            ("GMM && EM: select / drag tool", "V", lambda: self.set_tool("select")),
            ("GMM && EM: add-points tool", "A", lambda: self.set_tool("add")),
            ("GMM && EM: spray tool", "P", lambda: self.set_tool("spray")),
            ("GMM && EM: erase tool", "X", lambda: self.set_tool("erase")),
        ]
        actions = []
        for text, keys, slot in specs:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, f=slot: self.mode == "2d" and f())
            self.addAction(action)
            actions.append(action)
        return actions

    def apply_theme(self, dark: bool) -> None:
        self.figure.apply_theme(dark)
        self._heat_for = self._cells_for = None  # the layers are composited over the old background
        if self.runner.frame is not None and self.mode == "2d":
            self.request_layers(self.runner.frame)

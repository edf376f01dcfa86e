"""The GMM & EM lab: side panel | message bar, figure and transport bar | Numbers / Explain / Problems tabs.

:class:`EmLab` holds the lab's :class:`~vaeviz.core.em.state.EmLabState`, the single record of what the
user chose: the side panel shows it and turns edits into new states (:mod:`vaeviz.ui.em.binding`), and
every change, from a widget, a preset, a session or the self-check, goes through :meth:`EmLab.apply_state`.

The lab connects the shared PointSet (data), :class:`~vaeviz.ui.em.runner.EmRunner` (the history of
half-steps and the jobs behind it) and the views. It never computes anything costly itself: EM,
k-means, edits' likelihoods, density and Voronoi layers, presets and CSV files all go through its
:class:`~vaeviz.ui.em.controller.EmController` to ``compute`` (the worker in the app, inline in the
export CLI). It is composed of the raster layers, the parameter edits, the 1-D page, the problem demos,
the exports and the keyboard actions, each in its own module.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QFileDialog, QSplitter, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from vaeviz.core.data.pointset import PointSet, PointSetChange
from vaeviz.core.em.data_checks import data_note
from vaeviz.core.em.lab import Frame, LabData, display_index
from vaeviz.core.em.state import EmLabState, LabSettings
from vaeviz.core.grid import data_rect
from vaeviz.ui.em.actions import make_actions
from vaeviz.ui.em.binding import StateBinding
from vaeviz.ui.em.colours import responsibility_keys
from vaeviz.ui.em.controller import EmController
from vaeviz.ui.em.controls import SCRUB_TIP, SidePanel, TransportBar
from vaeviz.ui.em.data_tools import DataTools
from vaeviz.ui.em.explain import explain_html, fmt
from vaeviz.ui.em.exports import Exports
from vaeviz.ui.em.figure import EmFigure
from vaeviz.ui.em.kmeans_view import kmeans_colours
from vaeviz.ui.em.numbers import NumbersPane
from vaeviz.ui.em.oned_page import OneDPage
from vaeviz.ui.em.parameter_edits import ParameterEdits
from vaeviz.ui.em.problem_demos import ProblemDemos
from vaeviz.ui.em.problems import singular_message
from vaeviz.ui.em.raster_layers import RasterLayers
from vaeviz.ui.em.runner import MAX_HISTORY_FRAMES, EmRunner
from vaeviz.ui.lab.message_bar import MessageBar

ERRORS = ("blocked", "io", "singular")  # message kinds shown as errors; the others are notes
INFO_TIMEOUT_MS = 6000  # "info" messages (what just happened) clear themselves after this long


class EmLab(QWidget):
    """The whole content of the GMM & EM dock."""

    def __init__(self, compute, points: PointSet, lab_presets: list[tuple[str, str]]) -> None:
        super().__init__()
        self.compute = compute
        self.points = points
        self.messages = MessageBar()
        self.controller = EmController(compute, self.messages, self)
        self.runner = EmRunner(self.controller, self)
        self.tools = DataTools(points, self.controller, self)
        self.figure = EmFigure()
        self.side = SidePanel(lab_presets)
        self.transport = TransportBar()
        self.numbers = NumbersPane()
        self.explain = QTextBrowser()
        # Break lines between words only: numbers and the μ, Σ matrices must never be split in two.
        self.explain.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self.problems_text = QTextBrowser()
        self.tabs = QTabWidget()  # one side column keeps the figure wide at the default 1280 px
        self._lay_out()

        self.state = EmLabState()
        self.data: LabData | None = None
        self.rect = (-5.0, -5.0, 5.0, 5.0)
        self.selected = 0
        self.probe_index = 0
        self._drawing = False
        self._pending_data = False
        self._curves_stale = False
        self._reached = 0  # the furthest half-step shown since the history started: the curves end there
        self._curves_timer = QTimer(self, singleShot=True, interval=0)
        self._curves_timer.timeout.connect(self._update_curves)
        self.binding = StateBinding(self.side, lambda: self.state, self.apply_state)
        self.layers = RasterLayers(self.figure, self.controller, self.runner, lambda: self.state)
        self.oned = OneDPage(self.figure.oned, self.explain, lambda: self.state, self.apply_state,
                             self.side.sample_1d, self.side.clear_samples_1d)
        self.problems = ProblemDemos(self, self.runner, self.controller, self.figure, self.layers, self.tabs,
                                     self.problems_text, self.side.align)
        self.edits = ParameterEdits(self.figure, self.runner, self.numbers, self._n_points,
                                    self.select_component)
        self.exports = Exports(self.runner, self.layers, self.figure, compute,
                               lambda *args: self.ask_save_path(*args), self.set_message, self)
        self.lab_actions = make_actions(self, self.runner, self.transport, self.tools, self.reset,
                                        self.set_tool, lambda: self.state.mode == "2d")
        self._connect()
        self.binding.show(self.state)
        self.oned.show(self.state.oned)
        self._show_mode(self.state.mode)
        self._unsubscribe = points.subscribe(self._on_points_changed)

    def _lay_out(self) -> None:
        """Side column (Controls / Numbers / Explain / Problems tabs) | messages, figure and transport."""
        self.tabs.addTab(self.side, "Controls")
        self.tabs.addTab(self.numbers, "Numbers")
        self.tabs.addTab(self.explain, "Explain")
        self.tabs.addTab(self.problems_text, "Problems")
        self.tabs.setUsesScrollButtons(False)  # all four tabs visible: the column widens to fit them
        self.tabs.setMinimumWidth(self.side.minimumWidth() + 6)
        centre = QWidget()
        col = QVBoxLayout(centre)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(3)
        col.addWidget(self.messages)
        col.addWidget(self.figure, 1)
        col.addWidget(self.transport)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(centre)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([self.tabs.minimumWidth(), 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.splitter)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    # ----- wiring ------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.state.mode

    def _connect(self) -> None:
        s, t, r, f = self.side, self.transport, self.runner, self.figure
        r.shown.connect(self._on_shown)
        r.history_changed.connect(self._on_history_changed)
        r.blocked.connect(self._on_blocked)
        r.status.connect(lambda text: self.set_message("info", text))
        r.playing_changed.connect(self._on_playing_changed)
        r.failed.connect(lambda text: self.set_message("io", f"EM failed: {text}"))
        self.tools.message.connect(self.set_message)
        t.reset.clicked.connect(self.reset)
        t.e_step.clicked.connect(lambda: r.step("E"))
        t.m_step.clicked.connect(lambda: r.step("M"))
        t.step.clicked.connect(lambda: r.step("step"))
        t.run.toggled.connect(self._on_run_toggled)
        t.speed.valueChanged.connect(r.set_speed)
        t.scrubber.valueChanged.connect(self._on_scrubbed)
        s.load_data.clicked.connect(lambda: self.load_data_preset(self.state.data.preset, self.state.data.n))
        s.undo.clicked.connect(self.tools.undo)
        s.redo.clicked.connect(self.tools.redo)
        s.import_csv.clicked.connect(self.tools.import_dialog)
        s.export_csv.clicked.connect(self.tools.export_dialog)
        s.problem1.clicked.connect(lambda: self.problems.show_problem("marginal", run=True))
        s.problem2.clicked.connect(self.problems.run_seeds)
        s.problem3.clicked.connect(self.problems.snap_shrink)
        s.export_gif.clicked.connect(self.exports.animation_dialog)
        s.export_params.clicked.connect(self.exports.parameters_dialog)
        s.reset_1d.clicked.connect(self.oned.reset_to_lecture)
        f.em_view.data_edit.connect(self._on_data_edit)
        self.numbers.table.itemSelectionChanged.connect(self._on_table_selection)
        self.tabs.currentChanged.connect(lambda _i: self._update_explain())

    # ----- the state ---------------------------------------------------------------------------
    def apply_state(self, state: EmLabState, *, restart: bool = True) -> None:
        """Make ``state`` the lab's state: check it, show it in the widgets and react to what changed.

        A new model (K, covariance type, init, seed) restarts EM unless ``restart`` is False (the caller
        restarts it itself: loading data, restoring a session); a new floor applies to the steps to come.
        Raises ValueError (and changes nothing) if the state is not valid.
        """
        state.validate()
        old, self.state = self.state, state
        self.binding.show(state)
        if state == old:
            return
        if state.mode != old.mode:
            self._show_mode(state.mode)
        if state.tool != old.tool:
            self.figure.em_view.set_tool(state.tool)
        self._react_to_display(old, state)
        if state.align != old.align:
            self.figure.seeds_view.set_aligned(state.align)
            self.problems.update_detail(self.runner.frame)  # (the caption says whether they are aligned)
        if state.oned != old.oned:
            self.oned.show(state.oned)
        if state.model != old.model and restart:
            if state.model.same_model(old.model):
                self.runner.set_settings(state.model)
            else:
                self.problems.clear()
                self.restart()

    def _react_to_display(self, old: EmLabState, new: EmLabState) -> None:
        before, after = old.display, new.display
        if after.kmeans != before.kmeans:
            self.layers.set_side("kmeans" if after.kmeans else None)
        if (after.heatmap, after.contours) != (before.heatmap, before.contours):
            self.layers.on_display_changed()
            self.figure.em_view.show_contours_in_legend(after.contours)
        if after.complete != before.complete:
            self.figure.curves.show_complete(after.complete)

    def settings(self) -> LabSettings:
        """The model the user chose (from the state)."""
        return self.state.model

    def set_tool(self, tool: str) -> None:
        self.apply_state(replace(self.state, tool=tool))

    def _show_mode(self, mode: str) -> None:
        s = self.side
        for box in (s.data_box, s.model_box, s.show_box, s.problems_box, s.export_box):
            box.setVisible(mode == "2d")
        s.oned_box.setVisible(mode == "1d")
        self.transport.setVisible(mode == "2d")
        self.figure.set_mode(mode)
        self.messages.setVisible(mode == "2d" and bool(self.messages.text()))
        if mode == "1d":
            self.oned.update_explain()
        else:
            self._update_explain()

    # ----- messages ----------------------------------------------------------------------------
    def set_message(self, kind: str, text: str) -> None:
        """Show or clear one kind of message above the figure (blocked, io, singular, note, problem, info)."""
        self.messages.set(kind, text, "error" if kind in ERRORS else "info",
                          timeout_ms=INFO_TIMEOUT_MS if kind == "info" else 0)

    def _on_blocked(self, text: str) -> None:
        self.set_message("blocked", text)
        if text:
            self.figure.em_view.set_mixture(None)
            self.figure.km_view.set_state(None)
            self.figure.curves.set_weights(None)
            self.numbers.show_frame(None, 0, "")
            self._update_transport()
            self._update_explain()

    # ----- data --------------------------------------------------------------------------------
    def _make_data(self) -> LabData:
        x = self.points.points
        return LabData(x, self.points.labels, display_index(len(x)), responsibility_keys)

    def refresh_data(self, restart: bool = True) -> None:
        """Take the PointSet's current points: redraw them and (unless drawing) restart EM on them."""
        self.data = self._make_data()
        shown = self.data.x_shown
        self.rect = data_rect(shown)
        view = self.figure.em_view
        view.set_points(shown, None)
        self.figure.km_view.set_points(shown)
        self.layers.reset()
        x0, y0, x1, y1 = self.rect
        view.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)  # (k-means' view is linked to it)
        n = self.data.n
        labelled = self.points.labels is not None
        sub = f"; {len(shown):,} drawn" if self.data.shown is not None else ""
        self.side.data_info.setText(f"N = {n:,} points{' (true labels known)' if labelled else ''}{sub}")
        self.set_message("note", data_note(self.data.x))
        self.probe_index = min(self.probe_index, max(n - 1, 0))
        view.set_picked(self.data.x[self.probe_index] if n else None)
        if restart:
            self._pending_data = False
            self.restart()

    def _on_points_changed(self, change: PointSetChange) -> None:
        # Called inside the PointSet's notification: the set must not be edited from here.
        self.set_message("io", "")
        self.side.undo.setEnabled(self.points.can_undo)
        self.side.redo.setEnabled(self.points.can_redo)
        self.side.undo.setToolTip(self.points.undo_text)
        self.side.redo.setToolTip(self.points.redo_text)
        if self._drawing:  # mid-stroke: redraw the points now, restart EM when the stroke ends
            self._pending_data = True
            self.refresh_data(restart=False)
        else:
            self.refresh_data()

    @Slot(str, object, str)
    def _on_data_edit(self, tool: str, pos, stage: str) -> None:
        if tool == "select":
            self.pick_point(pos)
            return
        self._drawing = stage in ("start", "move")
        self.tools.edit(tool, pos, stage, self.figure.em_view.brush_radius())
        if stage in ("finish", "click") and self._pending_data:
            self.refresh_data()

    # ----- EM ------------------------------------------------------------------------------------
    def restart(self, n_half: int = 0) -> None:
        if self.data is None:
            self.refresh_data(restart=False)
        frame = self.runner.frame
        user = frame.gmm.means if frame is not None and self.state.model.init == "user" else None
        self.set_message("singular", "")
        self.runner.restart(self.data, self.state.model, user, n_half)

    @Slot()
    def reset(self) -> None:
        self.transport.run.setChecked(False)
        self.restart()

    @Slot(bool)
    def _on_run_toggled(self, on: bool) -> None:
        if on:
            self.runner.play()
        else:
            self.runner.pause()
        if on and not self.runner.playing:
            self.transport.run.setChecked(False)

    @Slot(bool)
    def _on_playing_changed(self, playing: bool) -> None:
        run = self.transport.run
        run.blockSignals(True)
        run.setChecked(playing)
        run.setText("Pause" if playing else "Run")
        run.blockSignals(False)

    @Slot(int)
    def _on_scrubbed(self, value: int) -> None:
        if value != self.runner.pos:
            self.runner.scrub(value)

    @Slot()
    def _on_history_changed(self) -> None:
        # The curves are redrawn once per frame shown (or at the next event-loop pass if none is), not once
        # per frame computed: a full step computes two, and redrawing them costs ~1 ms each time.
        self._curves_stale = True
        self._curves_timer.start()
        r = self.runner
        self._reached = min(self._reached, max(r.last, 0))  # (a restart or an edit cut the history)
        bar = self.transport.scrubber
        bar.blockSignals(True)
        bar.setRange(r.first, max(r.last, r.first))
        bar.setValue(r.pos)
        tip = SCRUB_TIP + (f" Half-steps 0–{r.first - 1:,} were dropped (the history keeps the last "
                           f"{MAX_HISTORY_FRAMES:,})." if r.first else "")
        if bar.toolTip() != tip:
            bar.setToolTip(tip)
        bar.blockSignals(False)
        self._update_transport()

    @Slot()
    def _update_curves(self) -> None:
        if not self._curves_stale:
            return
        self._curves_stale = False
        # Frames computed ahead (a Step computes E and M; Run computes ahead of the playback) are not
        # plotted before they are shown: after an E-step the curves must not show the M-step's value.
        shown = max(self._reached - self.runner.first + 1, 0)
        series = {name: values[:shown] for name, values in self.runner.series().items()}
        edited = np.array([frame.note == "edited" for frame in self.runner.frames[:shown]], dtype=bool)
        self.figure.curves.set_history(series["ll"], series["cll"], series["bic"], series["aic"],
                                       series["km"], series["m"], first=self.runner.first, edited=edited)

    @Slot(int)
    def _on_shown(self, index: int) -> None:
        if index > self._reached:
            self._reached = index
            self._curves_stale = True
        self._update_curves()
        self._show_frame(self.runner.frame_at(index))
        bar = self.transport.scrubber
        bar.blockSignals(True)
        bar.setValue(index)
        bar.blockSignals(False)
        self.figure.curves.set_cursor(index)

    def _show_frame(self, frame: Frame, skip=None) -> None:
        """Draw one frame everywhere (history frames and drag previews alike)."""
        view = self.figure.em_view
        view.set_keys(frame.keys)
        view.set_mixture(frame.gmm, skip=skip)
        view.select(self.selected)
        self.figure.km_view.set_state(frame.km, kmeans_colours(frame.km, frame.gmm))
        self.figure.curves.set_weights(frame.gmm.weights, skip=self.figure.curves.dragging())
        n = self.data.n if self.data is not None else 0
        self.numbers.show_frame(frame, n, self.position_text(frame))
        singular = frame.em.singular
        self.set_message("singular", "" if singular is None else singular_message(singular.reason))
        self._update_transport()
        self._update_explain(frame)
        self.layers.request(frame)
        self.problems.update_detail(frame)

    def position_text(self, frame: Frame) -> str:
        r = self.runner
        what = {"init": "initialisation", "E": "E-step", "M": "M-step"}[frame.phase]
        note = f" ({frame.note})" if frame.note else ""
        dropped = f" (half-steps 0–{r.first - 1:,} dropped)" if r.first else ""
        return f"half-step {r.pos:,} of {r.last:,}{dropped} · iteration {frame.em.iteration} · {what}{note}"

    def _update_transport(self) -> None:
        t, frame = self.transport, self.runner.frame
        ok = frame is not None and not frame.terminal
        t.e_step.setEnabled(ok and frame.next_phase == "E")
        t.m_step.setEnabled(ok and frame.next_phase == "M")
        t.step.setEnabled(ok)
        t.run.setEnabled(ok or (frame is not None and self.runner.pos < self.runner.last))
        if frame is None:
            t.position.setText("")
            return
        t.position.setText(f"{self.position_text(frame)} · ℓ = {fmt(frame.em.log_likelihood)}")

    def _update_explain(self, frame: Frame | None = None) -> None:
        if self.tabs.currentWidget() is not self.explain or self.mode != "2d":
            return
        frame = frame or self.runner.frame
        x_n = None
        if self.data is not None and self.data.n:
            x_n = self.data.x[min(self.probe_index, self.data.n - 1)]
        n = self.data.n if self.data is not None else 0
        next_m = self.runner.next_m_frame() if frame is self.runner.frame else None
        reg = self.state.model.reg_value
        self.explain.setHtml(explain_html(frame, next_m, x_n, self.probe_index, n, reg))

    # ----- selection ---------------------------------------------------------------------------
    def _n_points(self) -> int:
        return self.data.n if self.data is not None else 0

    def select_component(self, k: int) -> None:
        self.selected = k
        self.figure.em_view.select(k)

    @Slot()
    def _on_table_selection(self) -> None:
        columns = self.numbers.table.selectionModel().selectedColumns()
        if columns:
            self.select_component(columns[0].column())

    # ----- dialogs (replaced in tests) ---------------------------------------------------------
    def ask_open_path(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, title, "", filters)
        return path

    def ask_save_path(self, title: str, filters: str, name: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, name, filters)
        return path

    # ----- data presets, points, theme ----------------------------------------------------------------
    def load_data_preset(self, name: str, n: int | None = None, seed: int = 0, then=None) -> None:
        """Load a sample of data preset ``name`` (in the worker), then call ``then()`` if given."""
        self.problems.clear()
        self.tools.load_preset(name, n, seed, on_done=(lambda data: then()) if then else None)

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

    def apply_theme(self, dark: bool) -> None:
        self.figure.apply_theme(dark)
        self.layers.redo()  # the layers are composited over the old background

    def shutdown(self) -> None:
        self.oned.shutdown()
        self.runner.shutdown()
        self.controller.shutdown()
        self._unsubscribe()

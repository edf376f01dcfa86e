"""The KL lab: the figure, the side panel and the Explain pane, bound to one
:class:`~vaeviz.core.kl.state.KLLabState`.

Every change goes through :meth:`KlLab.apply_state` (edits, drags' releases, presets, sessions): it
validates the state, shows it in the widgets and reacts only to what changed — p's heatmap is asked for
when p or the view changes, the fit restarts when anything it depends on changes. The fits run in the
worker (``kl:fit``); :class:`~vaeviz.ui.kl.runner.FitRunner` keeps their frames and shows one at a time;
:mod:`~vaeviz.ui.kl.frame_view` draws a frame. Drags are :mod:`~vaeviz.ui.kl.drags`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from vaeviz.core.kl.lab import fit_job, several_starts_job, vi_job
from vaeviz.core.kl.state import KLLabState
from vaeviz.ui.kl.animation_export import FitAnimationExport
from vaeviz.ui.kl.controller import KlController
from vaeviz.ui.kl.controls import KlControls
from vaeviz.ui.kl.drags import Drags
from vaeviz.ui.kl.explain import ExplainPane
from vaeviz.ui.kl.figure import KlFigure, alpha_title
from vaeviz.ui.kl.frame_view import FrameView, extent_of
from vaeviz.ui.kl.runner import FitRunner
from vaeviz.ui.lab.message_bar import MessageBar


class KlLab(QWidget):
    def __init__(self, compute, presets: list[tuple[str, str]], start: KLLabState | None = None) -> None:
        super().__init__()
        self.messages = MessageBar()
        self.controller = KlController(compute, self.messages, self)
        self.figure = KlFigure()
        self.controls = KlControls(presets)
        self.explain = ExplainPane()
        self.runner = FitRunner(self)
        self.state = KLLabState()
        self.dark = False
        self.view = FrameView(self)
        self.drags = Drags(self)
        self.animation = FitAnimationExport(self)
        self.fit_channel = self.controller.channel("fit", on_progress=self.runner.add,
                                                   on_finished=self._on_fit_finished,
                                                   on_failed=self._on_fit_failed)
        self.starts_channel = self.controller.channel("starts", on_finished=self._on_starts,
                                                      on_failed=self._on_fit_failed)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.messages)
        column.addWidget(self.figure, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.controls, "Lab")
        self.tabs.addTab(self.explain, "Explain")
        self.tabs.setMinimumWidth(320)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.controls.edited.connect(self._on_edited)
        self.controls.step.clicked.connect(self.runner.step)
        self.controls.run.clicked.connect(self.run)
        self.controls.pause.clicked.connect(self.runner.pause)
        self.controls.reset.clicked.connect(self.restart)
        self.controls.several_starts.clicked.connect(self.run_several_starts)
        self.controls.q_equals_p.clicked.connect(self.view.show_q_equals_p)
        self.controls.export_animation.clicked.connect(self.animation.dialog)
        self.runner.shown.connect(self.view.show_frame)
        self.runner.playing_changed.connect(self._on_playing)
        self.tabs.currentChanged.connect(lambda _i: self.view.update_explain())  # GUI-thread signal
        self._on_playing(False)
        self._applied: KLLabState | None = None
        self.apply_state(start or self.state)

    # ----- the one path of every change -------------------------------------------------------------
    def apply_state(self, state: KLLabState, restart: bool = True) -> bool:
        """Show ``state`` (after validating it) and restart what it changed; False (and a message) if it
        cannot be shown — the lab then keeps its state and the widgets show it again."""
        try:
            state.validate()
        except ValueError as err:
            self.controller.report(html.escape(str(err), quote=False))
            self.controls.show_state(self.state)
            return False
        old = self._applied
        self.state = state
        self._applied = state
        self.messages.clear("message")
        self.controls.show_state(state)
        self.figure.set_mode(state.mode, state.show_alpha)
        if old is not None and old.mode != state.mode:
            self.view.frame = None  # the last frame is of another mode's kind
        self.figure.plots["alpha"].set_title(alpha_title(state.fit.alpha))
        if old is None or old.mode != state.mode or old.target != state.target or old.vi != state.vi:
            self.view.set_extent(extent_of(state))
            self.view.request_heat()
        self.drags.show_handles()
        if old is None or old.target != state.target or old.fit.family != state.fit.family \
                or old.mode != state.mode:
            self.view.request_optima()
        if restart and old != state:  # every part of the state is something the fit depends on
            self.restart()
        return True

    @Slot(object)
    def _on_edited(self, state: KLLabState) -> None:
        self.apply_state(state)

    # ----- the fits -----------------------------------------------------------------------------------
    def restart(self) -> None:
        """Start the state's fit from q's start (Reset): its frames arrive one by one, step 0 first."""
        was_playing = self.runner.playing
        self.runner.pause()
        self.runner.clear()
        self.view.clear_starts()
        self.messages.clear("message")
        self.starts_channel.cancel()
        factory = vi_job(self.state) if self.state.mode == "vi" else fit_job(self.state)
        self.controller.replace_job(self.fit_channel, factory, progress="every")
        if was_playing:
            self.runner.run()

    def run(self) -> None:
        if self.runner.at_end:  # Run again after the end: from the start
            self.restart()
        self.runner.run()

    def run_several_starts(self) -> None:
        if self.state.mode != "2d":
            return
        self.controller.report(f"Fitting KL(q‖p) from {self.state.fit.starts} random starts…", "info")
        self.controller.replace_job(self.starts_channel, several_starts_job(self.state), progress="latest")

    @Slot(object)
    def _on_fit_finished(self, _last) -> None:
        pass  # the frames came as progress; the runner shows them as asked

    @Slot(object)
    def _on_starts(self, result) -> None:
        self.view.show_starts(result)

    @Slot(str, str)
    def _on_fit_failed(self, message: str, _details: str) -> None:
        from vaeviz.ui.lab.controller import user_message

        self.controller.report(user_message(message))

    @Slot(bool)
    def _on_playing(self, playing: bool) -> None:
        self.controls.run.setEnabled(not playing)
        self.controls.pause.setEnabled(playing)

    # ----- theme and end --------------------------------------------------------------------------------
    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        self.figure.apply_theme(dark)
        self.view.request_heat()

    def shutdown(self) -> None:
        self.runner.pause()
        self.controller.shutdown()

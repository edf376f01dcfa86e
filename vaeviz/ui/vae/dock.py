"""VAE latent-space dock: drag a point through a VAE's latent space, train it, compare it with an AE.

The dock builds its widgets (:mod:`vaeviz.ui.vae`) and holds the lab's state
(:class:`~vaeviz.core.vae.state.LatentState`, in ``lab_state``): the widgets show it, their edits make
a new state, and :meth:`LatentDock.apply_state` is the one path every change takes (edits, sessions,
presets, the export CLI). The file questions and dialogs are :mod:`~vaeviz.ui.vae.file_dialogs`
(``dock.files``), the self-check :mod:`~vaeviz.ui.vae.self_check`. The model lives in the compute thread
(:mod:`vaeviz.core.vae.lab`): nothing here imports torch. The lab starts (loads the shipped checkpoint,
or trains a quick model) when the dock is first shown, so launching vaeviz on another tab costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from vaeviz.ui.docks.base import LabDock, Preset

# numpy-using modules (vaeviz.core.vae.lab_*) are imported in methods: the window's first paint waits
# for this module, and nothing of the lab is needed before the dock is built.


class LatentDock(LabDock):
    dock_id = "latent"
    title = "VAE latent space"
    shortcut = "Ctrl+4"
    state_version = 2  # 2: the training settings have their own part (vaeviz.core.vae.state.migrate)
    lab_options: ClassVar[Any] = None  # a LabOptions; None: the defaults (tests shrink data and models)
    start_data: ClassVar[Any] = None  # the DataSource opened first; None: the shipped MNIST (tests: shapes)

    # ----- building -------------------------------------------------------------------------------
    def build(self) -> QWidget:
        from vaeviz.core.vae.lab_data import DataSource
        from vaeviz.core.vae.state import LatentState
        from vaeviz.ui.lab.message_bar import MessageBar
        from vaeviz.ui.vae.controller import LatentController  # pyqtgraph: not at start-up
        from vaeviz.ui.vae.explain import ExplainPane
        from vaeviz.ui.vae.explore_panel import ExplorePanel
        from vaeviz.ui.vae.figure import LatentFigure
        from vaeviz.ui.vae.file_dialogs import FileDialogs
        from vaeviz.ui.vae.session import LabSession
        from vaeviz.ui.vae.training_panel import TrainingPanel

        self.figure = LatentFigure()
        self.messages = MessageBar()
        self.explore = ExplorePanel()
        self.training = TrainingPanel()
        self.explain = ExplainPane()
        self.session = LabSession(self.compute, self.messages, self.lab_options, self)
        self.controller = LatentController(self.session, self.figure, self.explore, self.explain)
        self.files = FileDialogs(self, self.session, self.controller, self.messages, lambda: self.lab_state,
                                 self.ensure_started, self)
        self.started = False
        start = self.start_data or DataSource()
        self.session.source = start
        self.lab_state = LatentState(data=start)
        self._picks_pending = False  # the state's picks wait for the models (selection changes meanwhile
        # are the lab's own clearing, not the user's: the state keeps its picks)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.messages)
        column.addWidget(self.figure, 1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("latentTabs")
        self.tabs.addTab(self.explore, "Explore")
        self.tabs.addTab(self.training, "Train")
        self.tabs.addTab(self.explain, "Explain")
        self.tabs.setMinimumWidth(330)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([900, 350])
        self._connect()
        self.training.show_values(self.lab_state.model, self.lab_state.train)
        self.explore.show_view(self.lab_state.view)
        self.training.show_data(self.lab_state.data.kind, "")
        self._on_device()
        if self.isVisible() and not self.visibleRegion().isEmpty():
            QTimer.singleShot(0, self.ensure_started)  # already on screen (e.g. a restored layout)
        return splitter

    def _connect(self) -> None:
        s, c, e, t, f = self.session, self.controller, self.explore, self.training, self.files
        self.visibilityChanged.connect(self._on_visibility)
        e.view_edited.connect(self._on_view_edited)
        e.resample_clicked.connect(c.resample)
        e.interpolate_clicked.connect(c.interpolate)
        e.prior_clicked.connect(c.prior)
        e.drawing_done.connect(c.select_drawing)
        e.export_strip_clicked.connect(f.export_strip_dialog)
        e.export_gif_clicked.connect(f.export_gif_dialog)
        t.data_chosen.connect(self._on_data_chosen)
        t.edited.connect(self._on_training_edited)
        t.start_clicked.connect(self.start_training)
        t.retrain_clicked.connect(self._on_retrain)
        t.pause_toggled.connect(s.pause)
        t.stop_clicked.connect(s.stop)
        t.load_clicked.connect(f.load_checkpoint_dialog)
        t.save_clicked.connect(f.save_checkpoint_dialog)
        s.running_changed.connect(self._on_running_changed)
        s.train_progress.connect(self._on_train_progress)
        s.data_changed.connect(self._on_data_changed)
        s.model_changed.connect(self._on_model_changed)
        s.ready_changed.connect(self._on_ready)
        s.setup_step.connect(self._on_setup_step)
        c.picks_changed.connect(self._on_picks_changed)
        for pane in self.figure.panes.values():
            pane.point_moved.connect(self._on_point_moved)
        if hasattr(self.compute, "device_changed"):  # the bridge; the CLI's InlineRunner has no signals
            self.compute.device_changed.connect(self._on_device)

    @Slot(bool)
    def _on_visibility(self, visible: bool) -> None:
        if visible and self.built:
            self.ensure_started()

    def ensure_started(self) -> None:
        """Load the data and the shipped model (or train a quick one), once."""
        self.ensure_built()
        if not self.started:
            self.started = True
            state = self.lab_state
            self.session.setup(state.data, self.figure.roles(), state.model, state.checkpoints.files())

    # ----- the state: one path for every change ----------------------------------------------------------
    def apply_state(self, new, then: Callable[[], None] | None = None) -> None:
        """Make ``new`` (a :class:`~vaeviz.core.vae.state.LatentState`) the dock's state.

        Validates it (``ValueError``: nothing changed), shows it in the widgets and the figure, reloads the
        data and checkpoints only when they differ from what is loaded (or being loaded), moves the latent
        points, and restores the picks once the models are in. ``then`` runs after that: at once under
        the InlineRunner, later (never in a nested event loop) with the real worker, and only once the
        lab has started (:meth:`ensure_started`).
        """
        new.validate(self._known_size(new.data))
        self.ensure_built()
        old, self.lab_state = self.lab_state, new
        self.training.show_values(new.model, new.train)
        self.explore.show_view(new.view)
        self.controller.view = new.view
        if new.view.mode != self.figure.mode:
            self.controller.set_mode(new.view.mode, new.model)
        elif new.view != old.view:
            self.controller.refresh_grid()
        for role, pane in self.figure.panes.items():
            if pane.target_xy() != new.points.of(role):
                pane.set_target(*new.points.of(role))
        self._load(new)
        restore = new.picks != self.controller.pick_indices()
        self._picks_pending = restore
        if restore:
            self.controller.clear_selection()
        if not restore and then is None:
            return

        def ready() -> None:
            if restore:
                self._restore_picks(new.picks)
            if then is not None:
                then()

        self.session.when_ready(self.figure.roles(), ready)

    def _known_size(self, data) -> int | None:
        """The number of images of ``data`` if it is the data loaded now."""
        if self.built and self.session.data is not None and data == self.session.source:
            return self.session.data.size
        return None

    def _load(self, state) -> None:
        """Load the state's data and checkpoint files if they are not what the lab has (or is loading)."""
        files = state.checkpoints.files()
        if not self.started:
            self.session.source = state.data  # ensure_started loads the state's data and files
            return
        session = self.session
        data = session.loading if session.task == "setup" and session.loading else session.source
        loaded = {role: info.path for role, info in session.models.items() if info.path}
        if state.data != data or any(loaded.get(role) != path for role, path in files.items()):
            session.setup(state.data, self.figure.roles(), state.model, files)

    def _restore_picks(self, picks: tuple[int, ...]) -> None:
        if picks != self.lab_state.picks:
            return  # a newer state asked for other picks (and restores them)
        self._picks_pending = False
        size = self.session.data.size if self.session.data is not None else 0
        for index in picks:
            if index < size:
                self.click(index)

    @Slot()
    def _on_training_edited(self) -> None:
        model, train = self.training.values()
        self.apply_state(replace(self.lab_state, model=model, train=train))

    @Slot()
    def _on_view_edited(self) -> None:
        self.apply_state(replace(self.lab_state, view=self.explore.view_settings()))

    @Slot(str, float, float)
    def _on_point_moved(self, role: str, x: float, y: float) -> None:
        self.lab_state = self.lab_state.with_point(role, x, y)

    @Slot()
    def _on_picks_changed(self) -> None:
        if not self._picks_pending:
            self.lab_state = replace(self.lab_state, picks=self.controller.pick_indices())

    def _sync_files(self) -> None:
        """The state names the data and checkpoint files the lab has (after a load, or a failed one)."""
        state = self.lab_state
        for role, info in self.session.models.items():
            state = state.with_checkpoint(role, info.path)
        if self.session.task != "setup":
            state = replace(state, data=self.session.source)
        self.lab_state = state

    # ----- session and panel signals ---------------------------------------------------------------
    @Slot()
    def _on_running_changed(self) -> None:
        self.training.set_running(self.session.training, ready=self.session.data_ready)

    @Slot(object)
    def _on_train_progress(self, progress) -> None:
        self.training.show_progress(progress.fraction, progress.message, progress.history)

    @Slot(str, float)
    def _on_setup_step(self, message: str, fraction: float) -> None:
        self.training.show_loading(message, fraction)

    @Slot(object)
    def _on_data_changed(self, info) -> None:
        classes = f", {len(info.label_names)} classes" if info.label_names else ", unlabelled"
        h, w = info.image_shape
        text = f"{info.name}: {info.size:,} images of {h}×{w}{classes}"
        self.training.show_data(self.session.source.kind, text)

    @Slot(object)
    def _on_model_changed(self, _info) -> None:
        models = sorted(self.session.models.items())
        self.training.model_label.setText("\n".join(f"{role.upper()}: {m.description} — {m.origin}"
                                                    for role, m in models))
        self._sync_files()

    @Slot()
    def _on_ready(self) -> None:
        self.settled.emit()  # data, models and their views are here to stay
        self.training.revert_data()  # back to the data in use if loading another failed
        self._sync_files()
        for role in self.figure.roles():
            self.session.prepare(role, self.lab_state.model)
        if self.session.task != "setup":
            self.controller.fill_empty_strips()
            self.controller.refresh_holes()

    @Slot()
    @Slot(str, str, str)
    def _on_device(self, *_args) -> None:
        name = getattr(self.compute, "device_description", "") or getattr(self.compute, "device_name", "")
        self.training.device.setText(f"device: {name or 'starting…'}")

    @Slot(str)
    def _on_data_chosen(self, value: str) -> None:
        from vaeviz.core.vae.state import Checkpoints

        source = self.files.ask_source(value)
        if source is None or (source == self.session.source and self.session.data is not None):
            self.training.revert_data()
            return
        self.ensure_started()  # new data: the shipped (or quick) models for it, no checkpoint files
        self.apply_state(replace(self.lab_state, data=source, checkpoints=Checkpoints()))

    # ----- training ----------------------------------------------------------------------------------
    def start_training(self, fresh: bool | None = None, max_steps: int | None = None,
                       epochs: int | None = None) -> bool:
        """Train the state's model with its settings (``fresh``, ``epochs``: overrides for this run)."""
        from vaeviz.core.vae.lab_types import role_of

        self.ensure_started()
        state = self.lab_state
        role = role_of(state.model.kind)
        if role not in self.figure.roles():  # show the model being trained
            self.apply_state(replace(state, view=replace(state.view, mode=role)))
        train = state.train
        self.training.begin()
        return self.session.train(state.model, train.lr, train.batch_size, epochs or train.epochs,
                                  train.fresh if fresh is None else fresh, max_steps)

    @Slot()
    def _on_retrain(self) -> None:
        self.start_training(fresh=True)

    def train_steps(self, steps: int, then: Callable[[], None]) -> None:
        """Train a new model for ``steps`` steps, then call ``then`` once the lab is idle again (presets
        with ``--steps``; at once under the InlineRunner). The state's settings are not changed."""
        if self.start_training(fresh=True, max_steps=steps, epochs=500):
            self.session.when_idle(then)
        else:
            then()

    # ----- helpers for presets and tests ------------------------------------------------------------------
    def set_view(self, mode: str, manifold: str = "off", n: int = 15, r: float = 3.0,
                 fit: bool = False) -> None:
        """Apply the state with this view (the rest unchanged)."""
        from vaeviz.core.vae.state import ViewSettings

        self.apply_state(replace(self.lab_state, view=ViewSettings(mode, manifold, n, r, fit)))

    def click(self, index: int, shift: bool = False) -> None:
        """Click the data point with data set index ``index`` (as a mouse click on the scatter does)."""
        self.figure.panes[self.figure.roles()[0]].click_point(index, shift)

    # ----- LabDock hooks --------------------------------------------------------------------------------
    def figure_widget(self) -> QWidget:
        self.ensure_built()
        return self.figure

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        if self.built:
            self.figure.apply_theme(dark)
            self.training.apply_theme(dark)

    def shutdown(self) -> None:
        if self.built:
            self.session.shutdown()

    def state(self) -> dict:
        from vaeviz.core.vae.state import state_to_json

        return state_to_json(self.lab_state) if self.built else super().state()

    def validate_state(self, state: dict) -> None:
        from vaeviz.core.vae.state import state_from_json

        super().validate_state(state)
        parsed = state_from_json(state)  # upgrades older versions first (migrate)
        parsed.check_files()
        parsed.validate(self._known_size(parsed.data))

    def restore_state(self, state: dict) -> None:
        from vaeviz.core.vae.state import state_from_json

        self.ensure_built()
        self.apply_state(state_from_json(state))

    def self_check(self, done: Callable[[list[str]], None]) -> None:
        """Decode the latent point through the worker once the models are in; check the image."""
        from vaeviz.ui.vae.self_check import check_decoding

        problems = self.content_problems()
        self.ensure_started()
        check_decoding(self.session, self.controller, self.messages, self.figure.roles(),
                       lambda: self.lab_state, lambda found: done(problems + found))

    def actions(self) -> list[QAction]:
        if not hasattr(self, "_actions"):
            self._actions = []
            for text, key, method in (("Latent: resample ε", "Alt+R", "resample"),
                                      ("Latent: path A → B", "Alt+I", "interpolate"),
                                      ("Latent: prior samples", "Alt+P", "prior")):
                action = QAction(text, self)
                action.setShortcut(QKeySequence(key))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                action.triggered.connect(lambda _checked=False, m=method: self._run_action(m))
                self.addAction(action)
                self._actions.append(action)
        return self._actions

    def _run_action(self, method: str) -> None:
        self.ensure_started()
        getattr(self.controller, method)()

    @classmethod
    def presets(cls) -> list[Preset]:
        from vaeviz.ui.vae.presets import dock_presets

        return dock_presets()


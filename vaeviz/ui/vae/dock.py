"""VAE latent-space dock: drag a point through a VAE's latent space, train it, compare it with an AE.

The dock builds its widgets (:mod:`vaeviz.ui.vae`), asks the user for files, saves and restores
its state, and runs presets and its self-check. The model lives in the compute thread
(:mod:`vaeviz.core.vae.lab`): nothing here imports torch. The lab starts (loads the shipped checkpoint,
or trains a quick model) when the dock is first shown, so launching vaeviz on another tab costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QSplitter, QTabWidget, QVBoxLayout, QWidget

from vaeviz.ui.docks.base import LabDock, Preset
from vaeviz.ui.waiting import process_events_until

# numpy-using modules (vaeviz.core.vae.lab_*) are imported in methods: the window's first paint waits
# for this module, and nothing of the lab is needed before the dock is built.

IDX_FILTER = "IDX files (*-ubyte *-ubyte.gz *.idx *.gz);;All files (*)"
NPZ_FILTER = "numpy archive (*.npz)"
CHECKPOINT_FILTER = "vaeviz checkpoint (*.safetensors);;All files (*)"


class LatentDock(LabDock):
    dock_id = "latent"
    title = "VAE latent space"
    shortcut = "Ctrl+4"
    lab_options: ClassVar[Any] = None  # a LabOptions; None: the defaults (tests shrink data and models)

    # ----- building -------------------------------------------------------------------------------
    def build(self) -> QWidget:
        from vaeviz.ui.lab.message_bar import MessageBar
        from vaeviz.ui.vae.controller import LatentController  # pyqtgraph: not at start-up
        from vaeviz.ui.vae.explain import ExplainPane
        from vaeviz.ui.vae.explore_panel import ExplorePanel
        from vaeviz.ui.vae.figure import LatentFigure
        from vaeviz.ui.vae.session import LabSession
        from vaeviz.ui.vae.training_panel import TrainingPanel

        self.figure = LatentFigure()
        self.messages = MessageBar()
        self.explore = ExplorePanel()
        self.training = TrainingPanel()
        self.explain = ExplainPane()
        self.session = LabSession(self.compute, self.messages, self.lab_options, self)
        self.controller = LatentController(self.session, self.figure, self.explore, self.explain)
        self.started = False
        self._pending_picks: list[int] = []
        self._pending_files: dict[str, str] = {}

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
        self.training.show_data("shapes", "")
        self._on_device()
        if self.isVisible() and not self.visibleRegion().isEmpty():
            QTimer.singleShot(0, self.ensure_started)  # already on screen (e.g. a restored layout)
        return splitter

    def _connect(self) -> None:
        s, c, e, t = self.session, self.controller, self.explore, self.training
        self.visibilityChanged.connect(self._on_visibility)
        e.mode_changed.connect(self._on_mode_changed)
        e.grid_changed.connect(self._on_grid_changed)
        e.resample_clicked.connect(c.resample)
        e.interpolate_clicked.connect(c.interpolate)
        e.prior_clicked.connect(c.prior)
        e.drawing_done.connect(c.select_drawing)
        e.export_strip_clicked.connect(self.export_strip_dialog)
        e.export_gif_clicked.connect(self.export_gif_dialog)
        t.data_chosen.connect(self._on_data_chosen)
        t.start_clicked.connect(self.start_training)
        t.retrain_clicked.connect(self._on_retrain)
        t.pause_toggled.connect(s.pause)
        t.stop_clicked.connect(s.stop)
        t.load_clicked.connect(self.load_checkpoint_dialog)
        t.save_clicked.connect(self.save_checkpoint_dialog)
        s.running_changed.connect(self._on_running_changed)
        s.train_progress.connect(self._on_train_progress)
        s.data_changed.connect(self._on_data_changed)
        s.model_changed.connect(self._on_model_changed)
        s.ready_changed.connect(self._on_ready)
        s.setup_step.connect(self._on_setup_step)
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
            self.session.setup(self.session.source, self.figure.roles(), self.choice(), self._pending_files)

    def choice(self):
        from vaeviz.ui.vae.session import ModelChoice

        return ModelChoice(**self.training.model_values())

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
        self.training.show_data(self.session.source.kind, f"{info.name}: {info.size:,} images of {h}×{w}{classes}")

    @Slot(object)
    def _on_model_changed(self, _info) -> None:
        lines = [f"{role.upper()}: {m.description} — {m.origin}" for role, m in sorted(self.session.models.items())]
        self.training.model_label.setText("\n".join(lines))

    @Slot()
    def _on_ready(self) -> None:
        self.settled.emit()  # data, models and their views are here to stay
        self.training.revert_data()  # back to the data in use if loading another failed
        for role in self.figure.roles():
            self.session.prepare(role, self.choice())
        if self.session.task != "setup":
            self.controller.fill_empty_strips()
        if self._pending_picks and self.session.ready(self.figure.roles()):
            picks, self._pending_picks = self._pending_picks, []
            for index in picks:
                self.click(index)

    @Slot()
    @Slot(str, str, str)
    def _on_device(self, *_args) -> None:
        name = getattr(self.compute, "device_description", "") or getattr(self.compute, "device_name", "")
        self.training.device.setText(f"device: {name or 'starting…'}")

    @Slot(str)
    def _on_mode_changed(self, mode: str) -> None:
        self.controller.set_mode(mode, self.choice())

    @Slot()
    def _on_grid_changed(self) -> None:
        self.controller.refresh_grid()

    @Slot(str)
    def _on_data_chosen(self, value: str) -> None:
        source = self._ask_source(value)
        if source is None or (source == self.session.source and self.session.data is not None):
            self.training.revert_data()
            return
        self.ensure_started()
        self.session.setup(source, self.figure.roles(), self.choice())

    def _ask_source(self, value: str):
        from vaeviz.core.vae.lab_data import DataSource

        if value in ("shapes", "mnist-download"):
            return DataSource(value)
        if value == "idx":
            images = self.ask_open_path("MNIST images (IDX file, e.g. t10k-images-idx3-ubyte.gz)", IDX_FILTER)
            labels = images and self.ask_open_path("MNIST labels (IDX file, e.g. t10k-labels-idx1-ubyte.gz)",
                                                   IDX_FILTER)
            return DataSource("idx", (images, labels)) if images and labels else None
        if value == "folder":
            folder = self.ask_folder("Image folder (images, or one sub-folder per class)")
            return DataSource("folder", (folder,)) if folder else None
        path = self.ask_open_path("Data set (.npz with an 'images' array)", NPZ_FILTER)
        return DataSource("npz", (path,)) if path else None

    # ----- training ----------------------------------------------------------------------------------
    def start_training(self, fresh: bool | None = None, max_steps: int | None = None) -> bool:
        from vaeviz.core.vae.lab_types import role_of

        self.ensure_started()
        choice, values = self.choice(), self.training.train_values()
        role = role_of(choice.kind)
        if role not in self.figure.roles():
            self.set_view(role, self.explore.manifold_mode())
        self.training.begin()
        return self.session.train(choice, values["lr"], values["batch_size"], values["epochs"],
                                  values["fresh"] if fresh is None else fresh, max_steps)

    @Slot()
    def _on_retrain(self) -> None:
        self.start_training(fresh=True)

    def train_steps(self, steps: int, then: Callable[[], None]) -> None:
        """Train a new model for ``steps`` steps, then call ``then`` once the lab is idle again (presets
        with ``--steps``; at once under the InlineRunner)."""
        self.training.epochs.setValue(500)
        if self.start_training(fresh=True, max_steps=steps):
            self.session.when_idle(then)
        else:
            then()

    # ----- file questions (tests replace these) -------------------------------------------------------
    def _folder(self) -> str:
        settings = getattr(self.window(), "settings", None)
        return getattr(settings, "last_folder", "") or ""

    def ask_open_path(self, title: str, filters: str) -> str:
        return QFileDialog.getOpenFileName(self, title, self._folder(), filters)[0]

    def ask_folder(self, title: str) -> str:
        return QFileDialog.getExistingDirectory(self, title, self._folder())

    def ask_save_path(self, title: str, filters: str, name: str) -> str:
        return QFileDialog.getSaveFileName(self, title, str(Path(self._folder()) / name), filters)[0]

    @Slot()
    def load_checkpoint_dialog(self) -> None:
        path = self.ask_open_path("Load checkpoint", CHECKPOINT_FILTER)
        if path:
            self.ensure_started()
            self.session.load(path, self.choice())

    @Slot()
    def save_checkpoint_dialog(self) -> None:
        from vaeviz.core.vae.lab_types import role_of

        role = role_of(self.choice().kind)
        if role not in self.session.models:
            self.messages.show_message(f"There is no {role.upper()} model to save yet.", "info")
            return
        path = self.ask_save_path("Save checkpoint", CHECKPOINT_FILTER, f"{self.session.models[role].kind}.safetensors")
        if path:
            self.session.save(role, path if Path(path).suffix else path + ".safetensors")

    @Slot()
    def export_strip_dialog(self) -> None:
        from vaeviz.core.vae.images import strip
        from vaeviz.ui.export import ExportError
        from vaeviz.ui.vae.images import export_strip_png

        shown = self.controller.last_strip
        if shown is None:
            self.messages.show_message("Make a strip first: Resample ε, A → B or Prior samples.", "info")
            return
        path = self.ask_save_path("Export strip", "PNG image (*.png)", f"latent-{shown.kind}.png")
        if not path:
            return
        try:
            export_strip_png(strip(shown.images), shown.title, path if Path(path).suffix else path + ".png")
        except (ExportError, OSError) as exc:
            self.messages.show_message(f"The strip could not be exported: {exc}", "error")
            return
        self.messages.show_message(f"Strip exported to {path}.", "info")

    @Slot()
    def export_gif_dialog(self) -> None:
        if len(self.controller.picks) < 2:
            self.controller.export_gif("", None)  # says what to do first
            return
        path = self.ask_save_path("Export GIF", "GIF animation (*.gif)", "latent-walk.gif")
        if path:
            path = path if Path(path).suffix else path + ".gif"
            self.controller.export_gif(path, lambda written: self.messages.show_message(
                f"GIF of the walk A → B written to {written}.", "info"))

    # ----- helpers for presets, tests and the self-check --------------------------------------------------
    def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 30.0) -> bool:
        """Process events until ``predicate`` holds (at once under the InlineRunner)."""
        return process_events_until(predicate, timeout_s)

    def wait_for_models(self, timeout_s: float = 120.0) -> bool:
        return self.wait_until(lambda: self.session.ready(self.figure.roles()), timeout_s)

    def set_view(self, mode: str, manifold: str = "off", n: int = 15, r: float = 3.0, fit: bool = False) -> None:
        from vaeviz.ui.vae.explore_panel import set_combo_value

        self.explore.set_grid_settings(manifold, n, r, fit)
        if mode != self.explore.view_mode():
            set_combo_value(self.explore.mode, mode)  # emits mode_changed → controller.set_mode

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
        from vaeviz.ui.vae import state_io

        return state_io.state_of(self) if self.built else super().state()

    def validate_state(self, state: dict) -> None:
        from vaeviz.ui.vae.state import validate

        super().validate_state(state)
        validate(state)

    def restore_state(self, state: dict) -> None:
        from vaeviz.ui.vae import state_io

        self.ensure_built()
        state_io.restore(self, state)

    def self_check(self, done) -> None:
        from vaeviz.ui.vae import state_io

        done(self.content_problems() + state_io.self_check(self))

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
        from vaeviz.ui.vae.presets import APPLY, PRESETS

        return [Preset(name, text, APPLY[name]) for name, text in PRESETS]

"""The lab's file questions and dialogs: data files, checkpoints, the strip PNG and the walk GIF.

The questions (:meth:`FileDialogs.ask_open_path`, :meth:`~FileDialogs.ask_folder`,
:meth:`~FileDialogs.ask_save_path`) are the only places that open a ``QFileDialog``; tests replace them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from vaeviz.core.vae.state import LatentState
from vaeviz.ui.lab.message_bar import MessageBar
from vaeviz.ui.vae.controller import LatentController
from vaeviz.ui.vae.session import LabSession

IDX_FILTER = "IDX files (*-ubyte *-ubyte.gz *.idx *.gz);;All files (*)"
NPZ_FILTER = "numpy archive (*.npz)"
CHECKPOINT_FILTER = "vaeviz checkpoint (*.safetensors);;All files (*)"


class FileDialogs(QObject):
    """Asks the user for files and loads, saves or exports them, saying how it went in the message bar.

    Parameters
    ----------
    widget
        The dialogs' parent; its window's ``settings.last_folder`` is where they start.
    session, controller
        The lab's session (loads and saves checkpoints, knows the models) and controller (the strip shown,
        the picks, the GIF export).
    messages
        The dock's message bar.
    state
        The dock's state now (a :class:`~vaeviz.core.vae.state.LatentState`): its model is the one loaded
        or saved.
    ensure_started
        Starts the lab if it has not started (before a checkpoint is loaded).
    """

    def __init__(self, widget: QWidget, session: LabSession, controller: LatentController,
                 messages: MessageBar, state: Callable[[], LatentState], ensure_started: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.widget = widget
        self.session = session
        self.controller = controller
        self.messages = messages
        self._state = state
        self._ensure_started = ensure_started

    # ----- questions (tests replace these) ------------------------------------------------------------
    def _folder(self) -> str:
        settings = getattr(self.widget.window(), "settings", None)
        return getattr(settings, "last_folder", "") or ""

    def ask_open_path(self, title: str, filters: str) -> str:
        return QFileDialog.getOpenFileName(self.widget, title, self._folder(), filters)[0]

    def ask_folder(self, title: str) -> str:
        return QFileDialog.getExistingDirectory(self.widget, title, self._folder())

    def ask_save_path(self, title: str, filters: str, name: str) -> str:
        return QFileDialog.getSaveFileName(self.widget, title, str(Path(self._folder()) / name), filters)[0]

    def ask_source(self, value: str):
        """The data source for the data menu's ``value`` (asking for its files), None if cancelled."""
        from vaeviz.core.vae.lab_data import DataSource

        if value in ("mnist", "shapes", "mnist-download"):
            return DataSource(value)
        if value == "idx":
            images = self.ask_open_path("MNIST images (IDX file, e.g. t10k-images-idx3-ubyte.gz)",
                                        IDX_FILTER)
            if not images:
                return None
            labels = self.ask_open_path("MNIST labels (IDX file, e.g. t10k-labels-idx1-ubyte.gz)",
                                        IDX_FILTER)
            return DataSource("idx", (images, labels)) if labels else None
        if value == "folder":
            folder = self.ask_folder("Image folder (images, or one sub-folder per class)")
            return DataSource("folder", (folder,)) if folder else None
        path = self.ask_open_path("Data set (.npz with an 'images' array)", NPZ_FILTER)
        return DataSource("npz", (path,)) if path else None

    # ----- dialogs --------------------------------------------------------------------------------------
    @Slot()
    def load_checkpoint_dialog(self) -> None:
        path = self.ask_open_path("Load checkpoint", CHECKPOINT_FILTER)
        if path:
            self._ensure_started()
            self.session.load(path, self._state().model)  # the state names the file once it is loaded

    @Slot()
    def save_checkpoint_dialog(self) -> None:
        from vaeviz.core.vae.lab_types import role_of

        role = role_of(self._state().model.kind)
        if role not in self.session.models:
            self.messages.show_message(f"There is no {role.upper()} model to save yet.", "info")
            return
        name = f"{self.session.models[role].kind}.safetensors"
        path = self.ask_save_path("Save checkpoint", CHECKPOINT_FILTER, name)
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
        if not path:
            return

        def written(where) -> None:
            self.messages.show_message(f"GIF of the walk A → B written to {where}.", "info")

        self.controller.export_gif(path if Path(path).suffix else path + ".gif", written)

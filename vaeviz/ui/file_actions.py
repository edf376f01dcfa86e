"""File menu work: open/save sessions and export figures, with the dialogs around them.

Opening a session is asynchronous: the file is read and parsed in the compute worker.

Path questions go through :meth:`FileActions.ask_open_path` / :meth:`FileActions.ask_save_path` so
tests can answer them without a modal dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow

import vaeviz
from vaeviz.core.jobs import single
from vaeviz.core.limits import bounded_message, quote
from vaeviz.core.session import SessionError, make_session, read_session, write_session
from vaeviz.core.user_errors import readable
from vaeviz.ui.dialogs import error_box
from vaeviz.ui.export import ExportError, export_widget, export_window

SESSION_FILTER = "vaeviz session (*.json)"
FIGURE_FILTER = "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"


class FileActions:
    """Session and export commands of a main window (which owns docks, settings and a status bar)."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.last_dialog = None  # the latest error box, for tests and to keep it alive
        self.loading = False  # a session file is being read in the worker

    # ----- dialogs (replaced in tests) ---------------------------------------------------
    def ask_open_path(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, title, self.window.settings.last_folder, filters)
        return path

    def ask_save_path(self, title: str, filters: str, name: str) -> str:
        start = str(Path(self.window.settings.last_folder) / name)
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, filters)
        return path

    def _remember_folder(self, path: str) -> None:
        self.window.settings.last_folder = str(Path(path).resolve().parent)

    def _error(self, title: str, message: str, details: str = "") -> None:
        self.last_dialog = error_box(self.window, title, message, details)

    # ----- sessions ----------------------------------------------------------------------
    def session_document(self) -> dict:
        docks = {}
        for dock in self.window.docks.values():
            dock.ensure_built()
            docks[dock.dock_id] = dock.state()
        return make_session(docks, vaeviz.__version__)

    def save_session(self, path: str) -> bool:
        """Write the session atomically; on failure show why and keep any old file."""
        try:
            write_session(path, self.session_document())
        except (OSError, ValueError, TypeError) as exc:
            self._error("Save session", f"The session could not be saved to {path}:\n{exc}")
            return False
        self._remember_folder(path)
        self.window.statusBar().showMessage(f"Session saved to {path}", 5000)
        return True

    def load_session(self, path: str, on_done: Callable[[bool], None] | None = None) -> None:
        """Open a session: the file is read and parsed in the compute worker (a 32 MB file takes a second
        there, and the window stays responsive), then checked whole and applied in the GUI thread. A bad
        file changes nothing and says why; ``on_done(loaded)`` tells how it ended.
        """
        self.loading = True
        self.window.bridge.request(
            "session:read", single(lambda _ctx: read_session(path)),
            on_result=lambda doc: self._finish_loading(path, self._apply_session(path, doc), on_done),
            on_failed=lambda message, _details: self._finish_loading(
                path, self._refuse(path, readable(message)), on_done))

    def _finish_loading(self, path: str, loaded: bool, on_done: Callable[[bool], None] | None) -> None:
        self.loading = False
        if on_done is not None:
            on_done(loaded)

    def _refuse(self, path: str, reason: str) -> bool:
        self._error("Open session", f"{Path(path).name} cannot be opened: {bounded_message(reason)}.\n\n"
                    "Nothing was changed.")
        return False

    def _apply_session(self, path: str, doc: dict) -> bool:
        """Check every dock's state before any dock changes; should applying still fail (a bug, or a file
        that passed the checks but not the lab), every dock goes back to the state it had before."""
        try:
            for dock_id, state in doc["docks"].items():
                dock = self.window.docks.get(dock_id)
                if dock is None:
                    raise SessionError(f"the session names an unknown dock {quote(dock_id)}")
                dock.ensure_built()
                try:
                    dock.validate_state(state)
                except (ValueError, TypeError, KeyError) as exc:
                    raise SessionError(f"{dock_id}: {exc}") from None
        except SessionError as exc:
            return self._refuse(path, str(exc))
        before = {dock_id: self.window.docks[dock_id].state() for dock_id in doc["docks"]}
        try:
            for dock_id, state in doc["docks"].items():
                self.window.docks[dock_id].restore_state(state)
        except Exception as exc:  # roll back whatever was applied: the session loads whole or not at all
            for dock_id, state in before.items():
                self.window.docks[dock_id].restore_state(state)
            self._error("Open session", f"{Path(path).name} could not be applied, so nothing was changed.",
                        f"{type(exc).__name__}: {exc}")
            return False
        self._remember_folder(path)
        self.window.statusBar().showMessage(f"Session loaded from {path}", 5000)
        return True

    def open_session_dialog(self) -> None:
        path = self.ask_open_path("Open session", SESSION_FILTER)
        if path:
            self.load_session(path)

    def save_session_dialog(self) -> None:
        path = self.ask_save_path("Save session", SESSION_FILTER, "session.json")
        if path:
            if not Path(path).suffix:
                path += ".json"
            self.save_session(path)

    # ----- export ------------------------------------------------------------------------
    def export_figure(self, dock, path: str) -> bool:
        try:
            export_widget(dock.figure_widget(), path)
        except (ExportError, OSError) as exc:
            self._error("Export figure", f"The figure could not be exported to {path}:\n{exc}")
            return False
        self._remember_folder(path)
        self.window.statusBar().showMessage(f"{dock.title} exported to {path}", 5000)
        return True

    def export_figure_dialog(self) -> None:
        dock = self.window.current_dock()
        if dock is None:
            self._error("Export figure", "Show a dock first: there is no figure to export.")
            return
        path = self.ask_save_path(f"Export {dock.title} figure", FIGURE_FILTER, f"{dock.dock_id}.png")
        if path:
            if not Path(path).suffix:
                path += ".png"
            self.export_figure(dock, path)

    def export_window_dialog(self) -> None:
        path = self.ask_save_path("Export window", "PNG image (*.png)", "vaeviz-window.png")
        if not path:
            return
        if not Path(path).suffix:
            path += ".png"
        try:
            export_window(self.window, path)
        except (ExportError, OSError) as exc:
            self._error("Export window", f"The window could not be exported to {path}:\n{exc}")
            return
        self._remember_folder(path)
        self.window.statusBar().showMessage(f"Window exported to {path}", 5000)

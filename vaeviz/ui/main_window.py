"""The main window: dock framework, menus, toolbar, status bar, layout and theme.

Start-up order matters: the window shows itself first, then starts the compute worker (which imports
torch in its own thread) and builds the docks (which import pyqtgraph), so the first paint waits for
neither.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QStyle, QTabWidget, QToolBar

from vaeviz.core.limits import bounded_message
from vaeviz.core.resources import resource_path
from vaeviz.runtime import freeze_long_lived_objects
from vaeviz.ui.dialogs import ShortcutsDialog, error_box, show_about
from vaeviz.ui.docks.base import LabDock
from vaeviz.ui.docks.registry import DOCK_CLASSES
from vaeviz.ui.file_actions import FileActions
from vaeviz.ui.settings import LAYOUT_VERSION, AppSettings
from vaeviz.ui.status_bar import ComputeStatusBar
from vaeviz.ui.theme import apply_theme
from vaeviz.workers.bridge import WorkerBridge
from vaeviz.workers.compute_worker import ComputeWorker

EXPOSE_TIMEOUT_MS = 500  # start the compute thread by then even if the window never reports being exposed
DEVICE_CHOICES = [("auto", "&Automatic (cuda → mps → cpu)"), ("cuda", "&CUDA"), ("mps", "&MPS"),
                  ("cpu", "C&PU")]
DEVICE_REASON_CHARS = 60  # of a greyed device's reason in its menu entry; the tooltip has all of it
THEME_CHOICES = [("system", "Follow &system"), ("light", "&Light"), ("dark", "&Dark")]


class MainWindow(QMainWindow):
    """vaeviz's window; owns the compute worker and the docks."""

    docks_built = Signal()

    def __init__(self, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("vaeviz")
        self.settings = settings or AppSettings()
        try:
            self.setWindowIcon(QIcon(str(resource_path("icons", "vaeviz.png"))))
        except FileNotFoundError:
            pass  # an icon is nice to have; a missing one must not stop the app
        self.worker = ComputeWorker(device=self.settings.device)
        self.bridge = WorkerBridge(self.worker, self)
        self.files = FileActions(self)
        self.dark = False
        self._shown_once = False
        self._started = False
        self._current: LabDock | None = None

        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.docks: dict[str, LabDock] = {}
        for cls in DOCK_CLASSES:
            dock = cls(self.bridge, self)
            dock.visibilityChanged.connect(self._on_dock_visibility)
            dock.settled.connect(self._on_dock_settled)
            self.docks[cls.dock_id] = dock
        self._default_layout()
        self._default_state = self.saveState(LAYOUT_VERSION)

        self.status = ComputeStatusBar(self.bridge, self)
        self.setStatusBar(self.status)
        self.status.error_details_requested.connect(self._on_error_details)
        self.bridge.devices_checked.connect(self._on_devices_checked)
        self._build_menus()
        self._restore_layout()
        self.set_theme(self.settings.theme)
        QApplication.instance().styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        if self.settings.message:
            self.status.showMessage(self.settings.message, 10000)

    # ----- layout ------------------------------------------------------------------------
    def _default_layout(self) -> None:
        docks = list(self.docks.values())
        for dock in docks:
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            dock.show()
        for dock in docks[1:]:
            self.tabifyDockWidget(docks[0], dock)
        docks[0].raise_()
        self.resize(1280, 820)

    def _restore_layout(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None and not self.restoreState(state, LAYOUT_VERSION):
            self.status.showMessage("The saved layout could not be restored; using the default.", 8000)

    @Slot()
    def reset_layout(self) -> None:
        """Back to the default dock arrangement (every dock shown, tabbed)."""
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.show()
        next(iter(self.docks.values())).raise_()
        self.settings.clear_window_state()
        self.status.showMessage("Layout reset", 3000)

    def current_dock(self) -> LabDock | None:
        """The dock the user looked at last (the one 'Export figure…' exports)."""
        if self._current is not None and self._current.isVisible():
            return self._current
        visible = [d for d in self.docks.values() if d.isVisible() and not d.visibleRegion().isEmpty()]
        return visible[0] if visible else None

    @Slot(bool)
    def _on_dock_visibility(self, visible: bool) -> None:
        dock = self.sender()
        if visible and isinstance(dock, LabDock):
            self._current = dock
            if self._shown_once:
                dock.ensure_built()

    # ----- menus and toolbar -------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        f = self.files
        self.open_action = self._action("&Open session…", f.open_session_dialog,
                                        QKeySequence.StandardKey.Open,
                                        "Open a saved session")
        self.save_action = self._action("&Save session…", f.save_session_dialog,
                                        QKeySequence.StandardKey.Save,
                                        "Save every dock's state to a session file")
        self.export_action = self._action("&Export figure…", f.export_figure_dialog, "Ctrl+E",
                                          "Export the current dock's figure as PNG, SVG or PDF")
        self.export_window_action = self._action("Export &window…", f.export_window_dialog, "Ctrl+Shift+E",
                                                 "Export the whole window as PNG")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu = self.menuBar().addMenu("&File")
        for a in (self.open_action, self.save_action, None, self.export_action, self.export_window_action,
                  None, self.quit_action):
            file_menu.addSeparator() if a is None else file_menu.addAction(a)

        view = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            toggle = dock.toggleViewAction()
            if dock.shortcut:
                toggle.setShortcut(QKeySequence(dock.shortcut))
            view.addAction(toggle)
        view.addSeparator()
        self.reset_layout_action = self._action("&Reset layout", self.reset_layout, "Ctrl+Shift+R")
        view.addAction(self.reset_layout_action)
        self.theme_actions = self._radio_menu(view.addMenu("&Theme"), THEME_CHOICES, self.settings.theme,
                                              self.set_theme)

        compute = self.menuBar().addMenu("&Compute")
        self.pause_action = self._action("&Pause long jobs", self._on_pause_toggled, "Ctrl+P",
                                         "Pause or resume training and long runs", checkable=True)
        self.cancel_action = self._action("&Cancel all jobs", self.bridge.worker.cancel_all, "Ctrl+.")
        compute.addAction(self.pause_action)
        compute.addAction(self.cancel_action)
        device_menu = compute.addMenu("&Device")
        device_menu.setToolTipsVisible(True)  # a greyed device's tooltip says why
        self.device_actions = self._radio_menu(device_menu, DEVICE_CHOICES, self.settings.device,
                                               self.set_device)

        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, "F1")
        self.about_action = self._action("&About vaeviz", lambda: show_about(self, self.bridge))
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

        icons = {self.open_action: "SP_DialogOpenButton", self.save_action: "SP_DialogSaveButton",
                 self.export_action: "SP_DesktopIcon", self.pause_action: "SP_MediaPause",
                 self.reset_layout_action: "SP_BrowserReload"}
        for action, name in icons.items():
            action.setIcon(self.style().standardIcon(getattr(QStyle.StandardPixmap, name)))
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolBar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.open_action, self.save_action, self.export_action, None, self.pause_action,
                  self.reset_layout_action):
            toolbar.addSeparator() if a is None else toolbar.addAction(a)
        self.addToolBar(toolbar)

    def _radio_menu(self, menu: QMenu, choices, current: str, apply) -> dict[str, QAction]:
        group = QActionGroup(self)
        actions = {}
        for value, text in choices:
            action = QAction(text, self, checkable=True)
            action.setChecked(value == current)
            action.triggered.connect(lambda _checked=False, v=value: apply(v))
            group.addAction(action)
            menu.addAction(action)
            actions[value] = action
        return actions

    def all_actions(self) -> list[QAction]:
        """Every action with its shortcut: the window's, the dock toggles and the docks' own."""
        actions = list(self.actions()) + [d.toggleViewAction() for d in self.docks.values()]
        for dock in self.docks.values():
            actions += dock.actions()
        return actions

    # ----- commands ----------------------------------------------------------------------
    @Slot(str)
    def set_theme(self, mode: str) -> None:
        self.settings.theme = mode
        self.dark = apply_theme(QApplication.instance(), mode)
        for value, action in getattr(self, "theme_actions", {}).items():
            action.setChecked(value == mode)
        for dock in self.docks.values():
            dock.apply_theme(self.dark)

    @Slot()
    def _on_system_scheme_changed(self) -> None:
        if self.settings.theme == "system":
            self.set_theme("system")

    @Slot(str)
    def set_device(self, preference: str) -> None:
        self.settings.device = preference
        for value, action in self.device_actions.items():
            action.setChecked(value == preference)
        self.worker.set_device(preference)

    @Slot(object)
    def _on_devices_checked(self, checks: tuple) -> None:
        """Grey out the devices that are absent or failed the worker's probe, saying why."""
        labels = dict(DEVICE_CHOICES)
        for check in checks:
            action = self.device_actions.get(check.name)
            if action is None:
                continue
            reason = check.reason
            action.setEnabled(not reason)
            short = bounded_message(reason, DEVICE_REASON_CHARS).replace("&", "&&")
            action.setText(f"{labels[check.name]} — {short}" if reason else labels[check.name])
            tip = reason or f"torch device '{check.name}' (passed a test computation)"
            action.setToolTip(tip)
            action.setStatusTip(tip)

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        (self.worker.pause if paused else self.worker.resume)()
        self.pause_action.setText("&Resume long jobs" if paused else "&Pause long jobs")

    @Slot()
    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.all_actions(), self)
        dialog.setModal(False)
        dialog.show()
        self._shortcuts_dialog = dialog
        return dialog

    @Slot(str, str)
    def _on_error_details(self, message: str, details: str) -> None:
        self._error_dialog = error_box(self, "Job failed", message, details)

    # ----- life cycle --------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            # The compute thread starts by importing torch (seconds of Python, holding the GIL much of the
            # time): start it once the window is on screen, so that the first paint does not wait for it.
            handle = self.windowHandle()
            if handle is not None and not handle.isExposed():
                handle.installEventFilter(self)
                QTimer.singleShot(EXPOSE_TIMEOUT_MS, self._after_first_show)  # a platform that never says
            else:
                QTimer.singleShot(0, self._after_first_show)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Expose and obj is self.windowHandle() and obj.isExposed():
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self._after_first_show)
        return super().eventFilter(obj, event)

    @Slot()
    def _after_first_show(self) -> None:
        if self._started:
            return
        self._started = True
        if not self.worker.isRunning():
            self.worker.start()
        QTimer.singleShot(0, self.build_docks)

    @Slot()
    def build_docks(self) -> None:
        """Build the visible docks first (they are what the user sees), then the rest."""
        ordered = sorted(self.docks.values(), key=lambda d: d.visibleRegion().isEmpty())
        for dock in ordered:
            dock.ensure_built()
        freeze_long_lived_objects()
        self.docks_built.emit()

    @Slot()
    def _on_dock_settled(self) -> None:
        freeze_long_lived_objects()

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Cancel every job and stop the compute thread; return whether it stopped in time."""
        for dock in self.docks.values():
            dock.shutdown()
        return self.worker.shutdown(timeout_s)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.save_window_state(self.saveGeometry(), self.saveState(LAYOUT_VERSION))
        self.settings.sync()
        self.shutdown(2.0)
        event.accept()


"""What every lab dock is: a QDockWidget with a figure, a state, presets and a self-check.

A dock's content is built lazily by :meth:`LabDock.ensure_built`: the main window shows itself first and
builds the docks right after, so pyqtgraph (0.3 s to import) and each lab's set-up never delay the
first paint. Anything that needs the content (export, sessions, self-check) calls ``ensure_built``.
"""

from __future__ import annotations

import atexit
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget


@dataclass(frozen=True)
class Preset:
    """A named, reproducible view of a dock, for the export CLI and the lecture.

    ``apply(dock, steps)`` puts the (built) dock in the preset's state; ``steps`` is how many iterations
    of the lab's algorithm to run first (``None``: the preset's own default), at most ``max_steps``
    (the export CLI refuses more: an export must end).
    """

    name: str
    description: str
    apply: Callable[[LabDock, int | None], None]
    max_steps: int = 5_000


class LabDock(QDockWidget):
    """Base class of the lab docks; subclasses set the class attributes and override the hooks."""

    dock_id: ClassVar[str] = ""  # short name for the CLI and session files, e.g. "em"
    title: ClassVar[str] = ""
    shortcut: ClassVar[str] = ""  # toggles the dock's visibility from the View menu
    state_version: ClassVar[int] = 1
    # The lab now holds long-lived state (models loaded, views built): the window moves it out of the
    # garbage collector's sight (vaeviz.runtime.freeze_long_lived_objects).
    settled = Signal()

    def __init__(self, compute: Any, parent: QWidget | None = None) -> None:
        super().__init__(self.title, parent)
        self.setObjectName(type(self).__name__)  # saveState() needs stable object names
        self.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self.compute = compute  # WorkerBridge in the app, InlineRunner in the export CLI
        self.lab: Any = None  # a lab dock's lab, once built: themed and shut down with the dock
        self.dark = False
        self._built = False
        waiting = QLabel("Loading…")
        waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWidget(waiting)

    # ----- life cycle ---------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self._built

    def ensure_built(self) -> None:
        """Build the dock's content once (imports pyqtgraph and the lab's modules)."""
        if not self._built:
            self._built = True
            from vaeviz.ui.items.cheap_items import configure_pyqtgraph

            configure_pyqtgraph()
            self.setWidget(self.build())
            self.apply_theme(self.dark)

    def build(self) -> QWidget:
        """Create and return the content widget. Subclasses must override."""
        raise NotImplementedError

    def shutdown(self) -> None:
        """Cancel the dock's jobs; called when the window closes (its lab's, if it has one)."""
        if self._built and self.lab is not None:
            self.lab.shutdown()

    # ----- hooks used by the main window, export, sessions and self-test ------------------
    def figure_widget(self) -> QWidget:
        """The widget exported as the dock's figure (plots, not controls). Default: the content."""
        self.ensure_built()
        return self.widget()

    def state(self) -> dict:
        """The dock's state for a session file (JSON-serialisable)."""
        return {"version": self.state_version}

    def validate_state(self, state: dict) -> None:
        """Raise ``ValueError`` with a clear message if ``state`` cannot be restored.

        Called for every dock before any dock is changed, so a bad session leaves the app untouched.
        """
        version = state.get("version", 1)
        if not isinstance(version, int) or version > self.state_version:
            raise ValueError(f"{self.title}: state version {version!r} is newer than this vaeviz knows")

    def restore_state(self, state: dict) -> None:
        """Apply a state that :meth:`validate_state` accepted."""

    def self_check(self, done: Callable[[list[str]], None]) -> None:
        """Check the dock works (used by ``--self-test``) and call ``done(problems)``.

        Labs check through their compute path, so ``done`` may be called later, from the event loop
        (never from a nested one); at once under inline compute. Default: :meth:`content_problems`.
        """
        done(self.content_problems())

    def content_problems(self) -> list[str]:
        """What is wrong with the built content, checked at once (no compute)."""
        self.ensure_built()
        return [] if self.widget() is not None else [f"{self.dock_id}: no content"]

    def actions(self) -> list[QAction]:
        """Dock actions with keyboard shortcuts, listed in Help > Keyboard shortcuts."""
        return []

    def apply_theme(self, dark: bool) -> None:
        """Follow the light/dark theme (pyqtgraph items do not read the Qt palette); its lab too."""
        self.dark = dark
        if self._built and self.lab is not None:
            self.lab.apply_theme(dark)

    @classmethod
    def presets(cls) -> list[Preset]:
        """Presets registered with the export CLI."""
        return []


def delete_at_exit(*objects) -> None:
    """Delete these Qt objects (a lab's figure, its dock) at exit, while Python is still whole.

    Otherwise PySide deletes them during interpreter shutdown, and the layouts of their pyqtgraph items
    call Python overrides as they are torn down, which crashes the process (seen after ``vaeviz export``,
    whose figure is a top-level widget). atexit runs this before PySide's own clean-up (registered earlier).
    Weak references: an object deleted before then is left alone.
    """
    atexit.register(_delete_now, *(weakref.ref(obj) for obj in objects))


def _delete_now(*refs) -> None:
    import shiboken6

    for ref in refs:
        obj = ref()
        if obj is not None and shiboken6.isValid(obj):
            shiboken6.delete(obj)

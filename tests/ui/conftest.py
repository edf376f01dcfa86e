"""Main-window fixtures: a shown window with built docks and a started worker, stopped after the test."""

from __future__ import annotations

import pytest
import shiboken6

from vaeviz.runtime import freeze_long_lived_objects
from vaeviz.ui.docks.base import LabDock
from vaeviz.ui.main_window import MainWindow
from vaeviz.ui.settings import AppSettings


@pytest.fixture(autouse=True)
def docks_settle_as_in_the_window(monkeypatch):
    """A dock made without a main window still has its settled state frozen, as the window does
    (MainWindow._on_dock_settled): tests see the same garbage collector as the app."""
    original = LabDock.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.settled.connect(freeze_long_lived_objects)

    monkeypatch.setattr(LabDock, "__init__", init)


@pytest.fixture
def make_window(qtbot):
    """Factory: ``make_window(settings=None, show=True)`` returns a MainWindow.

    When shown, it waits for the docks to be built and the worker to report its device. Every window
    made is closed at teardown, and its compute thread must have stopped.
    """
    made: list[MainWindow] = []

    def make(settings: AppSettings | None = None, show: bool = True) -> MainWindow:
        window = MainWindow(settings)
        qtbot.addWidget(window)
        made.append(window)
        if show:
            with qtbot.waitSignal(window.docks_built, timeout=30000):
                window.show()
            qtbot.waitUntil(lambda: window.bridge.device_name != "", timeout=60000)
        return window

    yield make
    for window in made:  # pytest-qt may have closed (and deleted) it already: closing twice is harmless
        if shiboken6.isValid(window):
            window.close()
            assert window.shutdown(5.0), "the compute worker did not stop within 5 s"
        assert window.worker.shutdown(5.0), "the compute worker did not stop within 5 s"
        assert not window.worker.isRunning()


@pytest.fixture
def window(make_window) -> MainWindow:
    """A shown MainWindow, docks built, worker running on its device."""
    return make_window()


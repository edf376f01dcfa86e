"""Waiting for the compute worker from the GUI thread, for presets, the self-test and self-checks.

Interactive code never waits: it reacts to the bridge's handlers. Only headless paths (export presets,
``--self-test``) need to block until an answer arrives, and they must keep the event loop turning
meanwhile so the worker's queued signals are delivered.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication


def process_events_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Process events until ``predicate()`` holds or ``timeout_s`` passes; return whether it held."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return True

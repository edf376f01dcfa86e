"""Cyclic garbage collected from the GUI thread's event loop only, never from inside a Qt call.

Python's collector runs whenever enough objects were allocated, wherever that happens. When it happens
inside Qt code that holds one of Qt's internal locks, and the garbage includes a QObject, the QObject's
destructor waits for that same lock forever. Seen here: pyqtgraph reparenting an item → Qt's
``QObject::disconnect`` (lock held) → PySide6 looks up a Python override → allocation → collection →
``~QObject`` → deadlock, the test suite frozen mid-test. A collection in the compute thread could
likewise destroy GUI objects off their thread.

So the app turns the automatic collector off and runs it from a timer in the GUI thread: a timer event
is delivered from the event loop with no Qt lock held. The generations and thresholds stay Python's, so
the work done is what the automatic collector would have done, at most one timer interval later.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

INTERVAL_MS = 100


class GuiThreadGarbageCollector(QObject):
    """Disables automatic garbage collection and collects on a GUI-thread timer instead.

    Keep the instance alive as long as the application (``make_application`` parents it to the app).
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        gc.disable()
        self._timer.start()

    @Slot()
    def collect_due(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds (as Python would)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):  # the oldest due generation; collecting it collects the younger ones
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                self.collections += 1
                return

    def stop(self) -> None:
        """Give the collection back to Python (automatic again)."""
        self._timer.stop()
        gc.enable()

"""Garbage collection runs from the GUI thread's event loop, not whenever Python allocates."""

from __future__ import annotations

import gc
import weakref

from vaeviz.app import GARBAGE_COLLECTOR_NAME
from vaeviz.ui.garbage_collection import GuiThreadGarbageCollector


def test_the_application_collects_from_its_event_loop(qapp, qtbot):
    assert not gc.isenabled()  # no collection in the middle of a Qt call
    collector = qapp.findChild(GuiThreadGarbageCollector, GARBAGE_COLLECTOR_NAME)
    assert collector is not None

    class Cycle:
        pass

    before = collector.collections
    marker = []
    for _ in range(gc.get_threshold()[0] + 10):  # enough new objects to make generation 0 due
        node = Cycle()
        node.self = node
    probe = Cycle()
    probe.self = probe

    gone = weakref.ref(probe, lambda _ref: marker.append(True))
    del probe, node
    assert gone() is not None  # nothing collects it while we do not return to the event loop
    qtbot.waitUntil(lambda: bool(marker), timeout=5000)
    assert collector.collections > before


def test_stop_gives_collection_back_to_python(qapp):
    collector = GuiThreadGarbageCollector()
    try:
        assert not gc.isenabled()
    finally:
        collector.stop()
        assert gc.isenabled()
        gc.disable()  # the application's own collector is still in charge
        collector.deleteLater()

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
    probe = Cycle()
    probe.self = probe
    gone = weakref.ref(probe, lambda _ref: marker.append(True))
    del probe
    # Generation 0 is due once its count passes the threshold; the count also falls when other objects are
    # freed (a dock of an earlier test deleted from the event loop can free thousands), so a fixed number
    # of allocations need not make it due: a threshold of 1 does, whatever the event loop frees.
    thresholds = gc.get_threshold()
    gc.set_threshold(1, *thresholds[1:])
    try:
        assert gone() is not None  # nothing collects it while we do not return to the event loop
        qtbot.waitUntil(lambda: bool(marker), timeout=5000)
    finally:
        gc.set_threshold(*thresholds)
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

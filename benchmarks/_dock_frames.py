"""What the dock frame benchmarks share: their timing summary and how a measured dock is closed."""

from __future__ import annotations

import statistics


def frame_stats_ms(values: list[float]) -> dict:
    """Median, 90th percentile and maximum of frame times given in seconds, in milliseconds."""
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(values) * 1000, 3),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3), "n": len(values)}


DOCK_SIZE = (1280, 760)  # the measured docks' size: a laptop window's dock area


def shown_dock(dock_class, bridge):
    """A lab dock of ``dock_class`` on ``bridge``, at :data:`DOCK_SIZE`, shown and built."""
    dock = dock_class(bridge)
    dock.resize(*DOCK_SIZE)
    dock.show()
    dock.ensure_built()
    return dock


def close_dock(dock) -> None:
    """Shut a measured dock down (its jobs cancelled) and let Qt delete it."""
    from PySide6.QtWidgets import QApplication

    dock.shutdown()
    dock.close()
    dock.deleteLater()
    QApplication.processEvents()


def on_real_worker(measure):
    """``measure(bridge)`` on the app's real compute worker (CPU), started and stopped around it."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from benchmarks._qt_wait import spin
    from vaeviz.app import make_application
    from vaeviz.workers.bridge import WorkerBridge
    from vaeviz.workers.compute_worker import ComputeWorker

    app = make_application()  # as the app: its name, its garbage-collection policy
    worker = ComputeWorker(device="cpu")
    bridge = WorkerBridge(worker)
    worker.start()
    try:
        if not spin(lambda: bool(bridge.device_name), 30.0):
            raise RuntimeError("the compute worker did not report a device")
        return measure(bridge)
    finally:
        worker.shutdown(5.0)
        app.processEvents()  # deliver the last queued signals while the bridge still exists

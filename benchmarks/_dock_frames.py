"""What the dock frame benchmarks share: their timing summary and how a measured dock is closed."""

from __future__ import annotations

import statistics


def frame_stats_ms(values: list[float]) -> dict:
    """Median, 90th percentile and maximum of frame times given in seconds, in milliseconds."""
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(values) * 1000, 3),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3), "n": len(values)}


def close_dock(dock) -> None:
    """Shut a measured dock down (its jobs cancelled) and let Qt delete it."""
    from PySide6.QtWidgets import QApplication

    dock.shutdown()
    dock.close()
    dock.deleteLater()
    QApplication.processEvents()

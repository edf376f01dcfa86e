"""Waiting on the GUI event loop in benchmarks (the benchmarks run in the GUI thread, as a dock would)."""

from __future__ import annotations

from collections.abc import Callable


def spin(done: Callable[[], bool], timeout_s: float) -> bool:
    """Run the GUI event loop until ``done()`` or the timeout; return whether ``done()`` became true."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if done() else None)
    poll.start(5)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not done():
        loop.exec()
    poll.stop()
    return done()


def heartbeat_ticks(seconds: float, interval_ms: int) -> list[float]:
    """Run the event loop for ``seconds`` with a precise ``interval_ms`` timer; return its tick times (the
    gaps beyond the interval are stalls of this thread)."""
    import time

    from PySide6.QtCore import Qt, QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)  # the default coarse timer adds its own ~5% slack
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    end = time.perf_counter() + seconds
    spin(lambda: time.perf_counter() >= end, seconds + 5)
    timer.stop()
    return ticks

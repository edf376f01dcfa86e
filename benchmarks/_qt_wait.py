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

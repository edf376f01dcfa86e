"""Opening a session from a test: the file is read in the worker, so the test waits for the answer."""

from __future__ import annotations


def open_session(qtbot, window, path, timeout_ms: int = 30_000) -> bool:
    """``window.files.load_session(path)``, waited for; return whether the session was loaded."""
    answer: list[bool] = []
    window.files.load_session(str(path), answer.append)
    qtbot.waitUntil(lambda: bool(answer), timeout=timeout_ms)
    return answer[0]

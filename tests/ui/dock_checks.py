"""Running a dock's asynchronous self-check from a test (the event loop turns until it answers)."""

from __future__ import annotations


def run_self_check(qtbot, dock, timeout_ms: int = 60_000) -> list[str]:
    """Start ``dock.self_check`` and return the problems it reports, failing the test on a timeout."""
    answer: list[list[str]] = []
    dock.self_check(answer.append)
    qtbot.waitUntil(lambda: bool(answer), timeout=timeout_ms)
    return answer[0]

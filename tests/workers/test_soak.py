"""Soak: 100,000 updates through the worker → GUI path.

PySide6 6.12.0 on Python 3.11 drops references to True/None in cross-thread signal emits and aborts the
interpreter ("Fatal Python error: bool_dealloc") after about a thousand of them. The snapshots below
carry True, False and None on purpose, so that regression would kill this test run, not a user's app.
"""

from __future__ import annotations

from dataclasses import dataclass

UPDATES = 100_000


@dataclass(frozen=True)
class Tick:
    index: int
    flag: bool
    extra: object = None


def ticks(ctx):
    for i in range(UPDATES):
        yield Tick(i, i % 2 == 0, None if i % 3 else True)
    return None


def test_hundred_thousand_updates_reach_the_gui(compute, qtbot):
    received: list[int] = []
    flags_ok = [True]

    def on_progress(tick: Tick) -> None:
        received.append(tick.index)
        if tick.flag is not (tick.index % 2 == 0):
            flags_ok[0] = False

    with qtbot.waitSignal(compute.bridge.job_finished, timeout=60000):
        compute.bridge.submit(ticks, "soak", progress="every", on_progress=on_progress)
    assert len(received) == UPDATES
    assert received[0] == 0 and received[-1] == UPDATES - 1
    assert received == sorted(received)
    assert flags_ok[0]

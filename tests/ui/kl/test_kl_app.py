"""The KL dock in the real window, with the real compute worker: frames arrive from the worker thread."""

from __future__ import annotations

from dataclasses import replace

from tests.ui.kl.conftest import TINY
from vaeviz.ui.kl.dock import KlDock


def test_fit_runs_in_the_worker_and_run_plays_it_to_the_end(make_window, qtbot, monkeypatch):
    monkeypatch.setattr(KlDock, "start_state", TINY)
    window = make_window()
    lab = window.docks["kl"].lab
    qtbot.waitUntil(lambda: bool(lab.runner.frames) and lab.runner.frames[-1].done, timeout=60_000)
    qtbot.waitUntil(lambda: not lab.controller.busy, timeout=30_000)
    assert lab.runner.frame.step == 0
    lab.controls.run.click()
    qtbot.waitUntil(lambda: lab.runner.at_end and not lab.runner.playing, timeout=10_000)
    assert lab.runner.frame.step == TINY.fit.max_steps
    qtbot.waitUntil(lambda: lab.figure.table.value(1, 3) not in ("", "—"), timeout=30_000)  # grid value
    assert lab.messages.text() == ""


def test_an_edit_during_a_run_restarts_the_fit_in_the_worker(make_window, qtbot, monkeypatch):
    monkeypatch.setattr(KlDock, "start_state", TINY)
    window = make_window()
    lab = window.docks["kl"].lab
    qtbot.waitUntil(lambda: bool(lab.runner.frames), timeout=60_000)
    lab.controls.run.click()
    lab.controls.seed.setValue(5)
    assert lab.state.fit.seed == 5
    qtbot.waitUntil(lambda: lab.runner.at_end and not lab.runner.playing, timeout=30_000)
    assert [f.step for f in lab.runner.frames] == list(range(0, TINY.fit.max_steps + 1, 3))
    again = replace(TINY, fit=replace(TINY.fit, seed=5))
    assert lab.state == again

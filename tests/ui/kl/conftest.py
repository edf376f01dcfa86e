"""Fixtures: the KL dock on an InlineRunner with a tiny fit (few steps and samples): fast, deterministic."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vaeviz.core.kl.state import FitSettings, KLLabState, TargetChoice
from vaeviz.ui.kl.dock import KlDock
from vaeviz.workers.bridge import InlineRunner

TINY_FIT = FitSettings(samples=64, max_steps=12, steps_per_frame=3)
TINY = KLLabState(fit=TINY_FIT)
GAUSSIAN = TargetChoice(kind="gaussian", weights=(1.0,), means=((0.5, -0.5),),
                        covariances=(((1.5, 0.6), (0.6, 1.0)),))


def tiny(**changes) -> KLLabState:
    return replace(TINY, **changes)


@pytest.fixture
def dock(qtbot, monkeypatch):
    monkeypatch.setattr(KlDock, "start_state", TINY)
    made = KlDock(InlineRunner())
    qtbot.addWidget(made)
    made.ensure_built()
    yield made
    made.shutdown()

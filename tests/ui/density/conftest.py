"""Fixtures: the Density dock on an InlineRunner with a small data set: fast, deterministic."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vaeviz.core.density.state import DataChoice, DensityLabState, ViewChoice
from vaeviz.ui.density.dock import DensityDock
from vaeviz.workers.bridge import InlineRunner

SMALL = DensityLabState(estimator="kde", data=DataChoice("two moons", 400, 0), view=ViewChoice(slice_at=0.5))


def small(**changes) -> DensityLabState:
    return replace(SMALL, **changes)


@pytest.fixture
def dock(qtbot, monkeypatch):
    monkeypatch.setattr(DensityDock, "start_state", SMALL)
    made = DensityDock(InlineRunner())
    qtbot.addWidget(made)
    made.ensure_built()
    made.resize(1100, 760)
    yield made
    made.shutdown()

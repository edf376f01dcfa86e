"""A started compute worker with its GUI-thread bridge, stopped after the test."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vaeviz.workers.bridge import WorkerBridge
from vaeviz.workers.compute_worker import ComputeWorker


@pytest.fixture
def compute(qtbot):
    """``compute.worker`` (a started ComputeWorker on cpu) and ``compute.bridge`` (its WorkerBridge)."""
    worker = ComputeWorker(device="cpu")
    bridge = WorkerBridge(worker)
    with qtbot.waitSignal(bridge.device_changed, timeout=30000):
        worker.start()
    yield SimpleNamespace(worker=worker, bridge=bridge)
    assert worker.shutdown(5.0), "compute worker did not stop within 5 s"


# The Qt-free scheduler tests' fixture: a Scheduler running in a plain thread (see scheduler_harness.py).
from scheduler_harness import h  # noqa: E402, F401

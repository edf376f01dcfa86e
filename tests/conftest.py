"""Fixtures for every test: headless Qt, isolated settings, no thread left running."""

from __future__ import annotations

import os
import sys

# Must happen before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("VAEVIZ_TORCH_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def qapp():
    """pytest-qt's application, made the app's way: names, and garbage collection only from the GUI
    thread's event loop (vaeviz.ui.garbage_collection), without which a collection inside a Qt call
    can deadlock a test."""
    from vaeviz.app import make_application

    return make_application()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    """Point vaeviz at a fresh settings folder so tests never see or change the user's settings."""
    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("VAEVIZ_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_dangling_qthreads(monkeypatch):
    """Fail a test that leaves a QThread running (and stop it, so the process does not abort)."""
    if "PySide6.QtCore" not in sys.modules:  # core tests never import Qt
        yield
        return
    from PySide6.QtCore import QThread

    started: list[QThread] = []
    original_start = QThread.start

    def recording_start(self, *args, **kwargs):
        started.append(self)
        return original_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    running = [t for t in started if _is_running(t)]
    for thread in running:
        if hasattr(thread, "shutdown"):
            thread.shutdown(5.0)
        else:
            thread.quit()
            thread.wait(5000)
    if running:
        pytest.fail(f"test left {len(running)} QThread(s) running: {[t.objectName() for t in running]}")


def _is_running(thread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is already gone, so it is not running
        return False


@pytest.fixture
def compute(qtbot):
    """``compute.worker`` (a started ComputeWorker on cpu) and ``compute.bridge`` (its WorkerBridge)."""
    from types import SimpleNamespace

    from vaeviz.workers.bridge import WorkerBridge
    from vaeviz.workers.compute_worker import ComputeWorker

    worker = ComputeWorker(device="cpu")
    bridge = WorkerBridge(worker)
    with qtbot.waitSignal(bridge.device_changed, timeout=30000):
        worker.start()
    yield SimpleNamespace(worker=worker, bridge=bridge)
    assert worker.shutdown(5.0), "compute worker did not stop within 5 s"

"""Compute → Device after the worker's start-up probe: absent and failing devices greyed with the reason,
a failing device never chosen, and the CPU-retry notice in the status bar.

The devices are stubs: torch is told an MPS device exists, and the probe fails on it, on any machine.
"""

from __future__ import annotations

import pytest
import torch

from vaeviz.core import device as device_mod
from vaeviz.ui.main_window import DEVICE_CHOICES

FAILED = "RuntimeError: MPS backend failed to create a command buffer"


@pytest.fixture
def failing_mps(monkeypatch):
    """MPS present but failing its probe; no CUDA."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(device_mod, "probe", lambda name: FAILED if name == "mps" else None)


@pytest.fixture
def checked_window(failing_mps, make_window, qtbot):
    window = make_window()
    qtbot.waitUntil(lambda: bool(window.bridge.device_checks), timeout=30000)
    return window


def test_failing_and_absent_devices_are_greyed_with_the_reason(checked_window):
    actions, labels = checked_window.device_actions, dict(DEVICE_CHOICES)
    assert actions["auto"].isEnabled() and actions["cpu"].isEnabled()
    assert actions["cpu"].text() == labels["cpu"]
    mps = actions["mps"]
    assert not mps.isEnabled()
    assert mps.text().startswith(f"{labels['mps']} — failed a test computation: RuntimeError: MPS")
    assert mps.toolTip() == mps.statusTip() == f"failed a test computation: {FAILED}"
    cuda = actions["cuda"]
    assert not cuda.isEnabled()
    assert cuda.text() == f"{labels['cuda']} — not available on this machine"
    assert cuda.toolTip() == "not available on this machine"


def test_automatic_choice_skips_the_failing_device(checked_window):
    """auto would take mps (present): it failed its probe, so the worker took the cpu and said why."""
    window = checked_window
    assert window.bridge.device_name == "cpu"
    assert window.status.device_label.text() == "device: cpu"
    assert window.status.device_label.toolTip() == f"mps failed a test computation ({FAILED}); using cpu"


def test_asking_for_the_failing_device_falls_back_to_the_cpu(checked_window, qtbot):
    """Chosen anyway (a saved setting, or set_device): the worker uses the cpu and the note says why."""
    window = checked_window
    with qtbot.waitSignal(window.bridge.device_changed, timeout=10000) as blocker:
        window.set_device("mps")
    name, _description, note = blocker.args
    assert name == "cpu"
    assert note == f"mps failed a test computation ({FAILED}); using cpu"
    assert window.status.currentMessage() == note


def test_retry_notice_is_shown_in_the_status_bar(checked_window):
    message = "Train failed on mps (RuntimeError: MPS backend out of memory); retried on the CPU"
    checked_window.bridge.job_notice.emit(7, message)
    assert checked_window.status.currentMessage() == message
    assert not checked_window.status.error_button.isVisible()  # the lab did not fail: no error shown

"""Device choice: cuda -> mps -> cpu, user override, and fallback with a note
(torch monkeypatched; no GPU)."""

from __future__ import annotations

import pytest
import torch

from vaeviz.core import device as device_mod
from vaeviz.core.device import PREFERENCES, DeviceInfo, available_devices, describe, select_device
from vaeviz.core.jobs import JobContext


@pytest.fixture
def fake_hw(monkeypatch):
    """Return a function setting which accelerators torch reports (cuda named 'Fake GPU 9000' on device 3)."""

    def set_hw(*, cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 3)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=None: f"Fake GPU 9000 #{index}")
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return set_hw


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [
        (True, True, ["cuda", "mps", "cpu"]),
        (True, False, ["cuda", "cpu"]),
        (False, True, ["mps", "cpu"]),
        (False, False, ["cpu"]),
    ],
)
def test_available_devices_best_first(fake_hw, cuda, mps, expected):
    """available_devices lists cuda before mps before cpu, and cpu always."""
    fake_hw(cuda=cuda, mps=mps)
    assert available_devices() == expected


def test_available_devices_without_mps_backend(fake_hw, monkeypatch):
    """A torch build without torch.backends.mps still works (cpu only)."""
    fake_hw(cuda=False, mps=True)
    monkeypatch.setattr(torch.backends, "mps", None)  # torch.backends re-imports a deleted submodule lazily
    assert available_devices() == ["cpu"]


@pytest.mark.parametrize(
    ("cuda", "mps", "name"),
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_picks_best(fake_hw, cuda, mps, name):
    """'auto' takes the best available device, with no note."""
    fake_hw(cuda=cuda, mps=mps)
    info = select_device("auto")
    assert info.name == name
    assert info.note == ""


def test_default_preference_is_auto(fake_hw):
    """select_device() with no argument behaves like 'auto'."""
    fake_hw(cuda=False, mps=True)
    assert select_device() == select_device("auto") == DeviceInfo("mps", "mps: Apple GPU", "")


def test_cuda_description_names_current_device(fake_hw):
    """The cuda description asks torch for the name of the *current* device."""
    fake_hw(cuda=True, mps=False)
    info = select_device("auto")
    assert info == DeviceInfo("cuda", "cuda: Fake GPU 9000 #3", "")
    assert describe("cuda") == "cuda: Fake GPU 9000 #3"


def test_describe_mps_and_cpu():
    """mps and cpu have fixed descriptions (no torch call needed)."""
    assert describe("mps") == "mps: Apple GPU"
    assert describe("cpu") == "cpu"


@pytest.mark.parametrize("preference", ["cpu", "mps", "cuda"])
def test_override_honoured_when_available(fake_hw, preference):
    """An explicit, available preference wins over the better device, without a note."""
    fake_hw(cuda=True, mps=True)
    info = select_device(preference)
    assert info.name == preference
    assert info.note == ""
    assert info.description == describe(preference)


def test_cpu_override_beats_cuda(fake_hw):
    """Asking for cpu on a cuda machine gives cpu."""
    fake_hw(cuda=True, mps=False)
    assert select_device("cpu") == DeviceInfo("cpu", "cpu", "")


@pytest.mark.parametrize(
    ("preference", "cuda", "mps", "fallback"),
    [("cuda", False, True, "mps"), ("cuda", False, False, "cpu"),
     ("mps", True, False, "cuda"), ("mps", False, False, "cpu")],
)
def test_unavailable_preference_falls_back_with_note(fake_hw, preference, cuda, mps, fallback):
    """An unavailable preference falls back to the best device and says why."""
    fake_hw(cuda=cuda, mps=mps)
    info = select_device(preference)
    assert info.name == fallback
    assert info.note == f"{preference} is not available here"


@pytest.mark.parametrize("preference", ["tpu", "", "CUDA", "gpu"])
def test_unknown_preference_falls_back_with_note(fake_hw, preference):
    """An unknown preference (even a wrongly-cased one) falls back to the best device
    with a note naming it."""
    fake_hw(cuda=False, mps=True)
    info = select_device(preference)
    assert info.name == "mps"
    assert f"unknown device '{preference}'" in info.note


def test_preferences_constant():
    """The settings UI offers exactly these, auto first."""
    assert PREFERENCES == ("auto", "cuda", "mps", "cpu")


def test_real_machine_without_gpu_gets_cpu_or_better():
    """Unpatched, select_device returns something torch accepts."""
    info = select_device("auto")
    assert info.name in ("cuda", "mps", "cpu")
    assert torch.device(info.name).type == info.name


def test_device_info_is_frozen():
    """DeviceInfo is immutable, so it can be passed across threads safely."""
    info = DeviceInfo("cpu", "cpu")
    with pytest.raises(AttributeError):
        info.name = "cuda"  # type: ignore[misc]


def test_job_context_torch_device():
    """JobContext.torch_device builds the torch.device for the chosen name."""
    assert JobContext(1).torch_device() == torch.device("cpu")
    assert JobContext(1, "cuda").torch_device().type == "cuda"  # building a device needs no GPU


def test_module_does_not_import_torch_at_import_time():
    """device.py imports torch inside its functions only (the GUI must not pay for torch at start-up)."""
    assert "torch" not in vars(device_mod)

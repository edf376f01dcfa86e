"""Device choice: cuda -> mps -> cpu, user override, and fallback with a note; the start-up probe and the
backend-error classifier (torch monkeypatched, devices stubbed; no GPU)."""

from __future__ import annotations

import pytest
import torch

from vaeviz.core import device as device_mod
from vaeviz.core.device import (
    NOT_AVAILABLE,
    PREFERENCES,
    DeviceCheck,
    DeviceInfo,
    available_devices,
    check_devices,
    describe,
    is_backend_error,
    probe,
    select_device,
)
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


# ----- the probe ----------------------------------------------------------------------------------
@pytest.fixture
def raising_device(monkeypatch):
    """A stub device: torch.linspace on device "mps" raises what an MPS backend might."""
    real = torch.linspace

    def linspace(*args, device=None, **kwargs):
        if str(device) == "mps":
            raise RuntimeError("MPS backend failed to create a command buffer\n(second line)")
        return real(*args, device=device, **kwargs)

    monkeypatch.setattr(torch, "linspace", linspace)


def test_probe_passes_on_the_cpu():
    assert probe("cpu") is None


def test_probe_reports_a_raising_device_in_one_line(raising_device):
    """The reason is the exception's type and first line (it goes into a menu entry)."""
    assert probe("mps") == "RuntimeError: MPS backend failed to create a command buffer"


def test_probe_fails_a_device_that_cannot_give_data_back():
    """A device torch knows but whose tensors hold no data (meta): the copy to the host fails."""
    assert probe("meta").startswith("NotImplementedError: Cannot copy out of meta tensor")


@pytest.mark.parametrize("wrong", [lambda t: t * 0, lambda t: t * float("nan")])
def test_probe_fails_a_device_computing_a_wrong_value(monkeypatch, wrong):
    """A device that computes without raising but gets the sum wrong (or NaN) fails too."""
    real = torch.exp
    monkeypatch.setattr(torch, "exp", lambda t: wrong(real(t)))
    reason = probe("cpu")
    assert reason is not None and reason.startswith("wrong result: ")


def test_probe_reason_is_bounded(monkeypatch):
    monkeypatch.setattr(torch, "exp", lambda t: (_ for _ in ()).throw(RuntimeError("x" * 10_000)))
    assert len(probe("cpu")) <= 200


def test_check_devices_probes_the_available_ones_only(fake_hw, monkeypatch):
    """Available devices are probed (in order, best first), absent ones listed as not available."""
    fake_hw(cuda=False, mps=True)
    probed = []
    monkeypatch.setattr(device_mod, "probe", lambda name: probed.append(name) or
                        ("RuntimeError: stub" if name == "mps" else None))
    checks = check_devices()
    assert probed == ["mps", "cpu"]
    assert checks == (DeviceCheck("cuda", False), DeviceCheck("mps", True, "RuntimeError: stub"),
                      DeviceCheck("cpu", True))
    assert [c.usable for c in checks] == [False, False, True]
    assert [c.reason for c in checks] == [NOT_AVAILABLE, "failed a test computation: RuntimeError: stub", ""]


def test_check_devices_with_the_real_probe_and_a_raising_device(fake_hw, raising_device):
    fake_hw(cuda=False, mps=True)
    mps = check_devices()[1]
    assert not mps.usable
    assert mps.failure == "RuntimeError: MPS backend failed to create a command buffer"


def _checks(cuda: str | None = "", mps: str | None = "", cpu: str = "") -> tuple[DeviceCheck, ...]:
    """None: not available; "": passed the probe; else the probe's failure."""
    return (DeviceCheck("cuda", cuda is not None, cuda or ""), DeviceCheck("mps", mps is not None, mps or ""),
            DeviceCheck("cpu", True, cpu))


def test_auto_skips_a_device_that_failed_its_probe(fake_hw):
    """mps is there but failed: auto takes the cpu and says why."""
    fake_hw(cuda=False, mps=True)
    info = select_device("auto", _checks(cuda=None, mps="RuntimeError: stub"))
    assert info == DeviceInfo("cpu", "cpu", "mps failed a test computation (RuntimeError: stub); using cpu")


def test_auto_takes_the_next_device_that_passed(fake_hw):
    fake_hw(cuda=True, mps=True)
    info = select_device("auto", _checks(cuda="RuntimeError: no kernel image", mps=""))
    assert info.name == "mps"
    assert info.note.startswith("cuda failed a test computation (RuntimeError: no kernel image); using mps")


def test_failing_preference_falls_back_with_its_reason(fake_hw):
    fake_hw(cuda=True, mps=True)
    info = select_device("mps", _checks(mps="TypeError: stub"))
    assert info.name == "cuda"
    assert info.note == "mps failed a test computation (TypeError: stub); using cuda"


def test_passing_preference_is_honoured_with_checks(fake_hw):
    fake_hw(cuda=True, mps=True)
    assert select_device("cpu", _checks()) == DeviceInfo("cpu", "cpu", "")
    assert select_device("mps", _checks(cuda="RuntimeError: stub")) == DeviceInfo("mps", "mps: Apple GPU", "")


def test_unavailable_preference_with_checks(fake_hw):
    fake_hw(cuda=False, mps=False)
    info = select_device("cuda", _checks(cuda=None, mps=None))
    assert info == DeviceInfo("cpu", "cpu", "cuda is not available here")


def test_failing_cpu_is_still_the_last_resort(fake_hw):
    """Nothing passed: the CPU is used anyway (there is no other), and the note says so."""
    fake_hw(cuda=False, mps=False)
    for preference in ("auto", "cpu"):
        info = select_device(preference, _checks(cuda=None, mps=None, cpu="RuntimeError: stub"))
        assert info.name == "cpu"
        assert info.note == ("cpu failed a test computation (RuntimeError: stub); "
                             "there is no other device to use")


def test_device_check_is_frozen():
    with pytest.raises(AttributeError):
        DeviceCheck("cpu", True).failure = "x"  # type: ignore[misc]


# ----- backend errors ------------------------------------------------------------------------------
class LabFailure(Exception):
    """Stands for a lab wrapping the error it met."""


def _wrapped(inner: BaseException) -> BaseException:
    try:
        raise inner
    except BaseException as exc:
        try:
            raise LabFailure("the step failed") from exc
        except LabFailure as outer:
            return outer


@pytest.mark.parametrize(("exc", "device"), [
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), "cuda"),
    (torch.cuda.OutOfMemoryError("CUDA out of memory."), "cuda"),
    (RuntimeError("CUDA error: device-side assert triggered"), "cuda"),
    (RuntimeError("cuDNN error: CUDNN_STATUS_NOT_INITIALIZED"), "cuda"),
    (RuntimeError("CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"), "cuda"),
    (RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                  "cuda:0 and cpu!"), "cuda"),
    (NotImplementedError("The operator 'aten::_linalg_eigh' is not currently implemented for the MPS "
                         "device."), "mps"),
    (TypeError("Cannot convert a MPS Tensor to float64 dtype as the MPS framework doesn't support "
               "float64. Please use float32 instead."), "mps"),
    (RuntimeError("MPS backend out of memory (MPS allocated: 17.00 GB)"), "mps"),
    (RuntimeError("out of memory"), "mps"),
    (NotImplementedError("Could not run 'aten::empty.memory_format' with arguments from the 'MPS' "
                         "backend."), "mps"),
    (_wrapped(RuntimeError("MPS backend out of memory")), "mps"),
    (RuntimeError("XPU out of memory"), "xpu"),  # another backend: its name, or memory
])
def test_backend_errors(exc, device):
    assert is_backend_error(exc, device)


@pytest.mark.parametrize(("exc", "device"), [
    (RuntimeError("CUDA out of memory."), "cpu"),  # nothing to fall back to on the CPU
    (ValueError("mps: the data has 3 columns, expected 2"), "mps"),  # a user error, whatever it names
    (RuntimeError("singular covariance matrix"), "cuda"),
    (RuntimeError("the loss jumps to NaN"), "mps"),  # "mps" inside a word is not MPS
    (RuntimeError("a relationship failed"), "cuda"),  # nor is "hip" inside one
    (RuntimeError("CUDA error: unspecified launch failure"), "mps"),  # another backend's error
    (MemoryError(), "cuda"),  # the host is out of memory: the CPU would not do better
    (_wrapped(ValueError("bad input")), "cuda"),
])
def test_not_backend_errors(exc, device):
    assert not is_backend_error(exc, device)

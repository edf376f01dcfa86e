"""Choosing the torch device: cuda -> mps -> cpu, with a user override, among devices that pass a probe.

torch is imported inside the functions: only the compute worker calls them, in its own thread, so
the GUI never pays for importing torch at start-up.

A device torch reports may still fail at the first real computation (a driver too old for the build, an
op the backend lacks). :func:`check_devices` runs :func:`probe`, a tiny computation, on each device once
at start; :func:`select_device` takes only devices that passed it. A job that fails later on a device for
a backend reason (:func:`is_backend_error`) is retried on the CPU by the compute worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PREFERENCES = ("auto", "cuda", "mps", "cpu")
DEVICE_NAMES = ("cuda", "mps", "cpu")  # best first
NOT_AVAILABLE = "not available on this machine"
# float32 on the device against float64 on the host: the probe's sum of 64 exponentials agrees to ~1e-7.
PROBE_RTOL = 1e-4
REASON_CHARS = 200


@dataclass(frozen=True)
class DeviceInfo:
    """The chosen device and how to describe it to the user."""

    name: str  # "cpu", "cuda", "mps": what torch.device() takes
    description: str  # e.g. "cuda: NVIDIA A100" or "cpu"
    note: str = ""  # why the preference was not honoured, if it was not


@dataclass(frozen=True)
class DeviceCheck:
    """What the start-up check found out about one device (frozen: it is sent to the GUI thread)."""

    name: str  # "cuda", "mps", "cpu"
    available: bool  # torch reports the device on this machine
    failure: str = ""  # why the probe failed on it; "" when it passed or was not run (not available)

    @property
    def usable(self) -> bool:
        return self.available and not self.failure

    @property
    def reason(self) -> str:
        """Why the device cannot be chosen, for the menu; "" when it can."""
        if not self.available:
            return NOT_AVAILABLE
        return f"failed a test computation: {self.failure}" if self.failure else ""


def available_devices() -> list[str]:
    """Return the device names usable on this machine, best first."""
    import torch

    names = []
    if torch.cuda.is_available():
        names.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    names.append("cpu")
    return names


def describe(name: str) -> str:
    """Return a human description of a device name."""
    if name == "cuda":
        import torch

        return f"cuda: {torch.cuda.get_device_name(torch.cuda.current_device())}"
    if name == "mps":
        return "mps: Apple GPU"
    return "cpu"


def error_reason(exc: BaseException) -> str:
    """An exception as one bounded line: its type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def probe(name: str) -> str | None:
    """Run a tiny float32 computation (matmul, exp, sum) on device ``name`` and check it on the host.

    Returns None when the device computed the right value, else why not (the exception, or the wrong
    value). The result is moved to the host before it is read, so the device finishes its work here.
    """
    import numpy as np

    x = np.linspace(-1.0, 1.0, 64).reshape(8, 8)
    expected = float(np.exp(x @ x.T / 8.0).sum())
    try:
        import torch

        t = torch.linspace(-1.0, 1.0, 64, dtype=torch.float32, device=name).reshape(8, 8)
        value = float(torch.exp(t @ t.T / 8.0).sum().cpu())
    except Exception as exc:  # whatever the backend raises is the reason the device is not offered
        return error_reason(exc)
    if not abs(value - expected) <= PROBE_RTOL * abs(expected):  # also catches NaN
        return f"wrong result: {value:.7g} instead of {expected:.7g}"
    return None


def check_devices(run_probe: Callable[[str], str | None] | None = None) -> tuple[DeviceCheck, ...]:
    """Check every known device, best first: the available ones are probed (with :func:`probe` unless
    ``run_probe`` is given), the others only listed."""
    run_probe = run_probe or probe  # looked up at call time, so tests can stub the module's probe
    available = available_devices()
    return tuple(DeviceCheck(name, True, run_probe(name) or "") if name in available
                 else DeviceCheck(name, False) for name in DEVICE_NAMES)


def select_device(preference: str = "auto", checks: Sequence[DeviceCheck] | None = None) -> DeviceInfo:
    """Pick a device for a preference: ``auto`` takes the best usable one.

    ``checks`` (from :func:`check_devices`): only devices that passed the probe are usable; without them,
    every available device is. An unavailable, failing or unknown preference falls back to the best
    usable device with a note. The CPU is the last resort even if it failed the probe: there is no other.
    """
    if checks is None:
        usable, failed = available_devices(), {}
    else:
        usable = [c.name for c in checks if c.usable]
        failed = {c.name: c.failure for c in checks if c.available and c.failure}
    best = usable[0] if usable else "cpu"
    if preference in usable and preference != "auto":
        return DeviceInfo(preference, describe(preference))

    def failure_note(name: str) -> str:
        instead = f"using {best}" if best != name else "there is no other device to use"
        return f"{name} failed a test computation ({failed[name]}); {instead}"

    if preference in failed:
        note = failure_note(preference)
    elif preference == "auto":
        # the best device that failed its probe (or the CPU itself, having failed) would have been chosen
        passed_over = [name for name in DEVICE_NAMES[:DEVICE_NAMES.index(best) + 1] if name in failed]
        note = failure_note(passed_over[0]) if passed_over else ""
    elif preference in PREFERENCES:
        note = f"{preference} is not available here"
    else:
        note = f"unknown device '{preference}', using the best available"
    return DeviceInfo(best, describe(best), note)


# Words in a backend's own errors (matched from a word's start: "mps:0", "MPSGraph", "cuDNN", "cudaMalloc").
_BACKEND_WORDS = {
    "cuda": r"\bcu(da|dnn|blas|fft|solver|sparse|rand)|\bnccl|\bhip\b|device-side assert",
    "mps": r"\bmps|\bmetal\b",
}
_OUT_OF_MEMORY = r"out of memory"
# TypeError: MPS refuses float64 with one ("Cannot convert a MPS Tensor to float64 dtype ...").
_BACKEND_TYPES = (RuntimeError, NotImplementedError, TypeError)


def is_backend_error(exc: BaseException, device: str) -> bool:
    """Whether ``exc``, raised by a job on ``device``, is the device backend's failure (so the same job
    would likely work on the CPU) rather than the job's own (bad input, a bug, a user error).

    Backend errors are RuntimeError, NotImplementedError or TypeError (torch's CUDA and MPS errors, its
    out-of-memory and "not implemented for the MPS device" errors among them) whose message names the
    device's backend or running out of memory. Causes are looked at too (a job may wrap the error).
    Never true on the CPU: there is nothing to fall back to.
    """
    if device == "cpu":
        return False
    pattern = re.compile(f"{_BACKEND_WORDS.get(device, re.escape(device))}|{_OUT_OF_MEMORY}", re.IGNORECASE)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _BACKEND_TYPES) and pattern.search(str(current)):
            return True
        current = current.__cause__ or current.__context__
    return False

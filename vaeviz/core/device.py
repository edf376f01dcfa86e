"""Choosing the torch device: cuda -> mps -> cpu, with a user override.

torch is imported inside the functions: only the compute worker calls them, in its own thread, so
the GUI never pays for importing torch at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFERENCES = ("auto", "cuda", "mps", "cpu")


@dataclass(frozen=True)
class DeviceInfo:
    """The chosen device and how to describe it to the user."""

    name: str  # "cpu", "cuda", "mps": what torch.device() takes
    description: str  # e.g. "cuda: NVIDIA A100" or "cpu"
    note: str = ""  # why the preference was not honoured, if it was not


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


def select_device(preference: str = "auto") -> DeviceInfo:
    """Pick a device for a preference: ``auto`` takes the best available one.

    An unavailable or unknown preference falls back to the best available device with a note.
    """
    available = available_devices()
    if preference == "auto" or preference not in PREFERENCES:
        note = "" if preference in PREFERENCES else f"unknown device '{preference}', using the best available"
        return DeviceInfo(available[0], describe(available[0]), note)
    if preference in available:
        return DeviceInfo(preference, describe(preference))
    return DeviceInfo(available[0], describe(available[0]), f"{preference} is not available here")

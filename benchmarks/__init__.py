"""vaeviz's benchmarks: ``python -m benchmarks NAME --json OUT`` and ``python -m benchmarks.table FILE...``.

A benchmark is a module ``benchmarks/<name>.py`` with a ``run() -> dict`` function returning flat
``key -> number/bool/str`` metrics (an optional ``"details"`` entry may hold nested data). Adding a
lab's benchmark (``em``, ``vae``...) is just adding such a file plus its goals in :mod:`benchmarks.goals`.

This package's ``__init__`` imports only the standard library: the start-up benchmark's child process
imports it, and anything heavy here would be charged to the app's start-up time.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import sys
from pathlib import Path

# Modules of this package that are tools, not benchmarks (names starting with "_" are skipped too).
NOT_BENCHMARKS = frozenset({"goals", "table"})


def available() -> list[str]:
    """List the benchmark names, one per ``benchmarks/<name>.py`` file.

    Returns
    -------
    list of str
        Sorted module names, excluding helpers (``goals``, ``table``) and private ``_*`` modules.
    """
    folder = Path(__file__).resolve().parent
    names = (p.stem for p in folder.glob("*.py"))
    return sorted(n for n in names if not n.startswith("_") and n not in NOT_BENCHMARKS)


def _dist_version(*names: str) -> str:
    # Read versions from package metadata: importing torch just to print its version would cost ~1 s.
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not installed"


def machine_info() -> dict:
    """Describe the machine and the software versions the figures were measured with.

    Returns
    -------
    dict
        Python, torch and PySide6 versions, CPU count, platform, machine and the Qt platform plugin.
    """
    return {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "torch": _dist_version("torch"),
        "pyside6": _dist_version("PySide6-Essentials", "PySide6"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "qt_qpa_platform": os.environ.get("QT_QPA_PLATFORM", ""),
    }


def percentile(values: list[float], q: float) -> float:
    """Return the ``q``-th percentile (0-100) of ``values`` by linear interpolation, like numpy's default.

    Parameters
    ----------
    values
        The samples; must not be empty.
    q
        The percentile, between 0 and 100.

    Returns
    -------
    float
        The interpolated percentile.
    """
    if not values:
        raise ValueError("percentile of no values")
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)

"""Freed memory is kept for reuse: numpy's large temporaries are not page-faulted in again on every call."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

CHILD = """
import resource, sys
from vaeviz.runtime import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
import numpy as np
from vaeviz.core.density.kde import KdeSettings
points = np.random.default_rng(0).normal(size=(100_000, 2))  # a 512² KDE: temporaries of 0.8 to 3 MB
kde = KdeSettings(0.3).fit(points)
for _ in range(2):
    kde.log_density_grid((-4.0, -4.0, 4.0, 4.0), 512)  # (warm-up: the first temporaries are new memory)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    kde.log_density_grid((-4.0, -4.0, 4.0, 4.0), 512)
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True,
                         timeout=120).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the allocator setting is glibc's")
def test_kept_memory_is_reused_without_page_faults():
    kept, with_setting = _faults("keep")
    _, without = _faults("default")
    assert kept == "True"
    # without it the temporaries are mapped afresh, thousands of 4 kB pages per call
    assert without > 10_000 and with_setting < without / 20

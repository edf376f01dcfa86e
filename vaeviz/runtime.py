"""How the vaeviz process is tuned: thread counts, GIL hand-over and the garbage collector.

The app applies :func:`configure_process` at its entry point, before anything imports numpy; the
benchmarks do the same, so they measure the process the user runs. Standard library only, for that
reason. Nothing else in vaeviz changes these process-wide settings.
"""

from __future__ import annotations

import gc
import os
import sys

# How long a thread may keep the GIL while another one waits for it. Python's default, 5 ms, is a whole
# drag frame: a decoded image finished in the compute thread could wait that long for the GUI thread's
# Python to let go (and vice versa). 0.5 ms halved the drag benchmark's p99 tail.
GIL_SWITCH_INTERVAL_S = 0.0005


def compute_threads() -> int:
    """``VAEVIZ_TORCH_THREADS`` if set, else the number of cores less one (at least 1).

    The compute worker gives torch's intra-op pool this many threads; one core is left to the GUI thread.
    """
    return int(os.environ.get("VAEVIZ_TORCH_THREADS", "0")) or max(1, (os.cpu_count() or 2) - 1)


def limit_blas_threads() -> None:
    """Give OpenBLAS the compute threads' count unless the user chose one (call before importing numpy).

    numpy's OpenBLAS (the float32 EM path's matmuls run through it on the CPU) reads its thread count
    once, when numpy is first imported, and its idle threads spin for a while after each call.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(compute_threads()))


def configure_process() -> None:
    """Everything the app sets for the whole process at start-up: BLAS threads and the GIL switch interval."""
    limit_blas_threads()
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))


def freeze_long_lived_objects() -> None:
    """Move every object alive now out of the garbage collector's sight (``gc.freeze``).

    After start-up the heap holds a few hundred thousand long-lived objects (Qt wrappers, pyqtgraph items,
    torch modules). Each full collection walks all of them: ~10 ms, landing in the middle of a drag now and
    then (the drag benchmark's p99 went from ~6 ms to ~3 ms with them frozen). Objects made later are still
    collected. The main window calls this once the docks are built and again whenever a lab reports new
    long-lived state (:attr:`vaeviz.ui.docks.base.LabDock.settled`).
    """
    gc.freeze()


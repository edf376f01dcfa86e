"""How the vaeviz process is tuned: thread counts, GIL hand-over, the allocator and the garbage collector.

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
# glibc's allocator keeps this much freed memory at the top of a heap before giving it back to the OS, and
# maps blocks this large or larger on their own (returned at once when freed). See keep_freed_memory.
KEEP_FREED_BYTES = 256 << 20
OWN_MAPPING_BYTES = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


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


def keep_freed_memory() -> bool:
    """Have glibc's allocator keep freed memory for reuse (Linux with glibc; elsewhere nothing, False).

    By default a freed block of more than 128 kB goes back to the OS and the next one is mapped afresh, so
    every numpy temporary of a grid (a 512² float64 plane is 2 MB) is page-faulted in again on every call:
    on the virtual machines measured that cost more than the arithmetic (a 512² KDE of 10⁵ points took
    18 ms, 8 ms with the memory kept; its binning, 10 ms and 1.4 ms). The process keeps up to
    :data:`KEEP_FREED_BYTES` of freed heap per arena instead; blocks of :data:`OWN_MAPPING_BYTES` or more
    are still mapped on their own and returned when freed.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, OWN_MAPPING_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD,
                                                                                KEEP_FREED_BYTES))


def configure_process() -> None:
    """Everything the app sets for the whole process at start-up: BLAS threads, the GIL switch interval and
    the allocator's handling of freed memory."""
    limit_blas_threads()
    keep_freed_memory()
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


"""How many threads the compute libraries use: every core but one, which is left to the GUI thread.

torch's intra-op pool is set by the compute worker when it loads torch. numpy's OpenBLAS (the float32 EM
path's matmuls run through it on the CPU) reads its thread count once, when numpy is first imported, and
its idle threads spin for a while after each call: :func:`limit_blas_threads` must run before that
import, at the program's entry points. Standard library only, for that reason.
"""
from __future__ import annotations

import os


def compute_threads() -> int:
    """``VAEVIZ_TORCH_THREADS`` if set, else the number of cores less one (at least 1)."""
    return int(os.environ.get("VAEVIZ_TORCH_THREADS", "0")) or max(1, (os.cpu_count() or 2) - 1)


def limit_blas_threads() -> None:
    """Give OpenBLAS the compute threads' count unless the user chose one (call before importing numpy)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(compute_threads()))

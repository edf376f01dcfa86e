"""Start-up benchmark: wall-clock time from spawning ``python`` to vaeviz's main window being exposed.

Each run spawns a fresh interpreter (``benchmarks._startup_child``) with a fresh settings folder; the
parent passes its ``time.time()`` taken just before spawning, the child reports when the window's first
Expose event arrives, waits for the worker (torch) and the docks, shuts down and exits 0.

Two variants, interleaved so drift (caches, CPU boost, neighbours) hits both alike:

- normal: what ``python -m vaeviz`` does; torch must be imported by the worker thread after the window
  is up, so ``torch_imported_before_window`` must be False;
- eager: the child imports torch first, i.e. what start-up would cost if the GUI path imported torch.

The Qt platform is ``QT_QPA_PLATFORM`` (default offscreen); with ``BENCH_XVFB=1`` and ``Xvfb`` on PATH
the children run on a private Xvfb display with the xcb platform instead.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = "benchmarks._startup_child"
MARKER = "BENCH_STARTUP "
RUNS = 5  # measured runs per variant (medians are reported)
WARMUP_RUNS = 1  # per variant, discarded: the first run pays for cold file caches
CHILD_TIMEOUT_S = 60


@contextmanager
def _display():
    """Yield the environment overrides for the children: offscreen, or a private Xvfb display."""
    if os.environ.get("BENCH_XVFB") == "1" and shutil.which("Xvfb"):
        read_fd, write_fd = os.pipe()
        # -displayfd: Xvfb picks a free display number and writes it once it accepts connections.
        server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24",
                                   "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
        os.close(write_fd)
        try:
            with os.fdopen(read_fd) as pipe:
                number = pipe.readline().strip()
            if not number:
                raise RuntimeError("Xvfb did not start")
            yield {"QT_QPA_PLATFORM": "xcb", "DISPLAY": f":{number}"}
        finally:
            server.terminate()
            server.wait(10)
    else:
        yield {"QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM") or "offscreen"}


def spawn_once(eager_torch: bool, overrides: dict) -> dict:
    """Start vaeviz in a fresh interpreter and return the child's report, times relative to the spawn.

    Parameters
    ----------
    eager_torch
        Make the child ``import torch`` before starting the GUI.
    overrides
        Environment variables for the display (``QT_QPA_PLATFORM``, ``DISPLAY``).

    Returns
    -------
    dict
        The child's report: ``times`` (seconds since the spawn: ``main``, ``start_gui_called``,
        ``start_gui_returned``, ``exposed``, ``worker_ready``, ``docks_built``),
        ``torch_imported_before_window`` and ``worker_stopped``.
    """
    with tempfile.TemporaryDirectory(prefix="vaeviz-bench-config-") as config:
        env = {**os.environ, **overrides, "VAEVIZ_CONFIG_DIR": config}
        argv = [sys.executable, "-m", CHILD] + (["--eager-torch"] if eager_torch else [])
        t0 = time.time()
        env["BENCH_T0"] = repr(t0)
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"start-up child failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    report = json.loads(lines[-1][len(MARKER):])
    spawn = report["times"].pop("spawn")
    report["times"] = {k: round(v - spawn, 4) for k, v in report["times"].items()}
    return report


def _median(reports: list[dict], key: str) -> float | None:
    values = [r["times"][key] for r in reports if key in r["times"]]
    return round(statistics.median(values), 4) if values else None


def _phases(prefix: str, reports: list[dict]) -> dict:
    """Median phase boundaries, to show where start-up time goes."""
    keys = {"interpreter_s": "main", "start_gui_called_s": "start_gui_called",
            "start_gui_returned_s": "start_gui_returned", "worker_ready_s": "worker_ready",
            "docks_built_s": "docks_built"}
    return {f"{prefix}{name}": _median(reports, key) for name, key in keys.items()}


def run() -> dict:
    """Measure start-up to an exposed window, with torch deferred (normal) and imported first (eager).

    Returns
    -------
    dict
        ``window_visible_s`` and ``eager_torch_window_visible_s`` (medians of ``RUNS`` runs each),
        ``ratio`` (normal / eager), ``torch_imported_before_window`` (True if any normal run had torch
        loaded when its window was exposed), min/max spreads, median phase times, and ``details`` with
        every run's report.
    """
    normal: list[dict] = []
    eager: list[dict] = []
    with _display() as overrides:
        for i in range(WARMUP_RUNS + RUNS):
            for is_eager, reports in ((False, normal), (True, eager)):
                report = spawn_once(is_eager, overrides)
                if i >= WARMUP_RUNS:
                    reports.append(report)
    visible = _median(normal, "exposed")
    eager_visible = _median(eager, "exposed")
    metrics = {
        "window_visible_s": visible,
        "eager_torch_window_visible_s": eager_visible,
        "ratio": round(visible / eager_visible, 3) if visible and eager_visible else None,
        "torch_imported_before_window": any(r.get("torch_imported_before_window", True) for r in normal),
        # How many normal runs had torch loaded at the expose, and whether start_gui itself loaded it:
        # False here but True above means the worker thread began importing torch before the Expose
        # event was delivered (a race in the start-up order), not that the GUI path imports torch.
        "torch_before_window_runs": sum(bool(r.get("torch_imported_before_window", True)) for r in normal),
        "torch_imported_by_start_gui": any(r.get("torch_in_modules_after_start_gui", True) for r in normal),
        "expose_after_start_gui_ms": round(1000 * statistics.median(
            r["times"]["exposed"] - r["times"]["start_gui_returned"] for r in normal), 1),
        "window_visible_min_s": min(r["times"]["exposed"] for r in normal),
        "window_visible_max_s": max(r["times"]["exposed"] for r in normal),
        "eager_torch_import_s": _median(eager, "torch_imported"),
        **_phases("", normal),
        "eager_torch_window_visible_max_s": max(r["times"]["exposed"] for r in eager),
        "runs_per_variant": RUNS,
        "workers_stopped_cleanly": all(r.get("worker_stopped") for r in normal + eager),
        "details": {"qt_platform": overrides.get("QT_QPA_PLATFORM"), "warmup_runs": WARMUP_RUNS,
                    "normal_runs": normal, "eager_runs": eager},
    }
    return metrics

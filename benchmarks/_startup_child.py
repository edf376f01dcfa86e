"""Child process of the start-up benchmark: start vaeviz, note when its window is exposed, exit cleanly.

Run as ``python -m benchmarks._startup_child [--eager-torch]`` with ``BENCH_T0`` (the parent's
``time.time()`` just before spawning) and ``VAEVIZ_CONFIG_DIR`` (a fresh settings folder) set. Prints
one line ``BENCH_STARTUP {json}`` with wall-clock times (``time.time()``; the parent's clock is the same
clock, which is why perf_counter is not used across processes).

Only the standard library is imported before ``start_gui`` (and torch with ``--eager-torch``), so the
figures are vaeviz's own start-up cost.
"""

from __future__ import annotations

import time

T_MAIN = time.time()  # first thing: the interpreter and this package are loaded

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

MARKER = "BENCH_STARTUP "
WAIT_S = 30.0  # for the worker (torch import) and the docks, after the window is up


def main() -> int:
    times: dict = {"spawn": float(os.environ.get("BENCH_T0", T_MAIN)), "main": T_MAIN}
    if "--eager-torch" in sys.argv:
        import torch  # noqa: F401  (the variant the app is compared against: torch before any Qt)

        times["torch_imported"] = time.time()

    from vaeviz.app import start_gui

    times["start_gui_called"] = time.time()
    app, window = start_gui([])
    times["start_gui_returned"] = time.time()
    info: dict = {"torch_in_modules_after_start_gui": "torch" in sys.modules}

    from PySide6.QtCore import QEvent, QObject

    class ExposeWatcher(QObject):
        """Notes the first Expose event that leaves the window exposed (GUI thread)."""

        def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
            if "exposed" not in times and event.type() == QEvent.Type.Expose and obj.isExposed():
                times["exposed"] = time.time()
                info["torch_imported_before_window"] = "torch" in sys.modules
            return False

    handle = window.windowHandle()
    watcher = ExposeWatcher()
    if handle is not None and handle.isExposed():
        # Already exposed inside start_gui (e.g. it processed events): its return is the upper bound.
        times["exposed"] = times["start_gui_returned"]
        info["torch_imported_before_window"] = info["torch_in_modules_after_start_gui"]
    elif handle is not None:
        handle.installEventFilter(watcher)

    # Bridge and window signals are emitted in the GUI thread, so plain lambdas are safe here.
    bridge = getattr(window, "bridge", None)
    if bridge is not None:
        bridge.device_changed.connect(lambda *_: times.setdefault("worker_ready", time.time()))
    if hasattr(window, "docks_built"):
        window.docks_built.connect(lambda: times.setdefault("docks_built", time.time()))
    wanted = ["exposed"] + (["worker_ready"] if bridge is not None else []) + \
             (["docks_built"] if hasattr(window, "docks_built") else [])

    deadline = time.time() + WAIT_S
    while not all(k in times for k in wanted) and time.time() < deadline:
        app.processEvents()
        if "exposed" not in times and handle is not None and handle.isExposed():
            times["exposed"] = time.time()  # in case the platform exposes without an Expose event
            info.setdefault("torch_imported_before_window", "torch" in sys.modules)
        time.sleep(0.0005)  # poll without burning the core the worker needs for importing torch

    stopped = bool(window.shutdown(5.0))
    window.close()
    app.processEvents()
    info.update(times=times, missing=[k for k in wanted if k not in times], worker_stopped=stopped)
    print(MARKER + json.dumps(info), flush=True)
    if not stopped:
        # A running QThread destroyed at exit aborts the process; leave without destructors instead.
        sys.stderr.flush()
        os._exit(3)
    return 0 if not info["missing"] else 4


if __name__ == "__main__":
    sys.exit(main())
